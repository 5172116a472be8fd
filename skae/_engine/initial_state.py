"""A fresh fit's initial state without building its Keras model.

Building an estimator's networks, model and optimizer costs a small
network some 70 ms, most of a one-epoch fit (``benchmarks/outlier_fit_time.py``):
TensorFlow creates every variable one by one, only for the compiled
training loop to copy their values into a pooled trainer that already
exists (``compiled_fit``). What those values are depends on the estimator's
parameters and on the seeds its layers draw, nothing else: a *recipe*,
learned from the first model built for a set of parameters, makes them for
any seed. It knows, for each variable of the model and its optimizer:

* a random initializer seeded from the estimator's stream of layer seeds
  (``architectures._blocks.layer_seeds``): the same initializer, given the
  seed drawn at the same place of the new stream;
* a random layer's generator (``keras.random.SeedGenerator``) seeded from
  that stream: its state ``[seed, 0]``;
* anything else (zeros, ones, the optimizer's fresh slots and step count):
  the value the first model had.

A recipe is kept only where it reproduces the first model's values bit for
bit from that model's own seeds, where every variable is one of the three
kinds, and where the stream was read only for layer seeds; otherwise the
parameters' fits build their model, as before (``lookup`` returns None).

A fit from a recipe trains a pooled trainer from these values and keeps
the trained state as tensors (``FittedState``); the estimator builds its
Keras model from them when it is first asked for (``model_``).
"""

import collections
import random
import threading

import keras
import numpy as np

# parameters that decide nothing about the networks, their compilation or
# their initial values (the seeds are the recipe's to replace)
NOT_IN_NETWORK = frozenset(
    {
        "random_state",
        "epochs",
        "verbose",
        "batch_size",
        "early_stopping",
        "validation_fraction",
        "n_iter_no_change",
        "tol",
        "reduce_lr_on_plateau",
        "warm_start",
    }
)
# the seeds ``layer_seeds`` draws: ``stream.randint(1, SEED_HIGH)``
SEED_HIGH = int(1e9)
MAX_RECIPES = 32

# a recipe's values() calls made eagerly before they are compiled (tracing
# costs some tens of calls; most parameters are fitted once or twice)
COMPILE_AFTER = 3

# False: every fit builds its model first, as before this module (the
# fallback; benchmarks/outlier_fit_time.py times both in one run)
ENABLED = True

_recipes = collections.OrderedDict()  # parameters key -> Recipe, or None (unsupported)
_lock = threading.Lock()


class Unsupported(Exception):
    """A model whose initial state no recipe reproduces."""


class RecordingRandom(random.Random):
    """A ``random.Random`` that remembers the layer seeds drawn from it."""

    def __init__(self, seed):
        super().__init__(seed)
        self.initial_seed = seed
        self.draws = []

    def randint(self, a, b):
        value = super().randint(a, b)
        self.draws.append(value if (a, b) == (1, SEED_HIGH) else None)
        return value


def replayed_draws(seed, n_draws):
    """The first ``n_draws`` layer seeds of the stream ``random.Random(seed)``."""
    stream = random.Random(seed)
    return [stream.randint(1, SEED_HIGH) for _ in range(n_draws)]


def parameters_key(estimator, sample):
    """What a fit's model depends on besides its seeds; None when it cannot be told.

    The estimator's class and parameters (those of ``NOT_IN_NETWORK``
    aside), the shape of its samples, the shapes and dtypes of one row of
    each training array, and Keras's float type and dtype policy. A
    parameter whose ``repr`` is an object's address (a user's network, an
    optimizer instance, a schedule) has no key: its fits build their model.
    """
    params = estimator.get_params(deep=False)
    items = tuple((k, repr(params[k])) for k in sorted(params) if k not in NOT_IN_NETWORK)
    if any(" at 0x" in text or " object at " in text for _, text in items):
        return None
    rows = keras.tree.map_structure(
        lambda a: (np.dtype(a.dtype).name, tuple(a.shape[1:])), sample
    )
    return (
        type(estimator),
        items,
        tuple(estimator._fitted_network_shape),
        repr(rows),
        keras.config.floatx(),
        keras.config.dtype_policy().name,
    )


def lookup(key):
    """The recipe of ``key``: a Recipe, None (unsupported), or ``KeyError`` (not learned yet)."""
    with _lock:
        recipe = _recipes[key]
        _recipes.move_to_end(key)
        return recipe


