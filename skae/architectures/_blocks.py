"""The hidden block every builder stacks, dense or convolutional, layer seeds, names."""

import random
import re
from functools import partial

import keras

from .._validation import as_int, as_int_tuple
from ..layers import TrailingCondition


def layer_seeds(seed):
    """A callable giving the seed of each random layer, in construction order.

    ``seed`` is an int (a stream of layer seeds starts from it), a
    ``random.Random`` (the stream continues from it, so that an encoder and
    its decoder can draw from one stream), or None: then every call gives
    None, and Keras draws each seed from Python's global ``random``. The
    seeds are those Keras itself would draw after ``random.seed(seed)``.
    """
    if seed is None:
        return lambda: None
    stream = seed if isinstance(seed, random.Random) else random.Random(seed)
    return lambda: stream.randint(1, int(1e9))


def model_name(cls, suffix=""):
    """A Keras model name from a class name: ``AutoencoderTransformer`` -> ``autoencodertransformer``.

    TensorFlow refuses a root name scope that starts with ``_`` (a private
    class of the user's, say): such characters are dropped.
    """
    name = re.sub(r"[^a-z0-9_.]", "", cls.__name__.lower()).lstrip("_.") or "model"
    return f"{name}_{suffix}" if suffix else name


def glorot_uniform(next_seed):
    """Keras's default kernel initializer, seeded from ``next_seed``."""
    return keras.initializers.GlorotUniform(seed=next_seed())


def seeded_dense(units, next_seed, *, name, dtype, activation=None):
    """A ``Dense`` layer whose kernel initializer is seeded from ``next_seed``."""
    return keras.layers.Dense(
        units,
        activation=activation,
        kernel_initializer=glorot_uniform(next_seed),
        name=name,
        dtype=dtype,
    )


def join_condition(x, condition, *, name, dtype=None):
    """``x`` with ``condition`` appended: more features, or more channels.

    ``x`` is a batch of rows ``(batch, n)``, of sequences ``(batch,
    timesteps, channels)`` or of feature maps ``(batch, height, width,
    channels)``; ``condition`` is ``(batch, n_conditions)``, repeated over
    every time step of a sequence, every pixel of a feature map.
    """
    if len(x.shape) == 3:
        condition = keras.layers.RepeatVector(
            x.shape[1], name=f"{name}_repeat", dtype=dtype
        )(condition)
    elif len(x.shape) > 3:
        height, width = x.shape[1], x.shape[2]
        n_conditions = condition.shape[-1]
        condition = keras.layers.RepeatVector(
            height * width, name=f"{name}_repeat", dtype=dtype
        )(condition)
        condition = keras.layers.Reshape(
            (height, width, n_conditions), name=f"{name}_tile", dtype=dtype
        )(condition)
    return keras.layers.Concatenate(axis=-1, name=f"{name}_join", dtype=dtype)([x, condition])


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
    next_seed,
    dropout_layer=keras.layers.Dropout,
    condition=None,
):
    """``x`` through one hidden block per entry of ``sizes``.

    Block ``i`` (its layers' names start with ``f"{name}{i}"``) is
    ``make_layer(size, name=..., use_bias=..., kernel_initializer=...)``, then
    batch normalization when ``batch_normalization`` (the layer then has no
    bias: the normalization's offset replaces it), the activation, and
    ``dropout_layer(dropout)`` when ``dropout`` is not 0. Random layers are
    seeded from ``next_seed`` (see ``layer_seeds``). A ``condition`` (a
    ``(batch, n_conditions)`` tensor) is joined to each block's output
    (``join_condition``), so every layer of a conditional network reads it.
    """
    for i, size in enumerate(sizes):
        block = f"{name}{i}"
        x = make_layer(
            size,
            name=block,
            use_bias=not batch_normalization,
            kernel_initializer=glorot_uniform(next_seed),
        )(x)
        if batch_normalization:
            x = keras.layers.BatchNormalization(name=f"{block}_batchnorm", dtype=dtype)(x)
        x = keras.layers.Activation(activation, name=f"{block}_activation", dtype=dtype)(x)
        if dropout:
            x = dropout_layer(
                dropout, seed=next_seed(), name=f"{block}_dropout", dtype=dtype
            )(x)
        if condition is not None:
            x = join_condition(x, condition, name=f"{block}_condition", dtype=dtype)
    return x


def trailing_condition(inputs, n_conditions, *, name, dtype=None):
    """The condition ``inputs`` end with (``TrailingCondition``), or None without one."""
    if not n_conditions:
        return None
    return TrailingCondition(n_conditions, name=f"{name}_condition", dtype=dtype)(inputs)


# ----------------------------------------------------------------------
# what the convolutional builders share, in 2-D (images) and 1-D (windows)
# ----------------------------------------------------------------------
def conv_sizes(n_components, filters, kernel_size, strides):
    """The convolutional builders' sizes as Python ints (Keras refuses NumPy integers)."""
    return (
        as_int(n_components, "n_components"),
        as_int_tuple(filters, "filters"),
        as_int(kernel_size, "kernel_size"),
        as_int(strides, "strides"),
    )


def conv_blocks(x, conv, dropout_layer, filters, *, kernel_size, strides, name, **options):
    """One hidden block per entry of ``filters``: ``conv`` layers (``"same"`` padding).

    ``conv`` is ``Conv2D``, ``Conv2DTranspose``, ``Conv1D`` or
    ``Conv1DTranspose``; ``dropout_layer`` the matching spatial dropout;
    ``options`` the blocks' ``activation``, ``dropout``,
    ``batch_normalization``, ``dtype``, ``next_seed`` and ``condition``
    (see ``hidden_layers``).
    """
    layer = partial(
        conv, kernel_size=kernel_size, strides=strides, padding="same", dtype=options["dtype"]
    )
    return hidden_layers(x, filters, layer, name=name, dropout_layer=dropout_layer, **options)


def strided_codes(x, conv, dropout_layer, filters, n_components, *, latent_activation, **options):
    """The codes of an encoder: ``x`` through strided ``conv_blocks``, flattened, then dense.

    ``options`` are ``conv_blocks``'s, ``name`` the encoder's.
    """
    name, dtype, next_seed = options["name"], options["dtype"], options["next_seed"]
    x = conv_blocks(x, conv, dropout_layer, filters, **{**options, "name": f"{name}_conv"})
    x = keras.layers.Flatten(name=f"{name}_flatten", dtype=dtype)(x)
    return seeded_dense(
        n_components, next_seed, activation=latent_activation, name=f"{name}_codes", dtype=dtype
    )(x)


def decoder_input(n_components, map_shape, *, activation, n_conditions, dtype, name, seed):
    """``(inputs, condition, next_seed, x)``: a decoder's codes, densely mapped to a feature map.

    ``map_shape`` is the first feature map's shape without the batch axis
    (``(height, width, channels)`` or ``(timesteps, channels)``).
    """
    inputs = keras.Input(shape=(n_components,), name=f"{name}_input", dtype=dtype)
    condition = trailing_condition(
        inputs, as_int(n_conditions, "n_conditions"), name=name, dtype=dtype
    )
    next_seed = layer_seeds(seed)
    size = 1
    for dimension in map_shape:
        size *= dimension
    x = seeded_dense(size, next_seed, activation=activation, name=f"{name}_dense", dtype=dtype)(
        inputs
    )
    x = keras.layers.Reshape(tuple(map_shape), name=f"{name}_reshape", dtype=dtype)(x)
    return inputs, condition, next_seed, x
