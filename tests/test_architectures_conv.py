"""The convolutional builders, on their own: no scikit-learn involved."""

import keras
import numpy as np
import pytest

from skae.architectures import build_conv_decoder, build_conv_encoder


@pytest.mark.parametrize(
    "image_shape", [(28, 28, 1), (30, 30, 1), (27, 19, 1), (32, 32, 3), (5, 3, 2)]
)
def test_any_image_size_round_trips_to_its_exact_shape(image_shape):
    encoder = build_conv_encoder(image_shape, 6, filters=(4, 8))
    decoder = build_conv_decoder(6, image_shape, filters=(8, 4))
    assert encoder.output_shape == (None, 6)
    assert decoder.output_shape == (None,) + image_shape
    images = np.random.RandomState(0).rand(3, *image_shape).astype("float32")
    assert decoder.predict_on_batch(encoder.predict_on_batch(images)).shape == images.shape


def test_depth_filters_kernel_and_strides_are_honoured():
    encoder = build_conv_encoder((16, 16, 1), 4, filters=(3, 5, 7), kernel_size=5, strides=2)
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [3, 5, 7]
    assert all(c.kernel_size == (5, 5) and c.strides == (2, 2) for c in convs)
    # three stride-2 layers take 16x16 down to 2x2
    assert convs[-1].output.shape[1:3] == (2, 2)


def test_encoder_does_not_pad_and_decoder_crops_the_excess():
    # "same" strided convolutions round up: 28 -> 14 -> 7 -> 4, with no
    # padding layer; the decoder upsamples 4 -> 32 and crops back to 28
    encoder = build_conv_encoder((28, 28, 1), 4, filters=(4, 8, 16))
    kinds = [type(layer).__name__ for layer in encoder.layers]
    assert "ZeroPadding2D" not in kinds
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.output.shape[1] for c in convs] == [14, 7, 4]
    decoder = build_conv_decoder(4, (28, 28, 1), filters=(16, 8, 4))
    assert decoder.get_layer("decoder_crop").cropping == ((2, 2), (2, 2))
    assert decoder.output_shape == (None, 28, 28, 1)


def test_decoder_mirrors_the_encoder_layer_for_layer():
    # each transposed convolution undoes one convolution: back to the
    # channels it read, at the resolution it read them, the last to the image
    encoder = build_conv_encoder((16, 16, 3), 4, filters=(4, 8, 16))
    decoder = build_conv_decoder(4, (16, 16, 3), filters=(16, 8, 4), output_activation="sigmoid")
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    deconvs = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    assert [(c.input.shape[1], c.input.shape[3]) for c in convs][::-1] == [
        (d.output.shape[1], d.output.shape[3]) for d in deconvs
    ]
    assert deconvs[-1].name == "decoder_output"
    assert deconvs[-1].activation is keras.activations.sigmoid
    assert decoder.get_layer("decoder_reshape").output.shape[1:] == (2, 2, 16)


def test_no_convolution_at_all_maps_the_dense_layer_to_the_image():
    encoder = build_conv_encoder((6, 5, 2), 3, filters=())
    decoder = build_conv_decoder(3, (6, 5, 2), filters=())
    assert type(decoder.get_layer("decoder_output")).__name__ == "Conv2D"
    images = np.random.RandomState(0).rand(2, 6, 5, 2).astype("float32")
    assert decoder.predict_on_batch(encoder.predict_on_batch(images)).shape == images.shape


def test_latent_layer_is_linear_and_output_activation_is_chosen():
    encoder = build_conv_encoder((8, 8, 1), 3, filters=(4,))
    assert encoder.layers[-1].activation is keras.activations.linear
    decoder = build_conv_decoder(3, (8, 8, 1), filters=(4,), output_activation="sigmoid")
    out = decoder.predict_on_batch(np.random.RandomState(0).randn(5, 3) * 10)
    assert np.all((out >= 0) & (out <= 1))


