"""The conditional variational autoencoder as pure Keras (Sohn et al., 2015).

The encoder reads a sample and its condition, ``q(z | x, c)``; the decoder
a latent code and the same condition, ``p(x | z, c)``. The model trains on
the negative ELBO of ``VariationalAutoencoderModel``, written once there:
only ``call`` differs. The condition enters both networks joined to what
they read (``condition_encoder``, ``condition_decoder``): rows take it as
more features, images as more channels, each value repeated over every
pixel. A numeric condition is standardised inside (a ``Standardization``
layer with fixed statistics), so an exported model reads it as it is.
"""

import keras

from ..layers import Standardization
from ._blocks import join_condition
from .variational import VariationalAutoencoderModel


def _normalized(condition, statistics, name):
    if statistics is None:
        return condition
    mean, variance = statistics
    return Standardization(mean, variance, name=name)(condition)


def condition_encoder(posterior, sample_shape, n_conditions, *, statistics=None, name="encoder"):
    """``q(z | x, c)``: a posterior that reads samples joined to their condition.

    Parameters
    ----------
    posterior : keras.Model
        Maps a sample with its condition joined (rows: ``n_features +
        n_conditions`` values; images: ``channels + n_conditions`` channels)
        to ``[z_mean, z_log_var]`` (see
        :func:`~skae.architectures.variational.add_log_variance_head`).
    sample_shape : tuple of int
        Shape of one sample: ``(n_features,)`` or ``(height, width, channels)``.
    n_conditions : int
        Number of condition values.
    statistics : (array-like, array-like) or None, default=None
        Mean and variance the condition is standardised with inside the model
        (a numeric condition); None reads it as it is (one-hot labels).
    name : str, default="encoder"
        Name of the returned model.

    Returns
    -------
    encoder : keras.Model
        Inputs ``[samples, condition]``, outputs ``[z_mean, z_log_var]``.
    """
    samples = keras.Input(shape=tuple(sample_shape), name=f"{name}_input")
    condition = keras.Input(shape=(n_conditions,), name=f"{name}_condition")
    joined = join_condition(samples, _normalized(condition, statistics, f"{name}_scale"), name=name)
    return keras.Model([samples, condition], posterior(joined), name=name)


def condition_decoder(decoder, n_components, n_conditions, *, statistics=None, name="decoder"):
    """``p(x | z, c)``: a decoder that reads codes with the condition appended.

    Parameters
    ----------
    decoder : keras.Model
        Maps ``n_components + n_conditions`` values to a sample.
    n_components : int
        Size of the latent codes.
    n_conditions : int
        Number of condition values.
    statistics : (array-like, array-like) or None, default=None
        As in :func:`condition_encoder`.
    name : str, default="decoder"
        Name of the returned model.

    Returns
    -------
    decoder : keras.Model
        Inputs ``[codes, condition]``, output a sample.
    """
    codes = keras.Input(shape=(n_components,), name=f"{name}_codes")
    condition = keras.Input(shape=(n_conditions,), name=f"{name}_condition")
    joined = keras.layers.Concatenate(name=f"{name}_join")(
        [codes, _normalized(condition, statistics, f"{name}_scale")]
    )
    return keras.Model([codes, condition], decoder(joined), name=name)


@keras.saving.register_keras_serializable(package="skae")
class ConditionalVariationalAutoencoderModel(VariationalAutoencoderModel):
    """A variational autoencoder whose encoder and decoder read a condition.

    ``call((x, c))`` encodes ``x`` given ``c`` to ``(z_mean, z_log_var)``,
    draws ``z`` and returns ``(decoded, z_mean, z_log_var)`` with ``decoded``
    the decoder's mean given ``z`` and ``c``. The loss is
    ``VariationalAutoencoderModel``'s negative ELBO of each sample.

    Parameters
    ----------
    encoder : keras.Model
        Maps ``[samples, condition]`` to ``[z_mean, z_log_var]`` (see
        :func:`condition_encoder`).
    decoder : keras.Model
        Maps ``[codes, condition]`` to the likelihood's mean (see
        :func:`condition_decoder`).
    **kwargs
        ``likelihood``, ``beta``, ``min_noise_scale``, ``seed`` and the
        arguments of ``keras.Model``, as for ``VariationalAutoencoderModel``.
    """

    def call(self, inputs, training=False):
        # Keras refuses a layer call that mixes tensors and arrays, and the
        # decoder reads z (a tensor) beside the condition, which JAX's eager
        # training passes in as the NumPy batch it was given.
        samples, condition = (keras.ops.convert_to_tensor(part) for part in inputs)
        z_mean, z_log_var = self.encoder([samples, condition], training=training)
        z = self.sampling([z_mean, z_log_var])
        return self.decoder([z, condition], training=training), z_mean, z_log_var
