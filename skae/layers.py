"""Registered Keras layers that skae's models are made of.

Pure Keras (``keras.ops`` and ``keras.random`` only): they know nothing of
scikit-learn, run on any Keras 3 backend and load again from saved models.
"""

from ._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from keras import ops


@keras.saving.register_keras_serializable(package="skae")
class Sampling(keras.layers.Layer):
    """Draw ``z = z_mean + exp(z_log_var / 2) * epsilon`` with ``epsilon ~ N(0, I)``.

    The reparameterisation trick of a variational autoencoder (keras-io's VAE
    example): the draw is a differentiable function of the posterior's mean
    and log-variance, so gradients reach the encoder. It draws in training
    and inference alike, from its own seeded random stream.

    Parameters
    ----------
    seed : int, default=None
        Seed of the layer's ``keras.random.SeedGenerator``: the same seed gives
        the same sequence of draws. None draws a random seed.
    **kwargs
        Passed on to ``keras.layers.Layer`` (``name``, ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.layers import Sampling
    >>> mean, log_var = np.zeros((4, 2)), np.full((4, 2), -2.0)
    >>> tuple(Sampling(seed=0)([mean, log_var]).shape)
    (4, 2)
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        epsilon = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


NOISE_KINDS = ("gaussian", "masking", "salt_and_pepper")


def _serializable(value):
    """A config-friendly copy: arrays become (nested) lists, scalars floats."""
    if value is None:
        return None
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()


@keras.saving.register_keras_serializable(package="skae")
class Corruption(keras.layers.Layer):
    """Corrupt the inputs while training; pass them through unchanged otherwise.

    The corruption of a denoising autoencoder: fresh noise is drawn at every
    training step, and the layer is the identity at inference
    (``training=False``), as Keras's ``Dropout`` and ``GaussianNoise`` are.

    The layer may sit after a standardisation: its inputs are taken to be
    ``(x - mean) / scale`` of data ``x`` in the units that ``noise_level``,
    ``clip_range`` and ``value_range`` are given in, and its outputs are
    standardised the same way. So the noise is the one described below in
    the data's own units whatever the standardisation (with the defaults
    ``mean=0``, ``scale=1`` the inputs are the data).

    Parameters
    ----------
    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        "gaussian" adds normal noise of standard deviation ``noise_level``;
        "masking" sets each value to zero with probability ``noise_level``;
        "salt_and_pepper" replaces each value with probability
        ``noise_level`` by the low or the high end of ``value_range``, each
        with probability one half.
    noise_level : float, default=0.5
        Standard deviation ("gaussian") or probability per value ("masking",
        "salt_and_pepper", in [0, 1]).
    clip_range : tuple of (float, float), default=None
        Clip the corrupted values to ``[low, high]``; None does not clip.
    value_range : tuple of (float or array, float or array), default=None
        The low and high values of "salt_and_pepper" (scalars, or arrays of
        the shape of one sample); None uses ``clip_range``.
    mean : float or array-like, default=0.0
        What was subtracted from the data before this layer: a scalar, or an
        array of the shape of one sample.
    scale : float, default=1.0
        What the centred data was divided by before this layer.
    seed : int, default=None
        Seed of the layer's random stream: the same seed gives the same
        sequence of corruptions. None draws from Keras's global seed.
    active : bool, default=True
        Whether training corrupts at all. Stored as a non-trainable weight,
        so it can be switched (``layer.active.assign(0.0)``) between fits of
        a compiled model without tracing its training step again.
    **kwargs
        Passed on to ``keras.layers.Layer`` (``name``, ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.layers import Corruption
    >>> layer = Corruption("masking", 0.5, seed=0)
    >>> x = np.ones((2, 6), dtype="float32")
    >>> bool(np.all(np.asarray(layer(x)) == x))
    True
    >>> corrupted = np.asarray(layer(x, training=True))
    >>> corrupted.shape, sorted(set(corrupted.ravel().tolist())) == [0.0, 1.0]
    ((2, 6), True)
    """

    def __init__(
        self,
        noise="gaussian",
        noise_level=0.5,
        *,
        clip_range=None,
        value_range=None,
        mean=0.0,
        scale=1.0,
        seed=None,
        active=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if noise not in NOISE_KINDS:
            raise ValueError(
                f"noise must be one of {', '.join(map(repr, NOISE_KINDS))}, got "
                f"{noise!r}."
            )
        if noise_level < 0 or (noise != "gaussian" and noise_level > 1):
            bound = "non-negative" if noise == "gaussian" else "in [0, 1]"
            raise ValueError(
                f"noise_level must be {bound} for noise={noise!r}, got {noise_level}."
            )
        if value_range is None:
            value_range = clip_range
        if noise == "salt_and_pepper" and value_range is None:
            raise ValueError(
                "noise='salt_and_pepper' needs the values to set: pass "
                "value_range=(low, high) or clip_range=(low, high)."
            )
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale}.")
        self.noise = noise
        self.noise_level = float(noise_level)
        self.clip_range = None if clip_range is None else tuple(map(float, clip_range))
        self.value_range = (
            None
            if value_range is None
            else tuple(_serializable(v) for v in value_range)
        )
        self.mean = _serializable(mean)
        self.scale = float(scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.active = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(float(bool(active))),
            trainable=False,
            name="active",
        )

    def _standardized(self, value, dtype):
        """``value`` in data units, in the units of the layer's inputs."""
        value = np.asarray(value, dtype=np.float64) - np.asarray(self.mean)
        return ops.convert_to_tensor(value / self.scale, dtype=dtype)

    def call(self, inputs, training=False):
        if not training:
            return inputs
        dtype = inputs.dtype
        shape = ops.shape(inputs)
        if self.noise == "gaussian":
            corrupted = inputs + keras.random.normal(
                shape,
                stddev=self.noise_level / self.scale,
                dtype=dtype,
                seed=self.seed_generator,
            )
        else:
            draw = keras.random.uniform(shape, dtype=dtype, seed=self.seed_generator)
            if self.noise == "masking":
                corrupted = ops.where(
                    draw < self.noise_level, self._standardized(0.0, dtype), inputs
                )
            else:
                low, high = (self._standardized(v, dtype) for v in self.value_range)
                corrupted = ops.where(
                    draw < self.noise_level / 2,
                    high,
                    ops.where(draw < self.noise_level, low, inputs),
                )
        if self.clip_range is not None:
            low, high = (self._standardized(v, dtype) for v in self.clip_range)
            corrupted = ops.minimum(ops.maximum(corrupted, low), high)
        return ops.where(self.active > 0.5, corrupted, inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "noise": self.noise,
            "noise_level": self.noise_level,
            "clip_range": self.clip_range,
            "value_range": self.value_range,
            "mean": self.mean,
            "scale": self.scale,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="skae")
class Standardization(keras.layers.Layer):
    """``(x - mean) / sqrt(variance)`` per feature, with fixed statistics.

    Keras's ``Normalization`` with given ``mean`` and ``variance`` holds them
    as constant tensors, which an exported graph (ONNX through tf2onnx)
    turns into extra inputs; here they are non-trainable weights, saved,
    loaded and exported as the other weights are. A conditional model
    standardises its numeric conditions with it.

    Parameters
    ----------
    mean : array-like of shape (n_features,)
        The per-feature mean.
    variance : array-like of shape (n_features,)
        The per-feature variance (a zero variance is read as 1).
    **kwargs
        Passed on to ``keras.layers.Layer`` (``name``, ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.layers import Standardization
    >>> layer = Standardization(mean=[1.0, 0.0], variance=[4.0, 1.0])
    >>> np.asarray(layer(np.array([[3.0, 2.0]])))
    array([[1., 2.]], dtype=float32)
    """

    def __init__(self, mean, variance, **kwargs):
        super().__init__(**kwargs)
        self.mean = [float(m) for m in np.ravel(mean)]
        self.variance = [float(v) if v > 0 else 1.0 for v in np.ravel(variance)]
        if len(self.mean) != len(self.variance):
            raise ValueError(
                f"mean and variance must have one value per feature, got "
                f"{len(self.mean)} and {len(self.variance)}."
            )

    def build(self, input_shape):
        n = len(self.mean)
        self.center = self.add_weight(
            shape=(n,), initializer=keras.initializers.Constant(self.mean),
            trainable=False, name="mean",
        )
        self.inverse_scale = self.add_weight(
            shape=(n,),
            initializer=keras.initializers.Constant(1.0 / np.sqrt(self.variance)),
            trainable=False, name="inverse_scale",
        )

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        return ops.multiply(ops.subtract(inputs, self.center), self.inverse_scale)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "variance": self.variance}


