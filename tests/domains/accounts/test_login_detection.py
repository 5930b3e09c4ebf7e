"""The default login pack on simulated traffic: attacks are caught, customers are left alone."""

from __future__ import annotations

from tradeguard.domains.accounts.evaluation import decisions_by_truth
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.runtime import Runtime


def test_simulation_is_deterministic() -> None:
    first = simulate_logins(seed=3, customers=60)
    assert first == simulate_logins(seed=3, customers=60)
    assert first != simulate_logins(seed=4, customers=60)
    assert {s.truth for s in first} >= {"normal", "brute_force", "password_spraying"}


def test_default_pack_catches_attacks_without_bothering_customers(runtime: Runtime) -> None:
    tally = decisions_by_truth(runtime, seed=7, customers=500)
    normal = tally["normal"]
    assert normal["review"] == normal["block"] == 0
    assert normal["challenge"] <= 0.01 * sum(normal.values())
    for attack in ("brute_force", "password_spraying", "credential_stuffing"):
        caught = sum(tally[attack].values()) - tally[attack]["allow"]
        assert caught >= 0.6 * sum(tally[attack].values()), (attack, tally[attack])
    takeovers = tally["account_takeover (the successful login)"]
    assert takeovers["review"] >= 0.5 * sum(takeovers.values()), takeovers
