"""skae._engine.compiled_fit: one compiled epoch per architecture, shared safely.

A fit trains a pooled trainer with the estimator's own state copied in and
back out: the result must not depend on which trainer ran it, on what it ran
before, or on other fits running at the same time.
"""

import gc
import weakref

import keras
import numpy as np
import pytest

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._engine import compiled_fit as _compiled_fit
from skae._engine import initial_state as _initial_state
from skae._engine import training as _training
from skae._engine.training import validation_split

from .conftest import FAST
from .test_training import _assert_same, _fit_in_threads, _outputs

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the compiled epoch loop is TensorFlow's"
)

# dropout (a random layer whose generator state is copied), early stopping
# and learning-rate reduction (callbacks on the trainer)
PARAMS = {**FAST, "epochs": 4, "dropout": 0.1, "early_stopping": True, "validation_fraction": 0.2}
PARAMS.pop("random_state", None)


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: AutoencoderTransformer(3, **kw),
        lambda **kw: VariationalAutoencoderTransformer(2, **kw),
        lambda **kw: DenoisingAutoencoder(3, **kw),
        lambda **kw: AutoencoderOutlierDetector(3, **kw),
    ],
    ids=["autoencoder", "variational", "denoising", "detector"],
)
def test_a_fit_is_the_same_whichever_trainer_ran_it_and_whatever_it_ran_before(make, digits):
    X, _ = digits
    _compiled_fit.clear_cache()
    first = _outputs(make(**PARAMS, random_state=0).fit(X), X)
    # the same network, other seed, learning rate and data: same trainer
    make(**{**PARAMS, "learning_rate": 0.01}, random_state=7).fit(X[::-1] * 0.5)
    again = _outputs(make(**PARAMS, random_state=0).fit(X), X)
    _assert_same(again, first)


def test_one_architecture_is_compiled_once(digits):
    X, _ = digits
    _compiled_fit.clear_cache()
    for seed, learning_rate in [(0, 1e-3), (1, 1e-2), (2, 3e-3)]:
        AutoencoderTransformer(3, **PARAMS, learning_rate=learning_rate, random_state=seed).fit(X)
    assert len(_compiled_fit._pool) == 1
    (trainers,) = _compiled_fit._pool.values()
    assert len(trainers) == 1
    assert trainers[0].epoch.n_traces == 1
    # another architecture gets a trainer of its own
    AutoencoderTransformer(3, **{**PARAMS, "hidden_layer_sizes": (16,)}, random_state=0).fit(X)
    assert len(_compiled_fit._pool) == 2


def test_a_train_step_that_needs_autograph_is_traced_with_it(digits):
    # the epoch is traced without AutoGraph first; a train_step that
    # branches on a tensor in Python fails that, and is traced again with it
    X, _ = digits

    class Branching(keras.Model):
        def train_step(self, data):
            logs = keras.Model.train_step(self, data)
            if logs["loss"] < 0:  # never: a Python branch on a tensor
                logs = {**logs, "loss": -logs["loss"]}
            return logs

    class Estimator(AutoencoderTransformer):
        def _assemble(self, input_shape, seeds):
            encoder, decoder = self._build_networks(input_shape, seeds)
            inputs = keras.Input(shape=input_shape)
            return Branching(inputs, decoder(encoder(inputs)))

    _compiled_fit.clear_cache()
    estimator = Estimator(3, **{**PARAMS, "early_stopping": False}, random_state=0).fit(X)
    assert len(estimator.history_["loss"]) == PARAMS["epochs"]
    assert np.all(np.isfinite(estimator.transform(X)))


@pytest.mark.parametrize("recipes", [False, True], ids=["models", "recipes"])
def test_a_trainer_copies_state_from_python_once_then_through_its_graph(
    recipes, digits, monkeypatch
):
    # the first copy each way assigns from Python, later ones call the
    # traced graph of assignments: the same fits either way. Fits that
    # build their model copy it in and back; fits from a recipe load the
    # recipe's state and read the trained state out (initial_state.py)
    monkeypatch.setattr(_initial_state, "ENABLED", recipes)
    X, _ = digits
    _compiled_fit.clear_cache()
    seeds = (0, 1, 0, 1)
    fits = [AutoencoderTransformer(3, **PARAMS, random_state=s).fit(X) for s in seeds]
    (trainers,) = _compiled_fit._pool.values()
    if recipes:
        assert trainers[0]._load is not None and trainers[0]._read is not None
    else:
        assert set(trainers[0]._copies) == {True, False}
    _assert_same(_outputs(fits[2], X), _outputs(fits[0], X))
    _assert_same(_outputs(fits[3], X), _outputs(fits[1], X))


def test_concurrent_fits_of_one_architecture_equal_serial_fits(digits):
    X, _ = digits
    seeds = [0, 1, 2]
    serial = [_outputs(AutoencoderTransformer(3, **PARAMS, random_state=s).fit(X), X) for s in seeds]
    estimators = [AutoencoderTransformer(3, **PARAMS, random_state=s) for s in seeds]
    for threaded, expected in zip(_fit_in_threads(estimators, X), serial):
        _assert_same(threaded, expected)


def test_the_optimizer_state_comes_back_to_the_estimator(digits):
    X, _ = digits
    params = {**PARAMS, "early_stopping": False, "batch_size": 50}
    estimator = AutoencoderTransformer(3, **params, random_state=0).fit(X)
    steps = estimator.n_iter_ * 4  # 200 rows in batches of 50
    assert int(estimator.model_.optimizer.iterations.numpy()) == steps
    # warm start goes on from it
    estimator.set_params(warm_start=True).fit(X)
    assert int(estimator.model_.optimizer.iterations.numpy()) == 2 * steps


