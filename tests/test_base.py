"""The shared machinery of skae's estimators: input validation, clear errors,
edge-case data, divergence and hyperparameter checks."""

import re

import keras
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from skae import AutoencoderTransformer

from .conftest import FAST


@pytest.fixture(scope="module")
def fitted(digits):
    """AutoencoderTransformer(2, **FAST) fitted on the digits. Never mutate it."""
    X, _ = digits
    return AutoencoderTransformer(2, **FAST).fit(X)


# ----------------------------------------------------------------------
# not fitted
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "method",
    ["transform", "inverse_transform", "reconstruct", "score_samples", "score"],
)
def test_methods_before_fit_raise_not_fitted(digits, method):
    X, _ = digits
    data = X[:, :2] if method == "inverse_transform" else X
    with pytest.raises(NotFittedError):
        getattr(AutoencoderTransformer(2, **FAST), method)(data)


# ----------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "method", ["transform", "reconstruct", "score_samples", "score"]
)
def test_wrong_number_of_features_raises(fitted, digits, method):
    X, _ = digits
    message = "X has 63 features, but AutoencoderTransformer is expecting 64 features"
    with pytest.raises(ValueError, match=re.escape(message)):
        getattr(fitted, method)(X[:, :63])


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_input_to_fit_raises(digits, bad_value):
    X, _ = digits
    X = X.copy()
    X[3, 5] = bad_value
    with pytest.raises(ValueError, match="NaN|infinity"):
        AutoencoderTransformer(2, **FAST).fit(X)


@pytest.mark.parametrize("bad_value", [np.nan, np.inf])
def test_non_finite_input_to_transform_raises(fitted, digits, bad_value):
    X, _ = digits
    X = X[:5].copy()
    X[0, 0] = bad_value
    with pytest.raises(ValueError, match="NaN|infinity"):
        fitted.transform(X)


def test_numpy_string_array_raises(digits):
    X = np.array([["a", "b", "c"], ["d", "e", "f"], ["g", "h", "i"]])
    with pytest.raises(ValueError, match="string"):
        AutoencoderTransformer(2, **FAST).fit(X)


def test_dataframe_with_non_numeric_columns_names_them(digits):
    frame = pd.DataFrame(
        {
            "height": np.linspace(0.0, 1.0, 6),
            "city": ["Oslo", "Rome", "Lima", "Oslo", "Rome", "Lima"],
            "grade": pd.Categorical(["a", "b", "a", "b", "a", "b"]),
        }
    )
    with pytest.raises(ValueError, match="ColumnTransformer") as excinfo:
        AutoencoderTransformer(2, **FAST).fit(frame)
    message = str(excinfo.value)
    assert "city" in message and "grade" in message
    assert "height" not in message


def test_empty_input_raises():
    with pytest.raises(ValueError, match="0 sample"):
        AutoencoderTransformer(2, **FAST).fit(np.empty((0, 5)))


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csr_array])
def test_sparse_input_raises_type_error_about_dense(digits, to_sparse):
    X, _ = digits
    with pytest.raises(TypeError, match="dense"):
        AutoencoderTransformer(2, **FAST).fit(to_sparse(X))


def test_fewer_samples_than_batch_size_works(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "batch_size": 64}).fit(X[:10])
    assert ae.n_iter_ == FAST["epochs"]
    assert ae.transform(X[:10]).shape == (10, 2)
    assert np.all(np.isfinite(ae.transform(X[:10])))


# ----------------------------------------------------------------------
# awkward but valid data
# ----------------------------------------------------------------------
@pytest.mark.parametrize("which", ["one column", "all columns"])
def test_constant_columns_give_finite_outputs(which):
    X = np.random.RandomState(0).uniform(size=(60, 6))
    if which == "one column":
        X[:, 2] = 5.0
    else:
        X[:] = 5.0
    ae = AutoencoderTransformer(2, **FAST).fit(X)
    assert np.all(np.isfinite(ae.history_["loss"]))
    assert np.all(np.isfinite(ae.transform(X)))
    assert np.all(np.isfinite(ae.reconstruct(X)))
    assert np.all(np.isfinite(ae.score_samples(X)))


