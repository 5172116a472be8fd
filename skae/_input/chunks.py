"""Bounded chunks of rows: their size at inference, and page-aligned buffers."""

import numpy as np

# Rows per call of the compiled network at inference: large enough that the
# per-call overhead is negligible, small enough that the activations of one
# chunk stay a few MB whatever the number of rows.
INFERENCE_BATCH_SIZE = 16384

# Alignment of the buffers lent to the backend without a copy
# (``_engine.inference.lent_to_backend``): a page, more than any backend asks.
ALIGNMENT = 4096


def aligned_empty(shape, dtype):
    """An uninitialised C-contiguous array whose data starts on a page boundary."""
    dtype = np.dtype(dtype)
    n_bytes = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(n_bytes + ALIGNMENT, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return raw[start : start + n_bytes].view(dtype).reshape(shape)
