"""The tasks of ``benchmarks/mnist.py``, and the tutorial's Keras code beside them.

Imported by ``mnist.py`` as ``from _mnist_tasks import ...``. Each task
returns plain dicts (one per row of the report); ``mnist.py`` turns them
into goals, tables and the Markdown report.

The tutorial's code is written here as the tutorial writes it: Keras layers,
``model.compile("adam", "mse")`` and ``model.fit``. One change: its layers
get seeded initialisers, so that a run can be repeated without seeding
Keras's global state (this project never does); ``model.fit``'s shuffling is
Keras's own and not seeded.
"""

import time

import keras
import numpy as np
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae.architectures import build_conv_decoder, build_conv_encoder

from _common import build_tutorial_autoencoder  # noqa: E402  (this folder's)

SIDE = 28
NOISE_LEVEL = 0.5  # the tutorial's noise factor
TEST_SIZE = 1000
DENOISING_COMPONENTS = 32
RECONSTRUCTION_COMPONENTS = (16, 32, 64)
VAE_COMPONENTS = 16
DETECTOR_COMPONENTS = 8
# the tutorial's training: 50 epochs of batch 32, Adam, mean squared error
TUTORIAL_EPOCHS = 50
TUTORIAL_BATCH_SIZE = 32


# ----------------------------------------------------------------------
# data
# ----------------------------------------------------------------------
def split(X, y, *, n_samples=None):
    """``(X_train, X_test, y_train, y_test)``: a stratified split, 1,000 test digits.

    ``n_samples`` (``--quick``) keeps a stratified subset of that many
    digits first, a fifth of them for testing.
    """
    test_size = TEST_SIZE
    if n_samples is not None:
        X, _, y, _ = train_test_split(X, y, train_size=n_samples, stratify=y, random_state=0)
        test_size = n_samples // 5
    return train_test_split(X, y, test_size=test_size, stratify=y, random_state=0)


def add_noise(X, seed):
    """The tutorial's corruption: Gaussian noise of 0.5, clipped to [0, 1]."""
    noise = NOISE_LEVEL * np.random.RandomState(seed).standard_normal(X.shape)
    return np.clip(X + noise, 0.0, 1.0)


def images(X):
    """Rows of 784 pixels as ``(n, 28, 28, 1)`` float32 images, as Keras wants them."""
    return np.asarray(X, dtype=np.float32).reshape(-1, SIDE, SIDE, 1)


def psnr(clean, restored):
    """Peak signal-to-noise ratio in dB for data in [0, 1], MSE over all values."""
    mse = np.mean((np.asarray(clean).ravel() - np.asarray(restored).ravel()) ** 2)
    return float(10 * np.log10(1.0 / mse))


def mse(clean, restored):
    return float(np.mean((np.asarray(clean).ravel() - np.asarray(restored).ravel()) ** 2))


# ----------------------------------------------------------------------
# the tutorial's Keras code
# ----------------------------------------------------------------------
def _seeded(seed):
    """Glorot-uniform initialisers seeded one after another from ``seed``."""
    seeds = iter(range(1000 * seed, 1000 * seed + 1000))
    return lambda: keras.initializers.GlorotUniform(seed=next(seeds))


