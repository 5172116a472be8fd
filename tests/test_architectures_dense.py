"""The dense encoder and decoder builders, used alone as plain Keras code."""

import ast
from pathlib import Path

import keras
import numpy as np
import pytest

import skae.architectures
from skae.architectures import build_dense_decoder, build_dense_encoder


def _dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_encoder_output_shape():
    encoder = build_dense_encoder(10, 3, hidden_layer_sizes=(6,))
    assert encoder.input_shape == (None, 10)
    assert encoder.output_shape == (None, 3)
    codes = encoder.predict_on_batch(np.zeros((5, 10), dtype="float32"))
    assert codes.shape == (5, 3)


def test_decoder_output_shape():
    decoder = build_dense_decoder(3, 10, hidden_layer_sizes=(6,))
    assert decoder.input_shape == (None, 3)
    assert decoder.output_shape == (None, 10)
    outputs = decoder.predict_on_batch(np.zeros((5, 3), dtype="float32"))
    assert outputs.shape == (5, 10)


@pytest.mark.parametrize("hidden_layer_sizes", [(), (7,), (12, 5, 9)])
def test_encoder_hidden_layer_sizes_honored(hidden_layer_sizes):
    encoder = build_dense_encoder(10, 2, hidden_layer_sizes=hidden_layer_sizes)
    units = [layer.units for layer in _dense_layers(encoder)]
    assert units == [*hidden_layer_sizes, 2]


@pytest.mark.parametrize("hidden_layer_sizes", [(), (7,), (12, 5, 9)])
def test_decoder_hidden_layer_sizes_honored(hidden_layer_sizes):
    decoder = build_dense_decoder(2, 10, hidden_layer_sizes=hidden_layer_sizes)
    units = [layer.units for layer in _dense_layers(decoder)]
    assert units == [*hidden_layer_sizes, 10]


def test_latent_layer_is_linear_by_default():
    encoder = build_dense_encoder(10, 2, hidden_layer_sizes=(6,))
    latent = _dense_layers(encoder)[-1]
    assert latent.get_config()["activation"] == "linear"
    # A ReLU bottleneck could not output negative codes.
    rng = np.random.RandomState(0)
    codes = encoder.predict_on_batch(rng.normal(size=(200, 10)).astype("float32"))
    assert (codes < 0).any()


def test_latent_activation_is_honored():
    encoder = build_dense_encoder(
        10, 2, hidden_layer_sizes=(6,), latent_activation="tanh"
    )
    assert _dense_layers(encoder)[-1].get_config()["activation"] == "tanh"


@pytest.mark.parametrize("builder", ["encoder", "decoder"])
def test_dropout_layers_only_when_asked(builder):
    build = build_dense_encoder if builder == "encoder" else build_dense_decoder
    with_dropout = build(4, 10, hidden_layer_sizes=(6, 5), dropout=0.3)
    dropouts = _layers_of(with_dropout, keras.layers.Dropout)
    assert len(dropouts) == 2
    assert all(layer.rate == pytest.approx(0.3) for layer in dropouts)

    without = build(4, 10, hidden_layer_sizes=(6, 5))
    assert _layers_of(without, keras.layers.Dropout) == []


@pytest.mark.parametrize("builder", ["encoder", "decoder"])
def test_batch_normalization_layers_only_when_asked(builder):
    build = build_dense_encoder if builder == "encoder" else build_dense_decoder
    with_bn = build(4, 10, hidden_layer_sizes=(6, 5), batch_normalization=True)
    assert len(_layers_of(with_bn, keras.layers.BatchNormalization)) == 2

    without = build(4, 10, hidden_layer_sizes=(6, 5))
    assert _layers_of(without, keras.layers.BatchNormalization) == []


@pytest.mark.parametrize("builder", ["encoder", "decoder"])
def test_dtype_float64_gives_float64_weights_and_outputs(builder):
    build = build_dense_encoder if builder == "encoder" else build_dense_decoder
    model = build(4, 3, hidden_layer_sizes=(5,), dtype="float64")
    assert model.weights
    assert {w.dtype for w in model.weights} == {"float64"}
    outputs = model.predict_on_batch(np.ones((2, 4), dtype=np.float64))
    assert keras.ops.convert_to_numpy(outputs).dtype == np.float64


def test_sigmoid_output_activation_gives_outputs_in_open_unit_interval():
    decoder = build_dense_decoder(
        3, 20, hidden_layer_sizes=(8,), output_activation="sigmoid"
    )
    codes = np.random.RandomState(0).normal(scale=3.0, size=(100, 3))
    outputs = decoder.predict_on_batch(codes.astype("float32"))
    assert np.all(outputs > 0) and np.all(outputs < 1)


def test_decoder_output_is_linear_by_default():
    decoder = build_dense_decoder(3, 20, hidden_layer_sizes=(8,))
    assert _dense_layers(decoder)[-1].get_config()["activation"] == "linear"


