"""AutoencoderOutlierDetector: novelty and outlier detection by reconstruction error."""

import contextlib
import functools
import numbers

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._concurrency import WholeStateMixin, changing, consistent, fitted_aside
from .._docstrings import DocLinkMixin
from .._input.dask import lazy_on_dask
from .._io.export import DetectorExportMixin
from .._io.persistence import SaveMixin
from .fit_state import restored_on_error
from .fitted_attributes import DETECTOR
from .outlier_explain import ExplanationMixin
from .outlier_input import ScaledInputMixin
from .outlier_scores import offset_for_contamination, resolved_n_components
from .outlier_threshold import ThresholdMixin
from .parameters import PARAMETER_CONSTRAINTS, fill_shared_docs
from .prediction import check_fitted
from .registry import BACKBONES, backbone_class


@functools.cache
def _shared_parameters(backbone, detector):
    """The parameters of ``backbone``'s class that ``detector``'s class has too.

    Cached: scikit-learn reads them from the signatures, about 2 ms a fit.
    """
    own = set(detector._get_param_names())
    return tuple(name for name in backbone._get_param_names() if name in own)


def _from_backbone(name, doc):
    """A read-only view of the fitted backbone's attribute ``name``."""

    def get(self):
        if "backbone_" not in vars(self):
            raise AttributeError(
                f"{type(self).__name__} has no attribute {name!r} before fit."
            )
        return getattr(self.backbone_, name)

    return property(get, doc=doc)