def tutorial_conv_networks(n_components, filters, *, seed=0):
    """The tutorial's convolutional autoencoder as ``(encoder, decoder)``.

    Conv2D of ``filters`` with stride 2 and ReLU, a dense code, a dense layer
    back to the last feature map, Conv2DTranspose of the filters reversed and
    a sigmoid Conv2D to one channel. With three layers the 28x28 digits are
    zero-padded to 32x32 and cropped back (the tutorial's model is built for
    32x32 images); with two, 28 -> 14 -> 7 fits as it is.
    """
    init = _seeded(seed)
    pad = 2 if len(filters) == 3 else 0
    inputs = keras.Input((SIDE, SIDE, 1))
    x = keras.layers.ZeroPadding2D(pad)(inputs) if pad else inputs
    for n in filters:
        x = keras.layers.Conv2D(
            n, 3, strides=2, padding="same", activation="relu", kernel_initializer=init()
        )(x)
    feature_map = tuple(x.shape[1:])
    x = keras.layers.Flatten()(x)
    codes = keras.layers.Dense(n_components, kernel_initializer=init())(x)
    encoder = keras.Model(inputs, codes, name="encoder")

    code_input = keras.Input((n_components,))
    x = keras.layers.Dense(
        int(np.prod(feature_map)), activation="relu", kernel_initializer=init()
    )(code_input)
    x = keras.layers.Reshape(feature_map)(x)
    for n in filters[::-1]:
        x = keras.layers.Conv2DTranspose(
            n, 3, strides=2, padding="same", activation="relu", kernel_initializer=init()
        )(x)
    x = keras.layers.Conv2D(
        1, 3, padding="same", activation="sigmoid", kernel_initializer=init()
    )(x)
    outputs = keras.layers.Cropping2D(pad)(x) if pad else x
    return encoder, keras.Model(code_input, outputs, name="decoder")


def output_stage_decoder(n_components, channels, *, seed=100):
    """skae's default conv decoder for a 28x28 image, its output stage at full resolution.

    Dense to 4x4x128, Conv2DTranspose 64 and 32 (stride 2, ReLU) as skae's
    ``build_conv_decoder``, then a stride-2 Conv2DTranspose to ``channels``
    at 32x32 (ReLU) and a 3x3 stride-1 convolution to the image's one
    channel, linear, cropped to 28x28: the output stage of the tutorial's
    and of Keras's examples' decoders, where skae's ends in a stride-2
    transposed convolution to the one channel.
    """
    seeds = iter(range(seed, seed + 100))

    def init():
        return keras.initializers.GlorotUniform(seed=next(seeds))

    inputs = keras.Input((n_components,))
    x = keras.layers.Dense(4 * 4 * 128, activation="relu", kernel_initializer=init())(inputs)
    x = keras.layers.Reshape((4, 4, 128))(x)
    for n in (64, 32, channels):
        x = keras.layers.Conv2DTranspose(
            n, 3, strides=2, padding="same", activation="relu", kernel_initializer=init()
        )(x)
    x = keras.layers.Conv2D(1, 3, padding="same", kernel_initializer=init())(x)
    return keras.Model(inputs, keras.layers.Cropping2D(2)(x))


def fit_conv_autoencoder(n_components, train, test, *, stage=None, seed=0, **settings):
    """``(test MSE, fit seconds, epochs)`` of a conv ``AutoencoderTransformer`` on images.

    ``train`` and ``test`` of shape (n, height, width); ``stage`` None for
    skae's own networks, else skae's conv encoder (seeded by ``seed``) and
    ``output_stage_decoder(n_components, stage)`` (seeded by ``100 + 100 *
    seed``); ``settings`` go to the estimator.
    """
    networks = {}
    if stage is not None:
        networks = {
            "encoder": build_conv_encoder(train.shape[1:] + (1,), n_components, seed=seed),
            "decoder": output_stage_decoder(n_components, stage, seed=100 + 100 * seed),
        }
    estimator = AutoencoderTransformer(
        n_components, architecture="conv", random_state=seed, **networks, **settings
    )
    start = time.perf_counter()
    estimator.fit(train[..., None])
    seconds = time.perf_counter() - start
    return mse(test, estimator.reconstruct(test[..., None])), seconds, estimator.n_iter_


def joined(encoder, decoder):
    """``decoder(encoder(x))`` as one Keras model, compiled as the tutorial does."""
    inputs = keras.Input(encoder.input_shape[1:])
    model = keras.Model(inputs, decoder(encoder(inputs)))
    model.compile(optimizer="adam", loss="mse")
    return model


def tutorial_callbacks():
    """The tutorial's two callbacks on a 10 % validation split."""
    return [
        keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=3),
    ]


