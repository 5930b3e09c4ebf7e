"""The engine end to end on both stores: idempotency, the default login pack, lists, cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.factories import login
from tradeguard.db.session import unit_of_work
from tradeguard.engine import audit, cases, lists
from tradeguard.engine.events import parse_event
from tradeguard.engine.screening import observations
from tradeguard.engine.service import ingest
from tradeguard.engine.tables import CounterObservation, EventRecord, VerdictRecord
from tradeguard.engine.verdicts import Decision, Verdict
from tradeguard.errors import Conflict, Invalid, NotFound
from tradeguard.runtime import Runtime


def send(rt: Runtime, event: dict[str, Any], kind: str = "login") -> Verdict:
    return ingest(rt.sessions, kind=kind, raw=event, actor="test", counters=rt.counters)


def count(rt: Runtime, table: Any) -> int:
    with unit_of_work(rt.sessions) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def codes(verdict: Verdict) -> set[str]:
    return {s.code for s in verdict.signals}


def test_a_plain_login_is_allowed_with_versions_and_latency(runtime: Runtime) -> None:
    verdict = send(runtime, login())
    assert verdict.decision is Decision.ALLOW
    assert verdict.score == 0
    assert verdict.rule_packs == ["login-default@1"]
    assert verdict.latency_ms > 0
    assert not verdict.replayed


def test_same_event_twice_returns_the_stored_verdict_and_counts_once(runtime: Runtime) -> None:
    event = login(success=False)
    first = send(runtime, event)
    observations = count(runtime, CounterObservation)
    again = send(runtime, dict(event))
    assert again.replayed
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})
    assert count(runtime, CounterObservation) == observations
    assert count(runtime, EventRecord) == 1


def test_a_different_payload_under_a_known_id_is_refused(runtime: Runtime) -> None:
    event = login(success=False)
    send(runtime, event)
    with pytest.raises(Conflict):
        send(runtime, {**event, "success": True})
    assert count(runtime, EventRecord) == 1


def test_invalid_events_store_nothing(runtime: Runtime) -> None:
    with pytest.raises(Invalid):
        send(runtime, login(success="yes"))
    with pytest.raises(NotFound):
        send(runtime, login(), kind="nope")
    assert count(runtime, EventRecord) == 0
    assert count(runtime, CounterObservation) == 0


def test_brute_force_on_one_account_is_challenged_then_blocked(runtime: Runtime) -> None:
    verdicts = [
        send(runtime, login(success=False, minutes=i * 0.5, ip=f"203.0.113.{i % 5}"))
        for i in range(30)
    ]
    assert all(v.decision is Decision.ALLOW for v in verdicts[:4])
    fifth = verdicts[4]
    assert fifth.decision is Decision.CHALLENGE
    signal = next(s for s in fifth.signals if s.code == "rule.brute_force_account")
    assert signal.reason == "5 failed logins on this account in 10 minutes, from 5 IP address(es)"
    assert signal.evidence == {"failures": 5, "ips": 5}
    assert all(v.decision is Decision.CHALLENGE for v in verdicts[4:29])  # 6 per IP at most
    assert verdicts[-1].decision is Decision.BLOCK  # the 30th in 12 hours: Keycloak's lock-out
    assert "rule.brute_force_account_lock" in codes(verdicts[-1])
    assert verdicts[-1].recommended_actions == ["notify_account_owner"]
    assert verdicts[-1].case_id is not None


def test_password_spraying_from_one_ip_is_blocked(runtime: Runtime) -> None:
    verdicts = [
        send(
            runtime,
            login(
                account=f"victim-{i}", ip="192.0.2.66", device=None, success=False, minutes=i * 3
            ),
        )
        for i in range(10)
    ]
    assert "rule.spraying_ip_emerging" in codes(verdicts[3])
    assert verdicts[-1].decision is Decision.BLOCK
    assert "rule.password_spraying_ip" in codes(verdicts[-1])


def test_failures_far_apart_do_not_add_up(runtime: Runtime) -> None:
    verdicts = [send(runtime, login(success=False, minutes=i * 30)) for i in range(8)]
    assert all(v.decision is Decision.ALLOW for v in verdicts)


def test_takeover_after_failures_goes_to_review(runtime: Runtime) -> None:
    send(runtime, login(account="alice", ip="198.51.100.1", device="alice-phone", minutes=-600))
    for i in range(3):
        send(
            runtime,
            login(account="alice", ip=f"203.0.113.{i}", device="bot", success=False, minutes=i),
        )
    taken = send(
        runtime, login(account="alice", ip="203.0.113.99", device="evil-laptop", minutes=5)
    )
    assert taken.decision is Decision.REVIEW
    assert "rule.takeover_after_failures" in codes(taken)
    assert taken.case_id is not None
    usual = send(
        runtime, login(account="alice", ip="198.51.100.1", device="alice-phone", minutes=6)
    )
    assert usual.decision is Decision.ALLOW


def test_events_arriving_late_are_counted_in_their_own_time(runtime: Runtime) -> None:
    for i in (4, 3, 2, 1):
        send(runtime, login(success=False, minutes=i))
    late = send(runtime, login(success=False, minutes=0))
    assert late.decision is Decision.ALLOW  # only itself in (t-10m, t]
    latest = send(runtime, login(success=False, minutes=5))
    assert "rule.brute_force_account" in codes(latest)


def test_block_list_blocks_and_allow_list_overrides_rules(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        lists.add_entry(
            session,
            list_name="block",
            entity_type="ip",
            value="192.0.2.0/24",
            reason="known proxy range",
            actor="test",
        )
        lists.add_entry(
            session,
            list_name="allow",
            entity_type="account",
            value="qa-bot",
            reason="internal monitoring account",
            actor="test",
        )
    blocked = send(runtime, login(ip="192.0.2.44"))
    assert blocked.decision is Decision.BLOCK
    assert "list.block.ip" in codes(blocked)
    assert "known proxy range" in blocked.signals[0].reason
    qa = [send(runtime, login(account="qa-bot", success=False, minutes=i * 0.1)) for i in range(25)]
    assert all(v.decision is Decision.ALLOW for v in qa)
    assert "rule.brute_force_account_ip" in codes(qa[-1])


def test_removed_and_expired_entries_no_longer_match(runtime: Runtime) -> None:
    with unit_of_work(runtime.sessions) as session:
        entry = lists.add_entry(
            session,
            list_name="block",
            entity_type="device",
            value="d-9",
            reason="stolen",
            actor="test",
        )
    assert send(runtime, login(device="d-9")).decision is Decision.BLOCK
    with unit_of_work(runtime.sessions) as session:
        lists.remove_entry(session, entry_id=entry.id, actor="test")
    assert send(runtime, login(device="d-9", minutes=1)).decision is Decision.ALLOW


def test_cases_are_claimed_resolved_and_become_labels(runtime: Runtime) -> None:
    for i in range(20):
        last = send(runtime, login(success=False, minutes=i * 0.2))
    assert last.case_id is not None
    with unit_of_work(runtime.sessions) as session:
        cases.claim(session, case_id=last.case_id, actor="ana")
    with unit_of_work(runtime.sessions) as session, pytest.raises(Conflict):
        cases.claim(session, case_id=last.case_id, actor="bob")
    with unit_of_work(runtime.sessions) as session:
        cases.resolve(
            session,
            case_id=last.case_id,
            actor="ana",
            resolution=cases.CaseResolve(label="fraud", note="bot"),
        )
    with unit_of_work(runtime.sessions) as session:
        labels = cases.labels(session, kind="login")
        assert [(lb.event_id, lb.label) for lb in labels] == [(last.event_id, "fraud")]
        actions = [e.action for e in audit.search(session, target_type="case")]
        assert actions == ["case.resolve", "case.claim"]
    with unit_of_work(runtime.sessions) as session, pytest.raises(Conflict):
        cases.resolve(
            session,
            case_id=last.case_id,
            actor="ana",
            resolution=cases.CaseResolve(label="legitimate"),
        )


def test_every_verdict_is_audited_with_the_pack_version(runtime: Runtime) -> None:
    verdict = send(runtime, login())
    with unit_of_work(runtime.sessions) as session:
        [entry] = audit.search(session, action="verdict.create")
    assert entry.target_id == f"login:{verdict.event_id}"
    assert entry.versions == ["login-default@1"]
    assert entry.after == {"decision": "allow", "score": 0, "case_id": None}
    assert count(runtime, VerdictRecord) == 1


def test_audit_log_refuses_update_and_delete(runtime: Runtime) -> None:
    from sqlalchemy import delete
    from sqlalchemy.exc import DBAPIError

    from tradeguard.engine.tables import AuditEntry

    send(runtime, login())
    with pytest.raises(DBAPIError), unit_of_work(runtime.sessions) as session:
        session.execute(delete(AuditEntry))
    assert count(runtime, AuditEntry) >= 1


def test_rules_can_ask_whether_an_entity_is_listed(runtime: Runtime) -> None:
    from tradeguard.engine import rulepacks

    pack = """
