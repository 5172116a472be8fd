"""Out-of-core input: rows read block by block from arrays larger than memory.

An input is *out-of-core* (``is_out_of_core``) when it is a ``np.memmap``, a
Dask array, or any other array-like with a NumPy ``dtype``, 2 to 4
dimensions and row slicing that is not a NumPy array (an h5py dataset, a
zarr array). Such an input below ``STREAM_MIN_BYTES`` is simply loaded and
takes the in-memory path (same results as the equivalent ``np.ndarray``);
a larger one is wrapped in ``StreamedRows`` and never loaded whole:

- validation: ``BaseAutoencoder._check_input`` validates the first rows
  with the in-memory checks (feature count, images, dtype, feature names:
  the same messages as for arrays); each block read later is checked by
  ``check_array`` (finiteness: again the same messages).
- fit: one streamed pass (``StreamedRows.summary``) checks every block and
  computes the range and the standardisation statistics (per-block means
  and sums of squares, combined as Chan et al.'s parallel variance, in
  float64 and in units of each block's magnitude, so nothing overflows).
- training: ``_streamed_training`` (shuffled blocks, held-out rows).
- inference: ``run_in_chunks`` takes ``StreamedRows.private_chunks`` of
  ``STREAM_CHUNK_ROWS`` rows: each chunk is a copy skae owns (a memmap's
  rows are read from its file into one reused page-aligned buffer),
  standardised in place and lent to the backend without a copy
  (``_inference.lent_to_backend``), so that a transform holds little more
  than its output; the outputs are in-memory NumPy arrays.

Reading a ``np.memmap`` maps its pages into the process (except at
inference, which reads its file); after each block skae releases them
(``madvise(MADV_DONTNEED)``, the page cache keeps the data), so resident
memory stays bounded. Copy-on-write memmaps (``mode="c"``) cannot be
released that way: their pages stay resident.

``sample_weight`` is supported (held in memory: one float per row), and a
``y`` of clean targets (``DenoisingAutoencoder``), out of core or not, read
by X's row ranges (``streamed_target``).
"""

import contextlib
import mmap
import os

import numpy as np
from scipy import sparse
from sklearn.utils.validation import check_array

from .chunks import INFERENCE_BATCH_SIZE, aligned_empty
from .statistics import MAX_ABS_VALUE, check_magnitude

# Inputs smaller than this are loaded and take the in-memory path.
STREAM_MIN_BYTES = 256 * 2**20
# Bytes per block read: 65,536 rows of 64 float32 features.
BLOCK_BYTES = 16 * 2**20
# Bytes of a memmap mapped at a time when inference copies its rows out
# through the mapping (``_copy_mapped``).
COPY_BYTES = 2**20
# Rows per network call at inference on out-of-core input: a quarter of
# in-memory inference's chunks, so that a call's activations (8 MB for a
# first layer of 128 float32 units at 16,384 rows) stay small beside the
# output, and TensorFlow's allocations fragment the heap less. A transform
# of 10,000,000 x 64 float32 rows grows peak memory by +76 to +80 MB (the
# codes take 76 MB) in chunks of 4,096 rows, +68 to +102 MB in chunks of
# 16,384, at the same speed. float32 results may differ from an in-memory
# transform's in the last bit (a row's result depends on its batch's size).
STREAM_CHUNK_ROWS = 4096


def is_out_of_core(X):
    """Whether X is an out-of-core array-like (see the module docstring)."""
    if isinstance(X, np.memmap):
        return True
    if isinstance(X, np.ndarray) or not isinstance(getattr(X, "dtype", None), np.dtype):
        return False
    if getattr(X, "ndim", None) not in (2, 3, 4) or not hasattr(X, "__getitem__"):
        return False
    if _module(X) == "dask":
        return True
    # in-memory arrays of other libraries (JAX, CuPy, sparse) take the usual path
    return not (
        sparse.issparse(X) or hasattr(X, "__array_namespace__") or hasattr(X, "__dlpack__")
    )


