"""What each of skae's estimators holds once fitted: the schemas ``skae.load`` checks.

Every estimator class names its schema in ``_fitted_schema`` (a
``FittedSchema`` of ``_io.fitted_schema``): ``AUTOENCODER`` for
``BaseAutoencoder`` and ``AutoencoderTransformer``, and each other class its
own, extending it. A subclass of the user's inherits its parent's (and may
keep attributes of its own, as long as they hide nothing of the class). The
relations below are those no single attribute states: the network's shape
against the features, the conditions against the networks' condition
input, the detector's backbone against its threshold and scaling.
"""

import math

import numpy as np

from .._input.condition_columns import HANDLE_UNKNOWN
from .._io.fitted_schema import (
    Array,
    Choice,
    Fitted,
    FittedSchema,
    Flag,
    History,
    Integer,
    Items,
    Network,
    Problem,
    Range,
    Real,
    Satisfies,
    Sizes,
)
from .parameters import PARAMETER_CONSTRAINTS
from .registry import BACKBONES, backbone_class


def _n_condition_columns(state):
    columns = state.get("condition_columns_")
    return len(columns) if isinstance(columns, list) else 0


def network_features(state):
    """Values per sample the network reads: X's columns but its condition columns."""
    return state["n_features_in_"] - _n_condition_columns(state)


# ----------------------------------------------------------------------
# BaseAutoencoder
# ----------------------------------------------------------------------
def _sample_shape(state):
    """The network's sample shape against the features, the images and X's form."""
    shape, image = state["_fitted_network_shape"], state["image_shape_"]
    n_features, ndim = network_features(state), state["_fit_ndim"]
    if math.prod(shape) != n_features:
        besides = " besides its condition columns" if _n_condition_columns(state) else ""
        yield Problem(
            "_fitted_network_shape",
            f"is {shape}, {math.prod(shape)} values per sample, but X has "
            f"{n_features} features{besides}",
        )
    elif image is None and (len(shape) != 1 or ndim != 2):
        yield Problem("image_shape_", f"is None (rows), but the network takes samples "
                      f"of shape {shape} and X had {ndim} dimensions")
    elif image is not None and (math.prod(image) != n_features or shape not in (image, (n_features,))):
        yield Problem("image_shape_", f"is {image}, but the network takes samples of "
                      f"shape {shape} and X has {n_features} features")
    elif image is not None and (len(image) == 2) != (state.get("architecture") == "sequence"):
        yield Problem("image_shape_", f"is {image}, but architecture is "
                      f"{state.get('architecture')!r} (windows (timesteps, features) "
                      "go with 'sequence', images (height, width, channels) with the others)")
    elif ndim == 3 and len(image) == 3 and image[2] != 1:
        yield Problem("_fit_ndim", f"is 3 (images without channels), but image_shape_ is {image}")
    elif ndim == 2 and image is not None and state["input_shape"] is None:
        # rows are read as images only with input_shape
        yield Problem("_fit_ndim", f"is 2 (rows), but image_shape_ is {image} and "
                      "input_shape is None")


def _epochs(state):
    if state["n_iter_"] != len(state["history_"]["loss"]):
        yield Problem("n_iter_", f"is {state['n_iter_']}, but history_ holds the loss of "
                      f"{len(state['history_']['loss'])} epochs")


AUTOENCODER = FittedSchema(
    {
        "n_features_in_": Integer(1),
        "feature_names_in_": Array("strings", ("n_features_in_",), required=False),
        "_fit_ndim": Integer(2, 4),
        "image_shape_": Sizes(2, 3, none=True),  # windows, or images
        "_seed": Integer(0, np.iinfo(np.int32).max),
        "mean_": Array("float64", ("network_features",)),
        "scale_": Real(positive=True),
        "n_components_": Integer(1),
        "_fitted_network_shape": Sizes(1, 2, 3),
        "_fitted_learning_rate": Satisfies(
            PARAMETER_CONSTRAINTS["learning_rate"], "a learning rate > 0, or a schedule"
        ),
        "model_": Network(),
        "history_": History(),
        "n_iter_": Integer(0),
        # files written before small fits trained without a validation split lack it
        "early_stopping_": Flag(required=False),
    },
    dimensions={"network_features": network_features},
    relations=(_sample_shape, _epochs),
    networks=True,
)