def learn(key, model, stream, architecture):
    """Learn (and keep) the recipe of ``key`` from ``model``, fresh from ``stream``.

    ``model`` is compiled with its optimizer built and has not trained.
    Returns the recipe, or None where none reproduces the model.
    """
    try:
        recipe = Recipe(model, stream, architecture)
    except Unsupported:
        recipe = None
    with _lock:
        _recipes[key] = recipe
        while len(_recipes) > MAX_RECIPES:
            _recipes.popitem(last=False)
    return recipe


def clear():
    """Forget every recipe (tests; ``compiled_fit.clear_cache``)."""
    with _lock:
        _recipes.clear()


def state_variables(model):
    """The variables a fit's state holds: the model's, then its optimizer's."""
    optimizer = model.optimizer
    return list(model.variables) + (list(optimizer.variables) if optimizer is not None else [])


def _leaf_layers(layer):
    """The layers of ``layer`` that hold no layers, depth first."""
    inner = getattr(layer, "layers", None)
    if not inner:
        yield layer
        return
    for child in inner:
        yield from _leaf_layers(child)


class Recipe:
    """The initial state of a model's fits for any seed (see the module docstring).

    Attributes
    ----------
    architecture : tuple
        The model's ``compiled_fit.architecture_key``: the trainers it trains on.
    template : keras.Model
        The model the recipe was learned from: the structure the compiled
        inference copies (``inference.shared_inference_function``). Its
        values are never read again.
    n_draws : int
        How many layer seeds a build draws.
    """

    def __init__(self, model, stream, architecture):
        draws = stream.draws
        if None in draws or len(set(draws)) != len(draws):
            raise Unsupported("the stream was read for something else than distinct layer seeds")
        if replayed_draws(stream.initial_seed, len(draws)) != draws:
            raise Unsupported("the stream's draws cannot be replayed")
        position = {seed: i for i, seed in enumerate(draws)}
        variables = state_variables(model)
        rules = {}  # id(variable) -> rule
        for layer in _leaf_layers(model):
            for value in vars(layer).values():
                if isinstance(value, keras.random.SeedGenerator):
                    seed = int(keras.ops.convert_to_numpy(value.state.value)[0])
                    if seed in position:
                        rules[id(value.state)] = ("seed", position[seed], value.state.dtype)
            for variable in layer.variables:
                if id(variable) in rules:
                    continue
                initializer = getattr(layer, f"{variable.name}_initializer", None)
                if not isinstance(initializer, keras.initializers.Initializer):
                    raise Unsupported(f"no initializer known for {variable.path}")
                config = initializer.get_config()
                if "seed" in config:  # a random initializer
                    seed = config["seed"]
                    if not isinstance(seed, int):
                        raise Unsupported(f"{variable.path} draws an unseeded initial value")
                    if seed in position:
                        rules[id(variable)] = (
                            "random", position[seed], type(initializer), config,
                            tuple(variable.shape), variable.dtype,
                        )
                        continue
                # a constant initializer, or a seed the user fixed: the same value
                rules[id(variable)] = ("constant", _snapshot(variable))
        n_model = len(model.variables)
        self._rules = []
        for i, variable in enumerate(variables):
            rule = rules.get(id(variable))
            if rule is None and i < n_model:
                raise Unsupported(f"no initializer known for {variable.path}")
            # the optimizer's fresh state: zeros, its step count, its learning rate
            self._rules.append(rule or ("constant", _snapshot(variable)))
        self.n_draws = len(draws)
        self.architecture = architecture
        self.template = model
        self._positions = {id(v): i for i, v in enumerate(variables)}
        self._lock = threading.Lock()
        self._calls, self._compiled = 0, None
        made = self._eager_values(draws)
        for variable, value in zip(variables, made, strict=True):
            if not np.array_equal(
                keras.ops.convert_to_numpy(variable.value), keras.ops.convert_to_numpy(value)
            ):
                raise Unsupported(f"the recipe does not reproduce {variable.path}")

    def values(self, seed):
        """The initial state (tensors, in ``state_variables`` order) of a fit seeded ``seed``.

        ``seed`` starts the stream of layer seeds (``random.Random(seed)``).
        The random initial values come from the initializers called one by
        one, eagerly, or, from the ``COMPILE_AFTER``-th call of a recipe on,
        from one compiled call (``_compiled_values``) that reproduced them.
        """
        draws = replayed_draws(seed, self.n_draws)
        with self._lock:
            self._calls += 1
            compile_now = self._calls == COMPILE_AFTER
            compiled = self._compiled
        if compile_now:  # one caller only: the one whose call is the COMPILE_AFTER-th
            compiled = self._compiled = _compiled_values(self, draws)
        if compiled is None:
            return self._eager_values(draws)
        return compiled(draws)

    def _eager_values(self, draws):
        made = []
        for rule in self._rules:
            kind = rule[0]
            if kind == "constant":
                made.append(rule[1])
            elif kind == "seed":
                made.append(keras.ops.convert_to_tensor([draws[rule[1]], 0], dtype=rule[2]))
            else:
                _, position, cls, config, shape, dtype = rule
                initializer = cls.from_config({**config, "seed": draws[position]})
                made.append(keras.ops.convert_to_tensor(initializer(shape, dtype=dtype), dtype))
        return made

    def positions(self, variables):
        """The places in the state of ``variables`` (the template's own)."""
        return [self._positions[id(v)] for v in variables]


