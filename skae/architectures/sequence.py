"""1-D convolutional encoder and decoder builders for windows of a series.

Keras's example "Timeseries anomaly detection using an Autoencoder" stacks
``Conv1D`` layers with stride 2 down and ``Conv1DTranspose`` layers up; an
autoencoder of skae also needs a code of ``n_components`` values, so these
builders flatten the last feature map into a dense bottleneck, as the image
builders of :mod:`skae.architectures.conv` do. Windows of any length are
zero-padded to a multiple of ``strides ** len(filters)`` inside the encoder
and cropped back by the decoder.
"""

import math

import keras

from .._validation import as_int, check_sequence_shape
from ._blocks import (
    conv_blocks,
    conv_sizes,
    decoder_input,
    glorot_uniform,
    layer_seeds,
    strided_codes,
    trailing_condition,
)
from ._docs import fill_builder_docs

SEQUENCE_DROPOUT = (
    "The convolutions use spatial dropout (``SpatialDropout1D``): whole "
    "feature channels are dropped."
)


def sequence_padding(timesteps, strides, depth):
    """Zero-padding ``(left, right)`` of the time axis to a multiple of strides**depth."""
    factor = strides**depth
    extra = math.ceil(timesteps / factor) * factor - timesteps
    return extra // 2, extra - extra // 2


@fill_builder_docs(dropout=SEQUENCE_DROPOUT)
def build_sequence_encoder(
    sequence_shape,
    n_components,
    *,
    filters=(32, 16),
    kernel_size=7,
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
    """Build a 1-D convolutional encoder: window -> strided convolutions -> codes.

    Keras's Conv1D autoencoder for time series (``Conv1D`` 32 then 16
    filters, kernel 7, stride 2) with a dense latent layer after the last
    feature map, for windows of any length: the time axis is zero-padded to a
    multiple of ``strides ** len(filters)`` inside the model, and
    :func:`build_sequence_decoder` crops the same amount back off.

    Parameters
    ----------
    sequence_shape : tuple of int
        ``(timesteps, features)`` of one window.
    {n_components}
    filters : tuple of int, default=(32, 16)
        Filters of each convolution, input side first; its length is the
        depth.
    kernel_size : int, default=7
        Length of the convolution kernels, in time steps.
    strides : int, default=2
        Stride of each convolution (the downsampling factor per layer).
    {encoder_layer_options}

    Returns
    -------
    encoder : keras.Model
        Maps ``(batch, timesteps, features)`` to ``(batch, n_components)``.

    Examples
    --------
    >>> from skae.architectures import build_sequence_encoder
    >>> encoder = build_sequence_encoder((50, 3), 8, filters=(8, 4))
    >>> encoder.output_shape
    (None, 8)
    """
    sequence_shape = check_sequence_shape(sequence_shape)
    n_components, filters, kernel_size, strides = conv_sizes(
        n_components, filters, kernel_size, strides
    )
    inputs = keras.Input(shape=sequence_shape, name=f"{name}_input", dtype=dtype)
    condition = trailing_condition(
        inputs, as_int(n_conditions, "n_conditions"), name=name, dtype=dtype
    )
    x = keras.layers.ZeroPadding1D(
        sequence_padding(sequence_shape[0], strides, len(filters)),
        name=f"{name}_pad",
        dtype=dtype,
    )(inputs)
    codes = strided_codes(
        x, keras.layers.Conv1D, keras.layers.SpatialDropout1D, filters, n_components,
        latent_activation=latent_activation, kernel_size=kernel_size, strides=strides,
        activation=activation, dropout=dropout, batch_normalization=batch_normalization,
        dtype=dtype, name=name, next_seed=layer_seeds(seed), condition=condition,
    )
    return keras.Model(inputs, codes, name=name)


@fill_builder_docs(dropout=SEQUENCE_DROPOUT)
def build_sequence_decoder(
    n_components,
    sequence_shape,
    *,
    filters=(16, 32),
    kernel_size=7,
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
    """Build a 1-D convolutional decoder: codes -> transposed convolutions -> window.

    The mirror of :func:`build_sequence_encoder`: a dense layer to a short
    feature map, ``Conv1DTranspose`` layers that upsample by ``strides``
    each, a last ``Conv1DTranspose`` to the window's features (as in Keras's
    example), and a crop to exactly ``sequence_shape``.

    Parameters
    ----------
    {n_components}
    sequence_shape : tuple of int
        ``(timesteps, features)`` of one window.
    filters : tuple of int, default=(16, 32)
        Filters of each transposed convolution, code side first (the
        encoder's, reversed).
    kernel_size : int, default=7
        Length of the convolution kernels, in time steps.
    strides : int, default=2
        Upsampling factor of each transposed convolution.
    {decoder_layer_options}

    Returns
    -------
    decoder : keras.Model
        Maps ``(batch, n_components)`` to ``(batch, timesteps, features)``.

    Examples
    --------
    >>> from skae.architectures import build_sequence_decoder
    >>> decoder = build_sequence_decoder(8, (50, 3), filters=(4, 8))
    >>> decoder.output_shape
    (None, 50, 3)
    """
    sequence_shape = check_sequence_shape(sequence_shape)
    n_components, filters, kernel_size, strides = conv_sizes(
        n_components, filters, kernel_size, strides
    )
    depth = len(filters)
    left, right = sequence_padding(sequence_shape[0], strides, depth)
    length = (sequence_shape[0] + left + right) // strides**depth
    first = filters[0] if depth else sequence_shape[1]
    inputs, condition, next_seed, x = decoder_input(
        n_components, (length, first), activation=activation, n_conditions=n_conditions,
        dtype=dtype, name=name, seed=seed,
    )
    x = conv_blocks(
        x, keras.layers.Conv1DTranspose, keras.layers.SpatialDropout1D, filters,
        kernel_size=kernel_size, strides=strides, activation=activation, dropout=dropout,
        batch_normalization=batch_normalization, dtype=dtype, name=f"{name}_deconv",
        next_seed=next_seed, condition=condition,
    )
    x = keras.layers.Conv1DTranspose(
        sequence_shape[1],
        kernel_size,
        padding="same",
        activation=output_activation,
        kernel_initializer=glorot_uniform(next_seed),
        name=f"{name}_output",
        dtype=dtype,
    )(x)
    outputs = keras.layers.Cropping1D((left, right), name=f"{name}_crop", dtype=dtype)(x)
    return keras.Model(inputs, outputs, name=name)
