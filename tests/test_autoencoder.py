"""AutoencoderTransformer as a user sees it: shapes, dtypes, scores, pipelines,
copies, reproducibility, feature names, training options and custom networks."""

import copy
import pickle
import random

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, ShuffleSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderTransformer
from skae.architectures import build_dense_decoder, build_dense_encoder

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits):
    """AutoencoderTransformer(2, **FAST) fitted on the digits. Never mutate it."""
    X, _ = digits
    return AutoencoderTransformer(2, **FAST).fit(X)


@pytest.fixture(scope="module")
def digits_frame(digits):
    X, _ = digits
    return pd.DataFrame(X, columns=[f"px{i}" for i in range(X.shape[1])])


@pytest.fixture(scope="module")
def fitted_on_frame(digits_frame):
    """Fitted on a DataFrame with string column names. Never mutate it."""
    return AutoencoderTransformer(2, **FAST).fit(digits_frame)


# ----------------------------------------------------------------------
# shapes, dtypes and scores
# ----------------------------------------------------------------------
def test_transform_shape(fitted, digits):
    X, _ = digits
    assert fitted.transform(X).shape == (X.shape[0], 2)
    assert fitted.transform(X[:7]).shape == (7, 2)


def test_fit_transform_equals_fit_then_transform(fitted, digits):
    X, _ = digits
    codes = AutoencoderTransformer(2, **FAST).fit_transform(X)
    np.testing.assert_allclose(codes, fitted.transform(X), rtol=1e-5, atol=1e-6)


def test_inverse_transform_shape(fitted, digits):
    X, _ = digits
    codes = fitted.transform(X[:9])
    assert fitted.inverse_transform(codes).shape == (9, X.shape[1])


@pytest.mark.parametrize(
    "in_dtype, out_dtype",
    [(np.float32, np.float32), (np.float64, np.float64), (np.int64, np.float64)],
)
def test_reconstruct_shape_and_dtype(fitted, digits, in_dtype, out_dtype):
    X, _ = digits
    X_in = (X * 16).astype(in_dtype) if in_dtype is np.int64 else X.astype(in_dtype)
    reconstruction = fitted.reconstruct(X_in[:11])
    assert reconstruction.shape == (11, X.shape[1])
    assert reconstruction.dtype == out_dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_preserves_float_dtype(fitted, digits, dtype):
    X, _ = digits
    assert fitted.transform(X[:5].astype(dtype)).dtype == dtype


def test_score_samples_is_minus_mean_squared_reconstruction_error(fitted, digits):
    X, _ = digits
    scores = fitted.score_samples(X)
    assert scores.shape == (X.shape[0],)
    expected = -np.mean((X - fitted.reconstruct(X)) ** 2, axis=1)
    np.testing.assert_allclose(scores, expected, rtol=1e-6, atol=1e-12)
    assert np.all(scores <= 0)


def test_score_is_mean_of_score_samples(fitted, digits):
    X, _ = digits
    score = fitted.score(X)
    assert isinstance(score, float)
    assert score == pytest.approx(np.mean(fitted.score_samples(X)), rel=1e-9)


# ----------------------------------------------------------------------
# scikit-learn composition
# ----------------------------------------------------------------------
def test_grid_search_without_scorer_uses_score(digits):
    X, _ = digits
    one_split = ShuffleSplit(n_splits=1, test_size=0.25, random_state=0)
    search = GridSearchCV(
        AutoencoderTransformer(**FAST),
        {"n_components": [2, 4]},
        cv=one_split,
        refit=False,
    ).fit(X)
    assert search.best_params_["n_components"] in (2, 4)
    assert np.isfinite(search.best_score_)
    # the default score is minus a squared error: never positive
    assert search.best_score_ <= 0
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_pipeline_scaler_autoencoder_classifier(digits):
    X, y = digits
    pipe = make_pipeline(
        StandardScaler(),
        AutoencoderTransformer(4, **FAST),
        LogisticRegression(max_iter=200),
    ).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert 0.0 <= pipe.score(X, y) <= 1.0
    assert pipe[1].n_features_in_ == X.shape[1]


def test_grid_search_swaps_pca_for_autoencoder_in_pipeline(digits):
    X, y = digits
    pipe = Pipeline(
        [("reduce", PCA(2)), ("classify", LogisticRegression(max_iter=200))]
    )
    grid = {"reduce": [PCA(2), AutoencoderTransformer(2, **FAST)]}
    search = GridSearchCV(pipe, grid, cv=2).fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,)
    assert np.all(np.isfinite(scores)) and np.all((scores >= 0) & (scores <= 1))
    assert type(search.best_params_["reduce"]) in (PCA, AutoencoderTransformer)
    assert search.predict(X).shape == y.shape


