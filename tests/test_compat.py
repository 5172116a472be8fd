"""skae changes nothing in the libraries it builds on."""

import subprocess
import sys
import textwrap

from sklearn.base import BaseEstimator

from skae import AutoencoderTransformer


def test_import_leaves_keras_and_scikeras_alone():
    # scikeras replaces keras.Model.__reduce__ when it is imported; skae's
    # estimators must neither import it nor patch Keras themselves.
    code = textwrap.dedent(
        """
        import sys
        import keras
        before = {name: vars(keras.Model).get(name) for name in ("__reduce__", "__deepcopy__")}
        import skae
        skae.AutoencoderTransformer, skae.AutoencoderOutlierDetector
        after = {name: vars(keras.Model).get(name) for name in ("__reduce__", "__deepcopy__")}
        assert before == after, (before, after)
        assert "scikeras" not in sys.modules
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("ok")


def test_estimators_are_plain_scikit_learn_estimators():
    est = AutoencoderTransformer(n_components=3)
    assert isinstance(est, BaseEstimator)
    # parameters come from the __init__ signature, as scikit-learn requires
    assert "n_components" in est.get_params()
    assert not hasattr(est, "predict")
    assert repr(est) == "AutoencoderTransformer(n_components=3)"


def test_html_repr_links_to_skae_docs():
    html = AutoencoderTransformer()._repr_html_()
    assert "skae.readthedocs.io" in html
    assert "#skae.AutoencoderTransformer" in html
