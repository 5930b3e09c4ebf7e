"""Rule packs: refused on load with the rule and the CEL problem named; evaluated safely."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pytest

from tradeguard.engine.rules import RulePackError, evaluate_pack, load_pack
from tradeguard.engine.verdicts import Decision, Verdict


def pack(rules: str, **top: Any) -> str:
    head = {"id": "test-pack", "version": 1, "kinds": "[login]", **top}
    lines = "".join(f"{k}: {v}\n" for k, v in head.items())
    return lines + "rules:\n" + textwrap.indent(textwrap.dedent(rules), "  ")


GOOD = pack(
    """
    - id: many_failures
      expression: "!event.success && velocity('login.failure', 'account', '10m') >= 3"
      action: review
      reason: "{n} failures"
      evidence: {n: "velocity('login.failure', 'account', '10m')"}
    """
)


def test_the_default_login_pack_loads() -> None:
    source = resources.files("tradeguard.rulepacks").joinpath("login-default.yaml").read_text()
    loaded = load_pack(source)
    assert loaded.label == "login-default@1"
    assert len(loaded.rules) >= 5


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            pack("- id: broken\n  expression: 'event.success &&'\n  reason: r\n"),
            "rule 'broken' expression: CEL error",
        ),
        (
            pack("- id: typo\n  expression: \"velocty('a','account','1h') > 1\"\n  reason: r\n"),
            "rule 'typo' expression: unknown function(s) ['velocty']",
        ),
        (
            pack("- id: stray\n  expression: 'order.amount > 1'\n  reason: r\n"),
            "rule 'stray' expression: unknown variable(s) ['order']",
        ),
        (
            pack("- id: noev\n  expression: 'true'\n  reason: '{count} seen'\n"),
            "rule 'noev': reason uses ['count']",
        ),
        (
            pack("- id: act\n  expression: 'true'\n  reason: r\n  action: delete\n"),
            "rule 'act': action",
        ),
        (
            pack(
                "- id: dup\n  expression: 'true'\n  reason: r\n- id: dup\n  expression: 'true'\n"
                "  reason: r\n"
            ),
            "appears twice",
        ),
        (
            pack("- id: evbad\n  expression: 'true'\n  reason: '{x}'\n  evidence: {x: '1 +'}\n"),
            "rule 'evbad' evidence.x: CEL error",
        ),
        (
            pack("- id: kk\n  expression: 'true'\n  reason: r\n  kinds: [order]\n"),
            "rule 'kk': kinds ['order'] not in pack kinds",
        ),
        (
            pack(
                "- id: win\n  expression: \"velocity('login.failure', 'account', '10x') > 1\"\n"
                "  reason: r\n"
            ),
            "rule 'win': window '10x'",
        ),
        (
            pack(
                "- id: typo\n  expression: \"velocity('login.fail', 'account', '1h') > 1\"\n"
                "  reason: r\n"
            ),
            "rule 'typo': no event kind feeds a counter 'login.fail' per 'account'",
        ),
        (
            pack("- id: xx\n  expression: 'true'\n  reason: r\n", kinds="[wire]"),
            "rule pack kinds: unknown event kind 'wire'",
        ),
        (
            pack("- id: pp\n  expression: 'params.limt > 1'\n  reason: r\n", params="{limit: 3}"),
            "rule 'pp': unknown parameter(s) ['limt']; pack params: limit",
        ),
        (
            pack("- id: rr\n  expression: 'true'\n  reason: r\n  recommend: [delete_account]\n"),
            "rule 'rr': recommend",
        ),
        ("rules: [unclosed", "not valid YAML"),
        ("- just a list", "must be a YAML mapping"),
        (pack("[]"), "rules"),
        ("id: x\nversion: 1\nkinds: [login]\nrules: []\n", "id"),
    ],
)
def test_bad_packs_are_refused_naming_the_problem(source: str, message: str) -> None:
    with pytest.raises(RulePackError) as caught:
        load_pack(source)
    assert message in caught.value.detail


def functions(**counts: int) -> dict[str, Any]:
    return {
        "velocity": lambda metric, entity, window: counts.get(metric, 0),
        "velocity_sum": lambda *a: 0.0,
        "velocity_distinct": lambda *a: 0,
        "listed": lambda *a: False,
    }


def test_a_firing_rule_gives_a_signal_with_reason_and_evidence() -> None:
    loaded = load_pack(GOOD)
    event = {"event": {"success": False}, "entities": {}}
    [signal] = evaluate_pack(loaded, "login", event, functions(**{"login.failure": 4}))
    assert signal.code == "rule.many_failures"
    assert signal.action is Decision.REVIEW
    assert signal.reason == "4 failures"
    assert signal.evidence == {"n": 4}
    assert signal.source == "rule:test-pack@1/many_failures"
    assert evaluate_pack(loaded, "login", event, functions()) == []


def test_a_rule_that_fails_at_run_time_becomes_an_error_signal() -> None:
    loaded = load_pack(pack("- id: missing\n  expression: 'event.nothere > 1'\n  reason: r\n"))
    [signal] = evaluate_pack(loaded, "login", {"event": {}, "entities": {}}, functions())
    assert signal.code == "rule_error.missing"
    assert signal.score == 0


def test_a_non_boolean_expression_is_an_error_not_a_hit() -> None:
    loaded = load_pack(pack("- id: num\n  expression: '1 + 1'\n  reason: r\n"))
    [signal] = evaluate_pack(loaded, "login", {"event": {}, "entities": {}}, functions())
    assert signal.code == "rule_error.num"


def test_disabled_and_shadow_rules() -> None:
    loaded = load_pack(
        pack(
            """
            - id: switched_off
              expression: 'true'
              reason: r
              enabled: false
            - id: quiet
              expression: 'true'
              reason: r
              shadow: true
            """
        )
    )
    [signal] = evaluate_pack(loaded, "login", {"event": {}, "entities": {}}, functions())
    assert (signal.code, signal.shadow) == ("rule.quiet", True)


def test_rules_read_pack_parameters() -> None:
    source = pack(
        """
        - id: tuned
          expression: "velocity('login.failure', 'account', '10m') >= params.failures"
          reason: "{n} failures, limit {limit}"
          evidence: {n: "velocity('login.failure', 'account', '10m')", limit: params.failures}
        """,
        params="{failures: 3}",
    )
    loaded = load_pack(source)
    event = {"event": {}, "entities": {}}
    [signal] = evaluate_pack(loaded, "login", event, functions(**{"login.failure": 3}))
    assert signal.reason == "3 failures, limit 3"
    stricter = load_pack(source.replace("failures: 3", "failures: 5"))
    assert evaluate_pack(stricter, "login", event, functions(**{"login.failure": 3})) == []


def test_recommendations_travel_from_rules_to_the_verdict() -> None:
    loaded = load_pack(
        pack(
            """
            - id: takeover
              expression: 'true'
              action: review
              reason: r
              recommend: [revoke_sessions, reset_password]
            - id: also
              expression: 'true'
              reason: r
              recommend: [reset_password, notify_account_owner]
            """
        )
    )
    signals = evaluate_pack(loaded, "login", {"event": {}, "entities": {}}, functions())
    verdict = Verdict(
        event_id="e",
        kind="login",
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        decision=Decision.REVIEW,
        score=80,
        signals=signals,
        latency_ms=1,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert verdict.recommended_actions == [
        "revoke_sessions",
        "reset_password",
        "notify_account_owner",
    ]
    assert verdict.model_dump()["recommended_actions"] == verdict.recommended_actions
