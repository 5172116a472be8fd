"""benchmarks/outlier_lodo.py: the leave-one-data-set-out rule, on made-up figures."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def lodo():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("outlier_lodo", BENCHMARKS / "outlier_lodo.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


FIGURES = {
    # "wide" wins on a and b, loses on c; "narrow" the other way round
    "wide": {"a": 0.99, "b": 0.98, "c": 0.80},
    "narrow": {"a": 0.95, "b": 0.96, "c": 0.97},
    "forest": {"a": 0.97, "b": 0.97, "c": 0.96},
}


def test_each_data_set_is_judged_by_a_choice_made_without_it(lodo):
    rounds = lodo.leave_one_out(FIGURES, ["wide", "narrow"], ["a", "b", "c"])
    # held out a: on b and c, narrow (0.965) beats wide (0.89)
    assert rounds == {"a": "narrow", "b": "narrow", "c": "wide"}
    assert lodo.choose(FIGURES, ["wide", "narrow"], ["a", "b", "c"]) == "narrow"


def test_ties_go_to_the_earlier_candidate(lodo):
    figures = {"x": {"a": 0.9}, "y": {"a": 0.9}}
    assert lodo.choose(figures, ["y", "x"], ["a"]) == "y"


def test_goals_read_the_held_out_rounds(lodo):
    rounds = lodo.leave_one_out(FIGURES, ["wide", "narrow"], ["a", "b", "c"])
    (mean_goal, gap_goal) = lodo.goals(FIGURES, rounds, ["forest"], ["a", "b", "c"])
    # held out: a 0.95, b 0.96, c 0.80; forest 0.97, 0.97, 0.96
    assert mean_goal[2] is False
    assert "0.9033 vs 0.9667 for forest" in mean_goal[1]
    assert gap_goal[2] is False
    assert "-0.1600 on c" in gap_goal[1]


def test_dataset_auc_weighs_data_sets_alike(lodo):
    records = [
        {"method": "m", "dataset": "d", "case": case, "seed": seed, "auc": auc, "ap": auc, "seconds": 0.0}
        for case, seed, auc in [("one", 0, 1.0), ("one", 1, 0.8), ("two", 0, 0.6)]
    ]
    # case means 0.9 and 0.6, then their mean
    assert lodo.dataset_auc(records)["m"]["d"] == pytest.approx(0.75)


def test_sized_layers_follow_the_features(lodo):
    assert lodo.sized_layers(4) == (16, 8)
    assert lodo.sized_layers(30) == (60, 30)
    assert lodo.sized_layers(784) == (128, 64)
    assert [lodo.sized_code(d) for d in (4, 30, 64, 784)] == [2, 3, 8, 8]


def test_candidate_parameters_keep_unit_data_on_the_global_scale(lodo):
    spec = lodo.CANDIDATES["robust scaling"]
    unit = np.random.default_rng(0).uniform(size=(10, 3))
    assert lodo.detector_params(spec, unit, 0)["scaling"] == "global"
    assert lodo.detector_params(spec, unit * 5, 0)["scaling"] == "robust"