# ----------------------------------------------------------------------
# copies
# ----------------------------------------------------------------------
def test_clone_is_unfitted_with_same_params(fitted, digits):
    X, _ = digits
    twin = clone(fitted)
    assert twin.get_params() == fitted.get_params()
    assert not hasattr(twin, "model_")
    with pytest.raises(NotFittedError):
        twin.transform(X)


def test_pickle_round_trip_gives_identical_transform(fitted, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(restored.reconstruct(X), fitted.reconstruct(X))


def test_partial_fit_after_unpickling_updates_transform(fitted, digits):
    X, _ = digits
    restored = pickle.loads(pickle.dumps(fitted))
    before = restored.transform(X)
    restored.partial_fit(X)
    # encoder_ must still share its layers with model_ after unpickling,
    # otherwise training model_ leaves transform unchanged.
    assert not np.allclose(restored.transform(X), before)
    # and the original is independent of the copy
    np.testing.assert_array_equal(fitted.transform(X), before)


def test_deepcopy_of_fitted_gives_identical_outputs(fitted, digits):
    X, _ = digits
    twin = copy.deepcopy(fitted)
    np.testing.assert_array_equal(twin.transform(X), fitted.transform(X))
    np.testing.assert_array_equal(twin.reconstruct(X), fitted.reconstruct(X))
    assert twin.model_ is not fitted.model_


# ----------------------------------------------------------------------
# reproducibility
# ----------------------------------------------------------------------
def test_same_random_state_gives_identical_fits(fitted, digits):
    X, _ = digits
    again = AutoencoderTransformer(2, **FAST).fit(X)
    np.testing.assert_array_equal(again.transform(X), fitted.transform(X))
    assert dict(again.history_) == dict(fitted.history_)


def test_different_random_state_gives_different_fits(fitted, digits):
    X, _ = digits
    other = AutoencoderTransformer(2, **{**FAST, "random_state": 1}).fit(X)
    assert not np.allclose(other.transform(X), fitted.transform(X))


def test_fit_leaves_global_random_state_unchanged(digits):
    X, _ = digits
    np.random.seed(123)
    random.seed(123)
    expected_numpy, expected_python = np.random.rand(), random.random()

    np.random.seed(123)
    random.seed(123)
    numpy_state, python_state = np.random.get_state(), random.getstate()
    AutoencoderTransformer(2, **FAST).fit(X)
    after = np.random.get_state()

    assert after[0] == numpy_state[0]
    np.testing.assert_array_equal(after[1], numpy_state[1])
    assert after[2:] == numpy_state[2:]
    assert random.getstate() == python_state
    assert np.random.rand() == expected_numpy
    assert random.random() == expected_python


# ----------------------------------------------------------------------
# feature names and pandas
# ----------------------------------------------------------------------
def test_get_feature_names_out(fitted):
    names = fitted.get_feature_names_out()
    assert list(names) == ["autoencodertransformer0", "autoencodertransformer1"]


def test_set_output_pandas(fitted_on_frame, digits_frame):
    ae = copy.deepcopy(fitted_on_frame).set_output(transform="pandas")
    frame = digits_frame.iloc[10:20]
    codes = ae.transform(frame)
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
    ]
    assert list(codes.index) == list(frame.index)


def test_pandas_input_sets_feature_names_in(fitted_on_frame, digits_frame):
    np.testing.assert_array_equal(
        fitted_on_frame.feature_names_in_, np.asarray(digits_frame.columns)
    )
    assert fitted_on_frame.n_features_in_ == digits_frame.shape[1]


def test_numpy_input_sets_no_feature_names(fitted):
    assert not hasattr(fitted, "feature_names_in_")


@pytest.mark.parametrize("change", ["renamed", "reordered"])
def test_changed_columns_at_transform_raise(fitted_on_frame, digits_frame, change):
    if change == "renamed":
        frame = digits_frame.rename(columns={"px3": "pixel3"})
    else:
        frame = digits_frame[list(reversed(digits_frame.columns))]
    with pytest.raises(ValueError, match="feature names"):
        fitted_on_frame.transform(frame)


# ----------------------------------------------------------------------
# training
# ----------------------------------------------------------------------
def test_history_has_one_loss_per_epoch(fitted):
    assert fitted.n_iter_ == FAST["epochs"]
    assert len(fitted.history_["loss"]) == fitted.n_iter_
    assert np.all(np.isfinite(fitted.history_["loss"]))
    assert "val_loss" not in fitted.history_


