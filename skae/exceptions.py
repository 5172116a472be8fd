"""Warnings and errors skae raises that users may want to catch or filter."""

__all__ = ["InconsistentVersionWarning"]


class InconsistentVersionWarning(UserWarning):
    """A model file was written by another version of skae or Keras.

    Like scikit-learn's ``InconsistentVersionWarning``: the estimator loads,
    but its behaviour is only guaranteed with the versions that wrote it.

    Attributes
    ----------
    library : str
        ``"skae"`` or ``"keras"``.
    original_version : str
        The version that wrote the file.
    current_version : str
        The version installed now.
    """

    def __init__(self, *, library, original_version, current_version):
        self.library = library
        self.original_version = original_version
        self.current_version = current_version

    def __str__(self):
        return (
            f"This model file was written with {self.library} "
            f"{self.original_version} and is loaded with {self.current_version}. "
            "It may give different results or fail; refit it with the installed "
            "version to be sure."
        )
