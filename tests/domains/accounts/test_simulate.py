"""The simulated shop: customers in many countries, attackers from elsewhere, reproducible."""

from __future__ import annotations

import ipaddress
from collections import Counter
from datetime import UTC, datetime, timedelta

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


def test_travellers_take_at_least_a_day_to_get_there() -> None:
    """Customers' own trips are never impossible travel: the evaluation's false alarms are real."""
    last: dict[str, tuple[datetime, str]] = {}
    for item in simulate_logins(seed=7, customers=2000, days=14, start=START):
        if item.truth != "normal" or not item.event["success"]:
            continue
        at, country = datetime.fromisoformat(item.event["occurred_at"]), item.event["ip_country"]
        before = last.get(item.event["account_id"])
        if before and before[1] != country:
            assert at - before[0] >= timedelta(hours=24), item.event
        last[item.event["account_id"]] = (at, country)


def test_customers_log_in_near_their_own_hour() -> None:
    hours: dict[str, list[int]] = {}
    for item in simulate_logins(seed=7, customers=300, days=14, start=START):
        if item.truth == "normal" and item.event["success"]:
            at = datetime.fromisoformat(item.event["occurred_at"])
            hours.setdefault(item.event["account_id"], []).append(at.hour)
    spreads = [max(h) - min(h) for h in hours.values() if len(h) >= 6 and max(h) - min(h) < 12]
    assert len(spreads) > 0.5 * sum(1 for h in hours.values() if len(h) >= 6)


HOSTED = {"brute_force", "password_spraying", "credential_stuffing", "account_takeover"}


def test_attacks_of_every_kind_are_there() -> None:
    traffic = simulate_logins(seed=7, customers=1000, days=7, start=START)
    assert {t.truth for t in traffic if t.truth != "normal"} == {
        *HOSTED,
        "low_and_slow_spraying",
        "credential_stuffing_residential",
        "phished_takeover",
    }


def test_hosted_attacks_come_from_hosting_networks_abroad() -> None:
    for item in simulate_logins(seed=7, customers=1000, days=7, start=START):
        if item.truth in HOSTED | {"phished_takeover", "low_and_slow_spraying"}:
            if item.truth != "low_and_slow_spraying":  # its one network serves every victim
                assert item.event["ip_country"] != item.country
            octet = int(item.event["ip"].split(".")[0])
            assert octet in ATTACK_ORIGINS[item.event["ip_country"]]


def test_residential_stuffing_hides_in_customers_networks() -> None:
    wave = [
        t
        for t in simulate_logins(seed=7, customers=1000, days=7, start=START)
        if t.truth == "credential_stuffing_residential"
    ]
    assert len({t.event["ip"] for t in wave}) > 0.95 * len(wave)  # no address repeats
    assert not any("device_id" in t.event for t in wave)
    for item in wave:
        octet = int(item.event["ip"].split(".")[0])
        assert octet in CUSTOMER_COUNTRIES[item.event["ip_country"]][1]
    unknown = [t for t in wave if t.event.get("failure_reason") == "unknown_account"]
    assert 0.3 < len(unknown) / len(wave) < 0.7
    assert any(t.event["success"] for t in wave)


def test_low_and_slow_spraying_stays_in_one_network_and_takes_its_time() -> None:
    spray = [
        t
        for t in simulate_logins(seed=7, customers=1000, days=7, start=START)
        if t.truth == "low_and_slow_spraying"
    ]
    networks = Counter(t.event["ip"].rsplit(".", 1)[0] for t in spray)
    assert max(networks.values()) >= 40  # a campaign near the window's end is cut short
    ips = Counter(t.event["ip"] for t in spray)
    assert ips.most_common(1)[0][1] <= 4


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
