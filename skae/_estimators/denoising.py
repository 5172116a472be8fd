"""DenoisingAutoencoder: an autoencoder trained to undo a corruption of its input."""

import numbers

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array

from .._input.bundle import Rows
from .._input.streaming import StreamedRows, streamed_target
from .._validation import FLOAT_DTYPES
from ..layers import NOISE_KINDS, Corruption
from .base import BaseAutoencoder
from .fitted_attributes import DENOISING
from .parameters import fill_shared_docs

# noise_level="auto": Gaussian noise of this many times the data's global
# standard deviation, or this probability of corrupting a value
AUTO_NOISE_LEVEL = 0.5


@fill_shared_docs(
    encoder="It receives the corrupted data while training.",
    random_state="It also seeds the corruption: the same int gives the same noise.",
    early_stopping=(
        "The validation loss is a denoising error: the held-out samples are "
        "corrupted once (with noise ``random_state`` fixes) and compared with"
        " their clean selves; for a paired fit, the given noisy samples are "
        "compared with their clean counterparts."
    ),
    warm_start=(
        "Noise settings changed in between (``set_params(noise_level=0.2)``, "
        "say) apply to the continued training: the network and the "
        "optimizer's state carry over, only the corruption changes."
    ),
)
class DenoisingAutoencoder(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseAutoencoder
):
    """Denoising autoencoder: learns to map corrupted data back to clean data.

    ``fit(X)`` corrupts X afresh at every training step (Gaussian noise,
    masking or salt and pepper, in X's own units) and trains the network to
    output the clean X. ``fit(X_noisy, y=X_clean)`` learns from given pairs
    instead. The corruption happens only while training: ``reconstruct``
    returns the denoised data, ``transform`` the codes (the features of a
    stacked denoising autoencoder), ``inverse_transform`` decodes codes and
    ``score_samples`` is minus the mean squared reconstruction error, all
    deterministic.

    The input is centred per feature and divided by one global scale before
    the network, as in ``AutoencoderTransformer``; a ``noise_level`` given as
    a number is in the user's units all the same (``noise_level=0.5`` on data
    in [0, 1] adds noise of standard deviation 0.5 to each value). The default,
    ``"auto"``, is scale-free: Gaussian noise of half the data's spread.

    Parameters
    ----------
    {n_components}
    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        The corruption: "gaussian" adds normal noise of standard deviation
        ``noise_level``; "masking" sets each value to zero with probability
        ``noise_level``; "salt_and_pepper" sets each value with probability
        ``noise_level`` to the low or the high end of ``clip_range`` (or,
        without ``clip_range``, to the smallest or largest value of the
        training X), each with probability one half.
    noise_level : float or "auto", default="auto"
        Standard deviation of the Gaussian noise, in X's units, or the
        probability that a value is corrupted ("masking" and
        "salt_and_pepper", in [0, 1]). "auto": for "gaussian", 0.5 times the
        training data's global standard deviation ``scale_`` (so the same
        data in other units is corrupted alike); otherwise 0.5.
    clip_range : tuple of (float, float), default=None
        Clip the corrupted values to ``[low, high]``, e.g. ``(0, 1)`` for
        images in [0, 1], so that noisy pixels stay valid. None does not clip.
    {autoencoder_parameters}

    Attributes
    ----------
    model_ : keras.Model
        The trained network (input -> corruption -> encoder -> decoder), on
        standardised data. Its ``Corruption`` layer acts only in training.
    {encoder_}
    {decoder_}
    {history_}
    {n_iter_}
    {early_stopping_}
    {data_attributes}

    See Also
    --------
    AutoencoderTransformer : The same network trained on clean inputs.
    skae.layers.Corruption : The Keras layer that corrupts the inputs.

    References
    ----------
    P. Vincent, H. Larochelle, I. Lajoie, Y. Bengio and P.-A. Manzagol,
    "Stacked Denoising Autoencoders: Learning Useful Representations in a
    Deep Network with a Local Denoising Criterion", JMLR 11, 2010.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skae import DenoisingAutoencoder
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> dae = DenoisingAutoencoder(
    ...     n_components=16, noise_level=0.5, clip_range=(0, 1), epochs=5,
    ...     random_state=0,
    ... ).fit(X)
    >>> rng = np.random.default_rng(0)
    >>> X_noisy = np.clip(X[:5] + 0.5 * rng.normal(size=(5, 64)), 0, 1)
    >>> dae.reconstruct(X_noisy).shape
    (5, 64)
    >>> dae.transform(X_noisy).shape
    (5, 16)

    Learning from given pairs of noisy and clean samples:

    >>> X_noisy = np.clip(X + 0.5 * rng.normal(size=X.shape), 0, 1)
    >>> paired = DenoisingAutoencoder(16, epochs=5, random_state=0)
    >>> paired.fit(X_noisy, X).reconstruct(X_noisy[:5]).shape
    (5, 64)
    """

    _fitted_schema = DENOISING  # what skae.load checks a file's state against
    _parameter_constraints = {
        **BaseAutoencoder._parameter_constraints,
        "noise": [StrOptions(set(NOISE_KINDS))],
        "noise_level": [
            Interval(numbers.Real, 0, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "clip_range": [None, "array-like"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        noise="gaussian",
        noise_level="auto",
        clip_range=None,
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
        self.noise = noise
        self.noise_level = noise_level
        self.clip_range = clip_range

    # Bound here, not inherited, because set_output(transform="pandas") wraps
    # only the methods a class defines itself.
    transform = BaseAutoencoder.transform

    @property
    def _n_features_out(self):
        # the fitted code size (AttributeError before fit, so that
        # get_feature_names_out raises NotFittedError then)
        return self.n_components_

    def fit(self, X, y=None, sample_weight=None):
        """Fit the denoising autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data: clean data to corrupt afresh at every training
            step, or, with ``y``, the noisy half of given pairs.
        y : array-like of the shape of X, default=None
            The clean counterpart of each sample of X: the network learns to
            map X to y, and X is not corrupted further. None (or a 1-D ``y``
            such as the class labels a ``Pipeline`` passes to every step)
            learns to map corrupted X back to X.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one more epoch, building the model on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data, as in ``fit``.
        y : array-like of the shape of X, default=None
            The clean counterpart of X, as in ``fit``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : object
            The estimator, trained one epoch further.
        """
        return super().partial_fit(X, y, sample_weight)

    # ------------------------------------------------------------------
    # hooks of the shared base
    # ------------------------------------------------------------------
    def _check_hyperparameters(self):
        super()._check_hyperparameters()
        probability = self.noise != "gaussian" and self.noise_level != "auto"
        if probability and self.noise_level > 1:
            raise ValueError(
                f"noise_level is the probability that a value is corrupted for "
                f"noise={self.noise!r}, so it must be in [0, 1]; got "
                f"{self.noise_level}."
            )
        if self.clip_range is not None:
            try:
                low, high = (float(v) for v in self.clip_range)
            except (TypeError, ValueError):
                low = high = None
            if low is None or not np.isfinite([low, high]).all() or not low < high:
                raise ValueError(
                    "clip_range must be None or a pair of finite numbers (low, "
                    f"high) with low < high, such as (0, 1); got {self.clip_range!r}."
                )

    def _fit_rows(self, X, y, *, reset):
        """X and its clean target (None: X itself); note whether training corrupts X.

        A ``y`` shaped like X is the clean counterpart of a noisy X: the pairs
        carry their own noise, so the corruption layer is switched off. A
        1-D ``y`` is a target for a later ``Pipeline`` step and is ignored.
        """
        # y.ndim where it exists: a Dask or out-of-core y is not loaded for it
        paired = y is not None and (y.ndim if hasattr(y, "ndim") else np.asarray(y).ndim) > 1
        self._corrupt_inputs = not paired
        # salt and pepper without clip_range uses the training data's range
        self._data_range = (float(X.min()), float(X.max()))
        if not reset and self.__sklearn_is_fitted__():
            # a fit from scratch builds a new model; the previous one is left alone
            self._update_corruption()
        if not paired:
            return Rows(X)
        if isinstance(X, StreamedRows):
            return Rows(X, target=streamed_target(self, X, y))
        X_shape = self._rows_as_given(X, self._fit_ndim).shape
        target = check_array(y, dtype=FLOAT_DTYPES, allow_nd=True, input_name="y")
        if target.shape != X_shape:
            raise ValueError(
                f"y has shape {target.shape}, but X has shape {X_shape}: y must be "
                "the clean counterpart of X, one clean sample per noisy sample of "
                "X, of the same shape. Pass y=None to corrupt X while training."
            )
        return Rows(X, target=target.reshape(X.shape))

    def _assemble(self, input_shape, seeds):
        # The base's input -> encoder -> decoder, with the corruption spliced
        # in before the encoder: the networks stay free of it, so encoder_
        # and decoder_ (and transform) never see noise.
        plain = super()._assemble(input_shape, seeds)
        *_, encoder, decoder = plain.layers
        inputs = keras.Input(shape=plain.input_shape[1:], name="input")
        corrupted = self._make_corruption(plain.input_shape[1:])(inputs)
        return keras.Model(inputs, decoder(encoder(corrupted)), name=plain.name)

    def _update_corruption(self):
        """Warm start: apply the current noise settings and kind of fit.

        If the noise settings changed since the model was built (a noise
        level lowered between warm-started fits, say), a corruption layer
        made from them replaces the old one; the encoder, the decoder and the
        optimizer's state carry over.
        """
        layer = self._corruption_layer()
        sample_shape = tuple(self.model_.input_shape[1:])
        wanted = self._make_corruption(sample_shape)
        if _noise_settings(wanted) != _noise_settings(layer):
            inputs = keras.Input(shape=sample_shape, name="input")
            outputs = self.decoder_(self.encoder_(wanted(inputs)))
            model = keras.Model(inputs, outputs, name=self.model_.name)
            options = {**self._compile_options(), "optimizer": self.model_.optimizer}
            model.compile(loss=self.model_.loss, **options)
            self.model_ = model
            self._link_networks()
            layer = wanted
        layer.active.assign(float(self._corrupt_inputs))

    def _validation_inputs(self, inputs, seed):
        """The held-out rows corrupted once, with noise the seed fixes.

        Keras validates with ``training=False``, which switches the corruption
        off: on clean rows early stopping would watch plain reconstruction,
        not denoising. Given pairs carry their own noise and pass unchanged.
        """
        if not self._corrupt_inputs:
            return inputs
        validation_seed = int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))
        corruption = self._make_corruption(inputs.shape[1:], seed=validation_seed)
        return keras.ops.convert_to_numpy(corruption(inputs, training=True))

    def _noise_level(self):
        """``noise_level`` in the data's units (or as a probability)."""
        if self.noise_level != "auto":
            return self.noise_level
        # half the data's spread: the same corruption in any units
        return AUTO_NOISE_LEVEL * (self.scale_ if self.noise == "gaussian" else 1.0)

    def _make_corruption(self, sample_shape, seed=None):
        clip_range = None if self.clip_range is None else tuple(self.clip_range)
        return Corruption(
            self.noise,
            self._noise_level(),
            clip_range=clip_range,
            value_range=clip_range or self._data_range,
            mean=np.reshape(self.mean_, sample_shape),
            scale=self.scale_,
            seed=self._seed if seed is None else seed,
            active=self._corrupt_inputs,
            name="corruption",
        )

    def _corruption_layer(self):
        return self.model_.get_layer("corruption")


def _noise_settings(layer):
    config = layer.get_config()
    return [config[key] for key in ("noise", "noise_level", "clip_range", "value_range")]
