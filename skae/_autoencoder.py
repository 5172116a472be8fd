"""AutoencoderTransformer: a nonlinear drop-in replacement for PCA."""

from sklearn.base import ClassNamePrefixFeaturesOutMixin, TransformerMixin

from ._base import _BaseAutoencoder


class AutoencoderTransformer(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _BaseAutoencoder
):
    """Autoencoder dimensionality reduction with the API of ``PCA``.

    A Keras encoder maps each sample to ``n_components`` codes and a decoder
    maps the codes back; both are trained to minimise the mean squared
    reconstruction error. ``transform`` returns the codes,
    ``inverse_transform`` decodes them and ``score`` is minus the mean squared
    reconstruction error, so the estimator drops into a ``Pipeline`` or
    ``GridSearchCV`` wherever ``PCA`` does.

    The input is centred per feature and divided by one global scale before
    the network (the inverse is applied to its output), so training is well
    conditioned whatever the data's units while the loss stays proportional
    to the plain mean squared error. With ``loss="binary_crossentropy"`` the
    data must lie in [0, 1] and is used as it is.

    Parameters
    ----------
    n_components : int, default=2
        Size of the code (the bottleneck).
    architecture : {"dense", "conv"}, default="dense"
        "dense" builds fully connected networks from ``hidden_layer_sizes``;
        "conv" builds convolutional networks from ``filters`` for images,
        given as arrays ``(n_samples, height, width)``, ``(n_samples, height,
        width, channels)``, or flattened rows with ``input_shape``.
    input_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)`` of images given as
        flattened rows (as after other transformers in a ``Pipeline``). Read
        from the data when X is an image array.
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units of the encoder's hidden layers, input side first; the decoder
        mirrors them. Used by ``architecture="dense"``.
    filters : tuple of int, default=(32, 64, 128)
        Filters of the encoder's convolutions, input side first; the decoder
        mirrors them. Used by ``architecture="conv"``; images of any size are
        padded and cropped inside the model to round-trip exactly.
    kernel_size : int, default=3
        Size of the square convolution kernels.
    strides : int, default=2
        Stride of each convolution: the image shrinks by this factor per layer.
    activation : str, default="relu"
        Activation of the hidden layers.
    latent_activation : str, default="linear"
        Activation of the code layer. Linear by default: a ReLU bottleneck
        silences latent units.
    loss : {"mse", "binary_crossentropy"}, default="mse"
        "mse" trains a linear output on the mean squared error;
        "binary_crossentropy" a sigmoid output, for data in [0, 1].
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    batch_normalization : bool, default=False
        Batch normalization before each hidden activation.
    encoder : callable or keras.Model, default=None
        Your own encoder: a ``keras.Model`` (copied, its weights the starting
        point) or a builder ``encoder(input_shape, n_components)`` returning
        one. None builds the dense encoder described by the parameters above.
    decoder : callable or keras.Model, default=None
        Your own decoder: a ``keras.Model`` or a builder
        ``decoder(n_components, output_shape)`` returning one.
    optimizer : str, class or keras.optimizers.Optimizer, default="adam"
        Keras optimizer. A name or class is built with ``learning_rate``; an
        instance is copied with its own configuration.
    learning_rate : float or keras.optimizers.schedules.LearningRateSchedule, \
            default=1e-3
        Learning rate of the optimizer, or a schedule.
    epochs : int, default=200
        Maximum number of passes over the training data.
    batch_size : int, default=32
        Samples per gradient step (capped at the number of training samples).
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the data, stop when its loss has
        not improved by ``tol`` for ``n_iter_no_change`` epochs, and restore
        the best weights.
    validation_fraction : float, default=0.1
        Fraction of the training data held out for early stopping.
    n_iter_no_change : int, default=10
        Patience of early stopping, in epochs; the learning rate is halved
        after half as many epochs without improvement.
    tol : float, default=1e-4
        Smallest improvement of the monitored loss that counts.
    reduce_lr_on_plateau : bool, default=True
        Halve the learning rate when the monitored loss stalls (validation
        loss with early stopping, training loss otherwise).
    callbacks : list of keras.callbacks.Callback, default=None
        Extra Keras callbacks for training. Training runs 32 steps per
        call of Keras's compiled function, so batch-level hooks see every
        32nd batch; epoch-level hooks see every epoch.
    warm_start : bool, default=False
        When True, ``fit`` continues training the existing model.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, the validation split and shuffling: the
        same int gives the same model, and the global Python, NumPy,
        TensorFlow and Keras random states are left as they were. With None,
        each fit draws its seed from NumPy's global generator, as scikit-learn
        estimators do.
    verbose : int, default=0
        Keras verbosity: 0 silent, 1 progress bar, 2 one line per epoch.
    run_eagerly : bool, default=False
        Run training step by step in Python instead of compiling it: slower
        on real data, but easier to debug and quicker for a handful of rows.

    Attributes
    ----------
    model_ : keras.Model
        The trained autoencoder (input -> encoder -> decoder), on standardised
        data.
    encoder_ : keras.Model
        The encoder, a sub-model of ``model_`` sharing its layers.
    decoder_ : keras.Model
        The decoder, a sub-model of ``model_`` sharing its layers.
    history_ : dict of list
        Per-epoch ``loss`` (and ``val_loss`` with early stopping, and the
        learning rate when it was reduced), in standardised units.
    n_iter_ : int
        Number of epochs trained.
    mean_ : ndarray of shape (n_features,)
        Per-feature mean subtracted before the network.
    scale_ : float
        Global scale the centred data is divided by.
    image_shape_ : tuple of int or None
        ``(height, width, channels)`` of the images seen during fit (or of
        ``input_shape``); None for rows of features.
    n_features_in_ : int
        Number of features seen during fit (values per image for images).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.decomposition.PCA : The linear counterpart.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(n_components=4, epochs=5, random_state=0)
    >>> ae.fit_transform(X / 16).shape
    (1797, 4)
    >>> ae.inverse_transform(ae.transform(X[:3] / 16)).shape
    (3, 64)
    """

    # Bound here, not inherited, because set_output(transform="pandas") wraps
    # only the methods a class defines itself.
    transform = _BaseAutoencoder.transform

    @property
    def _n_features_out(self):
        return self.n_components
