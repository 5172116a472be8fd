"""ConditionalVariationalAutoencoder: a VAE told what each sample is."""

from numbers import Integral

from .._concurrency import consistent
from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .._input.bundle import Rows
from .._input.condition_columns import HANDLE_UNKNOWN, ColumnConditions
from .._input.conditions import CONDITION_TYPES
from .._input.dask import lazy_on_dask
from ..architectures._blocks import model_name
from ..architectures.conditional import (
    ConditionalVariationalAutoencoderModel,
    condition_decoder,
    condition_encoder,
)
from ..architectures.variational import add_log_variance_head
from .conditioned import ConditionsMixin
from .fitted_attributes import CONDITIONAL_VARIATIONAL
from .networks import build_networks
from .parameters import fill_shared_docs
from .variational import (
    MIN_NOISE_SCALE,
    VariationalAutoencoderTransformer,
    _check_positive_int,
)


@fill_shared_docs(
    latent_activation=(
        "Here the code is the posterior mean; the log-variance layer beside it "
        "is always linear."
    ),
    encoder=(
        "It reads a sample with its condition joined (rows: ``n_features + "
        "n_conditions_`` values; images: ``n_conditions_`` more channels) and "
        "outputs the posterior mean; a linear log-variance layer is added beside "
        "its last layer, so a model must be functional or sequential."
    ),
    decoder=(
        "It reads ``n_components + n_conditions_`` values (the code, then the "
        "condition) and outputs the likelihood's mean."
    ),
    early_stopping="The loss is a one-draw estimate of minus the ELBO.",
    tol="In nats.",
    random_state="It also seeds the latent draws of training.",
)
class ConditionalVariationalAutoencoder(ConditionsMixin, VariationalAutoencoderTransformer):
    """Conditional variational autoencoder (CVAE): a VAE told what each sample is.

    The encoder maps a sample ``x`` and its condition ``c`` to a diagonal
    Gaussian posterior ``q(z | x, c)``, the decoder maps a latent ``z`` and
    the same ``c`` to the mean of ``p(x | z, c)``, and the prior is ``N(0,
    I)`` (Sohn et al., 2015). Training maximises the same evidence lower
    bound as :class:`VariationalAutoencoderTransformer`, now of ``log p(x |
    c)``. Since the decoder is told ``c``, the code keeps what ``c`` does not
    say (a digit's slant and thickness, not its class), and
    ``sample(n, y=7)`` draws new 7s.

    The conditions are ``y``, one per sample, given to ``fit`` and to every
    method that reads X: class labels (any type scikit-learn accepts; one-hot
    inside, in the order of ``classes_``) or numbers ``(n_samples,
    n_conditions)`` (standardised inside with their mean and variance at
    fit). ``condition_type="auto"`` reads a 1-D ``y`` that
    ``sklearn.utils.multiclass.type_of_target`` calls binary or multiclass
    as labels and anything else as numbers; integers that are quantities
    (an hour of the day, a temperature) need ``condition_type="numeric"``.

    Everything else is as for ``VariationalAutoencoderTransformer``: the
    likelihood, ``scale_``, ``beta``, posterior collapse attributes,
    ``score_samples`` as the ELBO with fixed draws, images with
    ``architecture="conv"`` (the condition joins them as more channels).

    Parameters
    ----------
    {n_components}
    condition_type : {"auto", "categorical", "numeric"}, default="auto"
        How ``y`` is read: class labels, numbers, or by its form (see above).
    condition_columns : list of str or int, default=None
        Columns of X (names in a pandas or polars frame, or positions) that
        are the condition instead of ``y``: they are fed to the encoder and
        decoder and not reconstructed or scored, so every method reads X
        alone (a ``Pipeline`` or ``GridSearchCV`` needs no ``y``; a ``y``
        given to ``fit`` is not read). Columns of strings, categories or
        objects are one-hot encoded inside; numeric and boolean columns are
        standardised inside. ``reconstruct`` returns the other columns.
        Rows only (``architecture="dense"``).
    handle_unknown : {"error", "ignore"}, default="error"
        With ``condition_columns``, a category not seen in ``fit``: a
        ValueError naming it, or read as none of the known categories (a
        row of zeros in its one-hot columns).
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). Scores are
        always the ELBO, whatever ``beta``.
    {network_parameters}
    loss : {"mse", "binary_crossentropy"}, default="mse"
        The likelihood: "mse" Gaussian with a learned standard deviation,
        "binary_crossentropy" Bernoulli (sigmoid output), for data in [0, 1].
    {layer_parameters}
    {training_parameters}

    Attributes
    ----------
    model_ : ConditionalVariationalAutoencoderModel
        The trained Keras model, on standardised data; it reads ``[x, c]``
        with ``c`` as ``encode_conditions`` gives it.
    encoder_ : keras.Model
        Maps ``[standardised samples, conditions]`` to ``[z_mean,
        z_log_var]``; shares the layers of ``model_``.
    decoder_ : keras.Model
        Maps ``[codes, conditions]`` to the likelihood's mean (standardised).
    classes_ : ndarray of shape (n_classes,)
        The class labels seen in ``fit`` (label conditions only).
    n_conditions_ : int
        Number of values the networks read for a condition: the number of
        classes, or of numeric columns.
    condition_type_ : {"categorical", "numeric", "columns"}
        How the conditions were read: ``y`` as labels or numbers, or X's
        ``condition_columns``.
    condition_columns_ : list of int
        Positions in X of the condition columns (``condition_columns`` only).
    condition_categories_ : list of (ndarray or None)
        The categories of each condition column seen in ``fit`` (None for a
        numeric column; ``condition_columns`` only).
    history_ : dict of list
        Per-epoch ``loss`` (and ``val_loss`` with early stopping): minus the
        beta-weighted ELBO per sample, on standardised data.
    {n_iter_}
    {early_stopping_}
    kl_per_dimension_ : ndarray of shape (n_components,)
        KL divergence of the posterior from the prior in each latent
        dimension, in nats, averaged over the training data.
    n_active_components_ : int
        Number of latent dimensions whose posterior mean has a variance above
        0.01 over the training data.
    noise_scale_ : float or None
        Learned standard deviation of the Gaussian likelihood, in X's units;
        None with ``loss="binary_crossentropy"``.
    {data_attributes}

    See Also
    --------
    VariationalAutoencoderTransformer : The VAE without conditions.

    References
    ----------
    .. [1] K. Sohn, H. Lee and X. Yan, "Learning Structured Output
       Representation using Deep Conditional Generative Models", NeurIPS 2015.
    .. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import ConditionalVariationalAutoencoder
    >>> X, y = load_digits(return_X_y=True)
    >>> cvae = ConditionalVariationalAutoencoder(n_components=2, epochs=5, random_state=0)
    >>> cvae.fit(X / 16, y).transform(X[:3] / 16, y[:3]).shape
    (3, 2)
    >>> cvae.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> cvae.sample(4, y=7, random_state=0).shape
    (4, 64)
    >>> cvae.score_samples(X[:3] / 16, y[:3]).shape
    (3,)
    """

    _fitted_schema = CONDITIONAL_VARIATIONAL  # what skae.load checks a file's state against
    _parameter_constraints = {
        **VariationalAutoencoderTransformer._parameter_constraints,
        "condition_type": [StrOptions(set(CONDITION_TYPES))],
        "condition_columns": [None, str, "array-like", Integral],
        "handle_unknown": [StrOptions(set(HANDLE_UNKNOWN))],
    }

    def __init__(
        self,
        n_components=2,
        *,
        condition_type="auto",
        condition_columns=None,
        handle_unknown="error",
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
            beta=beta,
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
        self.condition_type = condition_type
        self.condition_columns = condition_columns
        self.handle_unknown = handle_unknown

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.condition_columns is None
        if self.condition_columns is not None:
            tags.input_tags.string = True  # categorical condition columns
        return tags

    # the conditions (_encoding, encode_conditions, _check_input, _fit_rows,
    # _condition_shape) come from ConditionsMixin

    def _assemble(self, input_shape, seeds):
        n_conditions = self.n_conditions_
        encoder, decoder = build_networks(self, input_shape, seeds, n_conditions=n_conditions)
        statistics = self._encoding().statistics()
        model = ConditionalVariationalAutoencoderModel(
            condition_encoder(
                add_log_variance_head(encoder, seed=seeds),
                input_shape,
                n_conditions,
                statistics=statistics,
                name="conditional_encoder",
            ),
            condition_decoder(
                decoder,
                int(self.n_components),
                n_conditions,
                statistics=statistics,
                name="conditional_decoder",
            ),
            likelihood="bernoulli" if self.loss == "binary_crossentropy" else "gaussian",
            beta=float(self.beta),
            min_noise_scale=MIN_NOISE_SCALE,
            seed=self._seed,
            name=model_name(type(self)),
        )
        # build, and record the shapes
        model([keras.Input(shape=tuple(input_shape)), keras.Input(shape=(n_conditions,))])
        return model

    # with a condition, each hook gets (its batch, the condition)
    def _encode_batch(self, encoder, batch):
        samples, condition = batch
        z_mean, z_log_var = encoder([samples, condition], training=False)
        return keras.ops.concatenate([z_mean, z_log_var], axis=1)

    def _decode_batch(self, decoder, batch):
        codes, condition = batch
        return decoder([codes[:, : self.n_components_], condition], training=False)

    def _inference_key(self):
        return (self.n_components_,)

    # ------------------------------------------------------------------
    # training (documented here for y)
    # ------------------------------------------------------------------
    def fit(self, X, y=None, sample_weight=None):
        """Fit the conditional VAE to X given its conditions y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample: class labels or numbers.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight=sample_weight)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train one more epoch on X given y, building the model on the first call.

        The first call fixes the form of the conditions (``classes_``): it
        must see every class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        self : object
            The estimator, trained one epoch further.
        """
        return super().partial_fit(X, y, sample_weight=sample_weight)

    def fit_transform(self, X, y=None, sample_weight=None):
        """Fit to X given y, then encode X given y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample in the loss.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The posterior means.
        """
        return self.fit(X, y, sample_weight=sample_weight).transform(X, y)

    # ------------------------------------------------------------------
    # public inference: every method reads the conditions
    # ------------------------------------------------------------------
    @consistent
    @lazy_on_dask("rows", conditioned=True)
    def transform(self, X, y=None, return_std=False):
        """Encode X given y into the mean of its posterior ``q(z | x, c)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to encode.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.
        return_std : bool, default=False
            Also return the posterior's standard deviation.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The posterior means, in X's float dtype.
        std : ndarray of shape (n_samples, n_components)
            The posterior standard deviations; only with ``return_std=True``.
        """
        stats = self._forward(self._conditioned(X, y, "transform"), decode=False)
        mean = np.ascontiguousarray(stats[:, : self.n_components_])
        if not return_std:
            return mean
        return mean, np.exp(0.5 * stats[:, self.n_components_ :])

    @consistent
    @lazy_on_dask("decoded", conditioned=True)
    def inverse_transform(self, X, y=None):
        """Decode codes given conditions: the decoder's mean of ``p(x | z, c)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition to decode each code with.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features) or image array
            The decoded data, in the codes' float dtype, shaped like the data
            seen in ``fit``.
        """
        Z = self._checked_codes(X)
        condition = self._encode(y, len(Z), "inverse_transform")
        decoded = self._forward(Rows(Z, condition=condition), encode=False)
        return self._rows_as_given(decoded, self._fit_ndim)

    @consistent
    @lazy_on_dask("like_input", conditioned=True)
    def reconstruct(self, X, y=None):
        """Encode then decode X, given y: its reconstruction.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to reconstruct.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.

        Returns
        -------
        X_reconstructed : ndarray of the shape of X
            The reconstruction, in X's float dtype and shape.
        """
        ndim = np.ndim(X)
        return self._rows_as_given(self._forward(self._conditioned(X, y, "reconstruct")), ndim)

    @consistent
    @lazy_on_dask("values", conditioned=True)
    def score_samples(self, X, y=None):
        """Evidence lower bound of ``log p(x | c)`` of each sample, in nats.

        As ``VariationalAutoencoderTransformer.score_samples`` (fixed
        antithetic draws: deterministic, each sample independent of the
        others), given each sample's condition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The ELBO of each sample, computed in float64 and returned in
            X's float dtype (float32 for float32 X).
        """
        return self._finite_scores(self._conditioned(X, y, "score_samples"))

    def score(self, X, y=None, sample_weight=None):
        """Mean ELBO of the samples given their conditions, in nats per sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
        """
        return float(np.average(self.score_samples(X, y), weights=sample_weight))

    @consistent
    def log_likelihood(self, X, y=None, n_importance_samples=100, random_state=None):
        """Importance-weighted estimate of ``log p(x | c)`` of each sample, in nats.

        As ``VariationalAutoencoderTransformer.log_likelihood``, given each
        sample's condition.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            The condition of each sample.
        n_importance_samples : int, default=100
            Number of posterior draws K per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            The estimates, as float64.
        """
        n_draws = _check_positive_int(n_importance_samples, "n_importance_samples")
        rows = self._conditioned(X, y, "log_likelihood")
        return self._importance_log_likelihood(rows, n_draws, random_state)

    @consistent
    def sample(self, n_samples=None, y=None, random_state=None):
        """Generate data of the conditions asked for: decode prior draws given y.

        Parameters
        ----------
        n_samples : int, default=None
            Number of samples. With one condition ``y`` (a label, or one row
            of numbers), that many samples of it (1 when None); with one
            condition per sample, None or ``len(y)``.
        y : label, array-like of shape (n_conditions,), or conditions of shape (n_samples,) or (n_samples, n_conditions)
            The condition of the samples: one for all, or one per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the latent draws: the same int gives the same samples.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_features) or image array
            New data shaped like the data seen in ``fit``, as float64.
        """
        check_is_fitted(self)
        encoding, name = self._encoding(), type(self).__name__
        if y is None:
            raise ValueError(
                f"{name}.sample needs the condition y of the samples to generate: a "
                f"label (one of classes_) or numeric conditions, for example "
                f"sample(10, y=label)."
            )
        if encoding.one_label(y, name):
            n_samples = 1 if n_samples is None else _check_positive_int(n_samples, "n_samples")
            # the values of several condition columns keep their own types
            kept = object if isinstance(encoding, ColumnConditions) else None
            y = np.repeat(np.asarray(y, dtype=kept)[None], n_samples, axis=0)
        elif n_samples is not None and _check_positive_int(n_samples, "n_samples") != len(y):
            raise ValueError(
                f"y holds {len(y)} conditions, one per sample, but n_samples={n_samples}. "
                "Give one condition for all samples, or leave n_samples=None."
            )
        condition = self._encode(y, len(y), "sample")
        z = check_random_state(random_state).standard_normal((len(condition), self.n_components_))
        decoded = self._forward(Rows(z, condition=condition), encode=False)
        return self._rows_as_given(decoded, self._fit_ndim)
