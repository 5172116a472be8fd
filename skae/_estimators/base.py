"""The estimator all of skae's autoencoders share.

Data flows one way: user array -> validation (``_validation``: shape, dtype,
feature names, images) -> standardisation -> the Keras model -> numpy out in
the user's shape and dtype. Training is ``_initialize`` (build, compile,
standardisation statistics) then ``_train``; every prediction goes through
``_forward`` (``_inference``). Subclasses add only what makes them different
(their loss, their scores, their corruption) through the hooks listed in
``BaseAutoencoder``'s docstring.
"""

import functools
import random
from collections import defaultdict

from .._startup import quiet_keras_import

quiet_keras_import()  # before Keras is first imported (skae/_startup.py)

import keras
import numpy as np
from keras import ops
from sklearn.base import BaseEstimator, _fit_context
from sklearn.utils import check_random_state

from .._concurrency import changing, fitted_aside, snapshot, state_lock, without_private
from .._docstrings import DocLinkMixin
from .._engine.compiled_fit import deferrable, register_trained, train_epochs
from .._engine.distribution import distributed, steps_per_execution
from .._engine.inference import (
    InferenceCache,
)
from .._engine.training import (
    STEPS_PER_EXECUTION,
    apply_learning_rate,
    check_callbacks,
    check_training_finite,
    check_training_rows,
    make_optimizer,
)
from .._input.bundle import Rows
from .._input.rows import check_image_shape, validated_rows
from .._input.statistics import robust_center_scale
from .._input.streaming import (
    StreamedRows,
    check_streamed_fit,
    in_blocks,
    is_out_of_core,
    streamed_rows,
)
from .._io.export import ExportMixin
from .._io.keras_archive import functions_in, model_from_bytes, model_to_bytes
from .._io.persistence import SaveMixin, check_saved_parameters
from .._validation import (
    fitted_image_shape,
    positive_int_sequence,
    rows_as_given,
)
from ..architectures._blocks import model_name
from .fit_state import restored_on_error
from .fitted_attributes import AUTOENCODER
from .lazy_network import LazyNetwork, fitted
from .networks import build_networks
from .parameters import PARAMETER_CONSTRAINTS, fill_shared_docs
from .prediction import PredictionMixin


