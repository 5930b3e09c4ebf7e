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
import asyncio
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tradeguard.config import load_settings
from tradeguard.domains.accounts.simulate import simulate_logins
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime

PG_ADMIN = os.environ.get(
    "TRADEGUARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@contextmanager
def store(kind: str) -> Iterator[str | None]:
    """A database URL for a fresh store (None means the embedded SQLite default)."""
    if kind == "sqlite":
        yield None
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"tg_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _post_all(
    base: str, key: str, events: list[dict[str, Any]], concurrency: int
) -> tuple[list[float], float, int]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)
    timings: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                event = queue.get_nowait()
                t0 = time.perf_counter()
                response = await client.post("/v1/events/login", json=event)
                timings.append((time.perf_counter() - t0) * 1000)
                failures += response.status_code not in (200, 201)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return timings, time.perf_counter() - started, failures


def _wrk(base: str, key: str, seconds: int, concurrency: int) -> dict[str, float]:
    """wrk (C, two threads) as the load: a Python client would saturate a core by itself."""
    script = Path(__file__).with_name("login_post.lua")
    report = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        env={**os.environ, "TG_KEY": key},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    unit_ms = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {
        q: float(value) * unit_ms[unit]
        for q, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", report, re.M)
    }
    requests = int(re.search(r"(\d+) requests in", report).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors = re.search(r"Socket errors: .*", report)
    return {
        "verdicts_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", report).group(1)),  # type: ignore[union-attr]
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "failures": float(bad.group(1)) if bad else 0.0,
        "n": requests,
        "socket_errors": 1.0 if errors else 0.0,
    }


def over_http(
    kind: str, events: list[dict[str, Any]], workers: int, concurrency: int, seconds: int
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch, store(kind) as url:
        env = {**os.environ, "TRADEGUARD_DATA_DIR": scratch, "TRADEGUARD_LOG_LEVEL": "warning"}
        env.pop("TRADEGUARD_REDIS_URL", None)
        if url:
            env["TRADEGUARD_DATABASE_URL"] = url
        tg = [sys.executable, "-m", "tradeguard"]
        key = (
            subprocess.run(
                [*tg, "keys", "create", "--role", "ingest", "--name", "bench"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        port = free_port()
        server = subprocess.Popen(
            [*tg, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    if httpx.get(base + "/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            warm = len(events) // 10
            asyncio.run(_post_all(base, key, events[:warm], concurrency))
            if shutil.which("wrk"):
                return _wrk(base, key, seconds, concurrency)
            timings, elapsed, failures = asyncio.run(
                _post_all(base, key, events[warm:], concurrency)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "verdicts_per_s": len(timings) / elapsed,
        "p50_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 0.99),
        "failures": failures,
        "n": len(timings),
    }


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
