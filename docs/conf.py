"""Sphinx configuration for skae's documentation (``make docs``).

The build is offline: no intersphinx inventories are fetched and the theme
(alabaster) ships with Sphinx. The API pages are generated from the
numpydoc docstrings by autodoc and autosummary.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "examples"))  # their docstrings introduce the example pages

# Importing skae's estimators imports Keras and TensorFlow: keep the build
# log free of TensorFlow's C++ start-up lines.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
from skae._startup import quiet_tensorflow_startup  # noqa: E402

quiet_tensorflow_startup()

import skae  # noqa: E402

project = "skae"
author = "the skae developers"
copyright = "the skae developers, BSD-3-Clause"
version = release = skae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # summary tables only: no generated files
    "numpydoc",
    "myst_parser",  # the benchmark tables, written in Markdown by the benchmarks
]

# Markdown files are included into pages, not pages of their own.
exclude_patterns = ["_build", "benchmarks/*.md", "examples/figures/*.txt"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"

autosummary_generate = False
autodoc_typehints = "none"
# autodoc documents the members; numpydoc would list them a second time
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

html_theme = "alabaster"
html_title = f"skae {release}"
html_static_path = []
html_theme_options = {
    "description": "scikit-learn estimators for autoencoders, on Keras 3",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}


def _quote_shapes(app, what, name, obj, options, lines):
    """Quote attribute names in shapes, e.g. ``(n_features_in_,)``.

    reST reads a bare ``n_features_in_`` as a link to a target that does not
    exist; scikit-learn's docstrings write ``(`n_features_in_`,)`` instead.
    Remove this once skae's docstrings do too.
    """
    lines[:] = [re.sub(r"\((\w+_)(,?)\)", r"(``\1``\2)", line) for line in lines]


def _plain_sklearn_references(app, what, name, obj, options, lines):
    """Methods inherited from scikit-learn link to its own docs' labels.

    Those labels (the glossary, the metadata routing guide...) do not exist
    here: keep their text, drop the link.
    """
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    link = re.compile(r":(?:ref|term):`([^`<]+?)\s*(?:<[^`>]+>)?`")
    lines[:] = [link.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _quote_shapes, priority=400)
    app.connect("autodoc-process-docstring", _plain_sklearn_references, priority=400)
