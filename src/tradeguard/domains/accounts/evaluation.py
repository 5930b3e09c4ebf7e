"""Screen simulated login traffic through the real engine and tally decisions by truth."""

from __future__ import annotations

from collections import Counter, defaultdict

from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.domains.accounts.simulate_signups import simulate_signups
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime

AFTER_TAKEOVER = "normal (the owner, after a takeover)"


def decisions_by_truth(rt: Runtime, *, seed: int, customers: int) -> dict[str, Counter[str]]:
    """For each truth ("normal" or an attack), how many of its events got each decision.

    An attack's successful logins are counted apart from its failures (they are the harm),
    and so are the owner's own logins once an attacker has got into the account: the account
    then really is used from two places, and impossible travel rightly says so.
    """
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    taken_over: set[str] = set()
    for item in simulate_logins(seed=seed, customers=customers):
        verdict = ingest(
            rt.sessions, kind="login", raw=item.event, actor="eval", counters=rt.counters
        )
        account, key = item.event["account_id"], item.truth
        if item.truth != "normal" and item.event["success"]:
            key = f"{item.truth} (successful login)"
            taken_over.add(account)
        elif item.truth == "normal" and account in taken_over:
            key = AFTER_TAKEOVER
        tally[key][verdict.decision.value] += 1
    return dict(tally)


def signup_decisions_by_truth(rt: Runtime, *, seed: int, customers: int) -> dict[str, Counter[str]]:
    """For each sign-up truth ("normal", "fake_account_farm"...), its events' decisions."""
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    for item in simulate_signups(seed=seed, customers=customers):
        verdict = ingest(
            rt.sessions, kind="signup", raw=item.event, actor="eval", counters=rt.counters
        )
        tally[item.truth][verdict.decision.value] += 1
    return dict(tally)
