"""VariationalAutoencoderTransformer: a VAE with scikit-learn manners."""

import math
import numbers

from .._concurrency import consistent
from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from keras import ops
from scipy.special import logsumexp
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._input.bundle import Rows
from .._input.chunks import INFERENCE_BATCH_SIZE
from .._input.dask import lazy_on_dask
from ..architectures._blocks import model_name
from ..architectures.variational import (
    VariationalAutoencoderModel,
    add_log_variance_head,
    gaussian_kl,
    negative_log_likelihood,
)
from .base import BaseAutoencoder
from .fitted_attributes import VARIATIONAL
from .parameters import fill_shared_docs

# A latent unit is active when its posterior mean varies across the training
# data with a variance above this (in units of the N(0, 1) prior): the
# criterion of Burda, Grosse and Salakhutdinov (2016).
ACTIVITY_THRESHOLD = 0.01

# Floor of the Gaussian likelihood's standard deviation, relative to the data's
# global scale: keeps the likelihood bounded when the decoder reproduces the
# training data exactly (constant data, say).
MIN_NOISE_SCALE = 1e-3

# score_samples estimates the ELBO's expected log-likelihood with these many
# draws (antithetic pairs), the same for every sample and every call: scores
# are deterministic and each sample's score is independent of the others.
ELBO_DRAWS = 16
_ELBO_SEED = 0