def _n_bytes(X):
    """Bytes of X, or None when its shape is unknown (a Dask array with NaN chunks)."""
    try:
        return int(np.prod([int(n) for n in X.shape])) * X.dtype.itemsize
    except (TypeError, ValueError):
        return None


def streams(X):
    """Whether X is out of core and large enough to be streamed, not loaded."""
    if not is_out_of_core(X):
        return False
    n_bytes = _n_bytes(X)
    return n_bytes is not None and n_bytes >= STREAM_MIN_BYTES


def streamed_rows(estimator, X, *, reset):
    """``X`` validated as ``StreamedRows``, or loaded and validated if small.

    The first rows go through ``estimator._check_input`` as an array: the
    checks (and the fitted attributes they set at ``reset``) are those of
    in-memory input.
    """
    n_bytes = _n_bytes(X)
    if n_bytes is None or n_bytes < STREAM_MIN_BYTES:
        return estimator._check_input(_read(X, 0, None), reset=reset)
    first = estimator._check_input(_read(X, 0, 2), reset=reset)
    return StreamedRows(X, first.dtype, first.shape[1], type(estimator).__name__)


def read_all(X):
    """All rows of an out-of-core ``X`` in memory, read by one row range.

    For the methods whose output is X-sized anyway (the outlier detector's
    ``reconstruct`` and ``feature_errors``): same result as the array, same
    memory as loading it.
    """
    return _read(X, 0, None)


def _read(source, start, stop):
    """Rows ``start:stop`` of ``source`` as an in-memory NumPy array."""
    rows = source[start:stop]
    if isinstance(source, np.memmap):
        rows = np.array(rows)  # a copy: the mapped pages can go
        _release_pages(source)
        return rows
    if hasattr(rows, "compute"):  # Dask
        rows = rows.compute()
    return np.asarray(rows)


def _module(source):
    return type(source).__module__.partition(".")[0]


def _open_file_of(memmap):
    """``(file, byte offset of row 0)`` of a memmap's rows, opened, or None.

    None (read the rows through the mapping) unless the rows are one
    contiguous byte range and reading the file gives what the mapping
    shows: a shared mapping (copy-on-write ``mode="c"`` keeps the changes
    out of the file) of the very file opened at the memmap's path (the
    device and inode ``/proc/self/maps`` gives the mapping, Linux). The
    caller closes the file.
    """
    mapping = getattr(memmap, "_mmap", None)
    if mapping is None or memmap.mode == "c" or not memmap.flags.c_contiguous:
        return None
    file = None
    try:
        address = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
        with open("/proc/self/maps") as maps:  # start-end perms offset dev inode path
            lines = (line.split() for line in maps)
            fields = next(f for f in lines if int(f[0].split("-")[0], 16) == address)
        major, minor = (int(part, 16) for part in fields[3].split(":"))
        file = open(memmap.filename, "rb", buffering=0)
        status = os.fstat(file.fileno())
        if (status.st_dev, status.st_ino) == (os.makedev(major, minor), int(fields[4])):
            return file, int(fields[2], 16) + memmap.ctypes.data - address
    except (OSError, TypeError, ValueError, BufferError, StopIteration):
        pass
    if file is not None:
        file.close()
    return None


def _read_exactly(file, offset, out):
    """Fill ``out`` with the file's bytes from ``offset``."""
    view = memoryview(out).cast("B")
    file.seek(offset)
    while len(view):
        count = file.readinto(view)
        if not count:
            raise OSError(
                f"{file.name} ended before the rows its memmap shows: was it "
                "truncated? Open the memmap again on the current file."
            )
        view = view[count:]


