# Doctests in skae/ run with TensorFlow's start-up log lines hidden, as tests do.
from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()