def test_huge_values_scale_with_the_data(fitted, digits):
    X, _ = digits
    scale = 1e30
    ae = AutoencoderTransformer(2, **FAST).fit(X * scale)

    reconstruction = ae.reconstruct(X * scale)
    assert np.all(np.isfinite(ae.transform(X * scale)))
    assert np.all(np.isfinite(reconstruction))
    assert np.all(np.isfinite(ae.score_samples(X * scale)))

    error = np.linalg.norm(reconstruction - X * scale)
    relative_error = error / np.linalg.norm(X * scale)
    reference = np.linalg.norm(fitted.reconstruct(X) - X) / np.linalg.norm(X)
    # The estimator standardises its input, so the same data in other units
    # must be learned about as well as at unit scale.
    assert relative_error < 1.0
    assert relative_error == pytest.approx(reference, rel=0.1)


class _PoisonWeights(keras.callbacks.Callback):
    """Sets every weight to NaN at the end of the first epoch."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.model.set_weights(
                [np.full_like(w, np.nan) for w in self.model.get_weights()]
            )


def test_divergence_hidden_by_batch_normalization_is_caught():
    # batch normalisation keeps the loss finite (about 1e11) while the
    # reconstructions reach 1e9: caught by the outputs' bound, and the
    # detector stays unfitted
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import StandardScaler

    from skae import AutoencoderOutlierDetector

    X = StandardScaler().fit_transform(load_wine().data)
    detector = AutoencoderOutlierDetector(
        learning_rate=1e3, early_stopping=False, reduce_lr_on_plateau=False,
        batch_size=16, epochs=20, random_state=0,
    )
    with pytest.raises(ValueError, match="diverged"):
        detector.fit(X)
    assert not hasattr(detector, "backbone_")


def test_diverged_training_raises_and_leaves_estimator_unfitted(digits):
    X, _ = digits
    ae = AutoencoderTransformer(
        2, **{**FAST, "epochs": 5, "callbacks": [_PoisonWeights()]}
    )
    with pytest.raises(ValueError, match="diverged"):
        ae.fit(X)
    with pytest.raises(NotFittedError):
        ae.transform(X)


# ----------------------------------------------------------------------
# hyperparameters
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "param, value",
    [
        ("epochs", 0),
        ("batch_size", 0),
        ("n_components", 0),
        ("validation_fraction", 1.5),
    ],
)
def test_constraint_violations_raise_invalid_parameter_error(digits, param, value):
    X, _ = digits
    ae = AutoencoderTransformer(**{**FAST, param: value})
    with pytest.raises(InvalidParameterError, match=param):
        ae.fit(X)


@pytest.mark.parametrize("sizes", [(0,), (8, 0), (-3,), (2.5,)])
def test_non_positive_hidden_layer_sizes_raise(digits, sizes):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "hidden_layer_sizes": sizes})
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        ae.fit(X)


def test_negative_sample_weight_raises(digits):
    X, _ = digits
    sample_weight = np.ones(X.shape[0])
    sample_weight[4] = -1.0
    with pytest.raises(ValueError, match="[Nn]egative"):
        AutoencoderTransformer(2, **FAST).fit(X, sample_weight=sample_weight)


@pytest.mark.parametrize("n_columns", [1, 3])
def test_inverse_transform_with_wrong_number_of_codes_raises(fitted, n_columns):
    codes = np.zeros((4, n_columns))
    with pytest.raises(ValueError, match="n_components=2"):
        fitted.inverse_transform(codes)


def test_padding_for_shape_compiling_backends_uses_few_sizes():
    # JAX compiles one program per batch shape: inference pads each chunk to
    # one of a few sizes, so any row count reuses a compiled program.
    from skae._engine.inference import pad_rows as _pad_rows
    from skae._input.chunks import INFERENCE_BATCH_SIZE

    sizes = set()
    for n_rows in range(1, INFERENCE_BATCH_SIZE + 1, 7):
        batch = np.arange(n_rows * 2, dtype=np.float32).reshape(n_rows, 2)
        padded = _pad_rows(batch)
        assert n_rows <= len(padded) <= max(2 * n_rows, n_rows + 1024)
        np.testing.assert_array_equal(padded[:n_rows], batch)
        assert not padded[n_rows:].any()
        sizes.add(len(padded))
    assert len(sizes) <= 26


def test_subclasses_override_exactly_the_documented_hooks():
    # The extension contract: BaseAutoencoder's docstring lists the hooks;
    # skae's estimators and the two variants of examples/variants/ override
    # those and no other private method of the base, and every listed hook
    # is used by one of them.
    import re

    from skae import BaseAutoencoder
    from skae._estimators.registry import estimator_classes

    from .test_variants import CLASSES as VARIANTS

    documented = set(re.findall(r"^    - ``(_\w+)\(", BaseAutoencoder.__doc__, re.M))
    documented |= set(re.findall(r"/ ``(_\w+)\(", BaseAutoencoder.__doc__))
    subclasses = [
        cls for cls in estimator_classes().values() if issubclass(cls, BaseAutoencoder)
    ]
    assert len(subclasses) == 5
    overridden = set()
    # each class and the mixins of skae's own it is made of
    classes = {
        klass
        for cls in [*subclasses, *VARIANTS.values()]
        for klass in cls.__mro__
        if klass not in BaseAutoencoder.__mro__ and klass.__module__.split(".")[0] != "sklearn"
    }
    for cls in classes:
        for name in vars(cls):
            if name.startswith("_") and not name.startswith("__") and hasattr(BaseAutoencoder, name):
                overridden.add(name)
    # the two declarations the Notes name after the hooks, not hooks
    overridden -= {"_parameter_constraints", "_fitted_schema"}
    assert overridden <= documented, overridden - documented
    assert documented <= overridden, documented - overridden


# ----------------------------------------------------------------------
# a fitted estimator computes from its fitted state
# ----------------------------------------------------------------------
def test_parameters_changed_after_fit_do_not_change_the_fitted_model(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, **FAST).fit(X)
    codes = ae.transform(X)
    ae.set_params(n_components=3, architecture="conv")
    assert ae.n_components_ == 2
    np.testing.assert_array_equal(ae.transform(X), codes)
    assert list(ae.get_feature_names_out()) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
    ]
    frame = ae.set_output(transform="pandas").transform(pd.DataFrame(X))
    assert frame.shape == (len(X), 2)
    assert ae.inverse_transform(codes).shape == X.shape


def test_feature_names_out_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        AutoencoderTransformer(2).get_feature_names_out()


def test_warm_start_applies_a_new_learning_rate(digits):
    X, _ = digits
    ae = AutoencoderTransformer(2, warm_start=True, **FAST).fit(X)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(1e-3)
    ae.set_params(learning_rate=0.05).fit(X)
    assert float(ae.model_.optimizer.learning_rate) == pytest.approx(0.05)
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.9)
    with pytest.raises(ValueError, match="warm_start=False"):
        ae.set_params(learning_rate=schedule).fit(X)


class _PoisonWeightsAtFirstBatch(keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])


def test_divergence_prints_nothing_at_verbose_0(digits, capfd):
    X, _ = digits
    ae = AutoencoderTransformer(2, **{**FAST, "callbacks": [_PoisonWeightsAtFirstBatch()]})
    with pytest.raises(ValueError, match="diverged"):
        ae.fit(X)
    assert capfd.readouterr().out == ""


def test_progress_bar_counts_the_steps_of_an_epoch(digits, capsys):
    X, _ = digits  # 200 rows, batches of 16: 13 steps, run 32 per call
    AutoencoderTransformer(2, **{**FAST, "epochs": 2, "verbose": 1}).fit(X)
    out = capsys.readouterr().out
    assert "13/13" in out
    assert "32/13" not in out


def test_values_too_large_to_score_are_refused(digits, fitted):
    X, _ = digits
    with pytest.raises(ValueError, match="Rescale X"):
        AutoencoderTransformer(2, **FAST).fit(X * 1e300)
    with pytest.raises(ValueError, match="cannot score"):
        fitted.score_samples(X * 1e300)
    with pytest.raises(ValueError, match="cannot score"):
        fitted.score(X * 1e300)
