"""Signals and verdicts: what the checks found and what the engine decided."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field


class Decision(StrEnum):
    ALLOW = "allow"
    CHALLENGE = "challenge"  # step-up: MFA, 3-D Secure
    REVIEW = "review"
    BLOCK = "block"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def opens_case(self) -> bool:
        return self in (Decision.REVIEW, Decision.BLOCK)


_RANK = {Decision.ALLOW: 0, Decision.CHALLENGE: 1, Decision.REVIEW: 2, Decision.BLOCK: 3}


class Signal(BaseModel):
    """One finding with a reason a person can read and the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    code: str
    reason: str
    score: int = Field(default=0, ge=0, le=100)
    action: Decision | None = None
    source: str = ""
    evidence: dict[str, Any] = Field(default_factory=dict)
    shadow: bool = False
    recommend: list[str] = Field(default_factory=list)  # e.g. revoke_sessions, reset_password


class Thresholds(BaseModel):
    """Score at or above which a decision is taken, when no signal forces one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    challenge: int = Field(default=30, ge=1, le=100)
    review: int = Field(default=60, ge=1, le=100)
    block: int = Field(default=90, ge=1, le=100)

    def decision_for(self, score: int) -> Decision:
        if score >= self.block:
            return Decision.BLOCK
        if score >= self.review:
            return Decision.REVIEW
        if score >= self.challenge:
            return Decision.CHALLENGE
        return Decision.ALLOW

    @staticmethod
    def strictest(options: list[Thresholds]) -> Thresholds:
        if not options:
            return Thresholds()
        return Thresholds(
            challenge=min(t.challenge for t in options),
            review=min(t.review for t in options),
            block=min(t.block for t in options),
        )


ALLOW_LIST_CODE = "list.allow"
BLOCK_LIST_CODE = "list.block"
# A forced decision lifts the score at least to this floor so score and decision agree.
_FLOOR = {Decision.ALLOW: 0, Decision.CHALLENGE: 30, Decision.REVIEW: 60, Decision.BLOCK: 90}


def decide(signals: list[Signal], thresholds: Thresholds) -> tuple[Decision, int]:
    """Combine live signals: a block-list hit wins, then an allow-list hit, then rules and score."""
    live = [s for s in signals if not s.shadow]
    score = min(100, sum(s.score for s in live))
    if any(s.code.startswith(BLOCK_LIST_CODE) for s in live):
        return Decision.BLOCK, max(score, _FLOOR[Decision.BLOCK])
    if any(s.code.startswith(ALLOW_LIST_CODE) for s in live):
        return Decision.ALLOW, score
    forced = max((s.action for s in live if s.action), key=lambda d: d.rank, default=None)
    by_score = thresholds.decision_for(score)
    decision = forced if forced is not None and forced.rank > by_score.rank else by_score
    return decision, max(score, _FLOOR[decision])


class Verdict(BaseModel):
    """The answer for one event; the same event id always gets the same verdict back."""

    event_id: str
    kind: str
    occurred_at: datetime
    decision: Decision
    score: int
    signals: list[Signal]
    shadow_signals: list[Signal] = Field(default_factory=list)
    rule_packs: list[str] = Field(default_factory=list)
    model_versions: list[str] = Field(default_factory=list)
    latency_ms: float
    case_id: int | None = None
    replayed: bool = False
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommended_actions(self) -> list[str]:
        """What the store should do besides deciding, from the live signals, in first-seen order."""
        return list(dict.fromkeys(a for s in self.signals for a in s.recommend))
