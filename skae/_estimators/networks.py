"""Network assembly: from an estimator's parameters to Keras encoder and decoder.

The builders in ``skae.architectures`` are pure Keras; this module reads the
estimator's parameters, calls them (or the user's own networks), and checks
that the pieces fit together before training starts.
"""

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras

from .._engine.inference import fill_unset_seeds
from .._validation import as_int, as_int_tuple
from ..architectures import (
    build_conv_decoder,
    build_conv_encoder,
    build_dense_decoder,
    build_dense_encoder,
    build_sequence_decoder,
    build_sequence_encoder,
)
from ..architectures._blocks import layer_seeds

# The most weights skae builds. 2**30 float32 weights take 4 GiB, and
# training with Adam holds about four such copies (weights, gradients, two
# moments): 16 GiB. 2**31, the int32 tensor-size limit, would take 32 GiB, and
# TensorFlow's OOM. A large realistic model (224x224x3 images, filters up to
# 128, n_components=512) has about 10**8.
MAX_WEIGHTS = 2**30

# How to shrink the layer a parameter sizes.
_SHRINK = {
    "n_components": "Lower n_components",
    "hidden_layer_sizes": "Lower hidden_layer_sizes",
    "filters": "Lower filters (or raise strides, which shrinks the feature maps)",
}


def joined_shape(input_shape, n_conditions):
    """Shape of a sample with ``n_conditions`` condition values joined to it.

    Rows take them as more features, images as more channels (each value
    repeated over every pixel).
    """
    input_shape = tuple(input_shape)
    return input_shape[:-1] + (input_shape[-1] + n_conditions,)


# the builders of each convolutional architecture: (encoder, decoder)
_CONV_BUILDERS = {
    "conv": (build_conv_encoder, build_conv_decoder),
    "sequence": (build_sequence_encoder, build_sequence_decoder),
}


def build_networks(params, input_shape, seed, *, n_conditions=0):
    """``(encoder, decoder)`` Keras models for samples of ``input_shape``.

    ``params`` is the estimator: its ``architecture``, layer sizes,
    activations, ``encoder``/``decoder`` and ``n_components`` decide the
    networks. A user's network replaces only its own half. ``seed`` (a
    ``random.Random``) seeds every random layer skae builds, encoder first,
    so no seed is drawn from Python's global ``random``.

    With ``n_conditions``, the networks of a conditional model: the encoder
    reads samples with the condition joined (``joined_shape``), the decoder
    codes with the condition appended (``n_components + n_conditions``
    values); the conditional model joins them (``architectures.conditional``).
    The networks skae builds join the condition again to every hidden layer
    (the builders' ``n_conditions``); a user's own networks read it only at
    their input.
    """
    check_network_size(params, input_shape)
    sizes = _sizes(params)
    n_components = sizes["n_components"]
    output_shape = tuple(input_shape)
    input_shape = joined_shape(input_shape, n_conditions)
    n_codes = n_components + n_conditions
    output_activation = "sigmoid" if params.loss == "binary_crossentropy" else "linear"
    common = dict(
        activation=params.activation,
        dropout=params.dropout,
        batch_normalization=params.batch_normalization,
        seed=seed,
        n_conditions=n_conditions,
    )
    convolutional = params.architecture in _CONV_BUILDERS
    if convolutional:
        common.update(kernel_size=sizes["kernel_size"], strides=sizes["strides"])
        build_encoder, build_decoder = _CONV_BUILDERS[params.architecture]
    encoder = user_network(params.encoder, input_shape, n_components, seed, role="encoder")
    if encoder is None and convolutional:
        encoder = build_encoder(
            input_shape,
            n_components,
            filters=sizes["filters"],
            latent_activation=params.latent_activation,
            **common,
        )
    elif encoder is None:
        encoder = build_dense_encoder(
            input_shape[0],
            n_components,
            hidden_layer_sizes=sizes["hidden_layer_sizes"],
            latent_activation=params.latent_activation,
            **common,
        )
    decoder = user_network(params.decoder, n_codes, output_shape, seed, role="decoder")
    if decoder is None and convolutional:
        decoder = build_decoder(
            n_codes,
            output_shape,
            filters=sizes["filters"][::-1],
            output_activation=output_activation,
            **common,
        )
    elif decoder is None:
        decoder = build_dense_decoder(
            n_codes,
            output_shape[0],
            hidden_layer_sizes=sizes["hidden_layer_sizes"][::-1],
            output_activation=output_activation,
            **common,
        )
    check_network_shapes(
        encoder,
        decoder,
        n_components,
        input_shape,
        output_shape=output_shape,
        n_codes=n_codes if n_conditions else None,
    )
    return encoder, decoder


