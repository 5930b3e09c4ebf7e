"""Linked-account clusters over stored sign-ups, logins and orders, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import login, order, signup
from tradeguard.db.session import unit_of_work
from tradeguard.domains.accounts.clusters import Cluster, find_cluster
from tradeguard.engine.service import ingest
from tradeguard.errors import NotFound
from tradeguard.runtime import Runtime

NAT = "198.51.100.200"  # a mobile carrier's shared address
GB_VOIP = "+445612345678"


def send(rt: Runtime, kind: str, event: dict[str, Any]) -> None:
    ingest(rt.sessions, kind=kind, raw=event, actor="test", counters=rt.counters)


def person(name: str, n: int, **fields: Any) -> dict[str, Any]:
    """A sign-up that shares nothing with anyone else's unless ``fields`` says so."""
    base = {
        "account": name,
        "email": f"{name}@example.com",
        "device": f"dev-{name}",
        "ip": f"203.0.{n}.1",
        "minutes": n * 90,
    }
    return signup(**{**base, **fields})


def bought(name: str, n: int, **fields: Any) -> dict[str, Any]:
    return order(account=name, card="card-b", ip=f"203.0.{n}.1", minutes=n * 90 + 1, **fields)


@pytest.fixture
def shop(runtime: Runtime) -> Runtime:
    """alice -device- bob -card- carol -inbox- dave, and sixteen customers behind one NAT.

    Dave re-uses carol's inbox with a VoIP number, so his sign-up is reviewed.
    """
    send(runtime, "signup", person("alice", 1))
    send(runtime, "signup", person("bob", 2, device="dev-alice"))
    send(runtime, "order", bought("bob", 2, email="bob@example.com", device="dev-bob"))
    send(runtime, "signup", person("carol", 3, email="c.arol@gmail.com"))
    send(runtime, "order", bought("carol", 3, email="c.arol@gmail.com", device="x"))
    send(runtime, "signup", person("dave", 4, email="carol+2@gmail.com", phone=GB_VOIP))
    for i in range(15):
        send(runtime, "login", login(account=f"nat-{i:02d}", ip=NAT, device=f"nat-{i}"))
    send(runtime, "login", login(account="alice", ip=NAT, device="dev-alice", minutes=5))
    return runtime


def cluster(rt: Runtime, account: str = "alice", **options: Any) -> Cluster:
    with unit_of_work(rt.sessions) as session:
        return find_cluster(session, account_id=account, **options)


def names(found: Cluster) -> dict[str, int]:
    return {a.account_id: a.depth for a in found.accounts}


def test_depth_one_is_the_accounts_sharing_something_with_this_one(shop: Runtime) -> None:
    found = cluster(shop, depth=1)
    assert names(found) == {"alice": 0, "bob": 1}
    [bob] = [a for a in found.accounts if a.account_id == "bob"]
    assert [(v.account, v.entity_type, v.entity_value) for v in bob.via] == [
        ("alice", "device", "dev-alice")
    ]
    assert found.accounts[0].account_id == "alice"


def test_depth_two_and_three_follow_cards_and_inboxes(shop: Runtime) -> None:
    assert names(cluster(shop)) == {"alice": 0, "bob": 1, "carol": 2}
    found = cluster(shop, depth=3)
    assert names(found) == {"alice": 0, "bob": 1, "carol": 2, "dave": 3}
    links = {(k.account, k.other, k.entity_type, k.entity_value) for k in found.links}
    assert links == {
        ("alice", "bob", "device", "dev-alice"),
        ("bob", "carol", "card_fingerprint", "card-b"),
        ("carol", "dave", "mailbox", "carol@gmail.com"),
    }


def test_a_shared_nat_address_is_reported_not_followed(shop: Runtime) -> None:
    found = cluster(shop, depth=3)
    assert not any(a.account_id.startswith("nat-") for a in found.accounts)
    assert [(c.entity_type, c.entity_value, c.accounts) for c in found.common] == [("ip", NAT, 16)]
    widened = cluster(shop, depth=1, degree_caps={"ip": 50})
    assert sum(a.account_id.startswith("nat-") for a in widened.accounts) == 15
    assert cluster(shop, follow_ip=False).common == []


def test_the_account_cap_bounds_the_answer(shop: Runtime) -> None:
    found = cluster(shop, depth=1, degree_caps={"ip": 50}, max_accounts=5)
    assert len(found.accounts) == 5
    assert found.truncated
    # Strongest links are followed first: bob (same device) is in, before any NAT neighbour.
    assert "bob" in names(found)
    assert not cluster(shop, depth=3).truncated


def test_accounts_carry_their_history(shop: Runtime) -> None:
    found = cluster(shop, depth=3)
    by_name = {a.account_id: a for a in found.accounts}
    dave = by_name["dave"]
    assert (dave.events, dave.reviewed, dave.blocked, dave.open_cases) == (1, 1, 0, 1)
    assert len(dave.case_ids) == 1
    assert by_name["carol"].events == 2  # the sign-up and the order
    alice = by_name["alice"]
    assert alice.events == 2  # the sign-up and the login
    assert alice.first_seen < alice.last_seen
    assert (alice.reviewed, alice.open_cases, alice.case_ids) == (0, 0, [])
    # Within a depth the riskiest account comes first.
    assert [a.account_id for a in found.accounts] == ["alice", "bob", "carol", "dave"]


def test_an_account_alone_is_a_cluster_of_one(runtime: Runtime) -> None:
    send(runtime, "signup", person("o'brien; DROP TABLE events", 1))
    found = cluster(runtime, "o'brien; DROP TABLE events")
    assert names(found) == {"o'brien; DROP TABLE events": 0}
    assert found.links == []


def test_an_unknown_account_is_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        cluster(runtime, "nobody")


def test_depth_is_bounded(runtime: Runtime) -> None:
    send(runtime, "signup", person("alice", 1))
    for depth in (0, 4):
        with pytest.raises(ValueError, match="depth"):
            cluster(runtime, depth=depth)
