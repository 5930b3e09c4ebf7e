"""The mail pack on real phishing and legitimate mail: precision, recall, F1, false positives.

python benchmarks/mail_evaluation.py                      # the data sets in ../shared/data/mail
python benchmarks/mail_evaluation.py --limit 300          # a quick look

Prints the tables quoted in docs/evaluation/mail.md. Needs no network: the brand index, the
public-suffix list and the YARA rules ship with the package; DNS is never queried.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tradeguard.config import load_settings
from tradeguard.domains.mail.evaluation import markdown, run

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mail"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phishing", type=Path, default=DATA / "phishing_pot-3000.tar.gz")
    parser.add_argument("--legitimate", type=Path, default=DATA / "spamassassin-ham.tar.gz")
    parser.add_argument("--limit", type=int, default=None, help="messages per set")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--modern",
        type=Path,
        default=Path(__file__).with_name("mail_modern_legitimate.json"),
        help="present-day legitimate messages: the era check",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    # No installed model: the evaluation cross-validates its own.
    settings = load_settings(counter_backend="sql", mail_model_dir=Path("/nonexistent/model"))
    report = run(
        args.phishing,
        args.legitimate,
        settings=settings,
        folds=args.folds,
        seed=args.seed,
        limit=args.limit,
        modern=args.modern,
    )
    print(markdown(report))
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