def _sizes(params):
    """The sizes the builders read, as Python ints (Keras refuses NumPy's)."""
    sizes = {"n_components": as_int(params.n_components, "n_components")}
    if params.architecture in _CONV_BUILDERS:
        sizes["filters"] = as_int_tuple(params.filters, "filters")
        sizes["kernel_size"] = as_int(params.kernel_size, "kernel_size")
        sizes["strides"] = as_int(params.strides, "strides")
    else:
        sizes["hidden_layer_sizes"] = as_int_tuple(
            params.hidden_layer_sizes, "hidden_layer_sizes"
        )
    return sizes


# ----------------------------------------------------------------------
# the size of the networks skae builds, known before building them
# ----------------------------------------------------------------------
def _dense(n_in, n_out, *, hidden, batch_normalization):
    """Weights of a dense layer, with its batch normalization if hidden."""
    if hidden and batch_normalization:
        return n_in * n_out + 4 * n_out  # no bias; gamma, beta, mean, variance
    return n_in * n_out + n_out


def _dense_layers(n_features, n_components, hidden_layer_sizes, bn, *, decoder):
    """``(weights, parameter that sizes it)`` of each layer of a dense encoder or decoder."""
    chain = [(n_features, None)]
    chain += [(size, "hidden_layer_sizes") for size in hidden_layer_sizes]
    chain += [(n_components, "n_components")]
    if decoder:
        chain = chain[::-1]
    layers = []
    for i, (into, out) in enumerate(zip(chain, chain[1:])):
        # the larger of the layer's two sizes that a parameter sets
        culprit = max((into, out), key=lambda size: (size[1] is not None, size[0]))[1]
        weights = _dense(into[0], out[0], hidden=i < len(chain) - 2, batch_normalization=bn)
        layers.append((weights, culprit))
    return layers


def _conv_layers(
    image_shape, n_components, filters, kernel_size, strides, bn, *, decoder, mirrored
):
    """``(weights, parameter that sizes it)`` of each layer of a conv encoder or decoder.

    ``image_shape`` is ``(height, width, channels)``, or ``(timesteps,
    features)`` for the 1-D convolutions of windows. ``mirrored``: the
    decoder undoes the encoder layer for layer (images); otherwise (windows)
    its transposed convolutions go back to ``filters[0]`` and one more to
    the features, as Keras's time-series example.
    """
    *spatial, channels = image_shape  # (height, width) of images, (timesteps,) of windows
    factor = strides ** len(filters)
    cells = 1
    for size in spatial:
        cells *= -(-size // factor)  # ceil, exact for any size
    kernel_cells = kernel_size ** len(spatial)
    chain = [channels, *filters]
    if decoder and mirrored:  # each transposed convolution undoes one convolution
        chain = [*filters[::-1], channels] if filters else [channels, channels]
    elif decoder:  # transposed convolutions back to filters[0], then one to the features
        chain = [chain[-1], *filters[::-1], channels]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(chain, chain[1:])):
        normalized = bn and (not decoder or i < len(chain) - 2)
        bias = 4 * n_out if normalized else n_out
        layers.append((kernel_cells * n_in * n_out + bias, "filters"))
    # the dense layer between the last feature maps and the codes dominates
    flat = cells * (filters[-1] if filters else channels)
    culprit = "n_components" if n_components >= flat or not filters else "filters"
    layers.append((flat * n_components + (flat if decoder else n_components), culprit))
    return layers


def _layer_weights(params, input_shape):
    """``(weights, parameter)`` of each layer skae builds (not the user's own)."""
    sizes = _sizes(params)
    bn = bool(params.batch_normalization)
    layers = []
    for decoder, built in ((False, params.encoder is None), (True, params.decoder is None)):
        if not built:
            continue
        if params.architecture in _CONV_BUILDERS:
            layers += _conv_layers(
                input_shape, sizes["n_components"], sizes["filters"], sizes["kernel_size"],
                sizes["strides"], bn, decoder=decoder,
                mirrored=params.architecture != "sequence",
            )
        else:
            layers += _dense_layers(
                input_shape[0], sizes["n_components"], sizes["hidden_layer_sizes"], bn,
                decoder=decoder,
            )
    return layers


def estimated_weights(params, input_shape):
    """Number of weights of the networks skae builds for ``params``.

    Counted from the parameters alone, before anything is built; the user's
    own encoder or decoder is not counted.
    """
    return sum(weights for weights, _ in _layer_weights(params, input_shape))