id: watch
version: 1
kinds: [login]
rules:
  - id: watched_device_fails
    expression: "listed('block', 'device') || (listed('allow', 'ip') && !event.success)"
    action: review
    reason: watched
"""
    with unit_of_work(runtime.sessions) as session:
        rulepacks.upload(session, source=pack, actor="test")
        rulepacks.set_status(session, pack_id="watch", version=1, status="shadow", actor="test")
        lists.add_entry(
            session,
            list_name="allow",
            entity_type="ip",
            value="10.1.2.3",
            reason="office",
            actor="test",
        )
    verdict = send(runtime, login(ip="10.1.2.3", success=False))
    assert verdict.decision is Decision.ALLOW  # the allow list decides; the shadow rule records
    assert [s.code for s in verdict.shadow_signals] == ["rule.watched_device_fails"]


@pytest.mark.redis
def test_the_engine_runs_on_redis_counters(
    runtime: Runtime, redis_url: str, redis_prefix: str
) -> None:
    import redis

    from tradeguard.engine.counters import CounterKey, CounterQuery, RedisCounterStore

    store = RedisCounterStore(redis.Redis.from_url(redis_url), prefix=redis_prefix)
    runtime.counters = lambda _session: store
    verdicts = [send(runtime, login(success=False, minutes=i)) for i in range(5)]
    assert verdicts[-1].decision is Decision.CHALLENGE
    again = send(runtime, login(success=False, minutes=1, event_id=verdicts[1].event_id))
    assert again.replayed
    failures = CounterQuery(CounterKey("login.failure", "account", "acct-1"), timedelta(hours=1))
    assert store.query([failures], verdicts[-1].occurred_at) == [5]


def test_an_unreachable_counter_store_is_a_503_not_a_crash(runtime: Runtime) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    from tradeguard.engine.counters import CounterUnavailable, RedisCounterStore

    dead = RedisCounterStore(
        redis.Redis(port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    )
    runtime.counters = lambda _session: dead
    with pytest.raises(CounterUnavailable) as caught:
        send(runtime, login())
    assert caught.value.status == 503
    assert count(runtime, EventRecord) == 0


def test_the_same_event_sent_concurrently_is_stored_and_counted_once(runtime: Runtime) -> None:
    from concurrent.futures import ThreadPoolExecutor

    event = login(success=False)
    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = list(pool.map(lambda _: send(runtime, dict(event)), range(8)))
    assert sum(not v.replayed for v in verdicts) == 1
    assert len({(v.decision, v.score, v.created_at) for v in verdicts}) == 1
    assert count(runtime, EventRecord) == 1
    assert count(runtime, VerdictRecord) == 1
    with unit_of_work(runtime.sessions) as session:
        observed = session.scalar(select(func.count()).select_from(CounterObservation))
    assert observed == len(observations(parse_event("login", event)))
