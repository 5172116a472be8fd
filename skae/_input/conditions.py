"""Conditions: what a conditional model is told about each sample, as numbers.

``ConditionEncoding.fit`` learns the form of the conditions from ``y`` at
fit: class labels (one-hot, in the order of ``classes``) or numeric rows
(read as they are; their mean and variance are kept, for the model to
standardise them inside). ``encode`` turns later conditions into the same
columns, refusing what the fitted form cannot hold (an unknown label, a
wrong number of columns, NaN) with a message that says so.
"""

import numpy as np
from sklearn.utils.multiclass import type_of_target

CONDITION_TYPES = ("auto", "categorical", "numeric")


class ConditionEncoding:
    """The fitted form of a conditional model's conditions (plain data).

    Attributes
    ----------
    kind : {"categorical", "numeric"}
        Labels, one-hot encoded; or numeric rows.
    classes : ndarray or None
        The labels seen at fit, sorted (categorical only).
    mean, variance : ndarray or None
        Per-column statistics of the numeric conditions seen at fit (the
        variance of a constant column is 1).
    n_conditions : int
        Number of columns the network reads.
    """

    def __init__(self, kind, classes, mean, variance, n_conditions):
        self.kind = kind
        self.classes = classes
        self.mean = mean
        self.variance = variance
        self.n_conditions = n_conditions

    @classmethod
    def fit(cls, y, condition_type, n_samples, owner):
        """The form of ``y``, the conditions of ``n_samples`` training samples."""
        if condition_type not in CONDITION_TYPES:
            raise ValueError(
                f"condition_type must be one of {CONDITION_TYPES}, got {condition_type!r}."
            )
        y = _as_array(y, n_samples, owner, "fit")
        kind = condition_type
        if kind == "auto":
            categorical = y.ndim == 1 and type_of_target(y) in ("binary", "multiclass")
            kind = "categorical" if categorical else "numeric"
        if kind == "categorical":
            labels = _labels(y, owner)
            classes = np.unique(labels)
            if len(classes) < 2:
                raise ValueError(
                    f"{owner} needs at least 2 classes in y to learn how they differ, "
                    f"got 1 class ({classes[0]!r}). Give samples of several classes, or "
                    "fit VariationalAutoencoderTransformer for one."
                )
            return cls("categorical", classes, None, None, len(classes))
        values = _numbers(y, owner)
        variance = values.var(axis=0)
        variance[variance <= np.finfo(np.float64).eps] = 1.0
        return cls("numeric", None, values.mean(axis=0), variance, values.shape[1])

    def statistics(self):
        """``(mean, variance)`` the model standardises with; None for one-hot labels."""
        return None if self.kind == "categorical" else (self.mean, self.variance)

    def encode(self, y, n_samples, owner, method):
        """The network's condition columns ``(n_samples, n_conditions)``, float64."""
        y = _as_array(y, n_samples, owner, method)
        if self.kind == "categorical":
            labels = _labels(y, owner)
            index = np.searchsorted(self.classes, labels)
            index = np.minimum(index, len(self.classes) - 1)
            unknown = self.classes[index] != labels
            if unknown.any():
                raise ValueError(
                    f"y holds labels {owner} was not fitted on: "
                    f"{sorted(set(labels[unknown].tolist()))[:5]}; it knows "
                    f"classes_ = {self.classes.tolist()}. Give conditions among "
                    "those classes."
                )
            one_hot = np.zeros((len(labels), len(self.classes)))
            one_hot[np.arange(len(labels)), index] = 1.0
            return one_hot
        values = _numbers(y, owner)
        if values.shape[1] != self.n_conditions:
            raise ValueError(
                f"y has {values.shape[1]} condition columns, but {owner} was "
                f"fitted with {self.n_conditions}. Give y of shape "
                f"(n_samples, {self.n_conditions})."
            )
        return values

    def one_label(self, label, owner):
        """Whether ``label`` is one condition (to repeat for every sample)."""
        if self.kind == "categorical":
            return np.ndim(label) == 0
        return np.ndim(label) == (0 if self.n_conditions == 1 else 1) and (
            np.ndim(label) == 0 or len(label) == self.n_conditions
        )


def _as_array(y, n_samples, owner, method):
    if y is None:
        raise ValueError(
            f"{owner}.{method} requires y to be passed, but the target y is None: "
            "it needs the conditions y, one per sample (class labels, or numeric "
            "rows), as given to fit."
        )
    if hasattr(y, "to_numpy"):  # pandas and polars Series and frames
        y = y.to_numpy()
    y = np.asarray(y)
    if y.ndim == 0 or y.ndim > 2:
        raise ValueError(
            f"y must hold one condition per sample (a 1-D array of labels or "
            f"values, or rows (n_samples, n_conditions)), got shape {y.shape}."
        )
    if len(y) != n_samples:
        raise ValueError(
            f"y has {len(y)} conditions, but X has {n_samples} samples: give one "
            "condition per sample."
        )
    return y


def _labels(y, owner):
    if y.ndim == 2:
        if y.shape[1] != 1:
            raise ValueError(
                f"{owner} with condition_type='categorical' reads one label per "
                f"sample, got y of shape {y.shape}."
            )
        y = y[:, 0]
    if y.dtype.kind == "f" and np.isnan(y).any():
        raise ValueError("y contains NaN: give every sample a label.")
    if y.dtype.kind == "O" and any(v is None for v in y):
        raise ValueError("y contains None: give every sample a label.")
    return y


def _numbers(y, owner):
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{owner} read y as numeric conditions, but y holds {y.dtype} values. "
            "Pass condition_type='categorical' for labels."
        )
    values = y.astype(np.float64).reshape(len(y), -1)
    if not np.isfinite(values).all():
        raise ValueError(
            "y contains NaN or infinity: give every sample finite numeric conditions."
        )
    return values
