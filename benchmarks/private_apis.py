"""Private APIs: what each TensorFlow or Keras internal skae uses buys, measured.

Issue 22: skae keeps a TensorFlow or Keras internal only where it buys at
least 10% of a figure users see. For each internal skae used at de15b11,
this measures the figures it serves with it and without it, in one process,
the two taking turns round after round (a burst of load on a shared machine
then slows both alike):

- the default ``AutoencoderTransformer(n_components=2)`` fitted on
  StandardScaler'd wine (``small_fits.py``'s split), fresh estimators after
  a warm-up fit, ``random_state`` 1, 2, ...; the same with a callback of
  the user's (each such fit builds and compiles its own model) and the
  default ``DenoisingAutoencoder(n_components=2)``;
- ``AutoencoderTransformer(8, hidden_layer_sizes=(128, 64), epochs=50,
  batch_size=32, early_stopping=False)`` on the digits (``training_speed.py``'s
  skae row), through skae's compiled epochs and through Keras's
  ``Model.fit`` (the path of a fit with a ``distribution``;
  ``compiled_fit.ENABLED = False``);
- ``transform`` and ``score_samples`` of one float32 row (an XLA program
  since issue 27) and ``transform`` of 100 and 10,000 rows (the traced
  graph; ``inference_latency.py``'s ``AutoencoderTransformer(8)``);
- ``est.save(path)``, ``skae.load(path)``, ``pickle.dumps`` and
  ``pickle.loads`` of the fitted wine estimator.

"Without" an internal skae still keeps is its fallback, forced: the
internal hidden (``ConcreteFunction.inference_fn``) or made to fail
(``seeded_shuffle``'s private op). "With" an internal skae dropped is the code skae had, put back
for the run (``_reference_*`` below): wrapped around the trainers' compiled
functions, or patched over the public path that replaced it. Each "with"
and "without" has its own trainer pool and its own shared inference
functions, so neither reuses what the other compiled. A throwaway
estimator is fitted and called before the arms' own: the process's first
one serves a row some 10% slower than any later one (two estimators of the
same code, measured in either order), which gave the arm fitted first, the
current code, a handicap. A control arm, the current code again with its
own compiled programs, shows what remains: the inference figures' noise
floor (an A/A check, in the notes).

The gain is ``1 - with / without``, the median over the rounds of each
round's ratio: the share of the figure the internal saves. Verdict: keep at a gain of at least 10% on one of
its figures, else drop. ``seeded_shuffle`` is measured against the public
pipeline that keeps what it guarantees (the order from skae's seed alone,
whatever ``tf.random.set_seed`` says): a stateless index shuffle in a
``tf.data`` map, the epoch handed in by a callback. Its fallback, the
public ``Dataset.shuffle(seed=...)``, gives the same order unless a global
seed was set, at the same speed; its row is shown for reference.

Goal (issue 22): every internal skae keeps buys at least 10% of a figure,
every one it dropped less.

Run: ``python benchmarks/private_apis.py`` (about 7 minutes; ``--quick``
for a smoke run that writes nothing; ``--check`` exits 1 if the goal
fails). Writes ``docs/benchmarks/private_apis.md`` unless ``--output`` says
otherwise.
"""

import argparse
import collections
import contextlib
import gc
import io
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path

from skae._startup import quiet_tensorflow_startup

quiet_tensorflow_startup()

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from sklearn.datasets import load_digits, load_wine  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

import skae  # noqa: E402
from skae import AutoencoderTransformer, DenoisingAutoencoder  # noqa: E402
from skae import _compat  # noqa: E402
from skae._engine import compiled_fit, inference, tf_calls, training  # noqa: E402
from skae._io import keras_archive  # noqa: E402
from skae.layers import Corruption  # noqa: E402

from _common import goal_line, measured_by  # noqa: E402  (this folder's)

GOAL_GAIN = 0.10
_ABSENT = object()
_CONCRETE_FUNCTION = type(tf.function(lambda: tf.constant(0)).get_concrete_function())

