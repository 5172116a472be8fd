"""Supervised fine-tuning of a fitted skae encoder, through scikeras.

``encoder_classifier(transformer)`` and ``encoder_regressor(transformer)``
return a scikeras ``KerasClassifier`` / ``KerasRegressor`` whose network is a
copy of the transformer's fitted encoder, its standardisation included, with
a new head on the codes. They take the raw X the transformer took, train the
head alone for ``freeze_epochs`` epochs, then the whole network, and never
touch the transformer itself.

Importing this module imports scikeras, and ``import scikeras`` replaces
``keras.Model.__reduce__`` and ``__deepcopy__`` (and those of Keras losses,
metrics and optimizers) with its own for the whole process: Keras models
then pickle and deep-copy through scikeras's in-memory ``.keras`` archive.
``import skae`` alone does not import scikeras; only this module does.
"""

import numbers

from ._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_is_fitted

from ._compat import no_retracing_warning, scikeras_wrappers
from ._concurrency import state_lock
from ._engine.training import in_memory_batches
from ._estimators.registry import estimator_classes
from .architectures.fine_tuned import ENCODER_NAME, build_fine_tuned_network

__all__ = [
    "EncoderClassifier",
    "EncoderRegressor",
    "encoder_classifier",
    "encoder_regressor",
]

_KerasClassifier, _KerasRegressor = scikeras_wrappers()



def _skae_estimators():
    return tuple(estimator_classes().values())


def _check_transformer(transformer, caller):
    """The fitted skae estimator inside ``transformer`` (raw or frozen).

    Raises TypeError for anything but a skae estimator (a Pipeline gets its
    own fix) and NotFittedError for an unfitted one.
    """
    estimator = transformer
    if isinstance(transformer, FrozenEstimator):
        estimator = transformer.estimator
    if isinstance(estimator, Pipeline):
        raise TypeError(
            f"{caller} needs the skae transformer itself, got a Pipeline. Fine-tune "
            "its last step and keep the steps before it frozen in front: "
            "make_pipeline(FrozenEstimator(pipe[:-1]), "
            f"{caller}(pipe[-1])), with FrozenEstimator from sklearn.frozen."
        )
    if not isinstance(estimator, _skae_estimators()):
        names = ", ".join(cls.__name__ for cls in _skae_estimators())
        raise TypeError(
            f"{caller} fine-tunes the encoder of a fitted skae estimator ({names}), "
            f"got {type(estimator).__name__}. Fit a skae autoencoder first, for "
            "example skae.AutoencoderTransformer(n_components=16).fit(X)."
        )
    check_is_fitted(
        estimator,
        msg=(
            f"This {type(estimator).__name__} instance is not fitted yet: its "
            f"encoder has nothing to fine-tune. Call fit on it (unlabelled X is "
            f"enough) before passing it to {caller}."
        ),
    )
    # a detector's network is the autoencoder or VAE it owns
    network = getattr(estimator, "backbone_", estimator)
    if network._condition_shape() is not None:
        raise TypeError(
            f"{caller} fine-tunes an encoder that reads samples alone, but the "
            f"encoder of {type(estimator).__name__} also reads each sample's "
            "condition (its y), which a classifier or regressor of y would be "
            "given as an answer. Fit a VariationalAutoencoderTransformer or "
            "AutoencoderTransformer on X for fine-tuning."
        )
    return network


def _as_rows(X, n_features, image_shape):
    """X as float rows ``(n_samples, n_features)`` for the network's input.

    Accepts rows, or images ``(n, height, width)`` / ``(n, height, width,
    channels)`` of the transformer's ``image_shape_``, as the transformer did.
    """
    X = np.asarray(X)
    if X.ndim > 2:
        shape = tuple(X.shape[1:])
        if X.ndim == 3 and (image_shape is None or len(image_shape) == 3):
            shape += (1,)  # one-channel images; windows (timesteps, features) stay
        if image_shape is None or shape != tuple(image_shape):
            fitted = "rows" if image_shape is None else f"images of shape {tuple(image_shape)}"
            raise ValueError(
                f"X holds images of shape {shape} (height, width, channels), but "
                f"the encoder was fitted on {fitted}. Pass X as the transformer "
                "was fitted."
            )
    rows = X.reshape(len(X), -1)
    if rows.shape[1] != n_features:
        raise ValueError(
            f"X has {rows.shape[1]} features, but the encoder was fitted with "
            f"{n_features}. Pass X with the transformer's features."
        )
    return rows.astype(keras.backend.floatx(), copy=False)


