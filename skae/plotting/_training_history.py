"""TrainingHistoryDisplay: loss and validation loss per epoch."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._shared import (
    axes,
    estimator_name,
    fill_display_docs,
    final_estimator,
    set_title,
)


@fill_display_docs
class TrainingHistoryDisplay:
    """Loss and validation loss per epoch, with learning-rate changes marked.

    Use :meth:`from_estimator` (a fitted skae estimator) or
    :meth:`from_history` (a ``keras.callbacks.History`` or its dict) to
    create one; the constructor takes the per-epoch values.

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss of each epoch.
    val_loss : array-like of shape (n_epochs,), default=None
        Validation loss of each epoch, when the estimator held data out.
    learning_rate : array-like of shape (n_epochs,), default=None
        Learning rate used in each epoch (skae's estimators record it when
        ``reduce_lr_on_plateau=True``).
    {estimator_name}

    Attributes
    ----------
    loss_line_ : matplotlib.lines.Line2D
        The training loss.
    val_loss_line_ : matplotlib.lines.Line2D or None
        The validation loss, None without it.
    learning_rate_changes_ : list of int
        The epochs (counted from 1) that first used a new learning rate; each
        is marked by a dotted vertical line.
    {plot_attributes}

    See Also
    --------
    ReconstructionDisplay : Originals over their reconstructions.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> from skae.plotting import TrainingHistoryDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> ae = AutoencoderTransformer(epochs=3, random_state=0).fit(X[:200] / 16)
    >>> display = TrainingHistoryDisplay.from_estimator(ae, log_scale=True)
    >>> len(display.loss_line_.get_xdata()), display.ax_.get_yscale()
    (3, 'log')
    """

    def __init__(self, loss, *, val_loss=None, learning_rate=None, estimator_name=None):
        self.loss = loss
        self.val_loss = val_loss
        self.learning_rate = learning_rate
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, *, log_scale=False, name=None, ax=None, **kwargs):
        """Plot the training history of a fitted estimator.

        Parameters
        ----------
        estimator : estimator instance
            A fitted skae estimator (it has ``history_``), or a ``Pipeline``
            ending with one.
        log_scale : bool, default=False
            Plot the losses on a logarithmic axis.
        {name}
        {ax}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot`` for both
            curves.

        Returns
        -------
        {display}
        """
        final = final_estimator(estimator)
        check_is_fitted(final, "history_")
        display = cls.from_history(
            final.history_, estimator_name=estimator_name(estimator, name)
        )
        return display.plot(ax=ax, log_scale=log_scale, **kwargs)

    @classmethod
    def from_history(cls, history, *, estimator_name=None):
        """A display of a Keras training history, not yet plotted.

        Parameters
        ----------
        history : keras.callbacks.History or dict of list
            What ``keras.Model.fit`` returns, or its ``history`` dict (or an
            estimator's ``history_``), with a ``loss`` key.
        estimator_name : str, default=None
            Name shown in the title.

        Returns
        -------
        display : TrainingHistoryDisplay
            Call ``display.plot()`` to draw it.
        """
        history = getattr(history, "history", history)
        if not history or "loss" not in history:
            raise ValueError(
                "The training history has no 'loss': fit the estimator (or the "
                "Keras model) first."
            )

        def recorded(key):
            values = history.get(key)
            return None if values is None or len(values) == 0 else values

        return cls(
            history["loss"],
            val_loss=recorded("val_loss"),
            learning_rate=recorded("learning_rate"),
            estimator_name=estimator_name,
        )

    def plot(self, ax=None, *, log_scale=False, name=None, **kwargs):
        """Plot the curves.

        Parameters
        ----------
        {ax}
        log_scale : bool, default=False
            Plot the losses on a logarithmic axis; they must all be positive
            (a VAE's loss in nats can be negative).
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.plot``.

        Returns
        -------
        {display}
        """
        loss = np.asarray(self.loss, dtype=np.float64)
        val_loss = None if self.val_loss is None else np.asarray(self.val_loss, dtype=float)
        curves = [loss] if val_loss is None else [loss, val_loss]
        if log_scale and any(np.any(c[np.isfinite(c)] <= 0) for c in curves):
            raise ValueError(
                "log_scale=True needs positive losses, but some are zero or "
                "negative; plot them with log_scale=False."
            )
        self.figure_, self.ax_ = axes(ax, (6, 4))
        epochs = np.arange(1, len(loss) + 1)
        self.loss_line_ = self.ax_.plot(epochs, loss, label="loss", **kwargs)[0]
        self.val_loss_line_ = None
        if val_loss is not None:
            self.val_loss_line_ = self.ax_.plot(
                np.arange(1, len(val_loss) + 1), val_loss, label="val_loss", **kwargs
            )[0]
            best = int(np.nanargmin(val_loss))
            self.ax_.plot(
                best + 1,
                val_loss[best],
                "o",
                mfc="none",
                color=self.val_loss_line_.get_color(),
                label=f"best val_loss (epoch {best + 1})",
            )
        self.learning_rate_changes_ = self._mark_learning_rate()
        if log_scale:
            self.ax_.set_yscale("log")
        self.ax_.set_xlabel("epoch")
        self.ax_.set_ylabel("loss")
        set_title(self.ax_, "Training history", name or self.estimator_name)
        self.ax_.grid(True, alpha=0.3)
        self.ax_.legend(loc="best")
        return self

    def _mark_learning_rate(self):
        if self.learning_rate is None or len(self.learning_rate) < 2:
            return []
        rates = np.asarray(self.learning_rate, dtype=np.float64)
        changed = np.flatnonzero(~np.isclose(rates[1:], rates[:-1], rtol=1e-6, atol=0))
        epochs = [int(i) + 2 for i in changed]  # the first epoch at the new rate
        for k, epoch in enumerate(epochs):
            self.ax_.axvline(
                epoch - 0.5,
                color="0.5",
                linestyle=":",
                linewidth=1,
                label="learning rate changed" if k == 0 else None,
            )
            self.ax_.annotate(
                f"lr {rates[epoch - 1]:.2g}",
                xy=(epoch - 0.5, 0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 3),
                textcoords="offset points",
                rotation=90,
                va="bottom",
                fontsize="x-small",
                color="0.4",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.8},
            )
        return epochs
