"""Time series: windows ``(n_windows, timesteps, features)`` and ``architecture="sequence"``.

The 1-D convolutional builders on their own, every estimator on windows
(shapes kept, conditions, saving, export), and ``SlidingWindows``: from a
series to windows and from window scores back to time points, up to a
``Pipeline`` that finds an injected anomaly's time points.
"""

import os
import pickle
import random

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import skae
from skae import (
    AutoencoderOutlierDetector,
    AutoencoderTransformer,
    ConditionalVariationalAutoencoder,
    DenoisingAutoencoder,
    VariationalAutoencoderTransformer,
)
from skae._estimators import networks as _networks
from skae.architectures import build_sequence_decoder, build_sequence_encoder
from skae.preprocessing import SlidingWindows

from .conftest import FAST

SEQ = {**FAST, "epochs": 2, "architecture": "sequence", "filters": (4, 8), "kernel_size": 3}
TIMESTEPS, FEATURES = 12, 3


@pytest.fixture(scope="module")
def windows():
    rng = np.random.RandomState(0)
    t = np.arange(TIMESTEPS)[None, :, None]
    phase = rng.uniform(0, 2 * np.pi, size=(96, 1, FEATURES))
    return (np.sin(t / 2 + phase) + 0.05 * rng.randn(96, TIMESTEPS, FEATURES)).astype("float32")


@pytest.fixture(scope="module")
def fitted(windows):
    return AutoencoderTransformer(3, **SEQ).fit(windows)


# ----------------------------------------------------------------------
# the builders
# ----------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(16, 1), (13, 3), (5, 2), (50, 4)])
def test_any_window_length_round_trips_to_its_exact_shape(shape):
    encoder = build_sequence_encoder(shape, 4, filters=(4, 8))
    decoder = build_sequence_decoder(4, shape, filters=(8, 4))
    assert encoder.output_shape == (None, 4)
    assert decoder.output_shape == (None,) + shape
    batch = np.random.RandomState(0).rand(2, *shape).astype("float32")
    assert decoder.predict_on_batch(encoder.predict_on_batch(batch)).shape == batch.shape


def test_keras_examples_layers_with_filters_kernel_and_strides():
    encoder = build_sequence_encoder((64, 2), 4, dropout=0.2, seed=0)
    convs = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv1D)]
    assert [c.filters for c in convs] == [32, 16]
    assert all(c.kernel_size == (7,) and c.strides == (2,) for c in convs)
    assert convs[-1].output.shape[1] == 16  # 64 steps, halved twice
    kinds = [type(layer).__name__ for layer in encoder.layers]
    assert kinds.count("SpatialDropout1D") == 2
    decoder = build_sequence_decoder(4, (64, 2))
    assert type(decoder.get_layer("decoder_output")).__name__ == "Conv1DTranspose"


def test_builders_are_seeded_and_read_a_condition_as_channels():
    a = build_sequence_encoder((10, 2), 3, filters=(4,), seed=1)
    b = build_sequence_encoder((10, 2), 3, filters=(4,), seed=1)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    # the condition's 2 values end each time step's channels, read again deeper in
    encoder = build_sequence_encoder((10, 3 + 2), 3, filters=(4, 4), n_conditions=2)
    decoder = build_sequence_decoder(3 + 2, (10, 3), filters=(4, 4), n_conditions=2)
    codes = encoder.predict_on_batch(np.ones((2, 10, 5), "float32"))
    assert decoder.predict_on_batch(np.c_[codes, np.ones((2, 2))]).shape == (2, 10, 3)
    assert "encoder_conv0_condition_join" in [layer.name for layer in encoder.layers]


def test_bad_sequence_shape_is_a_clear_error():
    for bad in [(10,), (10, 0), (10, 2, 1)]:
        with pytest.raises(ValueError, match="timesteps, features"):
            build_sequence_encoder(bad, 2)


@pytest.mark.parametrize(
    "params, shape",
    [
        ({"filters": (4, 6)}, (27, 3)),
        ({"filters": (3,), "kernel_size": 5, "strides": 3}, (8, 2)),
        ({"filters": ()}, (5, 1)),
        ({"filters": (2, 3), "batch_normalization": True}, (13, 2)),
    ],
)
def test_estimated_weights_match_the_sequence_networks_built(params, shape):
    ae = AutoencoderTransformer(**{**FAST, "n_components": 3, "architecture": "sequence", **params})
    encoder, decoder = _networks.build_networks(ae, shape, random.Random(0))
    assert _networks.estimated_weights(ae, shape) == (
        encoder.count_params() + decoder.count_params()
    )


