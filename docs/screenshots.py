"""Screenshots of the built docs' key pages, in headless Chromium.

``make docs-check`` runs it after building the HTML::

    python docs/screenshots.py docs/_build/html docs/_build/screenshots

It opens each page of ``PAGES`` at a laptop's window size, saves what a
reader sees first as ``NAME.png``, and asks the browser which code blocks
are wider than their box (the reader would have to scroll them sideways):
it lists them and exits with status 1 if there are any.

The browser: Playwright's own Chromium when ``python -m playwright install
chromium`` could download it, else the system's (Debian's ``chromium``
package: ``apt-get install chromium``), else it says so and exits 1.
"""

import shutil
import sys
from pathlib import Path

# file name -> page, relative to the HTML root
PAGES = {
    "home": "index.html",
    "getting_started": "getting_started.html",
    "gallery": "auto_examples/index.html",
    "example_autoencoder_vs_pca": "auto_examples/autoencoder_vs_pca.html",
    "api_reference": "api/estimators.html",
    "api_autoencoder_transformer": "api/generated/skae.AutoencoderTransformer.html",
    "api_sample_grid_display": "api/generated/skae.plotting.SampleGridDisplay.html",
    "benchmarks": "benchmarks/index.html",
    "benchmark_pca_vs_autoencoder": "benchmarks/pca_vs_autoencoder.html",
}
WINDOW = {"width": 1366, "height": 900}

# the code blocks whose content is wider than the block itself
OVERFLOWING = """() => Array.from(document.querySelectorAll('.bd-article pre'))
    .filter(pre => pre.scrollWidth > pre.clientWidth + 1)
    .map(pre => pre.textContent.split('\\n').reduce(
        (a, b) => (b.length > a.length ? b : a), ''))"""


def launch(playwright):
    try:
        return playwright.chromium.launch()
    except Exception as exc:  # noqa: BLE001 - Playwright's browser was not downloaded
        system = shutil.which("chromium") or shutil.which("chromium-browser")
        if system is None:
            raise SystemExit(
                "no Chromium: `python -m playwright install chromium` could not "
                f"download one ({str(exc).splitlines()[0]}) and there is no system "
                "chromium (on Debian: apt-get install chromium)"
            ) from None
        return playwright.chromium.launch(executable_path=system)


def main(html_root, output):
    from playwright.sync_api import sync_playwright

    html_root, output = Path(html_root).resolve(), Path(output)
    output.mkdir(parents=True, exist_ok=True)
    problems = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport=WINDOW)
        for name, relative in PAGES.items():
            path = html_root / relative
            if not path.exists():
                problems.append(f"{relative}: not built")
                continue
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            page.screenshot(path=output / f"{name}.png")
            for line in page.evaluate(OVERFLOWING):
                problems.append(f"{relative}: a code block scrolls sideways: {line[:60]}...")
        browser.close()
    print(f"{len(PAGES)} screenshots in {output}")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: python docs/screenshots.py HTML_ROOT OUTPUT_DIR")
    sys.exit(main(*sys.argv[1:]))
