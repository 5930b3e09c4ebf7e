"""Engine benchmark: in-process verdict latency and HTTP ingestion throughput.

    python benchmarks/engine.py                      # SQLite and PostgreSQL, both parts
    python benchmarks/engine.py --stores sqlite --events 5000

In-process: each login goes through ``engine.service.ingest`` (validate, idempotency check,
counters, default rule pack, verdict, case, audit, commit) one after another on one core.
HTTP: a uvicorn server on loopback and a concurrent asyncio client posting the same traffic.
PostgreSQL uses TRADEGUARD_BENCH_POSTGRES_URL (default: the local test server) and a fresh
database that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import percentile, post_all, served, server_env, store, wrk

from tradeguard.config import load_settings
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime


def traffic(n: int, seed: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    customers = 500
    while len(events) < n:
        batch = simulate_logins(seed=seed, customers=customers, days=14)
        events = [s.event for s in batch]
        customers *= 2
    return events[:n]


def in_process(kind: str, events: list[dict[str, Any]], warmup: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch, store(kind) as url:
        settings = load_settings(data_dir=Path(scratch), database_url=url, counter_backend="sql")
        rt = Runtime.start(settings)
        try:
            for event in events[:warmup]:
                ingest(rt.sessions, kind="login", raw=event, actor="bench", counters=rt.counters)
            timings = []
            started = time.perf_counter()
            for event in events[warmup:]:
                t0 = time.perf_counter()
                ingest(rt.sessions, kind="login", raw=event, actor="bench", counters=rt.counters)
                timings.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - started
        finally:
            rt.close()
    return {
        "p50_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 0.99),
        "verdicts_per_s": len(timings) / elapsed,
        "n": len(timings),
    }


def over_http(
    kind: str, events: list[dict[str, Any]], workers: int, concurrency: int, seconds: int
) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as scratch,
        store(kind) as url,
        served(server_env(scratch, url), workers) as (base, key),
    ):
        warm = len(events) // 10
        post_all(base, key, "/v1/events/login", events[:warm], concurrency)
        if shutil.which("wrk"):
            script = Path(__file__).with_name("login_post.lua")
            return wrk(base, key, script, seconds, concurrency)
        return post_all(base, key, "/v1/events/login", events[warm:], concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--http-events", type=int, default=6000)
    parser.add_argument(
        "--workers", type=int, default=2, help="PostgreSQL workers (SQLite runs one)"
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=20, help="HTTP load duration (wrk)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--skip-http", action="store_true")
    args = parser.parse_args()
    events = traffic(max(args.events, args.http_events), args.seed)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    client = "wrk (2 threads)" if shutil.which("wrk") else "Python asyncio client"
    print(f"HTTP load: {client}")
    print("| store | mode | events | p50 ms | p99 ms | verdicts/s |")
    print("|---|---|---|---|---|---|")
    for kind in args.stores.split(","):
        r = in_process(kind, events[: args.events], warmup=min(500, args.events // 10))
        print(
            f"| {kind} | in-process, 1 thread | {r['n']} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['verdicts_per_s']:.0f} |",
            flush=True,
        )
        if args.skip_http:
            continue
        workers = 1 if kind == "sqlite" else args.workers
        h = over_http(kind, events[: args.http_events], workers, args.concurrency, args.seconds)
        print(
            f"| {kind} | HTTP, {workers} worker(s), {args.concurrency} concurrent | "
            f"{h['n']} | {h['p50_ms']:.2f} | {h['p99_ms']:.2f} | {h['verdicts_per_s']:.0f} |"
            + (f" ({h['failures']:.0f} failed)" if h["failures"] else ""),
            flush=True,
        )


if __name__ == "__main__":
    main()
