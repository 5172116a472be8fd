"""Docstrings filled from shared entries still document every parameter.

The Displays (``skae.plotting._shared.fill_display_docs``) and the builders
(``skae.architectures._docs``) write shared numpydoc entries into their
docstrings; these tests make sure a filled docstring cannot silently drop,
repeat or reorder an entry.
"""

import inspect
import re
import warnings

import pytest

import skae.architectures
import skae.plotting
from skae.architectures._docs import BUILDER_DOCS
from skae.plotting._shared import DISPLAY_DOCS

DISPLAYS = [getattr(skae.plotting, name) for name in skae.plotting.__all__]
BUILDERS = [getattr(skae.architectures, name) for name in skae.architectures.__all__]
DISPLAY_METHODS = [
    (display, method)
    for display in DISPLAYS
    for method in ("from_estimator", "from_history", "plot")
    if hasattr(display, method)
]


def _section(obj, title):
    """``[(names, header, description)]`` of a numpydoc section of obj's docstring."""
    lines = inspect.getdoc(obj).splitlines()
    assert title in lines, f"{obj.__qualname__} has no {title} section"
    start = lines.index(title) + 2
    assert re.fullmatch("-+", lines[start - 1]), f"{obj.__qualname__}: {title} is not underlined"
    entries = []
    for i in range(start, len(lines)):
        line = lines[i]
        if i + 1 < len(lines) and re.fullmatch("-+", lines[i + 1]):
            break  # the next section's title
        if line and not line.startswith(" "):
            names = line.split(" : ")[0].split(", ")
            entries.append((names, line, ""))
        elif line and entries:
            names, header, description = entries[-1]
            entries[-1] = (names, header, f"{description} {line.strip()}".strip())
    return entries


def _documented(obj):
    return [name for names, _, _ in _section(obj, "Parameters") for name in names]


def _signature(function):
    prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}
    return [
        prefix.get(parameter.kind, "") + name
        for name, parameter in inspect.signature(function).parameters.items()
        if name not in ("self", "cls")
    ]


def _id(case):
    display, method = case
    return f"{display.__name__}.{method}"


@pytest.mark.parametrize("case", DISPLAY_METHODS, ids=_id)
def test_display_methods_document_each_parameter_once(case):
    display, method = case
    function = getattr(display, method)
    assert _documented(function) == _signature(function)


@pytest.mark.parametrize("display", DISPLAYS, ids=lambda cls: cls.__name__)
def test_display_classes_document_each_parameter_once(display):
    assert _documented(display) == _signature(display.__init__)


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda f: f.__name__)
def test_builders_document_each_parameter_once(builder):
    assert _documented(builder) == _signature(builder)


@pytest.mark.parametrize("case", DISPLAY_METHODS, ids=_id)
def test_display_methods_return_their_display(case):
    display, method = case
    (names, header, description), = _section(getattr(display, method), "Returns")
    assert header == f"display : {display.__name__}"
    assert description


def test_shared_entries_are_written_as_they_are_defined():
    # the filler's output, read back: header and (unwrapped) description
    checks = [(getattr(d, m), DISPLAY_DOCS) for d, m in DISPLAY_METHODS]
    checks += [(display, DISPLAY_DOCS) for display in DISPLAYS]
    checks += [(builder, BUILDER_DOCS) for builder in BUILDERS]
    used = set()
    for obj, shared in checks:
        entries = _section(obj, "Parameters")
        if "Attributes" in inspect.getdoc(obj).splitlines():
            entries += _section(obj, "Attributes")
        for _, header, description in entries:
            for key, (shared_header, shared_description) in shared.items():
                if header == shared_header and description.startswith(shared_description):
                    used.add(key)
    # every shared entry is written somewhere, exactly as defined
    assert used == set(DISPLAY_DOCS) | set(BUILDER_DOCS)


@pytest.mark.parametrize(
    "obj",
    [getattr(d, m) for d, m in DISPLAY_METHODS] + DISPLAYS + BUILDERS,
    ids=lambda obj: obj.__qualname__,
)
def test_filled_docstrings_are_valid_numpydoc(obj):
    docscrape = pytest.importorskip("numpydoc.docscrape")
    doc = inspect.getdoc(obj)
    assert not re.search(r"^\s*\{\w+\}$", doc, flags=re.MULTILINE), "unfilled placeholder"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns on unknown or broken sections
        parsed = docscrape.NumpyDocString(doc)
    assert [p.name for p in parsed["Parameters"]] == _documented(obj)
