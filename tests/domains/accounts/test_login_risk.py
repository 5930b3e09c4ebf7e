"""Login risk end to end on both stores: each check of the default pack, fired and not fired."""

from __future__ import annotations

from datetime import timedelta
from ipaddress import ip_address
from typing import Any

import pytest

from tests.factories import T0, login
from tradeguard.domains.accounts import geo
from tradeguard.engine import cases
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Decision, Verdict
from tradeguard.errors import Invalid
from tradeguard.runtime import Runtime

GERMAN_IP = "85.214.132.117"  # registry: DE
US_IP = "8.8.8.8"  # registry: US


def send(rt: Runtime, event: dict[str, Any]) -> Verdict:
    return ingest(rt.sessions, kind="login", raw=event, actor="test", counters=rt.counters)


def codes(verdict: Verdict) -> set[str]:
    return {s.code for s in verdict.signals}


def regular(rt: Runtime, *, days: int = 12, hour: int = 9, **extra: Any) -> None:
    """An account with a habit: one login a day at the same hour, same device, same IP."""
    for day in range(days):
        send(rt, login(at=T0 - timedelta(days=days - day), **{"ip": GERMAN_IP, **extra}))
    assert T0.hour == hour


def test_country_comes_from_the_registries_when_the_edge_does_not_say() -> None:
    assert geo.ip_country(ip_address(GERMAN_IP)) == "DE"
    assert geo.ip_country(ip_address("10.1.2.3")) is None  # private: no country
    assert geo.subnet(ip_address("81.2.69.142")) == "81.2.69.0/24"
    assert geo.subnet(ip_address("2a00:1450:4001::1")) == "2a00:1450:4001::/48"


def test_country_distances_are_lower_bounds() -> None:
    assert geo.country_distance_km("DE", "DE") == 0
    assert geo.country_distance_km("DE", "AT") == 0  # neighbours: never "impossible"
    assert 4000 < (geo.country_distance_km("US", "CN") or 0) < 6000  # Alaska to Heilongjiang
    assert 5000 < (geo.country_distance_km("DE", "US") or 0) < 6500
    assert geo.country_distance_km("DE", "XX") is None
    assert geo.haversine_km(52.52, 13.405, 48.8566, 2.3522) == pytest.approx(878, abs=5)


def test_a_regular_login_is_allowed(runtime: Runtime) -> None:
    regular(runtime)
    verdict = send(runtime, login(ip=GERMAN_IP))
    assert verdict.decision is Decision.ALLOW
    assert verdict.signals == []


def test_impossible_travel_with_countries_from_iptocc(runtime: Runtime) -> None:
    regular(runtime)
    send(runtime, login(ip=GERMAN_IP))
    verdict = send(runtime, login(ip=US_IP, minutes=90))
    assert "rule.impossible_travel" in codes(verdict)
    signal = next(s for s in verdict.signals if s.code == "rule.impossible_travel")
    assert signal.evidence["previous"] == "DE"
    assert signal.evidence["kmh"] > 1000
    assert verdict.decision is Decision.CHALLENGE  # the owner's own device: step up only
    assert verdict.recommended_actions == []


def test_a_trip_that_an_aeroplane_could_make_is_not_impossible(runtime: Runtime) -> None:
    regular(runtime)
    send(runtime, login(ip=GERMAN_IP))
    verdict = send(runtime, login(ip=US_IP, minutes=14 * 60))
    assert "rule.impossible_travel" not in codes(verdict)
    assert "rule.new_country" in codes(verdict)


def test_exact_coordinates_beat_countries(runtime: Runtime) -> None:
    berlin, munich = (
        {"latitude": 52.52, "longitude": 13.405},
        {"latitude": 48.14, "longitude": 11.58},
    )
    regular(runtime)
    send(runtime, login(ip=GERMAN_IP, **berlin))
    near = send(runtime, login(ip=GERMAN_IP, minutes=10, **munich))  # 500 km in 10 minutes
    assert "rule.impossible_travel" in codes(near)


def test_impossible_travel_onto_a_new_device_is_a_takeover(runtime: Runtime) -> None:
    regular(runtime)
    send(runtime, login(ip=GERMAN_IP))
    verdict = send(runtime, login(ip=US_IP, device="stranger", minutes=30))
    assert "rule.takeover_impossible_travel" in codes(verdict)
    assert verdict.decision.opens_case
    assert verdict.case_id is not None
    assert verdict.recommended_actions == [
        "revoke_sessions",
        "reset_password",
        "notify_account_owner",
    ]
    with runtime.sessions() as session:
        assert cases.get_case(session, verdict.case_id).kind == "login"


def test_takeover_after_failures_recommends_revoking_sessions(runtime: Runtime) -> None:
    regular(runtime)
    for k in range(4):
        send(runtime, login(ip="5.9.1.1", device="x", success=False, minutes=k))
    verdict = send(runtime, login(ip="5.9.1.1", device="x", minutes=5))
    assert "rule.takeover_after_failures" in codes(verdict)
    assert "revoke_sessions" in verdict.recommended_actions
    assert "reset_password" in verdict.recommended_actions


