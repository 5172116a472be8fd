"""``.. benchmark:: NAME``: a benchmark's table beside the command that measured it.

Each script in ``benchmarks/`` writes its results as Markdown into
``docs/benchmarks/NAME.md``, with the command it ran (in a code block after
"Produced by:", or as "Measured by `python ...`"). The directive puts the
page title (the Markdown's first ``#`` heading, or ``:title:``), then those
commands, then the Markdown itself, so the command shown is always the one
recorded with the numbers.
"""

import re
from pathlib import Path

from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList

_FENCED = re.compile(r"```[a-z]*\n(python benchmarks/[^\n]+(?:\n[^`\n][^\n]*)*)\n```")
_INLINE = re.compile(r"`(python benchmarks/[^`]+)`")


def commands(markdown):
    """The ``python benchmarks/...`` commands recorded in ``markdown``, in order."""
    found = []
    for match in _FENCED.finditer(markdown):
        found += [line for line in match.group(1).splitlines() if line.strip()]
    for match in _INLINE.finditer(markdown):
        found.append(match.group(1))
    return list(dict.fromkeys(found))


class Benchmark(Directive):
    required_arguments = 1
    option_spec = {"title": directives.unchanged, "image": directives.unchanged}

    def run(self):
        name = self.arguments[0]
        env = self.state.document.settings.env
        folder = Path(env.srcdir) / "benchmarks"
        path = folder / f"{name}.md"
        env.note_dependency(str(path))
        text = path.read_text()
        lines = text.splitlines()
        start = 0
        title = self.options.get("title")
        if lines and lines[0].startswith("# "):
            title = title or lines[0][2:].strip()
            start = 1
        if not title:
            raise self.error(f"{path.name} has no '# ' title: give :title:")
        found = commands(text)
        if not found:
            raise self.error(f"{path.name} records no 'python benchmarks/...' command")
        rst = [title, "=" * len(title), "", "Measured by:", "", ".. code-block:: console", ""]
        rst += [f"   $ {command}" for command in found] + [""]
        if "image" in self.options:
            rst += [f".. image:: {self.options['image']}", "   :width: 520px", ""]
        rst += [f".. include:: {name}.md", "   :parser: myst_parser.sphinx_"]
        rst += [f"   :start-line: {start}", ""]
        self.state_machine.insert_input(StringList(rst, source=str(path)), str(path))
        return []


def setup(app):
    app.add_directive("benchmark", Benchmark)
    return {"parallel_read_safe": True}
