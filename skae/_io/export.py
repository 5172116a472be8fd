"""Serving: a fitted estimator's inference as one Keras model, exported.

``inference_model`` builds a functional ``keras.Model`` that takes the raw
samples (float32, in the shape the estimator was fitted on) and computes one
method of the estimator, preprocessing and constants included, with
``keras.ops`` only; ``export_inference`` writes it with Keras's own
``Model.export`` as a TensorFlow SavedModel or an ONNX file. Nothing here is
called during fit or prediction.

Every formula below is the estimator's, in the same precision: the network
in float32 (as the estimator runs float32 input), the scores in float64 (as
``score_samples`` computes them, before it returns them in X's dtype;
float32 on JAX without ``jax_enable_x64``, which skae must not switch on,
and on PyTorch, whose Keras ops compute float64 in float32). What differs between estimators comes from
their hooks (``_encode_batch``, ``_decode_batch``, ``_codes``,
``_export_scores``), never from a test of their class here.
"""

import contextlib
import importlib.util
import warnings

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from keras import ops
from sklearn.utils.validation import check_is_fitted

from .._concurrency import state_lock
from .._engine.inference import backend_computes_float64, overridden_together
from ..architectures._blocks import model_name
from .output_paths import checked_output, written_whole

FORMATS = ("tf_saved_model", "onnx")
TRANSFORMER_METHODS = ("transform", "reconstruct", "score_samples")
DETECTOR_METHODS = ("score_samples", "decision_function")
INPUT_NAME = "X"
CONDITION_NAME = "condition"


def export_inference(
    estimator,
    path,
    *,
    format,
    method,
    methods,
    overwrite,
    network_owner=None,
    offset=None,
    prescale=None,
):
    """Check the arguments, build the inference model and write it to ``path``.

    Parameters
    ----------
    estimator : estimator
        The estimator whose ``export`` was called (for checks and messages).
    path : str or path-like
        Where to write: a directory (SavedModel) or a file (ONNX).
    format : str
        One of ``FORMATS``.
    method : str
        One of ``methods``.
    methods : tuple of str
        The methods ``estimator`` can export.
    overwrite : bool
        Whether an existing ``path`` may be written over.
    network_owner : BaseAutoencoder, default=None
        The fitted autoencoder that computes (``estimator`` itself by default;
        a detector's ``backbone_``).
    offset : float, default=None
        Subtracted from the scores (a detector's ``decision_function``).
    prescale : (ndarray, ndarray), default=None
        ``(center, scale)`` applied to the rows before ``network_owner`` sees
        them (a detector's ``center_`` and ``scale_``).
    """
    check_is_fitted(estimator)
    name = type(estimator).__name__
    if format not in FORMATS:
        raise ValueError(
            f"format must be one of {FORMATS} for {name}.export, got {format!r}."
        )
    if method not in methods:
        raise ValueError(
            f"method must be one of {methods} for {name}.export, got {method!r}: "
            "the exported function computes one of these methods."
        )
    directory = format == "tf_saved_model"
    path = checked_output(path, directory=directory, overwrite=overwrite, owner=f"{name}.export")
    if format == "onnx":
        _check_onnx_installed()
    else:
        _check_saved_model_writable(name)
    owner = network_owner if network_owner is not None else estimator
    method = "score_samples" if method == "decision_function" else method
    check_exportable(owner, method)
    model = inference_model(
        owner,
        method,
        offset=offset,
        prescale=prescale,
    )
    # written beside path, then moved into place: a failed export leaves nothing
    with written_whole(path, directory=directory, owner=f"{name}.export") as target:
        with _quiet_torch_tracing():
            model.export(target, format=format, verbose=False)


@contextlib.contextmanager
def _quiet_torch_tracing():
    """Hide PyTorch's TracerWarnings while Keras traces the model for ONNX.

    Keras 3.15's ONNX export on PyTorch means to silence them (the
    estimator's constants and the layers' static shapes are meant to be
    constants in the file), but its filters are dropped before the export
    call. What the file computes is checked on several batch sizes by
    tests/test_export.py.
    """
    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        yield


def _check_saved_model_writable(name):
    """Raise a ValueError naming the fix where Keras cannot write a SavedModel."""
    if keras.backend.backend() != "torch":
        return
    raise ValueError(
        f"{name}.export cannot write format='tf_saved_model' on Keras's PyTorch "
        "backend: Keras converts PyTorch models to a SavedModel through "
        "torch_xla, and with Keras 3.15 and torch 2.13 its torch.export step "
        "fails before that. Export format='onnx' instead, or save the "
        "estimator with .save(path), load it with skae.load(path) under "
        "KERAS_BACKEND=tensorflow and export the SavedModel there."
    )


