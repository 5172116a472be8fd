"""Fully connected encoder and decoder builders."""

import keras


def _dense_block(x, units, *, activation, dropout, batch_normalization, name, dtype):
    x = keras.layers.Dense(
        units,
        use_bias=not batch_normalization,
        name=f"{name}_dense",
        dtype=dtype,
    )(x)
    if batch_normalization:
        x = keras.layers.BatchNormalization(name=f"{name}_batchnorm", dtype=dtype)(x)
    x = keras.layers.Activation(activation, name=f"{name}_activation", dtype=dtype)(x)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{name}_dropout", dtype=dtype)(x)
    return x


def build_dense_encoder(
    n_features,
    n_components,
    *,
    hidden_layer_sizes=(128, 64),
    activation="relu",
    latent_activation="linear",
    dropout=0.0,
    batch_normalization=False,
    dtype=None,
    name="encoder",
):
    """Build a fully connected encoder: ``n_features`` -> hidden layers -> codes.

    The seed tutorial's ``create_basic_autoencoder`` encoder (Dense 128 -> 64
    -> latent) generalised. The latent layer is linear by default: a ReLU
    bottleneck silences every latent unit whose input turns negative.

    Parameters
    ----------
    n_features : int
        Number of input features.
    n_components : int
        Size of the code (the latent layer).
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units of the hidden layers, from the input towards the code.
    activation : str, default="relu"
        Activation of the hidden layers (any Keras activation name).
    latent_activation : str, default="linear"
        Activation of the latent layer.
    dropout : float, default=0.0
        Dropout rate after each hidden layer; 0 adds no dropout layer.
    batch_normalization : bool, default=False
        Add batch normalization before each hidden activation.
    dtype : str, default=None
        Keras dtype policy of the layers (None: Keras's global policy).
    name : str, default="encoder"
        Name of the returned model.

    Returns
    -------
    encoder : keras.Model
        Maps ``(batch, n_features)`` to ``(batch, n_components)``.

    Examples
    --------
    >>> from skae.architectures import build_dense_encoder
    >>> encoder = build_dense_encoder(64, 8, hidden_layer_sizes=(32,))
    >>> encoder.output_shape
    (None, 8)
    """
    inputs = keras.Input(shape=(n_features,), name=f"{name}_input", dtype=dtype)
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = _dense_block(
            x,
            units,
            activation=activation,
            dropout=dropout,
            batch_normalization=batch_normalization,
            name=f"{name}_hidden{i}",
            dtype=dtype,
        )
    codes = keras.layers.Dense(
        n_components, activation=latent_activation, name=f"{name}_codes", dtype=dtype
    )(x)
    return keras.Model(inputs, codes, name=name)


def build_dense_decoder(
    n_components,
    n_features,
    *,
    hidden_layer_sizes=(64, 128),
    activation="relu",
    output_activation="linear",
    dropout=0.0,
    batch_normalization=False,
    dtype=None,
    name="decoder",
):
    """Build a fully connected decoder: codes -> hidden layers -> ``n_features``.

    Parameters
    ----------
    n_components : int
        Size of the code the decoder reads.
    n_features : int
        Number of output features.
    hidden_layer_sizes : tuple of int, default=(64, 128)
        Units of the hidden layers, from the code towards the output (the
        mirror of the encoder's).
    activation : str, default="relu"
        Activation of the hidden layers.
    output_activation : str, default="linear"
        Activation of the output layer: "linear" for a mean squared error
        loss, "sigmoid" for binary cross-entropy on data in [0, 1].
    dropout : float, default=0.0
        Dropout rate after each hidden layer.
    batch_normalization : bool, default=False
        Add batch normalization before each hidden activation.
    dtype : str, default=None
        Keras dtype policy of the layers (None: Keras's global policy).
    name : str, default="decoder"
        Name of the returned model.

    Returns
    -------
    decoder : keras.Model
        Maps ``(batch, n_components)`` to ``(batch, n_features)``.

    Examples
    --------
    >>> from skae.architectures import build_dense_decoder
    >>> decoder = build_dense_decoder(8, 64, hidden_layer_sizes=(32,))
    >>> decoder.output_shape
    (None, 64)
    """
    inputs = keras.Input(shape=(n_components,), name=f"{name}_input", dtype=dtype)
    x = inputs
    for i, units in enumerate(hidden_layer_sizes):
        x = _dense_block(
            x,
            units,
            activation=activation,
            dropout=dropout,
            batch_normalization=batch_normalization,
            name=f"{name}_hidden{i}",
            dtype=dtype,
        )
    outputs = keras.layers.Dense(
        n_features, activation=output_activation, name=f"{name}_output", dtype=dtype
    )(x)
    return keras.Model(inputs, outputs, name=name)
