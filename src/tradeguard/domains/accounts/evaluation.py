"""Screen simulated login traffic through the real engine and tally decisions by truth."""

from __future__ import annotations

from collections import Counter, defaultdict

from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime


def decisions_by_truth(rt: Runtime, *, seed: int, customers: int) -> dict[str, Counter[str]]:
    """For each truth ("normal" or an attack), how many of its events got each decision."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for item in simulate_logins(seed=seed, customers=customers):
        verdict = ingest(
            rt.sessions, kind="login", raw=item.event, actor="eval", counters=rt.counters
        )
        key = item.truth
        if item.truth == "account_takeover" and item.event["success"]:
            key = "account_takeover (the successful login)"
        tally[key][verdict.decision.value] += 1
    return dict(tally)