@keras.saving.register_keras_serializable(package="skae")
class TrailingCondition(keras.layers.Layer):
    """The condition a conditional network's input ends with.

    A conditional model joins its condition to what a network reads: the
    last ``n_conditions`` values of a row, or the last ``n_conditions``
    channels of a sequence or an image (the same values at every time step,
    every pixel). This layer takes
    them back out, as a ``(batch, n_conditions)`` tensor, so that the
    network can join them again deeper in (see
    :func:`skae.architectures.build_dense_encoder`'s ``n_conditions``).

    Parameters
    ----------
    n_conditions : int
        Number of condition values at the end of each input.
    **kwargs
        Passed on to ``keras.layers.Layer`` (``name``, ``dtype``).

    Examples
    --------
    >>> import numpy as np
    >>> from skae.layers import TrailingCondition
    >>> rows = np.array([[0.5, 0.2, 1.0, 0.0]])
    >>> np.asarray(TrailingCondition(2)(rows))
    array([[1., 0.]], dtype=float32)
    """

    def __init__(self, n_conditions, **kwargs):
        super().__init__(**kwargs)
        self.n_conditions = int(n_conditions)

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        while len(inputs.shape) > 2:  # a sequence or an image: the first step's, pixel's
            inputs = inputs[:, 0]
        # the condition is data: no gradient flows back into it (a decoder's
        # input also holds the codes, whose gradient would gather zeros)
        return ops.stop_gradient(inputs[:, -self.n_conditions :])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n_conditions)

    def get_config(self):
        return {**super().get_config(), "n_conditions": self.n_conditions}