# (key, internal, where skae used it, kept in skae now)
INTERNALS = (
    ("call_flat_inference", "`ConcreteFunction.inference_fn`, `eager.execute.execute`",
     "inference calls (`_compat.concrete_function_call`)", True),
    ("executor", "`tf.experimental.function_executor_type`",
     "inference calls (was `_engine.inference.single_threaded_executor`)", False),
    ("seeded_shuffle", "`tensorflow.python.data.ops`, `gen_dataset_ops`",
     "`Model.fit`'s shuffle (`_compat.seeded_shuffle`)", True),
    ("save", "`keras.src.saving.saving_lib.save_model`",
     "`.keras` archive to a file object (was `_compat.save_keras_model`)", False),
    ("load", "`keras.src.saving.saving_lib.load_model`",
     "`.keras` archive from a file object (was `_compat.load_keras_model`)", False),
    ("call_flat_epoch", "`ConcreteFunction.inference_fn.call_flat`",
     "the compiled epoch (was `_compat.flat_call`)", False),
    ("call_flat_snapshots", "`ConcreteFunction.inference_fn.call_flat`",
     "early stopping's weight snapshots (was `_compat.flat_call`)", False),
    ("call_flat_copies", "`ConcreteFunction.inference_fn.call_flat`",
     "state copies into and out of a trainer (was `_compat.variables_call`)", False),
    ("symbolic_build", "`Trainer._symbolic_build`",
     "building a trainer (was `_compat.symbolic_build`)", False),
    ("build_at_init", "`Layer._build_at_init`",
     "`skae.layers.Corruption` (was in `__init__`)", False),
)


# ----------------------------------------------------------------------
# The internals skae dropped, as it used them (de15b11), put back for the
# "with" runs. Each touches TensorFlow's or Keras's internals: a row whose
# internal is gone from the installed version says so instead.
# ----------------------------------------------------------------------


def _reference_flat_call(concrete):
    """``_compat.flat_call``: a ``ConcreteFunction`` called without its binding."""
    inference_fn = concrete.inference_fn
    structure = concrete.structured_outputs

    def call(*args):
        flat = [tf.convert_to_tensor(a) for a in tf.nest.flatten(args)]
        outputs = inference_fn.call_flat(*flat, *concrete.captured_inputs)
        return tf.nest.pack_sequence_as(structure, outputs, expand_composites=True)

    return call


def _reference_variables_call(concrete):
    """``_compat.variables_call``: a function of variables called on their handles."""
    inference_fn = concrete.inference_fn

    def call(variables):
        return inference_fn.call_flat(*[v.handle for v in variables], *concrete.captured_inputs)

    return call


def _reference_symbolic_build(model, arrays):
    """``_compat.symbolic_build``: Keras's ``Trainer._symbolic_build`` on one row."""
    model._symbolic_build(data_batch=tuple(a[:1] for a in arrays))


def _reference_save(model):
    """``_compat.save_keras_model``: Keras's ``saving_lib.save_model`` into a file object."""
    from keras.src.saving import saving_lib

    buffer = io.BytesIO()
    saving_lib.save_model(model, buffer)
    return buffer.getvalue()


def _reference_load(data, custom_objects):
    """``_compat.load_keras_model``: Keras's ``saving_lib.load_model`` of a file object."""
    from keras.src.saving import saving_lib

    return saving_lib.load_model(io.BytesIO(data), custom_objects=custom_objects, safe_mode=True)


def _reference_corruption_init(original):
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self._build_at_init()

    return __init__


def _reference_single_threaded_call(concrete, variables=(), *, remapper=True):
    """``_compat.concrete_function_call`` as skae called inference until issue 27.

    The same ``execute`` of the traced function's op, its
    ``executor_type`` attribute the single-threaded executor
    (``tf.experimental.function_executor_type`` names it so).
    """
    from tensorflow.python.eager import context, execute

    call = _compat.concrete_function_call(concrete, variables, remapper=remapper)
    ctx = context.context()
    options = ctx.function_call_options
    if not remapper:
        options = _compat._remapper_off(options.config_proto_serialized, options.executor_type)
    attrs = (
        "executor_type", "SINGLE_THREADED_EXECUTOR",
        "config_proto", options.as_attrs()["config_proto"],
    )
    inputs = [v.handle if isinstance(v, tf.Variable) else v for v in variables]
    inputs += list(concrete.captured_inputs)
    name = concrete.inference_fn.name.decode()

    def on_one_thread(tensor):
        return execute.execute(name, 1, inputs=[tensor, *inputs], attrs=attrs, ctx=ctx)[0]

    on_one_thread.concrete = call.concrete  # keeps the function registered
    return on_one_thread


