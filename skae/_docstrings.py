"""Shared numpydoc entries, written into docstrings from one source.

A docstring names a shared entry (or a group of entries) by a line holding
only ``{name}``; ``fill_docs`` writes the entries there, indented as the
placeholder is, with a note appended to an entry where one docstring must
say more (imbalanced-learn's ``Substitution`` works the same way). Other
braces in the docstring are left alone. Pure Python: the pure Keras
builders and the Displays use it too.
"""

import re
import textwrap

from ._version import __version__

_PLACEHOLDER = re.compile(r"^( *)\{(\w+)\}$", flags=re.MULTILINE)


def fill_docs(entries, groups=None, **notes):
    """Decorator writing ``entries`` into the placeholders of a docstring.

    Parameters
    ----------
    entries : dict
        ``name -> (header, description)``: the numpydoc header line and the
        description as one paragraph (wrapped when written).
    groups : dict, default=None
        ``name -> tuple of entry names``: a placeholder naming a group is
        replaced by its entries, in order.
    **notes : str
        A note appended to the description of the entry of that name.

    Returns
    -------
    decorate : callable
        Applied to a class or function, fills its ``__doc__`` and returns it.
        A placeholder or a note naming no entry raises ``KeyError`` (at
        import, so a typo cannot reach the docs).
    """
    groups = groups or {}

    def render(indent, name):
        header, description = entries[name]
        if name in notes:
            description = f"{description} {notes[name]}"
        body = textwrap.fill(
            description,
            width=79,
            initial_indent=indent + "    ",
            subsequent_indent=indent + "    ",
            break_on_hyphens=False,
        )
        return f"{indent}{header}\n{body}"

    def decorate(obj):
        used = set()

        def replace(match):
            indent, name = match.groups()
            names = groups.get(name, (name,))
            used.update(names)
            return "\n".join(render(indent, n) for n in names)

        obj.__doc__ = _PLACEHOLDER.sub(replace, obj.__doc__)
        if set(notes) - used:
            raise KeyError(
                f"Notes for no placeholder of {obj.__qualname__}: "
                f"{sorted(set(notes) - used)}"
            )
        return obj

    return decorate


def _docs_version():
    # released versions have their own docs; development versions the latest
    return "latest" if "dev" in __version__ else __version__


class DocLinkMixin:
    """The "?" of the HTML repr in notebooks links to skae's API reference."""

    _doc_link_module = "skae"

    @property
    def _doc_link_template(self):
        return (
            f"https://skae.readthedocs.io/en/{_docs_version()}/api/estimators.html"
            "#skae.{estimator_name}"
        )