# ----------------------------------------------------------------------
# the estimators on windows
# ----------------------------------------------------------------------
def test_windows_keep_their_shape_through_every_method(fitted, windows):
    assert fitted.image_shape_ == (TIMESTEPS, FEATURES)
    assert fitted.n_features_in_ == TIMESTEPS * FEATURES
    codes = fitted.transform(windows)
    assert codes.shape == (len(windows), 3) and codes.dtype == np.float32
    assert fitted.inverse_transform(codes).shape == windows.shape
    assert fitted.reconstruct(windows).shape == windows.shape
    assert fitted.score_samples(windows).shape == (len(windows),)
    # flattened windows read the same (a Pipeline's earlier steps flatten)
    np.testing.assert_allclose(fitted.transform(windows.reshape(len(windows), -1)), codes)


def test_flattened_windows_with_input_shape_fit_alike(windows):
    flat = windows.reshape(len(windows), -1)
    ae = AutoencoderTransformer(3, input_shape=(TIMESTEPS, FEATURES), **SEQ).fit(flat)
    same = AutoencoderTransformer(3, **SEQ).fit(windows)
    np.testing.assert_allclose(ae.transform(flat), same.transform(windows), rtol=1e-5, atol=1e-6)
    assert ae.inverse_transform(ae.transform(flat)).shape == flat.shape


def test_wrong_input_is_a_clear_error(fitted, windows):
    with pytest.raises(ValueError, match=r"\(n_windows, timesteps, features\).*SlidingWindows"):
        AutoencoderTransformer(**SEQ).fit(windows.reshape(len(windows), -1))
    with pytest.raises(ValueError, match="architecture='conv' for images"):
        AutoencoderTransformer(**SEQ).fit(windows[..., None])
    with pytest.raises(ValueError, match="fitted on windows of shape"):
        fitted.transform(windows[:, :-1])
    with pytest.raises(ValueError, match="does not match the windows"):
        AutoencoderTransformer(input_shape=(4, 9), **SEQ).fit(windows)


@pytest.mark.parametrize(
    "make",
    [
        lambda: VariationalAutoencoderTransformer(2, **SEQ),
        lambda: DenoisingAutoencoder(2, **SEQ),
        lambda: AutoencoderOutlierDetector(2, **SEQ),
    ],
    ids=["variational", "denoising", "detector"],
)
def test_every_estimator_reads_windows(make, windows):
    estimator = make().fit(windows)
    assert estimator.score_samples(windows).shape == (len(windows),)
    assert estimator.reconstruct(windows).shape == windows.shape
    if isinstance(estimator, AutoencoderOutlierDetector):
        assert set(np.unique(estimator.predict(windows))) <= {-1, 1}
    else:
        assert estimator.inverse_transform(estimator.transform(windows)).shape == windows.shape


def test_conditional_model_takes_the_condition_as_channels(windows):
    labels = np.arange(len(windows)) % 3
    cvae = ConditionalVariationalAutoencoder(2, **SEQ).fit(windows, labels)
    assert cvae.image_shape_ == (TIMESTEPS, FEATURES)
    assert cvae.reconstruct(windows[:4], labels[:4]).shape == (4, TIMESTEPS, FEATURES)
    assert cvae.sample(2, y=1, random_state=0).shape == (2, TIMESTEPS, FEATURES)


def test_same_random_state_same_model(fitted, windows):
    again = AutoencoderTransformer(3, **SEQ).fit(windows)
    np.testing.assert_array_equal(again.transform(windows), fitted.transform(windows))


def test_pickle_save_and_load_keep_the_window_shape(fitted, windows, tmp_path):
    expected = fitted.reconstruct(windows[:5])
    fitted.save(tmp_path / "m.skae")
    for loaded in (pickle.loads(pickle.dumps(fitted)), skae.load(tmp_path / "m.skae")):
        assert loaded.image_shape_ == (TIMESTEPS, FEATURES)
        np.testing.assert_allclose(loaded.reconstruct(windows[:5]), expected, rtol=1e-6)


def test_saved_model_export_serves_windows(fitted, windows, tmp_path):
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() == "torch":
        pytest.skip("Keras writes no SavedModel on PyTorch (ONNX is tested below)")
    fitted.export(tmp_path / "served", method="reconstruct")
    loaded = tf.saved_model.load(str(tmp_path / "served"))
    (spec,) = loaded.signatures["serve"].structured_input_signature[1].values()
    assert tuple(spec.shape) == (None, TIMESTEPS, FEATURES)
    np.testing.assert_allclose(
        loaded.serve(windows[:7]).numpy(), fitted.reconstruct(windows[:7]), rtol=1e-5, atol=1e-6
    )