def _check_onnx_installed():
    """Raise an ImportError naming the fix if Keras's ONNX exporter cannot run."""
    backend = keras.backend.backend()
    if backend == "jax":
        # Keras converts JAX functions with jax2onnx, not part of skae[serve]
        missing, fix = ["jax2onnx"], "pip install jax2onnx"
    elif backend == "torch":
        # torch.onnx writes the file with the onnx package (in skae[serve])
        missing, fix = ["onnx"], 'pip install "skae[serve]"'
    else:
        missing, fix = ["tf2onnx"], 'pip install "skae[serve]"'
    missing = [module for module in missing if importlib.util.find_spec(module) is None]
    if missing:
        raise ImportError(
            f"Exporting to ONNX on Keras's {keras.backend.backend()} backend needs "
            f"{missing[0]}, which is not installed. Install it with {fix} "
            "(onnxruntime runs the file)."
        )


def sample_shape(estimator):
    """Shape of one sample as the user fitted on it: a row, or an image."""
    ndim = estimator._fit_ndim
    if ndim == 2 or estimator.image_shape_ is None:
        # the rows the network reads (X's measured columns, where some are
        # the condition)
        return (int(np.prod(estimator._network_shape())),)
    return tuple(estimator.image_shape_) if ndim == 4 else tuple(estimator.image_shape_[:2])


def inference_model(estimator, method, *, offset=None, prescale=None):
    """A ``keras.Model`` computing ``estimator.<method>`` on raw float32 samples.

    Parameters
    ----------
    estimator : BaseAutoencoder
        A fitted autoencoder.
    method : {"transform", "reconstruct", "score_samples"}
        The method to compute.
    offset : float, default=None
        Subtracted from the scores of ``"score_samples"``.
    prescale : (ndarray, ndarray), default=None
        Per-feature ``(center, scale)`` the rows are standardised with first.

    Returns
    -------
    model : keras.Model
        Input ``X`` of shape ``(None,) + sample_shape(estimator)``, float32,
        and for an estimator with a condition (``_condition_shape``) a
        second input ``condition``, float32, as the network reads it.
        Output: the codes ``(None, n_components)`` (float32), the
        reconstruction in the input's shape (float32), or the scores
        ``(None,)`` (float64 where the backend computes it, else float32).
    """
    shape = sample_shape(estimator)
    inputs = keras.Input(shape=shape, dtype="float32", name=INPUT_NAME)
    condition_shape = estimator._condition_shape()
    layer = _Inference(estimator, method, offset, shape, prescale)
    if condition_shape is None:
        outputs = layer(inputs)
        sample = np.zeros((1,) + shape, dtype="float32")
    else:
        condition = keras.Input(shape=condition_shape, dtype="float32", name=CONDITION_NAME)
        inputs = [inputs, condition]
        outputs = layer(inputs)
        sample = [np.zeros((1,) + shape, "float32"), np.zeros((1,) + condition_shape, "float32")]
    model = keras.Model(inputs, outputs, name=model_name(type(estimator), method))
    # Keras exports only models that have been called once
    model(sample)
    return model


