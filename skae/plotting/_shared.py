"""What every Display of :mod:`skae.plotting` shares.

Axes creation, the title convention, reading a fitted estimator (through a
``Pipeline`` too) and turning samples into rows or a mosaic of images live
here once, so that the Displays cannot drift apart; so do the numpydoc
entries every Display documents alike (:func:`fill_display_docs`). This
module imports neither Keras, TensorFlow nor ``matplotlib.pyplot`` at import
time.
"""

import inspect
import numbers

import numpy as np

from .._docstrings import fill_docs
from .._validation import check_image_shape

# ----------------------------------------------------------------------
# docs
# ----------------------------------------------------------------------
# The entries every Display documents alike, written into a docstring where a
# line holds only ``{name}`` (see skae._docstrings.fill_docs). ``display`` is
# added per class by fill_display_docs, since its header names the class.
DISPLAY_DOCS = {
    "estimator_name": ("estimator_name : str, default=None", "Name shown in the title."),
    "ax": (
        "ax : matplotlib.axes.Axes, default=None",
        "Axes to plot on; a new figure when None.",
    ),
    "name": (
        "name : str, default=None",
        "Name shown in the title; the estimator's class name when None.",
    ),
    "plot_name": (
        "name : str, default=None",
        "Name shown in the title; ``estimator_name`` when None.",
    ),
    "plot_kwargs": ("**kwargs : dict", "Keyword arguments passed to ``plot``."),
    "ax_": ("ax_ : matplotlib.axes.Axes", "Axes with the plot."),
    "figure_": ("figure_ : matplotlib.figure.Figure", "Figure containing the plot."),
}

DISPLAY_DOC_GROUPS = {
    # the last parameters of most from_estimator methods, in signature order
    "name_ax_kwargs": ("name", "ax", "plot_kwargs"),
    # the last attributes of every Display, set by plot
    "plot_attributes": ("ax_", "figure_"),
}


def fill_display_docs(cls):
    """Class decorator: fill the shared entries of a Display's docstrings.

    The class's own docstring and those of its methods (``from_estimator``,
    ``plot``, ...) may name any entry or group of ``DISPLAY_DOCS`` and
    ``DISPLAY_DOC_GROUPS``, and ``{display}``: the ``Returns`` entry of a
    method returning the Display.
    """
    entries = {
        **DISPLAY_DOCS,
        "display": (f"display : {cls.__name__}", "Object that stores the computed values."),
    }
    fill = fill_docs(entries, DISPLAY_DOC_GROUPS)
    fill(cls)
    for member in vars(cls).values():
        function = getattr(member, "__func__", member)  # a classmethod's function
        if inspect.isfunction(function) and function.__doc__:
            fill(function)
    return cls


def pyplot():
    """``matplotlib.pyplot``, imported on first use (it is slow to import)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            "skae.plotting needs Matplotlib; install it with `pip install matplotlib`."
        ) from exc
    return plt


def axes(ax, figsize):
    """``(figure, ax)``: ``ax``'s figure, or a new figure and axes."""
    if ax is None:
        fig, ax = pyplot().subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def set_title(ax, what, name):
    """Title ``"<what>: <name>"``, or ``"<what>"`` alone without a name.

    The one title convention of every Display: what is drawn, then the
    estimator's name after a colon, on one line.
    """
    title = ax.set_title(f"{what}: {name}" if name else what)
    _fit_title(title, ax)


# the smallest font a title is shrunk to before it is broken after its colon
MIN_TITLE_POINTS = 7.0


def _fit_title(title, ax):
    """Shrink a title wider than the room it has, so that none is clipped.

    The room: the title is centred over its axes, so it has twice the
    distance from the axes' centre to the nearer edge of the figure, and no
    more than the width of the grid column(s) the axes sit in (it may reach
    into the margins, not over its neighbours), less 2 % each side. The axes
    are placed first by the figure's layout engine (Matplotlib places them
    again when it draws). A title still too wide at ``MIN_TITLE_POINTS`` is
    broken into two lines after its first colon. Without a renderer to
    measure with (a non-Agg canvas), the title is left alone.
    """
    figure = ax.figure
    get_renderer = getattr(figure.canvas, "get_renderer", None)
    if get_renderer is None:
        return
    engine = figure.get_layout_engine()
    if engine is not None:
        engine.execute(figure)
    share = 1.0
    spec = ax.get_subplotspec() if hasattr(ax, "get_subplotspec") else None
    if spec is not None:
        share = (spec.colspan.stop - spec.colspan.start) / spec.get_gridspec().ncols
    box = title.get_window_extent(get_renderer())
    centre = (box.x0 + box.x1) / 2
    edge = min(centre - figure.bbox.x0, figure.bbox.x1 - centre)
    room = 0.96 * min(2 * edge, share * figure.bbox.width)
    if box.width <= room:
        return
    points = title.get_fontsize()
    fitted = max(MIN_TITLE_POINTS, points * room / box.width)
    title.set_fontsize(fitted)
    if fitted == MIN_TITLE_POINTS and box.width * fitted / points > room:
        title.set_text(title.get_text().replace(": ", ":\n", 1))