def _copy_mapped(memmap, start, out):
    """Rows ``start:start + len(out)`` of a memmap copied into ``out`` through its mapping.

    A few rows at a time, each piece's pages released before the next, so
    that the mapping adds little to resident memory.
    """
    step = max(1, COPY_BYTES // out[0].nbytes)
    for first in range(0, len(out), step):
        last = min(first + step, len(out))
        piece = memmap[start + first : start + last].reshape(last - first, -1)
        np.copyto(out[first:last], piece)
        _release_pages(memmap)


def _release_pages(memmap):
    mapping = getattr(memmap, "_mmap", None)
    # MADV_DONTNEED on a private (copy-on-write) mapping would drop the
    # user's changes; on a shared one it only unmaps pages the cache keeps
    if mapping is not None and memmap.mode != "c" and hasattr(mmap, "MADV_DONTNEED"):
        mapping.madvise(mmap.MADV_DONTNEED)


class StreamedRows:
    """Validated rows ``(n_samples, n_features)`` of an out-of-core array.

    Sliced by row ranges (``rows[start:stop]``), it reads those rows from the
    source and returns them checked, as an array of ``dtype``.
    """

    ndim = 2

    def __init__(self, source, dtype, n_features, estimator_name, input_name="X"):
        self.source = source
        self._input_name = input_name
        self.dtype = np.dtype(dtype)
        self.shape = (int(source.shape[0]), int(n_features))
        self._estimator_name = estimator_name
        self._summary = None
        block_rows = max(1, BLOCK_BYTES // (n_features * self.dtype.itemsize))
        if block_rows >= INFERENCE_BATCH_SIZE:
            # whole inference chunks: blockwise scores equal run_in_chunks's
            block_rows -= block_rows % INFERENCE_BATCH_SIZE
        self.block_rows = block_rows

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        if not isinstance(rows, slice) or rows.step not in (None, 1):
            raise TypeError("StreamedRows are read by row ranges only, rows[start:stop].")
        start, stop, _ = rows.indices(self.shape[0])
        return self._checked(_read(self.source, start, stop))

    def _checked(self, block):
        return check_array(
            block.reshape(len(block), -1),
            dtype=self.dtype,
            estimator=self._estimator_name,
            input_name=self._input_name,
        )

    def private_chunks(self, n_rows=None):
        """``(start, rows)`` of consecutive chunks of ``n_rows`` rows, for inference.

        ``n_rows`` defaults to ``STREAM_CHUNK_ROWS``.

        Each chunk is the caller's to modify, valid until the next one is
        read. A memmap's rows of the estimator's dtype go into one
        page-aligned buffer reused for every chunk (the network then reads
        it without a copy, see ``_inference.lent_to_backend``), read from
        its file (``_open_file_of``) rather than through its mapping,
        whose pages would count as resident memory while mapped; h5py reads
        into a new array; other sources' rows are copied, as they may be
        the source's own arrays.
        """
        source, n_rows = self.source, n_rows or STREAM_CHUNK_ROWS
        if not (isinstance(source, np.memmap) and source.dtype == self.dtype):
            fresh = isinstance(source, np.memmap) or _module(source) == "h5py"
            for start in range(0, self.shape[0], n_rows):
                rows = self[start : start + n_rows]
                yield start, rows if fresh else rows.copy()
            return
        buffer = aligned_empty((min(n_rows, self.shape[0]), self.shape[1]), self.dtype)
        file, offset = _open_file_of(source) or (None, None)
        with contextlib.nullcontext() if file is None else file:
            for start in range(0, self.shape[0], n_rows):
                rows = buffer[: min(n_rows, self.shape[0] - start)]
                if file is None:
                    _copy_mapped(source, start, rows)
                else:
                    _read_exactly(file, offset + start * rows[0].nbytes, rows)
                yield start, self._checked(rows)

    def block_starts(self):
        return range(0, self.shape[0], self.block_rows)

    def blocks(self):
        """``(start, rows)`` of each block, in order."""
        for start in self.block_starts():
            yield start, self[start : start + self.block_rows]

    def min(self):
        return self.summary()["min"]

    def max(self):
        return self.summary()["max"]

    def center_scale(self):
        """What ``statistics.robust_center_scale`` returns for these rows."""
        return self.summary()["center_scale"]

    def summary(self):
        """Range and standardisation statistics, from one checking pass (cached).

        ``min``, ``max``; ``center_scale`` as ``robust_center_scale``; and
        ``feature_std``, each feature's standard deviation.
        """
        if self._summary is None:
            self._summary = _summarise(self.blocks(), self.shape)
        return self._summary


def _summarise(blocks, shape):
    low, high, parts = np.inf, -np.inf, []
    for _, rows in blocks:
        rows = rows.astype(np.float64, copy=False)
        low, high = min(low, float(rows.min())), max(high, float(rows.max()))
        magnitude = float(np.max(np.abs(rows)))
        if not magnitude <= MAX_ABS_VALUE:
            check_magnitude(magnitude)
        shrunk = rows / magnitude if magnitude > 0 else rows
        mean = shrunk.mean(axis=0)
        parts.append((len(rows), magnitude, mean, np.sum((shrunk - mean) ** 2, axis=0)))
    magnitude = max(part[1] for part in parts)
    summary = {"min": low, "max": high}
    if magnitude == 0:
        summary["center_scale"] = (np.zeros(shape[1:]), 1.0)
        summary["feature_std"] = np.zeros(shape[1:])
        return summary
    # Chan et al.: the blocks' sums of squares about their own means, plus
    # their means' deviations from the overall mean, in units of magnitude
    mean = sum(n * (m / magnitude) * block_mean for n, m, block_mean, _ in parts) / shape[0]
    squares = sum(
        (m / magnitude) ** 2 * block_squares + n * ((m / magnitude) * block_mean - mean) ** 2
        for n, m, block_mean, block_squares in parts
    )
    scale = np.sqrt(float(np.sum(squares)) / (shape[0] * shape[1]))
    if scale == 0:
        scale = 1.0 / magnitude
    summary["center_scale"] = (mean * magnitude, float(scale * magnitude))
    summary["feature_std"] = np.sqrt(squares / shape[0]) * magnitude
    return summary


class ScaledRows:
    """Out-of-core rows standardised feature by feature as they are read.

    What the outlier detector hands its backbone for out-of-core X:
    row-sliceable like the ``StreamedRows`` it wraps (so the backbone
    streams it in turn), each block returned as ``(rows - center) / scale``
    in the rows' dtype, shaped as ``sample_shape`` (images stay images).
    """

    def __init__(self, rows, center, scale, sample_shape):
        self.rows, self.center, self.scale = rows, center, scale
        self.dtype = rows.dtype
        self.shape = (rows.shape[0],) + tuple(sample_shape)
        self.ndim = len(self.shape)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, rows):
        block = self.rows[rows]
        scaled = ((block - self.center) / self.scale).astype(self.dtype, copy=False)
        return scaled.reshape((len(block),) + self.shape[1:])


def in_blocks(X, function):
    """``function(X)``, computed block by block for ``StreamedRows``."""
    if not isinstance(X, StreamedRows):
        return function(X)
    return np.concatenate([function(rows) for _, rows in X.blocks()])


def check_streamed_fit(estimator, X, y):
    """Check every block of X (one pass, which also makes its statistics)."""
    X.summary()


def streamed_target(estimator, X, y):
    """``y``, row for row the target of streamed ``X``, as checked ``StreamedRows``.

    ``y`` may be out of core as X is, or an array in memory; it is read by
    the same row ranges as X, and checked (dtype, finiteness) block by block
    now, before training.
    """
    shape = getattr(y, "shape", None)
    if shape is None or len(shape) < 2:
        y = np.asarray(y)
        shape = y.shape
    if shape[0] != X.shape[0] or int(np.prod(shape[1:])) != X.shape[1]:
        raise ValueError(
            f"y has shape {tuple(shape)}, but X has {X.shape[0]:,} samples of "
            f"{X.shape[1]} values: y must be the clean counterpart of X, one clean "
            "sample per noisy sample of X, of the same shape. Pass y=None to "
            "corrupt X while training."
        )
    target = StreamedRows(y, X.dtype, X.shape[1], type(estimator).__name__, input_name="y")
    target.summary()
    return target
