"""Decisions of the default login (or sign-up) pack on simulated traffic, by what each event was.

python benchmarks/login_detection.py --customers 2000 --seed 7
python benchmarks/login_detection.py --kind signup --customers 1000 --seed 11
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tradeguard.config import load_settings
from tradeguard.domains.accounts.evaluation import decisions_by_truth, signup_decisions_by_truth
from tradeguard.runtime import Runtime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kind", choices=("login", "signup"), default="login")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rt = Runtime.start(load_settings(data_dir=Path(scratch), counter_backend="sql"))
        try:
            tally = (signup_decisions_by_truth if args.kind == "signup" else decisions_by_truth)(
                rt, seed=args.seed, customers=args.customers
            )
        finally:
            rt.close()
    print("| events that were | n | allow | challenge | review | block | not allowed |")
    print("|---|---|---|---|---|---|---|")
    for truth, counts in sorted(tally.items()):
        n = sum(counts.values())
        flagged = n - counts["allow"]
        cells = " | ".join(str(counts[d]) for d in ("allow", "challenge", "review", "block"))
        print(f"| {truth} | {n} | {cells} | {flagged / n:.1%} |")


if __name__ == "__main__":
    main()
