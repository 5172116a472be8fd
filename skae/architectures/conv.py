"""Convolutional encoder and decoder builders for images of any size."""

import math

import keras

from .._validation import as_int, check_image_shape
from ._blocks import (
    conv_blocks,
    conv_sizes,
    decoder_input,
    glorot_uniform,
    layer_seeds,
    strided_codes,
    trailing_condition,
)
from ._docs import SPATIAL_DROPOUT, fill_builder_docs


def _padding(image_shape, strides, depth):
    """The crop ((top, bottom), (left, right)) from a multiple of strides**depth back to the image."""
    factor = strides**depth
    pads = []
    for size in image_shape[:2]:
        extra = math.ceil(size / factor) * factor - size
        pads.append((extra // 2, extra - extra // 2))
    return tuple(pads)


@fill_builder_docs(dropout=SPATIAL_DROPOUT)
def build_conv_encoder(
    image_shape,
    n_components,
    *,
    filters=(32, 64, 128),
    kernel_size=3,
    strides=2,
    activation="relu",
    latent_activation="linear",
    dropout=0.0,
    batch_normalization=False,
    dtype=None,
    name="encoder",
    seed=None,
    n_conditions=0,
):
    """Build a convolutional encoder: image -> strided convolutions -> codes.

    The usual Keras convolutional autoencoder's encoder (Conv2D 32/64/128
    with stride 2, then a dense latent layer) generalised to any image size:
    each ``"same"``-padded strided convolution rounds its feature map's size
    up (28 -> 14 -> 7 -> 4), and :func:`build_conv_decoder` crops the excess
    off its output.

    Parameters
    ----------
    {image_shape}
    {n_components}
    filters : tuple of int, default=(32, 64, 128)
        Filters of each convolution, input side first; its length is the
        depth.
    {kernel_size}
    strides : int, default=2
        Stride of each convolution (the downsampling factor per layer).
    {encoder_layer_options}

    Returns
    -------
    encoder : keras.Model
        Maps ``(batch, height, width, channels)`` to ``(batch, n_components)``.

    Examples
    --------
    >>> from skae.architectures import build_conv_encoder
    >>> encoder = build_conv_encoder((27, 19, 1), 16, filters=(8, 16))
    >>> encoder.output_shape
    (None, 16)
    """
    image_shape = check_image_shape(image_shape)
    n_components, filters, kernel_size, strides = conv_sizes(
        n_components, filters, kernel_size, strides
    )
    inputs = keras.Input(shape=image_shape, name=f"{name}_input", dtype=dtype)
    condition = trailing_condition(
        inputs, as_int(n_conditions, "n_conditions"), name=name, dtype=dtype
    )
    # "same" strided convolutions need no padding: each rounds its map's
    # size up (28 -> 14 -> 7 -> 4), and the decoder crops the excess off
    codes = strided_codes(
        inputs, keras.layers.Conv2D, keras.layers.SpatialDropout2D, filters, n_components,
        latent_activation=latent_activation, kernel_size=kernel_size, strides=strides,
        activation=activation, dropout=dropout, batch_normalization=batch_normalization,
        dtype=dtype, name=name, next_seed=layer_seeds(seed), condition=condition,
    )
    return keras.Model(inputs, codes, name=name)


@fill_builder_docs(dropout=SPATIAL_DROPOUT)
def build_conv_decoder(
    n_components,
    image_shape,
    *,
    filters=(128, 64, 32),
    kernel_size=3,
    strides=2,
    activation="relu",
    output_activation="linear",
    dropout=0.0,
    batch_normalization=False,
    dtype=None,
    name="decoder",
    seed=None,
    n_conditions=0,
):
    """Build a convolutional decoder: codes -> transposed convolutions -> image.

    The mirror of :func:`build_conv_encoder`: a dense layer to its last
    feature map, then one ``Conv2DTranspose`` per convolution of the encoder,
    each upsampling by ``strides`` back to the channels that convolution
    read: ``filters[1:]``, then the image's channels (with
    ``output_activation``), and a crop to exactly ``image_shape``. Each
    resolution so keeps the encoder's width: the decoder costs about what the
    encoder does, not a multiple of it.

    Parameters
    ----------
    {n_components}
    {image_shape}
    filters : tuple of int, default=(128, 64, 32)
        The encoder's filters, reversed: the channels of the feature map the
        dense layer reshapes to, then of each hidden transposed convolution;
        its length is the number of transposed convolutions (with none, a
        convolution maps the feature map to the image's channels).
    {kernel_size}
    strides : int, default=2
        Upsampling factor of each transposed convolution.
    {decoder_layer_options}

    Returns
    -------
    decoder : keras.Model
        Maps ``(batch, n_components)`` to ``(batch,) + image_shape``.

    Examples
    --------
    >>> from skae.architectures import build_conv_decoder
    >>> decoder = build_conv_decoder(16, (27, 19, 1), filters=(16, 8))
    >>> decoder.output_shape
    (None, 27, 19, 1)
    """
    image_shape = check_image_shape(image_shape)
    n_components, filters, kernel_size, strides = conv_sizes(
        n_components, filters, kernel_size, strides
    )
    depth = len(filters)
    (top, bottom), (left, right) = _padding(image_shape, strides, depth)
    height = (image_shape[0] + top + bottom) // strides**depth
    width = (image_shape[1] + left + right) // strides**depth
    first = filters[0] if depth else image_shape[2]
    inputs, condition, next_seed, x = decoder_input(
        n_components, (height, width, first), activation=activation,
        n_conditions=n_conditions, dtype=dtype, name=name, seed=seed,
    )
    # each transposed convolution undoes one convolution of the encoder, back
    # to the channels that convolution read: the last one to the image's
    x = conv_blocks(
        x, keras.layers.Conv2DTranspose, keras.layers.SpatialDropout2D, filters[1:],
        kernel_size=kernel_size, strides=strides, activation=activation, dropout=dropout,
        batch_normalization=batch_normalization, dtype=dtype, name=f"{name}_deconv",
        next_seed=next_seed, condition=condition,
    )
    x = (keras.layers.Conv2DTranspose if depth else keras.layers.Conv2D)(
        image_shape[2],
        kernel_size,
        strides=strides if depth else 1,
        padding="same",
        activation=output_activation,
        kernel_initializer=glorot_uniform(next_seed),
        name=f"{name}_output",
        dtype=dtype,
    )(x)
    outputs = keras.layers.Cropping2D(
        ((top, bottom), (left, right)), name=f"{name}_crop", dtype=dtype
    )(x)
    return keras.Model(inputs, outputs, name=name)