def test_unusual_hour_needs_a_habit(runtime: Runtime) -> None:
    regular(runtime, days=5)
    early = send(runtime, login(ip=GERMAN_IP, minutes=-6 * 60))  # 03:00, never seen
    assert "rule.unusual_hour" not in codes(early)  # five logins are no habit yet
    regular(runtime, days=12)
    late = send(runtime, login(ip=GERMAN_IP, minutes=12 * 60))  # 21:00
    assert "rule.unusual_hour" in codes(late)
    usual = send(runtime, login(ip=GERMAN_IP, minutes=60))  # 10:00, next to 09:00
    assert "rule.unusual_hour" not in codes(usual)


def test_new_country_for_a_known_account(runtime: Runtime) -> None:
    regular(runtime, days=3)
    verdict = send(runtime, login(ip=GERMAN_IP, ip_country="FR", minutes=24 * 60))
    assert "rule.new_country" in codes(verdict)
    again = send(runtime, login(ip=GERMAN_IP, ip_country="FR", minutes=25 * 60))
    assert "rule.new_country" not in codes(again)


def test_brute_force_from_one_ip_is_blocked_for_that_account(runtime: Runtime) -> None:
    verdicts = [
        send(runtime, login(ip="5.9.1.1", device=None, success=False, minutes=k * 30))
        for k in range(10)
    ]
    assert "rule.brute_force_account_ip" not in codes(verdicts[8])
    assert "rule.brute_force_account_ip" in codes(verdicts[9])
    assert verdicts[9].decision is Decision.BLOCK
    other_ip = send(runtime, login(ip="5.9.2.2", device=None, success=False, minutes=301))
    assert "rule.brute_force_account_ip" not in codes(other_ip)


def test_low_and_slow_spraying_from_one_network(runtime: Runtime) -> None:
    last = None
    for k in range(12):
        event = login(
            account=f"victim-{k}",
            ip=f"45.67.89.{k + 1}",
            device=None,
            success=False,
            minutes=k * 25,
        )
        last = send(runtime, event)
    assert last is not None
    assert "rule.spraying_subnet_low_and_slow" in codes(last)
    assert "rule.password_spraying_ip" not in codes(last)  # no single IP stands out
    hit = send(runtime, login(account="victim-99", ip="45.67.89.200", device=None, minutes=400))
    assert "rule.success_from_spraying_network" in codes(hit)
    assert hit.recommended_actions[:2] == ["revoke_sessions", "reset_password"]


def test_an_office_network_that_logs_in_fine_is_not_spraying(runtime: Runtime) -> None:
    for k in range(14):
        send(runtime, login(account=f"colleague-{k}", ip="45.67.89.10", device=None, minutes=k))
        send(runtime, login(account=f"colleague-{k}", ip="45.67.89.10", device=None, minutes=k))
        send(
            runtime,
            login(
                account=f"colleague-{k}",
                ip="45.67.89.11",
                success=False,
                device=None,
                minutes=k + 0.5,
            ),
        )
    verdict = send(
        runtime,
        login(account="colleague-99", ip="45.67.89.12", success=False, device=None, minutes=20),
    )
    assert "rule.spraying_subnet_low_and_slow" not in codes(verdict)


def test_attempts_on_accounts_that_do_not_exist(runtime: Runtime) -> None:
    verdicts = [
        send(
            runtime,
            login(
                account=f"nobody-{k}",
                ip="5.9.3.3",
                device=None,
                success=False,
                failure_reason="unknown_account",
                minutes=k,
            ),
        )
        for k in range(3)
    ]
    assert "rule.unknown_accounts_ip" in codes(verdicts[-1])
    assert verdicts[-1].decision is Decision.BLOCK


def test_a_distributed_wave_challenges_new_devices_but_not_known_ones(runtime: Runtime) -> None:
    regular(runtime, days=3)
    for k in range(45):  # every attempt from its own residential address
        send(
            runtime,
            login(
                account=f"leak-{k}",
                ip=f"73.{k}.1.2",
                device=None,
                success=False,
                user_agent=f"agent {k}",
                minutes=k * 0.2,
            ),
        )
    stranger = send(runtime, login(ip="73.200.1.2", device=None, minutes=10))
    assert "rule.stuffing_wave_store" in codes(stranger)
    assert stranger.decision is Decision.CHALLENGE
    owner = send(runtime, login(ip=GERMAN_IP, minutes=10))
    assert "rule.stuffing_wave_store" not in codes(owner)


def test_staff_step_up_on_a_new_device(runtime: Runtime) -> None:
    send(runtime, login(account="staff-1", account_type="staff", minutes=-60))
    known = send(runtime, login(account="staff-1", account_type="staff"))
    assert "rule.staff_new_device" not in codes(known)
    new = send(runtime, login(account="staff-1", account_type="staff", device="laptop-2"))
    assert "rule.staff_new_device" in codes(new)
    assert new.decision is Decision.CHALLENGE


def test_history_ignores_later_events(runtime: Runtime) -> None:
    """A late-arriving event is judged on what came before it, as a back-test would."""
    send(runtime, login(ip=US_IP, minutes=60))
    verdict = send(runtime, login(ip=GERMAN_IP))
    assert "rule.impossible_travel" not in codes(verdict)


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"latitude": 10.0}, "latitude and longitude"),
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"success": True, "failure_reason": "wrong_password"}, "no failure_reason"),
        ({"failure_reason": "forgot"}, "failure_reason"),
        ({"account_type": "admin"}, "account_type"),
    ],
)
def test_bad_login_fields_are_refused(
    runtime: Runtime, extra: dict[str, Any], problem: str
) -> None:
    with pytest.raises(Invalid, match=problem):
        send(runtime, login(**extra))
