"""``model_``, ``encoder_`` and ``decoder_`` of a fit that kept its state as tensors.

A fit from a recipe (``_engine/initial_state.py``) builds no Keras model:
its estimator holds the trained state (``_fitted_state``), which inference
reads, and builds the model from it when something first asks for it
(``BaseAutoencoder._materialize``).
"""


def fitted(estimator):
    """Whether ``estimator`` holds a fit: its model, or the state to build it from."""
    state = vars(estimator)
    return "model_" in state or "_fitted_state" in state


class LazyNetwork:
    """``model_``, ``encoder_`` or ``decoder_``, built on first access after a fit from a recipe.

    A fit from a recipe (``_engine/initial_state.py``) keeps its trained
    state as tensors; inference reads them, and the Keras model is built
    from them only when something asks for it (``_materialize``). An
    estimator's own attribute always wins: this is read only when there is
    none, and an unfitted estimator raises ``AttributeError``.
    """

    def __init__(self, name):
        self.name = name

    def __get__(self, estimator, cls=None):
        if estimator is None:
            return self
        if "_fitted_state" in vars(estimator):
            estimator._materialize()
        try:
            return vars(estimator)[self.name]
        except KeyError:
            raise AttributeError(
                f"{type(estimator).__name__!r} object has no attribute {self.name!r}"
            ) from None