def fit_tutorial(model, inputs, targets, *, epochs):
    """``model.fit`` as the tutorial calls it; ``(seconds, epochs run)``."""
    start = time.perf_counter()
    history = model.fit(
        inputs,
        targets,
        epochs=epochs,
        batch_size=TUTORIAL_BATCH_SIZE,
        validation_split=0.1,
        callbacks=tutorial_callbacks(),
        verbose=0,
    )
    return time.perf_counter() - start, len(history.history["loss"])


# ----------------------------------------------------------------------
# the tasks
# ----------------------------------------------------------------------
def _timed_fit(estimator, X, y=None):
    start = time.perf_counter()
    estimator.fit(X, y)
    return time.perf_counter() - start


def denoising(X_train, X_test, *, epochs=None):
    """PSNR of the restored noisy test digits: tutorial, skae, PCA; one row each.

    The training digits are corrupted once (seed 1) for the tutorial's
    model, which trains on them noisy -> noisy as written, then the same
    model noisy -> clean; skae's DenoisingAutoencoder corrupts afresh at
    every step. The test digits are corrupted with seed 2.
    """
    tutorial_epochs = epochs or TUTORIAL_EPOCHS
    training = {} if epochs is None else {"epochs": epochs}
    X_noisy_train, X_noisy_test = add_noise(X_train, 1), add_noise(X_test, 2)
    rows = [{"method": "noisy input", "psnr": psnr(X_test, X_noisy_test)}]
    for k in RECONSTRUCTION_COMPONENTS:
        start = time.perf_counter()
        pca = PCA(k, random_state=0).fit(X_train)
        seconds = time.perf_counter() - start
        restored = pca.inverse_transform(pca.transform(X_noisy_test))
        rows.append({"method": f"PCA({k})", "psnr": psnr(X_test, restored), "fit_seconds": seconds})

    for name, target in (
        ("tutorial's Keras model, noisy -> noisy (as written)", X_noisy_train),
        ("tutorial's Keras model, noisy -> clean", X_train),
    ):
        model = joined(*tutorial_conv_networks(DENOISING_COMPONENTS, (32, 64)))
        seconds, n_epochs = fit_tutorial(
            model, images(X_noisy_train), images(target), epochs=tutorial_epochs
        )
        restored = model.predict(images(X_noisy_test), verbose=0)
        rows.append(_fit_row(name, psnr(X_test, restored), seconds, n_epochs))

    noise = dict(noise_level=NOISE_LEVEL, clip_range=(0, 1), random_state=0, **training)
    for name, estimator, X in (
        (
            f'DenoisingAutoencoder({DENOISING_COMPONENTS}, architecture="conv")',
            DenoisingAutoencoder(DENOISING_COMPONENTS, architecture="conv", **noise),
            X_train.reshape(-1, SIDE, SIDE),
        ),
        (
            f"DenoisingAutoencoder({DENOISING_COMPONENTS}) (dense)",
            DenoisingAutoencoder(DENOISING_COMPONENTS, **noise),
            X_train,
        ),
    ):
        seconds = _timed_fit(estimator, X)
        restored = estimator.reconstruct(X_noisy_test.reshape((-1, *X.shape[1:])))
        rows.append(_fit_row(name, psnr(X_test, restored), seconds, estimator.n_iter_))
    return rows


def _fit_row(method, score, seconds, n_epochs):
    row = {"method": method, "psnr": score, "fit_seconds": seconds, "epochs": n_epochs}
    print(f"  {method}: {score:.2f} dB in {seconds:.1f} s ({n_epochs} epochs)", flush=True)
    return row


