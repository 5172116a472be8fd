"""A pooled trainer of ``compiled_fit``: a network, its compiled epoch, its state copies.

``EpochFunction`` is the compiled epoch of one model: shuffling, every
training step (Keras's own ``train_step``) and the validation loss in one
``tf.function`` per data signature, or the steps of a group of streamed
batches. ``Trainer`` holds a compiled model with its epoch function, and
moves a fit's state in and out in one compiled call each way after its
first use: another model's variables (``copy_state``), or a recipe's tensors
(``load``, ``read``: ``initial_state``).
"""

from .._compat import no_retracing_warning
from .._input.bundle import Rows
from .epochs import MetricLogs, floats
from .initial_state import state_variables as state
from .training import register_trainer


class EpochFunction(MetricLogs):
    """The compiled epoch of one model: train on every batch, then validate."""

    def __init__(self, model):
        import tensorflow as tf

        self.model = model
        self._tf = tf
        self._functions = {}
        self.n_traces = 0
        jit = getattr(model, "jit_compile", False) is True
        # without AutoGraph: Keras's steps need none (they run under
        # jax.jit too), and converting them is a third of a first fit's
        # tracing; a step that does need it (a user's layer branching on a
        # tensor in Python) is traced again with it (``_compiled``)
        self._steps = {
            autograph: tuple(
                tf.function(step, jit_compile=jit, reduce_retracing=True, autograph=autograph)
                for step in (model.train_step, model.test_step)
            )
            for autograph in (False, True)
        }
        self._train_step, self._test_step = self._steps[False]

    def _loop(self, n, body):
        """``body(i)`` for ``i`` in ``range(n)``, ``n`` a scalar tensor: one graph loop."""
        tf = self._tf

        def step(i):
            body(i)
            return (i + 1,)

        tf.while_loop(lambda i: i < n, step, (tf.zeros_like(n),))

    def _batches(self, step, arrays, order, batch_size):
        tf = self._tf
        n_batches = (tf.shape(order)[0] + batch_size - 1) // batch_size

        def batch(i):
            rows = order[i * batch_size : (i + 1) * batch_size]
            step(tf.nest.map_structure(lambda a: tf.gather(a, rows), arrays))

        self._loop(n_batches, batch)

    def _compiled(self, key, function, signature):
        """``function`` traced once for ``signature``: without AutoGraph, else with it.

        skae's epoch and steps write their loops as graph loops, and
        Keras's steps need no AutoGraph: tracing without it skips
        converting their source. A model whose own code needs it (Python
        control flow on a tensor) fails that tracing; it is traced again
        with AutoGraph, steps included.
        """
        compiled = self._functions.get(key)
        if compiled is None:
            tf = self._tf
            with no_retracing_warning():
                try:
                    compiled = tf.function(
                        function, input_signature=signature, autograph=False
                    ).get_concrete_function()
                except (TypeError, tf.errors.OperatorNotAllowedInGraphError):
                    self._train_step, self._test_step = self._steps[True]
                    compiled = tf.function(
                        function, input_signature=signature
                    ).get_concrete_function()
            self._functions[key] = compiled
        return compiled

    def _specs(self, arrays, leading=1):
        tf = self._tf
        return tf.nest.map_structure(
            lambda a: tf.TensorSpec((None,) * leading + tuple(a.shape[leading:]), a.dtype), arrays
        )

    def bind(self, train, validation, batch_size):
        """``epoch(seed)``: one epoch on these in-memory tensors, in the order of ``seed``.

        Train in the seeded order, then validate; returns the epoch's logs
        as floats. The compiled function is looked up once, not per epoch.
        """
        tf = self._tf

        def epoch(train, validation, seed, batch_size):
            self.n_traces += 1
            self.reset()
            n = tf.shape(tf.nest.flatten(train)[0])[0]
            order = tf.random.experimental.stateless_shuffle(tf.range(n), seed=seed)
            self._batches(self._train_step, train, order, batch_size)
            train_logs = self.logs()
            val_logs = {}
            if validation:
                self.reset()
                rows = tf.range(tf.shape(tf.nest.flatten(validation)[0])[0])
                self._batches(self._test_step, validation, rows, batch_size)
                val_logs = self.logs()
            return train_logs, val_logs

        specs = (self._specs(train), self._specs(validation))
        signature = (*specs, tf.TensorSpec((2,), tf.int64), tf.TensorSpec((), tf.int32))
        function = self._compiled(("epoch", repr(specs)), epoch, signature)
        batch_size = tf.constant(batch_size, tf.int32)

        def run(seed):
            train_logs, val_logs = function(
                train, validation, tf.constant(seed, tf.int64), batch_size
            )
            return floats(train_logs, val_logs)

        return run

    def steps(self, group, *, training):
        """Train (or test) on each batch of ``group``, a ``Rows`` of arrays ``(k, batch, ...)``.

        Metrics go on accumulating: ``reset`` starts an epoch. A group
        without a target trains the inputs to reconstruct themselves (not
        copied).
        """
        tf = self._tf
        present = group.present()

        def run(arrays):
            self.n_traces += 1

            def batch(i):
                step = self._train_step if training else self._test_step
                step(Rows.from_arrays([a[i] for a in arrays], present).network_data())

            self._loop(tf.shape(arrays[0])[0], batch)
            return tf.constant(0)

        arrays = group.arrays()
        specs = self._specs(arrays, leading=2)
        function = self._compiled(("steps", training, present, repr(specs)), run, (specs,))
        function(arrays)


