"""The demo's sellers and its fictional watch list: valid numbers, attacks that match the list."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from importlib import resources

from tradeguard.demo import merchants as sim
from tradeguard.demo.merchants import simulate_merchants
from tradeguard.domains.merchants.identifiers import check_identifiers
from tradeguard.domains.merchants.schemas import MerchantPayload

START = datetime(2026, 11, 6, tzinfo=UTC)


def rows(name: str) -> list[dict[str, str]]:
    text = resources.files("tradeguard.demo").joinpath(name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def payload(event: dict[str, object]) -> MerchantPayload:
    return MerchantPayload.model_validate(
        {k: v for k, v in event.items() if k not in ("id", "occurred_at")}
    )


def test_every_ordinary_sellers_identifiers_pass_their_checks() -> None:
    found = simulate_merchants(seed=3, days=5, start=START)
    normal = [m for m in found if m.truth == "normal"]
    assert len(normal) >= 150
    assert len({m.country for m in normal}) == 10
    for m in normal:
        checks = check_identifiers(payload(m.event))
        assert checks, m.event["id"]
        assert all(c.valid for c in checks), [c.detail for c in checks if not c.valid]
        assert any(c.checked for c in checks if c.field.startswith("tax_ids")), m.event["id"]
    invalid = [m for m in found if m.truth == "invalid_vat"]
    for m in invalid:
        assert not all(c.valid for c in check_identifiers(payload(m.event)))


def test_the_sellers_are_the_same_for_a_seed_and_in_the_window() -> None:
    first = simulate_merchants(seed=3, days=5, start=START)
    assert [m.event for m in first] == [
        m.event for m in simulate_merchants(seed=3, days=5, start=START)
    ]
    assert [m.event for m in first] != [
        m.event for m in simulate_merchants(seed=4, days=5, start=START)
    ]
    moments = [datetime.fromisoformat(str(m.event["occurred_at"])) for m in first]
    assert moments == sorted(moments)
    assert moments[0] >= START
    assert moments[-1] < datetime(2026, 11, 11, tzinfo=UTC)  # the five days' end
    assert len({m.event["id"] for m in first}) == len(first)


def test_the_watch_list_is_fictional_and_its_second_version_adds_one_party() -> None:
    first, second = rows("demo-watchlist.csv"), rows("demo-watchlist-v2.csv")
    assert second[: len(first)] == first
    [added] = second[len(first) :]
    assert all(r["notes"].startswith("FICTIONAL demo entry") for r in second)
    names = {r["name"]: r for r in second} | {
        alias: r for r in second for alias in r["aliases"].split(";") if alias
    }
    # The attacks name parties that are on the list, as the list gives them.
    for _, _, (name, born, _), _, _ in sim.SANCTIONED:
        assert names[name]["birth_date"] == born
        assert names[name] in first
    assert names[sim.ADDED_DIRECTOR[0]] in first
    assert (added["name"], added["birth_date"]) == sim.LISTED_LATER[:2]
    assert "Halvard Strait Shipping FZE" in names
    assert (
        sim.SHELL_DIRECTOR[0] not in names
    )  # the nominee is not listed: the ring is its own signal