def reconstruction(X_train, X_test, *, epochs=None):
    """Test MSE of clean digits: PCA, dense and conv autoencoders, the tutorial's conv.

    One row per method and ``n_components``: ``method``, ``n_components``,
    ``mse``, ``fit_seconds``, ``epochs``.
    """
    training = {} if epochs is None else {"epochs": epochs}
    image_train = X_train.reshape(-1, SIDE, SIDE)
    image_test = X_test.reshape(-1, SIDE, SIDE)
    rows = []
    for k in RECONSTRUCTION_COMPONENTS:
        start = time.perf_counter()
        pca = PCA(k, random_state=0).fit(X_train)
        seconds = time.perf_counter() - start
        restored = pca.inverse_transform(pca.transform(X_test))
        rows.append(
            {"method": "PCA", "n_components": k, "mse": mse(X_test, restored), "fit_seconds": seconds}
        )
        for method, estimator, train, test in (
            ("AutoencoderTransformer (dense)", AutoencoderTransformer(k, random_state=0, **training), X_train, X_test),
            (
                'AutoencoderTransformer(architecture="conv")',
                AutoencoderTransformer(k, architecture="conv", random_state=0, **training),
                image_train,
                image_test,
            ),
        ):
            seconds = _timed_fit(estimator, train)
            error = mse(test, estimator.reconstruct(test))
            rows.append(
                {"method": method, "n_components": k, "mse": error, "fit_seconds": seconds,
                 "epochs": estimator.n_iter_}
            )
            print(f"  {method}, {k}: MSE {error:.5f} in {seconds:.1f} s", flush=True)
    k = 32
    model = joined(*tutorial_conv_networks(k, (32, 64, 128)))
    seconds, n_epochs = fit_tutorial(
        model, images(X_train), images(X_train), epochs=epochs or TUTORIAL_EPOCHS
    )
    error = mse(X_test, model.predict(images(X_test), verbose=0))
    rows.append(
        {"method": "tutorial's Keras conv autoencoder", "n_components": k, "mse": error,
         "fit_seconds": seconds, "epochs": n_epochs}
    )
    print(f"  tutorial's conv autoencoder, {k}: MSE {error:.5f} in {seconds:.1f} s", flush=True)
    return rows


# ----------------------------------------------------------------------
# the VAE
# ----------------------------------------------------------------------
class TutorialVAE(keras.Model):
    """The tutorial's VAE: dense 128-64 encoder and decoder, a sampling step, KL averaged.

    Its loss is the binary cross-entropy summed over the pixels, plus the KL
    divergence averaged over the latent dimensions and the batch, as the
    tutorial writes it (which weighs the KL term too lightly; skae sums it).
    """

    def __init__(self, n_features, n_components, *, seed=0, **kwargs):
        super().__init__(**kwargs)
        init = _seeded(seed)
        inputs = keras.Input((n_features,))
        x = keras.layers.Dense(128, activation="relu", kernel_initializer=init())(inputs)
        x = keras.layers.Dense(64, activation="relu", kernel_initializer=init())(x)
        z_mean = keras.layers.Dense(n_components, kernel_initializer=init())(x)
        z_log_var = keras.layers.Dense(n_components, kernel_initializer=init())(x)
        self.encoder = keras.Model(inputs, [z_mean, z_log_var])
        self.decoder = keras.Sequential(
            [
                keras.Input((n_components,)),
                keras.layers.Dense(64, activation="relu", kernel_initializer=init()),
                keras.layers.Dense(128, activation="relu", kernel_initializer=init()),
                keras.layers.Dense(n_features, activation="sigmoid", kernel_initializer=init()),
            ]
        )
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=False):
        z_mean, z_log_var = self.encoder(inputs)
        epsilon = keras.random.normal(keras.ops.shape(z_mean), seed=self.seed_generator)
        z = z_mean + keras.ops.exp(0.5 * z_log_var) * epsilon
        return self.decoder(z), z_mean, z_log_var

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction, z_mean, z_log_var = y_pred
        bce = keras.losses.binary_crossentropy(x[..., None], reconstruction[..., None])
        kl = -0.5 * (1 + z_log_var - keras.ops.square(z_mean) - keras.ops.exp(z_log_var))
        return keras.ops.mean(keras.ops.sum(bce, axis=1)) + keras.ops.mean(kl)


