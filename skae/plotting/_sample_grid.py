"""SampleGridDisplay: a grid of images, such as the samples a VAE generates."""

import numpy as np

from .._validation import check_image_shape
from ._shared import (
    as_rows,
    axes,
    estimator_name,
    fill_display_docs,
    final_estimator,
    invertible_head,
    rows_and_image_shape,
    set_title,
    show_images,
)


@fill_display_docs
class SampleGridDisplay:
    """A grid of images, such as the samples a VAE generates.

    Use :meth:`from_estimator` to draw samples from a fitted generative
    estimator (its ``sample`` method), or the constructor for any images,
    e.g. decoded latent points or per-pixel reconstruction errors.

    Parameters
    ----------
    samples : ndarray of shape (n_samples, n_features) or image array
        The samples.
    image_shape : tuple of int, default=None
        Shape of one image when ``samples`` are flat rows. Without any image
        shape the samples are drawn as a heat map, one row per sample.
    {estimator_name}

    Attributes
    ----------
    image_ : matplotlib.image.AxesImage
        The grid (or heat map).
    {plot_attributes}

    See Also
    --------
    skae.VariationalAutoencoderTransformer.sample : Generates the samples.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import VariationalAutoencoderTransformer
    >>> from skae.plotting import SampleGridDisplay
    >>> X, _ = load_digits(return_X_y=True)
    >>> vae = VariationalAutoencoderTransformer(epochs=3, random_state=0)
    >>> vae = vae.fit(X[:200] / 16)
    >>> display = SampleGridDisplay.from_estimator(
    ...     vae, n_samples=16, image_shape=(8, 8), random_state=0)
    >>> display.samples.shape
    (16, 64)
    """

    def __init__(self, samples, *, image_shape=None, estimator_name=None):
        self.samples = samples
        self.image_shape = image_shape
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        n_samples=16,
        y=None,
        image_shape=None,
        random_state=0,
        name=None,
        ax=None,
        **kwargs,
    ):
        """Draw samples with the estimator's ``sample`` method and plot them.

        With ``y``, the conditions of a conditional model: ``n_samples``
        samples of each, one row of the grid per condition.

        Parameters
        ----------
        estimator : estimator instance
            A fitted estimator with ``sample(n_samples, random_state)``, such
            as ``VariationalAutoencoderTransformer``, or a ``Pipeline`` ending
            with one: its samples are mapped back to the input space through
            the earlier steps' ``inverse_transform``.
        n_samples : int, default=16
            Number of samples (of each condition, with ``y``).
        y : sequence, default=None
            Conditions to draw samples of, for
            ``ConditionalVariationalAutoencoder``: class labels, or values of
            the condition columns, one per row of the grid.
        image_shape : tuple of int, default=None
            Shape of one image; read from the samples or the estimator's
            ``image_shape_`` (a Pipeline's last step's) when None.
        random_state : int, RandomState instance or None, default=0
            Seeds the samples.
        {name_ax_kwargs}

        Returns
        -------
        {display}
        """
        final = final_estimator(estimator)
        if not hasattr(final, "sample"):
            raise TypeError(
                f"{type(final).__name__} has no sample method; use a "
                "generative model such as VariationalAutoencoderTransformer."
            )
        if y is None:
            samples = final.sample(n_samples, random_state=random_state)
        elif not hasattr(final, "encode_conditions"):
            raise TypeError(
                f"y gives the conditions of a conditional model's samples, but "
                f"{type(final).__name__} samples without conditions: drop y."
            )
        else:
            samples = np.concatenate(
                [final.sample(n_samples, y=c, random_state=random_state) for c in y]
            )
            kwargs.setdefault("n_cols", n_samples)
        if final is not estimator:
            samples = invertible_head(estimator, "samples").inverse_transform(samples)
        rows, shape = rows_and_image_shape(samples, image_shape, estimator)
        display = cls(rows, image_shape=shape, estimator_name=estimator_name(estimator, name))
        return display.plot(ax=ax, **kwargs)

    def plot(self, ax=None, *, n_cols=None, name=None, **kwargs):
        """Plot the grid.

        Parameters
        ----------
        {ax}
        n_cols : int, default=None
            Images per row of the grid; about the square root of the number
            of samples when None.
        {plot_name}
        **kwargs : dict
            Keyword arguments passed to ``matplotlib.axes.Axes.imshow``.

        Returns
        -------
        {display}
        """
        rows, shape = as_rows(self.samples)
        if self.image_shape is not None:
            shape = check_image_shape(self.image_shape, rows.shape[1])
        n = len(rows)
        if shape is not None:
            n_cols = n_cols or int(np.ceil(np.sqrt(n)))
            n_rows = -(-n // n_cols)
            self.figure_, self.ax_ = axes(
                ax, (max(3.5, 0.6 * n_cols + 1), 0.6 * n_rows + 1.2)
            )
            self.image_ = show_images(
                self.ax_, rows.reshape((-1,) + shape), n_cols, **kwargs
            )
        else:
            self.figure_, self.ax_ = axes(ax, (6, 4))
            self.image_ = self.ax_.imshow(
                rows, aspect="auto", interpolation="nearest", **kwargs
            )
            self.figure_.colorbar(self.image_, ax=self.ax_)
            self.ax_.set_xlabel("feature")
            self.ax_.set_ylabel("sample")
        set_title(self.ax_, "Generated samples", name or self.estimator_name)
        return self
