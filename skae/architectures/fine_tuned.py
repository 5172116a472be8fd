"""The network ``skae.fine_tuning`` trains: a fitted encoder's copy with a new head."""

import keras
import numpy as np

# Name of the copied encoder inside the fine-tuned network, by which fit finds
# it to freeze and unfreeze it (kept through pickling: it is saved with the model).
ENCODER_NAME = "pretrained_encoder"


def build_fine_tuned_network(
    encoder, mean, scale, input_shape, n_outputs, output_activation, seed
):
    """A network from raw rows to a Dense layer on a copy of ``encoder``'s codes.

    Pure Keras: rows ``(batch, len(mean))`` -> standardisation ``(x - mean) /
    scale`` (a ``Normalization`` layer, not trained) -> reshape to
    ``input_shape`` when that is an image shape -> a copy of ``encoder`` with
    its weights, named ``ENCODER_NAME`` -> Dense ``n_outputs`` units with
    ``output_activation``, its kernel initialised with ``seed``. ``encoder``
    itself is never modified.
    """
    copy = keras.models.clone_model(encoder)
    copy.set_weights(encoder.get_weights())
    # one input, one output: the codes (a VAE's second output, the
    # log-variance, is left out with the layer that computes it)
    pretrained = keras.Model(copy.inputs[0], copy.outputs[0], name=ENCODER_NAME)

    mean = np.asarray(mean, dtype=np.float64)
    inputs = keras.Input(shape=mean.shape, name="x")
    hidden = keras.layers.Normalization(
        mean=mean, variance=np.full(mean.shape, float(scale) ** 2), name="standardize"
    )(inputs)
    if tuple(input_shape) != mean.shape:
        hidden = keras.layers.Reshape(tuple(input_shape), name="to_image")(hidden)
    outputs = keras.layers.Dense(
        n_outputs,
        activation=output_activation,
        kernel_initializer=keras.initializers.GlorotUniform(seed=seed),
        name="head",
    )(pretrained(hidden))
    return keras.Model(inputs, outputs, name="fine_tuned_encoder")
