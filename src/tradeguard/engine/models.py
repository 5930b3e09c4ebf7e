"""The model registry: versioned fraud models, live or in shadow, and how they score events.

A model is immutable once stored: artefact, feature list, training window and metrics travel
together, so a verdict's ``model_versions`` names exactly what decided it. Workers cache
the running models and re-read the registry at most every ``REFRESH_SECONDS``.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.engine.features import FeatureSet, feature_set, unpack
from tradeguard.engine.ml import FittedModel
from tradeguard.engine.tables import EventRecord, FeatureVector, ModelRecord
from tradeguard.engine.verdicts import Decision, Signal, Thresholds
from tradeguard.errors import Conflict, Invalid, NotFound

Status = Literal["live", "shadow", "inactive"]
REFRESH_SECONDS = 2.0
TOP_REASONS = 3


class ModelRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    version: int
    kind: str
    feature_set: str
    features: list[str]
    status: str
    metrics: dict[str, Any]
    training: dict[str, Any]
    thresholds: dict[str, int]
    sha256: str
    created_at: datetime
    created_by: str
    activated_at: datetime | None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def register(
    session: Session,
    *,
    name: str,
    kind: str,
    fitted: FittedModel,
    metrics: dict[str, Any],
    training: dict[str, Any],
    thresholds: Thresholds,
    actor: str,
) -> ModelRecord:
    """Store a new version (inactive); its number follows the name's last one."""
    features = feature_set(kind)
    if features is None:
        raise Invalid(f"event kind {kind!r} has no feature set, so no model can score it")
    if tuple(fitted.features) != features.names:
        raise Invalid(f"the model's features are not those of {features.version}")
    artefact = orjson.dumps(fitted.to_artefact()).decode()
    current = session.scalar(select(func.max(ModelRecord.version)).where(ModelRecord.name == name))
    record = ModelRecord(
        name=name,
        version=(current or 0) + 1,
        kind=kind,
        feature_set=features.version,
        features=list(features.names),
        status="inactive",
        metrics=_finite(metrics),
        training=training,
        thresholds=thresholds.model_dump(),
        artefact=artefact,
        sha256=hashlib.sha256(artefact.encode()).hexdigest(),
        created_by=actor,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="model.register",
        target_type="model",
        target_id=f"{name}@{record.version}",
        after={"metrics": record.metrics, "training": training, "thresholds": record.thresholds},
        versions=[f"{name}@{record.version}"],
    )
    return record


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    """JSON has no NaN: a metric that could not be computed is stored as null."""
    return {
        k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in values.items()
    }


def get_record(session: Session, name: str, version: int) -> ModelRecord:
    record = session.scalars(
        select(ModelRecord).where(ModelRecord.name == name, ModelRecord.version == version)
    ).first()
    if record is None:
        raise NotFound(f"no model {name}@{version}")
    return record


def list_records(session: Session, *, name: str | None = None) -> list[ModelRecord]:
    query = select(ModelRecord).order_by(ModelRecord.name, ModelRecord.version.desc())
    if name:
        query = query.where(ModelRecord.name == name)
    return list(session.scalars(query))


def set_status(
    session: Session, *, name: str, version: int, status: Status, actor: str
) -> ModelRecord:
    """Live or shadow for one version; each name has at most one live and one shadow version."""
    record = get_record(session, name, version)
    retired = []
    if status != "inactive":
        for other in session.scalars(
            select(ModelRecord).where(
                ModelRecord.name == name,
                ModelRecord.status == status,
                ModelRecord.version != version,
            )
        ):
            other.status = "inactive"
            retired.append(f"{name}@{other.version}")
    before = record.status
    record.status = status
    if status == "live":
        record.activated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action=f"model.{status}",
        target_type="model",
        target_id=f"{name}@{version}",
        before={"status": before},
        after={"status": status, "retired": retired},
        versions=[f"{name}@{version}"],
    )
    ACTIVE_MODELS.invalidate()
    return record


def rollback(session: Session, *, name: str, actor: str) -> ModelRecord:
    """Make live again the version that was live before the current one.

    ``activated_at`` is stamped whenever a version goes live, so the previous live version is
    the one most recently activated before the current one.
    """
    versions = list_records(session, name=name)
    live = next((r for r in versions if r.status == "live" and r.activated_at), None)
    if live is None or live.activated_at is None:
        raise Conflict(f"model {name} has no live version to roll back from")
    went_live = live.activated_at
    earlier = [r for r in versions if r.activated_at is not None and r.activated_at < went_live]
    if not earlier:
        raise Conflict(f"model {name} has no earlier live version to roll back to")
    previous = max(earlier, key=lambda r: r.activated_at or went_live)
    return set_status(session, name=name, version=previous.version, status="live", actor=actor)