# ----------------------------------------------------------------------
# VariationalAutoencoderTransformer
# ----------------------------------------------------------------------
def _noise_scale(estimator):
    """``noise_scale_`` is the Gaussian likelihood's scale in the data's units."""
    likelihood = getattr(estimator.model_, "likelihood", None)
    if likelihood not in ("gaussian", "bernoulli"):
        yield Problem("model_", "is not the network of a variational autoencoder")
    elif (likelihood == "bernoulli") != (estimator.noise_scale_ is None):
        yield Problem("noise_scale_", f"is {estimator.noise_scale_!r}, but the network's "
                      f"likelihood is {likelihood}")
    elif likelihood == "gaussian":
        import keras

        log_scale = keras.ops.convert_to_numpy(estimator.model_.effective_log_noise_scale())
        scale = float(np.exp(log_scale)) * estimator.scale_
        if not math.isclose(estimator.noise_scale_, scale, rel_tol=1e-6):
            yield Problem("noise_scale_", f"is {estimator.noise_scale_!r}, but the network's "
                          f"noise scale, in the data's units, is {scale!r}")


VARIATIONAL = AUTOENCODER.extended(
    {
        "kl_per_dimension_": Array("float64", ("n_components_",)),
        "n_active_components_": Integer(0, "n_components_"),
        "noise_scale_": Real(positive=True, none=True),
    },
    network_relations=(_noise_scale,),
)


# ----------------------------------------------------------------------
# DenoisingAutoencoder
# ----------------------------------------------------------------------
DENOISING = AUTOENCODER.extended({"_corrupt_inputs": Flag(), "_data_range": Range()})


# ----------------------------------------------------------------------
# condition columns (the detector's, and the conditional VAE's)
# ----------------------------------------------------------------------
COLUMN_CONDITIONS = {
    "condition_columns_": Items(Integer(0), unique=True, required=False),
    "condition_categories_": Items(
        Array("labels", (None,), increasing=True, min_size=1, none=True), required=False
    ),
    "condition_mean_": Array("float64", (None,), required=False),
    "condition_var_": Array("float64", (None,), positive=True, required=False),
    "_fitted_handle_unknown": Choice(*HANDLE_UNKNOWN, required=False),
}
_COLUMN_ATTRIBUTES = tuple(COLUMN_CONDITIONS)


def _column_conditions(state):
    """The condition columns against X's columns and their encoding."""
    if "condition_columns_" not in state:
        return
    if missing := [name for name in _COLUMN_ATTRIBUTES if name not in state]:
        yield Problem(missing[0], "is missing, but condition_columns_ is there")
        return
    columns, categories = state["condition_columns_"], state["condition_categories_"]
    n_features = state["n_features_in_"]
    if not columns or max(columns) >= n_features or len(columns) >= n_features:
        yield Problem("condition_columns_", f"is {columns}, not positions of some of the "
                      f"{n_features} columns of X")
        return
    if len(categories) != len(columns):
        yield Problem("condition_categories_", f"holds {len(categories)} columns' "
                      f"categories, but condition_columns_ names {len(columns)}")
        return
    widths = [1 if seen is None else len(seen) for seen in categories]
    mean, var = state["condition_mean_"], state["condition_var_"]
    for name, values in (("condition_mean_", mean), ("condition_var_", var)):
        if values.shape != (sum(widths),):
            yield Problem(name, f"has shape {values.shape}, but the condition columns "
                          f"encode to {sum(widths)} values")
            return
    one_hot = np.repeat([seen is not None for seen in categories], widths)
    if (mean[one_hot] != 0).any() or (var[one_hot] != 1).any():
        yield Problem("condition_mean_", "is not 0 (and condition_var_ 1) on the one-hot "
                      "columns of the categorical condition columns")


def _without_columns(state, attributes=_COLUMN_ATTRIBUTES):
    if "condition_columns_" not in state:
        for name in attributes:
            if name in state:
                yield Problem(name, "is there, but condition_columns_ is not")


# ----------------------------------------------------------------------
# ConditionalVariationalAutoencoder
# ----------------------------------------------------------------------
_CONDITION_KINDS = {
    # condition_type_: (attributes it needs, attributes it must not have)
    "categorical": (("classes_",), _COLUMN_ATTRIBUTES),
    "numeric": (
        ("condition_mean_", "condition_var_"),
        ("classes_", "condition_columns_", "condition_categories_", "_fitted_handle_unknown"),
    ),
    "columns": (_COLUMN_ATTRIBUTES, ("classes_",)),
}