def final_estimator(estimator):
    """The estimator itself, or a ``Pipeline``'s last step.

    Fitted attributes (``history_``, ``image_shape_``, ``offset_``) belong to
    the last step; a Pipeline does not expose them.
    """
    steps = getattr(estimator, "steps", None)
    return estimator if steps is None else steps[-1][1]


def estimator_name(estimator, name=None):
    """``name``, or the class name of the estimator (a Pipeline's last step)."""
    if name is not None:
        return name
    return type(final_estimator(estimator)).__name__


def as_rows(X):
    """X as a float ndarray of rows, and its image shape if X holds images."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise ValueError(
            f"Expected numeric data, got an array of dtype {X.dtype}. Encode or "
            "drop the non-numeric columns first."
        )
    X = X.astype(np.float64, copy=False)
    if X.ndim in (3, 4):
        shape = tuple(X.shape[1:]) + ((1,) if X.ndim == 3 else ())
        return X.reshape(len(X), -1), shape
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2:
        raise ValueError(f"Expected rows or images, got an array of shape {X.shape}.")
    return X, None


def rows_and_image_shape(X, image_shape, estimator):
    """X as rows, and the shape of one image, or None for tabular data.

    The shape is, in this order: ``image_shape`` when given, the shape of
    image arrays, the fitted ``image_shape_`` of the estimator (a Pipeline's
    last step).
    """
    rows, shape = as_rows(X)
    if image_shape is not None:
        shape = check_image_shape(image_shape, rows.shape[1])
    elif shape is None:
        shape = getattr(final_estimator(estimator), "image_shape_", None)
    return rows, shape


def check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def check_one_label_per_sample(y, n_samples):
    if y is not None and len(y) != n_samples:
        raise ValueError(
            f"y has {len(y)} values but X has {n_samples} samples; give one "
            "label per sample."
        )


def invertible_head(pipeline, what):
    """The steps of ``pipeline`` before its last, which must map ``what`` back."""
    head = pipeline[:-1]
    if not hasattr(head, "inverse_transform"):
        raise TypeError(
            f"The steps before {type(final_estimator(pipeline)).__name__} can "
            f"not map its {what} back to the input space: each of them needs "
            "an inverse_transform method."
        )
    return head


def reconstruct(estimator, X):
    """The estimator's reconstruction of X, in X's space.

    skae's estimators ``reconstruct``; a Pipeline ending with one reconstructs
    in its last step's space and maps the result back through the earlier
    steps' ``inverse_transform``; other estimators (PCA) invert their
    ``transform``.
    """
    if hasattr(estimator, "reconstruct"):
        return estimator.reconstruct(X)
    final = final_estimator(estimator)
    if final is not estimator and hasattr(final, "reconstruct"):
        head = invertible_head(estimator, "reconstruction")
        return head.inverse_transform(final.reconstruct(head.transform(X)))
    if hasattr(estimator, "inverse_transform") and hasattr(estimator, "transform"):
        return estimator.inverse_transform(estimator.transform(X))
    raise TypeError(
        f"{type(final).__name__} can not reconstruct data: it needs a "
        "reconstruct method, or transform and inverse_transform (as PCA has)."
    )


def reconstruction_mse(X, X_reconstructed):
    """Mean over every entry of the squared reconstruction error."""
    return float(np.mean((np.asarray(X) - np.asarray(X_reconstructed)) ** 2))


def mosaic(images, n_cols, fill=np.nan):
    """Images ``(n, H, W, C)`` tiled into one array, one pixel of ``fill`` apart."""
    n, height, width, channels = images.shape
    n_rows = -(-n // n_cols)
    out = np.full(
        (n_rows * (height + 1) - 1, n_cols * (width + 1) - 1, channels), fill
    )
    for i, image in enumerate(images):
        r, c = divmod(i, n_cols)
        top, left = r * (height + 1), c * (width + 1)
        out[top : top + height, left : left + width] = image
    return out


def show_images(ax, images, n_cols, *, vmin=None, vmax=None, **imshow_kwargs):
    """Draw images ``(n, H, W, C)`` as one tiled picture; returns the AxesImage.

    Three- and four-channel images are shown as RGB (their first three
    channels), others by their first channel in grey levels. All images share
    one intensity scale, from the smallest to the largest value shown unless
    ``vmin``/``vmax`` say otherwise.
    """
    finite = images[np.isfinite(images)]
    if vmin is None:
        vmin = float(finite.min()) if finite.size else 0.0
    if vmax is None:
        vmax = float(finite.max()) if finite.size else 1.0
    if vmax <= vmin:  # constant images: any positive range shows them
        vmax = vmin + 1.0
    channels = images.shape[-1]
    if channels in (3, 4):
        scaled = np.clip((images[..., :3] - vmin) / (vmax - vmin), 0, 1)
        picture = mosaic(scaled, n_cols, fill=1.0)
        image = ax.imshow(picture, interpolation="nearest", **imshow_kwargs)
    else:
        cmap = pyplot().get_cmap(imshow_kwargs.pop("cmap", "gray"))
        # the gaps between images are NaN: white, not the colour map's lowest
        cmap = cmap.with_extremes(bad="white")
        picture = mosaic(images[..., :1], n_cols)[..., 0]
        image = ax.imshow(
            np.ma.masked_invalid(picture),
            cmap=cmap,
            vmin=vmin,
            vmax=vmax,
            interpolation="nearest",
            **imshow_kwargs,
        )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image