def test_onnx_export_scores_windows(fitted, windows, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    if keras.backend.backend() == "tensorflow":
        pytest.importorskip("tf2onnx")
    fitted.export(tmp_path / "scores.onnx", "onnx", method="score_samples")
    session = ort.InferenceSession(
        str(tmp_path / "scores.onnx"), providers=["CPUExecutionProvider"]
    )
    got = session.run(None, {"X": windows[:6]})[0]
    np.testing.assert_allclose(got, fitted.score_samples(windows[:6]), rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------
# SlidingWindows
# ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "n_times, width, stride", [(50, 7, 3), (33, 5, 1), (40, 8, 8), (41, 8, 8), (9, 9, 2)]
)
@pytest.mark.parametrize("reduce", ["min", "max", "mean"])
def test_point_scores_reduce_the_windows_covering_each_point(n_times, width, stride, reduce):
    series = np.arange(n_times * 2.0).reshape(n_times, 2)
    sliding = SlidingWindows(width, stride).fit(series)
    starts = sliding.window_starts(n_times)
    cut = sliding.transform(series)
    assert cut.shape == (len(starts), width, 2)
    for start, window in zip(starts, cut):
        np.testing.assert_array_equal(window, series[start : start + width])
    assert starts[-1] + width == n_times  # the last window ends at the series' end
    scores = np.random.RandomState(n_times).randn(len(starts))
    expected = [
        getattr(np, reduce)(scores[(starts <= t) & (t < starts + width)]) for t in range(n_times)
    ]
    np.testing.assert_allclose(sliding.point_scores(scores, n_times, reduce=reduce), expected)


@pytest.mark.parametrize("n_times, width, stride", [(50, 7, 3), (40, 8, 8), (41, 8, 8), (9, 9, 2)])
def test_point_values_average_the_windows_covering_each_point(n_times, width, stride):
    series = np.random.RandomState(n_times).randn(n_times, 2)
    sliding = SlidingWindows(width, stride).fit(series)
    starts = sliding.window_starts(n_times)
    cut = sliding.transform(series)
    # the windows themselves map back to the series, flattened or not
    np.testing.assert_allclose(sliding.point_values(cut, series), series)
    np.testing.assert_allclose(sliding.point_values(cut.reshape(len(cut), -1), n_times), series)
    # each window shifted by its own amount: a point gets the mean shift of its windows
    shifts = np.random.RandomState(0).randn(len(starts))
    covering = [(starts <= t) & (t < starts + width) for t in range(n_times)]
    expected = series + np.array([shifts[c].mean() for c in covering])[:, None]
    np.testing.assert_allclose(
        sliding.point_values(cut + shifts[:, None, None], series), expected
    )
    with pytest.raises(ValueError, match=f"cut into {len(starts)} windows"):
        sliding.point_values(cut[1:], series)


@pytest.mark.parametrize("n_times, width, stride", [(50, 7, 3), (33, 5, 1), (41, 8, 8)])
def test_point_errors_add_a_points_worst_error_and_its_worst_windows(n_times, width, stride):
    sliding = SlidingWindows(width, stride).fit(np.zeros((n_times, 2)))
    starts = sliding.window_starts(n_times)
    errors = np.random.RandomState(n_times).rand(len(starts), width, 2)
    expected = []
    for t in range(n_times):
        covering = [(i, t - start) for i, start in enumerate(starts) if start <= t < start + width]
        own = np.max([errors[i, k] for i, k in covering], axis=0).mean()
        whole = max(errors[i].mean() for i, _ in covering)
        expected.append(own + whole)
    np.testing.assert_allclose(sliding.point_errors(errors, n_times), expected)
    # a dense detector's flattened errors read alike
    np.testing.assert_allclose(
        sliding.point_errors(errors.reshape(len(starts), -1), n_times), expected
    )
    with pytest.raises(ValueError, match="window_errors has shape"):
        sliding.point_errors(errors[1:], n_times)


def test_point_errors_pick_a_spike_out_of_the_windows_covering_it():
    series, _ = _series_with_an_anomaly()
    series = series.copy()
    series[130, 0] += 8.0  # one spike, in one feature
    windows = SlidingWindows(16, stride=1).fit(series[:100])
    detector = AutoencoderOutlierDetector(
        4, architecture="sequence", filters=(8, 16), kernel_size=5, epochs=20,
        early_stopping=False, random_state=0,
    ).fit(windows.transform(series[:100]))
    cut = windows.transform(series)
    points = windows.point_errors(detector.feature_errors(cut), series)
    window_rule = -windows.point_scores(detector.score_samples(cut), series)
    assert np.argmax(points) == 130
    # window scores alone rate the spike's neighbours (in its windows) almost
    # as high as the spike: the point's own error sets it apart
    assert points[130] / points[125] > 2 * window_rule[130] / window_rule[125]
    frame = pd.DataFrame(series, index=pd.date_range("2024-01-01", periods=len(series), freq="min"))
    assert windows.point_errors(detector.feature_errors(cut), frame).index.equals(frame.index)


def test_frames_keep_feature_names_and_time_index():
    index = pd.date_range("2024-01-01", periods=10, freq="h")
    frame = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=["temp", "load"], index=index)
    sliding = SlidingWindows(4, stride=3).fit(frame)
    assert list(sliding.feature_names_in_) == ["temp", "load"]
    assert list(sliding.get_feature_names_out()[:3]) == ["temp_t0", "load_t0", "temp_t1"]
    assert len(sliding.get_feature_names_out()) == 8
    points = sliding.point_scores(np.array([1, -1, 1]), frame)
    assert isinstance(points, pd.Series) and points.index.equals(index)
    assert list(points) == [1, 1, 1, -1, -1, -1, -1, 1, 1, 1]  # any flagged window flags
    np.testing.assert_array_equal(
        sliding.transform(frame), SlidingWindows(4, stride=3).fit_transform(frame.to_numpy())
    )
    values = sliding.point_values(sliding.transform(frame), frame)
    assert list(values.columns) == ["temp", "load"] and values.index.equals(index)
    np.testing.assert_allclose(values, frame)
    # a series of one feature, as a frame
    assert SlidingWindows(4).fit_transform(frame[["temp"]]).shape == (7, 4, 1)
    assert SlidingWindows(4).fit(frame).point_scores(np.zeros(7), frame["temp"]).index.equals(index)


