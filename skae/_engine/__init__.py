"""The engine: training loops, compiled epochs and their pool, inference, distribution.

Below the estimators and the saving/export layer, above the input side: it
trains and runs Keras models on rows it is handed, and knows no estimator
class (only the attributes it is given to read).
"""

from .._startup import quiet_keras_import

# every module of the engine imports Keras
quiet_keras_import()  # before Keras is first imported (skae/_startup.py)
