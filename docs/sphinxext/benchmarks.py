"""``.. benchmark:: NAME``: a benchmark's table beside the command that measured it.

Each script in ``benchmarks/`` writes its results as Markdown into
``docs/benchmarks/NAME.md``, with the command it ran (in a code block after
"Produced by:", or as "Measured by `python ...`"). The directive puts the
page title (the Markdown's first ``#`` heading, or ``:title:``), then those
commands, then the Markdown itself, so the command shown is always the one
recorded with the numbers.
"""

import re
import shlex
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


def wrap(command, width=84):
    """``command`` over several lines with shell continuations, none over ``width``.

    Lines are cut between arguments only, after a ``$ `` prompt and indented.
    """
    words = [shlex.quote(word) for word in shlex.split(command)]
    lines, line = [], "$"
    for word in words:
        if len(line) + 1 + len(word) > width - 2 and line.strip() not in ("$", ""):
            lines.append(line + " \\")
            line = "   "
        line += " " + word
    return lines + [line]


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
        # in a "wrapped-code" box, whose code lines wrap (docs/_static/skae.css):
        # a command can hold an argument too long for any line
        body = ["Measured by:", "", ".. code-block:: console", ""]
        body += [f"   {line}" for command in found for line in wrap(command)] + [""]
        if "image" in self.options:
            body += [f".. image:: {self.options['image']}", "   :width: 520px", ""]
        body += [f".. include:: {name}.md", "   :parser: myst_parser.sphinx_"]
        body += [f"   :start-line: {start}", ""]
        rst = [title, "=" * len(title), "", ".. container:: wrapped-code", ""]
        rst += [f"   {line}" if line else "" for line in body]
        self.state_machine.insert_input(StringList(rst, source=str(path)), str(path))
        return []


def setup(app):
    app.add_directive("benchmark", Benchmark)
    return {"parallel_read_safe": True}
