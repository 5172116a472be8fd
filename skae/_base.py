"""The estimator all of skae's autoencoders share.

Data flows one way: user array -> validation (shape, dtype, feature names)
-> standardisation -> the Keras model -> numpy out in the user's shape and
dtype. Training goes through ``_fit`` and every prediction through
``_forward``; subclasses add only what makes them different (their loss, their
scores, their corruption).
"""

import numbers
from collections import defaultdict

import keras
import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._compat import (
    ScikerasBase,
    backend_computes_float64,
    compiles_per_batch_shape,
    no_retracing_warning,
    seeded,
)
from .architectures import (
    build_conv_decoder,
    build_conv_encoder,
    build_dense_decoder,
    build_dense_encoder,
)

_FLOAT_DTYPES = (np.float64, np.float32)

# Training steps per call of Keras's compiled train function (see
# _BaseAutoencoder._compile_options).
STEPS_PER_EXECUTION = 32

# Rows per call of the compiled network at inference: large enough that the
# per-call overhead is negligible, small enough that the activations of one
# chunk stay a few MB whatever the number of rows.
INFERENCE_BATCH_SIZE = 16384


def _take(sample_weight, rows):
    return None if sample_weight is None else sample_weight[rows]


def _in_memory_batches(arrays, batch_size, shuffle_seed=None):
    """``(x, y, sample_weight)`` arrays as ``Model.fit`` reads them fastest.

    On TensorFlow, given numpy arrays ``fit`` rebuilds its input pipeline (index
    shuffling, slicing and prefetching functions) at every epoch, about 25 ms
    each time: a quarter of the training time of the digits. A plain
    ``tf.data`` pipeline over the arrays (shuffle, batch) restarts for almost
    nothing and gives the same epochs, batches and partial last batch as
    ``fit`` on arrays. With ``shuffle_seed`` the rows are reshuffled at every
    epoch in an order that seed determines. Other backends read numpy arrays
    batch by batch already and get them back as they are.

    Returns the keyword arguments of ``fit`` for training data
    (``shuffle_seed`` given), or the ``validation_data`` value.
    """
    if arrays[2] is None:
        arrays = arrays[:2]
    if keras.backend.backend() != "tensorflow":
        if shuffle_seed is None:
            return arrays
        return dict(
            x=arrays[0],
            y=arrays[1],
            sample_weight=arrays[2] if len(arrays) == 3 else None,
            batch_size=batch_size,
            shuffle=True,
        )
    import tensorflow as tf

    tensors = {}  # one tensor per distinct array: the target may be the input
    dataset = tf.data.Dataset.from_tensor_slices(
        tuple(tensors.setdefault(id(a), tf.convert_to_tensor(a)) for a in arrays)
    )
    if shuffle_seed is None:
        return dataset.batch(batch_size)
    dataset = dataset.shuffle(
        len(arrays[0]), seed=shuffle_seed, reshuffle_each_iteration=True
    )
    # shuffle=False: the dataset shuffles itself (fit would warn otherwise)
    return dict(x=dataset.batch(batch_size), shuffle=False)


def _positive_int_sequence(value):
    try:
        sizes = tuple(value)
    except TypeError:
        return False
    return all(
        isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
        for s in sizes
    )


def _reject_non_numeric(X, estimator_name):
    """Raise a clear error for string or categorical input.

    Without this, strings reach NumPy's float conversion and fail with a
    message that names neither the column nor the fix.
    """
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        bad = [
            str(name)
            for name, dtype in dtypes.items()
            if getattr(dtype, "kind", "O") not in "biufc"
        ]
        if bad:
            raise ValueError(
                f"{estimator_name} needs numeric input, but column(s) {bad} of X "
                "are not numeric (strings, categories or objects). Encode them "
                "first, for example with a sklearn.compose.ColumnTransformer that "
                "applies OneHotEncoder to them, or drop them."
            )
        return
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind in "USO":
        try:
            np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            if dtype.kind == "O":
                raise  # scikit-learn's checks expect NumPy's own message here
            raise ValueError(
                f"{estimator_name} needs numeric input, but X holds strings "
                f"({exc}). Encode them first, for example with OneHotEncoder."
            ) from None


