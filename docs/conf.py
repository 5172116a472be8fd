"""Sphinx configuration for skae's documentation (``make docs``).

pydata-sphinx-theme, as scikit-learn, imbalanced-learn and PyOD use. The
build is offline: the intersphinx inventories of scikit-learn, Keras, NumPy
and scikeras are written at build time (``sphinxext/inventories.py`` says
how). sphinx-gallery runs the scripts in the repository's ``examples/``
and shows their printed output and figures; autosummary writes one page per
public class and function under ``api/generated/``.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DOCS))  # sphinxext
sys.path.insert(0, str(ROOT / "examples"))  # custom_variants imports examples/variants

# Importing skae's estimators imports Keras and TensorFlow: keep the build
# log free of TensorFlow's C++ start-up lines.
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
from skae._startup import quiet_tensorflow_startup  # noqa: E402

quiet_tensorflow_startup()

import skae  # noqa: E402
from sphinxext.inventories import write_inventories  # noqa: E402

project = "skae"
author = "the skae developers"
copyright = "the skae developers, BSD-3-Clause"
version = release = skae.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",  # the benchmark tables, written in Markdown by the benchmarks
    "sphinx_gallery.gen_gallery",
    "sphinxext.benchmarks",  # .. benchmark:: NAME (docs/benchmarks/)
    "sphinxext.autolink",  # ``PCA`` links to scikit-learn's PCA
]

# Markdown files are included into pages, not pages of their own.
exclude_patterns = ["_build", "benchmarks/*.md", "auto_examples/*.ipynb", "**/*.py.md5"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
# the benchmark pages drop their Markdown's "# " title (it is the page's): its
# "## " headings are then the first level below the title
suppress_warnings = ["myst.header"]
templates_path = ["_templates"]

autosummary_generate = True
autodoc_typehints = "none"
# the class template lists the members; numpydoc would list them a second time
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

intersphinx_mapping = write_inventories(DOCS / "_build" / "intersphinx")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # examples/variants/ holds modules custom_variants.py imports, not examples
    "ignore_pattern": r"__init__\.py|/variants/",
    # shown, not run: it starts JAX processes of its own (see the script)
    "filename_pattern": r"/(?!multihost_jax)[^/]+\.py$",
    "reset_argv": "sphinxext.gallery.reset_argv",
    "image_scrapers": ("matplotlib", "sphinxext.gallery.png_files_scraper"),
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skae",),
    "reference_url": {"skae": None},
    "backreferences_dir": "api/generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "abort_on_example_error": True,
    "capture_repr": (),
}

html_theme = "pydata_sphinx_theme"
html_title = f"skae {release}"
html_static_path = ["_static"]
html_css_files = ["skae.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_context = {"default_mode": "light"}
html_sidebars = {"index": [], "getting_started": [], "migration_from_pca": []}


def _quote_shapes(app, what, name, obj, options, lines):
    """Quote attribute names in shapes, e.g. ``(n_features_in_,)``.

    reST reads a bare ``n_features_in_`` as a link to a target that does not
    exist; scikit-learn's docstrings write ``(`n_features_in_`,)`` instead.
    Remove this once skae's docstrings do too.
    """
    lines[:] = [re.sub(r"\((\w+_)(,?)\)", r"(``\1``\2)", line) for line in lines]


def _plain_sklearn_references(app, what, name, obj, options, lines):
    """Methods inherited from scikit-learn link to its own docs' labels.

    Those labels (the glossary, the metadata routing guide...) are not in
    the inventory written for these docs: keep their text, drop the link.
    """
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    link = re.compile(r":(?:ref|term):`([^`<]+?)\s*(?:<[^`>]+>)?`")
    lines[:] = [link.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _quote_shapes, priority=400)
    app.connect("autodoc-process-docstring", _plain_sklearn_references, priority=400)