def check_network_size(params, input_shape):
    """Refuse networks too large to build, before anything is allocated."""
    layers = _layer_weights(params, input_shape)
    total = sum(weights for weights, _ in layers)
    if total <= MAX_WEIGHTS:
        return
    _, culprit = max(layers)
    raise ValueError(
        f"{type(params).__name__} would build networks of {total:,} weights for "
        f"samples of shape {tuple(input_shape)}, more than the {MAX_WEIGHTS:,} "
        f"(2**30) skae builds: they would not fit in memory. {_SHRINK[culprit]}; "
        f"now {culprit}={getattr(params, culprit)!r}."
    )


# ----------------------------------------------------------------------
# the user's own networks
# ----------------------------------------------------------------------
def user_network(spec, input_spec, output_spec, seed=None, *, role="encoder"):
    """A fresh copy of a user's network, or the network a builder returns.

    ``role`` ("encoder" or "decoder") names it in error messages. A copy's
    layers take their unset seeds from ``seed`` (a ``random.Random``) rather
    than from Python's global ``random``; a builder's layers are the
    builder's own (seed them for reproducible fits).
    """
    if spec is None:
        return None
    reads = tuple(input_spec) if role == "encoder" else (input_spec,)
    if isinstance(spec, keras.Model):
        _check_built(spec, role, reads)
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
    _check_built(network, role, reads)
    return network


def _check_built(network, role, reads):
    """Raise a clear error for a network with no defined input or output shape."""
    try:
        network.input_shape, network.output_shape
    except (AttributeError, ValueError):
        raise ValueError(
            f"The {role} {network.name!r} has no defined input or output shape "
            "yet: it was never connected to an input. Start it with "
            f"keras.Input(shape={reads}), for example keras.Sequential("
            f"[keras.Input(shape={reads}), ...]) or a functional keras.Model."
        ) from None


def _single_shape(network, role, which):
    """``network``'s ``which`` ("input" or "output") shape without the batch axis."""
    shape = getattr(network, f"{which}_shape")
    if not (isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape)):
        raise ValueError(
            f"The {role} {network.name!r} has {which}s of shapes {shape}, but it "
            f"must have one {which} tensor: build it on one keras.Input, with one "
            "output."
        )
    return shape[1:]


def _fits(shape, expected):
    """Whether a network's ``shape`` (None: any size) accepts ``expected``."""
    return len(shape) == len(expected) and all(
        d is None or d == e for d, e in zip(shape, expected)
    )


def check_network_shapes(
    encoder, decoder, n_components, input_shape, *, output_shape=None, n_codes=None
):
    """Raise a clear error when the encoder and decoder do not fit together.

    A conditional model's decoder reads ``n_codes`` values (the codes and the
    condition) and outputs ``output_shape`` (the samples without it).
    """
    input_shape = tuple(input_shape)
    output_shape = input_shape if output_shape is None else tuple(output_shape)
    reads = _single_shape(encoder, "encoder", "input")
    if not _fits(reads, input_shape):
        samples = {
            1: f"rows of {input_shape[0]} features",
            2: "windows of (timesteps, features)",
        }.get(len(input_shape), "images of (height, width, channels)")
        raise ValueError(
            f"The encoder reads samples of shape {reads}, but X holds samples of "
            f"shape {input_shape} ({samples}). Build the encoder on "
            f"keras.Input(shape={input_shape}) (a builder encoder(input_shape, "
            "n_components) is given that shape)."
        )
    code_shape = _single_shape(encoder, "encoder", "output")
    if code_shape != (n_components,):
        raise ValueError(
            f"The encoder outputs codes of shape {code_shape}, but "
            f"n_components={n_components}. Make the encoder's last layer "
            f"output {n_components} units, or set n_components to match."
        )
    decoder_reads = _single_shape(decoder, "decoder", "input")
    reads_codes = code_shape if n_codes is None else (n_codes,)
    if not _fits(decoder_reads, reads_codes):
        given = (
            f"n_components={n_components}: the encoder outputs codes of shape {code_shape}"
            if n_codes is None
            else f"it is given the {n_components} codes and the "
            f"{n_codes - n_components} condition values side by side"
        )
        raise ValueError(
            f"The decoder reads codes of shape {decoder_reads}, but {given}. "
            f"Build the decoder on keras.Input(shape={reads_codes}) (a builder "
            f"decoder(n_codes, output_shape) is given {reads_codes[0]})."
        )
    if tuple(_single_shape(decoder, "decoder", "output")) != output_shape:
        raise ValueError(
            f"The decoder outputs samples of shape "
            f"{tuple(decoder.output_shape[1:])}, but X holds samples "
            f"of shape {output_shape}: the decoder must output that shape."
        )
