"""Merchant monitoring benchmark: re-screen every merchant after a sanctions list change.

    python benchmarks/merchant_rescreen.py                        # 10,000 merchants
    python benchmarks/merchant_rescreen.py --merchants 2000 --workers 2

1. Generates merchants with Faker (several locales, 1-4 people each; ``--listed`` of them
   have a director named after a real UN or OFAC-listed person) and screens each one through
   the normal path (``engine.service.ingest``) into a fresh SQLite store, before any list is
   loaded, so intake screening costs nothing and every hit is found by the re-screen.
2. Loads OFAC SDN and the UN consolidated list from ``--data`` with the list parsers.
3. Times a full re-screen (``changed=None``: every party against every listed party), then a
   delta re-screen after a new UN version adds a few parties (what ``lists load-sanctions``
   runs), and prints the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from faker import Faker
from schwifty import IBAN

from tradeguard.config import load_settings
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants import monitoring
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.formats import read_list
from tradeguard.engine import history
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime

LOCALES = {
    "en_GB": "GB",
    "de_DE": "DE",
    "fr_FR": "FR",
    "zh_CN": "CN",
    "en_US": "US",
    "es_ES": "ES",
    "pl_PL": "PL",
    "it_IT": "IT",
}
ROLES = (["owner", "director"], ["director"], ["owner"], ["signatory"])


def listed_people(lists: list[ParsedList], n: int, seed: int) -> list[ListedEntity]:
    people = [
        e
        for parsed in lists
        for e in parsed.entities
        if e.schema == "Person" and e.properties.get("birthDate")
    ]
    return random.Random(seed).sample(people, min(n, len(people)))


def application(i: int, fake: Faker, country: str, rng: random.Random) -> dict[str, Any]:
    people = [
        {
            "name": fake.name(),
            "birth_date": fake.date_of_birth(minimum_age=21, maximum_age=80).isoformat(),
            "nationality": country,
            "roles": ROLES[k % len(ROLES)],
        }
        for k in range(rng.randint(1, 4))
    ]
    return {
        "id": f"bench-merchant-{i}",
        "occurred_at": "2026-03-02T09:00:00+00:00",
        "merchant_id": f"bench-{i}",
        "legal_name": fake.company(),
        "registration_country": country,
        "people": people,
        "addresses": [{"kind": "registered", "lines": [fake.street_address()], "country": country}],
        "bank": {
            "iban": str(IBAN.generate("GB", bank_code="NWBK601613", account_code=f"{i:08d}")),
        },
        "device_id": f"bench-device-{i}",
        "ip": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
    }


def with_listed_director(event: dict[str, Any], entity: ListedEntity) -> dict[str, Any]:
    director = {
        "name": entity.caption,
        "birth_date": entity.properties["birthDate"][0][:10],
        "roles": ["director"],
    }
    return {**event, "people": [*event["people"][:3], director]}


def populate(
    rt: Runtime, n: int, listed: list[ListedEntity], seed: int
) -> tuple[float, list[dict[str, Any]], set[str]]:
    """Screen ``n`` applications: the time it took, five of their people, the planted ones."""
    rng = random.Random(seed)
    people: list[dict[str, Any]] = []
    fakers = {locale: Faker(locale) for locale in LOCALES}
    for fake in fakers.values():
        fake.seed_instance(seed)
    planted = {rng.randrange(n): entity for entity in listed}
    started = time.perf_counter()
    for i in range(n):
        locale = rng.choice(list(LOCALES))
        event = application(i, fakers[locale], LOCALES[locale], rng)
        if i in planted:
            event = with_listed_director(event, planted[i])
        ingest(rt.sessions, kind="merchant", raw=event, actor="bench", counters=rt.counters)
        if i % (n // 5 or 1) == 1 and len(people) < 5:
            people.append(event["people"][0])
        if (i + 1) % 1000 == 0:
            print(f"  {i + 1} merchants screened in {time.perf_counter() - started:.0f} s")
    return time.perf_counter() - started, people, {f"bench-{i}" for i in planted}


def matched(rt: Runtime) -> set[str]:
    """Merchants whose re-screen found a match (not only a resemblance)."""
    with unit_of_work(rt.sessions) as session:
        events = history.search(session, kind="merchant_rescreen", limit=100_000)
    return {
        e.fields["merchant_id"]
        for e in events
        if any(h["match"] for p in e.fields["new_hits"] for h in p["hits"])
    }


def newly_listed(people: list[dict[str, Any]]) -> tuple[ListedEntity, ...]:
    """Five existing merchants' people, sanctioned in the next UN version."""
    return tuple(
        ListedEntity.create(
            entity_id=f"un-bench-{k}",
            schema="Person",
            caption=p["name"],
            properties={"name": [p["name"]], "birthDate": [p["birth_date"]]},
            programs=["BENCH"],
        )
        for k, p in enumerate(people)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=10_000)
    parser.add_argument("--listed", type=int, default=40, help="merchants with a listed director")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/sanctions"))
    args = parser.parse_args()

    started = time.perf_counter()
    sdn = read_list("ofac-sdn", args.data / "sdn.csv")
    un = read_list("un", args.data / "UN_consolidated.xml")
    parse_s = time.perf_counter() - started
    print(f"parsed OFAC SDN ({len(sdn.entities)}) and UN ({len(un.entities)}) in {parse_s:.1f} s")
    listed = listed_people([sdn, un], args.listed, args.seed)

    with tempfile.TemporaryDirectory(prefix="tradeguard-bench-") as scratch:
        settings = load_settings(data_dir=Path(scratch), database_url=None, counter_backend="sql")
        rt = Runtime.start(settings)
        try:
            populate_s, people, planted = populate(rt, args.merchants, listed, args.seed)
            with unit_of_work(rt.sessions) as session:
                for parsed, digest in ((sdn, "bench-sdn"), (un, "bench-un-1")):
                    store.load_list(session, parsed, file_sha256=digest, actor="bench")
            started = time.perf_counter()
            with unit_of_work(rt.sessions) as session:
                index = store.current_index(session)
            index_s = time.perf_counter() - started

            started = time.perf_counter()
            full = monitoring.rescreen(
                rt.sessions,
                rt.counters,
                actor="bench",
                changed=None,
                reason="benchmark: full re-screen",
                workers=args.workers,
            )
            full_s = time.perf_counter() - started
            found = matched(rt)

            second = replace(un, entities=un.entities + newly_listed(people))
            with unit_of_work(rt.sessions) as session:
                version = store.load_list(
                    session, second, file_sha256="bench-un-2", actor="bench"
                ).version
                changed = store.changed_entries(session, [version.id])
            started = time.perf_counter()
            delta = monitoring.rescreen(
                rt.sessions,
                rt.counters,
                actor="bench",
                changed=changed,
                reason="benchmark: delta re-screen",
                workers=args.workers,
            )
            delta_s = time.perf_counter() - started
        finally:
            rt.close()

    cpu = platform.processor() or platform.machine()
    print(f"\nmachine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}")
    print(f"listed parties indexed: {len(index)} (index built in {index_s:.1f} s)")
    print(
        f"merchants: {args.merchants} through the engine in {populate_s:.0f} s"
        f" ({populate_s / args.merchants * 1000:.1f} ms each, no list loaded)"
    )
    print(
        f"full re-screen, {args.workers} workers: {full_s:.1f} s in all,"
        f" {full.screened_seconds:.1f} s screening; {full}"
    )
    print(
        f"planted listed directors matched: {len(planted & found)} of {len(planted)};"
        f" other merchants with a match: {len(found - planted)}"
    )
    print(f"delta re-screen ({len(changed)} changed parties): {delta_s:.1f} s in all; {delta}")


if __name__ == "__main__":
    main()