def _seed_from(random_state):
    """An int seed for Keras initializers, or None; never draws from the user's RandomState."""
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    copy = np.random.RandomState()
    copy.set_state(random_state.get_state())
    return int(copy.randint(np.iinfo(np.int32).max))


class _FineTuning:
    """What the classifier and the regressor share: the network and its schedule.

    scikeras hooks overridden: ``_keras_build_fn`` (build the network),
    ``feature_encoder`` (raw X to rows), ``_get_compile_kwargs`` (a fresh
    optimizer per compile), ``_fit_keras_model`` (freeze, then unfreeze and
    recompile; on PyTorch, batches seeded by ``random_state``) and ``_predict_raw`` (no retracing warnings).
    """

    def _encoder_source(self):
        return _check_transformer(self.transformer, type(self).__name__)

    def _keras_build_fn(self):
        source = self._encoder_source()
        n_outputs, output_activation = self._head_output()
        # the encoder and statistics of one fit, whatever other threads fit
        with state_lock(source):
            input_shape = (
                tuple(source.image_shape_)
                if source.architecture != "dense"
                else (source.n_features_in_,)
            )
            model = build_fine_tuned_network(
                source.encoder_,
                source.mean_,
                source.scale_,
                input_shape,
                n_outputs,
                output_activation,
                seed=_seed_from(self.random_state),
            )
        model.get_layer(ENCODER_NAME).trainable = self.freeze_epochs == 0
        return model

    @property
    def feature_encoder(self):
        """Raw X (rows or images) to the float rows the network reads."""
        source = self._encoder_source()
        return FunctionTransformer(
            _as_rows,
            kw_args={
                "n_features": int(np.prod(source.mean_.shape)),
                "image_shape": source.image_shape_,
            },
        )

    def _get_compile_kwargs(self):
        kwargs = super()._get_compile_kwargs()
        optimizer = kwargs["optimizer"]
        if isinstance(optimizer, keras.optimizers.Optimizer):
            # a fresh copy each compile: the user's instance is never trained,
            # and the unfrozen phase gets slots for the encoder's weights
            kwargs["optimizer"] = optimizer.__class__.from_config(optimizer.get_config())
        return kwargs

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        encoder = self.model_.get_layer(ENCODER_NAME)
        end = initial_epoch + epochs
        phases = []
        if not encoder.trainable and initial_epoch < self.freeze_epochs:
            phases.append((initial_epoch, min(end, self.freeze_epochs), False))
        start = max(initial_epoch, self.freeze_epochs) if phases else initial_epoch
        if end > start:
            phases.append((start, end, True))
        for i, (first, stop, trainable) in enumerate(phases):
            if encoder.trainable != trainable:
                # Keras fixes the trained variables when it compiles, and the
                # optimizer has no slots for the encoder's weights yet.
                encoder.trainable = trainable
                self.model_.compile(**self._get_compile_kwargs())
            data = dict(X=X, y=y, sample_weight=sample_weight)
            data.update(self._seeded_torch_batches(X, y, sample_weight, first, kwargs) or {})
            with no_retracing_warning():
                super()._fit_keras_model(
                    warm_start=warm_start or i > 0,
                    epochs=stop - first,
                    initial_epoch=first,
                    **{**kwargs, **data},
                )

    def _seeded_torch_batches(self, X, y, sample_weight, initial_epoch, fit_kwargs):
        """On PyTorch, shuffled batches that ``random_state`` alone orders; else None.

        scikeras makes a seeded fit repeatable by seeding Python's, NumPy's
        and TensorFlow's global generators, not PyTorch's, and Keras's
        PyTorch backend shuffles arrays with PyTorch's global generator
        (which skae never seeds): two fits with one ``random_state`` would
        differ. The rows then come in batches of
        ``_training.in_memory_batches``, reshuffled at each epoch from
        ``random_state`` and the first epoch, with the held-out rows of
        ``validation_split`` taken from the end before shuffling, as Keras
        does. (Keras's data loaders on PyTorch still draw one number from
        PyTorch's generator per pass over the data, in fit and predict
        alike; the results do not depend on it.) Returns the arguments of
        scikeras's ``_fit_keras_model`` that replace the arrays, or None
        where Keras's own handling stays (another backend, no seed, no
        shuffle or ``shuffle="batch"``, validation data given).
        """
        # what scikeras routes to Model.fit: a parameter, overridden by its
        # fit__ form, overridden by fit's own keyword arguments
        params = self.get_params()
        routed = {k[len("fit__") :]: v for k, v in params.items() if k.startswith("fit__")}
        settings = {**params, **routed, **fit_kwargs}

        def fit_param(name, default):
            return settings.get(name, default)

        seed = _seed_from(self.random_state)
        if (
            keras.backend.backend() != "torch"
            or seed is None
            or fit_param("shuffle", True) is not True
            or fit_param("validation_data", None) is not None
        ):
            return None
        arrays = (X, y, sample_weight)
        fit = dict(X=None, y=None, sample_weight=None, shuffle=False, batch_size=None)
        split = fit_param("validation_split", 0.0) or 0.0
        if split:
            split_at = int(np.floor(len(X) * (1.0 - split)))
            if split_at in (0, len(X)):
                return None  # Keras's own error says why
            arrays = tuple(None if a is None else a[:split_at] for a in arrays)
            held_out = tuple(a[split_at:] for a in (X, y, sample_weight) if a is not None)
            fit.update(validation_split=0.0, validation_data=held_out)
        batch_size = fit_param("batch_size", None) or 32
        batches = in_memory_batches(arrays, batch_size, shuffle_seed=seed + initial_epoch)
        fit["X"] = batches["x"]
        if split and fit_param("validation_batch_size", None) is None:
            fit["validation_batch_size"] = batch_size
        return fit

    def _predict_raw(self, X, **kwargs):
        with no_retracing_warning():
            return super()._predict_raw(X, **kwargs)

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")


