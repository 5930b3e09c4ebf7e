"""How signals combine into a decision and a score."""

from __future__ import annotations

from tradeguard.engine.verdicts import Decision, Signal, Thresholds, decide

T = Thresholds(challenge=30, review=60, block=90)


def sig(code: str, score: int = 0, action: Decision | None = None, shadow: bool = False) -> Signal:
    return Signal(code=code, reason=code, score=score, action=action, shadow=shadow)


def test_no_signals_allows_with_zero() -> None:
    assert decide([], T) == (Decision.ALLOW, 0)


def test_scores_add_up_to_a_threshold_and_cap_at_100() -> None:
    assert decide([sig("a", 20), sig("b", 15)], T) == (Decision.CHALLENGE, 35)
    assert decide([sig("a", 70), sig("b", 70)], T) == (Decision.BLOCK, 100)


def test_a_forced_action_lifts_the_score_to_its_floor() -> None:
    assert decide([sig("a", 10, Decision.REVIEW)], T) == (Decision.REVIEW, 60)


def test_a_forced_action_never_lowers_the_decision() -> None:
    assert decide([sig("a", 95, Decision.CHALLENGE)], T) == (Decision.BLOCK, 95)


def test_shadow_signals_do_not_count() -> None:
    assert decide([sig("a", 95, Decision.BLOCK, shadow=True)], T) == (Decision.ALLOW, 0)


def test_block_list_beats_allow_list_beats_rules() -> None:
    block, allow = sig("list.block.ip"), sig("list.allow.account")
    rule = sig("rule.x", 80, Decision.BLOCK)
    assert decide([allow, block], T)[0] is Decision.BLOCK
    assert decide([allow, rule], T)[0] is Decision.ALLOW


def test_strictest_thresholds_win() -> None:
    merged = Thresholds.strictest([T, Thresholds(challenge=40, review=50, block=95)])
    assert merged == Thresholds(challenge=30, review=50, block=90)
