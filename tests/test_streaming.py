"""Out-of-core input: memmaps, h5py datasets and row-sliceable arrays, read in blocks."""

import numpy as np
import pytest

import skae._engine.streamed_training as streamed_training
import skae._input.streaming as streaming
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._input.bundle import Rows

from .conftest import FAST


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    # stream every out-of-core input, in blocks of 48 rows of 64 float64
    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 48 * 64 * 8)


class CountingRows:
    """A row-sliceable array (as h5py or zarr) that counts each row's reads."""

    def __init__(self, array):
        self.array = array
        self.shape, self.dtype, self.ndim = array.shape, array.dtype, array.ndim
        self.reads = np.zeros(len(array), dtype=int)

    def __len__(self):
        return len(self.array)

    def __getitem__(self, rows):
        assert isinstance(rows, slice), rows  # never a fancy index of scattered rows
        self.reads[rows] += 1
        return self.array[rows].copy()


@pytest.fixture
def memmap(digits, tmp_path):
    X = digits[0]
    path = tmp_path / "X.npy"
    np.save(path, X)
    return np.load(path, mmap_mode="r")


def test_memmap_fit_gives_the_in_memory_statistics_and_inference(digits, memmap):
    X = digits[0]
    streamed = AutoencoderTransformer(2, **FAST).fit(memmap)
    in_memory = AutoencoderTransformer(2, **FAST).fit(X)
    np.testing.assert_allclose(streamed.mean_, in_memory.mean_, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(streamed.scale_, in_memory.scale_, rtol=1e-12)
    assert streamed.n_features_in_ == 64 and streamed.n_iter_ == FAST["epochs"]
    assert np.isfinite(streamed.history_["loss"]).all()
    # the same model infers the same from the memmap as from the array (up
    # to float32 rounding where the backend cannot compute float64: JAX
    # without jax_enable_x64 varies by 1e-8 with the batch's composition)
    np.testing.assert_allclose(streamed.transform(memmap), streamed.transform(X), rtol=1e-6)
    np.testing.assert_allclose(
        streamed.score_samples(memmap), streamed.score_samples(X), rtol=1e-6
    )


def test_h5py_dataset_is_streamed_and_matches_the_array(digits, tmp_path):
    h5py = pytest.importorskip("h5py")
    X = digits[0].astype(np.float32)
    with h5py.File(tmp_path / "X.h5", "w") as file:
        file["X"] = X
    with h5py.File(tmp_path / "X.h5", "r") as file:
        dataset = file["X"]
        assert streaming.is_out_of_core(dataset)
        estimator = AutoencoderTransformer(2, **FAST).fit(dataset)
        codes = estimator.transform(dataset)
        scores = estimator.score_samples(dataset)
    assert codes.dtype == np.float32 and codes.shape == (len(X), 2)
    np.testing.assert_allclose(estimator.mean_, X.astype(np.float64).mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(codes, estimator.transform(X), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(scores, estimator.score_samples(X), rtol=1e-5)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_every_row_is_read_exactly_once_per_epoch(digits, early_stopping):
    X = digits[0]
    params = {**FAST, "early_stopping": early_stopping, "n_iter_no_change": 100}
    reads = []
    for epochs in (1, 3):
        rows = CountingRows(X)
        AutoencoderTransformer(2, **{**params, "epochs": epochs}).fit(rows)
        reads.append(rows.reads)
    # two more epochs: every row read twice more, once per epoch (and, with
    # early stopping, once more for the validation pass after each epoch)
    per_epoch = 2 if early_stopping else 1
    np.testing.assert_array_equal(reads[1] - reads[0], 2 * per_epoch)


def test_validation_rows_are_held_out_of_training_exactly(digits):
    X = digits[0]
    estimator = AutoencoderTransformer(2, **{**FAST, "early_stopping": True})
    estimator.fit(X[:10])  # fitted statistics and seed, for the stream
    rows = streaming.StreamedRows(X, X.dtype, 64, "AutoencoderTransformer")
    stream = streamed_training._EpochStream(
        estimator, Rows(rows), estimator._seed, 0, validation=True
    )
    # standardised rows are distinct rows of X: identify them by value
    train = np.concatenate([g[0].reshape(-1, 64) for g in stream.training(0)])
    val = np.concatenate([g[1].reshape(-1, 64) for g in stream.validation()])
    assert len(val) == int(0.1 * len(X)) and len(train) + len(val) == len(X)
    seen = {row.tobytes() for row in np.concatenate([train, val])}
    assert len(seen) == len(np.unique(X, axis=0))
    assert not {row.tobytes() for row in train} & {row.tobytes() for row in val}
    # a new epoch reorders the training rows, the split stays
    again = np.concatenate([g[0].reshape(-1, 64) for g in stream.training(1)])
    assert not np.array_equal(again, train)
    np.testing.assert_array_equal(np.sort(again, axis=0), np.sort(train, axis=0))


def test_nan_in_a_late_block_is_refused_as_for_arrays(digits):
    X = digits[0].copy()
    X[-3, 5] = np.nan
    with pytest.raises(ValueError) as expected:
        AutoencoderTransformer(2, **FAST).fit(X)
    rows = CountingRows(X)
    with pytest.raises(ValueError) as streamed:
        AutoencoderTransformer(2, **FAST).fit(rows)
    assert str(streamed.value) == str(expected.value)
    assert "NaN" in str(streamed.value)
    fitted = AutoencoderTransformer(2, **FAST).fit(digits[0])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.transform(CountingRows(X))


def test_wrong_feature_count_is_refused_as_for_arrays(digits):
    X = digits[0]
    fitted = AutoencoderTransformer(2, **FAST).fit(X)
    with pytest.raises(ValueError) as expected:
        fitted.transform(X[:, :60])
    with pytest.raises(ValueError) as streamed:
        fitted.transform(CountingRows(X[:, :60]))
    assert str(streamed.value) == str(expected.value)
    assert "60 features" in str(streamed.value)


def test_string_rows_are_refused_as_for_arrays():
    X = np.array([["a", "b"], ["c", "d"], ["e", "f"]])
    with pytest.raises(ValueError, match="needs numeric input"):
        AutoencoderTransformer(2, **FAST).fit(CountingRows(X))


def test_same_random_state_gives_the_same_model(digits, memmap):
    params = {**FAST, "early_stopping": True, "n_iter_no_change": 100}
    first = AutoencoderTransformer(2, **params).fit(memmap)
    second = AutoencoderTransformer(2, **params).fit(CountingRows(np.asarray(memmap)))
    for a, b in zip(first.model_.get_weights(), second.model_.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert first.history_ == second.history_
    other = AutoencoderTransformer(2, **{**params, "random_state": 1}).fit(memmap)
    assert other.history_["loss"] != first.history_["loss"]


def test_in_memory_arrays_keep_the_in_memory_path(digits, monkeypatch):
    # nothing of the streaming path runs for a NumPy array (not a memmap)
    def refuse(*args, **kwargs):
        raise AssertionError("streamed")

    monkeypatch.setattr(streaming.StreamedRows, "__init__", refuse)
    estimator = AutoencoderTransformer(2, **FAST).fit(digits[0])
    estimator.score_samples(digits[0])
    assert not streaming.is_out_of_core(digits[0])


def test_small_out_of_core_input_is_loaded_and_equals_the_array(digits, memmap, monkeypatch):
    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", memmap.nbytes + 1)
    X = digits[0]
    loaded = AutoencoderTransformer(2, **FAST).fit(memmap)
    in_memory = AutoencoderTransformer(2, **FAST).fit(X)
    for a, b in zip(loaded.model_.get_weights(), in_memory.model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_partial_fit_streams_one_epoch(digits):
    rows = CountingRows(digits[0])
    estimator = AutoencoderTransformer(2, **FAST).partial_fit(rows)
    before = rows.reads.copy()
    estimator.partial_fit(rows)
    assert estimator.n_iter_ == 2
    # one checking pass and one epoch; the first two rows are also
    # validated as an array first
    expected = np.full(len(rows), 2)
    expected[:2] += 1
    np.testing.assert_array_equal(rows.reads - before, expected)


def test_clean_targets_stream_with_their_rows(digits):
    # noisy row i holds i in its first feature, its clean target i + 0.5:
    # every yielded batch must pair them again, after the split and shuffle
    clean = digits[0].copy()
    clean[:, 0] = np.arange(len(clean)) + 0.5
    noisy = clean + np.random.RandomState(0).normal(0, 0.1, clean.shape)
    noisy[:, 0] = np.arange(len(clean))
    X, y = CountingRows(noisy), CountingRows(clean)
    estimator = DenoisingAutoencoder(2, **{**FAST, "early_stopping": True}).fit(X, y)
    assert np.isfinite(estimator.history_["val_loss"]).all()
    # y is read by the same row ranges as X: every row as often (X's first
    # two rows are read once more, checked as an array before streaming)
    assert (y.reads >= estimator.n_iter_).all()
    np.testing.assert_array_equal(y.reads[2:], X.reads[2:])
    rows = streaming.StreamedRows(noisy, noisy.dtype, 64, "DenoisingAutoencoder")
    target = streaming.streamed_target(estimator, rows, clean)
    stream = streamed_training._EpochStream(estimator, Rows(rows, target), estimator._seed, 0, True)
    seen = []
    for groups in (stream.training(0), stream.validation()):
        for group in groups:
            inputs, targets = group.inputs, group.target
            index = inputs[..., 0] * estimator.scale_ + estimator.mean_[0]
            paired = targets[..., 0] * estimator.scale_ + estimator.mean_[0]
            np.testing.assert_allclose(paired - index, 0.5, atol=1e-4)
            seen.extend(np.rint(index.ravel()).astype(int))
    assert sorted(seen) == list(range(len(clean)))


def test_clean_targets_out_of_core_are_checked(digits):
    X = digits[0]
    with pytest.raises(ValueError, match="y has shape .* same shape"):
        DenoisingAutoencoder(2, **FAST).fit(CountingRows(X), CountingRows(X[:-1]))
    y = X.copy()
    y[-1, 3] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN"):
        DenoisingAutoencoder(2, **FAST).fit(CountingRows(X), CountingRows(y))


def test_sample_weights_follow_their_rows(digits):
    # row i holds i in its first feature and weighs i: every yielded batch
    # must pair them again, after the split and the shuffling
    X = digits[0].copy()
    X[:, 0] = np.arange(len(X))
    weights = np.arange(len(X), dtype=np.float64)
    estimator = AutoencoderTransformer(2, **{**FAST, "early_stopping": True})
    estimator.fit(CountingRows(X), sample_weight=weights)
    assert np.isfinite(estimator.history_["val_loss"]).all()
    rows = streaming.StreamedRows(X, X.dtype, 64, "AutoencoderTransformer")
    stream = streamed_training._EpochStream(
        estimator, Rows(rows, sample_weight=weights), estimator._seed, 0, validation=True
    )
    seen = []
    for groups in (stream.training(0), stream.validation()):
        for group in groups:
            inputs, weight = group[0], group[-1]
            index = inputs[..., 0] * estimator.scale_ + estimator.mean_[0]
            np.testing.assert_allclose(index, weight, atol=1e-4)
            seen.extend(np.rint(weight.ravel()).astype(int))
    assert sorted(seen) == list(range(len(X)))


@pytest.mark.parametrize(
    "estimator",
    [
        VariationalAutoencoderTransformer(2, **FAST),
        DenoisingAutoencoder(2, **{**FAST, "early_stopping": True}),
        AutoencoderOutlierDetector(2, **FAST),
    ],
    ids=["variational", "denoising", "outlier"],
)
def test_every_estimator_fits_and_scores_out_of_core(estimator, digits):
    X = digits[0]
    estimator.fit(CountingRows(X))
    scores = estimator.score_samples(CountingRows(X))
    np.testing.assert_allclose(scores, estimator.score_samples(X), rtol=1e-6)
    if isinstance(estimator, AutoencoderOutlierDetector):
        decision = estimator.decision_function(CountingRows(X))
        np.testing.assert_allclose(decision, estimator.decision_function(X), atol=1e-7)
        predicted = estimator.predict(CountingRows(X))
        np.testing.assert_array_equal(predicted, np.where(decision < 0, -1, 1))


def test_images_are_streamed_as_rows(digits):
    images = digits[0].reshape(-1, 8, 8)
    estimator = AutoencoderTransformer(2, **FAST).fit(CountingRows(images))
    assert estimator.image_shape_ == (8, 8, 1)
    np.testing.assert_array_equal(
        estimator.transform(CountingRows(images)), estimator.transform(images)
    )


def test_dask_array_is_streamed_and_matches_the_array(digits):
    da = pytest.importorskip("dask.array")
    X = digits[0]
    lazy = da.from_array(X, chunks=(50, 64))
    assert streaming.is_out_of_core(lazy)
    estimator = AutoencoderTransformer(2, **FAST).fit(lazy)
    np.testing.assert_allclose(estimator.mean_, X.mean(axis=0), rtol=1e-12, atol=1e-15)
    # inference on a Dask array is lazy (skae/_input/dask.py), computed block by block
    codes = estimator.transform(lazy)
    assert isinstance(codes, da.Array)
    np.testing.assert_allclose(codes.compute(), estimator.transform(X), rtol=1e-6)


def test_the_detector_streams_its_scaling_and_its_scores(digits):
    # never loaded whole: every read is a block of at most block_rows rows
    X = digits[0] * 3.0 + np.linspace(0, 5, 64)  # features on different scales
    largest = []

    class BlockRows(CountingRows):
        def __getitem__(self, rows):
            largest.append(len(range(*rows.indices(len(X)))))
            return super().__getitem__(rows)

    detector = AutoencoderOutlierDetector(2, **FAST).fit(BlockRows(X))
    in_memory = AutoencoderOutlierDetector(2, **FAST).fit(X)
    assert max(largest) <= streaming.StreamedRows(X, X.dtype, 64, "").block_rows
    # the streamed per-feature statistics are those of the array
    np.testing.assert_allclose(detector.center_, in_memory.center_, rtol=1e-10)
    np.testing.assert_allclose(detector.scale_, in_memory.scale_, rtol=1e-10)
    assert detector.scaling_ == in_memory.scaling_ == "standard"
    # scores of streamed and in-memory X agree, block by block
    np.testing.assert_allclose(
        detector.score_samples(CountingRows(X)), detector.score_samples(X), rtol=1e-6
    )
    assert detector.training_scores_.shape == (len(X),)
    with pytest.raises(ValueError, match="scaling='robust' needs percentiles"):
        AutoencoderOutlierDetector(2, **FAST, scaling="robust").fit(CountingRows(X))


@pytest.fixture
def small_chunks(monkeypatch):
    # inference in chunks of 64 rows: the digits' 200 rows in 4 chunks
    import skae._engine.inference

    for module in (skae._engine.inference, streaming):
        monkeypatch.setattr(module, "INFERENCE_BATCH_SIZE", 64)
    monkeypatch.setattr(streaming, "STREAM_CHUNK_ROWS", 64)


class SharingRows(CountingRows):
    """A row-sliceable array handing out views of its own array."""

    def __getitem__(self, rows):
        return self.array[rows]


@pytest.mark.parametrize("mode", ["r", "r+", "c"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16])
def test_memmap_inference_is_the_arrays_bit_for_bit(digits, tmp_path, small_chunks, mode, dtype):
    # its chunks are read into one reused buffer (from the file, or through
    # the mapping for copy-on-write memmaps), standardised there in place
    X = digits[0].astype(dtype)
    np.save(tmp_path / "X.npy", X)
    memmap = np.load(tmp_path / "X.npy", mmap_mode=mode)
    opened = streaming._open_file_of(memmap)
    assert (opened is None) == (mode == "c")
    if opened is not None:
        opened[0].close()
    estimator = AutoencoderTransformer(2, **FAST).fit(X)
    np.testing.assert_array_equal(estimator.transform(memmap), estimator.transform(X))
    np.testing.assert_array_equal(estimator.reconstruct(memmap), estimator.reconstruct(X))
    np.testing.assert_array_equal(estimator.score_samples(memmap), estimator.score_samples(X))
    np.testing.assert_array_equal(memmap, X)  # standardised in skae's buffer only


@pytest.mark.parametrize("source", [CountingRows, SharingRows])
def test_inference_leaves_the_sources_arrays_alone(digits, small_chunks, source):
    X = digits[0]
    rows = source(X.copy())
    estimator = AutoencoderTransformer(2, **FAST).fit(X)
    np.testing.assert_array_equal(estimator.transform(rows), estimator.transform(X))
    np.testing.assert_array_equal(rows.array, X)


def test_memmap_rows_are_read_from_the_file_it_maps(digits, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, digits[0])
    memmap = np.load(path, mmap_mode="r")

    def position(rows):
        opened = streaming._open_file_of(rows)
        if opened is None:
            return None
        with opened[0] as file:
            return file.name, opened[1]

    assert position(memmap) == (str(path), 128)  # after the .npy header
    assert position(memmap[10:]) == (str(path), 128 + 10 * 64 * 8)
    assert position(memmap[:, :5]) is None  # not contiguous
    # another file now at its path: read through the mapping
    path.rename(tmp_path / "moved.npy")
    np.save(path, digits[0])
    assert position(memmap) is None