_PARAMETERS_DOC = """
    Parameters
    ----------
    transformer : FrozenEstimator of a fitted skae estimator
        The source of the encoder, wrapped in
        ``sklearn.frozen.FrozenEstimator`` so that ``clone`` keeps it fitted
        (``{factory}`` wraps it). Each fit builds the network from a copy of
        its ``encoder_`` and its ``mean_``/``scale_``; the transformer itself
        is never modified.
    freeze_epochs : int, default={freeze_epochs}
        Epochs during which only the head trains, the encoder frozen; the
        whole network is then recompiled with a fresh optimizer and trains
        for the remaining ``epochs - freeze_epochs``. 0 trains everything from
        the start; ``freeze_epochs >= epochs`` keeps the encoder frozen. The
        count continues over ``partial_fit`` calls, and an unfrozen encoder
        stays unfrozen.
    optimizer : str or keras.optimizers.Optimizer, default="adam"
        Routed by scikeras; an instance is copied at every compile.
    optimizer__learning_rate : float, default={learning_rate}
        Learning rate, routed to the optimizer by scikeras (both phases).
    loss : str or keras.losses.Loss, default="{loss}"
        Training loss.
    epochs : int, default={epochs}
        Total epochs of ``fit``, the frozen ones included.
    batch_size : int, default={batch_size}
        Samples per gradient step.
    random_state : int, RandomState instance or None, default=None
        Seeds the output layer's initializer explicitly (a RandomState
        is read, never advanced). scikeras also uses it: while it builds and
        fits the network it seeds Python's ``random``, NumPy's global
        generator and TensorFlow's global seed and enables TensorFlow's op
        determinism, restoring them afterwards. Those are process-wide, so
        other threads see the seeded state meanwhile. (scikeras turns any
        RandomState instance into the seed 0.) On PyTorch, which scikeras
        does not seed, the shuffles are seeded from it too; Keras's PyTorch
        data loaders still draw one number from PyTorch's global generator
        per pass over the data, which the results do not depend on.
    verbose : int, default=0
        Keras's verbosity during fit and predict.
    **kwargs
        Any other parameter of scikeras's ``{base}`` (``callbacks``,
        ``validation_split``, ``warm_start``, ``metrics``{extra}...) and
        routed parameters (``fit__...``, ``optimizer__...``, ``loss__...``),
        settable with ``set_params`` and searchable by ``GridSearchCV``.
"""

