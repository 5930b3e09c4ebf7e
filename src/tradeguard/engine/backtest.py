"""Back-test a rule pack on stored events: what would it have flagged, and was it right?

Nothing is written: the events, verdicts and counters already stored are read as they were
at each event's time (counter windows end at the event), and case labels are the truth.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from tradeguard.engine import audit
from tradeguard.engine.counters import CounterStore
from tradeguard.engine.events import parse_event
from tradeguard.engine.rulepacks import ACTIVE, get_record
from tradeguard.engine.rules import RulePack, load_pack
from tradeguard.engine.screening import evaluate
from tradeguard.engine.tables import CaseRecord, EventRecord, VerdictRecord
from tradeguard.engine.verdicts import Decision, decide
from tradeguard.errors import Invalid


class HitStats(BaseModel):
    """Hits and, where events were labelled, how many were right."""

    hits: int = 0
    fraud_hits: int = 0
    legitimate_hits: int = 0
    hit_rate: float = 0.0
    precision: float | None = None
    recall: float | None = None

    def finish(self, events: int, fraud_events: int) -> HitStats:
        labelled = self.fraud_hits + self.legitimate_hits
        return self.model_copy(
            update={
                "hit_rate": self.hits / events if events else 0.0,
                "precision": self.fraud_hits / labelled if labelled else None,
                "recall": self.fraud_hits / fraud_events if fraud_events else None,
            }
        )


class RuleResult(HitStats):
    rule_id: str
    shadow: bool = False
    errors: int = 0


class BacktestReport(BaseModel):
    pack: str
    since: datetime
    until: datetime
    events: int
    labelled_events: int
    fraud_events: int
    rules: list[RuleResult]
    flagged: HitStats
    decisions: dict[str, int]
    changed_decisions: int


def backtest(
    session: Session,
    *,
    pack: RulePack,
    since: datetime,
    until: datetime,
    counters: CounterStore,
    batch_size: int = 2000,
) -> BacktestReport:
    """Replay stored events of the pack's kinds in ``[since, until)``, oldest first."""
    others = [(p, s) for p, s in ACTIVE.get(session) if p.spec.id != pack.spec.id and not s]
    stats: dict[str, dict[str, Any]] = {
        r.spec.id: {"hits": 0, "fraud": 0, "legit": 0, "errors": 0} for r in pack.rules
    }
    flagged = {"hits": 0, "fraud": 0, "legit": 0}
    decisions: Counter[str] = Counter()
    totals = {"events": 0, "labelled": 0, "fraud": 0, "changed": 0}
    prefix = f"rule:{pack.label}/"
    for record, stored_decision, label in _stored(session, pack, since, until, batch_size):
        event = parse_event(
            record.kind,
            {"id": record.event_id, "occurred_at": record.occurred_at, **record.payload},
            now=record.occurred_at,
        )
        found = evaluate(session, event=event, counters=counters, packs=[*others, (pack, False)])
        signals = found.signals
        decision, _ = decide(signals, found.thresholds)
        totals["events"] += 1
        totals["labelled"] += label is not None
        totals["fraud"] += label == "fraud"
        totals["changed"] += decision.value != stored_decision
        decisions[decision.value] += 1
        fired = {
            s.source.removeprefix(prefix): s.code.startswith("rule_error.")
            for s in signals
            if s.source.startswith(prefix)
        }
        for rule_id, is_error in fired.items():
            _count(stats[rule_id], "errors" if is_error else "hits", label, is_error)
        if decision.rank >= Decision.REVIEW.rank:
            _count(flagged, "hits", label, False)
    events, fraud = totals["events"], totals["fraud"]
    rules = [
        RuleResult(
            rule_id=rule.spec.id,
            shadow=rule.spec.shadow,
            hits=stats[rule.spec.id]["hits"],
            fraud_hits=stats[rule.spec.id]["fraud"],
            legitimate_hits=stats[rule.spec.id]["legit"],
            errors=stats[rule.spec.id]["errors"],
        ).finish(events, fraud)
        for rule in pack.rules
    ]
    overall = HitStats(
        hits=flagged["hits"], fraud_hits=flagged["fraud"], legitimate_hits=flagged["legit"]
    ).finish(events, fraud)
    session.rollback()
    return BacktestReport(
        pack=pack.label,
        since=since,
        until=until,
        events=events,
        labelled_events=totals["labelled"],
        fraud_events=fraud,
        rules=rules,
        flagged=overall,
        decisions=dict(decisions),
        changed_decisions=totals["changed"],
    )


def backtest_version(
    session: Session,
    *,
    pack_id: str,
    version: int,
    since: datetime,
    until: datetime,
    counters: CounterStore,
    actor: str,
) -> BacktestReport:
    """Back-test a stored pack version, whatever its status.

    Audited: a back-test is how a person reviews a pack, and the protection levels count
    reviews (``rules.reviewed``). The stored verdicts are never changed.
    """
    if until <= since:
        raise Invalid("the back-test window must end after it starts")
    record = get_record(session, pack_id, version)
    assert record is not None
    report = backtest(
        session, pack=load_pack(record.source), since=since, until=until, counters=counters
    )
    audit.record(
        session,
        actor=actor,
        action="rule_pack.backtest",
        target_type="rule_pack",
        target_id=report.pack,
        after={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "events": report.events,
            "labelled_events": report.labelled_events,
            "changed_decisions": report.changed_decisions,
        },
        versions=[report.pack],
    )
    return report


def _count(bucket: dict[str, Any], field: str, label: str | None, is_error: bool) -> None:
    bucket[field] += 1
    if not is_error and label == "fraud":
        bucket["fraud"] += 1
    elif not is_error and label == "legitimate":
        bucket["legit"] += 1


def _stored(
    session: Session, pack: RulePack, since: datetime, until: datetime, batch_size: int
) -> Any:
    """Stored events with their live decision and case label, streamed in batches."""
    query = (
        select(EventRecord, VerdictRecord.decision, CaseRecord.label)
        .join(VerdictRecord, VerdictRecord.event_pk == EventRecord.id)
        .outerjoin(CaseRecord, CaseRecord.event_pk == EventRecord.id)
        .where(
            EventRecord.kind.in_(pack.spec.kinds),
            EventRecord.occurred_at >= since,
            EventRecord.occurred_at < until,
        )
        .order_by(EventRecord.occurred_at, EventRecord.id)
        .execution_options(yield_per=batch_size)
    )
    yield from session.execute(query)
