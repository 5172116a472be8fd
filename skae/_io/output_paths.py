"""Where skae writes: a path checked first, then written whole or not at all.

``checked_output`` refuses, with the fix named, what would otherwise reach
the writer as a foreign error or write somewhere else than asked: an empty
path (which would write into the working directory), an existing path
without ``overwrite``, a file where a directory is written or the other way
round, a folder that does not exist or cannot be written. ``written_whole``
has the writer write beside the target (a hidden temporary sibling) and
moves the result into place only when it is complete, so a failed write
leaves nothing behind and never half of a file.
"""

import contextlib
import os
import shutil
import tempfile


def checked_output(path, *, directory, overwrite, owner, example=None):
    """``path`` as a string, checked for writing a directory or (else) a file.

    ``example``: a path to suggest in messages (a SavedModel or ONNX file's
    by default).
    """
    path = os.fspath(path)
    kind = "a directory (a SavedModel)" if directory else "a file"
    example = example or ("codes_model" if directory else "model.onnx")
    if not path:
        raise ValueError(f"{owner} got an empty path; give {kind}, for example {example!r}.")
    if os.path.lexists(path):
        if not overwrite:
            raise FileExistsError(
                f"{path!r} already exists; {owner} does not replace it unless "
                "overwrite=True is passed. Choose a new path or pass overwrite=True."
            )
        if directory and not os.path.isdir(path):
            raise ValueError(
                f"{path!r} is a file, but {owner} writes {kind}: choose another "
                "path, or remove the file first."
            )
        if not directory and os.path.isdir(path):
            raise ValueError(
                f"{path!r} is a directory, but {owner} writes {kind}: give a file "
                f"path, such as {os.path.join(path, example)!r}."
            )
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise FileNotFoundError(
            f"{owner} cannot write {path!r}: the folder {parent!r} does not exist. "
            "Create it first, or choose another path."
        )
    return path


@contextlib.contextmanager
def written_whole(path, *, directory, owner):
    """Yield a temporary path beside ``path`` to write; move it into place on success."""
    parent = os.path.dirname(os.path.abspath(path))
    try:
        scratch = tempfile.mkdtemp(prefix=".skae-", dir=parent)
    except OSError as exc:
        raise PermissionError(
            f"{owner} cannot write in {parent!r} ({exc.strerror or exc}): choose a "
            "folder you can write to."
        ) from exc
    target = os.path.join(scratch, os.path.basename(path) or "output")
    try:
        yield target
        if directory and os.path.isdir(path):
            shutil.rmtree(path)  # overwrite, checked by checked_output
        os.replace(target, path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
