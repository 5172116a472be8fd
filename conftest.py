# Doctests in skae/ run with TensorFlow's start-up log lines hidden, as tests do.
from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import pytest  # noqa: E402

# Doctests that show what one backend cannot do, with the reason they are
# skipped there (the tests check the error that backend gives instead).
_DOCTESTS_NOT_ON = {
    "torch": {
        "skae._io.export.ExportMixin.export": "it writes a SavedModel, which Keras "
        "cannot on PyTorch (tests/test_export.py checks the ValueError naming ONNX)",
    },
}


def pytest_collection_modifyitems(config, items):
    import keras

    skipped = _DOCTESTS_NOT_ON.get(keras.backend.backend(), {})
    for item in items:
        if item.name in skipped:
            item.add_marker(pytest.mark.skip(reason=skipped[item.name]))
