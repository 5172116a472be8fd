"""Lazy inference on Dask collections.

``transform``, ``inverse_transform``, ``reconstruct``, ``score_samples``,
and the detector's ``predict``, ``decision_function``, ``predict_proba``,
``predict_confidence`` and ``feature_errors`` of a Dask array return a lazy
Dask array, and of a Dask DataFrame a lazy Dask DataFrame (or Series),
computed block by block where the blocks live; arrays of unknown chunk
sizes too. The fitted estimator enters the graph once, as one
``dask.delayed`` key: a distributed scheduler ships it to each worker once,
not once per block. It is the model of the call (``_concurrency.snapshot``):
a fit of the estimator before the blocks are computed does not change them.

Shapes are checked at once (the number of features, image shapes, that
the estimator is fitted); the values (NaN, strings) only when the blocks are
computed, by the method itself on each block, with its usual messages.
Dask is imported only when a Dask collection is given.
"""

import functools

import numpy as np

from .._concurrency import snapshot

# the per-sample values returned in X's float dtype (float32 stays float32)
SCORES_IN_X_DTYPE = ("score_samples", "decision_function")


def is_dask_collection(X):
    """Whether X is a Dask array or DataFrame (Dask itself is not imported)."""
    module = type(X).__module__ or ""
    return module.split(".")[0] == "dask" and (
        hasattr(X, "map_blocks") or hasattr(X, "map_partitions")
    )


def lazy_on_dask(output, *, conditioned=False):
    """Decorate a public method ``method(self, X)`` to be lazy on Dask input.

    ``output`` is ``"rows"`` (one row of ``_n_features_out`` columns per
    sample, ``transform``), ``"values"`` (one value per sample: scores in
    X's float dtype, labels, confidences in float64), ``"probabilities"``
    (two float64 columns per sample, inlier then outlier: ``predict_proba``),
    ``"like_input"`` (X's shape and columns: ``reconstruct``, in X's float
    dtype; ``feature_errors``, in float64), or ``"decoded"`` (X holds codes,
    ``n_components_`` columns; one sample per row in the form seen in
    ``fit``, rows of its features or images, in X's float dtype:
    ``inverse_transform``).

    ``conditioned``: the method is ``method(self, X, y)``, ``y`` the
    conditions of X's rows, which go with X block by block: a NumPy array or
    a Dask array beside a Dask array X (rechunked as X's rows), a Dask
    Series, DataFrame or array partitioned as a Dask DataFrame X.
    """

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, X, *args, **kwargs):
            y = None
            if conditioned and (args or "y" in kwargs):
                y = args[0] if args else kwargs["y"]
                if not (args[1:] or set(kwargs) - {"y"}) and is_dask_collection(X):
                    return _lazy(self, method.__name__, X, output, y)
            if args or kwargs or not is_dask_collection(X):
                return method(self, X, *args, **kwargs)
            return _lazy(self, method.__name__, X, output)

        return wrapper

    return decorate


def _apply(block, estimator, name, *conditions):
    return getattr(estimator, name)(block, *conditions)


def _apply_to_frame(partition, estimator, name, columns, *conditions):
    import pandas as pd

    values = np.asarray(getattr(estimator, name)(partition, *conditions))
    if columns is None:
        return pd.Series(values, index=partition.index, name=name)
    return pd.DataFrame(values, index=partition.index, columns=columns)


def _lazy(estimator, name, X, output, y=None):
    import dask
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    n_features = estimator.n_features_in_
    # one graph key for the fitted estimator, whatever the number of blocks:
    # the model of this call, whatever is fitted before the blocks compute
    shipped = dask.delayed(snapshot(estimator), pure=False)
    if hasattr(X, "map_partitions"):
        if y is not None and not is_dask_collection(y):
            raise ValueError(
                f"X is a Dask DataFrame, so {type(estimator).__name__}.{name} needs "
                "its conditions y as a Dask Series or DataFrame partitioned like X "
                "(for example a column of the same Dask DataFrame)."
            )
        conditions = () if y is None else (y,)
        return _lazy_frame(estimator, name, X, output, shipped, n_features, conditions)
    if output == "decoded":
        if X.ndim != 2 or X.shape[1] != estimator.n_components_:
            raise ValueError(
                f"X has shape {X.shape}, but {type(estimator).__name__}.{name} "
                f"expects codes with n_components={estimator.n_components_} "
                "features: (n_samples, n_components), as transform returns them."
            )
    elif X.ndim < 2 or int(np.prod(X.shape[1:])) != n_features:
        raise ValueError(
            f"X has shape {X.shape}, but {type(estimator).__name__} was fitted "
            f"on samples of {n_features} features: give rows (n_samples, "
            f"{n_features}) or the images it was fitted on."
        )
    # whole samples in every block: split along the rows only
    X = X.rechunk({axis: -1 for axis in range(1, X.ndim)})
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    if y is not None:
        return _lazy_conditioned(estimator, name, X, y, output, shipped, dtype)
    shape, out_dtype = _output_block(estimator, name, output, 0, X.shape[1:], dtype)
    meta = np.empty(shape, dtype=out_dtype)
    if output == "like_input":
        return X.map_blocks(_apply, shipped, name, dtype=out_dtype, meta=meta)
    # the rows' chunks kept; each sample's axes as the output has them
    axes = range(1, max(X.ndim, len(shape)))
    placed = dict(
        drop_axis=[axis for axis in axes if axis >= len(shape)],
        new_axis=[axis for axis in axes if axis >= X.ndim],
        chunks=(X.chunks[0], *((size,) for size in shape[1:])),
    )
    return X.map_blocks(_apply, shipped, name, dtype=out_dtype, meta=meta, **placed)


