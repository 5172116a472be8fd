"""The numpydoc entries the builders share, written from one source.

A builder's docstring names an entry, or a group of entries, by a line
holding only ``{name}`` (see ``skae._docstrings.fill_docs``, pure Python like
everything the builders import).
"""

from .._docstrings import fill_docs

BUILDER_DOCS = {
    "n_components": ("n_components : int", "Size of the code (the latent layer)."),
    "image_shape": (
        "image_shape : tuple of int",
        "``(height, width, channels)`` of one image (``(height, width)`` for one channel).",
    ),
    "kernel_size": ("kernel_size : int, default=3", "Size of the square convolution kernels."),
    "activation": (
        'activation : str, default="relu"',
        "Activation of the hidden layers (any Keras activation name).",
    ),
    "latent_activation": (
        'latent_activation : str, default="linear"',
        "Activation of the latent layer (the code).",
    ),
    "output_activation": (
        'output_activation : str, default="linear"',
        'Activation of the output layer: "linear" for a mean squared error loss, '
        '"sigmoid" for binary cross-entropy on data in [0, 1].',
    ),
    "dropout": (
        "dropout : float, default=0.0",
        "Dropout rate after each hidden layer; 0 adds no dropout layer.",
    ),
    "batch_normalization": (
        "batch_normalization : bool, default=False",
        "Add batch normalization before each hidden activation.",
    ),
    "dtype": (
        "dtype : str, default=None",
        "Keras dtype policy of the layers (None: Keras's global policy).",
    ),
    "encoder_name": ('name : str, default="encoder"', "Name of the returned model."),
    "seed": (
        "seed : int, random.Random or None, default=None",
        "Seeds every random initializer and dropout layer: an int starts a "
        "stream of layer seeds, a ``random.Random`` continues one (so that "
        "several builders can share it). None leaves the seeds to Keras, which "
        "draws them from Python's global ``random``.",
    ),
    "decoder_name": ('name : str, default="decoder"', "Name of the returned model."),
    "n_conditions": (
        "n_conditions : int, default=0",
        "Size of the condition the network's input ends with (a conditional "
        "model joins it to what its networks read: the last values of a row, "
        "the last channels of an image). It is joined again to the output of "
        "every hidden layer, so that each layer reads the condition (conditioning "
        "at every layer makes a conditional VAE's samples follow their "
        "condition more closely than conditioning at the input alone; "
        "``benchmarks/conditional.py``). 0 builds an unconditional network.",
    ),
}

# The last parameters of every encoder and every decoder, in signature order.
BUILDER_DOC_GROUPS = {
    "encoder_layer_options": (
        "activation",
        "latent_activation",
        "dropout",
        "batch_normalization",
        "dtype",
        "encoder_name",
        "seed",
        "n_conditions",
    ),
    "decoder_layer_options": (
        "activation",
        "output_activation",
        "dropout",
        "batch_normalization",
        "dtype",
        "decoder_name",
        "seed",
        "n_conditions",
    ),
}

# What the convolutional builders add to the entry of ``dropout``.
SPATIAL_DROPOUT = (
    "The convolutions use spatial dropout (``SpatialDropout2D``): whole feature maps are dropped."
)


def fill_builder_docs(**notes):
    """``fill_docs`` with the builders' entries and groups (and ``notes``)."""
    return fill_docs(BUILDER_DOCS, BUILDER_DOC_GROUPS, **notes)
