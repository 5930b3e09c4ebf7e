"""Fraud models: LightGBM on time-ordered data, calibrated, explained per prediction.

Fraud labels are rare and drift with time, so the split is by time, never shuffled: the model
is fitted on the older part, and the newer part calibrates its probabilities (Platt scaling,
which keeps the ranking intact) and sets the decision thresholds. The final trees are then
refitted on the whole window with the same settings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, roc_auc_score

from tradeguard.errors import Invalid, Unavailable

if TYPE_CHECKING:
    import lightgbm as lgb

Matrix = NDArray[np.float64]
Labels = NDArray[np.int_]

MIN_POSITIVES = 5
SMALL_BATCH = 256


@dataclass
class Calibration:
    """Platt scaling of the raw margin: p = 1 / (1 + exp(-(a * margin + b)))."""

    a: float = 1.0
    b: float = 0.0

    def apply(self, margin: Matrix) -> Matrix:
        return 1.0 / (1.0 + np.exp(-np.clip(self.a * margin + self.b, -500, 500)))


@dataclass
class FittedModel:
    booster: lgb.Booster
    features: tuple[str, ...]
    calibration: Calibration
    params: dict[str, Any]
    validation: dict[str, float] = field(default_factory=dict)
    # Calibrated 0-100 scores and labels of the newer part, for choosing thresholds.
    holdout: tuple[NDArray[np.int_], Labels] | None = None

    def margin(self, rows: Matrix) -> Matrix:
        return np.asarray(
            self.booster.predict(rows, raw_score=True, num_threads=_threads(rows)),
            dtype=np.float64,
        )

    def probability(self, rows: Matrix) -> Matrix:
        return self.calibration.apply(self.margin(rows))

    def score(self, rows: Matrix) -> NDArray[np.int_]:
        """Calibrated probability on the 0-100 scale verdicts use."""
        return np.rint(self.probability(rows) * 100).astype(np.int_)

    def explain(self, row: Matrix) -> tuple[float, list[tuple[str, float]]]:
        """One row's probability and each feature's push on the margin (exact SHAP values).

        The pushes plus the bias add up to the margin, so one call gives both answers.
        """
        values = np.asarray(
            self.booster.predict(row.reshape(1, -1), pred_contrib=True, num_threads=1)
        )[0]
        probability = float(self.calibration.apply(np.asarray([values.sum()]))[0])
        return probability, list(zip(self.features, values[:-1].tolist(), strict=True))

    def to_artefact(self) -> dict[str, Any]:
        return {
            "booster": self.booster.model_to_string(),
            "features": list(self.features),
            "calibration": {"a": self.calibration.a, "b": self.calibration.b},
            "params": self.params,
        }

    @classmethod
    def from_artefact(cls, artefact: dict[str, Any]) -> FittedModel:
        return cls(
            booster=lightgbm().Booster(model_str=artefact["booster"]),
            features=tuple(artefact["features"]),
            calibration=Calibration(**artefact["calibration"]),
            params=dict(artefact["params"]),
        )


@cache
def lightgbm() -> Any:
    """LightGBM, imported on first use: its wheel needs the system's OpenMP runtime, and a
    machine without it should still screen with rules and say plainly what models lack."""
    try:
        import lightgbm as lgb
    except OSError as exc:  # libgomp.so.1 (Linux) or libomp.dylib (macOS) missing
        raise Unavailable(
            f"LightGBM cannot load its OpenMP runtime ({exc}); install it "
            "(Debian/Ubuntu: apt-get install libgomp1; macOS: brew install libomp)"
        ) from None
    return lgb


def _threads(rows: Matrix) -> int:
    """One thread for a verdict's single row: waking OpenMP's pool costs more than the trees
    (p99 of 8-16 ms against 0.15 ms measured on two cores); all cores (0) for batches."""
    return 1 if rows.shape[0] < SMALL_BATCH else 0


def fit(
    rows: Matrix,
    labels: Labels,
    *,
    features: Sequence[str],
    params: dict[str, Any],
    calibration_share: float = 0.2,
) -> FittedModel:
    """Fit on rows already in time order (oldest first)."""
    labels = np.asarray(labels, dtype=np.int_)
    if rows.shape[0] != labels.shape[0] or rows.shape[1] != len(features):
        raise Invalid("training rows, labels and feature names do not line up")
    cut = int(len(labels) * (1 - calibration_share))
    for name, part in (("older", labels[:cut]), ("newer", labels[cut:]), ("all", labels)):
        if part.sum() < MIN_POSITIVES or (part == 0).sum() < MIN_POSITIVES:
            raise Invalid(
                f"the {name} part of the training window has {int(part.sum())} fraud and "
                f"{int((part == 0).sum())} legitimate labels; at least {MIN_POSITIVES} of each "
                "are needed (widen the window or wait for labels)"
            )
    settings = {"objective": "binary", "verbose": -1, **params}
    first = lightgbm().LGBMClassifier(**settings).fit(rows[:cut], labels[:cut])
    margin = np.asarray(first.predict(rows[cut:], raw_score=True), dtype=np.float64)
    calibration = _platt(margin, labels[cut:])
    probability = calibration.apply(margin)
    validation = quality(labels[cut:], probability)
    final = lightgbm().LGBMClassifier(**settings).fit(rows, labels)
    holdout = (np.rint(probability * 100).astype(np.int_), labels[cut:])
    return FittedModel(final.booster_, tuple(features), calibration, settings, validation, holdout)


def _platt(margin: Matrix, labels: Labels) -> Calibration:
    """Platt's fit with his smoothed targets, so a perfectly separated holdout (common with a
    few dozen frauds) still gives a finite slope instead of a step function."""
    positives, negatives = int(labels.sum()), int((labels == 0).sum())
    high, low = (positives + 1) / (positives + 2), 1 / (negatives + 2)
    target = np.where(labels == 1, high, low)
    x = np.concatenate([margin, margin]).reshape(-1, 1)
    y = np.concatenate([np.ones_like(labels), np.zeros_like(labels)])
    weights = np.concatenate([target, 1 - target])
    model = LogisticRegression(C=1e6, max_iter=1000).fit(x, y, sample_weight=weights)
    return Calibration(a=float(model.coef_[0][0]), b=float(model.intercept_[0]))


def quality(labels: Labels, probability: Matrix) -> dict[str, float]:
    """Ranking quality and calibration on labelled rows (NaN when one class is missing)."""
    if len(set(labels.tolist())) < 2:
        return {"auc_roc": math.nan, "average_precision": math.nan, "brier": math.nan}
    return {
        "auc_roc": float(roc_auc_score(labels, probability)),
        "average_precision": float(average_precision_score(labels, probability)),
        "brier": float(np.mean((probability - labels) ** 2)),
    }


def threshold_for_rate(scores: NDArray[np.int_], rate: float) -> int:
    """Lowest 0-100 score that flags at most ``rate`` of the given orders."""
    for threshold in range(1, 101):
        if np.mean(scores >= threshold) <= rate:
            return threshold
    return 100


def threshold_for_fpr(scores: NDArray[np.int_], labels: Labels, fpr: float) -> int:
    """Lowest score at which at most ``fpr`` of the legitimate orders would be flagged."""
    legitimate = scores[labels == 0]
    return threshold_for_rate(legitimate, fpr) if legitimate.size else 100