class _Inference(keras.layers.Layer):
    """One method of a fitted autoencoder, from raw float32 samples.

    A layer rather than ``keras.ops`` applied to symbolic tensors: its
    constants (``exp(-log_noise_scale)``, say) are then computed inside the
    exported graph, where an op applied to a constant while building a
    functional model would run eagerly and reach the ONNX file as an extra
    input. Never saved in the Keras format (only exported), so not
    registered.

    What is model-specific comes from the estimator's documented hooks, the
    ones its own predictions run: ``_encode_batch``/``_decode_batch`` (the
    network), ``_codes`` (what ``transform`` returns of the encoder's
    output) and ``_export_scores`` (``score_samples`` in ``keras.ops``).
    """

    def __init__(self, estimator, method, offset, sample_shape, prescale=None, **kwargs):
        super().__init__(**kwargs)
        self.method = method
        # a detector's per-feature scaling, computed as it does: in float64
        # where the backend can, then back to the rows' float32
        self.prescale = (
            None
            if prescale is None
            else tuple(np.asarray(p, dtype=self._wide_dtype()) for p in prescale)
        )
        # the scores' precision: float64 as score_samples computes them, unless the backend
        # cannot compute in it (JAX without jax_enable_x64, which skae must
        # not switch on; PyTorch): float32 there
        self.score_dtype = np.dtype("float64" if backend_computes_float64() else "float32")
        self.offset = None if offset is None else self.score_dtype.type(offset)
        self.sample_shape = tuple(sample_shape)
        self.n_features = int(np.prod(estimator._network_shape()))
        self.network_shape = tuple(estimator._network_shape())
        # BaseAutoencoder._standardize and _unstandardize on float32 rows
        self.mean = np.asarray(estimator.mean_, dtype="float32")
        self.scale = np.float32(estimator.scale_)
        self.encoder = estimator.encoder_
        self.decoder = estimator.decoder_
        # bound methods, not the estimator: the layer tracks no estimator state
        self._encode_batch = estimator._encode_batch
        self._decode_batch = estimator._decode_batch
        self._codes = estimator._codes
        self._export_scores = estimator._export_scores

    @staticmethod
    def _wide_dtype():
        return "float64" if backend_computes_float64() else "float32"

    def call(self, inputs):
        samples, condition = inputs if isinstance(inputs, (list, tuple)) else (inputs, None)
        rows = ops.reshape(samples, (-1, self.n_features))
        if self.prescale is not None:
            center, scale = self.prescale
            rows = ops.cast(ops.divide(ops.subtract(ops.cast(rows, center.dtype), center), scale), "float32")
        network = _Network(self, condition)
        if self.method == "transform":
            return self._codes(network.encode(rows))
        if self.method == "reconstruct":
            return ops.reshape(network.decode(network.encode(rows)), (-1,) + self.sample_shape)
        scores = self._export_scores(rows, network)
        return scores if self.offset is None else ops.subtract(scores, self.offset)


class _Network:
    """What ``_export_scores(rows, network)`` is given: the network, for one call.

    ``encode(rows)`` and ``decode(encoded)`` run the hooks as the estimator's
    predictions do: with the call's ``condition`` beside the batch where the
    model reads one (``decode`` takes the condition of other rows, repeated
    ones say, as ``condition=``). ``score_dtype`` is the scores' dtype.
    """

    def __init__(self, layer, condition):
        self.layer, self.condition = layer, condition
        self.score_dtype = layer.score_dtype

    def _with_condition(self, batch, condition):
        return batch if condition is None else (batch, condition)

    def encode(self, rows):
        """The encoder's output for float32 rows, as ``_encode_batch`` gives it."""
        layer = self.layer
        # ops, not operators, with the NumPy constants: on PyTorch an operator
        # would turn the traced tensor into an array (a constant in the file)
        standardized = ops.divide(ops.subtract(rows, layer.mean), layer.scale)
        batch = ops.reshape(standardized, (-1,) + layer.network_shape)
        return layer._encode_batch(layer.encoder, self._with_condition(batch, self.condition))

    def decode(self, encoded, condition=None):
        """float32 rows decoded (``_decode_batch``) from what ``encode`` or codes give."""
        layer = self.layer
        condition = self.condition if condition is None else condition
        decoded = layer._decode_batch(layer.decoder, self._with_condition(encoded, condition))
        decoded = ops.reshape(decoded, (-1, layer.n_features))
        return ops.add(ops.multiply(decoded, layer.scale), layer.mean)


def check_exportable(estimator, method):
    """Refuse to export scores whose formula the estimator's class never wrote in ops.

    ``score_samples`` is exported through ``_export_scores``: a class that
    overrides ``_score_samples`` must override ``_export_scores`` too (in
    the same class or below), or its file would compute another score.
    """
    if method != "score_samples":
        return
    cls = type(estimator)
    if not overridden_together(cls, "_score_samples", "_export_scores"):
        raise NotImplementedError(
            f"{cls.__name__} computes its own score_samples (_score_samples) but has "
            "no _export_scores computing the same in keras.ops, so its scores "
            "cannot be exported. Define _export_scores(rows, network) beside "
            "_score_samples (see skae.BaseAutoencoder), or export method="
            "'transform' or 'reconstruct'."
        )


