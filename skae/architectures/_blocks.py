"""The hidden block every builder stacks, dense or convolutional."""

import keras


def hidden_layers(
    x,
    sizes,
    make_layer,
    *,
    activation,
    dropout,
    batch_normalization,
    dtype,
    name,
    dropout_layer=keras.layers.Dropout,
):
    """``x`` through one hidden block per entry of ``sizes``.

    Block ``i`` (its layers' names start with ``f"{name}{i}"``) is
    ``make_layer(size, name=..., use_bias=...)``, then batch normalization
    when ``batch_normalization`` (the layer then has no bias: the
    normalization's offset replaces it), the activation, and
    ``dropout_layer(dropout)`` when ``dropout`` is not 0.
    """
    for i, size in enumerate(sizes):
        block = f"{name}{i}"
        x = make_layer(size, name=block, use_bias=not batch_normalization)(x)
        if batch_normalization:
            x = keras.layers.BatchNormalization(name=f"{block}_batchnorm", dtype=dtype)(x)
        x = keras.layers.Activation(activation, name=f"{block}_activation", dtype=dtype)(x)
        if dropout:
            x = dropout_layer(dropout, name=f"{block}_dropout", dtype=dtype)(x)
    return x
