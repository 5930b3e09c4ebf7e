"""Back-tests score a pack against case labels and leave stored verdicts alone."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.engine.test_screening import send
from tests.factories import T0, login
from tradeguard.db.session import unit_of_work
from tradeguard.engine import cases, rulepacks
from tradeguard.engine.backtest import backtest
from tradeguard.engine.rules import load_pack
from tradeguard.engine.tables import VerdictRecord
from tradeguard.runtime import Runtime

CANDIDATE = """
id: login-candidate
version: 1
kinds: [login]
rules:
  - id: four_failures
    expression: "!event.success && velocity('login.failure', 'account', '10m') >= 4"
    action: review
    reason: "{n} failures"
    evidence: {n: "velocity('login.failure', 'account', '10m')"}
"""


def test_precision_and_recall_against_labels(runtime: Runtime) -> None:
    # An attacker hammers "mallory"; a forgetful customer "carol" fails 4 times in a row.
    for i in range(30):  # from five addresses, so only the account-wide lock-out blocks
        send(
            runtime,
            login(account="mallory", ip=f"203.0.113.{i % 5}", success=False, minutes=i * 0.2),
        )
    for i in range(4):
        send(runtime, login(account="carol", ip="198.51.100.50", success=False, minutes=i))
    send(runtime, login(account="carol", ip="198.51.100.50", success=True, minutes=5))
    with unit_of_work(runtime.sessions) as session:
        open_cases = cases.list_cases(session, status="open")
        for case in open_cases:
            cases.resolve(
                session, case_id=case.id, actor="ana", resolution=cases.CaseResolve(label="fraud")
            )
        before = list(session.scalars(select(VerdictRecord.decision)))
    with unit_of_work(runtime.sessions) as session:
        report = backtest(
            session,
            pack=load_pack(CANDIDATE),
            since=T0 - timedelta(hours=1),
            until=T0 + timedelta(hours=1),
            counters=runtime.counters(session),
        )
    assert report.events == 35
    assert report.fraud_events == len(open_cases) == 1  # one block on mallory's 30th failure
    [rule] = report.rules
    assert rule.hits == 27 + 1  # mallory's 4th..30th failure, carol's 4th
    assert rule.fraud_hits == 1
    assert rule.recall == 1.0
    assert rule.precision == 1.0  # only labelled hits count towards precision
    assert report.flagged.hits == 28
    with unit_of_work(runtime.sessions) as session:
        assert list(session.scalars(select(VerdictRecord.decision))) == before
        assert [r.pack_id for r in rulepacks.list_records(session)] == [
            "login-default",
            "mail-default",
            "merchant-default",
            "order-default",
            "signup-default",
        ]
