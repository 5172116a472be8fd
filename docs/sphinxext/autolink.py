"""Inline literals that name a known object become links to its docs.

The docstrings and pages write ``PCA``, ``Pipeline``, ``set_config`` or
``keras.Model`` as inline literals, as scikit-learn's own prose does. This
transform turns such a literal into a cross-reference when its text is in
:data:`NAMES` (short names people write) or is the full dotted name of a
public skae object, so it links to scikit-learn's, Keras's, NumPy's or
skae's own page for it, through the (offline) intersphinx inventories.
A name that resolves nowhere stays plain text. Code blocks are left alone.
"""

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform

# what people write -> the object's full name
NAMES = {
    # scikit-learn
    "PCA": "sklearn.decomposition.PCA",
    "KernelPCA": "sklearn.decomposition.KernelPCA",
    "TruncatedSVD": "sklearn.decomposition.TruncatedSVD",
    "TSNE": "sklearn.manifold.TSNE",
    "Pipeline": "sklearn.pipeline.Pipeline",
    "make_pipeline": "sklearn.pipeline.make_pipeline",
    "ColumnTransformer": "sklearn.compose.ColumnTransformer",
    "FunctionTransformer": "sklearn.preprocessing.FunctionTransformer",
    "StandardScaler": "sklearn.preprocessing.StandardScaler",
    "MinMaxScaler": "sklearn.preprocessing.MinMaxScaler",
    "RobustScaler": "sklearn.preprocessing.RobustScaler",
    "GridSearchCV": "sklearn.model_selection.GridSearchCV",
    "RandomizedSearchCV": "sklearn.model_selection.RandomizedSearchCV",
    "cross_val_score": "sklearn.model_selection.cross_val_score",
    "train_test_split": "sklearn.model_selection.train_test_split",
    "IsolationForest": "sklearn.ensemble.IsolationForest",
    "LocalOutlierFactor": "sklearn.neighbors.LocalOutlierFactor",
    "OneClassSVM": "sklearn.svm.OneClassSVM",
    "LogisticRegression": "sklearn.linear_model.LogisticRegression",
    "MLPClassifier": "sklearn.neural_network.MLPClassifier",
    "MLPRegressor": "sklearn.neural_network.MLPRegressor",
    "RocCurveDisplay": "sklearn.metrics.RocCurveDisplay",
    "roc_auc_score": "sklearn.metrics.roc_auc_score",
    "set_config": "sklearn.set_config",
    "config_context": "sklearn.config_context",
    "clone": "sklearn.base.clone",
    "BaseEstimator": "sklearn.base.BaseEstimator",
    "TransformerMixin": "sklearn.base.TransformerMixin",
    "check_is_fitted": "sklearn.utils.validation.check_is_fitted",
    "parametrize_with_checks": "sklearn.utils.estimator_checks.parametrize_with_checks",
    "load_digits": "sklearn.datasets.load_digits",
    # Keras
    "keras.Model": "keras.Model",
    "Model.fit": "keras.Model.fit",
    "keras.Model.fit": "keras.Model.fit",
    "model.fit": "keras.Model.fit",
    "keras.layers.Layer": "keras.layers.Layer",
    "keras.ops": "keras.ops",
    "keras.distribution": "keras.distribution",
    "keras.callbacks.Callback": "keras.callbacks.Callback",
    "EarlyStopping": "keras.callbacks.EarlyStopping",
    "ReduceLROnPlateau": "keras.callbacks.ReduceLROnPlateau",
    "keras.saving.register_keras_serializable": "keras.saving.register_keras_serializable",
    # scikeras
    "KerasClassifier": "scikeras.wrappers.KerasClassifier",
    "KerasRegressor": "scikeras.wrappers.KerasRegressor",
    # NumPy
    "np.ndarray": "numpy.ndarray",
    "numpy.ndarray": "numpy.ndarray",
    "np.memmap": "numpy.memmap",
    "np.float32": "numpy.float32",
    "float32": "numpy.float32",
    "float64": "numpy.float64",
}


def _skae_names():
    """``{name: full name}`` for skae's public classes and functions."""
    import skae
    import skae.architectures
    import skae.plotting

    names = {}
    for module in (skae, skae.plotting, skae.architectures):
        for name in module.__all__:
            full = f"{module.__name__}.{name}"
            names[full] = full
            names.setdefault(name, full)
    names["skae.load"] = "skae.load"
    return names


class LinkKnownLiterals(SphinxTransform):
    default_priority = 500  # after parsing, before references are resolved

    def apply(self):
        names = self.app.config.autolink_names
        for literal in list(self.document.findall(nodes.literal)):
            target = names.get(literal.astext().removesuffix("()"))
            parent = literal.parent
            if target is None or isinstance(
                parent, (nodes.reference, addnodes.pending_xref, nodes.title)
            ):
                continue
            if any(isinstance(a, addnodes.desc_signature) for a in _ancestors(literal)):
                continue
            xref = addnodes.pending_xref(
                "",
                refdomain="py",
                reftype="obj",
                reftarget=target,
                refexplicit=True,
                refwarn=False,
                refdoc=self.env.docname,
            )
            literal.replace_self(xref)
            xref += literal


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def setup(app):
    app.add_config_value("autolink_names", {}, "env")
    app.connect(
        "config-inited", lambda app, config: config.autolink_names.update(
            {**_skae_names(), **NAMES}
        )
    )
    app.add_transform(LinkKnownLiterals)
    return {"parallel_read_safe": True}