def elbo_draws(n_components):
    """The fixed antithetic draws of ``score_samples``, ``(ELBO_DRAWS, n_components)``.

    From a generator of its own, so scores never touch global random state.
    """
    half = np.random.RandomState(_ELBO_SEED).standard_normal(
        (ELBO_DRAWS // 2, n_components)
    )
    return np.concatenate([half, -half])


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


@fill_shared_docs(
    latent_activation=(
        "Here the code is the posterior mean; the log-variance layer beside it "
        "is always linear."
    ),
    encoder=(
        "Its output is the posterior mean; a linear log-variance layer is added "
        "beside its last layer, so a model must be functional or sequential."
    ),
    decoder=(
        "It outputs the likelihood's mean (probabilities for "
        '"binary_crossentropy").'
    ),
    early_stopping="The loss is a one-draw estimate of minus the ELBO.",
    tol="In nats.",
    random_state="It also seeds the latent draws of training.",
)
class VariationalAutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    """Variational autoencoder (VAE) with the API of a scikit-learn transformer.

    The encoder maps each sample ``x`` to a diagonal Gaussian posterior
    ``q(z | x)`` over ``n_components`` latent variables, the decoder maps a
    latent ``z`` to the mean of the likelihood ``p(x | z)``, and the prior is
    ``N(0, I)``. Both are trained to maximise the evidence lower bound (ELBO)
    of each sample: the log-likelihood of the sample summed over its features,
    minus ``beta`` times the KL divergence of its posterior from the prior
    summed over the latent dimensions (a single reparameterised draw of ``z``
    per sample and step).

    ``transform`` returns the posterior mean (deterministic),
    ``inverse_transform`` and ``reconstruct`` the decoder's mean,
    ``score_samples`` the ELBO of each sample in nats and ``sample`` new data
    decoded from the prior, so the estimator is a drop-in dimensionality
    reducer in a ``Pipeline`` and is tuned by ``GridSearchCV`` on held-out
    ELBO without a scorer.

    Likelihood. With ``loss="mse"`` (the default), ``p(x | z)`` is a product of
    normals with the decoder's output as mean and one standard deviation
    shared by all features, learned with the networks (``noise_scale_``;
    floored at 1e-3 times the data's global scale). A per-feature variance is
    not offered: it diverges on features that are (nearly) constant in the
    training data. The network sees the data centred per feature and divided
    by one global scale ``scale_``; scores are densities of the data in its
    own units, the change of variables (``-n_features * log(scale_)``)
    included. With ``loss="binary_crossentropy"``, ``p(x | z)`` is a product
    of Bernoulli variables whose probabilities the decoder outputs; X must
    lie in [0, 1] and is used as it is. The ELBO is then a log-probability
    for binary data, and the usual (unnormalised) cross-entropy surrogate for
    grey levels.

    Posterior collapse. After fit, ``kl_per_dimension_`` holds each latent
    dimension's KL divergence averaged over the training data, and
    ``n_active_components_`` the number of dimensions whose posterior mean
    varies across the training data with a variance above
    ``ACTIVITY_THRESHOLD`` = 0.01 (Burda et al., 2016). Inactive dimensions
    carry no information about X: fewer ``n_components`` or a lower ``beta``
    fit the data as well.

    Parameters
    ----------
    {n_components}
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE, Higgins et al.
        2017): above 1 favours a prior-like, disentangled code, below 1 better
        reconstructions. Scores are always the ELBO, whatever ``beta``.
    {network_parameters}
    loss : {"mse", "binary_crossentropy"}, default="mse"
        The likelihood: "mse" Gaussian with a learned standard deviation,
        "binary_crossentropy" Bernoulli (sigmoid output), for data in [0, 1].
    {layer_parameters}
    {training_parameters}

    Attributes
    ----------
    model_ : VariationalAutoencoderModel
        The trained Keras model (encoder -> sampling -> decoder, with the ELBO
        loss), on standardised data. It saves with ``model_.save`` and loads
        with ``keras.saving.load_model`` once ``skae.architectures.variational``
        is imported.
    encoder_ : keras.Model
        Maps standardised data to ``[z_mean, z_log_var]``; shares the layers
        of ``model_``.
    decoder_ : keras.Model
        Maps latent codes to the likelihood's mean (standardised); shares the
        layers of ``model_``.
    history_ : dict of list
        Per-epoch ``loss`` (and ``val_loss`` with early stopping, and the
        learning rate when it was reduced): minus the beta-weighted ELBO per
        sample, on standardised data.
    {n_iter_}
    {early_stopping_}
    kl_per_dimension_ : ndarray of shape (n_components,)
        KL divergence of the posterior from the prior in each latent
        dimension, in nats, averaged over the training data.
    n_active_components_ : int
        Number of latent dimensions whose posterior mean has a variance above
        ``ACTIVITY_THRESHOLD`` (0.01) over the training data; the others have
        collapsed onto the prior.
    noise_scale_ : float or None
        Learned standard deviation of the Gaussian likelihood, in X's units;
        None with ``loss="binary_crossentropy"``.
    {data_attributes}

    See Also
    --------
    AutoencoderTransformer : The deterministic autoencoder.
    sklearn.decomposition.PCA : The linear counterpart (probabilistic PCA's
        ``score_samples`` is also a log-likelihood in nats).

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.
    .. [2] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
       Autoencoders", ICLR 2016.
    .. [3] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
       Constrained Variational Framework", ICLR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoderTransformer(n_components=4, epochs=5, random_state=0)
    >>> vae.fit_transform(X / 16).shape
    (1797, 4)
    >>> mean, std = vae.transform(X[:3] / 16, return_std=True)
    >>> mean.shape, std.shape
    ((3, 4), (3, 4))
    >>> vae.score_samples(X[:3] / 16).shape
    (3,)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    """

    # under a tf.distribute strategy the replicas' gradients disagree in shape
    # (CollectiveReduceV2 "shape mismatch", Keras 3.15 / TF 2.21): refused in fit
    _tf_distribute_ready = False

    _fitted_schema = VARIATIONAL  # what skae.load checks a file's state against
    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "beta": [Interval(numbers.Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        beta=1.0,
        architecture="dense",
        input_shape=None,
        hidden_layer_sizes=(128, 64),
        filters=(32, 64, 128),
        kernel_size=3,
        strides=2,
        activation="relu",
        latent_activation="linear",
        loss="mse",
        dropout=0.0,
        batch_normalization=False,
        encoder=None,
        decoder=None,
        optimizer="adam",
        learning_rate=1e-3,
        epochs=200,
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        reduce_lr_on_plateau=True,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        run_eagerly=False,
        distribution=None,
    ):
        super().__init__(
            n_components,
            architecture=architecture,
            input_shape=input_shape,
            hidden_layer_sizes=hidden_layer_sizes,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            activation=activation,
            latent_activation=latent_activation,
            loss=loss,
            dropout=dropout,
            batch_normalization=batch_normalization,
            encoder=encoder,
            decoder=decoder,
            optimizer=optimizer,
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            reduce_lr_on_plateau=reduce_lr_on_plateau,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            run_eagerly=run_eagerly,
            distribution=distribution,
        )
        self.beta = beta

    @property
    def _n_features_out(self):
        # the fitted code size (AttributeError before fit, so that
        # get_feature_names_out raises NotFittedError then)
        return self.n_components_

    # ------------------------------------------------------------------
    # the networks
    # ------------------------------------------------------------------
    def _assemble(self, input_shape, seeds):
        encoder, decoder = self._build_networks(input_shape, seeds)
        model = VariationalAutoencoderModel(
            add_log_variance_head(encoder, seed=seeds),
            decoder,
            likelihood="bernoulli" if self.loss == "binary_crossentropy" else "gaussian",
            beta=float(self.beta),
            min_noise_scale=MIN_NOISE_SCALE,
            seed=self._seed,
            name=model_name(type(self)),
        )
        model(keras.Input(shape=tuple(input_shape)))  # build, and record the shape
        return model

    def _networks(self, model):
        return model.encoder, model.decoder

    def _compile(self, model):
        # no compiled loss: the model's compute_loss is the negative ELBO
        model.compile(**self._compile_options())

    def _after_fit(self, rows):
        """Set the attributes that show posterior collapse, and the noise scale."""
        mean, log_var = self._posterior(rows)
        self.kl_per_dimension_ = np.mean(gaussian_kl(mean, log_var, xp=np), axis=0)
        self.n_active_components_ = int(
            np.sum(np.var(mean, axis=0) > ACTIVITY_THRESHOLD)
        )
        self.noise_scale_ = None
        if self.model_.likelihood == "gaussian":
            log_noise_scale = keras.ops.convert_to_numpy(
                self.model_.effective_log_noise_scale()
            )
            self.noise_scale_ = float(np.exp(log_noise_scale)) * self.scale_

    # ------------------------------------------------------------------
    # inference: the encoder's "codes" are [z_mean, z_log_var] side by side,
    # and the decoder reads the first n_components of them (the mean).
    # ------------------------------------------------------------------
    def _encode_batch(self, encoder, batch):
        z_mean, z_log_var = encoder(batch, training=False)
        return keras.ops.concatenate([z_mean, z_log_var], axis=1)

    def _decode_batch(self, decoder, batch):
        return decoder(batch[:, : self.n_components_], training=False)

    def _codes(self, encoded):
        return encoded[:, : self.n_components_]

    def _inference_key(self):
        return (self.n_components_,)

    def _export_scores(self, rows, network):
        """The ELBO of ``_score_samples`` in ``keras.ops``: the same terms, the same draws."""
        dtype = network.score_dtype
        draws = elbo_draws(self.n_components_).astype(dtype)
        n_draws, n_components = draws.shape
        likelihood = self.model_.likelihood
        log_noise_scale = (
            dtype.type(math.log(self.noise_scale_)) if likelihood == "gaussian" else None
        )
        encoded = ops.cast(network.encode(rows), dtype)
        mean, log_var = encoded[:, :n_components], encoded[:, n_components:]
        std = ops.exp(0.5 * log_var)
        # row i's draws are rows i * n_draws ... (i + 1) * n_draws - 1, as np.repeat
        # (ops.multiply with the draws array: PyTorch's operator refuses one)
        z = ops.add(ops.expand_dims(mean, 1), ops.multiply(ops.expand_dims(std, 1), draws))
        z = ops.cast(ops.reshape(z, (-1, n_components)), "float32")
        # a conditional model decodes each draw with its row's condition
        condition = network.condition
        if condition is not None:
            condition = ops.repeat(condition, n_draws, axis=0)
        decoded = ops.cast(network.decode(z, condition=condition), dtype)
        repeated = ops.repeat(ops.cast(rows, dtype), n_draws, axis=0)
        log_likelihood = -negative_log_likelihood(
            repeated, decoded, likelihood=likelihood, log_noise_scale=log_noise_scale, xp=ops
        )
        expected = ops.mean(ops.reshape(log_likelihood, (-1, n_draws)), axis=1)
        return expected - ops.sum(gaussian_kl(mean, log_var, xp=ops), axis=1)

    def _posterior(self, X):
        """Posterior mean and log-variance of each row of X, as float64.

        X is validated rows, or a ``Rows`` of them with their condition.
        """
        stats = np.asarray(self._forward(X, decode=False), dtype=np.float64)
        return stats[:, : self.n_components_], stats[:, self.n_components_ :]

    def _log_likelihood(self, X, decoded):
        """``log p(x | z)`` of each row of X in nats, given the decoder's mean."""
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        decoded = np.asarray(decoded, dtype=np.float64).reshape(len(X), -1)
        log_noise_scale = None
        if self.model_.likelihood == "gaussian":
            log_noise_scale = math.log(self.noise_scale_)
        return -negative_log_likelihood(
            X,
            decoded,
            likelihood=self.model_.likelihood,
            log_noise_scale=log_noise_scale,
            xp=np,
        )

    def _log_likelihood_at(self, X, mean, std, draws):
        """``log p(x_i | mean_i + std_i * draws_s)`` for every row i and draw s.

        X is validated rows, or a ``Rows`` of them with their condition, with
        which each row's draws are decoded.
        """
        given = X if isinstance(X, Rows) else Rows(X)
        X, condition = given.inputs, given.condition
        n_draws = len(draws)
        rows_per_call = max(1, INFERENCE_BATCH_SIZE // n_draws)
        out = np.empty((len(X), n_draws))
        for start in range(0, len(X), rows_per_call):
            rows = slice(start, start + rows_per_call)
            z = mean[rows, None, :] + std[rows, None, :] * draws
            codes = z.reshape(-1, self.n_components_).astype(X.dtype)
            if condition is not None:
                codes = Rows(codes, condition=np.repeat(condition[rows], n_draws, axis=0))
            decoded = self._forward(codes, encode=False)
            repeated = np.repeat(X[rows], n_draws, axis=0)
            out[rows] = self._log_likelihood(repeated, decoded).reshape(-1, n_draws)
        return out

    # ------------------------------------------------------------------
    # public inference
    # ------------------------------------------------------------------
    @consistent
    @lazy_on_dask("rows")
    def transform(self, X, return_std=False):
        """Encode X into the mean of its posterior ``q(z | x)``.

        Deterministic: the same X gives the same codes, call after call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to encode: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.
        return_std : bool, default=False
            Also return the posterior's standard deviation.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The posterior means, in X's float dtype.
        std : ndarray of shape (n_samples, n_components)
            The posterior standard deviations; only with ``return_std=True``.
        """
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        stats = self._forward(X, decode=False)
        mean = np.ascontiguousarray(stats[:, : self.n_components_])
        if not return_std:
            return mean
        return mean, np.exp(0.5 * stats[:, self.n_components_ :])

    @consistent
    @lazy_on_dask("values")
    def score_samples(self, X):
        """Evidence lower bound (ELBO) of each sample, in nats.

        ``E_q[log p(x | z)] - KL(q(z | x) || p(z))``, a lower bound on
        ``log p(x)``: higher = more typical of the training data. The KL term
        is exact; the expectation is estimated with ``ELBO_DRAWS`` = 16
        antithetic draws of the posterior noise that are fixed (the same for
        every sample and every call), so scores are deterministic and each
        sample's score does not depend on the others. ``beta`` does not enter.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The ELBO of each sample, computed in float64 and returned in
            X's float dtype (float32 for float32 X).
        """
        check_is_fitted(self)
        return self._finite_scores(self._check_input(X, reset=False))

    def _score_samples(self, X):
        # X: validated rows, or a Rows of them with their condition
        mean, log_var = self._posterior(X)
        draws = elbo_draws(self.n_components_)
        expected = self._log_likelihood_at(X, mean, np.exp(0.5 * log_var), draws)
        kl = np.sum(gaussian_kl(mean, log_var, xp=np), axis=1)
        return expected.mean(axis=1) - kl

    def score(self, X, y=None, sample_weight=None):
        """Mean ELBO of the samples, in nats per sample.

        Higher is better, so ``GridSearchCV`` can tune a VAE without a scorer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
        """
        return float(np.average(self.score_samples(X), weights=sample_weight))

    @consistent
    def log_likelihood(self, X, n_importance_samples=100, random_state=None):
        """Importance-weighted estimate of ``log p(x)`` of each sample, in nats.

        ``log (1/K) sum_k p(x, z_k) / q(z_k | x)`` with ``K =
        n_importance_samples`` draws ``z_k`` from the posterior (Burda et al.,
        2016): a tighter lower bound on ``log p(x)`` than the ELBO in
        expectation, that approaches ``log p(x)`` as K grows. The same K noise
        draws serve every sample, so a sample's estimate does not depend on
        the others.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        n_importance_samples : int, default=100
            Number of posterior draws K per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same estimates call after call.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            The estimates, as float64.
        """
        check_is_fitted(self)
        n_draws = _check_positive_int(n_importance_samples, "n_importance_samples")
        X = self._check_input(X, reset=False)
        return self._importance_log_likelihood(X, n_draws, random_state)

    def _importance_log_likelihood(self, X, n_draws, random_state):
        """``log_likelihood`` of validated rows X (or a ``Rows`` with their condition)."""
        draws = check_random_state(random_state).standard_normal(
            (n_draws, self.n_components_)
        )
        mean, log_var = self._posterior(X)
        std = np.exp(0.5 * log_var)
        log_weights = self._log_likelihood_at(X, mean, std, draws)
        # + log p(z) - log q(z | x) at z = mean + std * draws (the normal
        # densities' constants cancel), without forming z: sum_u z_u ** 2 is
        # expanded into matrix products, (n_samples, n_draws) in memory.
        sum_z_squared = (
            np.sum(mean**2, axis=1)[:, None]
            + 2 * (mean * std) @ draws.T
            + std**2 @ (draws**2).T
        )
        log_weights += 0.5 * (
            np.sum(draws**2, axis=1) - sum_z_squared + np.sum(log_var, axis=1)[:, None]
        )
        return logsumexp(log_weights, axis=1) - math.log(n_draws)

    @consistent
    def sample(self, n_samples=1, random_state=None):
        """Generate new data: decode latent codes drawn from the prior.

        Each sample is the decoder's mean at a ``z`` drawn from ``N(0, I)``
        (the likelihood's own noise is not added).

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples to generate.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws: the same int gives the same samples.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features) or image array
            New data shaped like the data seen in ``fit`` (rows, or images of
            ``image_shape_``), as float64.
        """
        check_is_fitted(self)
        n_samples = _check_positive_int(n_samples, "n_samples")
        z = check_random_state(random_state).standard_normal((n_samples, self.n_components_))
        return self._rows_as_given(self._forward(z, encode=False), self._fit_ndim)