# scikit-learn's checks that assume one output sample per input sample
WINDOWS_ARE_NOT_SAMPLES = dict.fromkeys(
    [
        "check_transformer_general",
        "check_transformer_data_not_an_array",
        "check_methods_sample_order_invariance",
        "check_methods_subset_invariance",
    ],
    "SlidingWindows returns windows, not one output per input sample: their "
    "number, order and subsets are not those of the rows",
)


@parametrize_with_checks(
    [SlidingWindows(width=2)], expected_failed_checks=lambda est: WINDOWS_ARE_NOT_SAMPLES
)
def test_sliding_windows_passes_scikit_learns_other_checks(estimator, check):
    check(estimator)


def test_sliding_windows_errors_name_the_fix():
    series = np.zeros((10, 2))
    with pytest.raises(ValueError, match="fewer than width=16"):
        SlidingWindows(16).fit(series)
    sliding = SlidingWindows(4, 2).fit(series)
    with pytest.raises(ValueError, match="3 features.*expecting 2"):
        sliding.transform(np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"reshape\(-1, 1\)"):
        sliding.fit(np.zeros(10))
    with pytest.raises(ValueError, match="architecture='sequence'"):
        sliding.transform(np.zeros((10, 4, 2)))
    with pytest.raises(ValueError, match="cut into 4 windows"):
        sliding.point_scores(np.zeros(5), series)
    with pytest.raises(ValueError, match="reduce must be one of"):
        sliding.point_scores(np.zeros(4), 10, reduce="median")
    with pytest.raises(ValueError, match="stride"):
        SlidingWindows(4, stride=0).fit(series)
    assert clone(sliding).get_params() == {"width": 4, "stride": 2}


def test_series_larger_than_memory_is_read_a_block_at_a_time(tmp_path):
    series = np.lib.format.open_memmap(
        tmp_path / "series.npy", mode="w+", dtype=np.float32, shape=(1003, 2)
    )
    series[:] = np.random.RandomState(0).randn(1003, 2)
    sliding = SlidingWindows(16, stride=5).fit(series)
    blocks = list(sliding.iter_windows(series, batch_windows=64))
    assert max(len(block) for block in blocks) == 64
    whole = np.concatenate(blocks)
    np.testing.assert_array_equal(whole, sliding.transform(np.asarray(series)))
    assert whole.dtype == np.float32