def _robust_center_scale(X, block_rows=65536):
    """Per-feature mean and one global scale, without overflow for huge values.

    Computed in float64 over blocks of rows: the temporaries stay a few MB
    however many rows X has.
    """
    blocks = [X[start : start + block_rows] for start in range(0, len(X), block_rows)]
    magnitude = max(float(np.max(np.abs(block))) for block in blocks)
    if not np.isfinite(magnitude):
        raise ValueError(
            "X has values too large for float64 arithmetic (up to "
            f"{magnitude}); rescale the data, e.g. with StandardScaler."
        )
    if magnitude == 0:
        return np.zeros(X.shape[1:]), 1.0

    def shrunk(block):
        return np.asarray(block, dtype=np.float64) / magnitude

    mean = sum(shrunk(block).sum(axis=0) for block in blocks) / len(X)
    squares = sum(float(np.sum((shrunk(block) - mean) ** 2)) for block in blocks)
    scale = np.sqrt(squares / X.size)
    if scale == 0:
        scale = 1.0 / magnitude
    return mean * magnitude, float(scale * magnitude)


def _pad_rows(batch, step=1024):
    """Zero rows appended up to a size from a short fixed list (at most one chunk).

    Backends that compile one program per input shape (JAX) then compile a
    bounded number of programs whatever the row counts asked for: powers of
    two up to ``step`` rows, multiples of ``step`` above (26 sizes for chunks
    of 16,384 rows), so padding costs at most 2x on tiny batches and under
    ``step`` rows on large ones.
    """
    n_rows = len(batch)
    if n_rows <= step:
        size = 1 << max(n_rows - 1, 0).bit_length()
    else:
        size = -(-n_rows // step) * step
    size = min(size, INFERENCE_BATCH_SIZE)
    if size == n_rows:
        return batch
    padding = np.zeros((size - n_rows,) + batch.shape[1:], dtype=batch.dtype)
    return np.concatenate([batch, padding])


def _float64_copy(model):
    """The same network with float64 weights and arithmetic, for inference.

    float32 results for a row change by about 3e-8 with its position in the
    batch (oneDNN blocks the matrix products by batch size); float64 inference
    makes every row's output independent of the other rows.
    """

    def to_float64(layer):
        config = layer.get_config()
        config["dtype"] = "float64"
        return layer.__class__.from_config(config)

    inputs = [keras.Input(batch_shape=t.shape, dtype="float64") for t in model.inputs]
    copy = keras.models.clone_model(
        model,
        input_tensors=inputs if len(inputs) > 1 else inputs[0],
        clone_function=to_float64,
    )
    copy.set_weights(model.get_weights())
    return copy


class _BaseAutoencoder(ScikerasBase):
    """Base class for skae's autoencoders. Not for direct use.

    Subclasses set ``_estimator_kind`` and may override ``_build_networks``,
    ``_compile``, ``_fit_target`` and the inference hooks ``_encode_batch``
    and ``_decode_batch``.
    """

    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
        "architecture": [StrOptions({"dense", "conv"})],
        "input_shape": [None, "array-like"],
        "hidden_layer_sizes": ["array-like"],
        "filters": ["array-like"],
        "kernel_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "strides": [Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [str, callable],
        "latent_activation": [str, callable],
        "loss": [StrOptions({"mse", "binary_crossentropy"})],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "batch_normalization": ["boolean"],
        "encoder": [None, callable],
        "decoder": [None, callable],
        "optimizer": [str, type, HasMethods(["apply_gradients"])],
        "learning_rate": [
            Interval(numbers.Real, 0, None, closed="neither"),
            HasMethods(["get_config", "__call__"]),
        ],
        "epochs": [Interval(numbers.Integral, 1, None, closed="left")],
        "batch_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(numbers.Integral, 1, None, closed="left")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "reduce_lr_on_plateau": ["boolean"],
        "callbacks": [None, list],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "run_eagerly": ["boolean"],
    }

    def __init__(
        self,
        n_components=2,
        *,
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

    # ------------------------------------------------------------------
    # scikit-learn protocol
    # ------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def __getstate__(self):
        state = dict(super().__getstate__())
        # encoder_ and decoder_ are views into model_; rebuilt on load so that
        # they keep sharing its layers (pickling them separately would not).
        for name in ("encoder_", "decoder_", "_inference_models"):
            state.pop(name, None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if hasattr(self, "model_"):
            self._link_networks()

    # ------------------------------------------------------------------
    # input validation
    # ------------------------------------------------------------------
    def _check_input(self, X, *, reset):
        """Validate X and return it as rows ``(n_samples, n_features)``.

        Image arrays ``(n, H, W)`` and ``(n, H, W, C)`` are flattened here (and
        their shape recorded in ``image_shape_`` at fit), so that the rest of
        the estimator, feature counts included, sees one row per sample.
        """
        _reject_non_numeric(X, type(self).__name__)
        X = self._images_as_rows(X, reset=reset)
        X = validate_data(
            self, X, reset=reset, dtype=_FLOAT_DTYPES, accept_sparse=False
        )
        if reset:
            self._set_image_shape(X.shape[1])
        return X

    def _images_as_rows(self, X, *, reset):
        ndim = getattr(X, "ndim", None)
        if ndim is None and not hasattr(X, "shape"):
            converted = np.asarray(X)
            ndim = converted.ndim if converted.dtype.kind in "biuf" else None
            if ndim in (3, 4):
                X = converted
        if ndim not in (3, 4):
            if reset:
                self._fit_ndim = 2
            return X
        shape = tuple(X.shape[1:]) + ((1,) if ndim == 3 else ())
        name = type(self).__name__
        if reset:
            self._fit_ndim = ndim
            self._given_image_shape = shape
        elif getattr(self, "image_shape_", None) != shape:
            fitted = getattr(self, "image_shape_", None)
            fitted = "rows of features" if fitted is None else f"images of shape {fitted}"
            raise ValueError(
                f"X holds images of shape {shape} (height, width, channels), but "
                f"{name} was fitted on {fitted}. Resize or crop the images to "
                "match, or fit the estimator on images of this shape."
            )
        return np.asarray(X).reshape(len(X), -1)

    def _set_image_shape(self, n_features):
        """Decide ``image_shape_`` from the images seen or ``input_shape``."""
        name = type(self).__name__
        given = getattr(self, "_given_image_shape", None) if self._fit_ndim > 2 else None
        self.__dict__.pop("_given_image_shape", None)
        declared = None
        if self.input_shape is not None:
            declared = tuple(int(s) for s in self.input_shape)
            if len(declared) == 2:
                declared += (1,)
            if len(declared) != 3 or min(declared) < 1:
                raise ValueError(
                    f"input_shape must be (height, width) or (height, width, "
                    f"channels), got {self.input_shape!r}."
                )
            if given is not None and given != declared:
                raise ValueError(
                    f"input_shape={self.input_shape!r} does not match the images "
                    f"in X, of shape {given}. Drop input_shape (it is read from "
                    "image arrays) or pass images of that shape."
                )
            if int(np.prod(declared)) != n_features:
                raise ValueError(
                    f"X has {n_features} features per row, but input_shape="
                    f"{self.input_shape!r} holds {int(np.prod(declared))} values. "
                    "Pass input_shape=(height, width, channels) with height * "
                    "width * channels equal to the number of features."
                )
        self.image_shape_ = given or declared
        if self.architecture == "conv" and self.image_shape_ is None:
            raise ValueError(
                f"architecture='conv' needs images, but X is 2-D {name} input "
                "without input_shape. Pass X of shape (n_samples, height, width) "
                "or (n_samples, height, width, channels), or flattened rows with "
                "input_shape=(height, width, channels)."
            )

    def _network_shape(self):
        """Shape of one sample as the network sees it."""
        if self.architecture == "conv":
            return self.image_shape_
        return (self.n_features_in_,)

    def _as_given(self, rows, ndim):
        """Reshape rows ``(n, n_features)`` to the user's form of ``ndim`` dims."""
        if ndim == 2 or self.image_shape_ is None:
            return rows
        shape = self.image_shape_ if ndim == 4 else self.image_shape_[:2]
        return rows.reshape((len(rows),) + tuple(shape))

    def _fit_target(self, X, y):
        """The array the network learns to output; X itself for an autoencoder."""
        return X

    def _validation_inputs(self, inputs, seed):
        """The held-out rows as the network meets them in training.

        Early stopping watches the loss on these rows (Keras computes it with
        ``training=False``); the rows themselves here.
        """
        return inputs

    def _check_hyperparameters(self):
        if not _positive_int_sequence(self.hidden_layer_sizes):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )

    # ------------------------------------------------------------------
    # the networks
    # ------------------------------------------------------------------
    def _build_networks(self, input_shape):
        """Return ``(encoder, decoder)`` Keras models for samples of ``input_shape``."""
        output_activation = "sigmoid" if self.loss == "binary_crossentropy" else "linear"
        conv = self.architecture == "conv"
        if conv:
            conv_options = dict(
                kernel_size=self.kernel_size,
                strides=self.strides,
                activation=self.activation,
                dropout=self.dropout,
                batch_normalization=self.batch_normalization,
            )
        encoder = self._user_network(self.encoder, input_shape, self.n_components)
        if encoder is None and conv:
            encoder = build_conv_encoder(
                input_shape,
                self.n_components,
                filters=tuple(self.filters),
                latent_activation=self.latent_activation,
                **conv_options,
            )
        elif encoder is None:
            encoder = build_dense_encoder(
                input_shape[0],
                self.n_components,
                hidden_layer_sizes=tuple(self.hidden_layer_sizes),
                activation=self.activation,
                latent_activation=self.latent_activation,
                dropout=self.dropout,
                batch_normalization=self.batch_normalization,
            )
        decoder = self._user_network(self.decoder, self.n_components, input_shape)
        if decoder is None and conv:
            decoder = build_conv_decoder(
                self.n_components,
                input_shape,
                filters=tuple(reversed(tuple(self.filters))),
                output_activation=output_activation,
                **conv_options,
            )
        elif decoder is None:
            decoder = build_dense_decoder(
                self.n_components,
                input_shape[0],
                hidden_layer_sizes=tuple(reversed(tuple(self.hidden_layer_sizes))),
                activation=self.activation,
                output_activation=output_activation,
                dropout=self.dropout,
                batch_normalization=self.batch_normalization,
            )
        return encoder, decoder

    @staticmethod
    def _user_network(spec, input_spec, output_spec):
        """A fresh copy of a user's network, or the network a builder returns."""
        if spec is None:
            return None
        if isinstance(spec, keras.Model):
            network = keras.models.clone_model(spec)
            network.set_weights(spec.get_weights())
            return network
        network = spec(input_spec, output_spec)
        if not isinstance(network, keras.Model):
            raise TypeError(
                "A builder given as encoder or decoder must return a keras.Model, "
                f"got {type(network).__name__}."
            )
        return network

    def _assemble(self, input_shape):
        encoder, decoder = self._build_networks(input_shape)
        name = type(self).__name__
        self._check_network_shapes(encoder, decoder, input_shape)
        inputs = keras.Input(shape=input_shape, name="input")
        return keras.Model(inputs, decoder(encoder(inputs)), name=name.lower())

    def _check_network_shapes(self, encoder, decoder, input_shape):
        code_shape = tuple(encoder.output_shape[1:])
        if code_shape != (self.n_components,):
            raise ValueError(
                f"The encoder outputs codes of shape {code_shape}, but "
                f"n_components={self.n_components}. Make the encoder's last layer "
                f"output {self.n_components} units, or set n_components to match."
            )
        if tuple(decoder.input_shape[1:]) != code_shape:
            raise ValueError(
                f"The decoder reads inputs of shape {tuple(decoder.input_shape[1:])}, "
                f"but the encoder outputs codes of shape {code_shape}."
            )
        if tuple(decoder.output_shape[1:]) != tuple(input_shape):
            raise ValueError(
                f"The decoder outputs samples of shape "
                f"{tuple(decoder.output_shape[1:])}, but the encoder reads samples "
                f"of shape {tuple(input_shape)}: the decoder must output that shape."
            )

    def _link_networks(self):
        """Point ``encoder_``/``decoder_`` at the sub-models of ``model_``."""
        _, self.encoder_, self.decoder_ = self.model_.layers[:3]
        self._inference_models = {}

    def _make_optimizer(self):
        optimizer = self.optimizer
        if isinstance(optimizer, keras.optimizers.Optimizer):
            # a fresh copy: never train (and so mutate) the user's instance
            return optimizer.__class__.from_config(optimizer.get_config())
        if isinstance(optimizer, str):
            optimizer = type(keras.optimizers.get(optimizer))
        return optimizer(learning_rate=self.learning_rate)

    def _compile(self, model):
        loss = (
            keras.losses.BinaryCrossentropy()
            if self.loss == "binary_crossentropy"
            else keras.losses.MeanSquaredError()
        )
        model.compile(loss=loss, **self._compile_options())

    def _compile_options(self):
        """Keras ``compile`` arguments every skae model trains with.

        ``steps_per_execution``: on CPU, running 32 training steps per call of
        the compiled function instead of one cuts the Python and dispatch cost
        per step; the updates, and so the losses, are identical. With the
        in-memory batches of ``_in_memory_batches``, fit takes 0.44x the time
        of plain ``model.fit`` (``benchmarks/training_speed.py``).
        """
        return dict(
            optimizer=self._make_optimizer(),
            run_eagerly=self.run_eagerly,
            steps_per_execution=STEPS_PER_EXECUTION,
        )

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder to X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        reset = not (self.warm_start and hasattr(self, "model_"))
        return self._fit(X, y, sample_weight, epochs=self.epochs, reset=reset)

    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one more epoch on X, building the model on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Training data: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sample in the loss.

        Returns
        -------
        self : object
            The estimator, trained one epoch further.
        """
        first_call = not hasattr(self, "model_")
        if first_call:
            self._validate_params()
        return self._fit(X, y, sample_weight, epochs=1, reset=first_call, partial=True)

    def _fit(self, X, y, sample_weight, *, epochs, reset, partial=False):
        self._check_hyperparameters()
        X = self._check_input(X, reset=reset)
        target = self._fit_target(X, y)
        n_samples = X.shape[0]
        name = type(self).__name__
        if n_samples < 2:
            raise ValueError(
                f"{name} needs at least 2 samples to fit, got n_samples = "
                f"{n_samples} (1 sample)."
            )
        if self.loss == "binary_crossentropy" and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                "loss='binary_crossentropy' needs X in [0, 1], but X ranges from "
                f"{X.min():g} to {X.max():g}. Scale it with MinMaxScaler, or use "
                "loss='mse'."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, dtype=np.float64, ensure_non_negative=True
            )

        if reset:
            rng = check_random_state(self.random_state)
            self._seed = int(rng.randint(np.iinfo(np.int32).max))
            if self.loss == "binary_crossentropy":
                self.mean_, self.scale_ = np.zeros(X.shape[1:]), 1.0
            else:
                self.mean_, self.scale_ = _robust_center_scale(X)
            with seeded(self._seed):
                model = self._assemble(self._network_shape())
            self._compile(model)
            self.model_ = model
            self._link_networks()
            self.history_ = defaultdict(list)
        seed = self._seed + len(self.history_.get("loss", ()))

        # An autoencoder's target is its input: one array serves as both, so
        # large data is not copied twice.
        same_target = target is X
        inputs = self._to_network(self._standardize(X), keras.backend.floatx())
        if same_target:
            targets = inputs
        else:
            targets = self._to_network(self._standardize(target), keras.backend.floatx())
        if sample_weight is not None:
            sample_weight = sample_weight.astype(keras.backend.floatx())
        batch_size = min(self.batch_size, n_samples)
        fit_kwargs = {}
        monitor = "loss"
        if self.early_stopping and not partial:
            train, val = self._validation_split(n_samples, seed)
            val_inputs = inputs[val]
            fit_kwargs["validation_data"] = _in_memory_batches(
                (
                    self._validation_inputs(val_inputs, seed),
                    val_inputs if same_target else targets[val],
                    _take(sample_weight, val),
                ),
                batch_size,
            )
            inputs = inputs[train]
            targets = inputs if same_target else targets[train]
            sample_weight = _take(sample_weight, train)
            monitor = "val_loss"
        callbacks = self._training_callbacks(monitor, partial)

        initial_epoch = len(self.history_.get("loss", ()))
        try:
            with seeded(seed), no_retracing_warning():
                history = self.model_.fit(
                    **_in_memory_batches(
                        (inputs, targets, sample_weight), batch_size, shuffle_seed=seed
                    ),
                    epochs=initial_epoch + epochs,
                    initial_epoch=initial_epoch,
                    callbacks=callbacks,
                    verbose=self.verbose,
                    **fit_kwargs,
                )
        finally:
            self._inference_models = {}
        for key, values in history.history.items():
            self.history_[key].extend(float(v) for v in values)
        self._check_training_finite()
        self.n_iter_ = len(self.history_["loss"])
        return self

    def _validation_split(self, n_samples, seed):
        n_val = int(np.floor(self.validation_fraction * n_samples))
        if n_val < 1 or n_val >= n_samples:
            raise ValueError(
                f"validation_fraction={self.validation_fraction} leaves "
                f"{'no validation' if n_val < 1 else 'no training'} sample with "
                f"n_samples={n_samples}. Use more samples, a "
                f"{'larger' if n_val < 1 else 'smaller'} validation_fraction, or "
                "early_stopping=False."
            )
        order = np.random.RandomState(seed).permutation(n_samples)
        return np.sort(order[n_val:]), np.sort(order[:n_val])

    def _training_callbacks(self, monitor, partial):
        callbacks = [keras.callbacks.TerminateOnNaN()]
        if self.early_stopping and not partial:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor,
                    patience=self.n_iter_no_change,
                    min_delta=self.tol,
                    restore_best_weights=True,
                )
            )
        schedule_given = not isinstance(self.learning_rate, numbers.Real)
        if self.reduce_lr_on_plateau and not partial and not schedule_given:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor=monitor,
                    factor=0.5,
                    patience=max(1, self.n_iter_no_change // 2),
                    min_delta=self.tol,
                    min_lr=1e-6,
                )
            )
        return callbacks + list(self.callbacks or [])

    def _check_training_finite(self):
        losses = self.history_.get("loss", [])
        weights_finite = all(
            np.all(np.isfinite(keras.ops.convert_to_numpy(w)))
            for w in self.model_.weights
        )
        if np.all(np.isfinite(losses)) and weights_finite:
            return
        self._forget_fit()
        raise ValueError(
            f"Training of {type(self).__name__} diverged: the loss became NaN or "
            "infinite, so the model was discarded. Lower learning_rate, scale X "
            "(e.g. with StandardScaler), or check X for extreme values."
        )

    def _forget_fit(self):
        """Remove every fitted attribute: the estimator is unfitted again."""
        for attribute in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attribute)

    # ------------------------------------------------------------------
    # the one inference path
    # ------------------------------------------------------------------
    def _to_network(self, rows, dtype):
        """Rows ``(n, n_features)`` as the network's input, in ``dtype``."""
        return np.asarray(rows, dtype=dtype).reshape((len(rows),) + self._network_shape())

    def _standardize(self, X):
        # in X's own precision: float32 rows stay float32 (no float64 copy)
        dtype = X.dtype if X.dtype in _FLOAT_DTYPES else np.dtype(np.float64)
        return (X - self.mean_.astype(dtype, copy=False)) / dtype.type(self.scale_)

    def _unstandardize(self, X):
        dtype = X.dtype if X.dtype in _FLOAT_DTYPES else np.dtype(np.float64)
        return X * dtype.type(self.scale_) + self.mean_.astype(dtype, copy=False)

    def _networks_for(self, dtype):
        """Encoder and decoder computing in ``dtype`` (built once per fit)."""
        dtype = np.dtype(dtype).name
        if dtype not in self._inference_models:
            if dtype == keras.backend.floatx() or not backend_computes_float64():
                networks = (self.encoder_, self.decoder_)
            else:
                try:
                    networks = (_float64_copy(self.encoder_), _float64_copy(self.decoder_))
                except Exception:  # noqa: BLE001 - e.g. subclassed user models
                    networks = (self.encoder_, self.decoder_)
            self._inference_models[dtype] = networks
        return self._inference_models[dtype]

    def _encode_batch(self, encoder, batch):
        return encoder.predict_on_batch(batch)

    def _decode_batch(self, decoder, batch):
        return decoder.predict_on_batch(batch)

    def _forward(self, X, *, encode=True, decode=True):
        """Run X through the encoder and/or decoder in bounded-size chunks.

        Computes in X's float precision (float64 input is run through a float64
        copy of the network) and returns X's dtype. Every public inference
        method goes through here.
        """
        dtype = X.dtype
        encoder, decoder = self._networks_for(dtype)
        with no_retracing_warning():
            return self._forward_batches(X, encoder, decoder, encode, decode)

    def _forward_batches(self, X, encoder, decoder, encode, decode):
        dtype = X.dtype
        out = None
        pad = compiles_per_batch_shape()
        for start in range(0, X.shape[0], INFERENCE_BATCH_SIZE):
            batch = X[start : start + INFERENCE_BATCH_SIZE]
            n_rows = len(batch)
            if pad:
                batch = _pad_rows(batch)
            if encode:
                batch = self._encode_batch(
                    encoder, self._to_network(self._standardize(batch), dtype)
                )
            if decode:
                decoded = np.asarray(self._decode_batch(decoder, np.asarray(batch, dtype)))
                batch = self._unstandardize(decoded.reshape(len(decoded), -1))
            batch = np.asarray(batch)[:n_rows]
            if out is None:
                out = np.empty((X.shape[0],) + batch.shape[1:], dtype=dtype)
            out[start : start + n_rows] = batch
        return out

    # ------------------------------------------------------------------
    # public inference
    # ------------------------------------------------------------------
    def transform(self, X):
        """Encode X into its codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to encode: rows, or images ``(n_samples, height, width)`` or
            ``(n_samples, height, width, channels)``.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in X's float dtype.
        """
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        return self._forward(X, decode=False)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features) or image array
            The decoded data, in the codes' float dtype, shaped like the data
            seen in ``fit`` (rows, or images of ``image_shape_``).
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=_FLOAT_DTYPES, input_name="X")
        if Z.shape[1] != self.n_components:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}."
                f"inverse_transform expects codes with n_components="
                f"{self.n_components} features."
            )
        return self._as_given(self._forward(Z, encode=False), self._fit_ndim)

    def reconstruct(self, X):
        """Encode then decode X: its reconstruction by the autoencoder.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or image array
            Data to reconstruct: rows, or images ``(n_samples, height, width)``
            or ``(n_samples, height, width, channels)``.

        Returns
        -------
        X_reconstructed : ndarray of the shape of X
            The reconstruction, in X's float dtype and shape.
        """
        check_is_fitted(self)
        ndim = np.ndim(X)
        X = self._check_input(X, reset=False)
        return self._as_given(self._forward(X), ndim)

    def score_samples(self, X):
        """Minus the mean squared reconstruction error of each sample.

        Higher is better reconstructed (more typical of the training data).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-mean((X - reconstruct(X)) ** 2, axis=1)``, as float64.
        """
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        return self._score_samples(X)

    def _score_samples(self, X):
        errors = np.asarray(X, dtype=np.float64) - self._forward(X)
        return -np.mean(errors.reshape(len(X), -1) ** 2, axis=1)

    def score(self, X, y=None, sample_weight=None):
        """Mean of ``score_samples``: minus the mean squared reconstruction error.

        Higher is better, so ``GridSearchCV`` can tune an autoencoder without
        a scorer, as it does ``PCA``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples in the mean.

        Returns
        -------
        score : float
        """
        scores = self.score_samples(X)
        return float(np.average(scores, weights=sample_weight))
