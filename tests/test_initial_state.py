"""skae._engine.initial_state: fresh fits without building their Keras model.

A fit from a recipe must be the fit that builds its model, bit for bit:
the same trained weights, optimizer slots and scores, whether ``model_`` is
asked for or not, pickled, saved or fitted again.
"""

import pickle
import threading

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

import skae

from skae import AutoencoderOutlierDetector, AutoencoderTransformer
from skae._engine import compiled_fit, initial_state

from .conftest import FAST
from .test_training import _assert_same

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="recipes serve the compiled epoch loop"
)

# dropout (random layers' generator states) and batch normalization
# (constant initializers, moving statistics)
PARAMS = {**FAST, "hidden_layer_sizes": (8, 6), "dropout": 0.1, "batch_normalization": True}


def _state(estimator):
    """Weights, optimizer slots and scores of a fitted estimator, as arrays."""
    network = getattr(estimator, "backbone_", estimator)
    scores = estimator.score_samples(_state.X)
    model = network.model_
    return (
        [np.asarray(w) for w in model.get_weights()]
        + [keras.ops.convert_to_numpy(v.value) for v in model.optimizer.variables]
        + [scores]
    )


@pytest.fixture
def without_recipes(monkeypatch):
    """Every fit builds its model first: the fallback."""
    compiled_fit.clear_cache()
    monkeypatch.setattr(initial_state, "ENABLED", False)
    yield
    compiled_fit.clear_cache()


@pytest.mark.parametrize(
    "make",
    [
        lambda seed: AutoencoderTransformer(3, **{**PARAMS, "random_state": seed}),
        lambda seed: AutoencoderOutlierDetector(3, **{**PARAMS, "random_state": seed}),
    ],
    ids=["autoencoder", "detector"],
)
def test_a_fit_from_a_recipe_is_the_fit_that_builds_its_model(make, digits, monkeypatch):
    X, _ = digits
    _state.X = X
    compiled_fit.clear_cache()
    make(0).fit(X)  # teaches the recipe
    # the first values made eagerly, later ones by one compiled call
    seeds = range(1, initial_state.COMPILE_AFTER + 2)
    fitted = [make(seed).fit(X) for seed in seeds]
    network = getattr(fitted[0], "backbone_", fitted[0])
    assert "model_" not in vars(network) and "_fitted_state" in vars(network)
    assert network._fitted_state.recipe._compiled is not None
    from_recipes = [_state(estimator) for estimator in fitted]
    compiled_fit.clear_cache()
    monkeypatch.setattr(initial_state, "ENABLED", False)
    built = [_state(make(seed).fit(X)) for seed in seeds]
    for a, b in zip(from_recipes, built, strict=True):
        _assert_same(a, b)