class Trainer:
    """A network, compiled, with its compiled epoch and state copies.

    ``pooled``: a private copy kept in the pool (its compiled weight
    snapshots pay for their tracing over many fits); else the estimator's
    own model, trained once.
    """

    def __init__(self, model, *, pooled=True):
        self.model = model
        self.epoch = EpochFunction(model)
        self._copies = {}
        self._copied = set()  # the directions copied once already
        self._snapshots = None
        self._snapshots_used = False
        self._load = self._read = None
        self._loaded = self._was_read = False
        if pooled:
            register_trainer(model, self)

    def copy_state(self, model, *, into_trainer):
        """Copy ``model``'s state into the trainer's, or back: one compiled call.

        Some hundred ``assign`` calls from Python cost about 25 ms a fit;
        one graph of assignments, traced once per trainer and direction and
        given ``model``'s variables as arguments, costs well under 1 ms. The
        tracing costs some 70 ms, more than a few fits' ``assign`` calls: a
        trainer's first copy each way assigns from Python (the same values),
        and only a trainer used again traces its graph.
        """
        import tensorflow as tf

        call = self._copies.get(into_trainer)
        if call is None and into_trainer not in self._copied:
            self._copied.add(into_trainer)
            for own, other in zip(state(self.model), state(model), strict=True):
                if into_trainer:
                    own.assign(other.value)
                else:
                    other.assign(own.value)
            return
        others = [v.value for v in state(model)]
        if call is None:
            mine = state(self.model)

            def copy(others):
                for own, other in zip(mine, others, strict=True):
                    if into_trainer:
                        own.assign(other)
                    else:
                        other.assign(own)
                return tf.constant(0)

            call = tf.function(copy, autograph=False).get_concrete_function(others)
            self._copies[into_trainer] = call
        call(others)


    def load(self, values):
        """Assign ``values`` (tensors, in ``_state`` order) to the trainer's state.

        As ``copy_state``: from Python the first time, then one compiled call.
        """
        import tensorflow as tf

        mine = state(self.model)
        if self._load is None:
            if not self._loaded:
                self._loaded = True
                for own, value in zip(mine, values, strict=True):
                    own.assign(value)
                return

            def load(values):
                for own, value in zip(mine, values, strict=True):
                    own.assign(value)
                return tf.constant(0)

            specs = [tf.TensorSpec(v.shape, v.dtype) for v in values]
            self._load = tf.function(load, autograph=False).get_concrete_function(specs)
        self._load(list(values))

    def read(self):
        """The trainer's state (``_state`` order) as immutable tensors.

        TensorFlow copies a variable's buffer before updating it while a
        read of it lives: the next fit of the trainer leaves them alone.
        """
        import tensorflow as tf

        mine = state(self.model)
        if self._read is None:
            if not self._was_read:
                self._was_read = True
                return [tf.identity(v.value) for v in mine]
            self._read = tf.function(
                lambda: [tf.identity(v.value) for v in mine], autograph=False
            ).get_concrete_function()
        return self._read()

    def weight_snapshots(self):
        """``(read, write)``: ``model.weights``'s values as tensors, and back; one call each.

        What early stopping (``training._EarlyStopping``) takes at
        every better epoch: ``get_weights`` reads each variable to NumPy from
        Python, about 4 ms for a small network, more than the epoch. A read
        here is one compiled call returning immutable tensors (TensorFlow
        copies a variable's buffer before updating it while a read of it
        lives); the write assigns them back in one call. As with
        ``copy_state``, a trainer's first fit reads and writes from Python
        (the same values; tracing the two calls costs more than one fit's
        snapshots), and only a trainer used again traces them.
        """
        import tensorflow as tf

        weights = list(self.model.weights)

        def read():
            return [tf.identity(v.value) for v in weights]

        def write(values):
            for weight, value in zip(weights, values, strict=True):
                weight.assign(value)
            return tf.constant(0)

        if not self._snapshots_used:
            self._snapshots_used = True
            return read, write
        if self._snapshots is None:
            specs = [tf.TensorSpec(v.shape, v.dtype) for v in weights]
            self._snapshots = tuple(
                tf.function(function, autograph=False).get_concrete_function(*signature)
                for function, signature in ((read, ()), (write, (specs,)))
            )
        return self._snapshots