@pytest.fixture(scope="module")
def early_stopped(digits):
    X, _ = digits
    # A learning rate this small leaves the validation loss on a plateau from
    # the first epoch, so early stopping must end training long before epochs.
    params = {
        **FAST,
        "epochs": 200,
        "early_stopping": True,
        "n_iter_no_change": 2,
        "validation_fraction": 0.2,
        "learning_rate": 1e-7,
    }
    return AutoencoderTransformer(2, **params).fit(X[:20])


def test_early_stopping_records_validation_loss(early_stopped):
    history = early_stopped.history_
    assert len(history["val_loss"]) == early_stopped.n_iter_
    assert len(history["loss"]) == early_stopped.n_iter_
    assert np.all(np.isfinite(history["val_loss"]))


def test_early_stopping_stops_on_plateau(early_stopped):
    assert early_stopped.n_iter_ < 200


def test_warm_start_continues_training(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "warm_start": True}).fit(X)
    model = ae.model_
    ae.fit(X)
    assert ae.model_ is model
    assert len(ae.history_["loss"]) == 2 * FAST["epochs"]
    assert ae.n_iter_ == 2 * FAST["epochs"]


def _epochs_of_rows(data, n_epochs):
    """The rows ``fit`` would read in each of ``n_epochs`` epochs, batch by batch."""
    dataset = data["x"]
    if isinstance(dataset, keras.utils.PyDataset):  # backends other than TensorFlow
        epochs = []
        for _ in range(n_epochs):
            epochs.append([np.asarray(dataset[i][0])[:, 0] for i in range(len(dataset))])
            dataset.on_epoch_end()
        return epochs
    return [[np.asarray(x)[:, 0] for x, _ in dataset] for _ in range(n_epochs)]


def test_training_reads_every_row_once_per_epoch_reshuffled():
    from skae._engine.training import in_memory_batches as _in_memory_batches

    rows = np.arange(10, dtype=np.float32).reshape(10, 1)
    arrays = (rows, rows, None)
    # a seeded tf.data pipeline on TensorFlow, seeded batches elsewhere:
    # Keras's own shuffling of arrays would read a global generator
    epochs = _epochs_of_rows(_in_memory_batches(arrays, 4, shuffle_seed=3), 2)
    for batches in epochs:
        assert [len(b) for b in batches] == [4, 4, 2]  # partial last batch kept
        assert sorted(np.concatenate(batches)) == list(range(10))
    first, second = (np.concatenate(batches) for batches in epochs)
    assert not np.array_equal(first, second)  # reshuffled at every epoch
    again = _epochs_of_rows(_in_memory_batches(arrays, 4, shuffle_seed=3), 2)
    assert all(
        np.array_equal(np.concatenate(a), np.concatenate(b)) for a, b in zip(epochs, again)
    )  # the seed fixes the order


class _EpochCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_user_callbacks_are_called(digits):
    X, _ = digits
    counter = _EpochCounter()
    callbacks = [counter]
    AutoencoderTransformer(2, **{**FAST, "callbacks": callbacks}).fit(X)
    assert counter.epochs == FAST["epochs"]
    assert callbacks == [counter]


@pytest.mark.parametrize("verbose", [0, 2])
def test_verbose_controls_printing(digits, capsys, verbose):
    X, _ = digits
    capsys.readouterr()
    AutoencoderTransformer(2, **{**FAST, "verbose": verbose}).fit(X[:40])
    out = capsys.readouterr().out
    if verbose == 0:
        assert out == ""
    else:
        # proves that Keras's output would be captured if it were printed
        assert "Epoch" in out


# ----------------------------------------------------------------------
# custom networks
# ----------------------------------------------------------------------
def test_custom_networks_as_keras_models_are_not_mutated(digits):
    X, _ = digits
    encoder = build_dense_encoder(64, 3, hidden_layer_sizes=(5,))
    decoder = build_dense_decoder(3, 64, hidden_layer_sizes=(5,))
    encoder_weights = [w.copy() for w in encoder.get_weights()]
    decoder_weights = [w.copy() for w in decoder.get_weights()]

    ae = AutoencoderTransformer(
        3, **{**FAST, "encoder": encoder, "decoder": decoder}
    ).fit(X)

    assert ae.transform(X).shape == (X.shape[0], 3)
    assert ae.encoder_ is not encoder and ae.decoder_ is not decoder
    # the estimator trained its own copies: the user's weights are untouched
    for before, after in zip(encoder_weights, encoder.get_weights()):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(decoder_weights, decoder.get_weights()):
        np.testing.assert_array_equal(before, after)
    # ... while the copies did train
    assert any(
        not np.array_equal(before, after)
        for before, after in zip(encoder_weights, ae.encoder_.get_weights())
    )


