"""The simulated shop: customers in many countries, attackers from elsewhere, reproducible."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tradeguard.domains.accounts.schemas import LoginPayload
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.domains.world import ATTACK_ORIGINS, CUSTOMER_COUNTRIES

START = datetime(2026, 11, 1, tzinfo=UTC)


def test_customers_live_in_many_countries_and_sometimes_travel() -> None:
    traffic = simulate_logins(seed=7, customers=2000, days=7, start=START)
    normal = [t for t in traffic if t.truth == "normal"]
    homes = Counter(t.country for t in normal)
    assert len(homes) >= 25
    assert homes.most_common(1)[0][0] == "US"
    abroad = [t for t in normal if t.event["ip_country"] != t.country]
    assert 0.005 < len(abroad) / len(normal) < 0.05
    for item in normal:
        octet = int(item.event["ip"].split(".")[0])
        assert octet in CUSTOMER_COUNTRIES[item.event["ip_country"]][1]


def test_attacks_come_from_hosting_networks_abroad() -> None:
    traffic = simulate_logins(seed=7, customers=1000, days=7, start=START)
    attacks = [t for t in traffic if t.truth != "normal"]
    assert {t.truth for t in attacks} == {
        "brute_force",
        "password_spraying",
        "credential_stuffing",
        "account_takeover",
    }
    for item in attacks:
        assert item.event["ip_country"] != item.country
        assert int(item.event["ip"].split(".")[0]) in ATTACK_ORIGINS[item.event["ip_country"]]


# /8s with a private, shared, loopback, link-local, documentation or benchmark block inside.
MIXED = {0, 10, 100, 127, 169, 172, 192, 198, 203}


def test_every_address_is_public() -> None:
    tables = [octets for _, octets in CUSTOMER_COUNTRIES.values()] + list(ATTACK_ORIGINS.values())
    for octets in tables:
        assert all(0 < o < 224 and o not in MIXED for o in octets), octets
    for seed in (1, 2, 3):
        for item in simulate_logins(seed=seed, customers=300, days=3, start=START):
            assert ipaddress.ip_address(item.event["ip"]).is_global, item.event


def test_same_seed_same_traffic() -> None:
    first = simulate_logins(seed=3, customers=300, days=3, start=START)
    again = simulate_logins(seed=3, customers=300, days=3, start=START)
    assert [(t.event, t.truth, t.country) for t in first] == [
        (t.event, t.truth, t.country) for t in again
    ]


def login(**extra: object) -> dict[str, object]:
    return {"account_id": "a", "ip": "198.51.100.1", "success": True, **extra}


@pytest.mark.parametrize(("given", "stored"), [("DE", "DE"), ("de", "DE"), (None, None)])
def test_ip_country_is_iso_alpha2(given: str | None, stored: str | None) -> None:
    assert LoginPayload.model_validate(login(ip_country=given)).ip_country == stored


@pytest.mark.parametrize("bad", ["USA", "1A", "", "D", "Ä1", "d\x00"])
def test_ip_country_refuses_anything_else(bad: str) -> None:
    with pytest.raises(ValidationError):
        LoginPayload.model_validate(login(ip_country=bad))