def test_dropout_and_batch_normalization_layers_when_asked():
    plain = build_conv_encoder((8, 8, 1), 3, filters=(4, 4))
    rich = build_conv_encoder(
        (8, 8, 1), 3, filters=(4, 4), dropout=0.2, batch_normalization=True
    )
    kinds = [type(layer).__name__ for layer in rich.layers]
    assert kinds.count("BatchNormalization") == 2
    assert kinds.count("SpatialDropout2D") == 2
    assert "BatchNormalization" not in [type(layer).__name__ for layer in plain.layers]


def test_bad_image_shape_is_a_clear_error():
    for bad in [(28,), (28, 28, 0), (28, 28, 1, 1)]:
        with pytest.raises(ValueError, match="height, width, channels"):
            build_conv_encoder(bad, 4)


def test_height_and_width_alone_mean_one_channel():
    # the same rule as the estimators' input_shape (one check for both)
    encoder = build_conv_encoder((8, 8), 2, filters=(4,))
    assert encoder.input_shape == (None, 8, 8, 1)


def test_builders_train_standalone():
    encoder = build_conv_encoder((8, 8, 1), 2, filters=(4,))
    decoder = build_conv_decoder(2, (8, 8, 1), filters=(4,))
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, decoder(encoder(inputs)))
    model.compile("adam", "mse")
    images = np.random.RandomState(0).rand(16, 8, 8, 1).astype("float32")
    history = model.fit(images, images, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


def test_numpy_integers_as_sizes():
    image_shape = np.array([8, 8, 1])
    encoder = build_conv_encoder(
        image_shape, np.int64(3), filters=np.array([4, 6]), kernel_size=np.int64(3),
        strides=np.int64(2),
    )
    decoder = build_conv_decoder(
        np.int64(3), image_shape, filters=np.array([6, 4]), kernel_size=np.int64(3),
        strides=np.int64(2),
    )
    assert encoder.output_shape == (None, 3)
    assert decoder.output_shape == (None, 8, 8, 1)
    images = np.random.RandomState(0).rand(2, 8, 8, 1).astype("float32")
    assert decoder.predict_on_batch(encoder.predict_on_batch(images)).shape == images.shape


def test_condition_is_joined_to_every_hidden_layer(tmp_path):
    # images joined to 2 condition channels: every convolution after the
    # first, and the latent and output layers, read the condition again
    encoder = build_conv_encoder((8, 8, 3), 4, filters=(4, 6), n_conditions=2, seed=0)
    decoder = build_conv_decoder(4 + 2, (8, 8, 1), filters=(6, 4), n_conditions=2, seed=0)
    encoder_convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.kernel.shape[2] for layer in encoder_convs] == [3, 4 + 2]
    # the last feature maps, flattened, hold the condition's channels too
    assert encoder.get_layer("encoder_codes").kernel.shape[0] == 2 * 2 * (6 + 2)
    deconvs = [layer for layer in decoder.layers if isinstance(layer, keras.layers.Conv2DTranspose)]
    # a transposed convolution's kernel is (k, k, filters, input channels):
    # the hidden one reads the dense layer's 6 channels, the output one the
    # hidden one's 4 and the condition's 2
    assert [layer.kernel.shape[3] for layer in deconvs] == [6, 4 + 2]
    assert decoder.get_layer("decoder_output").kernel.shape[3] == 4 + 2
    rng = np.random.default_rng(0)
    condition = np.repeat(rng.random((3, 1, 1, 2)), 8, axis=1).repeat(8, axis=2)
    images = np.concatenate([rng.random((3, 8, 8, 1)), condition], axis=-1).astype("float32")
    path = tmp_path / "encoder.keras"
    encoder.save(path)
    np.testing.assert_array_equal(
        keras.saving.load_model(path).predict_on_batch(images), encoder.predict_on_batch(images)
    )
