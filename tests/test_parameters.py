"""One source for the shared parameters: constraints and docs cannot drift."""

import inspect
import re

import pytest

import skae
from skae._estimators.parameters import PARAMETER_CONSTRAINTS, SHARED_DOCS, fill_shared_docs

ESTIMATORS = [getattr(skae, name) for name in skae.__all__ if isinstance(getattr(skae, name), type)]

# Entries an estimator states in its own words, because their meaning differs.
OWN_ENTRIES = {
    "VariationalAutoencoderTransformer": {"loss"},
    "ConditionalVariationalAutoencoder": {"loss"},
    # its own defaults for small tabular data (issue 16), explained in place,
    # and its code sized by the features (issue 24)
    "AutoencoderOutlierDetector": {"loss", "dropout", "batch_normalization", "n_components"},
}
# Parameters an estimator accepts more values of than the shared constraint
# (each a superset of it), with their own header.
OWN_CONSTRAINTS = {
    # n_components="auto" (leave-one-data-set-out, issue 24)
    "AutoencoderOutlierDetector": {"n_components"},
}


def _entries(doc, section):
    part = doc.split(f"    {section}\n    {'-' * len(section)}\n")[1]
    part = re.split(r"\n\n    [A-Z][A-Za-z ]+\n    -+\n", part)[0]
    entries, name = {}, None
    for line in part.split("\n"):
        match = re.match(r"^    (\w+) : ", line)
        if match:
            name = match.group(1)
            entries[name] = [line.strip(), ""]
        elif name is not None:
            entries[name][1] += " " + line.strip()
    return {name: (header, " ".join(text.split())) for name, (header, text) in entries.items()}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_every_parameter_is_documented_in_signature_order(estimator):
    documented = list(_entries(estimator.__doc__, "Parameters"))
    assert documented == list(inspect.signature(estimator).parameters)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_shared_parameters_use_the_shared_docs_and_constraints(estimator):
    entries = _entries(estimator.__doc__, "Parameters")
    own = OWN_ENTRIES.get(estimator.__name__, set())
    widened = OWN_CONSTRAINTS.get(estimator.__name__, set())
    for name, (header, text) in entries.items():
        if name not in SHARED_DOCS:
            continue
        if name in widened:
            constraints = estimator._parameter_constraints[name]
            assert all(c in constraints for c in PARAMETER_CONSTRAINTS[name]), name
            continue
        assert estimator._parameter_constraints[name] is PARAMETER_CONSTRAINTS[name]
        # the shared header, with this estimator's own default where it differs
        default = inspect.signature(estimator).parameters[name].default
        shared_header = SHARED_DOCS[name][0]
        expected = re.sub(r"default=.*$", f"default={default!r}", shared_header)
        assert header in (shared_header, expected), name
        if name not in own:
            assert text.startswith(" ".join(SHARED_DOCS[name][1].split())), name


def test_a_placeholder_without_shared_entry_fails_at_import():
    class Documented:
        """Summary.

        Parameters
        ----------
        {no_such_parameter}
        """

    with pytest.raises(KeyError):
        fill_shared_docs()(Documented)


def test_a_note_without_placeholder_fails_at_import():
    class Documented:
        """Summary."""

    with pytest.raises(KeyError, match="n_components"):
        fill_shared_docs(n_components="A note.")(Documented)
