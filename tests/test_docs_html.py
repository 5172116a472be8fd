"""The built HTML docs as a reader gets them (``make docs-check``).

Skipped unless ``docs/_build/html`` exists (``make docs`` builds it; ``make
test`` does not, to keep CI short). Checks every page: each internal link
points at a file that exists and, when it names an anchor, at an element
with that id; and no line in a code block is wider than ``MAX_CODE_LINE``
characters, which is what fits the article column on a 1366-pixel-wide
screen without scrolling sideways (docs/_static/skae.css sizes the column;
docs/screenshots.py checks a few pages in a real browser too).
"""

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

HTML = Path(__file__).resolve().parents[1] / "docs" / "_build" / "html"
MAX_CODE_LINE = 88

pytestmark = pytest.mark.skipif(
    not (HTML / "index.html").exists(), reason="docs not built (make docs)"
)


class _Page(HTMLParser):
    """The links, the ids and the text of each ``<pre>`` block of one page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids, self.blocks = [], set(), []
        self._pre_depth = 0
        self._divs = []  # whether each open <div> wraps its code lines

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "a" and "name" in attrs:
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key):
                self.links.append(attrs[key])
        if tag == "div":
            self._divs.append("wrapped-code" in (attrs.get("class") or "").split())
        if tag == "pre":
            if self._pre_depth == 0:
                # a block in a "wrapped-code" box wraps its lines (skae.css)
                self.blocks.append(None if any(self._divs) else "")
            self._pre_depth += 1

    def handle_endtag(self, tag):
        if tag == "div" and self._divs:
            self._divs.pop()
        if tag == "pre":
            self._pre_depth -= 1

    def handle_data(self, data):
        if self._pre_depth and self.blocks[-1] is not None:
            self.blocks[-1] += data


def _parse(path):
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


@pytest.fixture(scope="module")
def pages():
    # _static holds the theme's files, among them templates named .html
    paths = [p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts]
    return {path: _parse(path) for path in sorted(paths)}


def _internal_targets(path, page):
    for link in page.links:
        parts = urlsplit(html.unescape(link))
        if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
            continue
        target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
        yield link, target, unquote(parts.fragment)


def test_the_docs_have_the_pages_a_reader_looks_for(pages):
    names = {str(p.relative_to(HTML)) for p in pages}
    assert {
        "index.html",
        "auto_examples/index.html",
        "auto_examples/autoencoder_vs_pca.html",
        "api/generated/skae.AutoencoderTransformer.html",
        "api/generated/skae.plotting.SampleGridDisplay.html",
        "benchmarks/index.html",
    } <= names


def test_no_internal_link_is_broken(pages):
    broken = []
    ids = {path.resolve(): page.ids for path, page in pages.items()}
    for path, page in pages.items():
        for link, target, fragment in _internal_targets(path, page):
            if not target.exists():
                broken.append(f"{path.relative_to(HTML)}: {link} (no such file)")
            elif fragment and target.suffix == ".html":
                if fragment not in ids.get(target, _parse(target).ids):
                    broken.append(f"{path.relative_to(HTML)}: {link} (no such anchor)")
    assert not broken, f"{len(broken)} broken links:\n" + "\n".join(broken[:30])


def test_no_code_line_is_wider_than_the_page(pages):
    wide = []
    for path, page in pages.items():
        if path.name in ("genindex.html", "py-modindex.html", "search.html"):
            continue
        for block in filter(None, page.blocks):
            for line in block.splitlines():
                if len(line.rstrip()) > MAX_CODE_LINE:
                    wide.append(f"{path.relative_to(HTML)} ({len(line)}): {line.strip()[:70]}")
    assert not wide, f"{len(wide)} code lines over {MAX_CODE_LINE} characters:\n" + (
        "\n".join(wide[:40])
    )


def test_the_checks_find_what_they_look_for(tmp_path):
    # the parser sees a link, an id and a long <pre> line: the checks above can fail
    page = tmp_path / "page.html"
    page.write_text(
        '<p id="here"><a href="missing.html#x">x</a></p>'
        f"<pre><span>{'x' * (MAX_CODE_LINE + 1)}</span>\nshort</pre>"
        '<div class="wrapped-code"><div></div><pre>wraps</pre></div><pre>y</pre>'
    )
    parsed = _parse(page)
    assert "here" in parsed.ids
    [(link, target, fragment)] = list(_internal_targets(page, parsed))
    assert not target.exists() and fragment == "x"
    assert max(len(line) for line in parsed.blocks[0].splitlines()) == MAX_CODE_LINE + 1
    assert re.fullmatch(r"x+", parsed.blocks[0].splitlines()[0])
    assert parsed.blocks[1:] == [None, "y"]
