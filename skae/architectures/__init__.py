"""Pure Keras builders for encoders and decoders.

Each builder is a small function that returns a ``keras.Model`` from a few
arguments and knows nothing of scikit-learn, so it can be used, tested and
extended on its own.
"""

from .._startup import quiet_keras_import

# every builder module imports Keras
quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

from .conv import build_conv_decoder, build_conv_encoder
from .dense import build_dense_decoder, build_dense_encoder
from .sequence import build_sequence_decoder, build_sequence_encoder

__all__ = [
    "build_conv_decoder",
    "build_conv_encoder",
    "build_dense_decoder",
    "build_dense_encoder",
    "build_sequence_decoder",
    "build_sequence_encoder",
]