def _wrap_trainers(pool, *, epoch=False, snapshots=False, copies=False):
    """Call the compiled functions of ``pool``'s trainers through ``call_flat``.

    The functions are those the warm-up fits compiled; each is wrapped once.
    """

    def wrap(function, reference):
        return reference(function) if isinstance(function, _CONCRETE_FUNCTION) else function

    for trainers in pool.values():
        for trainer in trainers:
            if epoch:
                trainer.epoch._functions = {
                    key: wrap(f, _reference_flat_call) for key, f in trainer.epoch._functions.items()
                }
            if snapshots and trainer._snapshots is not None:
                trainer._snapshots = tuple(wrap(f, _reference_flat_call) for f in trainer._snapshots)
            if copies:
                trainer._copies = {
                    key: wrap(f, _reference_variables_call) for key, f in trainer._copies.items()
                }


# ----------------------------------------------------------------------
# seeded_shuffle's public alternative that keeps its guarantee
# ----------------------------------------------------------------------


class _EpochCallback(keras.callbacks.Callback):
    """Hands the epoch ``Model.fit`` starts to the dataset (a variable it reads)."""

    def __init__(self):
        super().__init__()
        self.epoch = tf.Variable(0, dtype=tf.int64, trainable=False)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch.assign(epoch)


_epoch_callbacks = []


def _public_training_callbacks(original):
    def training_callbacks(estimator, monitor, partial):
        _epoch_callbacks.append(_EpochCallback())
        return [_epoch_callbacks[-1], *original(estimator, monitor, partial)]

    return training_callbacks


def _public_in_memory_batches(original):
    """``in_memory_batches`` shuffled by ``index_shuffle`` from the seed and the epoch."""

    def in_memory_batches(arrays, batch_size, shuffle_seed=None, multiple_of=1):
        if shuffle_seed is None:
            return original(arrays, batch_size, shuffle_seed, multiple_of)
        epoch = _epoch_callbacks[-1].epoch
        tensors = {}
        columns = tuple(
            tensors.setdefault(id(a), tf.convert_to_tensor(a)) for a in arrays if a is not None
        )
        n_rows = len(arrays[0])
        n_batches = -(-n_rows // batch_size)
        seed = tf.constant(shuffle_seed, tf.int64)

        def batch(i):
            positions = tf.range(i * batch_size, tf.minimum((i + 1) * batch_size, n_rows))
            rows = tf.random.experimental.index_shuffle(
                positions, seed=tf.stack([seed, epoch.read_value()]), max_index=n_rows - 1
            )
            return tuple(tf.gather(column, rows) for column in columns)

        dataset = tf.data.Dataset.range(n_batches).map(batch)
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(n_batches))
        return dict(x=dataset, shuffle=False)

    return in_memory_batches


def _fail(*args, **kwargs):
    raise AttributeError("hidden by benchmarks/private_apis.py")


# ----------------------------------------------------------------------
# Arms: one setting each, with its own trainer pool and shared functions
# ----------------------------------------------------------------------


class Arm:
    """A setting of skae: attributes patched, its own caches.

    ``patches``: ``(object, name, value)``, value ``_ABSENT`` to hide the
    attribute; ``model_fit``: train through Keras's ``Model.fit``;
    ``after_warmup(pool)``: run on the arm's trainers after its first fit.
    """

    def __init__(self, name, patches=(), model_fit=False, after_warmup=None):
        self.name = name
        self.patches = patches
        self.model_fit = model_fit
        self.after_warmup = after_warmup
        self.pool = collections.OrderedDict()
        self.shared = collections.OrderedDict()

    @contextlib.contextmanager
    def active(self):
        saved = []
        pool, shared = compiled_fit._pool, inference._shared
        compiled_fit._pool, inference._shared = self.pool, self.shared
        compiled_fit.ENABLED = not self.model_fit
        try:
            for obj, name, value in self.patches:
                saved.append((obj, name, vars(obj).get(name, _ABSENT)))
                if value is _ABSENT and not isinstance(obj, type):
                    delattr(obj, name)
                else:  # a class's attribute is hidden by None: its instances see None
                    setattr(obj, name, None if value is _ABSENT else value)
            yield
        finally:
            for obj, name, value in reversed(saved):
                if value is _ABSENT:
                    delattr(obj, name)
                else:
                    setattr(obj, name, value)
            compiled_fit._pool, inference._shared = pool, shared
            compiled_fit.ENABLED = True


