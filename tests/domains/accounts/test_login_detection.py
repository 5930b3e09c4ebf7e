"""The default login pack on simulated traffic: attacks are caught, customers are left alone."""

from __future__ import annotations

from collections import Counter

from tradeguard.domains.accounts.evaluation import decisions_by_truth
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.runtime import Runtime


def test_simulation_is_deterministic() -> None:
    first = simulate_logins(seed=3, customers=60)
    assert first == simulate_logins(seed=3, customers=60)
    assert first != simulate_logins(seed=4, customers=60)
    assert {s.truth for s in first} >= {"normal", "brute_force", "password_spraying"}
    assert all(s.truth == "normal" or s.country for s in first)


def caught(counts: Counter[str]) -> float:
    return 1 - counts["allow"] / sum(counts.values())


def test_default_pack_catches_attacks_without_bothering_customers(runtime: Runtime) -> None:
    tally = decisions_by_truth(runtime, seed=7, customers=250)
    normal = tally["normal"]
    assert normal["block"] == 0
    assert normal["challenge"] + normal["review"] <= 0.01 * sum(normal.values())
    for attack in (
        "brute_force",
        "password_spraying",
        "credential_stuffing",
        "low_and_slow_spraying",
        "credential_stuffing_residential",
    ):
        assert caught(tally[attack]) >= 0.6, (attack, tally[attack])
    takeovers = tally["account_takeover (successful login)"]
    assert takeovers["review"] + takeovers["block"] >= 0.5 * sum(takeovers.values()), takeovers
    assert caught(tally["phished_takeover (successful login)"]) >= 0.5
