"""``tradeguard model``: train on ingested history, list, activate, evaluate, roll back."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.cli.conftest import Invoke
from tests.cli.test_cli import write_jsonl
from tests.domains.payments.shop import history

WINDOW = ["--since", "2026-03-02", "--until", "2026-04-11", "--label-delay-days", "15"]


def _ingest(tg: Invoke, tmp_path: Path, *, days: int = 40, after: int = 0) -> None:
    """The shop's orders of ``days`` days and their outcomes, less those of the first ``after``."""
    seen = {e["id"] for _, e in history(days=after)} if after else set()
    events = [(k, e) for k, e in history(days=days) if e["id"] not in seen]
    for kind in ("order", "order_outcome"):
        path = write_jsonl(tmp_path / f"{kind}-{days}.jsonl", [e for k, e in events if k == kind])
        assert tg("events", "ingest", str(path), "--kind", kind).exit_code == 0


def test_train_list_activate_evaluate_and_roll_back(tg: Invoke, tmp_path: Path) -> None:
    _ingest(tg, tmp_path)
    trained = tg("model", "train", *WINDOW, "--review-rate", "0.05")
    assert trained.exit_code == 0, trained.output
    assert trained.output.startswith("order-fraud@1: inactive;")
    assert tg("model", "train", *WINDOW, "--fpr", "0.01").exit_code == 0
    assert tg("model", "activate", "1").output.strip() == "order-fraud@1: live"
    assert tg("model", "activate", "2").output.strip() == "order-fraud@2: live"
    listing = tg("model", "list").output
    assert "order-fraud@2" in listing
    assert "live" in listing
    evaluated = tg("model", "evaluate", "2", *WINDOW)
    result = orjson.loads(evaluated.output.strip().splitlines()[-1])
    assert result["model"] == "order-fraud@2"
    assert result["auc_roc"] > 0.9
    _ingest(tg, tmp_path, days=45, after=40)  # screened with @2 live: vectors stored
    scores = tmp_path / "scores.csv"
    scored = tg("model", "score", "1", "--out", str(scores))
    assert scored.exit_code == 0, scored.output
    lines = scores.read_text().splitlines()
    assert lines[0] == "order_id,probability,score"
    assert f"{len(lines) - 1} orders scored" in scored.output
    assert len(lines) > 50
    assert tg("model", "rollback").output.strip() == "order-fraud@1: live"
    assert tg("model", "deactivate", "1").output.strip() == "order-fraud@1: inactive"


def test_bad_model_commands_fail_with_one_line(tg: Invoke) -> None:
    cases = [
        (["model", "train", "--since", "yesterday", "--until", "2026-01-01"], "not an ISO date"),
        (["model", "train", "--since", "2026-02-01", "--until", "2026-01-01"], "must end after"),
        (["model", "train", *WINDOW, "--review-rate", "2"], "between 0 and 1"),
        (["model", "train", *WINDOW, "--review-rate", "0.1", "--fpr", "0.1"], "exactly one"),
        (["model", "activate", "7"], "no model order-fraud@7"),
        (["model", "rollback"], "no live version"),
    ]
    for args, message in cases:
        result = tg(*args)
        assert result.exit_code == 1, args
        assert message in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