def test_builders_usable_standalone_in_plain_keras():
    encoder = build_dense_encoder(6, 2, hidden_layer_sizes=(4,))
    decoder = build_dense_decoder(2, 6, hidden_layer_sizes=(4,))
    inputs = keras.Input(shape=(6,))
    autoencoder = keras.Model(inputs, decoder(encoder(inputs)))
    autoencoder.compile(optimizer="adam", loss="mse")
    X = np.random.RandomState(0).normal(size=(32, 6)).astype("float32")
    before = [w.copy() for w in encoder.get_weights()]

    history = autoencoder.fit(X, X, epochs=2, batch_size=8, verbose=0)

    assert len(history.history["loss"]) == 2
    assert np.all(np.isfinite(history.history["loss"]))
    # The encoder's own layers were trained through the composed model.
    after = encoder.get_weights()
    assert any(not np.array_equal(b, a) for b, a in zip(before, after))
    assert autoencoder.predict(X, verbose=0).shape == X.shape


# Pure-Keras modules of skae that builders may import besides each other.
# skae modules the builders may import: they import no scikit-learn either
PURE_KERAS_MODULES = {"layers", "_validation", "_docstrings", "_startup"}


def _imported_modules(source):
    """Top-level names of the absolute imports, and the skae modules imported
    relatively from above the package (``from ..x import``)."""
    modules, parents = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                parents.add(node.module or "")
            elif not node.level:
                modules.add(node.module.split(".")[0])
    return modules, parents


def test_architectures_do_not_need_scikit_learn():
    # A static check: ``import keras`` itself may load scikit-learn for
    # Keras's own wrappers, so a runtime check cannot tell.
    sources = sorted(Path(skae.architectures.__file__).parent.glob("*.py"))
    assert any(path.name == "dense.py" for path in sources)
    for path in sources:
        modules, parents = _imported_modules(path.read_text())
        assert not modules & {"sklearn", "scikeras"}, path.name
        # only pure-Keras skae modules, never the estimators (and so sklearn)
        assert parents <= PURE_KERAS_MODULES, (path.name, parents)
    layers_modules, layers_parents = _imported_modules(
        (Path(skae.architectures.__file__).parents[1] / "layers.py").read_text()
    )
    assert not layers_modules & {"sklearn", "scikeras"}
    assert layers_parents <= {"_startup"}  # imports Keras quietly, nothing else of skae
    validation_modules, validation_parents = _imported_modules(
        (Path(skae.architectures.__file__).parents[1] / "_validation.py").read_text()
    )
    assert not validation_modules & {"sklearn", "scikeras", "keras", "tensorflow", "polars"}
    assert not validation_parents
    docstrings_modules, docstrings_parents = _imported_modules(
        (Path(skae.architectures.__file__).parents[1] / "_docstrings.py").read_text()
    )
    assert not docstrings_modules & {"sklearn", "scikeras", "keras", "tensorflow"}
    assert not docstrings_parents


def test_numpy_integers_as_sizes():
    # GridSearchCV's np.arange and arrays of layer sizes hand NumPy integers
    encoder = build_dense_encoder(
        np.int64(64), np.int64(3), hidden_layer_sizes=np.array([8, 5])
    )
    decoder = build_dense_decoder(np.int32(3), np.int64(64), hidden_layer_sizes=np.array([5, 8]))
    assert encoder.output_shape == (None, 3) and decoder.output_shape == (None, 64)
    units = [layer.units for layer in encoder.layers + decoder.layers if hasattr(layer, "units")]
    assert units == [8, 5, 3, 5, 8, 64]
    assert all(type(u) is int for u in units)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"n_components": 2.5}, "n_components"),
        ({"hidden_layer_sizes": (8, 4.0)}, "hidden_layer_sizes"),
    ],
)
def test_non_integer_sizes_are_a_clear_error(kwargs, name):
    with pytest.raises(TypeError, match=rf"{name} must hold integers|{name} must be an integer"):
        build_dense_encoder(64, **{"n_components": 2, **kwargs})


@pytest.mark.parametrize("build", [build_dense_encoder, build_dense_decoder])
def test_condition_is_joined_to_every_hidden_layer(build, tmp_path):
    # the last 3 inputs are the condition: each hidden layer and the output
    # layer read it beside the previous layer's units, and the network loads
    # again from a Keras file (TrailingCondition is a registered layer)
    network = build(10, 4, hidden_layer_sizes=(6, 5), n_conditions=3, seed=0)
    dense = _dense_layers(network)
    assert [layer.kernel.shape[0] for layer in dense] == [10, 6 + 3, 5 + 3]
    x = np.random.default_rng(0).random((4, 10)).astype("float32")
    path = tmp_path / "network.keras"
    network.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict_on_batch(x), network.predict_on_batch(x))


def test_without_conditions_the_network_is_unchanged():
    plain = build_dense_encoder(10, 2, hidden_layer_sizes=(6,), seed=0)
    zero = build_dense_encoder(10, 2, hidden_layer_sizes=(6,), seed=0, n_conditions=0)
    assert [w.shape for w in plain.get_weights()] == [w.shape for w in zero.get_weights()]
    for a, b in zip(plain.get_weights(), zero.get_weights()):
        np.testing.assert_array_equal(a, b)