@dataclass(frozen=True, slots=True)
class RunningModel:
    name: str
    version: int
    kind: str
    fitted: FittedModel
    features: FeatureSet
    thresholds: Thresholds

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    def signal(self, vector: list[float], *, shadow: bool) -> Signal:
        """The model's finding: calibrated score, the decision its thresholds give, and why."""
        row = np.asarray(vector, dtype=np.float64)
        probability, pushes = self.fitted.explain(row)
        score = round(probability * 100)
        decision = self.thresholds.decision_for(score) if score > 0 else Decision.ALLOW
        reasons = self.reasons(row, pushes)
        because = "; ".join(r["explanation"] for r in reasons) or "nothing stands out"
        return Signal(
            code=f"model.{self.name}",
            reason=f"fraud model gives {probability:.0%}: {because}",
            score=score,
            action=None if decision is Decision.ALLOW else decision,
            source=f"model:{self.label}",
            evidence={"probability": round(probability, 4), "top_features": reasons},
            shadow=shadow,
        )

    def reasons(
        self, row: np.ndarray[Any, Any], pushes: list[tuple[str, float]]
    ) -> list[dict[str, Any]]:
        """The features that pushed the score up most, in words (SHAP contributions)."""
        pushes = sorted(pushes, key=lambda p: p[1], reverse=True)
        values = dict(zip(self.fitted.features, row.tolist(), strict=True))
        return [
            {
                "feature": name,
                "value": None if math.isnan(values[name]) else values[name],
                "effect": round(push, 3),
                "explanation": self.features.explain(name, values[name]),
            }
            for name, push in pushes[:TOP_REASONS]
            if push > 0 and not math.isnan(values[name])
        ]


def running_model(record: ModelRecord) -> RunningModel:
    features = feature_set(record.kind)
    if features is None or features.version != record.feature_set:
        raise Conflict(
            f"model {record.name}@{record.version} was trained on {record.feature_set}, "
            f"which this TradeGuard does not compute"
        )
    return RunningModel(
        name=record.name,
        version=record.version,
        kind=record.kind,
        fitted=FittedModel.from_artefact(orjson.loads(record.artefact)),
        features=features,
        thresholds=Thresholds.model_validate(record.thresholds),
    )


def score_stored(
    session: Session,
    *,
    name: str,
    version: int,
    since: datetime | None = None,
    until: datetime | None = None,
    chunk: int = 50_000,
) -> Iterator[tuple[list[str], npt.NDArray[np.float64]]]:
    """Re-score stored events from the feature vectors they were screened with, in chunks.

    This is how a candidate is compared with the live model on months of history: no event is
    replayed, so a million orders take seconds of reading and LightGBM, not a replay.
    """
    running = running_model(get_record(session, name, version))
    query = (
        select(EventRecord.event_id, FeatureVector.vector)
        .join(FeatureVector, FeatureVector.event_pk == EventRecord.id)
        .where(
            EventRecord.kind == running.kind,
            FeatureVector.feature_set == running.features.version,
        )
        .order_by(EventRecord.id)
        .execution_options(yield_per=chunk)
    )
    if since is not None:
        query = query.where(EventRecord.occurred_at >= since)
    if until is not None:
        query = query.where(EventRecord.occurred_at < until)
    width = len(running.features.names)
    for part in session.execute(query).partitions(chunk):
        rows = unpack([vector for _, vector in part], width)
        yield [event_id for event_id, _ in part], running.fitted.probability(rows)


class ActiveModels:
    """Process-wide cache of loaded live and shadow models, per database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[object, tuple[float, list[tuple[RunningModel, bool]]]] = {}
        self._loaded: dict[tuple[str, int, str], RunningModel] = {}

    def invalidate(self) -> None:
        self._running.clear()

    def for_kind(self, session: Session, kind: str) -> list[tuple[RunningModel, bool]]:
        """``(model, is_shadow)`` for every model that scores this kind now."""
        database = session.get_bind().engine
        loaded_at, models = self._running.get(database, (float("-inf"), []))
        if time.monotonic() - loaded_at >= REFRESH_SECONDS:
            with self._lock:
                models = self._load(session)
                self._running[database] = (time.monotonic(), models)
        return [(m, shadow) for m, shadow in models if m.kind == kind]

    def _load(self, session: Session) -> list[tuple[RunningModel, bool]]:
        rows = session.scalars(
            select(ModelRecord)
            .where(ModelRecord.status.in_(("live", "shadow")))
            .order_by(ModelRecord.name, ModelRecord.status)
        ).all()
        loaded = []
        for record in rows:
            key = (record.name, record.version, record.sha256)
            if key not in self._loaded:
                self._loaded[key] = running_model(record)
            loaded.append((self._loaded[key], record.status == "shadow"))
        return loaded


ACTIVE_MODELS = ActiveModels()
