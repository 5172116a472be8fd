"""The variational autoencoder as pure Keras: a posterior head and a trainable model.

Nothing here knows of scikit-learn. ``VariationalAutoencoderModel`` trains on
the negative evidence lower bound (ELBO) of each sample, computed in
``compute_loss`` with ``keras.ops`` only, so it trains on every Keras 3
backend; it and the ``Sampling`` layer it uses are registered, so saved
models load again (import ``skae.architectures.variational`` first).
"""

import math

import keras
from keras import ops

from ..layers import Sampling
from ._blocks import glorot_uniform, layer_seeds

LIKELIHOODS = ("gaussian", "bernoulli")
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)


def add_log_variance_head(encoder, *, name=None, seed=None):
    """Turn an encoder into a diagonal Gaussian posterior ``q(z | x)``.

    The encoder's output becomes the posterior mean; a linear ``Dense`` layer
    reading the same features as the encoder's last layer adds the
    log-variance, as in the usual VAE encoder (two heads on one trunk). Any
    functional or sequential encoder works, dense or convolutional.

    Parameters
    ----------
    encoder : keras.Model
        Maps samples to codes of shape ``(batch, n_components)``; its last
        layer must be called once, on one tensor.
    name : str, default=None
        Name of the returned model; the encoder's name by default.
    seed : int, random.Random or None, default=None
        Seeds the log-variance layer's initializer (a ``random.Random``
        continues a stream of layer seeds); None leaves it to Keras.

    Returns
    -------
    posterior : keras.Model
        Maps samples to ``[z_mean, z_log_var]``, each ``(batch, n_components)``.
        It shares the encoder's layers.

    Examples
    --------
    >>> from skae.architectures import build_dense_encoder
    >>> from skae.architectures.variational import add_log_variance_head
    >>> posterior = add_log_variance_head(build_dense_encoder(64, 8))
    >>> posterior.output_shape
    [(None, 8), (None, 8)]
    """
    outputs = list(getattr(encoder, "outputs", None) or [])
    features = None
    for layer in encoder.layers if len(outputs) == 1 else ():
        try:
            if layer.output is outputs[0]:
                features = layer.input
        except (AttributeError, ValueError):  # layers called more than once
            continue
    if not isinstance(features, keras.KerasTensor):
        raise TypeError(
            "A variational autoencoder needs an encoder built as a functional or "
            "sequential keras.Model with one output whose last layer reads one "
            f"tensor, so that a log-variance head can be added beside it; got "
            f"{type(encoder).__name__} {encoder.name!r}. Start it with "
            "keras.Input(shape=...) so that its layers are connected."
        )
    n_components = outputs[0].shape[-1]
    z_log_var = keras.layers.Dense(
        n_components,
        kernel_initializer=glorot_uniform(layer_seeds(seed)),
        name=f"{encoder.name}_log_var",
    )(features)
    return keras.Model(_model_input(encoder), [outputs[0], z_log_var], name=name or encoder.name)


def _model_input(model):
    """The input tensor(s) of ``model``, in the structure it was built with.

    ``model.input``, not ``.inputs``, keeps a functional model's structure (a
    tensor, not a list); a Sequential model has ``.inputs`` only.
    """
    try:
        return model.input
    except AttributeError:
        inputs = model.inputs
        return inputs[0] if len(inputs) == 1 else inputs


# The ELBO's two terms are written once, for the training loss and for the
# estimator's scores alike: ``xp`` is ``keras.ops`` (tensors, any backend) or
# ``numpy`` (float64 scores), which share the names used here.


def gaussian_kl(z_mean, z_log_var, *, xp=ops):
    """KL divergence of ``N(z_mean, exp(z_log_var))`` from ``N(0, I)``, per dimension.

    ``xp`` is ``keras.ops`` (the default) or ``numpy``.
    """
    return 0.5 * (xp.square(z_mean) + xp.exp(z_log_var) - 1.0 - z_log_var)


