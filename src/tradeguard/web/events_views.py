"""Events and verdicts: filter what was screened, read one verdict, follow an entity."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tradeguard.engine import history
from tradeguard.engine.events import event_kinds
from tradeguard.engine.verdicts import Decision, Signal, Verdict
from tradeguard.errors import Invalid
from tradeguard.web.forms import blank_none, moment
from tradeguard.web.mail_panel import mail_panel
from tradeguard.web.merchant_panel import merchant_panel
from tradeguard.web.security import PREFIX, SessionDep, Viewer
from tradeguard.web.templating import page

router = APIRouter(prefix=PREFIX, include_in_schema=False)
PAGE = 50
# Entities worth following from a verdict; pair entities (account_ip...) are counter keys.
FOLLOWED = ("account", "email", "card_fingerprint", "device", "ip", "merchant", "address_hash")


def _decision(value: str | None) -> Decision | None:
    if not value:
        return None
    try:
        return Decision(value)
    except ValueError:
        raise Invalid(f"decision must be one of {', '.join(d.value for d in Decision)}") from None


@router.get("/events")
def events(
    request: Request,
    session: SessionDep,
    current: Viewer,
    kind: str = "",
    decision: str = "",
    since: str = "",
    until: str = "",
    entity_type: str = "",
    entity: str = "",
    before: int | None = None,
) -> Response:
    found = history.search(
        session,
        kind=blank_none(kind),
        decision=_decision(blank_none(decision)),
        since=moment(since, field="from"),
        until=moment(until, end_of_day=True, field="to"),
        entity_type=blank_none(entity_type),
        entity_value=blank_none(entity),
        before_pk=before,
        limit=PAGE + 1,
    )
    filters = {
        "kind": kind,
        "decision": decision,
        "since": since,
        "until": until,
        "entity_type": entity_type,
        "entity": entity,
    }
    return page(
        request,
        "events.html",
        current,
        title="Events",
        events=found[:PAGE],
        older=found[PAGE - 1].cursor if len(found) > PAGE else None,
        filters=filters,
        kinds=sorted(event_kinds()),
        decisions=[d.value for d in Decision],
        entity_types=FOLLOWED,
    )


@router.get("/events/{kind}/{event_id}")
def event(
    request: Request, session: SessionDep, current: Viewer, kind: str, event_id: str
) -> Response:
    found = history.get(session, kind, event_id)
    return page(
        request,
        "event.html",
        current,
        title=f"{kind} {event_id}",
        e=found,
        explanations=model_explanations(found.verdict),
        message=mail_panel(found),
        merchant=merchant_panel(session, found),
        related=related_events(session, found, limit=10),
    )


@dataclass(frozen=True, slots=True)
class FeatureEffect:
    explanation: str
    value: str
    effect: str


@dataclass(frozen=True, slots=True)
class ModelExplanation:
    """A model signal told as a person reads it: how likely fraud, and what drove the score."""

    code: str
    source: str
    shadow: bool
    probability: str
    percent: float
    features: list[FeatureEffect]


def model_explanations(verdict: Verdict) -> list[ModelExplanation]:
    """Every model's finding on the verdict, the shadow models' too (they are tried on it)."""
    signals = [*verdict.signals, *verdict.shadow_signals]
    return [x for x in map(_explain, signals) if x is not None]


def _explain(signal: Signal) -> ModelExplanation | None:
    probability = signal.evidence.get("probability")
    if not signal.code.startswith("model.") or not isinstance(probability, int | float):
        return None
    return ModelExplanation(
        code=signal.code,
        source=signal.source,
        shadow=signal.shadow,
        probability=f"{probability:.1%}",
        percent=round(float(probability) * 100, 1),
        features=list(_effects(signal.evidence.get("top_features") or [])),
    )


def _effects(top: Iterable[Any]) -> Iterable[FeatureEffect]:
    """Rows of the explanation table; a malformed entry (stored by an older version) is skipped."""
    for item in top:
        if isinstance(item, dict) and item.get("explanation"):
            yield FeatureEffect(
                explanation=str(item["explanation"]),
                value=_number(item.get("value")),
                effect=_number(item.get("effect"), signed=True),
            )


def _number(value: object, *, signed: bool = False) -> str:
    """Counts as integers, ratios with two decimals; SHAP effects carry their sign."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "unknown" if value is None else str(value)
    if signed:
        return f"{value:+.3f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def related_events(
    session: Session, found: history.EventRead, *, limit: int
) -> dict[tuple[str, str], list[history.EventRead]]:
    """Other events of the same account, card, device, IP... newest first."""
    related = {}
    for entity_type in FOLLOWED:
        value = found.entities.get(entity_type)
        if value is None:
            continue
        others = history.search(
            session, entity_type=entity_type, entity_value=value, limit=limit + 1
        )
        related[(entity_type, value)] = [e for e in others if e.cursor != found.cursor][:limit]
    return related


@router.get("/entities/{entity_type}/{value}")
def entity(
    request: Request,
    session: SessionDep,
    current: Viewer,
    entity_type: str,
    value: str,
    before: int | None = None,
) -> Response:
    found = history.search(
        session, entity_type=entity_type, entity_value=value, before_pk=before, limit=PAGE + 1
    )
    decisions = {d.value: sum(1 for e in found if e.verdict.decision == d) for d in Decision}
    return page(
        request,
        "entity.html",
        current,
        title=f"{entity_type} {value}",
        entity_type=entity_type,
        value=value,
        events=found[:PAGE],
        decisions=decisions,
        older=found[PAGE - 1].cursor if len(found) > PAGE else None,
    )