class ExportMixin:
    """``export``: the transformers' serving files (the detector has its own)."""

    def export(self, path, format="tf_saved_model", *, method="transform", overwrite=False):
        """Write one inference method, preprocessing included, for serving.

        The exported function takes raw samples as float32, in the shape the
        estimator was fitted on (rows ``(n, n_features)``, or images ``(n,
        height, width)`` or ``(n, height, width, channels)``), and returns
        what ``method`` returns on them: the standardisation, the network and
        the score's constants are inside. It runs without skae or
        scikit-learn: load a SavedModel with ``tf.saved_model.load(path)``
        and call its ``serve`` signature, or run the ONNX file with
        ``onnxruntime.InferenceSession(path)``; its input is named ``"X"``.

        Parameters
        ----------
        path : str or path-like
            Where to write: a directory for ``"tf_saved_model"``, a file
            (``"model.onnx"``, say) for ``"onnx"``.
        format : {"tf_saved_model", "onnx"}, default="tf_saved_model"
            A TensorFlow SavedModel (TF Serving, TensorFlow) or an ONNX file
            (ONNX Runtime; needs ``pip install "skae[serve]"``).
        method : {"transform", "reconstruct", "score_samples"}, default="transform"
            The method to export: the codes (float32; for a variational
            autoencoder the posterior mean), the reconstruction in the
            input's shape (float32), or the scores (float64, as
            ``score_samples`` computes them; float32 on JAX without
            ``jax_enable_x64`` and on PyTorch; for a variational
            autoencoder the ELBO with the same fixed draws).
        overwrite : bool, default=False
            Write over an existing ``path``; otherwise an existing path is
            refused with ``FileExistsError``.

        Returns
        -------
        None

        See Also
        --------
        AutoencoderOutlierDetector.export : The detector's scores, exported.

        Notes
        -----
        The file holds the weights as they are at export time. On the JAX
        backend the SavedModel is written through ``jax2tf`` and ONNX needs
        ``jax2onnx``. On the PyTorch backend only ONNX is written (a
        SavedModel is refused with a ValueError saying how to get one). See
        the user guide's "Saving and serving" page.

        Examples
        --------
        >>> import os, tempfile
        >>> import numpy as np
        >>> import tensorflow as tf
        >>> from sklearn.datasets import load_digits
        >>> from skae import AutoencoderTransformer
        >>> X = load_digits().data.astype(np.float32) / 16
        >>> ae = AutoencoderTransformer(2, epochs=2, random_state=0).fit(X)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     ae.export(os.path.join(tmp, "codes"))
        ...     loaded = tf.saved_model.load(os.path.join(tmp, "codes"))
        ...     codes = loaded.serve(X[:3]).numpy()
        >>> codes.shape, codes.dtype
        ((3, 2), dtype('float32'))
        """
        with state_lock(self):  # one model, whatever other threads fit
            export_inference(
                self,
                path,
                format=format,
                method=method,
                methods=TRANSFORMER_METHODS,
                overwrite=overwrite,
            )


class DetectorExportMixin:
    """``export`` of ``AutoencoderOutlierDetector``: its scores, for serving."""

    def export(self, path, format="tf_saved_model", *, method="score_samples", overwrite=False):
        """Write the scores, preprocessing included, for serving.

        The exported function takes raw samples as float32, in the shape the
        detector was fitted on (rows ``(n, n_features)``, or images ``(n,
        height, width)`` or ``(n, height, width, channels)``), and returns
        ``method``'s float64 scores on them, the backbone's standardisation
        and network (and, for ``decision_function``, ``offset_`` at the time
        of export) included. Load a SavedModel with
        ``tf.saved_model.load(path)`` and call its ``serve`` signature, or run
        the ONNX file with ``onnxruntime.InferenceSession(path)``; its input
        is named ``"X"``. Outliers are the samples whose
        ``decision_function`` is negative.

        Parameters
        ----------
        path : str or path-like
            Where to write: a directory for ``"tf_saved_model"``, a file
            (``"detector.onnx"``, say) for ``"onnx"``.
        format : {"tf_saved_model", "onnx"}, default="tf_saved_model"
            A TensorFlow SavedModel (TF Serving, TensorFlow) or an ONNX file
            (ONNX Runtime; needs ``pip install "skae[serve]"``).
        method : {"score_samples", "decision_function"}, default="score_samples"
            The scores to export: ``score_samples``, or ``score_samples -
            offset_``.
        overwrite : bool, default=False
            Write over an existing ``path``; otherwise an existing path is
            refused with ``FileExistsError``.

        Returns
        -------
        None
        """
        with state_lock(self):  # one model and threshold, whatever other threads fit
            check_is_fitted(self)
            export_inference(
                self,
                path,
                format=format,
                method=method,
                methods=DETECTOR_METHODS,
                overwrite=overwrite,
                network_owner=self.backbone_,
                offset=self.offset_ if method == "decision_function" else None,
                prescale=(self.center_, self.scale_),
            )
