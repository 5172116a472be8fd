"""ConditionalAutoencoder: the detector's backbone when X holds condition columns.

An ``AutoencoderTransformer`` whose encoder and decoder also read a numeric
condition beside each sample (the networks of ``architectures.conditional``),
trained on the reconstruction error of the sample alone. Not public:
``AutoencoderOutlierDetector(condition_columns=...)`` builds it, with the
encoded condition columns as ``y``.
"""

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

from .._concurrency import consistent
from .._input.bundle import Rows  # noqa: E402
from .._input.conditions import ConditionEncoding  # noqa: E402
from ..architectures._blocks import model_name  # noqa: E402
from ..architectures.conditional import condition_decoder, condition_encoder  # noqa: E402
from .autoencoder import AutoencoderTransformer  # noqa: E402
from .fitted_attributes import CONDITIONAL_AUTOENCODER  # noqa: E402
from .networks import build_networks  # noqa: E402


class ConditionalAutoencoder(AutoencoderTransformer):
    """An autoencoder told each sample's numeric condition ``y`` (n_samples, k).

    The condition is standardised inside the model (its mean and variance at
    fit) and joined to what the encoder and the decoder read; the network
    reconstructs X alone and ``score_samples(X, y)`` is minus the mean
    squared reconstruction error of X given y. Parameters as
    ``AutoencoderTransformer``.
    """

    _fitted_schema = CONDITIONAL_AUTOENCODER  # what skae.load checks a file's state against

    def _fit_rows(self, X, y, *, reset):
        name = type(self).__name__
        if reset:
            encoding = ConditionEncoding.fit(y, "numeric", X.shape[0], name)
            self.condition_mean_, self.condition_var_ = encoding.mean, encoding.variance
            self.n_conditions_ = encoding.n_conditions
        return Rows(X, condition=self._encode(y, X.shape[0], "fit"))

    def _encode(self, y, n_samples, method):
        encoding = ConditionEncoding(
            "numeric", None, self.condition_mean_, self.condition_var_, self.n_conditions_
        )
        return encoding.encode(y, n_samples, type(self).__name__, method)

    def _condition_shape(self):
        return (self.n_conditions_,)

    def _assemble(self, input_shape, seeds):
        n_conditions = self.n_conditions_
        encoder, decoder = build_networks(self, input_shape, seeds, n_conditions=n_conditions)
        statistics = (self.condition_mean_, self.condition_var_)
        encoder = condition_encoder(
            encoder, input_shape, n_conditions, statistics=statistics, name="conditional_encoder"
        )
        decoder = condition_decoder(
            decoder, int(self.n_components), n_conditions, statistics=statistics,
            name="conditional_decoder",
        )
        samples = keras.Input(shape=tuple(input_shape), name="input")
        condition = keras.Input(shape=(n_conditions,), name="condition")
        outputs = decoder([encoder([samples, condition]), condition])
        return keras.Model([samples, condition], outputs, name=model_name(type(self)))

    def _networks(self, model):
        return model.get_layer("conditional_encoder"), model.get_layer("conditional_decoder")

    # with a condition, each hook gets (its batch, the condition)
    def _encode_batch(self, encoder, batch):
        samples, condition = batch
        return encoder([samples, condition], training=False)

    def _decode_batch(self, decoder, batch):
        codes, condition = batch
        return decoder([codes, condition], training=False)

    def _inference_key(self):
        return ()

    def _score_samples(self, X):
        rows = X if isinstance(X, Rows) else Rows(X)
        reconstruction = self._forward(rows)
        return self._score_batch(np.asarray(rows.inputs, dtype=np.float64), reconstruction, np)

    def _export_scores(self, rows, network):
        # the base formula: the condition comes with the network (network.condition)
        return super()._export_scores(rows, network)

    def _conditioned(self, X, y, method):
        check_is_fitted(self)
        X = self._check_input(X, reset=False)
        return Rows(X, condition=self._encode(y, X.shape[0], method))

    @consistent
    def transform(self, X, y=None):
        """The codes of X given y."""
        return self._codes(self._forward(self._conditioned(X, y, "transform"), decode=False))

    @consistent
    def reconstruct(self, X, y=None):
        """X encoded and decoded given y."""
        ndim = np.ndim(X)
        return self._rows_as_given(self._forward(self._conditioned(X, y, "reconstruct")), ndim)

    @consistent
    def score_samples(self, X, y=None):
        """Minus the mean squared reconstruction error of each sample, given y."""
        return self._finite_scores(self._conditioned(X, y, "score_samples"))
