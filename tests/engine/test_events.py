"""The event envelope: validation, normalisation and the payload digest."""

from __future__ import annotations

import pytest

from tests.factories import login
from tradeguard.engine.events import parse_event
from tradeguard.errors import Invalid, NotFound


def test_a_login_parses_into_entities() -> None:
    event = parse_event("login", login(account="a1", ip="2001:DB8::1", device="d"))
    assert event.entities["account"] == "a1"
    assert event.entities["ip"] == "2001:db8::1"
    assert event.entities["account_device"] == "2:a1|d"
    assert event.occurred_at.tzinfo is not None


def test_offsets_are_normalised_to_utc_and_the_digest_follows_the_instant() -> None:
    a = parse_event(
        "login", login(event_id="x", at=None) | {"occurred_at": "2026-03-02T10:00:00+01:00"}
    )
    b = parse_event("login", login(event_id="x") | {"occurred_at": "2026-03-02T09:00:00Z"})
    assert a.occurred_at == b.occurred_at
    assert a.sha256 == b.sha256


def test_csv_strings_are_read_as_types() -> None:
    row = {k: str(v) for k, v in login().items()}
    row["success"] = "false"
    event = parse_event("login", row, from_strings=True)
    assert event.fields["success"] is False


def test_json_input_must_use_real_types() -> None:
    with pytest.raises(Invalid, match="success"):
        parse_event("login", login(success="false"))


def test_unknown_kind() -> None:
    with pytest.raises(NotFound, match="unknown event kind 'payment'"):
        parse_event("payment", login())


def test_nul_characters_are_refused() -> None:
    with pytest.raises(Invalid, match="NUL"):
        parse_event("login", login(account="a\x00b"))


def test_pair_entities_cannot_collide() -> None:
    one = parse_event("login", login(account="a|b", device="c"))
    other = parse_event("login", login(account="a", device="b|c"))
    assert one.entities["account_device"] != other.entities["account_device"]