def _conditions(state):
    """The conditions' fitted form against ``condition_type_`` and ``n_conditions_``."""
    kind, n_conditions = state["condition_type_"], state["n_conditions_"]
    needed, excluded = _CONDITION_KINDS[kind]
    if missing := [name for name in needed if name not in state]:
        yield Problem(missing[0], f"is missing, but condition_type_ is {kind!r}")
        return
    if extra := [name for name in excluded if name in state]:
        yield Problem(extra[0], f"is there, but condition_type_ is {kind!r}")
        return
    if kind == "categorical" and len(state["classes_"]) < 2:
        yield Problem("classes_", "must hold at least 2 classes")
    if kind != "categorical" and state["condition_mean_"].shape != (n_conditions,):
        yield Problem("n_conditions_", f"is {n_conditions}, but condition_mean_ has shape "
                      f"{state['condition_mean_'].shape}")
    if kind == "columns":
        yield from _column_conditions(state)
    if state["condition_columns"] is not None and kind != "columns":
        yield Problem("condition_columns", f"is {state['condition_columns']!r}, but the "
                      f"model was fitted on conditions y ({kind})")


CONDITIONAL_VARIATIONAL = VARIATIONAL.extended(
    {
        **COLUMN_CONDITIONS,
        "condition_type_": Choice(*_CONDITION_KINDS),
        "n_conditions_": Integer(1),
        "classes_": Array("labels", ("n_conditions_",), increasing=True, required=False),
    },
    relations=(_conditions,),
)


# ----------------------------------------------------------------------
# ConditionalAutoencoder (the detector's backbone with condition columns)
# ----------------------------------------------------------------------
CONDITIONAL_AUTOENCODER = AUTOENCODER.extended(
    {
        "n_conditions_": Integer(1),
        "condition_mean_": Array("float64", ("n_conditions_",)),
        "condition_var_": Array("float64", ("n_conditions_",), positive=True),
    }
)


# ----------------------------------------------------------------------
# AutoencoderOutlierDetector
# ----------------------------------------------------------------------
def _backbone(state):
    """The backbone against the detector's columns, kind, scores and scaling."""
    backbone, name = state["backbone_"], state["backbone_name_"]
    conditional = "condition_columns_" in state
    expected = backbone_class(name, conditional=conditional)
    if type(backbone) is not expected:
        yield Problem("backbone_", f"is of class {type(backbone).__name__}, but backbone_name_ "
                      f"{name!r}{' with condition columns' if conditional else ''} makes a "
                      f"{expected.__name__}")
        return
    measured = network_features(state)
    if backbone.n_features_in_ != measured:
        yield Problem("backbone_", f"reads {backbone.n_features_in_} features, but the "
                      f"detector passes it {measured}")
    if conditional and backbone.n_conditions_ != len(state["condition_mean_"]):
        yield Problem("backbone_", f"reads {backbone.n_conditions_} condition values, but "
                      f"the condition columns encode to {len(state['condition_mean_'])}")
    if name == "autoencoder" and (state["training_scores_"] > 0).any():
        yield Problem("training_scores_", "holds positive values, but the scores of the "
                      "autoencoder backbone are minus squared errors")
    if state["scaling_"] == "global" and (
        (state["center_"] != 0).any() or (state["scale_"] != 1).any()
    ):
        yield Problem("center_", "is not 0 (and scale_ 1) with scaling_='global'")


DETECTOR = FittedSchema(
    {
        "n_features_in_": Integer(1),
        "feature_names_in_": Array("strings", ("n_features_in_",), required=False),
        **COLUMN_CONDITIONS,
        "scaling_": Choice("standard", "robust", "global"),
        "center_": Array("float64", ("network_features",)),
        "scale_": Array("float64", ("network_features",), positive=True),
        "backbone_": Fitted(),
        "backbone_name_": Choice(*BACKBONES),
        # the training data's precision (scores keep float32)
        "training_scores_": Array("floats", (None,), min_size=1),
        "offset_": Real(),
    },
    dimensions={"network_features": network_features},
    relations=(_without_columns, _column_conditions, _backbone),
)