def bernoulli_elbo(encoder, decoder, X, *, n_draws=16, seed=0):
    """Mean ELBO in nats of rows X in [0, 1] under a Bernoulli decoder (KL exact)."""
    def numpy(tensor):
        return np.asarray(keras.ops.convert_to_numpy(tensor), dtype=np.float64)

    mean, log_var = (numpy(a) for a in encoder(X.astype(np.float32)))
    std = np.exp(0.5 * log_var)
    draws = np.random.RandomState(seed).standard_normal((n_draws, mean.shape[1]))
    log_likelihood = np.zeros(len(X))
    for draw in draws:
        p = np.clip(numpy(decoder((mean + std * draw).astype(np.float32))), 1e-7, 1 - 1e-7)
        log_likelihood += np.sum(X * np.log(p) + (1 - X) * np.log1p(-p), axis=1) / n_draws
    kl = 0.5 * np.sum(mean**2 + std**2 - 1 - log_var, axis=1)
    return float(np.mean(log_likelihood - kl))


def vae(X_train, X_test, *, epochs=None, n_grid=100):
    """Held-out ELBO and fit time of skae's VAE and the tutorial's; skae's samples.

    Both use a Bernoulli likelihood (binary cross-entropy) on the pixels in
    [0, 1]. Returns ``(rows, samples)``: ``samples`` are ``n_grid`` digits
    drawn by skae's VAE (seed 0).
    """
    X_train32 = X_train.astype(np.float32)
    model = TutorialVAE(X_train.shape[1], VAE_COMPONENTS)
    model.compile(optimizer="adam")
    start = time.perf_counter()
    history = model.fit(
        X_train32,
        epochs=epochs or TUTORIAL_EPOCHS,
        batch_size=TUTORIAL_BATCH_SIZE,
        validation_split=0.1,
        callbacks=tutorial_callbacks(),
        verbose=0,
    )
    seconds = time.perf_counter() - start
    rows = [
        {
            "method": f"tutorial's Keras VAE ({VAE_COMPONENTS} latent)",
            "test_elbo": bernoulli_elbo(model.encoder, model.decoder, X_test),
            "train_elbo": bernoulli_elbo(model.encoder, model.decoder, X_train),
            "fit_seconds": seconds,
            "epochs": len(history.history["loss"]),
        }
    ]
    training = {} if epochs is None else {"epochs": epochs}
    estimator = VariationalAutoencoderTransformer(
        VAE_COMPONENTS, loss="binary_crossentropy", random_state=0, **training
    )
    seconds = _timed_fit(estimator, X_train)
    rows.append(
        {
            "method": f'VariationalAutoencoderTransformer({VAE_COMPONENTS}, loss="binary_crossentropy")',
            "test_elbo": estimator.score(X_test),
            "train_elbo": estimator.score(X_train),
            "fit_seconds": seconds,
            "epochs": estimator.n_iter_,
        }
    )
    for row in rows:
        print(f"  {row['method']}: held-out ELBO {row['test_elbo']:.1f} nats in "
              f"{row['fit_seconds']:.1f} s", flush=True)
    return rows, estimator.sample(n_grid, random_state=0)


# ----------------------------------------------------------------------
# one-class anomaly detection
# ----------------------------------------------------------------------
def _reconstruction_scores(X, X_reconstructed):
    """Minus the mean squared reconstruction error of each row (higher = more normal)."""
    return -np.mean((np.asarray(X) - np.asarray(X_reconstructed)) ** 2, axis=1)


def _tutorial_detector(X, X_test, epochs):
    model = build_tutorial_autoencoder(X.shape[1], DETECTOR_COMPONENTS)
    model.compile(optimizer="adam", loss="mse")
    X = X.astype(np.float32)
    # the tutorial's dense autoencoder trains 50 epochs of batch 256
    model.fit(X, X, epochs=epochs or 50, batch_size=256, verbose=0)
    return _reconstruction_scores(X_test, model.predict(X_test.astype(np.float32), verbose=0))


def _pca_detector(X, X_test):
    pca = PCA(DETECTOR_COMPONENTS, random_state=0).fit(X)
    return _reconstruction_scores(X_test, pca.inverse_transform(pca.transform(X_test)))