def _resident_file_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no RssFile in /proc/self/status")


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="Linux only")
def test_a_memmap_is_read_without_keeping_the_file_resident(tmp_path):
    path = tmp_path / "series.npy"
    written = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(2_000_000, 5))
    written[:] = 1.0
    written.flush()
    del written
    series = np.load(path, mmap_mode="r")  # 40 MB, none of it read yet
    sliding = SlidingWindows(8, stride=8).fit(series[:8])
    before = _resident_file_mb()
    n_windows = 0
    for block in sliding.iter_windows(series, batch_windows=4096):
        n_windows += len(block)
    assert n_windows == 250_000
    # one block's rows (0.7 MB) are mapped at a time, not the 40 MB file
    assert _resident_file_mb() - before < 10
    # a copy-on-write memmap's changes are read: they are not in the file
    changed = np.load(path, mmap_mode="c")
    changed[:8] = 7.0
    first = next(sliding.iter_windows(changed, batch_windows=2))
    np.testing.assert_array_equal(first[0], np.full((8, 5), 7.0))


def test_dask_series_is_cut_lazily():
    da = pytest.importorskip("dask.array")
    values = np.random.RandomState(0).randn(200, 2)
    series = da.from_array(values, chunks=50)
    sliding = SlidingWindows(16, stride=4).fit(series)
    lazy = sliding.transform(series)
    assert isinstance(lazy, da.Array) and lazy.shape == (47, 16, 2)
    np.testing.assert_array_equal(lazy.compute(), sliding.transform(values))
    scores = da.from_array(np.arange(47.0), chunks=10)
    np.testing.assert_array_equal(
        sliding.point_scores(scores, series), sliding.point_scores(np.arange(47.0), 200)
    )


def test_windows_of_a_dask_series_are_scored_lazily(fitted, windows):
    da = pytest.importorskip("dask.array")
    values = np.random.RandomState(1).randn(100, FEATURES).astype(np.float32)
    sliding = SlidingWindows(TIMESTEPS, stride=3).fit(values)
    lazy = fitted.score_samples(sliding.transform(da.from_array(values, chunks=40)))
    assert isinstance(lazy, da.Array)
    np.testing.assert_allclose(
        lazy.compute(), fitted.score_samples(sliding.transform(values)), rtol=1e-5
    )


def _series_with_an_anomaly(n_times=1200, seed=0):
    rng = np.random.RandomState(seed)
    t = np.arange(n_times)
    series = np.c_[np.sin(2 * np.pi * t / 40), np.cos(2 * np.pi * t / 25)]
    series += 0.05 * rng.randn(n_times, 2)
    anomalous = (t >= 800) & (t < 812)
    series[anomalous, 0] += 1.5  # a level shift of 12 steps on the first feature
    return series.astype(np.float32), anomalous


def test_pipeline_of_windows_and_detector_flags_the_anomalous_time_points():
    series, anomalous = _series_with_an_anomaly()
    pipe = Pipeline(
        [
            ("windows", SlidingWindows(16, stride=4)),
            (
                "detector",
                AutoencoderOutlierDetector(
                    4,
                    architecture="sequence",
                    filters=(8, 16),
                    kernel_size=5,
                    epochs=30,
                    batch_size=32,
                    early_stopping=False,
                    contamination=0.05,
                    random_state=0,
                ),
            ),
        ]
    ).fit(series)
    windows = pipe.named_steps["windows"]
    points = windows.point_scores(pipe.score_samples(series), series)
    assert points.shape == (len(series),)
    # the anomaly's points score lowest (most abnormal)
    assert roc_auc_score(anomalous, -points) > 0.95
    flagged = windows.point_scores(pipe.predict(series), series)
    assert np.all(flagged[anomalous] == -1)
    # 5% of the windows flagged, each flagging its 16 points: some false alarms
    assert np.mean(flagged[~anomalous] == -1) < 0.25


def test_windows_on_disk_stream_through_fit_and_scores(windows, tmp_path, monkeypatch):
    from skae._input import streaming

    monkeypatch.setattr(streaming, "STREAM_MIN_BYTES", 0)
    monkeypatch.setattr(streaming, "BLOCK_BYTES", 32 * TIMESTEPS * FEATURES * 4)
    on_disk = np.lib.format.open_memmap(
        tmp_path / "windows.npy", mode="w+", dtype=np.float32, shape=windows.shape
    )
    on_disk[:] = windows
    detector = AutoencoderOutlierDetector(2, **SEQ).fit(on_disk)
    assert detector.image_shape_ == (TIMESTEPS, FEATURES)
    np.testing.assert_allclose(
        detector.score_samples(on_disk), detector.score_samples(windows), rtol=1e-5
    )
