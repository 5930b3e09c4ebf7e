"""The generic cluster walk, driven by specs other than the accounts one, on both stores."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import login, signup
from tradeguard.db.session import unit_of_work
from tradeguard.domains.accounts.clusters import SPEC as ACCOUNTS
from tradeguard.engine import clusters
from tradeguard.engine.clusters import Cluster, ClusterSpec
from tradeguard.engine.service import ingest
from tradeguard.errors import NotFound
from tradeguard.runtime import Runtime


def send(rt: Runtime, kind: str, event: dict[str, Any]) -> None:
    ingest(rt.sessions, kind=kind, raw=event, actor="test", counters=rt.counters)


def walk(rt: Runtime, spec: ClusterSpec, root: str, **options: Any) -> Cluster:
    with unit_of_work(rt.sessions) as session:
        return clusters.find_cluster(session, spec, root, **options)


def members(found: Cluster) -> dict[str, int]:
    return {m.id: m.depth for m in found.members}


@pytest.fixture
def shop(runtime: Runtime) -> Runtime:
    """ann and ben sign up on one tablet; cy logs in on it later; dee's device id is an IP."""
    send(runtime, "signup", signup(account="ann", email="ann@example.com", device="tablet"))
    send(
        runtime,
        "signup",
        signup(account="ben", email="ben@example.com", device="tablet", ip="203.0.113.2"),
    )
    send(runtime, "login", login(account="cy", device="tablet", ip="203.0.113.3"))
    send(
        runtime,
        "signup",
        signup(account="dee", email="dee@example.com", device="203.0.113.2", ip="203.0.113.4"),
    )
    return runtime


def test_only_the_specs_kinds_link_members(shop: Runtime) -> None:
    assert members(walk(shop, ACCOUNTS, "ann", depth=1)) == {"ann": 0, "ben": 1, "cy": 1}
    signups_only = ClusterSpec(root="account", kinds=("signup",), link_types=("device",))
    assert members(walk(shop, signups_only, "ann", depth=1)) == {"ann": 0, "ben": 1}


def test_a_link_type_stored_under_several_entity_types_is_one_link(shop: Runtime) -> None:
    """ben's IP is dee's device id: with both stored as one family, they share it."""
    family = ClusterSpec(
        root="account",
        kinds=("signup",),
        link_types=("device",),
        stored_as={"device": ("device", "ip")},
    )
    found = walk(shop, family, "dee", depth=2)
    assert members(found) == {"dee": 0, "ben": 1, "ann": 2}
    assert {(k.member, k.other, k.entity_type, k.entity_value) for k in found.links} == {
        ("dee", "ben", "device", "203.0.113.2"),
        ("ben", "ann", "device", "tablet"),
    }
    # The family's degree is counted once across its types: a cap of 1 stops both links.
    capped = walk(shop, family, "dee", degree_caps={"device": 1})
    assert members(capped) == {"dee": 0}
    assert [(c.entity_type, c.entity_value, c.members) for c in capped.common] == [
        ("device", "203.0.113.2", 2)
    ]


def test_members_carry_their_latest_decision(shop: Runtime) -> None:
    found = walk(shop, ACCOUNTS, "ann", depth=1)
    assert {m.id: m.latest_decision for m in found.members} == {
        "ann": "allow",
        "ben": "allow",
        "cy": "allow",
    }


def test_link_types_narrow_the_walk_and_unknown_roots_are_not_found(shop: Runtime) -> None:
    assert members(walk(shop, ACCOUNTS, "ann", link_types=["ip"])) == {"ann": 0}
    with pytest.raises(NotFound, match="account 'nobody'"):
        walk(shop, ACCOUNTS, "nobody")
    shallow = ClusterSpec(root="account", kinds=("signup",), link_types=("device",), max_depth=1)
    with pytest.raises(ValueError, match="depth must be 1 to 1"):
        walk(shop, shallow, "ann", depth=2)