def detectors(epochs=None):
    """``{name: scorer}``; a scorer maps ``(X_normal, X_test)`` to scores, higher = normal."""
    training = {} if epochs is None else {"epochs": epochs}
    k = DETECTOR_COMPONENTS
    return {
        "IsolationForest": lambda X, X_test: IsolationForest(random_state=0)
        .fit(X)
        .score_samples(X_test),
        f"PCA({k}) reconstruction error": _pca_detector,
        f"tutorial's Keras autoencoder ({k})": lambda X, X_test: _tutorial_detector(
            X, X_test, epochs
        ),
        f"AutoencoderOutlierDetector({k})": lambda X, X_test: AutoencoderOutlierDetector(
            k, random_state=0, **training
        )
        .fit(X)
        .score_samples(X_test),
    }


def one_class(X_train, y_train, X_test, y_test, *, digits=tuple(range(10)), epochs=None):
    """ROC AUC with each digit as the normal class in turn; one row per detector.

    Each detector trains on the digit's training images only and scores all
    the test images; the digit's own are the inliers (positives).
    """
    rows = []
    for name, scorer in detectors(epochs).items():
        aucs, seconds = [], 0.0
        for digit in digits:
            start = time.perf_counter()
            scores = scorer(X_train[y_train == digit], X_test)
            seconds += time.perf_counter() - start
            aucs.append(float(roc_auc_score(y_test == digit, scores)))
        rows.append({"method": name, "auc": aucs, "mean_auc": float(np.mean(aucs)),
                     "seconds": seconds})
        print(f"  {name}: mean ROC AUC {rows[-1]['mean_auc']:.4f} ({seconds:.1f} s)", flush=True)
    return rows


# ----------------------------------------------------------------------
# seconds per epoch: the loop apart from the network
# ----------------------------------------------------------------------
class _EpochClock(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = [time.perf_counter()]

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter())

    def seconds_per_epoch(self):
        """Median seconds of the epochs after the first (which compiles)."""
        return float(np.median(np.diff(self.times)[1:]))


def networks(n_components):
    """``{name: (encoder, decoder)}``: skae's default conv network and the tutorial's."""
    shape = (SIDE, SIDE, 1)
    defaults = AutoencoderTransformer(n_components, architecture="conv")
    return {
        "skae's default conv network": (
            build_conv_encoder(shape, n_components, filters=defaults.filters, seed=0),
            build_conv_decoder(n_components, shape, filters=defaults.filters[::-1], seed=0),
        ),
        "tutorial's denoiser (32, 64)": tutorial_conv_networks(n_components, (32, 64)),
        "tutorial's conv autoencoder (32, 64, 128)": tutorial_conv_networks(
            n_components, (32, 64, 128)
        ),
    }


def epoch_speed(X_train, *, epochs=4, n_components=DENOISING_COMPONENTS):
    """Seconds per epoch of each network trained by skae and by ``Model.fit``.

    The same Keras networks, the same rows, batch 32, Adam and MSE, no
    validation split: skae's ``AutoencoderTransformer(encoder=...,
    decoder=...)`` against ``model.fit`` of ``decoder(encoder(x))``; the
    median over epochs 2 to ``epochs``.
    """
    X = images(X_train)
    rows = []
    for name, (encoder, decoder) in networks(n_components).items():
        skae_clock, keras_clock = _EpochClock(), _EpochClock()
        AutoencoderTransformer(
            n_components, architecture="conv", encoder=encoder, decoder=decoder,
            epochs=epochs, batch_size=TUTORIAL_BATCH_SIZE, early_stopping=False,
            random_state=0, callbacks=[skae_clock],
        ).fit(X)
        model = joined(*(keras.models.clone_model(net) for net in (encoder, decoder)))
        model.fit(X, X, epochs=epochs, batch_size=TUTORIAL_BATCH_SIZE, verbose=0,
                  callbacks=[keras_clock])
        rows.append(
            {
                "network": name,
                "weights": int(encoder.count_params() + decoder.count_params()),
                "skae": skae_clock.seconds_per_epoch(),
                "keras": keras_clock.seconds_per_epoch(),
            }
        )
        print(f"  {name}: {rows[-1]['skae']:.2f} s/epoch by skae, "
              f"{rows[-1]['keras']:.2f} s by Model.fit", flush=True)
    return rows
