"""skae._engine.eager_fit: the training loop on PyTorch, against Keras's Model.fit.

tests/test_backends.py checks what every backend must do (the same model for
one random_state, no global generator moved); here, what this loop adds:
Keras's callbacks around each epoch, and the same training as ``Model.fit``.
"""

import keras
import numpy as np
import pytest

from skae import AutoencoderTransformer, VariationalAutoencoderTransformer
from skae._engine import eager_fit
from skae._engine.training import validation_split

from .conftest import FAST

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="the eager epoch loop is PyTorch's"
)

PARAMS = {**FAST, "epochs": 8, "early_stopping": True, "validation_fraction": 0.2}


@pytest.mark.parametrize(
    "make",
    [
        lambda **kw: AutoencoderTransformer(3, **kw),
        lambda **kw: VariationalAutoencoderTransformer(2, **kw),
    ],
    ids=["autoencoder", "variational"],
)
def test_the_loop_trains_as_model_fit_does(make, digits, monkeypatch):
    # the same steps in another order: losses of one magnitude, epoch by epoch
    X, _ = digits
    ours = make(**PARAMS).fit(X)
    monkeypatch.setattr(eager_fit, "ENABLED", False)
    through_fit = make(**PARAMS).fit(X)
    again = make(**PARAMS).fit(X)
    assert dict(again.history_) == dict(through_fit.history_)  # Model.fit is seeded too
    assert set(ours.history_) == set(through_fit.history_) == {"loss", "val_loss"}
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(ours.history_[key], through_fit.history_[key], rtol=0.2)
    assert ours.history_["loss"][-1] < ours.history_["loss"][0]


class _Recorder(keras.callbacks.Callback):
    def __init__(self, stop_after):
        super().__init__()
        self.stop_after, self.epochs = stop_after, []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append((epoch, dict(logs)))
        if len(self.epochs) == self.stop_after:
            self.model.stop_training = True


def test_callbacks_see_every_epoch_and_stop_training(digits):
    X, _ = digits
    recorder = _Recorder(stop_after=2)
    est = AutoencoderTransformer(3, **{**PARAMS, "callbacks": [recorder]}).fit(X)
    assert [epoch for epoch, _ in recorder.epochs] == [0, 1]
    assert all({"loss", "val_loss"} <= set(logs) for _, logs in recorder.epochs)
    assert est.history_["loss"] == [logs["loss"] for _, logs in recorder.epochs]
    assert not est.model_.training  # left in inference mode, as Model.fit leaves it


def test_early_stopping_restores_the_best_epochs_weights(digits):
    X, _ = digits
    params = {**PARAMS, "epochs": 30, "n_iter_no_change": 2, "learning_rate": 0.05}
    est = AutoencoderTransformer(3, **params).fit(X)
    val_loss = est.history_["val_loss"]
    assert int(np.argmin(val_loss)) < len(val_loss) - 1  # weights were restored
    # they are the best epoch's: its validation loss, computed again
    _, held_out = validation_split(len(X), params["validation_fraction"], est._seed)
    rows = est._standardize(X[held_out]).astype(np.float32)
    assert est.model_.evaluate(rows, rows, verbose=0) == pytest.approx(min(val_loss), rel=1e-5)
