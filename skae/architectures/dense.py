"""Fully connected encoder and decoder builders."""

from functools import partial

import keras

from .._validation import as_int, as_int_tuple
from ._blocks import hidden_layers, layer_seeds, seeded_dense, trailing_condition
from ._docs import fill_builder_docs


def _dense_layer(units, *, name, use_bias, kernel_initializer, dtype):
    return keras.layers.Dense(
        units,
        use_bias=use_bias,
        kernel_initializer=kernel_initializer,
        name=f"{name}_dense",
        dtype=dtype,
    )


def _dense_network(
    n_inputs,
    n_outputs,
    hidden_layer_sizes,
    activation,
    output_activation,
    output_layer,
    *,
    dropout,
    batch_normalization,
    dtype,
    name,
    seed,
    n_conditions=0,
):
    """``n_inputs`` -> hidden blocks -> ``n_outputs``: an encoder or a decoder.

    The output layer is named ``f"{name}_{output_layer}"``. With
    ``n_conditions``, the last ``n_conditions`` inputs are joined again to
    every hidden block's output.
    """
    inputs = keras.Input(shape=(n_inputs,), name=f"{name}_input", dtype=dtype)
    layer = partial(_dense_layer, dtype=dtype)
    next_seed = layer_seeds(seed)
    x = hidden_layers(
        inputs, hidden_layer_sizes, layer, name=f"{name}_hidden", activation=activation,
        dropout=dropout, batch_normalization=batch_normalization, dtype=dtype,
        next_seed=next_seed,
        condition=trailing_condition(inputs, n_conditions, name=name, dtype=dtype),
    )
    outputs = seeded_dense(
        n_outputs, next_seed, activation=output_activation, name=f"{name}_{output_layer}",
        dtype=dtype,
    )(x)
    return keras.Model(inputs, outputs, name=name)


@fill_builder_docs()
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
    seed=None,
    n_conditions=0,
):
    """Build a fully connected encoder: ``n_features`` -> hidden layers -> codes.

    The classic hand-written Keras autoencoder's encoder (Dense 128 -> 64 ->
    latent, as in ``skae._cli.reference.build_tutorial_autoencoder``, the baseline
    of skae's benchmarks) generalised. The latent layer is linear by default:
    a ReLU bottleneck silences every latent unit whose input turns negative.

    Parameters
    ----------
    n_features : int
        Number of input features.
    {n_components}
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units of the hidden layers, from the input towards the code.
    {encoder_layer_options}

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
    return _dense_network(
        as_int(n_features, "n_features"),
        as_int(n_components, "n_components"),
        as_int_tuple(hidden_layer_sizes, "hidden_layer_sizes"),
        activation, latent_activation, "codes",
        dropout=dropout, batch_normalization=batch_normalization, dtype=dtype, name=name,
        seed=seed, n_conditions=as_int(n_conditions, "n_conditions"),
    )


@fill_builder_docs()
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
    seed=None,
    n_conditions=0,
):
    """Build a fully connected decoder: codes -> hidden layers -> ``n_features``.

    Parameters
    ----------
    {n_components}
    n_features : int
        Number of output features.
    hidden_layer_sizes : tuple of int, default=(64, 128)
        Units of the hidden layers, from the code towards the output (the
        mirror of the encoder's).
    {decoder_layer_options}

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
    return _dense_network(
        as_int(n_components, "n_components"),
        as_int(n_features, "n_features"),
        as_int_tuple(hidden_layer_sizes, "hidden_layer_sizes"),
        activation, output_activation, "output",
        dropout=dropout, batch_normalization=batch_normalization, dtype=dtype, name=name,
        seed=seed, n_conditions=as_int(n_conditions, "n_conditions"),
    )
