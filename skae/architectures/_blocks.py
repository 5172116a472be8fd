"""The hidden block every builder stacks, dense or convolutional, layer seeds, names."""

import random
import re

import keras

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