def take_turns(arms, run, rounds, repeats=1):
    """``{arm name: [median seconds of run(arm, round) in each round]}``.

    The arms take turns each round, in an order rotated from round to round
    (the first of a round does not always pay for what the last one left);
    the garbage of the previous runs is collected before each arm's turn.
    """
    times = {arm.name: [] for arm in arms}
    for round_ in range(rounds):
        shift = round_ % len(arms)
        for arm in arms[shift:] + arms[:shift]:
            with arm.active():
                measured = []
                for _ in range(repeats):
                    if repeats == 1:
                        gc.collect()
                    start = time.perf_counter()
                    run(arm, round_)
                    measured.append(time.perf_counter() - start)
                times[arm.name].append(float(np.median(measured)))
            gc.collect()
    return times


# ----------------------------------------------------------------------
# The figures
# ----------------------------------------------------------------------


def wine():
    X = load_wine().data
    X_train, _ = train_test_split(X, test_size=0.25, random_state=0)
    return StandardScaler().fit(X_train).transform(X_train)


def digits():
    X = load_digits().data / 16.0
    X_train, _ = train_test_split(X, test_size=0.25, random_state=0)
    return X_train


def fits(arms, make, X, rounds):
    """Median fit time per arm of ``make(seed)`` on X, after a warm-up fit in each arm.

    Also checks the arms ran as many epochs for each seed (the same
    decisions), and returns the histories' last losses for comparison.
    """
    epochs, losses = collections.defaultdict(list), collections.defaultdict(list)
    for arm in arms:
        with arm.active():
            make(0).fit(X)
            if arm.after_warmup is not None:
                arm.after_warmup(arm.pool)

    def run(arm, round_):
        estimator = make(round_ + 1).fit(X)
        epochs[arm.name].append(estimator.n_iter_)
        losses[arm.name].append(estimator.history_["loss"][-1])

    times = take_turns(arms, run, rounds)
    return times, epochs, losses


def fit_figures(quick):
    X_wine, X_digits = wine(), digits()
    rounds = 2 if quick else 15
    arms = [
        Arm("current"),
        Arm("call_flat_epoch", after_warmup=lambda pool: _wrap_trainers(pool, epoch=True)),
        Arm("call_flat_snapshots", after_warmup=lambda pool: _wrap_trainers(pool, snapshots=True)),
        Arm("call_flat_copies", after_warmup=lambda pool: _wrap_trainers(pool, copies=True)),
    ]
    small = lambda seed: AutoencoderTransformer(2, random_state=seed)  # noqa: E731
    results = {"small fit (s)": fits(arms, small, X_wine, rounds)}

    epochs = 2 if quick else 50
    digits_fit = lambda seed: AutoencoderTransformer(  # noqa: E731
        8, hidden_layer_sizes=(128, 64), epochs=epochs, batch_size=32,
        early_stopping=False, random_state=seed,
    )
    results["digits, 50 epochs (s)"] = fits(
        [arms[0], arms[1], arms[3]], digits_fit, X_digits, 2 if quick else 11
    )

    callback_arms = [
        Arm("current"),
        Arm("symbolic_build", patches=[(compiled_fit, "_build", _reference_symbolic_build)]),
    ]
    with_callback = lambda seed: AutoencoderTransformer(  # noqa: E731
        2, random_state=seed, callbacks=[keras.callbacks.Callback()]
    )
    results["small fit, own callback (s)"] = fits(
        callback_arms, with_callback, X_wine, 2 if quick else 7
    )

    denoiser_arms = [
        Arm("current"),
        Arm(
            "build_at_init",
            patches=[(Corruption, "__init__", _reference_corruption_init(Corruption.__init__))],
        ),
    ]
    denoiser = lambda seed: DenoisingAutoencoder(2, random_state=seed)  # noqa: E731
    results["small denoiser fit (s)"] = fits(denoiser_arms, denoiser, X_wine, rounds)

    shuffle_arms = [
        Arm("current", model_fit=True),
        Arm("seeded_shuffle fallback", model_fit=True,
            patches=[(_compat, "_shuffle_with_seeds", _fail)]),
        Arm(
            "seeded_shuffle public",
            model_fit=True,
            patches=[
                (training, "in_memory_batches",
                 _public_in_memory_batches(training.in_memory_batches)),
                (compiled_fit, "training_callbacks",
                 _public_training_callbacks(compiled_fit.training_callbacks)),
            ],
        ),
    ]
    results["digits, 50 epochs, Model.fit (s)"] = fits(
        shuffle_arms, digits_fit, X_digits, 2 if quick else 5
    )
    return results