# Chosen once on benchmarks/fine_tuning.py (digits, 377 labels, 5 seeds) and
# not per run: a learning rate of 3e-3 rather than Keras's 1e-3, and a frozen
# warm-up of a fifth of the epochs, each raised the mean test accuracy there by
# most of a point (the numbers are in the commit that set these).
_DEFAULTS = dict(
    freeze_epochs=20,
    learning_rate=3e-3,
    epochs=100,
    batch_size=32,
)


class EncoderClassifier(_FineTuning, _KerasClassifier):
    """Classifier fine-tuning a fitted skae encoder under a softmax layer.

    A scikeras ``KerasClassifier``: rows (or images) -> the encoder's
    standardisation -> a copy of the fitted encoder -> Dense softmax over the
    classes. Build it with :func:`encoder_classifier`.
    {parameters}
    Attributes
    ----------
    model_ : keras.Model
        The fine-tuned network, from raw rows to class probabilities.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    history_ : dict of lists
        Loss (and metrics) per epoch, both phases.

    See Also
    --------
    encoder_classifier : Build one from a fitted transformer.
    EncoderRegressor : The same for regression.
    """

    def __init__(
        self,
        transformer=None,
        *,
        freeze_epochs=_DEFAULTS["freeze_epochs"],
        optimizer="adam",
        optimizer__learning_rate=_DEFAULTS["learning_rate"],
        loss="sparse_categorical_crossentropy",
        epochs=_DEFAULTS["epochs"],
        batch_size=_DEFAULTS["batch_size"],
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            optimizer=optimizer,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            random_state=random_state,
            verbose=verbose,
            **kwargs,
        )
        self.transformer = transformer
        self.freeze_epochs = freeze_epochs
        self.optimizer__learning_rate = optimizer__learning_rate

    def _head_output(self):
        return self.n_classes_, "softmax"


class EncoderRegressor(_FineTuning, _KerasRegressor):
    """Regressor fine-tuning a fitted skae encoder under a linear layer.

    A scikeras ``KerasRegressor``: rows (or images) -> the encoder's
    standardisation -> a copy of the fitted encoder -> Dense linear output,
    one unit per target. Build it with
    :func:`encoder_regressor`. The targets are fitted in their own units:
    scale them (``TransformedTargetRegressor``) when they are far from 1.
    {parameters}
    Attributes
    ----------
    model_ : keras.Model
        The fine-tuned network, from raw rows to predictions.
    history_ : dict of lists
        Loss (and metrics) per epoch, both phases.

    See Also
    --------
    encoder_regressor : Build one from a fitted transformer.
    EncoderClassifier : The same for classification.
    """

    def __init__(
        self,
        transformer=None,
        *,
        freeze_epochs=_DEFAULTS["freeze_epochs"],
        optimizer="adam",
        optimizer__learning_rate=_DEFAULTS["learning_rate"],
        loss="mse",
        epochs=_DEFAULTS["epochs"],
        batch_size=_DEFAULTS["batch_size"],
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            optimizer=optimizer,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            random_state=random_state,
            verbose=verbose,
            **kwargs,
        )
        self.transformer = transformer
        self.freeze_epochs = freeze_epochs
        self.optimizer__learning_rate = optimizer__learning_rate

    def _head_output(self):
        return self.n_outputs_, "linear"


EncoderClassifier.__doc__ = EncoderClassifier.__doc__.format(
    parameters=_PARAMETERS_DOC.format(
        factory="encoder_classifier",
        base="KerasClassifier",
        loss="sparse_categorical_crossentropy",
        extra=", ``class_weight``",
        **_DEFAULTS,
    )
)
EncoderRegressor.__doc__ = EncoderRegressor.__doc__.format(
    parameters=_PARAMETERS_DOC.format(
        factory="encoder_regressor", base="KerasRegressor", loss="mse", extra="",
        **_DEFAULTS,
    )
)


