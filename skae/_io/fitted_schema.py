"""What a fitted estimator holds, declared per class and checked by ``skae.load``.

Each estimator class declares ``_fitted_schema``, a ``FittedSchema``: every
fitted attribute its state may hold, each with a ``Spec`` (its Python type,
or its dtype and its shape in named dimensions, finiteness, range), the
dimensions that follow from the attributes (``n_features_in_``, the
network's sample shape), relations between attributes that no single spec
states, and whether it carries networks. ``skae.load`` checks a file's state
against the schema of the class the file names before building the
estimator, then the networks against the attributes (``network_problems``),
so that a damaged or edited file is refused with a message naming what is
wrong instead of failing later inside NumPy or Keras. Importing this module
imports neither Keras nor scikit-learn (``skae info`` reads files without them).

The types are the exact ones skae's fits produce (a Python ``float``, not a
``numpy.float32``; a ``float64`` array): a file whose values would compute
other bits than the saved estimator is refused rather than loaded.
"""

import functools
import math
from typing import NamedTuple

import numpy as np


class Problem(NamedTuple):
    """What is wrong with one attribute (or with how it relates to others)."""

    attribute: str
    text: str


def describe(value):
    """A short description of ``value`` for an error message."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return repr(value)
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    if isinstance(value, (int, float, str, np.generic)):
        text = repr(value)
        text = text if len(text) <= 40 else text[:37] + "..."
        return f"the {type(value).__name__} {text}"
    if isinstance(value, (list, tuple, dict)):
        return f"a {type(value).__name__} of {len(value)} items"
    return f"a {type(value).__module__}.{type(value).__qualname__}"


def _is_int(value):
    return type(value) is int


# ----------------------------------------------------------------------
# specs: one attribute each
# ----------------------------------------------------------------------
class Spec:
    """The kind of one fitted attribute.

    ``required``: the state must hold it (else it may be absent); ``none``:
    it may be None. Subclasses define ``expected`` (what a valid value is)
    and ``problem(value, dims)`` (None, or what is wrong). ``dims`` maps
    dimension names to sizes; ``needs`` names those a spec reads.
    """

    needs = ()

    def __init__(self, *, required=True, none=False):
        self.required = required
        self.none = none

    def check(self, value, dims):
        """None if ``value`` is valid, else the text of the problem."""
        if value is None:
            return None if self.none else f"must be {self.expected(dims)}, got None"
        return self.problem(value, dims)

    def expected(self, dims):
        raise NotImplementedError

    def problem(self, value, dims):
        raise NotImplementedError

    def _wrong(self, value, dims):
        return f"must be {self.expected(dims)}, got {describe(value)}"


def _bound(bound, dims):
    return dims.get(bound) if isinstance(bound, str) else bound


class Integer(Spec):
    """A Python int in ``[low, high]`` (either bound a number or a dimension name)."""

    def __init__(self, low=None, high=None, **kwargs):
        super().__init__(**kwargs)
        self.low, self.high = low, high
        self.needs = tuple(b for b in (low, high) if isinstance(b, str))

    def expected(self, dims):
        low, high = _bound(self.low, dims), _bound(self.high, dims)
        if low is not None and high is not None:
            return f"an int in [{low}, {high}]"
        if low is not None:
            return f"an int >= {low}"
        return "an int" if high is None else f"an int <= {high}"

    def problem(self, value, dims):
        low, high = _bound(self.low, dims), _bound(self.high, dims)
        if not _is_int(value) or (low is not None and value < low) or (
            high is not None and value > high
        ):
            return self._wrong(value, dims)
        return None


class Real(Spec):
    """A finite Python float (above 0 with ``positive``)."""

    def __init__(self, *, positive=False, **kwargs):
        super().__init__(**kwargs)
        self.positive = positive

    def expected(self, dims):
        return "a finite float" + (" > 0" if self.positive else "")

    def problem(self, value, dims):
        if type(value) is not float or not math.isfinite(value):
            return self._wrong(value, dims)
        if self.positive and not value > 0:
            return self._wrong(value, dims)
        return None


class Choice(Spec):
    """One of a few strings."""

    def __init__(self, *options, **kwargs):
        super().__init__(**kwargs)
        self.options = options

    def expected(self, dims):
        return f"one of {', '.join(map(repr, self.options))}"

    def problem(self, value, dims):
        return None if type(value) is str and value in self.options else self._wrong(value, dims)


class Flag(Spec):
    """A Python bool."""

    def expected(self, dims):
        return "True or False"

    def problem(self, value, dims):
        return None if type(value) is bool else self._wrong(value, dims)


class Sizes(Spec):
    """A tuple of ``length`` positive Python ints (a sample's shape)."""

    def __init__(self, *lengths, **kwargs):
        super().__init__(**kwargs)
        self.lengths = lengths

    def expected(self, dims):
        lengths = " or ".join(map(str, self.lengths))
        return f"a tuple of {lengths} positive ints"

    def problem(self, value, dims):
        if not (
            type(value) is tuple
            and len(value) in self.lengths
            and all(_is_int(v) and v >= 1 for v in value)
        ):
            return self._wrong(value, dims)
        return None


class Range(Spec):
    """A tuple ``(low, high)`` of finite Python floats, ``low <= high``."""

    def expected(self, dims):
        return "a tuple (low, high) of finite floats, low <= high"

    def problem(self, value, dims):
        if not (
            type(value) is tuple
            and len(value) == 2
            and all(type(v) is float and math.isfinite(v) for v in value)
            and value[0] <= value[1]
        ):
            return self._wrong(value, dims)
        return None


class Array(Spec):
    """A NumPy array of one dtype and shape.

    ``dtype``: a NumPy dtype name, ``"floats"`` (float32 or float64: what
    follows the precision of the training data), ``"strings"`` (an object
    array of ``str``, as ``feature_names_in_``) or ``"labels"`` (integers,
    floats, strings: what ``np.unique`` returns for class labels). ``shape``: one
    entry per axis, an int, a dimension name or None (any size). Floats must
    be finite; ``positive`` and ``nonpositive`` bound every value;
    ``increasing``: strictly increasing (sorted and unique, as
    ``np.searchsorted`` needs).
    """

    def __init__(
        self,
        dtype="float64",
        shape=(None,),
        *,
        positive=False,
        nonpositive=False,
        increasing=False,
        min_size=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.dtype, self.shape = dtype, tuple(shape)
        self.positive, self.nonpositive = positive, nonpositive
        self.increasing, self.min_size = increasing, min_size
        self.needs = tuple(s for s in self.shape if isinstance(s, str))

    def _shape(self, dims):
        return tuple(
            "any" if s is None else str(dims.get(s, s)) if isinstance(s, str) else str(s)
            for s in self.shape
        )

    def expected(self, dims):
        kind = {
            "strings": "an array of str",
            "labels": "an array of labels",
            "floats": "a float32 or float64 array",
        }.get(
            self.dtype, f"a {self.dtype} array"
        )
        shape = self._shape(dims)
        return f"{kind} of shape ({', '.join(shape)}{',' if len(shape) == 1 else ''})"

    def _dtype_ok(self, value):
        if self.dtype == "strings":
            return value.dtype == object and all(type(v) is str for v in value.ravel())
        if self.dtype == "labels":
            if value.dtype == object:
                return all(type(v) is str for v in value.ravel())
            return value.dtype.kind in "biufU"
        if self.dtype == "floats":
            return value.dtype in (np.float32, np.float64)
        return value.dtype == np.dtype(self.dtype)

    def problem(self, value, dims):
        if not isinstance(value, np.ndarray) or not self._dtype_ok(value):
            return self._wrong(value, dims)
        wanted = tuple(dims.get(s) if isinstance(s, str) else s for s in self.shape)
        if value.ndim != len(wanted) or any(
            w is not None and n != w for n, w in zip(value.shape, wanted)
        ):
            return self._wrong(value, dims)
        if value.size < self.min_size:
            return f"must hold at least {self.min_size} values, got none"
        if value.dtype.kind in "fc" and not np.isfinite(value).all():
            return "holds NaN or infinity"
        if self.positive and not (value > 0).all():
            return "must hold positive values only"
        if self.nonpositive and not (value <= 0).all():
            return "must hold values <= 0 only"
        if self.increasing and value.size > 1 and not bool(np.all(value[1:] > value[:-1])):
            return "must be sorted, without repeats"
        return None


class Items(Spec):
    """A Python list whose items each pass ``item`` (``length``: a size or dimension)."""

    def __init__(self, item, *, length=None, unique=False, **kwargs):
        super().__init__(**kwargs)
        self.item, self.length, self.unique = item, length, unique
        self.needs = (length,) if isinstance(length, str) else ()

    def expected(self, dims):
        length = _bound(self.length, dims)
        size = "" if length is None else f"{length} "
        return f"a list of {size}items, each {self.item.expected(dims)}"

    def problem(self, value, dims):
        length = _bound(self.length, dims)
        if type(value) is not list or (length is not None and len(value) != length):
            return self._wrong(value, dims)
        for i, item in enumerate(value):
            if (problem := self.item.check(item, dims)) is not None:
                return f"item {i} {problem}"
        if self.unique and len({repr(v) for v in value}) != len(value):
            return "must not repeat an item"
        return None


class History(Spec):
    """``history_``: a dict of lists of finite floats, one per epoch, ``"loss"`` among them."""

    def expected(self, dims):
        return "a dict of lists of finite floats (the loss of each epoch)"

    def problem(self, value, dims):
        if not (
            isinstance(value, dict)
            and "loss" in value
            and all(type(k) is str and type(v) is list for k, v in value.items())
        ):
            return self._wrong(value, dims)
        for key, values in value.items():
            if not all(type(v) is float and math.isfinite(v) for v in values):
                return f"[{key!r}] must hold finite floats only"
        return None


class Network(Spec):
    """A Keras model."""

    def expected(self, dims):
        return "a Keras model"

    def problem(self, value, dims):
        import keras

        return None if isinstance(value, keras.Model) else self._wrong(value, dims)


class Fitted(Spec):
    """A fitted estimator (a detector's ``backbone_``), checked by its own schema."""

    def expected(self, dims):
        return "a fitted skae estimator"

    def problem(self, value, dims):
        from sklearn.base import BaseEstimator

        return None if isinstance(value, BaseEstimator) else self._wrong(value, dims)


class Satisfies(Spec):
    """A value scikit-learn's parameter ``constraints`` accept (as a parameter's own)."""

    def __init__(self, constraints, what, **kwargs):
        super().__init__(**kwargs)
        self.constraints, self.what = constraints, what

    def expected(self, dims):
        return self.what

    def problem(self, value, dims):
        return None if _satisfies(value, self.constraints) else self._wrong(value, dims)


def _satisfies(value, constraints):
    from sklearn.utils._param_validation import make_constraint

    return any(make_constraint(c).is_satisfied_by(value) for c in constraints)


# ----------------------------------------------------------------------
# the schema of a class
# ----------------------------------------------------------------------
class FittedSchema:
    """The fitted attributes of an estimator class, and how they relate.

    Parameters
    ----------
    attributes : dict of str to Spec
        Every fitted attribute (public or private) a fitted state may hold.
    dimensions : dict of str to callable, default=None
        Sizes that follow from the attributes, ``function(state) -> int``,
        for the specs' shapes; every ``Integer`` attribute is also a
        dimension, under its own name.
    relations : sequence of callable, default=()
        ``function(state)`` yielding ``Problem`` s between attributes, run
        once every spec holds.
    networks : bool, default=False
        Whether the estimator carries networks (``model_``, ``encoder_``,
        ``decoder_``) for ``network_problems`` to check once it is built.
    network_relations : sequence of callable, default=()
        ``function(estimator)`` yielding ``Problem`` s between the built
        networks and the attributes.
    """

    def __init__(self, attributes, *, dimensions=None, relations=(), networks=False,
                 network_relations=()):
        self.attributes = dict(attributes)
        self.dimensions = dict(dimensions or {})
        self.relations = tuple(relations)
        self.networks = networks
        self.network_relations = tuple(network_relations)

    def extended(self, attributes=None, *, dimensions=None, relations=(), network_relations=()):
        """A schema with these attributes, dimensions and relations added."""
        return FittedSchema(
            {**self.attributes, **(attributes or {})},
            dimensions={**self.dimensions, **(dimensions or {})},
            relations=self.relations + tuple(relations),
            networks=self.networks,
            network_relations=self.network_relations + tuple(network_relations),
        )

    def problems(self, cls, state, *, params, pending=()):
        """The ``Problem`` s of ``state`` (a class's decoded state), relations aside.

        ``params``: the names of the class's parameters. ``pending``: entries
        not decoded yet (networks and nested estimators, built only once
        everything else holds): neither checked nor reported missing here,
        but by ``relation_problems``.
        """
        known = set(params) | set(self.attributes)
        problems = list(_key_problems(cls, [*state, *pending], known))
        problems += _parameter_problems(cls, state, params)
        dims = {}
        late = []
        for name, spec in self.attributes.items():
            if name in pending:
                continue
            if name not in state:
                if spec.required:
                    problems.append(Problem(name, "is missing"))
                continue
            if spec.needs:
                late.append((name, spec))
            elif (problem := spec.check(state[name], dims)) is not None:
                problems.append(Problem(name, problem))
            elif isinstance(spec, Integer):
                dims[name] = state[name]
        if problems:
            return problems
        for name, size in self.dimensions.items():
            dims[name] = size(state)
        return [
            Problem(name, problem)
            for name, spec in late
            if (problem := spec.check(state[name], dims)) is not None
        ]

    def relation_problems(self, cls, state, decoded_last=()):
        """The entries ``decoded_last`` against their specs, then the relations.

        Run once ``problems`` found none, on the whole state of a ``cls``.
        """
        problems = [
            Problem(name, problem)
            for name in decoded_last
            if name in self.attributes
            and (problem := self.attributes[name].check(state[name], {})) is not None
        ]
        if problems:
            return problems
        if self.networks and (problems := _network_class_problems(cls, state["model_"])):
            return problems
        for relation in self.relations:  # each may rely on the ones before
            if problems := list(relation(state)):
                return problems
        return []

    def built_problems(self, estimator):
        """The ``Problem`` s of the built estimator's networks against its attributes."""
        if self.networks and (problems := network_problems(estimator)):
            return problems
        for relation in self.network_relations:
            if problems := list(relation(estimator)):
                return problems
        return []


def _key_problems(cls, keys, known):
    """Entries the class neither takes as a parameter nor declares as fitted."""
    # a class of the user's (handed over in custom_objects) may keep
    # attributes of its own, as long as they hide nothing of the class
    own = cls.__module__.split(".")[0] == "skae"
    for key in keys:
        if key in known:
            continue
        if key.startswith("__") or hasattr(cls, key):
            yield Problem(key, f"names an attribute of {cls.__name__} itself, which a "
                          "saved state never holds")
        elif own:
            yield Problem(key, f"is not an attribute of a fitted {cls.__name__}")


@functools.cache
def _constraints(cls):
    """``{parameter: its constraint objects}`` of ``cls`` (made once per class)."""
    from sklearn.utils._param_validation import make_constraint

    return {
        name: [make_constraint(c) for c in constraints]
        for name, constraints in (getattr(cls, "_parameter_constraints", None) or {}).items()
        if constraints != "no_validation"
    }


def _parameter_problems(cls, state, params):
    """Parameters that their class's ``_parameter_constraints`` refuse."""
    from .persistence import UnsavedParameter

    constraints = _constraints(cls)
    for name in params:
        value = state.get(name)
        if name not in constraints or isinstance(value, UnsavedParameter):
            continue
        if not any(c.is_satisfied_by(value) for c in constraints[name]):
            yield Problem(name, f"is {describe(value)}, which the parameter {name} does not take")


# ----------------------------------------------------------------------
# the networks against the attributes
# ----------------------------------------------------------------------
def _network_class_problems(cls, model):
    """The network must be one ``cls`` builds: named after it, where its ``_assemble`` is skae's."""
    from ..architectures._blocks import model_name

    if cls._assemble.__module__.split(".")[0] == "skae" and model.name != model_name(cls):
        return [Problem("model_", f"is the network of another estimator ({model.name!r}), "
                        f"not of a {cls.__name__}")]
    return []


def network_problems(estimator):
    """The networks of a built estimator, checked against its attributes.

    Every weight of the model must be finite, and the estimator's own hooks, run on
    symbolic inputs (no computation), must take samples of the fitted shape
    (and condition) to codes of width ``n_components_`` and back to samples
    of that shape.
    """
    import keras

    # the network's weights; the optimizer's state matters only to a fit
    # going on, which refuses a loss that is not finite
    for variable in estimator.model_.weights:
        if "float" in str(variable.dtype) and not np.isfinite(variable.numpy()).all():
            return [Problem("model_", f"has the weight {variable.path!r}, which holds NaN or "
                            "infinity")]
    shape = tuple(estimator._network_shape())
    samples = keras.KerasTensor((None, *shape))
    condition_shape = estimator._condition_shape()
    condition = None if condition_shape is None else keras.KerasTensor((None, *condition_shape))
    try:
        encoded = estimator._encode_batch(
            estimator.encoder_, samples if condition is None else (samples, condition)
        )
        codes = estimator._codes(encoded)
        decoded = estimator._decode_batch(
            estimator.decoder_, encoded if condition is None else (encoded, condition)
        )
    except Exception as exc:  # noqa: BLE001 - Keras refuses the shapes in many ways
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return [Problem("model_", f"does not take samples of shape {shape} to codes and back "
                        f"({first})")]
    problems = []
    if tuple(codes.shape) != (None, estimator.n_components_):
        problems.append(Problem("n_components_", f"is {estimator.n_components_}, but the "
                                f"encoder in model_ gives codes of shape {tuple(codes.shape)[1:]}"))
    if tuple(decoded.shape) != (None, *shape):
        problems.append(Problem("model_", f"reconstructs samples of shape "
                                f"{tuple(decoded.shape)[1:]}, not {shape}"))
    return problems