def inference_figures(quick):
    X = (load_digits().data / 16.0).astype(np.float32)
    arms = [
        Arm("current"),
        Arm("call_flat_inference", patches=[(_CONCRETE_FUNCTION, "inference_fn", _ABSENT)]),
        Arm("executor", patches=[(tf_calls, "concrete_function_call", _reference_single_threaded_call)]),
        # the current code again, with its own compiled programs: an A/A
        # check, the figures' noise floor
        Arm("control"),
    ]
    # the process's first fitted and called estimator serves one row some 10%
    # slower than any later one (measured A/A: two estimators of the same
    # code, in either order); a throwaway estimator takes that place, so
    # that no arm pays for coming first
    warm = AutoencoderTransformer(8, epochs=3, random_state=0).fit(X)
    warm.transform(X[:1]), warm.score_samples(X[:1])
    estimators, outputs = {}, {}
    for arm in arms:
        with arm.active():  # fitted, then compiled and bound, the arm's way
            estimator = AutoencoderTransformer(8, epochs=3 if quick else 20, random_state=0).fit(X)
            outputs[arm.name] = (estimator.transform(X), estimator.score_samples(X))
            estimators[arm.name] = estimator
    same = all(
        all(np.array_equal(a, b) for a, b in zip(output, outputs["current"]))
        for output in outputs.values()
    )
    results = {}
    for figure, method, n_rows, repeats in (
        ("transform, 1 row (ms)", "transform", 1, 60),
        ("score_samples, 1 row (ms)", "score_samples", 1, 60),
        ("transform, 100 rows (ms)", "transform", 100, 30),
        ("transform, 10,000 rows (ms)", "transform", 10_000, 4),
    ):
        rows = np.resize(X, (n_rows, X.shape[1]))

        def run(arm, round_, method=method, rows=rows):
            getattr(estimators[arm.name], method)(rows)

        for arm in arms:  # first calls: tracing, binding
            with arm.active():
                run(arm, 0)
        times = take_turns(arms, run, 2 if quick else 7, 3 if quick else repeats)
        results[figure] = ({k: [1000 * t for t in v] for k, v in times.items()}, None, None)
    return results, same


def saving_figures(quick):
    X = wine()
    estimator = AutoencoderTransformer(2, random_state=0).fit(X)
    arms = [
        Arm("current"),
        Arm("save", patches=[(keras_archive, "_save_archive", _reference_save)]),
        Arm("load", patches=[(keras_archive, "_load_archive", _reference_load)]),
    ]
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "wine.skae")
    estimator.save(path)
    blob = pickle.dumps(estimator)
    operations = {
        "save (ms)": lambda: estimator.save(path),
        "pickle.dumps (ms)": lambda: pickle.dumps(estimator),
        "skae.load (ms)": lambda: skae.load(path),
        "pickle.loads (ms)": lambda: pickle.loads(blob),
    }
    results = {}
    for figure, operation in operations.items():
        for arm in arms:
            with arm.active():
                operation()
        times = take_turns(arms, lambda arm, round_, op=operation: op(), 3 if quick else 40)
        results[figure] = ({k: [1000 * t for t in v] for k, v in times.items()}, None, None)
    return results


def _gain(with_, without):
    """``1 - with / without``, the median of the rounds' ratios.

    A round compares runs made close in time.
    """
    return 1 - float(np.median(np.array(with_) / np.array(without)))