def test_custom_networks_as_builders(digits):
    X, _ = digits
    calls = []

    def make_encoder(input_shape, n_components):
        calls.append(("encoder", input_shape, n_components))
        return build_dense_encoder(
            input_shape[0], n_components, hidden_layer_sizes=(6,)
        )

    def make_decoder(n_components, output_shape):
        calls.append(("decoder", n_components, output_shape))
        return build_dense_decoder(
            n_components, output_shape[0], hidden_layer_sizes=(6,)
        )

    ae = AutoencoderTransformer(
        3, **{**FAST, "encoder": make_encoder, "decoder": make_decoder}
    ).fit(X)

    assert ("encoder", (64,), 3) in calls
    assert ("decoder", 3, (64,)) in calls
    units = [layer.units for layer in ae.encoder_.layers if hasattr(layer, "units")]
    assert units == [6, 3]
    assert ae.transform(X).shape == (X.shape[0], 3)
    assert ae.reconstruct(X).shape == X.shape


def test_custom_encoder_with_wrong_code_size_raises(digits):
    X, _ = digits
    encoder = build_dense_encoder(64, 3, hidden_layer_sizes=(5,))
    ae = AutoencoderTransformer(2, **{**FAST, "encoder": encoder})
    with pytest.raises(ValueError, match="n_components"):
        ae.fit(X)


# ----------------------------------------------------------------------
# loss and optimizer
# ----------------------------------------------------------------------
def test_binary_crossentropy_on_unit_interval_data(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "loss": "binary_crossentropy"}).fit(X)
    reconstruction = ae.reconstruct(X)
    assert np.all(np.isfinite(ae.history_["loss"]))
    assert np.all((reconstruction >= 0) & (reconstruction <= 1))


@pytest.mark.parametrize("factor, shift", [(2.0, 0.0), (1.0, -0.5)])
def test_binary_crossentropy_rejects_data_outside_unit_interval(digits, factor, shift):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "loss": "binary_crossentropy"})
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ae.fit(X * factor + shift)


@pytest.mark.parametrize(
    "optimizer", ["sgd", keras.optimizers.SGD], ids=["string", "class"]
)
def test_optimizer_by_name_or_class_uses_learning_rate(digits, optimizer):
    X, _ = digits
    ae = AutoencoderTransformer(
        2, **{**FAST, "optimizer": optimizer, "learning_rate": 0.05}
    ).fit(X)
    assert isinstance(ae.model_.optimizer, keras.optimizers.SGD)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.05)
    assert np.all(np.isfinite(ae.history_["loss"]))


def test_optimizer_instance_is_not_mutated(digits):
    X, _ = digits
    optimizer = keras.optimizers.SGD(learning_rate=0.02)
    ae = AutoencoderTransformer(2, **{**FAST, "optimizer": optimizer}).fit(X)
    assert int(optimizer.iterations) == 0
    assert ae.model_.optimizer is not optimizer
    assert isinstance(ae.model_.optimizer, keras.optimizers.SGD)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.02)
    assert int(ae.model_.optimizer.iterations) > 0


def test_learning_rate_settable_with_set_params(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **FAST).set_params(learning_rate=0.0123)
    assert ae.get_params()["learning_rate"] == 0.0123
    ae.fit(X)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.0123)


def _learning_rate_used(estimator, X, y=None):
    return float(estimator.model_.optimizer.learning_rate)


def test_learning_rate_tunable_with_grid_search(digits):
    X, _ = digits
    rates = [0.001, 0.01]
    search = GridSearchCV(
        AutoencoderTransformer(2, **FAST),
        {"learning_rate": rates},
        cv=ShuffleSplit(n_splits=1, test_size=0.25, random_state=0),
        scoring=_learning_rate_used,
        refit=False,
    ).fit(X[:60])
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], rates, rtol=1e-6)


def test_float32_fit_then_float64_transform(digits):
    X, _ = digits
    est = AutoencoderTransformer(2, **FAST).fit(X.astype(np.float32))
    codes64 = est.transform(X)
    codes32 = est.transform(X.astype(np.float32))
    assert codes64.dtype == np.float64 and codes32.dtype == np.float32
    np.testing.assert_allclose(codes64, codes32, rtol=1e-4, atol=1e-5)


def test_float64_outputs_do_not_depend_on_the_other_rows(fitted, digits):
    from skae._engine.inference import backend_computes_float64

    if not backend_computes_float64():
        pytest.skip("this backend computes float64 input in float32 (JAX without x64, PyTorch)")
    X, _ = digits
    whole = fitted.reconstruct(X)
    one_by_one = np.vstack([fitted.reconstruct(X[i : i + 1]) for i in range(0, 40, 7)])
    # float64 inference: equal to rounding (float32 would differ by ~3e-8)
    np.testing.assert_allclose(whole[0:40:7], one_by_one, rtol=1e-12, atol=1e-15)
