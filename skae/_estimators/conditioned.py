"""How the conditional VAE reads its conditions: from ``y``, or from X's own columns.

``ConditionsMixin`` holds the part of ``ConditionalVariationalAutoencoder``
that turns what the user gives (labels, numbers, or ``condition_columns``)
into the network's condition: the fitted encoding, the hooks
``_check_input``, ``_fit_rows`` and ``_condition_shape``, and the
conditioned rows every public method runs on.
"""

from sklearn.utils.validation import check_is_fitted

from .._concurrency import consistent
from .._input.bundle import Rows
from .._input.condition_columns import ColumnConditions, fitted_conditions, read_columns
from .._input.conditions import ConditionEncoding


class ConditionsMixin:
    """The conditions of ``ConditionalVariationalAutoencoder`` (see the module docstring)."""

    # ------------------------------------------------------------------
    # the conditions
    # ------------------------------------------------------------------
    def _encoding(self):
        """The fitted form of the conditions, from the fitted attributes."""
        if self.condition_type_ == "columns":
            return fitted_conditions(self)
        categorical = self.condition_type_ == "categorical"
        return ConditionEncoding(
            self.condition_type_,
            self.classes_ if categorical else None,
            None if categorical else self.condition_mean_,
            None if categorical else self.condition_var_,
            self.n_conditions_,
        )

    @consistent
    def encode_conditions(self, y):
        """The conditions ``y`` as the networks read them.

        One-hot rows in the order of ``classes_`` for labels, the numbers as
        they are for numeric conditions (the model standardises them). An
        exported model's ``"condition"`` input takes these, as float32.

        Parameters
        ----------
        y : array-like of shape (n_samples,) or (n_samples, n_conditions)
            One condition per sample.

        Returns
        -------
        conditions : ndarray of shape (n_samples, n_conditions)
            As float64.
        """
        check_is_fitted(self)
        return self._encode(y, None, "encode_conditions")

    def _encode(self, y, n_samples, method):
        """``y`` (labels, numbers, or the values of the condition columns) encoded."""
        encoding, name = self._encoding(), type(self).__name__
        if not isinstance(encoding, ColumnConditions):
            n_samples = len(y) if n_samples is None and y is not None else n_samples
            return encoding.encode(y, n_samples, name, method)
        if y is None:
            raise ValueError(
                f"{name}.{method} needs the values of the condition columns "
                f"{self.condition_columns!r} as y: a DataFrame of those columns, or "
                "an array (n_samples, n_condition_columns) in their order."
            )
        context = encoding.context_of(y, name)
        if n_samples is not None and len(context[0]) != n_samples:
            raise ValueError(
                f"y has {len(context[0])} conditions, but X has {n_samples} samples: "
                "give one condition per sample."
            )
        return encoding.encode(context, name)

    def _conditioned(self, X, y, method):
        """Validated X with its encoded conditions, as one ``Rows``.

        With ``condition_columns`` the conditions are X's own columns (``y``
        is not read); otherwise ``y``.
        """
        check_is_fitted(self)
        checked = self._check_input(X, reset=False)
        if isinstance(checked, Rows):
            return checked
        return Rows(checked, condition=self._encode(y, checked.shape[0], method))

    def _check_input(self, X, *, reset):
        """X's rows; with ``condition_columns``, a ``Rows`` of the measured
        columns and the condition read from the others."""
        if self.condition_columns is None and not (
            not reset and getattr(self, "condition_type_", None) == "columns"
        ):
            return super()._check_input(X, reset=reset)
        rows, condition = read_columns(self, X, reset=reset)
        if reset:
            self.__dict__.pop("classes_", None)
            self._fit_ndim, self.image_shape_ = 2, None
            self.condition_type_ = "columns"
            self.n_conditions_ = len(self.condition_mean_)
        return Rows(rows, condition=condition)


    def _fit_rows(self, X, y, *, reset):
        if isinstance(X, Rows):  # the condition came from X's columns; y is not read
            return X
        name = type(self).__name__
        if reset:
            encoding = ConditionEncoding.fit(y, self.condition_type, X.shape[0], name)
            for attribute in ("classes_", "condition_mean_", "condition_var_"):
                self.__dict__.pop(attribute, None)
            self.condition_type_ = encoding.kind
            self.n_conditions_ = encoding.n_conditions
            if encoding.kind == "categorical":
                self.classes_ = encoding.classes
            else:
                self.condition_mean_, self.condition_var_ = encoding.mean, encoding.variance
        return Rows(X, condition=self._encoding().encode(y, X.shape[0], name, "fit"))

    def _condition_shape(self):
        return (self.n_conditions_,)
