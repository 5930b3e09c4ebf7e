"""Training the order model: the settings, and the data set built from stored orders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tradeguard.engine import ml
from tradeguard.engine.ml import FittedModel, Labels, Matrix, quality

__all__ = ["DEFAULT_PARAMS", "FittedModel", "fit", "quality"]

# Regularised on purpose: a week of orders holds a few hundred frauds, and deep trees learn
# those cards by heart (measured on the handbook data, docs/evaluation/payments.md).
DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.02,
    "num_leaves": 15,
    "min_child_samples": 100,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.5,
    "reg_lambda": 5.0,
    "n_estimators": 500,
    "verbose": -1,
    "n_jobs": 0,
}


def fit(
    rows: Matrix,
    labels: Labels,
    *,
    features: Sequence[str],
    params: dict[str, Any] | None = None,
) -> FittedModel:
    """The order model's fit: the engine's trainer with this domain's settings.

    A small store's first model has a few hundred orders, where 100 per leaf would allow no
    split at all; leaves then hold at least 2 % of the rows instead.
    """
    settings = {**DEFAULT_PARAMS, **(params or {})}
    if "min_child_samples" not in (params or {}):
        settings["min_child_samples"] = min(
            int(settings["min_child_samples"]), max(5, len(labels) // 50)
        )
    return ml.fit(rows, labels, features=features, params=settings)