@fill_shared_docs(
    early_stopping="``offset_`` is computed on all of X all the same.",
    random_state="The same int also gives the same scores.",
)
class AutoencoderOutlierDetector(
    WholeStateMixin,
    DocLinkMixin,
    SaveMixin,
    ScaledInputMixin,
    ExplanationMixin,
    ThresholdMixin,
    DetectorExportMixin,
    OutlierMixin,
    BaseEstimator,
):
    """Outlier detection by the reconstruction error of an autoencoder.

    An autoencoder trained on (mostly) normal data reconstructs normal
    samples well and unusual ones badly. Each feature is first standardised
    (``scaling``), so that features count alike whatever their units;
    ``score_samples`` is minus the mean squared reconstruction error of each
    sample in these units (higher is more normal), and
    the rest follows scikit-learn's outlier detectors such as
    ``IsolationForest``: ``offset_`` is set in ``fit`` so that a
    ``contamination`` fraction of the training samples score below it,
    ``decision_function = score_samples - offset_`` is negative for outliers,
    and ``predict`` returns -1 for outliers and +1 for inliers.

    ``feature_errors`` tells which features make a sample anomalous,
    ``set_threshold`` moves ``offset_`` to reach a target false-positive
    rate on held-out normal data, and ``predict_proba`` and
    ``predict_confidence`` give outlier probabilities and the confidence of
    each prediction, as PyOD's detectors do. Scores are deterministic: nothing is
    sampled at scoring time, and a sample's score does not depend on the
    other samples scored with it.

    The network is a fitted ``AutoencoderTransformer`` the detector owns,
    ``backbone_``, built from the detector's own parameters; the detector
    adds the scores' threshold and the outlier API. With
    ``backbone="variational"``, ``backbone_`` is a
    ``VariationalAutoencoderTransformer`` and ``score_samples`` is the ELBO
    of each sample in nats, not minus its mean squared error: still higher
    for more normal samples, and still deterministic (fixed posterior
    draws). ``offset_``, ``decision_function``, ``predict`` and
    ``set_threshold`` work on these scores unchanged; ``reconstruct`` and
    ``feature_errors`` use the decoder's mean.

    Parameters
    ----------
    n_components : "auto" or int, default="auto"
        Size of the code (the bottleneck). "auto": an eighth of the features
        (of the values per sample for images), at least 2 and at most 8 (2
        up to 23 features, 3 for 30, 8 from 64 on); ``n_components_`` says
        which was used. Chosen by leave-one-data-set-out
        (``benchmarks/outlier_lodo.py``): over wine, iris, digits, synthetic
        anomalies, breast cancer and real MNIST one-class cases, it is the
        setting each data set gets from the other five. A code of 2 whatever
        the features (the default before) lost 0.020 of mean ROC AUC on
        MNIST, 0.014 on breast cancer and 0.006 on digits (figures in
        ``docs/benchmarks/outlier_lodo.md``).
    contamination : "auto" or float, default=0.1
        Expected fraction of outliers in the training data, in (0, 0.5]:
        ``offset_`` is the ``contamination`` quantile of the training
        scores. "auto": a sample is an outlier when its error lies more than
        3 robust standard deviations (1.4826 times the median absolute
        deviation, which half the samples cannot inflate) above the median
        training error; the errors are the cube roots of the squared errors
        (nearly normal, where squared errors are long-tailed), or minus the
        ELBOs with the variational backbone. It flagged at most 4.2% of the
        training rows of Gaussian blobs, iris, wine, breast cancer and
        digits with the autoencoder backbone (9% with the variational one),
        and the two outliers of the toy data of ``IsolationForest``'s tests
        (see the user guide's "Outlier detection").
    backbone : {"auto", "autoencoder", "variational"}, default="auto"
        The network behind the scores. "autoencoder" scores minus the mean
        squared reconstruction error; "variational" trains a
        ``VariationalAutoencoderTransformer`` (with ``beta=1``) with the
        parameters below and scores the ELBO of each sample, in nats. With
        "variational", ``loss`` chooses the likelihood (Gaussian or
        Bernoulli), and ``warm_start`` and ``partial_fit`` continue training
        the same VAE. "auto": "autoencoder", or "variational" with
        ``condition_columns``. There a deterministic code is free to carry
        what the context already says (an hour read off the measurements),
        and the decoder then need not use the context at all; the VAE's KL
        term makes each bit of the code cost, so the context is read from
        the condition columns instead (Sohn et al., 2015).
        ``backbone_name_`` says which was used.
    scaling : {"auto", "standard", "robust", "global"}, default="auto"
        How X is scaled before the backbone sees it, and so how much each
        feature weighs in the scores. "standard": each feature minus its
        mean, divided by its standard deviation on the training data (as
        ``StandardScaler``), so that every feature counts alike whatever its
        unit. "robust": minus the median, divided by the interquartile range
        / 1.349 (as ``RobustScaler``, in the standard deviation's units for
        Gaussian features). "global": no per-feature scaling, the backbone's
        own standardisation (per-feature mean, one scale for all features),
        so features weigh by their spread. "auto": "global" when every
        training value lies in [0, 1] (pixel intensities, proportions, or
        data already min-max scaled: features on one common scale, where
        dividing a rarely-lit pixel by its tiny spread would let it swamp
        the scores), "standard" otherwise; ``scaling_`` says which was used.
        Statistics are learned by ``fit`` (kept by ``partial_fit`` and
        ``warm_start``) into ``center_`` and ``scale_``; with
        ``loss="binary_crossentropy"``, data must stay in [0, 1] and the
        scaling is "global".
    condition_columns : list of str or int, default=None
        Columns of X (names in a pandas or polars frame, or positions) that
        are each row's context (a product, an hour) rather than measurements:
        the backbone reads them beside the other columns, in its encoder and
        decoder, and reconstructs and scores only the others, so a reading
        normal in general but unusual in its context scores low. Columns of
        strings, categories or objects are one-hot encoded; numeric ones
        standardised. The backbone is then a conditional one (a
        ``ConditionalVariationalAutoencoder`` with "variational"). Rows only
        (``architecture="dense"``); ``reconstruct`` and ``feature_errors``
        return the other columns.
    handle_unknown : {"error", "ignore"}, default="error"
        With ``condition_columns``, a category not seen in ``fit``: a
        ValueError naming it, or read as none of the known ones.
    {network_parameters}
    loss : {"mse", "binary_crossentropy"}, default="mse"
        Training loss: "mse" with a linear output; "binary_crossentropy" with
        a sigmoid output, for data in [0, 1]. Scores are squared errors
        either way, unless ``backbone="variational"``.
    dropout : float, default=0.1
        Dropout rate after each hidden layer. The detector's default is 0.1
        with ``batch_normalization=True`` (the transformers' are 0 and
        False): on the outlier suite (``benchmarks/outlier_suite.py``, small
        tabular data and digits) the pair raised the mean ROC AUC from
        0.9745 to 0.9761 and the worst gap to the best baseline from -0.0245
        to -0.0188, at about twice the fit time (figures in
        ``docs/benchmarks/outlier_directions.md``); leave-one-data-set-out on
        a wider suite kept them (a plain network lost there, most on breast
        cancer, ``docs/benchmarks/outlier_lodo.md``).
    batch_normalization : bool, default=True
        Batch normalization before each hidden activation (see ``dropout``).
    {encoder}
    {decoder}
    {training_parameters}

    Attributes
    ----------
    backbone_ : AutoencoderTransformer or VariationalAutoencoderTransformer
        The fitted network behind the scores (``backbone="autoencoder"`` or
        ``"variational"``; with ``condition_columns`` their conditional
        twins, the second a ``ConditionalVariationalAutoencoder``): its ``encoder_``, ``decoder_``, ``model_``,
        ``mean_``, ``scale_`` and, for the VAE, ``kl_per_dimension_`` and
        ``noise_scale_`` describe it further.
    n_components_ : int
        ``backbone_.n_components_``: the size of the code, ``n_components``
        with "auto" resolved.
    backbone_name_ : {"autoencoder", "variational"}
        The backbone used: ``backbone``, with "auto" resolved.
    scaling_ : {"standard", "robust", "global"}
        The scaling used: ``scaling``, with "auto" resolved.
    condition_columns_ : list of int
        Positions in X of the condition columns (``condition_columns`` only;
        ``center_`` and ``scale_`` are then those of the other columns).
    condition_categories_ : list of (ndarray or None)
        The categories of each condition column seen in ``fit`` (None for a
        numeric one; ``condition_columns`` only).
    center_ : ndarray of shape (n_features,)
        What ``scaling`` subtracts from each feature (zeros with "global").
    scale_ : ndarray of shape (n_features,)
        What ``scaling`` divides each feature by (ones with "global"); a
        feature constant in the training data keeps the data's global scale
        (as ``StandardScaler`` keeps its units).
    training_scores_ : ndarray of shape (n_samples,)
        ``score_samples`` of the training data at the end of ``fit`` (or
        ``partial_fit``), which ``predict_proba`` and ``predict_confidence``
        compare new scores with.
    offset_ : float
        Threshold on ``score_samples``: samples scoring below it are
        outliers. Set by ``fit`` (and ``partial_fit``) from
        ``contamination``, or by ``set_threshold``.
    history_ : dict of list
        ``backbone_.history_``: per-epoch ``loss`` (and ``val_loss`` with
        early stopping, and the learning rate when it was reduced).
    n_iter_ : int
        ``backbone_.n_iter_``: number of epochs trained.
    early_stopping_ : bool
        ``backbone_.early_stopping_``: whether the last fit held rows out to
        stop early (see ``early_stopping``).
    image_shape_ : tuple of int or None
        ``backbone_.image_shape_``: ``(height, width, channels)`` of the
        images seen during fit; None for rows of features.
    {n_features_in_}
    {feature_names_in_}

    See Also
    --------
    sklearn.ensemble.IsolationForest : Outlier detection by random partitions.
    sklearn.neighbors.LocalOutlierFactor : Outlier detection by local density.
    AutoencoderTransformer : The same network as a transformer.
    VariationalAutoencoderTransformer : The variational backbone as a
        transformer.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderOutlierDetector
    >>> X, y = load_digits(return_X_y=True)
    >>> zeros, others = X[y == 0] / 16, X[y != 0] / 16
    >>> detector = AutoencoderOutlierDetector(
    ...     n_components=4, contamination=0.05, epochs=5, random_state=0
    ... ).fit(zeros)
    >>> detector.predict(others[:4]).shape
    (4,)
    >>> detector.score_samples(others[:4]).dtype
    dtype('float64')
    >>> detector.feature_errors(others[:4]).shape
    (4, 64)
    >>> detector.predict_proba(others[:4]).shape
    (4, 2)
    >>> detector.predict_confidence(others[:4]).shape
    (4,)
    >>> detector.set_threshold(zeros[:50], false_positive_rate=0.02).offset_ < 0
    True
    """

    _fitted_schema = DETECTOR  # what skae.load checks a file's state against
    _parameter_constraints = {
        **PARAMETER_CONSTRAINTS,
        "contamination": [
            StrOptions({"auto"}),
            Interval(numbers.Real, 0, 0.5, closed="right"),
        ],
        "n_components": [StrOptions({"auto"}), *PARAMETER_CONSTRAINTS["n_components"]],
        "backbone": [StrOptions({"auto", *BACKBONES})],
        "scaling": [StrOptions({"auto", "standard", "robust", "global"})],
        "condition_columns": [None, str, "array-like", numbers.Integral],
        "handle_unknown": [StrOptions({"error", "ignore"})],
    }

    def __init__(
        self,
        n_components="auto",
        *,
        contamination=0.1,
        backbone="auto",
        scaling="auto",
        condition_columns=None,
        handle_unknown="error",
        architecture="dense",
        input_shape=None,
        hidden_layer_sizes=(128, 64),
        filters=(32, 64, 128),
        kernel_size=3,
        strides=2,
        activation="relu",
        latent_activation="linear",
        loss="mse",
        dropout=0.1,
        batch_normalization=True,
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
        self.n_components = n_components
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_layer_sizes = hidden_layer_sizes
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.activation = activation
        self.latent_activation = latent_activation
        self.loss = loss
        self.dropout = dropout
        self.batch_normalization = batch_normalization
        self.encoder = encoder
        self.decoder = decoder
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.reduce_lr_on_plateau = reduce_lr_on_plateau
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.run_eagerly = run_eagerly
        self.distribution = distribution
        self.contamination = contamination
        self.backbone = backbone
        self.scaling = scaling
        self.condition_columns = condition_columns
        self.handle_unknown = handle_unknown

    # pickles read the threshold and the backbone of one fit (skae._concurrency)
    _owned_estimators = ("backbone_",)

    history_ = _from_backbone("history_", "Training history of ``backbone_``.")
    n_iter_ = _from_backbone("n_iter_", "Epochs ``backbone_`` was trained.")
    n_components_ = _from_backbone("n_components_", "Size of ``backbone_``'s code.")
    early_stopping_ = _from_backbone("early_stopping_", "Whether ``backbone_`` held rows out.")
    image_shape_ = _from_backbone("image_shape_", "Image shape seen in fit, or None.")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        return tags

    def __sklearn_is_fitted__(self):
        return hasattr(self, "offset_")

    # ------------------------------------------------------------------
    # training: the backbone trains, the detector sets its threshold
    # ------------------------------------------------------------------
    @fill_shared_docs()
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the backbone to X, then set ``offset_`` from ``contamination``.

        Parameters
        ----------
        {fit_parameters}

        Returns
        -------
        self : object
            The fitted detector.
        """
        return self._fit_backbone(X, sample_weight, continue_training=self.warm_start)

    @fill_shared_docs()
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train the backbone one more epoch on X, then set ``offset_`` again.

        Parameters
        ----------
        {fit_parameters}

        Returns
        -------
        self : object
            The detector, trained one epoch further.
        """
        if not hasattr(self, "backbone_"):
            self._validate_params()
        return self._fit_backbone(X, sample_weight, continue_training=True, partial=True)

    def _backbone_name(self):
        if self.backbone != "auto":
            return self.backbone
        return "autoencoder" if self.condition_columns is None else "variational"

    def _fit_backbone(self, X, sample_weight, *, continue_training, partial=False):
        kind = backbone_class(self._backbone_name(), conditional=self.condition_columns is not None)
        params = {name: getattr(self, name) for name in _shared_parameters(kind, type(self))}
        # the backbone reads the detector's encoded condition columns as numbers
        params.update(
            {"condition_columns": None, "condition_type": "numeric"}
            if "condition_type" in kind._get_param_names()
            else {}
        )
        params.pop("handle_unknown", None)
        backbone = getattr(self, "backbone_", None)
        if not (continue_training and type(backbone) is kind):
            # a new backbone, fitted with a private copy of the detector that
            # is published whole at the end (see BaseAutoencoder._fit)
            with fitted_aside(self) as fitted:
                fitted._fit_detector(X, sample_weight, kind(**params), params, False, partial)
            return self
        with contextlib.ExitStack() as undo:
            # the backbone trained further in place, under the detector's lock:
            # its state and parameters come back too if the fit raises
            undo.enter_context(changing(self))
            undo.enter_context(restored_on_error(self))
            backbone = self.backbone_
            undo.enter_context(
                restored_on_error(backbone, model=backbone.model_, params_of=backbone)
            )
            return self._fit_detector(X, sample_weight, backbone, params, True, partial)

    def _fit_detector(self, X, sample_weight, backbone, params, continuing, partial):
        if continuing:
            # the detector's current parameters, as a refit would use them
            backbone.set_params(**params)
        # continued training keeps the scaling the network has learned in
        if not continuing:
            for attribute in ("condition_columns_", "condition_categories_"):
                self.__dict__.pop(attribute, None)
        inputs = self._backbone_input(X, reset=not continuing, stream=True)
        if self.n_components == "auto":
            n_values = int(np.prod(inputs[0].shape[1:]))
            backbone.set_params(n_components=resolved_n_components("auto", n_values))
        self._forget_fit()
        if partial:
            backbone.partial_fit(*inputs, sample_weight=sample_weight)
        else:
            backbone.fit(*inputs, sample_weight=sample_weight)
        self.backbone_ = backbone
        self.backbone_name_ = self._backbone_name()
        self.training_scores_ = backbone.score_samples(*inputs)
        squared_errors = self.backbone_name_ == "autoencoder"
        self.offset_ = offset_for_contamination(
            self.contamination, self.training_scores_, squared_errors=squared_errors
        )
        return self

    def _forget_fit(self):
        for attribute in ("backbone_", "backbone_name_", "offset_", "training_scores_"):
            self.__dict__.pop(attribute, None)

    @consistent
    @lazy_on_dask("values")
    def score_samples(self, X):
        """Normality score of each sample: higher is more normal.

        Minus the mean squared reconstruction error of each sample, or with
        ``backbone="variational"`` its ELBO in nats (as
        ``backbone_.score_samples``). Deterministic either way.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The scores, computed in float64 and returned in X's float
            dtype (float32 for float32 X, as ``LocalOutlierFactor``'s).
        """
        check_fitted(self)
        return self._backbone_scores(X)

    def _scores(self, X):
        """``score_samples(X)``, for the methods built on it, without re-entering it."""
        if type(self).score_samples is not AutoencoderOutlierDetector.score_samples:
            return self.score_samples(X)  # a subclass's scores
        return self._backbone_scores(X)

    def _backbone_scores(self, X):
        """The backbone's scores of X.

        Plain rows in memory are validated and scaled once, here, and the
        backbone scores them as they are (``_finite_scores``): its own
        checks would repeat the detector's (a fifth of a one-row
        ``predict``). Any other input, or scaled rows that overflowed, take
        the backbone's public ``score_samples`` and its checks.
        """
        backbone = self.backbone_
        if (
            backbone.image_shape_ is None
            and not self._reads_condition_columns(False)
            and isinstance(X, np.ndarray)
            and X.ndim == 2
        ):
            scaled = self._standardized(self._rows(X, reset=False)[0])
            if np.isfinite(scaled).all():
                return backbone._finite_scores(scaled)
        return backbone.score_samples(*self._backbone_input(X, reset=False, stream=True))

    @consistent
    @lazy_on_dask("values")
    def decision_function(self, X):
        """Score minus ``offset_``: negative for outliers, positive for inliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to score.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``score_samples(X) - offset_``, in X's float dtype (float32 for
            float32 X).
        """
        check_fitted(self)
        return self._scores(X) - self.offset_

    @consistent
    @lazy_on_dask("values")
    def predict(self, X):
        """Predict whether each sample is an inlier (+1) or an outlier (-1).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to classify.

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,)
            -1 where ``decision_function(X) < 0``, +1 elsewhere.
        """
        check_fitted(self)
        return np.where(self._scores(X) - self.offset_ < 0, -1, 1)