def _output_block(estimator, name, output, n_rows, sample_shape, dtype):
    """Shape and dtype of what ``name`` returns for a block of ``n_rows`` rows."""
    if output == "like_input":
        dtype = np.dtype(np.float64) if name == "feature_errors" else dtype
        return (n_rows,) + tuple(sample_shape), dtype
    if output == "decoded":
        return (n_rows,) + _decoded_shape(estimator), dtype
    if output == "rows":
        return (n_rows, int(estimator._n_features_out)), dtype
    if output == "probabilities":
        return (n_rows, 2), np.dtype(np.float64)
    if name == "predict":
        return (n_rows,), np.dtype(np.int64)
    # scores in X's float dtype; other values (confidences) in float64
    return (n_rows,), dtype if name in SCORES_IN_X_DTYPE else np.dtype(np.float64)


def _decoded_shape(estimator):
    """Shape of one sample ``inverse_transform`` returns: the form seen in ``fit``."""
    n_features = int(np.prod(estimator._network_shape()))
    return estimator._rows_as_given(np.empty((0, n_features)), estimator._fit_ndim).shape[1:]


def _decoded_columns(estimator, name):
    """Names of the features ``inverse_transform`` returns, as fitted: ``x0``... without names."""
    if len(_decoded_shape(estimator)) != 1:
        raise ValueError(
            f"{type(estimator).__name__}.{name} decodes images of shape "
            f"{tuple(estimator.image_shape_)}, which a DataFrame cannot hold: give "
            "the codes as a Dask array (frame.to_dask_array(lengths=True))."
        )
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        names = [f"x{i}" for i in range(estimator.n_features_in_)]
    # columns read as the condition are not decoded
    condition = set(getattr(estimator, "condition_columns_", None) or ())
    return [str(c) for i, c in enumerate(names) if i not in condition]


def _lazy_conditioned(estimator, name, X, y, output, shipped, dtype):
    """``name(X_block, y_block)`` block by block, the conditions cut as X's rows."""
    import dask
    import dask.array as da

    if is_dask_collection(y) and not hasattr(y, "rechunk"):
        y = y.to_dask_array(lengths=True)
    y = y if is_dask_collection(y) else da.from_array(np.asarray(y), chunks=-1)
    if y.ndim == 0 or y.shape[0] != X.shape[0]:
        raise ValueError(
            f"y has {y.shape[0] if y.ndim else 0} conditions, but X has {X.shape[0]} "
            "samples: give one condition per sample."
        )
    y = y.rechunk({0: X.chunks[0], **{axis: -1 for axis in range(1, y.ndim)}})
    apply = dask.delayed(_apply, pure=True)
    blocks = []
    for x_block, y_block, n_rows in zip(
        X.to_delayed().ravel(), y.to_delayed().ravel(), X.chunks[0]
    ):
        shape, out_dtype = _output_block(estimator, name, output, n_rows, X.shape[1:], dtype)
        blocks.append(
            da.from_delayed(apply(x_block, shipped, name, y_block), shape=shape, dtype=out_dtype)
        )
    return da.concatenate(blocks)


def _lazy_frame(estimator, name, X, output, shipped, n_features, conditions=()):
    import pandas as pd

    if output == "decoded" and len(X.columns) != estimator.n_components_:
        raise ValueError(
            f"X has {len(X.columns)} columns, but {type(estimator).__name__}.{name} "
            f"expects codes with n_components={estimator.n_components_} features."
        )
    if output != "decoded" and len(X.columns) != n_features:
        raise ValueError(
            f"X has {len(X.columns)} columns, but {type(estimator).__name__} was "
            f"fitted with {n_features} features."
        )
    if output == "decoded":
        columns = _decoded_columns(estimator, name)
        meta = pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in columns})
    elif output == "like_input":
        columns = list(X.columns)
        meta = pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in columns})
    elif output == "rows":
        columns = [str(c) for c in estimator.get_feature_names_out()]
        meta = pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in columns})
    elif output == "probabilities":
        columns = ["inlier", "outlier"]
        meta = pd.DataFrame({c: np.empty(0, dtype=np.float64) for c in columns})
    else:
        columns = None
        dtype = np.int64 if name == "predict" else np.float64
        meta = pd.Series(np.empty(0, dtype=dtype), name=name)
    return X.map_partitions(_apply_to_frame, shipped, name, columns, *conditions, meta=meta)