def encoder_classifier(transformer, **kwargs):
    """A classifier fine-tuning the fitted encoder of ``transformer``.

    Returns a scikeras ``KerasClassifier`` (an :class:`EncoderClassifier`)
    whose network is a copy of ``transformer.encoder_`` -- preceded by the
    transformer's standardisation, so it takes the raw X the transformer
    took -- under a Dense softmax layer. Its fit trains the new layer alone
    for ``freeze_epochs`` epochs, then the whole network. The transformer is
    never modified: each fit starts from a fresh copy of its weights.

    Parameters
    ----------
    transformer : fitted skae estimator
        An ``AutoencoderTransformer``, ``VariationalAutoencoderTransformer``
        (its posterior mean is fine-tuned), ``DenoisingAutoencoder`` or
        ``AutoencoderOutlierDetector``, fitted (on unlabelled X, typically).
        Held in a ``sklearn.frozen.FrozenEstimator``, so ``clone``,
        ``cross_val_score`` and ``GridSearchCV`` reuse it as it is.
    **kwargs
        Parameters of :class:`EncoderClassifier` (``freeze_epochs``,
        ``epochs``, ``random_state``...) and
        scikeras's (``optimizer__learning_rate``, ``callbacks``,
        ``class_weight``...). ``random_state`` seeds the head explicitly, and
        scikeras seeds the process's global generators while it builds and
        fits (restoring them afterwards): see :class:`EncoderClassifier`.

    Returns
    -------
    EncoderClassifier
        Unfitted; ``fit(X, y)`` with X as the transformer took it.

    Raises
    ------
    TypeError
        If ``transformer`` is not a skae estimator (a ``Pipeline`` included:
        the message says how to compose one).
    sklearn.exceptions.NotFittedError
        If ``transformer`` is not fitted.

    See Also
    --------
    encoder_regressor : The same for regression.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.fine_tuning import encoder_classifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X[:200] / 16
    >>> ae = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(16,),
    ...                             epochs=2, random_state=0).fit(X)
    >>> clf = encoder_classifier(ae, epochs=3, freeze_epochs=1, random_state=0)
    >>> clf.fit(X, y[:200]).predict_proba(X).shape
    (200, 10)
    """
    _check_transformer(transformer, "encoder_classifier")
    return EncoderClassifier(transformer=_frozen(transformer), **kwargs)


def encoder_regressor(transformer, **kwargs):
    """A regressor fine-tuning the fitted encoder of ``transformer``.

    Returns a scikeras ``KerasRegressor`` (an :class:`EncoderRegressor`)
    whose network is a copy of ``transformer.encoder_`` -- preceded by the
    transformer's standardisation, so it takes the raw X the transformer
    took -- under a linear Dense layer with one unit per target. Its fit
    trains the new layer alone for ``freeze_epochs`` epochs, then the whole
    network. The transformer is never modified.

    Parameters
    ----------
    transformer : fitted skae estimator
        As for :func:`encoder_classifier`.
    **kwargs
        Parameters of :class:`EncoderRegressor` and scikeras's
        ``KerasRegressor``; ``random_state`` as for
        :func:`encoder_classifier`.

    Returns
    -------
    EncoderRegressor
        Unfitted; ``fit(X, y)`` with X as the transformer took it.

    Raises
    ------
    TypeError
        If ``transformer`` is not a skae estimator.
    sklearn.exceptions.NotFittedError
        If ``transformer`` is not fitted.

    See Also
    --------
    encoder_classifier : The same for classification.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.fine_tuning import encoder_regressor
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X[:200] / 16
    >>> ae = AutoencoderTransformer(n_components=8, hidden_layer_sizes=(16,),
    ...                             epochs=2, random_state=0).fit(X)
    >>> reg = encoder_regressor(ae, epochs=3, freeze_epochs=1, random_state=0)
    >>> reg.fit(X, X.mean(axis=1)).predict(X).shape
    (200,)
    """
    _check_transformer(transformer, "encoder_regressor")
    return EncoderRegressor(transformer=_frozen(transformer), **kwargs)


def _frozen(transformer):
    if isinstance(transformer, FrozenEstimator):
        return transformer
    return FrozenEstimator(transformer)
