"""A sparse autoencoder: an L1 penalty on the codes, in one file over skae's base.

``SparseAutoencoder`` is :class:`skae.AutoencoderTransformer` plus one
parameter, ``l1``. While training, each sample's codes add ``l1 * sum(|code|)``
to the reconstruction loss (Keras's ``ActivityRegularization`` layer, between
the encoder and the decoder), so that many codes of a sample are exactly
zero (Goodfellow, Bengio and Courville, *Deep Learning*, 2016, section
14.2.1). The codes are ReLU by default (``latent_activation="relu"``): with
linear codes the penalty only shrinks them, and the decoder scales them back
up.

It overrides two of skae's documented hooks (``skae.BaseAutoencoder``):
``_assemble`` puts the penalty between encoder and decoder, and
``_link_networks`` finds the encoder and decoder around it. Everything else
comes from skae: validation, training, early stopping, ``transform``,
pickling, ``save``/``skae.load`` (hand the class over by name:
``skae.load(path, custom_objects={"SparseAutoencoder": SparseAutoencoder})``),
``export`` to SavedModel and ONNX (the penalty acts in training only, so the
exported codes are the encoder's), Dask. ``examples/custom_variants.py``
uses it; ``tests/test_variants.py`` checks all of that.
"""

from numbers import Real

import keras
from sklearn.utils._param_validation import Interval

from skae import AutoencoderTransformer


class SparseAutoencoder(AutoencoderTransformer):
    """Autoencoder whose codes pay an L1 penalty while training.

    Parameters
    ----------
    n_components : int, default=2
        Size of the codes.
    l1 : float, default=0.01
        Weight of the mean (over the batch) of ``sum(|code|)`` in the loss;
        0 is a plain autoencoder.
    latent_activation : str, default="relu"
        Activation of the codes; ReLU, so that the penalty zeroes codes.
    **other parameters
        Those of :class:`skae.AutoencoderTransformer`, with its defaults.
    """

    _parameter_constraints = {
        **AutoencoderTransformer._parameter_constraints,
        "l1": [Interval(Real, 0, None, closed="left")],
    }

    # scikit-learn reads the parameters from the signature: all of them, explicitly
    def __init__(
        self,
        n_components=2,
        *,
        l1=0.01,
        architecture="dense",
        input_shape=None,
        hidden_layer_sizes=(128, 64),
        filters=(32, 64, 128),
        kernel_size=3,
        strides=2,
        activation="relu",
        latent_activation="relu",
        loss="mse",
        dropout=0.0,
        batch_normalization=False,
        encoder=None,
        decoder=None,
        optimizer="adam",
        learning_rate=0.001,
        epochs=200,
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=0.0001,
        reduce_lr_on_plateau=True,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        run_eagerly=False,
        distribution=None,
    ):
        super().__init__(
            n_components,
            architecture=architecture,
            input_shape=input_shape,
            hidden_layer_sizes=hidden_layer_sizes,
            filters=filters,
            kernel_size=kernel_size,
            strides=strides,
            activation=activation,
            latent_activation=latent_activation,
            loss=loss,
            dropout=dropout,
            batch_normalization=batch_normalization,
            encoder=encoder,
            decoder=decoder,
            optimizer=optimizer,
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            reduce_lr_on_plateau=reduce_lr_on_plateau,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
            run_eagerly=run_eagerly,
            distribution=distribution,
        )
        self.l1 = l1

    def _assemble(self, input_shape, seeds):
        encoder, decoder = self._build_networks(input_shape, seeds)
        inputs = keras.Input(shape=input_shape, name="input")
        codes = keras.layers.ActivityRegularization(l1=float(self.l1), name="sparsity")(
            encoder(inputs)
        )
        return keras.Model(inputs, decoder(codes), name="sparse_autoencoder")

    def _link_networks(self):
        _, self.encoder_, _, self.decoder_ = self.model_.layers
