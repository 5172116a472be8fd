"""The parameters skae's estimators share: their constraints and their docs.

One source for both, so the four estimators cannot drift apart. The explicit
``__init__`` signatures stay in each estimator (scikit-learn reads them);
their docstrings name a shared entry, or a group of them, by a line holding
only ``{name}``, and ``fill_shared_docs`` writes the entries there, with an
estimator's own note appended where its meaning differs. An entry an
estimator must say differently is written out in its docstring instead of
the placeholder.
"""

import numbers

from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._docstrings import fill_docs

PARAMETER_CONSTRAINTS = {
    "n_components": [Interval(numbers.Integral, 1, None, closed="left")],
    "architecture": [StrOptions({"dense", "conv", "sequence"})],
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
    # checked against the backend in fit (skae._engine.distribution)
    "distribution": [None, HasMethods(["scope"])],
}

# name: (numpydoc header line, description as one paragraph)
SHARED_DOCS = {
    "n_components": ("n_components : int, default=2", "Size of the code (the bottleneck)."),
    "architecture": (
        'architecture : {"dense", "conv", "sequence"}, default="dense"',
        '"dense" builds fully connected networks from ``hidden_layer_sizes``; '
        '"conv" builds convolutional networks from ``filters`` for images, given '
        "as arrays ``(n_samples, height, width)``, ``(n_samples, height, width, "
        'channels)``, or flattened rows with ``input_shape``; "sequence" builds '
        "1-D convolutional networks from ``filters`` for windows of a series, "
        "given as arrays ``(n_windows, timesteps, features)`` (cut by "
        ":class:`skae.preprocessing.SlidingWindows`), or flattened rows with "
        "``input_shape=(timesteps, features)``.",
    ),
    "input_shape": (
        "input_shape : tuple of int, default=None",
        "``(height, width)`` or ``(height, width, channels)`` of images given as "
        "flattened rows (as after other transformers in a ``Pipeline``); "
        '``(timesteps, features)`` of flattened windows with ``architecture="sequence"``. '
        "Read from the data when X is an image (or window) array.",
    ),
    "hidden_layer_sizes": (
        "hidden_layer_sizes : tuple of int, default=(128, 64)",
        "Units of the encoder's hidden layers, input side first; the decoder "
        'mirrors them. Used by ``architecture="dense"``.',
    ),
    "filters": (
        "filters : tuple of int, default=(32, 64, 128)",
        "Filters of the encoder's convolutions, input side first; the decoder "
        'mirrors them. Used by ``architecture="conv"`` and ``"sequence"``; '
        "images and windows of any size round-trip exactly: what the strided "
        "layers round up is cropped off inside the model.",
    ),
    "kernel_size": (
        "kernel_size : int, default=3",
        "Size of the square convolution kernels (the length, in time steps, of "
        'the 1-D kernels of ``architecture="sequence"``).',
    ),
    "strides": (
        "strides : int, default=2",
        "Stride of each convolution: the image (or window) shrinks by this factor "
        "per layer.",
    ),
    "activation": (
        'activation : str, default="relu"',
        "Activation of the hidden layers.",
    ),
    "latent_activation": (
        'latent_activation : str, default="linear"',
        "Activation of the code layer. Linear by default: a ReLU bottleneck "
        "silences latent units.",
    ),
    "loss": (
        'loss : {"mse", "binary_crossentropy"}, default="mse"',
        '"mse" trains a linear output on the mean squared error; '
        '"binary_crossentropy" a sigmoid output, for data in [0, 1].',
    ),
    "dropout": ("dropout : float, default=0.0", "Dropout rate after each hidden layer."),
    "batch_normalization": (
        "batch_normalization : bool, default=False",
        "Batch normalization before each hidden activation.",
    ),
    "encoder": (
        "encoder : callable or keras.Model, default=None",
        "Your own encoder: a ``keras.Model`` (copied, its weights the starting "
        "point) or a builder ``encoder(input_shape, n_components)`` returning "
        "one. None builds the encoder the parameters above describe, dense or "
        "convolutional by ``architecture``.",
    ),
    "decoder": (
        "decoder : callable or keras.Model, default=None",
        "Your own decoder: a ``keras.Model`` or a builder ``decoder(n_components, "
        "output_shape)`` returning one. None builds the decoder that mirrors "
        "the encoder.",
    ),
    "optimizer": (
        'optimizer : str, class or keras.optimizers.Optimizer, default="adam"',
        "Keras optimizer. A name or class is built with ``learning_rate``; an "
        "instance is copied with its own configuration.",
    ),
    "learning_rate": (
        "learning_rate : float or keras.optimizers.schedules.LearningRateSchedule, "
        "default=1e-3",
        "Learning rate of the optimizer, or a schedule.",
    ),
    "epochs": ("epochs : int, default=200", "Maximum number of passes over the training data."),
    "batch_size": (
        "batch_size : int, default=32",
        "Samples per gradient step (capped at the number of training samples).",
    ),
    "early_stopping": (
        "early_stopping : bool, default=True",
        "Hold out ``validation_fraction`` of the data, stop when its loss has not "
        "improved by ``tol`` for ``n_iter_no_change`` epochs, and restore the "
        "best weights. Where ``validation_fraction`` of the rows is less than "
        "one row (fewer than 10 rows with the default 0.1), ``fit`` trains on "
        "every row without early stopping, as with False, instead of refusing "
        "so few rows; ``early_stopping_`` says which it did. ``partial_fit`` "
        "never stops early.",
    ),
    "validation_fraction": (
        "validation_fraction : float, default=0.1",
        "Fraction of the training data held out for early stopping.",
    ),
    "n_iter_no_change": (
        "n_iter_no_change : int, default=10",
        "Patience of early stopping, in epochs; the learning rate is halved after "
        "half as many epochs without improvement.",
    ),
    "tol": ("tol : float, default=1e-4", "Smallest improvement of the monitored loss that counts."),
    "reduce_lr_on_plateau": (
        "reduce_lr_on_plateau : bool, default=True",
        "Halve the learning rate when the monitored loss stalls (validation loss "
        "with early stopping, training loss otherwise).",
    ),
    "callbacks": (
        "callbacks : list of keras.callbacks.Callback, default=None",
        "Extra Keras callbacks for training. Training runs 32 steps per call of "
        "Keras's compiled function, so batch-level hooks see every 32nd batch; "
        "epoch-level hooks see every epoch.",
    ),
    "warm_start": (
        "warm_start : bool, default=False",
        "When True, ``fit`` continues training the existing model.",
    ),
    "random_state": (
        "random_state : int, RandomState instance or None, default=None",
        "Seeds weight initialisation, the validation split and shuffling: the "
        "same int gives the same model, and the global Python, NumPy, TensorFlow "
        "and Keras random states are left as they were. With None, each fit "
        "draws its seed from NumPy's global generator, as scikit-learn "
        "estimators do.",
    ),
    "verbose": (
        "verbose : int, default=0",
        "Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch.",
    ),
    "run_eagerly": (
        "run_eagerly : bool, default=False",
        "Run training step by step in Python instead of compiling it: slower on "
        "real data, but easier to debug and quicker for a handful of rows.",
    ),
    "distribution": (
        "distribution : tf.distribute.Strategy or keras.distribution.DataParallel, "
        "default=None",
        "Train data-parallel on several devices, with what the Keras backend "
        "offers: on TensorFlow a ``tf.distribute.MirroredStrategy`` (the devices "
        "of one machine), on JAX a ``keras.distribution.DataParallel`` (local "
        "devices, or several hosts after ``keras.distribution.initialize``). The "
        "model is built and trained inside the distribution's ``scope()``, which "
        "on JAX makes it Keras's global distribution for the duration of the fit "
        "only. ``batch_size`` stays the global batch, split over the replicas (on "
        "JAX it must be a multiple of their number). The fitted model predicts on "
        "one device like any other; pickles and ``save`` leave the distribution "
        "out, and fitting a loaded estimator asks for it again. None trains on "
        "one device. See the user guide's \"Scaling out\" page.",
    ),
    # parameters of fit and partial_fit
    "training_X": (
        "X : array-like of shape (n_samples, n_features) or image array",
        "Training data: rows, or images ``(n_samples, height, width)`` or "
        "``(n_samples, height, width, channels)``, or windows ``(n_windows, "
        'timesteps, features)`` with ``architecture="sequence"``.',
    ),
    "ignored_y": ("y : Ignored", "Not used, present for API consistency by convention."),
    "sample_weight": (
        "sample_weight : array-like of shape (n_samples,), default=None",
        "Non-negative weight of each sample in the loss.",
    ),
    # fitted attributes
    "model_": (
        "model_ : keras.Model",
        "The trained autoencoder (input -> encoder -> decoder), on standardised data. "
        "On TensorFlow a fit may keep its trained state as tensors and build this "
        "model when it is first accessed (the same weights and optimizer state): "
        "``transform`` and the scores never need it.",
    ),
    "encoder_": ("encoder_ : keras.Model", "The encoder, a sub-model of ``model_`` sharing its layers."),
    "decoder_": ("decoder_ : keras.Model", "The decoder, a sub-model of ``model_`` sharing its layers."),
    "history_": (
        "history_ : dict of list",
        "Per-epoch ``loss`` (and ``val_loss`` with early stopping, and the "
        "learning rate when it was reduced), in standardised units.",
    ),
    "n_iter_": ("n_iter_ : int", "Number of epochs trained."),
    "early_stopping_": (
        "early_stopping_ : bool",
        "Whether the last fit held out ``validation_fraction`` of the rows for "
        "early stopping: ``early_stopping``, but False where X had too few rows "
        "to hold out one (see ``early_stopping``), and after ``partial_fit``.",
    ),
    "mean_": (
        "mean_ : ndarray of shape (n_features,)",
        "Per-feature mean subtracted before the network.",
    ),
    "scale_": ("scale_ : float", "Global scale the centred data is divided by."),
    "image_shape_": (
        "image_shape_ : tuple of int or None",
        "``(height, width, channels)`` of the images seen during fit (or of "
        '``input_shape``); ``(timesteps, features)`` of the windows with '
        '``architecture="sequence"`` (the shape of one sample, whatever its kind); '
        "None for rows of features.",
    ),
    "n_features_in_": (
        "n_features_in_ : int",
        "Number of features seen during fit (values per image for images).",
    ),
    "feature_names_in_": (
        "feature_names_in_ : ndarray of shape (n_features_in_,)",
        "Names of features seen during fit, when X has string column names.",
    ),
}

