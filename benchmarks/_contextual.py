"""Contextual anomalies: readings normal in general, wrong for their context.

``make_readings(seed)`` draws, from its own ``RandomState(seed)``, records of
two context columns and eight measurements:

* ``hour`` (continuous, uniform on [0, 24)) sets measurements m0..m3:
  ``a_k * sin(2 pi hour / 24 + phi_k)`` plus noise;
* ``product`` (categorical, four products) sets m4..m7: the product's mean
  vector plus noise;
* the noise is normal with standard deviation 0.3 on every measurement.

The test set holds 900 normal records and 100 anomalies of each kind:

* **time of day**: measurements drawn for an hour 6 to 18 hours away from
  the hour the record gives;
* **product**: measurements drawn for another product than the record's;
* **global**: a normal record in its own context, with two measurements
  shifted by 2.5 to 4 noise-free spreads (an ordinary outlier).

``evaluate(seed, quick)`` fits every method on 2,000 normal training records
and returns the ROC AUC of each on each kind (normal records against that
kind's anomalies). Methods: ``AutoencoderOutlierDetector`` with
``condition_columns=["hour", "product"]``; the same detector without them
(the context as ordinary columns: the hour as a number, the product one-hot);
``IsolationForest``, ``LocalOutlierFactor(novelty=True)`` and the PCA
reconstruction error (4 components), on the standardised ordinary columns.
"""

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderOutlierDetector

PRODUCTS = np.array(["blender", "fridge", "kettle", "toaster"])  # sorted
KINDS = ("time of day", "product", "global")
N_TRAIN, N_NORMAL, N_ANOMALIES = 2000, 900, 100
NOISE = 0.3


class _World:
    """The seeded relations between context and measurements."""

    def __init__(self, random):
        self.amplitude = random.uniform(1.0, 3.0, size=4)
        self.phase = random.uniform(0, 2 * np.pi, size=4)
        self.product_mean = random.uniform(-3, 3, size=(len(PRODUCTS), 4))

    def measurements(self, hour, product, random):
        by_hour = self.amplitude * np.sin(2 * np.pi * hour[:, None] / 24 + self.phase)
        by_product = self.product_mean[np.searchsorted(PRODUCTS, product)]
        clean = np.hstack([by_hour, by_product])
        return clean + NOISE * random.normal(size=clean.shape)


def _frame(hour, product, values):
    frame = pd.DataFrame(values, columns=[f"m{k}" for k in range(values.shape[1])])
    frame.insert(0, "product", product)
    frame.insert(0, "hour", hour)
    return frame


def make_readings(seed):
    """``(train, test, kind)``: frames of records, and each test record's kind ("normal" or one of KINDS)."""
    random = np.random.RandomState(seed)
    world = _World(random)

    def normal(n):
        hour = random.uniform(0, 24, n)
        product = random.choice(PRODUCTS, n)
        return hour, product, world.measurements(hour, product, random)

    train = _frame(*normal(N_TRAIN))
    parts, kinds = [_frame(*normal(N_NORMAL))], ["normal"] * N_NORMAL
    # time of day: measured at another hour than the record says
    hour, product, _ = normal(N_ANOMALIES)
    other_hour = (hour + random.uniform(6, 18, N_ANOMALIES)) % 24
    parts.append(_frame(hour, product, world.measurements(other_hour, product, random)))
    # product: the measurements of another product
    hour, product, _ = normal(N_ANOMALIES)
    shift = random.randint(1, len(PRODUCTS), N_ANOMALIES)
    other = PRODUCTS[(np.searchsorted(PRODUCTS, product) + shift) % len(PRODUCTS)]
    parts.append(_frame(hour, product, world.measurements(hour, other, random)))
    # global: two measurements far off, in the record's own context
    hour, product, values = normal(N_ANOMALIES)
    spread = np.r_[world.amplitude / np.sqrt(2), world.product_mean.std(axis=0)]
    for row in range(N_ANOMALIES):
        columns = random.choice(values.shape[1], 2, replace=False)
        sign = random.choice([-1.0, 1.0], 2)
        values[row, columns] += sign * random.uniform(2.5, 4.0, 2) * spread[columns]
    parts.append(_frame(hour, product, values))
    kinds += [k for k in KINDS for _ in range(N_ANOMALIES)]
    return train, pd.concat(parts, ignore_index=True), np.array(kinds)


def _ordinary(frame):
    """The context as ordinary columns: the hour a number, the product one-hot."""
    one_hot = (frame["product"].to_numpy()[:, None] == PRODUCTS).astype(float)
    return np.hstack([frame[["hour"]].to_numpy(), one_hot, frame.filter(like="m").to_numpy()])


def evaluate(seed, *, quick=False):
    """``{method: {kind: ROC AUC}}`` for one seed."""
    train, test, kind = make_readings(seed)
    params = dict(random_state=seed, **({"epochs": 5} if quick else {}))
    scores = {}
    conditional = AutoencoderOutlierDetector(condition_columns=["hour", "product"], **params)
    scores["detector, condition_columns"] = conditional.fit(train).score_samples(test)
    ordinary_train, ordinary_test = _ordinary(train), _ordinary(test)
    plain = AutoencoderOutlierDetector(**params).fit(ordinary_train)
    scores["detector, context as columns"] = plain.score_samples(ordinary_test)
    scaler = StandardScaler().fit(ordinary_train)
    Z_train, Z_test = scaler.transform(ordinary_train), scaler.transform(ordinary_test)
    forest = IsolationForest(random_state=seed).fit(Z_train)
    scores["IsolationForest"] = forest.score_samples(Z_test)
    lof = LocalOutlierFactor(novelty=True).fit(Z_train)
    scores["LocalOutlierFactor"] = lof.score_samples(Z_test)
    pca = PCA(4, random_state=seed).fit(Z_train)
    restored = pca.inverse_transform(pca.transform(Z_test))
    scores["PCA(4) error"] = -np.mean((Z_test - restored) ** 2, axis=1)
    normal = kind == "normal"
    out = {}
    for method, score in scores.items():
        out[method] = {}
        for k in KINDS:
            chosen = normal | (kind == k)
            # anomalies are the positives: lower normality score, higher rank
            out[method][k] = roc_auc_score(kind[chosen] != "normal", -score[chosen])
    return out
