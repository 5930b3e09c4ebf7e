"""Helpers the benchmark scripts share: fresh stores, percentiles, a served app and HTTP load."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get(
    "TRADEGUARD_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency_summary(timings_ms: list[float], elapsed_s: float) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(timings_ms),
        "p99_ms": percentile(timings_ms, 0.99),
        "mean_ms": statistics.fmean(timings_ms),
        "verdicts_per_s": len(timings_ms) / elapsed_s,
        "n": len(timings_ms),
    }


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(scratch: str, url: str | None) -> dict[str, str]:
    """The environment a ``tradeguard`` subprocess needs to use the store at ``url``."""
    env = {**os.environ, "TRADEGUARD_DATA_DIR": scratch, "TRADEGUARD_LOG_LEVEL": "warning"}
    env.pop("TRADEGUARD_REDIS_URL", None)
    if url:
        env["TRADEGUARD_DATABASE_URL"] = url
    return env


@contextmanager
def served(env: dict[str, str], workers: int) -> Iterator[tuple[str, str]]:
    """``tradeguard serve`` on loopback with a fresh ingest key: yields (base URL, key)."""
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
        yield base, key
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _post_all(
    base: str, key: str, path: str, events: list[dict[str, Any]], concurrency: int
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
                response = await client.post(path, json=event)
                timings.append((time.perf_counter() - t0) * 1000)
                failures += response.status_code not in (200, 201)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return timings, time.perf_counter() - started, failures


def post_all(
    base: str, key: str, path: str, events: list[dict[str, Any]], concurrency: int
) -> dict[str, float]:
    """Post ``events`` with a concurrent asyncio client (the fallback when wrk is missing)."""
    timings, elapsed, failures = asyncio.run(_post_all(base, key, path, events, concurrency))
    return {
        "verdicts_per_s": len(timings) / elapsed,
        "p50_ms": statistics.median(timings),
        "p99_ms": percentile(timings, 0.99),
        "failures": failures,
        "n": len(timings),
    }


def wrk(base: str, key: str, script: Path, seconds: int, concurrency: int) -> dict[str, float]:
    """wrk (C, two threads) as the load: a Python client would saturate a core by itself."""
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