def _compiled_values(recipe, draws):
    """``recipe``'s initial values as one compiled TensorFlow call of the draws; or None.

    Each random initializer is given a ``keras.random.SeedGenerator`` of its
    own as its seed, its state set to ``[draw, 0]`` inside the call before
    the initializer reads it: what an initializer seeded with the int
    ``draw`` computes (Keras draws ``[seed, 0]`` for an int seed). Kept only
    where it gives ``draws``' eager values bit for bit; a lock keeps two
    calls from sharing the generators at once. None on another backend, or
    where it differs.
    """
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    rules = recipe._rules
    randoms = [i for i, rule in enumerate(rules) if rule[0] == "random"]
    seeds = [i for i, rule in enumerate(rules) if rule[0] == "seed"]
    generators = [keras.random.SeedGenerator(1) for _ in randoms]
    initializers = [
        rules[i][2](**{**rules[i][3], "seed": generator})
        for i, generator in zip(randoms, generators, strict=True)
    ]

    def make(draws):
        made = [rule[1] if rule[0] == "constant" else None for rule in rules]
        for i, generator, initializer in zip(randoms, generators, initializers, strict=True):
            position, shape, dtype = rules[i][1], rules[i][4], rules[i][5]
            state = generator.state
            seed = tf.cast(draws[position], state.dtype)
            state.assign(tf.stack([seed, tf.zeros((), state.dtype)]))
            made[i] = tf.cast(initializer(shape, dtype=dtype), dtype)
        for i in seeds:
            dtype = keras.backend.standardize_dtype(rules[i][2])
            made[i] = tf.stack([tf.cast(draws[rules[i][1]], dtype), tf.zeros((), dtype)])
        return made

    try:
        concrete = tf.function(make, autograph=False).get_concrete_function(
            tf.TensorSpec((len(draws),), tf.int64)
        )
    except Exception:  # noqa: BLE001 - an initializer that cannot be traced: eager
        return None

    lock = threading.Lock()  # the generators' states are the call's own

    def call(draws):
        with lock:
            return list(concrete(tf.constant(draws, tf.int64)))

    eager, compiled = recipe._eager_values(draws), call(draws)
    if not all(
        np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
        for a, b in zip(eager, compiled, strict=True)
    ):
        return None
    return call


def _snapshot(variable):
    """An immutable copy of ``variable``'s value (shared by every fit: never written)."""
    return keras.ops.convert_to_tensor(keras.ops.convert_to_numpy(variable.value))


class FittedState:
    """A fit's trained state, before the estimator builds its model from it.

    Attributes
    ----------
    recipe : Recipe
        The recipe the fit started from (its architecture, its template).
    values : list of tensors
        The trained state, in ``state_variables`` order: the model's
        variables, then its optimizer's.
    finite : bool
        Whether the trained weights are finite (``training.check_training_finite``).
    params : dict
        The estimator's parameters at the fit: its model is built from
        them, whatever ``set_params`` said since.
    """

    def __init__(self, recipe, values, finite, params):
        self.recipe, self.values, self.finite = recipe, list(values), bool(finite)
        self.params = dict(params)

    def restore(self, model):
        """Give ``model`` (built and compiled as the template, optimizer built) this state."""
        variables = state_variables(model)
        if len(variables) != len(self.values):
            raise RuntimeError(
                f"The rebuilt model holds {len(variables)} variables, its fit {len(self.values)}."
            )
        for variable, value in zip(variables, self.values, strict=True):
            variable.assign(value)