def test_the_model_is_built_once_when_first_asked_for(digits):
    X, _ = digits
    compiled_fit.clear_cache()
    AutoencoderTransformer(3, **PARAMS).fit(X)
    estimator = AutoencoderTransformer(3, **{**PARAMS, "random_state": 5}).fit(X)
    codes = estimator.transform(X)  # from the state's tensors
    assert "model_" not in vars(estimator)
    check_is_fitted(estimator)
    models = []
    threads = [threading.Thread(target=lambda: models.append(estimator.model_)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(model is models[0] for model in models)
    assert estimator.encoder_ is estimator.model_.layers[-2]
    assert "_fitted_state" not in vars(estimator)
    np.testing.assert_array_equal(estimator.transform(X), codes)


def test_an_unfitted_estimator_has_no_model():
    estimator = AutoencoderTransformer(3)
    assert not hasattr(estimator, "model_")
    assert not hasattr(estimator, "encoder_")
    with pytest.raises(AttributeError, match="model_"):
        estimator.model_


def test_a_fit_from_a_recipe_pickles_clones_and_trains_further(digits, tmp_path):
    X, _ = digits
    compiled_fit.clear_cache()
    AutoencoderTransformer(3, **PARAMS).fit(X)
    params = {**PARAMS, "random_state": 3}
    estimator = AutoencoderTransformer(3, **params).fit(X)
    assert "_fitted_state" in vars(estimator)
    codes = estimator.transform(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(estimator)).transform(X), codes)
    estimator.save(tmp_path / "model.skae")
    loaded = skae.load(tmp_path / "model.skae")
    np.testing.assert_array_equal(loaded.transform(X), codes)
    assert clone(estimator).get_params() == estimator.get_params()
    # a warm start continues from the fitted optimizer state, as after a built fit
    warm = AutoencoderTransformer(3, **params).fit(X).set_params(warm_start=True).fit(X)
    initial_state.ENABLED = False
    try:
        compiled_fit.clear_cache()
        built = AutoencoderTransformer(3, **params).fit(X).set_params(warm_start=True).fit(X)
    finally:
        initial_state.ENABLED = True
    np.testing.assert_array_equal(warm.transform(X), built.transform(X))


def test_the_fallback_builds_every_model(digits, without_recipes):
    X, _ = digits
    for seed in (0, 1):
        estimator = AutoencoderTransformer(3, **{**PARAMS, "random_state": seed}).fit(X)
        assert "model_" in vars(estimator)


def test_a_model_with_a_variable_of_unknown_origin_has_no_recipe(digits):
    """A variational model's own noise scale: no layer initializer names it."""
    from skae import VariationalAutoencoderTransformer

    X, _ = digits
    compiled_fit.clear_cache()
    for seed in (0, 1):
        estimator = VariationalAutoencoderTransformer(
            2, **{**FAST, "random_state": seed}
        ).fit(X)
        assert "model_" in vars(estimator)


def test_parameters_that_are_objects_have_no_recipe(digits):
    X, _ = digits
    compiled_fit.clear_cache()
    for seed in (0, 1):
        optimizer = keras.optimizers.Adam(learning_rate=0.01)
        estimator = AutoencoderTransformer(
            3, **{**PARAMS, "random_state": seed, "optimizer": optimizer}
        ).fit(X)
        assert "model_" in vars(estimator)


def test_a_diverging_fit_from_a_recipe_raises_and_changes_nothing(digits):
    X, _ = digits
    compiled_fit.clear_cache()
    params = {**FAST, "learning_rate": 1e12, "epochs": 4}
    with pytest.raises(ValueError):
        AutoencoderTransformer(3, **params).fit(X * 1e6)
    estimator = AutoencoderTransformer(3, **{**params, "random_state": 4})
    with pytest.raises(ValueError, match="diverged"):
        estimator.fit(X * 1e6)
    assert not hasattr(estimator, "model_")
    assert "_fitted_state" not in vars(estimator)


def test_the_recipe_reproduces_layer_seeds_of_any_stream():
    """Seeds drawn as ``layer_seeds`` draws them, replayed for another seed."""
    stream = initial_state.RecordingRandom(11)
    draws = [stream.randint(1, initial_state.SEED_HIGH) for _ in range(5)]
    assert stream.draws == draws == initial_state.replayed_draws(11, 5)
    stream.randint(0, 10)  # anything else read from the stream: no recipe
    assert stream.draws[-1] is None


def test_the_model_is_built_with_the_parameters_of_the_fit(digits):
    X, _ = digits
    compiled_fit.clear_cache()
    AutoencoderTransformer(3, **PARAMS).fit(X)
    estimator = AutoencoderTransformer(3, **{**PARAMS, "random_state": 8}).fit(X)
    codes = estimator.transform(X)
    estimator.set_params(hidden_layer_sizes=(20, 10, 5), dropout=0.0)
    assert [layer.units for layer in estimator.encoder_.layers if hasattr(layer, "units")] == [
        8, 6, 3
    ]
    np.testing.assert_array_equal(estimator.transform(X), codes)
