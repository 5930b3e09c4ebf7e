"""Sanctions screening speed: index build time and memory, then latency per screening.

python benchmarks/screening_speed.py                       # UN + OFAC SDN + OFAC consolidated
python benchmarks/screening_speed.py --depths 10,20,30     # latency per candidate depth
python benchmarks/screening_speed.py --gc off             # no garbage collection: pure compute

One screening = ``SanctionsIndex.match`` on one query, in process, one after another on one
core, over a shuffled mix of the UN people queries (name, birth date, nationality), Faker
person names and Faker company names from many locales. The mix runs twice: the first pass
meets nomenklatura's name-analysis caches cold. Wall time and this thread's CPU time are both
reported, because the machine may be shared; so are the full (generation 2) garbage
collections that fell inside the timed calls.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from faker import Faker
from screening_evaluation import DATA, LOCALES, label_un_queries, load_lists

from tradeguard.domains.merchants.sanctions.matching import (
    CANDIDATES,
    Query,
    SanctionsIndex,
    company_query,
    person_query,
)


def machine() -> str:
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, load average {load}"
    )


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def workload(data: Path, lists: Any, persons: int, companies: int, seed: int) -> list[Query]:
    queries = [item.query() for item in label_un_queries(data / "un-people-queries.csv", lists)]
    locales = list(LOCALES)
    fakes = {locale: Faker(locale) for locale in locales}
    for n, fake in enumerate(fakes.values()):
        fake.seed_instance(seed + n)
    for i in range(persons):
        queries.append(person_query(fakes[locales[i % len(locales)]].name()))
    for i in range(companies):
        fake = fakes[locales[i % len(locales)]]
        queries.append(company_query(fake.company(), LOCALES[locales[i % len(locales)]]))
    random.Random(seed).shuffle(queries)
    return queries


class FullCollections:
    """Counts generation-2 collections and their time, through ``gc.callbacks``."""

    def __init__(self) -> None:
        self.count, self.seconds, self._started = 0, 0.0, 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.seconds += time.perf_counter() - self._started


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return f"{statistics.median(ordered):.1f} | {at(0.95):.1f} | {at(0.99):.1f} | {ordered[-1]:.1f}"


def timed_pass(index: SanctionsIndex, queries: list[Query], collections: FullCollections) -> str:
    wall: list[float] = []
    cpu: list[float] = []
    count, seconds = collections.count, collections.seconds
    for query in queries:
        started, started_cpu = time.perf_counter(), time.thread_time()
        index.match(query)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    full = collections.count - count
    return (
        f"{percentiles(wall)} | {percentiles(cpu)} | {full} "
        f"({(collections.seconds - seconds) * 1000 / max(full, 1):.0f} ms each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--persons", type=int, default=1000, help="Faker person names")
    parser.add_argument("--companies", type=int, default=300, help="Faker company names")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--depths", default=str(CANDIDATES), help="candidate depths, comma-separated"
    )
    parser.add_argument(
        "--gc",
        choices=("on", "off"),
        default="on",
        help="CPython's cyclic collector on (as served), or off while timing (pure compute)",
    )
    args = parser.parse_args()
    print(f"command: python {' '.join(sys.argv)}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")

    rss_start = rss_mib()
    started = time.perf_counter()
    SanctionsIndex.build([])  # logic-v2's name tables, loaded once per process
    tables = time.perf_counter() - started
    rss_tables = rss_mib()
    started = time.perf_counter()
    lists = load_lists(args.data)
    entries = [e for entries in lists.values() for e in entries]
    loaded = time.perf_counter() - started
    rss_loaded = rss_mib()
    started = time.perf_counter()
    index = SanctionsIndex.build(entries)
    built = time.perf_counter() - started
    gc.collect()
    rss_built = rss_mib()
    names = sum(len(entity.names()) for _, entity in entries)
    print(f"\nlisted parties: {len(index)} ({names} names and aliases)")
    print(
        f"load rigour's name tables (once): {tables:.2f} s, RSS +{rss_tables - rss_start:.0f} MiB"
    )
    print(f"read the list files: {loaded:.2f} s, RSS +{rss_loaded - rss_tables:.0f} MiB")
    print(f"build the index: {built:.2f} s, RSS +{rss_built - rss_loaded:.0f} MiB")
    print(f"process RSS after build: {rss_built:.0f} MiB")

    queries = workload(args.data, lists["un"], args.persons, args.companies, args.seed)
    print(f"\nworkload: {len(queries)} screenings (683 UN queries, {args.persons} Faker persons, "
          f"{args.companies} Faker companies), shuffled, seed {args.seed}")  # fmt: skip
    collections = FullCollections()
    print("\n| depth | pass | wall p50 | p95 | p99 | max | CPU p50 | p95 | p99 | max | full GCs |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for depth in (int(d) for d in args.depths.split(",")):
        index = SanctionsIndex.build(entries, depth=depth) if depth != CANDIDATES else index
        if args.gc == "off":
            gc.disable()
        for run in ("1st", "2nd"):
            print(f"| {depth} | {run} | {timed_pass(index, queries, collections)} |", flush=True)
    print(f"\nmachine at the end: {machine()}")


if __name__ == "__main__":
    main()
