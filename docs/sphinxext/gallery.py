"""sphinx-gallery hooks, named in ``conf.py`` by their import path.

The examples are standalone scripts: ``python examples/NAME.py`` saves its
figures as PNG files in the current directory and closes them. sphinx-gallery
runs each one in the examples' folder, so :func:`png_files_scraper` moves the
files a script wrote there into the gallery's images (the folder stays
clean), in the order the script wrote them.
"""

import re
import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst


def reset_argv(gallery_conf, script_vars):
    """The command-line arguments each example runs with in the docs.

    The full run, on scikit-learn's digits where a script would otherwise try
    to download MNIST: the build is offline and its pages the same every time.
    """
    source = Path(script_vars["src_file"]).read_text()
    return ["--dataset", "digits"] if re.search(r'"--dataset"', source) else []


def png_files_scraper(block, block_vars, gallery_conf):
    """Move the PNG files the block's code wrote into the gallery's images."""
    folder = Path(block_vars["src_file"]).parent
    written = sorted(folder.glob("*.png"), key=lambda path: (path.stat().st_mtime_ns, path.name))
    images = []
    for png, destination in zip(written, block_vars["image_path_iterator"]):
        shutil.move(png, destination)
        images.append(destination)
    return figure_rst(images, gallery_conf["src_dir"])
