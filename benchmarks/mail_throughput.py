"""Time to analyse and to screen one inbound message, on the real corpora.

python benchmarks/mail_throughput.py --messages 1000

Analysis (parse + every analyser) is timed alone, then the whole path the API takes
(analysis, engine, storage in SQLite) per message. One process, messages in archive order.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from itertools import islice
from pathlib import Path

from tradeguard.config import load_settings
from tradeguard.domains.mail.analyse import analyse
from tradeguard.domains.mail.service import screen_message
from tradeguard.domains.mail.sources import iter_messages
from tradeguard.runtime import Runtime

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mail"


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1000, help="from each corpus")
    args = parser.parse_args()
    raws = [
        source.raw
        for name in ("phishing_pot-3000.tar.gz", "spamassassin-ham.tar.gz")
        for source in islice(iter_messages(DATA / name), args.messages)
        if source.raw is not None
    ]
    with tempfile.TemporaryDirectory() as scratch:
        settings = load_settings(data_dir=Path(scratch), counter_backend="sql")
        rt = Runtime.start(settings)
        try:
            started = time.perf_counter()
            context = rt.mail
            print(f"context (brand index, YARA, no model): {time.perf_counter() - started:.2f} s")
            analysis, screening = [], []
            for raw in raws:
                t0 = time.perf_counter()
                try:
                    analyse(raw, context)
                except ValueError:
                    continue
                t1 = time.perf_counter()
                screen_message(
                    rt.sessions, raw=raw, context=context, actor="bench", counters=rt.counters
                )
                analysis.append(t1 - t0)
                screening.append(time.perf_counter() - t1)  # screen_message analyses again
        finally:
            rt.close()
    print(f"{len(analysis)} messages")
    print(f"analysis: {_ms(analysis)}")
    print(f"screen (analysis + engine + SQLite): {_ms(screening)}")
    print(f"throughput: {len(screening) / sum(screening):.0f} messages/s on one process")


if __name__ == "__main__":
    main()
