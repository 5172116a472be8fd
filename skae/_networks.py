"""Network assembly: from an estimator's parameters to Keras encoder and decoder.

The builders in ``skae.architectures`` are pure Keras; this module reads the
estimator's parameters, calls them (or the user's own networks), and checks
that the pieces fit together before training starts.
"""

import keras

from ._inference import fill_unset_seeds
from .architectures import (
    build_conv_decoder,
    build_conv_encoder,
    build_dense_decoder,
    build_dense_encoder,
)
from .architectures._blocks import layer_seeds


def build_networks(params, input_shape, seed):
    """``(encoder, decoder)`` Keras models for samples of ``input_shape``.

    ``params`` is the estimator: its ``architecture``, layer sizes,
    activations, ``encoder``/``decoder`` and ``n_components`` decide the
    networks. A user's network replaces only its own half. ``seed`` (a
    ``random.Random``) seeds every random layer skae builds, encoder first,
    so no seed is drawn from Python's global ``random``.
    """
    output_activation = "sigmoid" if params.loss == "binary_crossentropy" else "linear"
    common = dict(
        activation=params.activation,
        dropout=params.dropout,
        batch_normalization=params.batch_normalization,
        seed=seed,
    )
    if params.architecture == "conv":
        common.update(kernel_size=params.kernel_size, strides=params.strides)
    encoder = user_network(params.encoder, input_shape, params.n_components, seed)
    if encoder is None and params.architecture == "conv":
        encoder = build_conv_encoder(
            input_shape,
            params.n_components,
            filters=tuple(params.filters),
            latent_activation=params.latent_activation,
            **common,
        )
    elif encoder is None:
        encoder = build_dense_encoder(
            input_shape[0],
            params.n_components,
            hidden_layer_sizes=tuple(params.hidden_layer_sizes),
            latent_activation=params.latent_activation,
            **common,
        )
    decoder = user_network(params.decoder, params.n_components, input_shape, seed)
    if decoder is None and params.architecture == "conv":
        decoder = build_conv_decoder(
            params.n_components,
            input_shape,
            filters=tuple(reversed(tuple(params.filters))),
            output_activation=output_activation,
            **common,
        )
    elif decoder is None:
        decoder = build_dense_decoder(
            params.n_components,
            input_shape[0],
            hidden_layer_sizes=tuple(reversed(tuple(params.hidden_layer_sizes))),
            output_activation=output_activation,
            **common,
        )
    check_network_shapes(encoder, decoder, params.n_components, input_shape)
    return encoder, decoder


def user_network(spec, input_spec, output_spec, seed=None):
    """A fresh copy of a user's network, or the network a builder returns.

    A copy's layers take their unset seeds from ``seed`` (a ``random.Random``)
    rather than from Python's global ``random``; a builder's layers are the
    builder's own (seed them for reproducible fits).
    """
    if spec is None:
        return None
    if isinstance(spec, keras.Model):
        next_seed = layer_seeds(seed)

        def seeded_copy(layer):
            config = fill_unset_seeds(layer.get_config(), next_seed)
            return layer.__class__.from_config(config)

        network = keras.models.clone_model(spec, clone_function=seeded_copy)
        network.set_weights(spec.get_weights())
        return network
    network = spec(input_spec, output_spec)
    if not isinstance(network, keras.Model):
        raise TypeError(
            "A builder given as encoder or decoder must return a keras.Model, "
            f"got {type(network).__name__}."
        )
    return network


def check_network_shapes(encoder, decoder, n_components, input_shape):
    """Raise a clear error when the encoder and decoder do not fit together."""
    code_shape = tuple(encoder.output_shape[1:])
    if code_shape != (n_components,):
        raise ValueError(
            f"The encoder outputs codes of shape {code_shape}, but "
            f"n_components={n_components}. Make the encoder's last layer "
            f"output {n_components} units, or set n_components to match."
        )
    if tuple(decoder.input_shape[1:]) != code_shape:
        raise ValueError(
            f"The decoder reads inputs of shape {tuple(decoder.input_shape[1:])}, "
            f"but the encoder outputs codes of shape {code_shape}."
        )
    if tuple(decoder.output_shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"The decoder outputs samples of shape "
            f"{tuple(decoder.output_shape[1:])}, but the encoder reads samples "
            f"of shape {tuple(input_shape)}: the decoder must output that shape."
        )
