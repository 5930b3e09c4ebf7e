"""``tradeguard mail``: scan messages on disk, train the text model, poll a mailbox."""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from tradeguard.cli_support import cli_errors, err, out, progress_bar, runtime
from tradeguard.db.session import unit_of_work
from tradeguard.domains.mail.sources import count_messages, iter_messages
from tradeguard.engine.verdicts import Verdict
from tradeguard.errors import Invalid, TradeGuardError
from tradeguard.runtime import Runtime

app = typer.Typer(help="Inbound mail: phishing and impersonation defence.", no_args_is_help=True)


class Format(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


@app.command("scan")
@cli_errors
def scan(
    path: Annotated[Path, typer.Argument(help="a message file, a folder, an mbox or a .tar.gz")],
    format: Annotated[
        Format, typer.Option("--format", help="table: progress and a summary; jsonl: a line each")
    ] = Format.TABLE,
) -> None:
    """Screen every message at PATH and store the verdicts; a repeated message is not recounted."""
    if not path.exists():
        raise Invalid(f"no such file or folder: {path}")
    decisions: Counter[str] = Counter()
    signals: Counter[str] = Counter()
    with runtime() as rt, progress_bar() as bar:
        task = bar.add_task("screening", total=count_messages(path))
        bar.disable = format is Format.JSONL or not sys.stderr.isatty()
        for source in iter_messages(path, limits=rt.mail.limits):
            line = _screen_one(rt, source.label, source.raw, source.error)
            decisions[str(line.get("decision", "error"))] += 1
            signals.update(s["code"] for s in line.get("signals", []))
            if format is Format.JSONL:
                sys.stdout.buffer.write(orjson.dumps(line) + b"\n")
            bar.advance(task)
    if format is Format.TABLE:
        _summary(decisions, signals)


def _screen_one(rt: Runtime, label: str, raw: bytes | None, error: str | None) -> dict[str, Any]:
    from tradeguard.domains.mail.service import screen_message  # analysers load on first use

    if raw is None:
        return {"file": label, "error": error or "unreadable"}
    try:
        verdict = screen_message(
            rt.sessions, raw=raw, context=rt.mail, actor="cli:mail-scan", counters=rt.counters
        )
    except TradeGuardError as exc:  # not-a-message arrives here as Invalid
        return {"file": label, "error": exc.detail}
    return _line(label, verdict)


def _line(label: str, verdict: Verdict) -> dict[str, Any]:
    return {
        "file": label,
        "event_id": verdict.event_id,
        "decision": verdict.decision.value,
        "score": verdict.score,
        "case_id": verdict.case_id,
        "signals": [{"code": s.code, "reason": s.reason} for s in verdict.signals],
    }


def _summary(decisions: Counter[str], signals: Counter[str]) -> None:
    table = Table(title=f"{sum(decisions.values())} messages")
    table.add_column("decision")
    table.add_column("messages", justify="right")
    for name in ("allow", "review", "block", "error"):
        if decisions[name]:
            table.add_row(name, str(decisions[name]))
    out.print(table)
    if signals:
        common = Table(title="most frequent signals")
        common.add_column("signal")
        common.add_column("messages", justify="right")
        for code, count in signals.most_common(15):
            common.add_row(code, str(count))
        out.print(common)
    err.print("verdicts stored; open the console's Events page (kind: email) to read them")


@app.command("train")
@cli_errors
def train(
    phishing: Annotated[Path, typer.Option(help="phishing messages: file, folder, mbox, .tar.gz")],
    legitimate: Annotated[Path, typer.Option(help="legitimate messages, the same forms")],
    output: Annotated[
        Path | None, typer.Option(help="default: the mail model folder screening loads")
    ] = None,
    seed: Annotated[int, typer.Option(help="same data and seed, same model")] = 7,
    folds: Annotated[int, typer.Option(min=2, max=20, help="cross-validation folds")] = 5,
) -> None:
    """Train the text model, report its cross-validated quality and install it."""
    from tradeguard.config import get_settings
    from tradeguard.domains.mail.training import read_corpus, train_and_save
    from tradeguard.engine import audit

    settings = get_settings()
    target = output or settings.resolved_mail_model_dir
    corpus = read_corpus(phishing, legitimate)
    model, figures = train_and_save(corpus, output=target, seed=seed, folds=folds)
    counts = model.card.training_counts
    with runtime() as rt, unit_of_work(rt.sessions) as session:
        audit.record(
            session,
            actor="cli:mail-train",
            action="mail_model.install",
            target_type="mail_model",
            target_id=model.card.model_version,
            after={"folder": str(target), **figures},
            versions=[model.card.model_version],
        )
    out.print(
        f"{model.card.model_version}: {counts.phishing} phishing, {counts.legitimate} legitimate"
        f" ({corpus.skipped} unreadable skipped); cross-validated ROC AUC {figures['roc_auc']},"
        f" recall {figures['recall_at_fpr_1pct']:.1%} at 1 % false positives; saved to {target}"
    )
    err.print("screening processes load it when they start (restart `tradeguard serve`)")


@app.command("poll")
@cli_errors
def poll(
    host: Annotated[str, typer.Option(help="IMAP server")],
    user: Annotated[str, typer.Option(help="mailbox user name")],
    password_env: Annotated[
        str, typer.Option(help="environment variable that holds the password")
    ] = "TRADEGUARD_MAIL_IMAP_PASSWORD",  # noqa: S107 (a variable's name, not a password)
    port: Annotated[int, typer.Option(min=1, max=65535)] = 993,
    folder: Annotated[str, typer.Option()] = "INBOX",
    interval: Annotated[float, typer.Option(min=5, help="seconds between polls")] = 60.0,
    once: Annotated[bool, typer.Option("--once", help="screen what is new, then stop")] = False,
    ssl: Annotated[bool, typer.Option("--ssl/--no-ssl", help="IMAP over TLS (port 993)")] = True,
) -> None:
    """Screen new messages of a mailbox, read-only: nothing is moved, flagged or marked read."""
    import os

    from tradeguard.config import get_settings
    from tradeguard.domains.mail import imap
    from tradeguard.domains.mail.service import screen_message

    password = os.environ.get(password_env)
    if not password:
        raise Invalid(f"set the mailbox password in the environment variable {password_env}")
    config = imap.MailboxConfig(
        host=host, port=port, user=user, password=password, folder=folder, use_ssl=ssl
    )
    state_path = get_settings().data_dir / "mail-imap" / f"{user}@{host}-{folder}.json"
    with runtime() as rt:

        def handle(raw: bytes, received_at: datetime | None) -> None:
            screen_message(
                rt.sessions,
                raw=raw,
                context=rt.mail,
                actor=f"imap:{config.where}",
                counters=rt.counters,
                received_at=received_at,
            )

        totals = imap.poll_forever(
            config, state_path=state_path, handle=handle, interval=interval, once=once
        )
    out.print(
        f"{totals.fetched} messages screened, {totals.failed} failed, {totals.skipped} skipped"
    )
