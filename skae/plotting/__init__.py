"""Displays: the pictures of an autoencoder, in scikit-learn's idiom.

Each Display follows ``sklearn.metrics.RocCurveDisplay``: a class method
``from_estimator`` computes what to draw from a fitted estimator (or a
``Pipeline`` ending with one) and plots it; the constructor takes already
computed values; ``plot(ax=None, ..., **kwargs)`` draws on ``ax`` (a new
figure when None), passes ``kwargs`` on to the Matplotlib call that draws
the Display's main artist, and sets ``figure_`` and ``ax_``. Only Matplotlib
is used and nothing is shown: the Displays work headless (the Agg backend),
and ``display.figure_.savefig(path)`` writes the picture.

Every title reads ``"<what is drawn>: <estimator name>"`` on one line, e.g.
``"Training history: AutoencoderTransformer"``; without a name, the title
is what is drawn alone. The name is ``name`` when given, else the class name
of the estimator (of a Pipeline's last step).

A Display of several panels keeps the one it titles in ``ax_`` and the
others in their own attributes (``TimeSeriesAnomalyDisplay.score_ax_``);
given one Axes, it splits that Axes' place in its figure's grid between
them, as ``sklearn.inspection.PartialDependenceDisplay`` treats one Axes as
the room for several plots.

One module per Display, as in ``sklearn/metrics/_plot/``; what they share is
in ``_shared``. This package imports neither Keras nor TensorFlow.
"""

from ._anomaly_score import AnomalyScoreDisplay
from ._latent_space import LatentSpaceDisplay
from ._pca_comparison import PCAComparisonDisplay
from ._reconstruction import ReconstructionDisplay
from ._sample_grid import SampleGridDisplay
from ._time_series import TimeSeriesAnomalyDisplay
from ._training_history import TrainingHistoryDisplay

__all__ = [
    "AnomalyScoreDisplay",
    "LatentSpaceDisplay",
    "PCAComparisonDisplay",
    "ReconstructionDisplay",
    "SampleGridDisplay",
    "TimeSeriesAnomalyDisplay",
    "TrainingHistoryDisplay",
]
