"""Dashboard aggregates agree with what was screened, on both databases."""

from __future__ import annotations

from datetime import timedelta

from tests.engine.test_screening import send
from tests.factories import T0, login
from tradeguard.db.session import unit_of_work
from tradeguard.engine import cases, stats
from tradeguard.runtime import Runtime


def seed(runtime: Runtime) -> None:
    for i in range(25):  # 09:00-09:02 on T0: brute force on mallory
        send(runtime, login(account="mallory", success=False, minutes=i * 0.1))
    send(runtime, login(account="carol", minutes=90))  # 10:30
    send(runtime, login(account="dave", at=T0 + timedelta(days=1)))


def test_volumes_bucket_by_event_hour_and_day(runtime: Runtime) -> None:
    seed(runtime)
    with unit_of_work(runtime.sessions) as session:
        hourly = stats.volumes(session, since=T0, until=T0 + timedelta(days=2), bucket="hour")
        daily = stats.volumes(session, since=T0, until=T0 + timedelta(days=2), bucket="day")
    by_hour: dict[tuple[str, str], int] = {}
    for row in hourly:
        by_hour[(row.bucket, row.decision)] = by_hour.get((row.bucket, row.decision), 0) + row.count
    assert sum(n for (b, _), n in by_hour.items() if b == "2026-03-02 09") == 25
    assert by_hour[("2026-03-02 10", "allow")] == 1
    assert by_hour[("2026-03-03 09", "allow")] == 1
    assert {(r.bucket, r.kind) for r in daily} >= {("2026-03-02", "login"), ("2026-03-03", "login")}
    assert sum(r.count for r in daily) == 27


def test_top_rules_count_verdicts_per_signal(runtime: Runtime) -> None:
    seed(runtime)
    with unit_of_work(runtime.sessions) as session:
        top = stats.top_rules(session, since=T0, until=T0 + timedelta(days=2))
        nothing = stats.top_rules(session, since=T0 - timedelta(days=9), until=T0)
    counts = {r.code: r.count for r in top}
    # brute_force_account fires from the 5th to the 25th failure in 10 minutes.
    assert counts["rule.brute_force_account"] == 21
    assert counts["rule.brute_force_account_ip"] == 16  # 10th to 25th failure from one IP
    assert top == sorted(top, key=lambda r: (-r.count, r.code))
    assert nothing == []


def test_queue_summary(runtime: Runtime) -> None:
    seed(runtime)
    with unit_of_work(runtime.sessions) as session:
        open_cases = cases.list_cases(session, status="open")
        cases.claim(session, case_id=open_cases[0].id, actor="operator:ana")
        cases.resolve(
            session,
            case_id=open_cases[1].id,
            actor="operator:ana",
            resolution=cases.CaseResolve(label="fraud"),
        )
        summary = stats.queue(session, resolved_since=T0)
        assert summary.claimed == 1
        assert summary.open == len(open_cases) - 2
        assert summary.by_kind == {"login": len(open_cases) - 1}
        assert summary.resolved_since == {"fraud": 1}
        assert summary.oldest_opened_at is not None
        assert summary.oldest_opened_at.tzinfo is not None
        assert stats.latest_event_time(session) == T0 + timedelta(days=1)
