"""An autoencoder with scores of its own: minus the mean absolute error.

``AbsoluteErrorAutoencoder`` is :class:`skae.AutoencoderTransformer` whose
``score_samples`` is minus the mean *absolute* reconstruction error of each
sample instead of the mean squared one: a sample with one badly
reconstructed feature is penalised in proportion, not quadratically, so its
scores (and ``score``, which ``GridSearchCV`` maximises) are less dominated
by a few extreme features.

It overrides one documented hook of ``skae.BaseAutoencoder``,
``_score_batch(rows, reconstruction, xp)``: the formula is written once,
for NumPy (``score_samples``) and ``keras.ops`` (``export``) alike, so an
exported SavedModel or ONNX file computes the same scores. Pickling,
``save``/``skae.load`` (``custom_objects={"AbsoluteErrorAutoencoder":
AbsoluteErrorAutoencoder}``) and Dask come from skae; ``tests/test_variants.py``
checks them.
"""

from skae import AutoencoderTransformer


class AbsoluteErrorAutoencoder(AutoencoderTransformer):
    """``AutoencoderTransformer`` scoring samples by minus their mean absolute error.

    Same parameters as :class:`skae.AutoencoderTransformer`; the network
    still trains on ``loss`` (the mean squared error by default).
    """

    def _score_batch(self, rows, reconstruction, xp):
        return -xp.mean(xp.abs(rows - reconstruction), axis=1)
