"""The model backend: calibration that survives tiny holdouts, thresholds, a missing runtime."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import pytest

from tradeguard.engine import ml
from tradeguard.errors import Invalid, Unavailable


def _data(n: int = 3000, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    rows = rng.normal(size=(n, 4))
    labels = (rows[:, 0] + rng.normal(scale=0.3, size=n) > 1.6).astype(int)
    return rows, labels


PARAMS = {"n_estimators": 40, "num_leaves": 7, "min_child_samples": 20, "n_jobs": 1}


def test_a_fit_is_calibrated_explained_and_round_trips() -> None:
    rows, labels = _data()
    fitted = ml.fit(rows, labels, features=["a", "b", "c", "d"], params=PARAMS)
    probability = fitted.probability(rows)
    assert abs(probability.mean() - labels.mean()) < 0.02  # calibrated on average
    assert fitted.validation["auc_roc"] > 0.9
    one, pushes = fitted.explain(rows[0])
    assert one == pytest.approx(probability[0], rel=1e-6)  # SHAP pushes + bias = the margin
    assert max(pushes, key=lambda p: abs(p[1]))[0] == "a"
    again = ml.FittedModel.from_artefact(fitted.to_artefact())
    assert np.allclose(again.probability(rows[:50]), probability[:50])


def test_platt_scaling_stays_finite_on_a_perfectly_separated_holdout() -> None:
    margin = np.array([-3.0] * 40 + [3.0] * 4)
    labels = np.array([0] * 40 + [1] * 4)
    calibration = ml._platt(margin, labels)
    assert 0 < calibration.a < 10
    assert 0.5 < calibration.apply(np.array([3.0]))[0] < 0.95  # confident, not certain


def test_too_few_labels_is_a_clear_error() -> None:
    rows, labels = _data(200)
    labels[:] = 0
    labels[:3] = 1
    with pytest.raises(Invalid, match="at least 5 of each"):
        ml.fit(rows, labels, features=["a", "b", "c", "d"], params=PARAMS)


def test_thresholds_from_a_rate_and_from_a_false_positive_rate() -> None:
    scores = np.arange(100)
    labels = (scores >= 90).astype(int)
    assert ml.threshold_for_rate(scores, 0.05) == 95
    assert ml.threshold_for_fpr(scores, labels, 0.0) == 90


def test_a_missing_openmp_runtime_is_reported_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_lightgbm(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "lightgbm":
            raise OSError("libgomp.so.1: cannot open shared object file")
        return real_import(name, *args, **kwargs)

    ml.lightgbm.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_lightgbm)
    try:
        with pytest.raises(Unavailable, match="apt-get install libgomp1"):
            ml.lightgbm()
    finally:
        ml.lightgbm.cache_clear()