def test_user_callbacks_see_the_estimator_model(digits):
    X, _ = digits
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((self.model, sorted(logs)))

    estimator = AutoencoderTransformer(3, **PARAMS, callbacks=[Record()], random_state=0).fit(X)
    assert len(seen) == estimator.n_iter_
    assert all(model is estimator.model_ for model, _ in seen)
    assert {"loss", "val_loss"} <= set(seen[0][1])
    # same training as without the callback
    _assert_same(
        _outputs(estimator, X), _outputs(AutoencoderTransformer(3, **PARAMS, random_state=0).fit(X), X)
    )


def test_early_stopping_restores_the_best_epochs_weights_from_its_snapshots(digits):
    # On a pooled trainer, EarlyStopping's snapshots are compiled reads and
    # writes; a model of its own (the user's callbacks) snapshots through
    # Keras's get_weights. Both restore the same best epoch, bit for bit.
    X, _ = digits
    params = {**PARAMS, "epochs": 30, "n_iter_no_change": 2, "learning_rate": 0.05}
    pooled = AutoencoderTransformer(3, **params, random_state=0).fit(X)
    own = AutoencoderTransformer(
        3, **params, callbacks=[keras.callbacks.Callback()], random_state=0
    ).fit(X)
    assert _training.weight_snapshots(own.model_) is None  # Keras's get_weights
    val_loss = pooled.history_["val_loss"]
    assert int(np.argmin(val_loss)) < len(val_loss) - 1  # weights were restored
    assert own.history_["val_loss"] == val_loss
    _assert_same(_outputs(pooled, X), _outputs(own, X))
    # and they are the best epoch's: its validation loss, computed again
    _, held_out = validation_split(len(X), params["validation_fraction"], pooled._seed)
    rows = pooled._standardize(X[held_out]).astype(np.float32)
    assert pooled.model_.evaluate(rows, rows, verbose=0) == pytest.approx(min(val_loss), rel=1e-5)


def test_a_trainer_dropped_from_the_pool_is_freed(digits):
    X, _ = digits
    _compiled_fit.clear_cache()
    AutoencoderTransformer(3, **PARAMS, random_state=0).fit(X)
    ((trainer,),) = _compiled_fit._pool.values()
    model = weakref.ref(trainer.model)
    del trainer
    _compiled_fit.clear_cache()
    gc.collect()
    assert model() is None


def test_architecture_key_ignores_names_and_seeds_only():
    def model(units, seed):
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(units, kernel_initializer=keras.initializers.GlorotUniform(seed))
        outputs = keras.layers.Dropout(0.1, seed=seed)(hidden(inputs))
        network = keras.Model(inputs, outputs)
        network.compile(optimizer=keras.optimizers.Adam(learning_rate=seed / 10), loss="mse")
        return network

    rows = (np.zeros((2, 4), np.float32),)
    assert _compiled_fit.architecture_key(model(8, 1), rows) == _compiled_fit.architecture_key(
        model(8, 2), rows
    )
    assert _compiled_fit.architecture_key(model(8, 1), rows) != _compiled_fit.architecture_key(
        model(9, 1), rows
    )
    assert _compiled_fit.architecture_key(model(8, 1), rows) != _compiled_fit.architecture_key(
        model(8, 1), (np.zeros((2, 5), np.float32),)
    )


def _fit_both_ways(make, X, monkeypatch):
    """The same fit through the compiled epochs and through Keras's Model.fit."""
    compiled = make().fit(X)
    monkeypatch.setattr(_compiled_fit, "ENABLED", False)
    keras_fit = make().fit(X)
    return compiled, keras_fit


def _assert_close(a, b):
    assert a.n_iter_ == b.n_iter_
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(a.history_[key], b.history_[key], rtol=1e-4)
    for wa, wb in zip(a.model_.get_weights(), b.model_.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)


def test_one_batch_per_epoch_trains_as_model_fit_does(digits, monkeypatch):
    # one batch: the order of the rows only changes the sum's rounding, so
    # the loss, the updates, validation, early stopping and the learning
    # rate reduction must follow Keras's fit
    X, _ = digits
    params = {**PARAMS, "epochs": 40, "batch_size": 256, "dropout": 0.0, "n_iter_no_change": 2}
    params.update(learning_rate=0.03, tol=4e-3)
    params["reduce_lr_on_plateau"] = True
    compiled, keras_fit = _fit_both_ways(
        lambda: AutoencoderTransformer(3, **params, random_state=0), X, monkeypatch
    )
    assert compiled.n_iter_ < 40  # stopped early
    _assert_close(compiled, keras_fit)


def test_streamed_batches_train_as_model_fit_does(digits, monkeypatch, tmp_path):
    # streamed data keeps the stream's batches and order: the compiled
    # groups of steps must give Keras's fit of the same batches
    import skae._input.streaming as streaming

    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 48 * 64 * 8)
    np.save(tmp_path / "X.npy", digits[0])
    X = np.load(tmp_path / "X.npy", mmap_mode="r")
    compiled, keras_fit = _fit_both_ways(
        lambda: AutoencoderTransformer(3, **PARAMS, random_state=0), X, monkeypatch
    )
    _assert_close(compiled, keras_fit)