# Runs of entries that every estimator shares, in signature order.
SHARED_GROUPS = {
    "network_parameters": (
        "architecture",
        "input_shape",
        "hidden_layer_sizes",
        "filters",
        "kernel_size",
        "strides",
        "activation",
        "latent_activation",
    ),
    "layer_parameters": ("dropout", "batch_normalization", "encoder", "decoder"),
    "training_parameters": (
        "optimizer",
        "learning_rate",
        "epochs",
        "batch_size",
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "tol",
        "reduce_lr_on_plateau",
        "callbacks",
        "warm_start",
        "random_state",
        "verbose",
        "run_eagerly",
        "distribution",
    ),
}
# the whole signature after n_components, where an estimator adds nothing
SHARED_GROUPS["autoencoder_parameters"] = (
    SHARED_GROUPS["network_parameters"]
    + ("loss",)
    + SHARED_GROUPS["layer_parameters"]
    + SHARED_GROUPS["training_parameters"]
)
SHARED_GROUPS |= {
    "network_attributes": (
        "model_",
        "encoder_",
        "decoder_",
        "history_",
        "n_iter_",
        "early_stopping_",
    ),
    "fit_parameters": ("training_X", "ignored_y", "sample_weight"),
    "data_attributes": (
        "mean_",
        "scale_",
        "image_shape_",
        "n_features_in_",
        "feature_names_in_",
    ),
}


def fill_shared_docs(**notes):
    """Class decorator: the shared entries, with this estimator's notes.

    See ``skae._docstrings.fill_docs``; the entries are ``SHARED_DOCS`` and
    the groups ``SHARED_GROUPS``.
    """
    return fill_docs(SHARED_DOCS, SHARED_GROUPS, **notes)