def negative_log_likelihood(y, mean, *, likelihood, log_noise_scale=None, xp=ops):
    """Minus ``log p(y | mean)`` of each sample, summed over all its values.

    ``likelihood="gaussian"``: independent normals of mean ``mean`` and
    standard deviation ``exp(log_noise_scale)``. ``"bernoulli"``: Bernoulli
    variables of probability ``mean`` (clipped to ``[eps, 1 - eps]`` as
    Keras's binary cross-entropy does). ``xp`` is ``keras.ops`` (the
    default) or ``numpy``.
    """
    axes = tuple(range(1, len(y.shape)))
    if likelihood == "bernoulli":
        eps = keras.config.epsilon()
        p = xp.clip(mean, eps, 1.0 - eps)
        return -xp.sum(y * xp.log(p) + (1.0 - y) * xp.log(1.0 - p), axis=axes)
    scaled = (y - mean) * xp.exp(-log_noise_scale)
    return xp.sum(0.5 * xp.square(scaled) + log_noise_scale + _HALF_LOG_2PI, axis=axes)


@keras.saving.register_keras_serializable(package="skae")
class VariationalAutoencoderModel(keras.Model):
    """A variational autoencoder trained on the negative ELBO of each sample.

    ``call(x)`` encodes ``x`` to the posterior ``(z_mean, z_log_var)``, draws
    ``z`` from it with :class:`~skae.layers.Sampling` and returns ``(decoded,
    z_mean, z_log_var)``. The loss of a sample is minus the log-likelihood of
    its target under the decoder, summed over all its values, plus ``beta``
    times the KL divergence of its posterior from ``N(0, I)``, summed over
    the latent dimensions; a batch's loss is the mean over its samples
    (weighted by ``sample_weight``).

    Parameters
    ----------
    encoder : keras.Model
        Maps samples to ``[z_mean, z_log_var]`` (see
        :func:`add_log_variance_head`).
    decoder : keras.Model
        Maps codes to the likelihood's mean, shaped like a sample.
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        "gaussian": independent normals with one learned standard deviation
        for all values (the weight ``log_noise_scale``), floored at
        ``min_noise_scale``; "bernoulli": the decoder outputs probabilities.
    beta : float, default=1.0
        Weight of the KL term (beta-VAE); 1 is the ELBO.
    min_noise_scale : float, default=1e-3
        Floor of the Gaussian standard deviation, so that the likelihood stays
        bounded on data the decoder reproduces exactly.
    seed : int, default=None
        Seed of the sampling layer.
    **kwargs
        Passed to ``keras.Model`` (``name``, ...).
    """

    def __init__(
        self,
        encoder,
        decoder,
        *,
        likelihood="gaussian",
        beta=1.0,
        min_noise_scale=1e-3,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if likelihood not in LIKELIHOODS:
            raise ValueError(
                f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}."
            )
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.beta = beta
        self.min_noise_scale = min_noise_scale
        self.seed = seed
        self.sampling = Sampling(seed=seed, name="sampling")
        if likelihood == "gaussian":
            self.log_noise_scale = self.add_weight(
                shape=(), initializer="zeros", name="log_noise_scale"
            )

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encoder(inputs, training=training)
        z = self.sampling([z_mean, z_log_var])
        return self.decoder(z, training=training), z_mean, z_log_var

    def effective_log_noise_scale(self):
        """Log of the Gaussian likelihood's standard deviation, floor applied."""
        return ops.maximum(self.log_noise_scale, math.log(self.min_noise_scale))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        decoded, z_mean, z_log_var = y_pred
        # a caller's NumPy target, as Keras's own losses take it (on PyTorch,
        # an ndarray minus a tensor raises)
        y = ops.convert_to_tensor(y, dtype=decoded.dtype)
        log_noise_scale = (
            self.effective_log_noise_scale() if self.likelihood == "gaussian" else None
        )
        loss = negative_log_likelihood(
            y, decoded, likelihood=self.likelihood, log_noise_scale=log_noise_scale
        ) + self.beta * ops.sum(gaussian_kl(z_mean, z_log_var), axis=-1)
        if sample_weight is not None:
            loss = loss * ops.reshape(ops.cast(sample_weight, loss.dtype), (-1,))
        loss = ops.mean(loss)
        if self.losses:
            loss = loss + ops.sum(self.losses)
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "likelihood": self.likelihood,
            "beta": self.beta,
            "min_noise_scale": self.min_noise_scale,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(
                config[key], custom_objects=custom_objects
            )
        return cls(**config)
