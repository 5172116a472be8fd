# Quick start: `make demo` and `make test` each set everything up first.
# Any Python >= 3.10 will do: `make PYTHON=python3.12 demo`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# skae and its dependencies only, without the dev tools: what `make demo` needs.
CORE_STAMP := $(VENV)/.core-installed
DOCS_STAMP := $(VENV)/.docs-installed
JAX_STAMP := $(VENV)/.jax-installed
TORCH_STAMP := $(VENV)/.torch-installed
# What CI runs on JAX and PyTorch after the whole suite on TensorFlow: every
# estimator fits, transforms, scores, pickles, saves and loads, exports, and
# repeats itself for one random_state (tests/test_backends.py); training from
# streamed rows, failed fits that change nothing, export, the fine-tuning
# bridge, the conditional VAE. Measured on a quiet 2-core machine: 91 s on
# PyTorch, 237 s on JAX (the tests alone, installs apart).
SMOKE_TESTS := tests/test_backends.py tests/test_streaming.py tests/test_fit_state.py \
	tests/test_export.py tests/test_fine_tuning.py tests/test_bundle.py tests/test_variants.py \
	tests/test_conditional.py

# The oldest releases skae supports (pyproject.toml's lower bounds, pinned
# exactly in requirements/oldest.txt), in a virtual environment of their own.
OLDEST_VENV := .venv-oldest
OLDEST_BIN := $(OLDEST_VENV)/bin
OLDEST_STAMP := $(OLDEST_VENV)/.installed

.PHONY: demo test test-oldest test-scale test-jax test-torch test-smoke-jax test-smoke-torch install docs docs-check clean

# A clear message, rather than make's "No such file or directory", when the
# default python3.11 is not on this machine.
define check_python
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "make: $(PYTHON) not found; name another Python >= 3.10, e.g. make PYTHON=python3.12 $(MAKECMDGOALS)" >&2; \
		exit 1; }
endef

$(BIN)/python:
	$(check_python)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP) $(CORE_STAMP)

$(CORE_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $(CORE_STAMP)

install: $(STAMP)

demo: $(CORE_STAMP)
	$(BIN)/python benchmarks/pca_vs_autoencoder.py --output-dir demo_output

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not scale"

$(OLDEST_BIN)/python:
	$(check_python)
	$(PYTHON) -m venv $(OLDEST_VENV)
	$(OLDEST_BIN)/python -m pip install --quiet --upgrade pip

$(OLDEST_STAMP): $(OLDEST_BIN)/python pyproject.toml requirements/oldest.txt
	$(OLDEST_BIN)/python -m pip install --quiet -e ".[dev]" -c requirements/oldest.txt
	touch $(OLDEST_STAMP)

# The whole suite on the oldest supported releases (tensorflow 2.18.1,
# keras 3.11.3, scikit-learn 1.6.1, numpy 1.26.4, matplotlib 3.9.4).
test-oldest: $(OLDEST_STAMP)
	$(OLDEST_BIN)/python -m pytest -n 2 -q -m "not scale"

# Training on 2 logical CPU devices, TensorFlow and JAX, one subprocess each
# (a few minutes; tests/test_distribution.py).
test-scale: $(JAX_STAMP)
	$(BIN)/python -m pytest -q -m scale tests/test_distribution.py

$(JAX_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,jax]"
	touch $(JAX_STAMP)

# The same tests on Keras's JAX backend. JAX_ENABLE_X64=1 lets float64 input be
# computed in float64 there too (skae never switches that flag on itself).
test-jax: $(JAX_STAMP)
	KERAS_BACKEND=jax JAX_ENABLE_X64=1 $(BIN)/python -m pytest -n 2 -q -m "not scale"

test-smoke-jax: $(JAX_STAMP)
	KERAS_BACKEND=jax JAX_ENABLE_X64=1 $(BIN)/python -m pytest -n 2 -q $(SMOKE_TESTS)

# torch==2.13.0 exactly (the torch extra says why); pip installs its CPU
# build on these machines.
$(TORCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,torch]"
	touch $(TORCH_STAMP)

# The same tests on Keras's PyTorch backend, which computes float64 input in
# float32 (Keras's torch ops promote float64 to float32) and writes no
# SavedModel (export format="onnx" there).
test-torch: $(TORCH_STAMP)
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n 2 -q -m "not scale"

test-smoke-torch: $(TORCH_STAMP)
	KERAS_BACKEND=torch $(BIN)/python -m pytest -n 2 -q $(SMOKE_TESTS)

$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,docs]"
	touch $(DOCS_STAMP)

# HTML into docs/_build/html, offline: sphinx-gallery runs every example in
# examples/ (their output and figures go on the pages; it reruns only the
# scripts changed since the last build) and the intersphinx inventories are
# written by docs/sphinxext/inventories.py.
docs: $(DOCS_STAMP)
	$(BIN)/python -m sphinx -b html -q -W --keep-going docs docs/_build/html
	@echo "docs: open docs/_build/html/index.html"

# The docs as a reader sees them: build, test the HTML (no broken internal
# link, no code line wider than the page: tests/test_docs_html.py), then
# screenshot the key pages with headless Chromium into docs/_build/screenshots
# (Debian's chromium package, or Playwright's own: docs/screenshots.py).
docs-check: docs
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_docs_html.py
	$(BIN)/python docs/screenshots.py docs/_build/html docs/_build/screenshots

clean:
	rm -rf $(VENV) $(OLDEST_VENV) demo_output docs/_build docs/auto_examples docs/api/generated