@fill_shared_docs()
class BaseAutoencoder(DocLinkMixin, SaveMixin, ExportMixin, PredictionMixin, BaseEstimator):
    """Base class for autoencoder variants: the shared estimator and its hooks.

    skae's estimators are subclasses of it, and so are variants of your own:
    subclass it (scikit-learn's mixins on the left, such as
    ``TransformerMixin``) or one of skae's estimators, and override the hooks
    listed in the Notes. Everything else is shared and comes with the
    subclass: input validation, standardisation, training (early stopping,
    callbacks, warm start, ``partial_fit``), the one inference path,
    pickling, ``save``/``skae.load`` (your class handed over by name in
    ``custom_objects``), ``export`` to SavedModel and ONNX, and Dask. A failed
    fit leaves the estimator as it was.

    Not meant to be used as it is: it has no ``transform`` mixin; use
    :class:`AutoencoderTransformer` for that.

    Parameters
    ----------
    {n_components}
    {autoencoder_parameters}

    Attributes
    ----------
    {network_attributes}
    {data_attributes}

    See Also
    --------
    AutoencoderTransformer : The autoencoder with the API of ``PCA``.

    Notes
    -----
    A subclass adds what makes it different by overriding exactly these
    hooks (each has a working default):

    - ``_check_hyperparameters()``: checks that ``_parameter_constraints``
      cannot express, run at the start of every fit.
    - ``_check_input(X, *, reset)``: X validated as rows ``(n, n_features)``
      (images flattened, out-of-core input as ``StreamedRows``), the fitted
      feature names and counts recorded when ``reset``. A model that reads
      its condition from X's own columns returns a ``Rows`` of the other
      columns with that condition.
    - ``_fit_rows(X, y, *, reset)``: the bundle the network trains on, a
      ``Rows(inputs, target=None, condition=None)`` of validated X and what
      ``fit`` was given (``Rows(X)`` by default: the target is X itself);
      ``reset`` says the fit starts afresh (learn what ``y`` holds then).
      X is what ``_check_input`` returned: validated rows, or a ``Rows`` of
      them with the condition it read from X's own columns.
    - ``_condition_shape()``: the shape of one sample's condition, for a
      model that reads one beside X (None by default: no condition). Then
      the network's input is ``(samples, condition)``, and ``export``
      writes a second input named ``"condition"``.
    - ``_assemble(input_shape, seeds)``: the Keras model to train, from the
      encoder and decoder of ``_build_networks(input_shape, seeds)`` (input
      -> encoder -> decoder by default); every random layer takes its seed
      from ``seeds`` (a ``random.Random``). Add layers that act in training
      only here (an activity regulariser on the codes, say).
    - ``_compile(model)``: compile it (the ``loss`` parameter's Keras loss by
      default; ``_compile_options()`` gives the optimizer and speed options
      every skae model shares).
    - ``_networks(model)``: ``(encoder, decoder)``, the parts of a model
      ``_assemble`` built (by default its last two layers).
    - ``_link_networks()``: set ``encoder_`` and ``decoder_`` to the parts of
      ``model_`` (``_networks(model_)`` by default); also run after loading.

    - ``_validation_inputs(inputs, seed)``: the held-out rows as the network
      meets them in training (themselves by default).
    - ``_after_fit(rows)``: fitted attributes computed from the trained
      network, given the training ``Rows`` (validated; nothing by default).
    - ``_encode_batch(encoder, batch)`` / ``_decode_batch(decoder, batch)``:
      the codes of a batch of standardised samples / the standardised
      reconstructions of a batch of codes, as backend tensors computed with
      Keras models and ``keras.ops`` (``encoder(batch, training=False)`` /
      ``decoder(batch, training=False)`` by default). skae compiles them,
      alone and composed, once per input dtype, and export runs them too.
    - ``_codes(encoded)``: what ``transform`` returns of ``_encode_batch``'s
      output (all of it by default); NumPy arrays and ``keras.ops`` tensors
      alike.
    - ``_inference_key()``: the parameters ``_encode_batch`` and
      ``_decode_batch`` read besides the networks, as a hashable tuple
      (``()`` by default). Estimators of one architecture and one key share
      a compiled inference call on TensorFlow; a class that overrides those
      hooks without defining ``_inference_key`` beside them compiles its own.
    - ``_score_batch(rows, reconstruction, xp)``: the score of each row from
      the rows and their reconstructions, both in the data's units, with the
      array namespace ``xp`` (NumPy for ``score_samples``, ``keras.ops`` for
      ``export``): one formula for both. Minus the mean squared error by
      default: ``-xp.mean(xp.square(rows - reconstruction), axis=1)``.
    - ``_score_samples(X)``: the scores of validated rows, for scores that
      need more than a reconstruction (the VAE's ELBO); by default
      ``_score_batch`` over bounded blocks of rows.
    - ``_export_scores(rows, network)``: ``_score_samples`` in ``keras.ops``,
      for ``export``: ``rows`` are raw float32 rows, ``network.encode(rows)``
      gives ``_encode_batch``'s output, ``network.decode(encoded)`` the
      reconstruction in the data's units, ``network.score_dtype`` the scores'
      dtype (``_score_batch`` of them by default). A class that overrides
      ``_score_samples`` without ``_export_scores`` beside it cannot export
      its scores: a clear error, never a file computing another score.

    A new parameter goes in the subclass's explicit ``__init__`` signature
    (stored under its own name, as scikit-learn asks) and in its
    ``_parameter_constraints``; a fitted attribute of its own goes in its
    ``_fitted_schema`` (the base's ``.extended({...})``), which
    ``skae.load`` checks a file's state against. Each public method
    validates X once and passes the validated rows down. The user guide's
    "Your own variants" page has two complete variants, each one file.

    On TensorFlow, where the hooks are skae's own (``compiled_fit.deferrable``;
    a variant's fits build their model first, as before), a fresh fit need
    not build ``model_``: a pooled trainer starts from the initial state a
    recipe makes for the estimator's seeds (``_engine/initial_state.py``),
    the trained state is kept as tensors that inference reads, and
    ``model_`` is built from them when first accessed.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import AutoencoderTransformer
    >>> class AbsoluteErrorAutoencoder(AutoencoderTransformer):
    ...     # scores: minus the mean absolute reconstruction error
    ...     def _score_batch(self, rows, reconstruction, xp):
    ...         return -xp.mean(xp.abs(rows - reconstruction), axis=1)
    >>> X = load_digits().data / 16
    >>> ae = AbsoluteErrorAutoencoder(n_components=4, epochs=3, random_state=0).fit(X)
    >>> ae.score_samples(X[:5]).shape
    (5,)
    """

    _parameter_constraints = PARAMETER_CONSTRAINTS
    _fitted_schema = AUTOENCODER  # what skae.load checks a file's state against

    def __init__(
        self,
        n_components=2,
        *,
        architecture="dense",
        input_shape=None,
        hidden_layer_sizes=(128, 64),
        filters=(32, 64, 128),
        kernel_size=3,
        strides=2,
        activation="relu",
        latent_activation="linear",
        loss="mse",
        dropout=0.0,
        batch_normalization=False,
        encoder=None,
        decoder=None,
        optimizer="adam",
        learning_rate=1e-3,
        epochs=200,
        batch_size=32,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        reduce_lr_on_plateau=True,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
        run_eagerly=False,
        distribution=None,
    ):
        self.n_components = n_components
        self.architecture = architecture
        self.input_shape = input_shape
        self.hidden_layer_sizes = hidden_layer_sizes
        self.filters = filters
        self.kernel_size = kernel_size
        self.strides = strides
        self.activation = activation
        self.latent_activation = latent_activation
        self.loss = loss
        self.dropout = dropout
        self.batch_normalization = batch_normalization
        self.encoder = encoder
        self.decoder = decoder
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.reduce_lr_on_plateau = reduce_lr_on_plateau
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.run_eagerly = run_eagerly
        self.distribution = distribution

    # ------------------------------------------------------------------
    # scikit-learn protocol
    # ------------------------------------------------------------------
    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = False
        if tags.transformer_tags is not None:
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # the Keras model of a fit from a recipe is built when first asked for
    # (``LazyNetwork``, ``_materialize``)
    model_ = LazyNetwork("model_")
    encoder_ = LazyNetwork("encoder_")
    decoder_ = LazyNetwork("decoder_")

    def __sklearn_is_fitted__(self):
        # O(1): check_is_fitted would otherwise scan every attribute per call
        return fitted(self)

    def _materialize(self):
        """Build ``model_`` from the fitted state of a fit from a recipe; once.

        The model, its networks and its optimizer are built as a fit builds
        them (the same layer seeds), then take the fitted state: weights,
        random layers' states and optimizer slots, exactly as trained.
        """
        with state_lock(self):
            state = vars(self).get("_fitted_state")
            if state is None:
                return
            # built with the parameters of the fit, not those set since
            twin = snapshot(self)
            twin.set_params(**state.params)
            model = twin._new_model(random.Random(self._seed))
            model.optimizer.build(model.trainable_variables)
            state.restore(model)
            register_trained(model, state.recipe.architecture)
            self.model_ = model
            self._link_networks()
            del vars(self)["_fitted_state"]
            # calls bound to the state's tensors give way to the model's variables
            self._inference = InferenceCache()

    def __getstate__(self):
        # Plain data only (see _persistence): the Keras model as the bytes of
        # a .keras file, so that skops can save the state and loading it
        # never unpickles a live Keras object. encoder_ and decoder_ are views
        # into model_, rebuilt on load so that they keep sharing its layers.
        # Read under the estimator's lock: one model, never half of a fit's
        # (_concurrency); the lock itself is never part of the state.
        with state_lock(self):
            self._materialize()
            state = without_private(super().__getstate__())
            for name in ("encoder_", "decoder_", "_inference"):
                state.pop(name, None)
            if "model_" in state and not isinstance(state["model_"], bytes):
                state["model_"] = model_to_bytes(state["model_"])
            if "history_" in state:
                state["history_"] = {k: list(v) for k, v in state["history_"].items()}
        return state

    def __setstate__(self, state):
        state = without_private(state)
        if isinstance(state.get("model_"), bytes):
            state["model_"] = model_from_bytes(
                state["model_"],
                what=f"network of the {type(self).__name__}",
                # a pickled plain-function activation comes back with the state
                custom_objects=functions_in(state),
            )
        if "history_" in state:
            state["history_"] = defaultdict(list, state["history_"])
        super().__setstate__(state)
        if "model_" in vars(self):
            self._link_networks()
            self._inference = InferenceCache()

    # ------------------------------------------------------------------
    # input validation
    # ------------------------------------------------------------------
    def _check_input(self, X, *, reset):
        """Validate X and return it as rows ``(n_samples, n_features)``.

        Image arrays ``(n, H, W)`` and ``(n, H, W, C)`` are flattened here (and
        their shape recorded in ``image_shape_`` at fit), so that the rest of
        the estimator, feature counts included, sees one row per sample.
        Out-of-core input (``_streaming``) comes back as ``StreamedRows``,
        read block by block.
        """
        if is_out_of_core(X):
            return streamed_rows(self, X, reset=reset)
        check = None if reset else functools.partial(check_image_shape, self)
        X, shape, ndim = validated_rows(self, X, reset=reset, check_image_shape=check)
        if reset:
            self._fit_ndim = ndim
            self.image_shape_ = fitted_image_shape(self, shape, X.shape[1])
        return X

    def _network_shape(self):
        """Shape of one sample as the fitted network sees it."""
        return self._fitted_network_shape

    def _rows_as_given(self, rows, ndim):
        """Reshape rows ``(n, n_features)`` to the user's form of ``ndim`` dims."""
        return rows_as_given(rows, self.image_shape_, ndim)

    # ------------------------------------------------------------------
    # hooks (see the class docstring)
    # ------------------------------------------------------------------
    def _check_hyperparameters(self):
        if not positive_int_sequence(self.hidden_layer_sizes):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        check_callbacks(self.callbacks)

    def _fit_rows(self, X, y, *, reset):
        return Rows(X)

    def _condition_shape(self):
        return None

    def _build_networks(self, input_shape, seeds):
        """``(encoder, decoder)`` for samples of ``input_shape``, checked to fit.

        Every random layer takes its seed from ``seeds``, the stream
        ``_assemble`` is given.
        """
        return build_networks(self, input_shape, seeds)

    def _assemble(self, input_shape, seeds):
        encoder, decoder = self._build_networks(input_shape, seeds)
        inputs = keras.Input(shape=input_shape, name="input")
        return keras.Model(inputs, decoder(encoder(inputs)), name=model_name(type(self)))

    def _compile(self, model):
        loss = (
            keras.losses.BinaryCrossentropy()
            if self.loss == "binary_crossentropy"
            else keras.losses.MeanSquaredError()
        )
        model.compile(loss=loss, **self._compile_options())

    def _compile_options(self):
        """Keras ``compile`` arguments every skae model trains with.

        ``steps_per_execution``: together with the in-memory batches of
        ``_training.in_memory_batches``, fit takes 0.45x the time of plain
        ``model.fit`` (``benchmarks/training_speed.py``).
        """
        return dict(
            optimizer=make_optimizer(self.optimizer, self.learning_rate),
            run_eagerly=self.run_eagerly,
            steps_per_execution=steps_per_execution(self.distribution, STEPS_PER_EXECUTION),
        )

    def _networks(self, model):
        """``(encoder, decoder)`` of a model ``_assemble`` built."""
        *_, encoder, decoder = model.layers
        return encoder, decoder

    def _link_networks(self):
        self.encoder_, self.decoder_ = self._networks(self.model_)

    def _new_model(self, seeds):
        """A compiled model, its random layers seeded from ``seeds`` (a ``random.Random``)."""
        model = self._assemble(self._fitted_network_shape, seeds)
        self._compile(model)
        return model

    def _build_model(self, seeds):
        """Build and compile ``model_`` (``_new_model``) and link its networks."""
        with distributed(self):
            # variables are created (and the optimizer's too) where they train
            self.model_ = self._new_model(seeds)
        self._link_networks()

    def _validation_inputs(self, inputs, seed):
        return inputs

    def _after_fit(self, rows):
        pass

    def _encode_batch(self, encoder, batch):
        return encoder(batch, training=False)

    def _decode_batch(self, decoder, batch):
        return decoder(batch, training=False)

    def _codes(self, encoded):
        return encoded

    def _inference_key(self):
        return ()

    def _score_batch(self, rows, reconstruction, xp):
        return -xp.mean(xp.square(rows - reconstruction), axis=1)

    def _export_scores(self, rows, network):
        reconstruction = network.decode(network.encode(rows))
        dtype = network.score_dtype
        return self._score_batch(ops.cast(rows, dtype), ops.cast(reconstruction, dtype), ops)

    def _score_samples(self, X):
        if isinstance(X, np.ndarray) and len(X) == 1:
            scorer = self._one_row_scorer(X.dtype)  # the score inside XLA's one-row program
            if scorer is not None:
                return scorer(X)

        def scores(rows):
            return self._score_batch(np.asarray(rows, dtype=np.float64), self._forward(rows), np)

        return in_blocks(X, scores)

    # ------------------------------------------------------------------
    # training
    # ------------------------------------------------------------------
    @fill_shared_docs()
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Fit the autoencoder to X.

        Parameters
        ----------
        {fit_parameters}

        Returns
        -------
        self : object
            The fitted estimator.
        """
        reset = not (self.warm_start and fitted(self))
        return self._fit(X, y, sample_weight, epochs=self.epochs, reset=reset)

    @fill_shared_docs()
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train for one more epoch on X, building the model on the first call.

        Parameters
        ----------
        {fit_parameters}

        Returns
        -------
        self : object
            The estimator, trained one epoch further.
        """
        first_call = not fitted(self)
        if first_call:
            self._validate_params()
        return self._fit(X, y, sample_weight, epochs=1, reset=first_call, partial=True)

    def _fit(self, X, y, sample_weight, *, epochs, reset, partial=False):
        """Validate X once, build the model if ``reset``, train, describe.

        A fit that raises leaves the estimator as it was. A fit from scratch
        (``reset``) trains a private copy of the estimator and publishes it
        whole at the end (``_concurrency``): until then other threads see
        the previous model, or an unfitted estimator. Training in place holds
        the estimator's lock throughout, and undoes itself if it raises
        (``restored_on_error``).
        """
        if reset:
            with fitted_aside(self) as fitted:
                fitted._fit_in_place(X, y, sample_weight, epochs=epochs, reset=True, partial=partial)
        else:
            with changing(self), restored_on_error(self, model=self.model_):
                self._fit_in_place(X, y, sample_weight, epochs=epochs, reset=False, partial=partial)
        return self

    def _fit_in_place(self, X, y, sample_weight, *, epochs, reset, partial):
        # a loaded estimator lacks the parameters its file could not hold
        check_saved_parameters(self)
        self._check_hyperparameters()
        checked = self._check_input(X, reset=reset)
        # a Rows where the condition comes from X's own columns
        X = checked.inputs if isinstance(checked, Rows) else checked
        if isinstance(X, StreamedRows):
            check_streamed_fit(self, X, y)
        rows = self._fit_rows(checked, y, reset=reset)._replace(
            sample_weight=check_training_rows(self, X, sample_weight)
        )
        if reset:
            self._initialize(X)
        else:
            optimizer, new = self.model_.optimizer, self.learning_rate
            apply_learning_rate(optimizer, new, self._fitted_learning_rate)
            self._fitted_learning_rate = new
        self._train(rows, epochs=epochs, partial=partial)
        self._after_fit(rows)
        return self

    def _initialize(self, X):
        """Seed, standardisation statistics, then the compiled model."""
        rng = check_random_state(self.random_state)
        self._seed = int(rng.randint(np.iinfo(np.int32).max))
        if self.loss == "binary_crossentropy":
            self.mean_, self.scale_ = np.zeros(X.shape[1:]), 1.0
        else:
            self.mean_, self.scale_ = (
                X.center_scale() if isinstance(X, StreamedRows) else robust_center_scale(X)
            )
        # the fitted state that inference reads, whatever set_params says later
        self.n_components_ = int(self.n_components)
        self._fitted_network_shape = (
            tuple(self.image_shape_) if self.architecture != "dense" else (X.shape[1],)
        )
        self._fitted_learning_rate = self.learning_rate
        for name in ("model_", "encoder_", "decoder_", "_fitted_state"):
            vars(self).pop(name, None)
        if not deferrable(self):
            # every random layer skae builds is seeded from this stream (Python's
            # global random is never read): the seeds Keras would draw after
            # random.seed(self._seed). A deferred model is built by the
            # training loop, or never (a recipe: _engine/initial_state.py)
            self._build_model(random.Random(self._seed))
        self._inference = InferenceCache()
        self.history_ = defaultdict(list)

    def _train(self, rows, *, epochs, partial):
        """Train ``model_`` for ``epochs`` more epochs on the validated ``Rows``."""
        try:
            history = train_epochs(self, rows, seed=self._seed, epochs=epochs, partial=partial)
        finally:
            self._inference = InferenceCache()
        for key, values in history.items():
            self.history_[key].extend(float(v) for v in values)
        check_training_finite(self, rows)
        self.n_iter_ = len(self.history_["loss"])
