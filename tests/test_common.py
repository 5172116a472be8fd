"""scikit-learn's estimator checks on every public skae estimator."""

import keras
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skae._engine.inference import backend_computes_float64
from skae._estimators.registry import estimator_classes

from .conftest import FAST

# Eager training halves the cost of the hundreds of tiny fits the checks make;
# the compiled path is what every other test uses.
COMMON_PARAMS = {**FAST, "run_eagerly": True}

# Checks that cannot pass for a stochastic, minibatch-trained network, each
# with the reason, by class name ("*" for all). Everything else must pass.
EXPECTED_FAILURES = {
    "*": {
        "check_sample_weight_equivalence_on_dense_data": (
            "minibatch training: a zero-weight sample still changes how the other "
            "samples are shuffled into batches, so it is not the same as dropping it"
        ),
    },
    # scikit-learn's checks call these methods without y; the conditional
    # model refuses them with "requires y to be passed" (each is tested with
    # its conditions in tests/test_conditional.py)
    "ConditionalVariationalAutoencoder": dict.fromkeys(
        [
            "check_estimators_dtypes",
            "check_dtype_object",
            "check_estimators_pickle",
            "check_f_contiguous_array_estimator",
            "check_transformer_data_not_an_array",
            "check_transformer_general",
            "check_transformer_preserve_dtypes",
            "check_methods_sample_order_invariance",
            "check_methods_subset_invariance",
            "check_dict_unchanged",
            "check_fit_idempotent",
        ],
        "the check calls transform or score_samples without the conditions y, "
        "which a conditional model needs",
    ),
}


def _estimators():
    return [
        cls(**COMMON_PARAMS) for cls in estimator_classes(public=True).values()
    ]


if keras.backend.backend() == "jax" and not backend_computes_float64():
    # Documented limitation, not hidden by a tag: skae never switches on JAX's
    # process-wide float64 flag, so its inference runs in float32 there.
    # (PyTorch computes float64 input in float32 too, but its CPU kernels
    # give a row the same output in any batch: these checks pass there.)
    EXPECTED_FAILURES["*"].update(
        dict.fromkeys(
            ["check_methods_sample_order_invariance", "check_methods_subset_invariance"],
            "JAX without JAX_ENABLE_X64=1 computes in float32: a row's output "
            "changes by ~1e-7 with the size of the batch it is in",
        )
    )


def _expected_failed_checks(estimator):
    return {**EXPECTED_FAILURES["*"], **EXPECTED_FAILURES.get(type(estimator).__name__, {})}


@parametrize_with_checks(_estimators(), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


# Checks that check_estimator does not run by itself on third-party estimators.
EXTRA_CHECKS = [
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
    "check_dataframe_column_names_consistency",
    "check_param_validation",
    "check_n_features_in_after_fitting",
    "check_fit_check_is_fitted",
    "check_get_feature_names_out_error",
]

# Those of the extra checks that test transform, for transformers only (as
# scikit-learn's own check selection does: by hasattr(estimator, "transform")).
TRANSFORMER_CHECKS = {
    "check_get_feature_names_out_error",
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
}


# Those of the extra checks that call transform without y.
NEEDS_NO_CONDITIONS = {
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
    "check_dataframe_column_names_consistency",
}


@pytest.mark.parametrize("check_name", EXTRA_CHECKS)
@pytest.mark.parametrize("estimator", _estimators(), ids=lambda est: type(est).__name__)
def test_extra_sklearn_checks(estimator, check_name):
    from sklearn.utils import estimator_checks

    if check_name in TRANSFORMER_CHECKS and not hasattr(estimator, "transform"):
        pytest.skip(f"{check_name} is for transformers; this estimator has no transform")
    conditional = type(estimator).__name__ == "ConditionalVariationalAutoencoder"
    if check_name in NEEDS_NO_CONDITIONS and conditional:
        pytest.skip(
            f"{check_name} calls transform without the conditions y; "
            "tests/test_conditional.py checks the same with them"
        )
    getattr(estimator_checks, check_name)(type(estimator).__name__, estimator)


def test_every_public_estimator_is_checked():
    checked = {type(est).__name__ for est in _estimators()}
    assert {
        "AutoencoderTransformer",
        "DenoisingAutoencoder",
        "AutoencoderOutlierDetector",
        "VariationalAutoencoderTransformer",
    } <= checked