# which figures each internal serves, and the arm that runs it the other way
FIGURES = {
    "call_flat_inference": (
        "transform, 1 row (ms)", "score_samples, 1 row (ms)", "transform, 100 rows (ms)"
    ),
    # one row runs an XLA program (``_engine.tf_calls.OneRowProgram``), on
    # no executor: the executor serves batches
    "executor": (
        "transform, 1 row (ms)", "score_samples, 1 row (ms)", "transform, 100 rows (ms)",
        "transform, 10,000 rows (ms)",
    ),
    "seeded_shuffle": ("digits, 50 epochs, Model.fit (s)",),
    "save": ("save (ms)", "pickle.dumps (ms)"),
    "load": ("skae.load (ms)", "pickle.loads (ms)"),
    "call_flat_epoch": ("small fit (s)", "digits, 50 epochs (s)"),
    "call_flat_snapshots": ("small fit (s)",),
    "call_flat_copies": ("small fit (s)", "digits, 50 epochs (s)"),
    "symbolic_build": ("small fit, own callback (s)",),
    "build_at_init": ("small denoiser fit (s)",),
}
ARM_OF = {"seeded_shuffle": "seeded_shuffle public"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few rounds, writes nothing")
    parser.add_argument("--output", default="docs/benchmarks/private_apis.md")
    parser.add_argument("--check", action="store_true", help="exit 1 if the goal fails")
    args = parser.parse_args(argv)

    results = {}
    inference_results, inference_same = inference_figures(args.quick)
    results.update(inference_results)
    results.update(saving_figures(args.quick))
    results.update(fit_figures(args.quick))

    lines = [
        "| internal | where | figure | with | without | gain | verdict | in skae |",
        "|---|---|---|---:|---:|---:|---|---|",
    ]
    mismatches = []
    for key, internal, where, kept in INTERNALS:
        arm = ARM_OF.get(key, key)
        rows = []
        for figure in FIGURES[key]:
            times = results[figure][0]
            # an internal skae keeps runs in "current"; a dropped one in its own arm
            with_, without = (times["current"], times[arm]) if kept else (times[arm], times["current"])
            gain = _gain(with_, without)
            rows.append((figure, np.median(with_), np.median(without), gain))
        best = max(gain for *_, gain in rows)
        verdict = "keep" if best >= GOAL_GAIN else "drop"
        if (verdict == "keep") != kept:
            mismatches.append(key)
        for i, (figure, with_, without, gain) in enumerate(rows):
            lines.append(
                f"| {internal if i == 0 else ''} | {where if i == 0 else ''} | {figure} | "
                f"{with_:.3f} | {without:.3f} | {100 * gain:+.1f}% | "
                f"{verdict if i == 0 else ''} | {('kept' if kept else 'dropped') if i == 0 else ''} |"
            )
    fallback = np.median(results["digits, 50 epochs, Model.fit (s)"][0]["seeded_shuffle fallback"])
    current = np.median(results["digits, 50 epochs, Model.fit (s)"][0]["current"])
    notes = [
        f"`seeded_shuffle`'s own fallback, the public `Dataset.shuffle(seed=...)` (the same "
        f"order unless a global TensorFlow seed was set): {fallback:.3f} s against "
        f"{current:.3f} s with the internal.",
        "Outputs of the fallbacks skae keeps, against the internals: "
        + ("identical" if inference_same else "DIFFERENT")
        + " (`transform` and `score_samples` of the digits, bit for bit).",
        "A/A check, the current code against itself with its own compiled programs (the "
        "noise floor of the inference figures): "
        + ", ".join(
            f"{figure} {100 * _gain(results[figure][0]['current'], results[figure][0]['control']):+.1f}%"
            for figure in FIGURES["executor"]
        )
        + ".",
    ]
    for figure, (times, epochs, losses) in results.items():
        if epochs is None:
            continue
        names = list(epochs)
        if any(epochs[name] != epochs[names[0]] for name in names):
            notes.append(
                f"{figure}: the arms ran different epochs: "
                + ", ".join(f"{name} {epochs[name]}" for name in names)
            )
        if any(losses[name] != losses[names[0]] for name in names):
            notes.append(
                f"{figure}: last training losses differ between the arms: "
                + ", ".join(f"{name} {np.mean(losses[name]):.6f}" for name in names)
                + " (mean over the rounds)"
            )
    goal = goal_line(
        "every internal skae keeps buys >= 10% of a figure, every one it dropped less",
        not mismatches,
        "all as in skae" if not mismatches else "not as in skae: " + ", ".join(mismatches),
    )
    table = "\n".join(lines)
    print(table)
    print("\n".join(notes))
    print(goal)

    if not args.quick:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(
            "# Private APIs\n\n"
            "Each TensorFlow or Keras internal skae used, and the figures it serves "
            "with it and without it (the public path), medians of calls taking turns "
            "in one process; gain = 1 - with / without, the median of the rounds' ratios. "
            "Keep at 10% or more "
            "on one figure (issue 22). `seeded_shuffle` is measured against the public "
            "tf.data pipeline that also shuffles from skae's seed alone.\n\n"
            f"{table}\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
            f"- {goal}\n\n" + measured_by("benchmarks/private_apis.py") + "\n"
        )
    if args.check and mismatches:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
