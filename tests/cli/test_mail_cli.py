"""``tradeguard mail scan`` and ``mail train`` on messages in a folder, an mbox and an archive."""

from __future__ import annotations

import io
import json
import mailbox
import tarfile
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke
from tests.domains.mail.builders import lookalike_phish, message


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "payout.eml").write_bytes(message())
    (folder / "phish.eml").write_bytes(lookalike_phish())
    return folder


def test_scan_a_folder_as_jsonl(tg: Invoke, tmp_path: Path) -> None:
    result = tg("mail", "scan", str(_folder(tmp_path)), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    by_file = {Path(line["file"]).name: line for line in lines}
    assert by_file["payout.eml"]["decision"] == "allow"
    assert by_file["phish.eml"]["decision"] in ("review", "block")
    assert {"file", "decision", "score", "signals"} <= set(by_file["phish.eml"])


def test_scan_an_archive_and_an_mbox_with_a_summary(tg: Invoke, tmp_path: Path) -> None:
    archive = tmp_path / "mail.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, raw in (("a.eml", message()), ("b.eml", lookalike_phish())):
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    box = mailbox.mbox(tmp_path / "inbox.mbox")
    box.add(message(subject="mbox one"))
    box.add(lookalike_phish())
    box.flush()
    for path in (archive, tmp_path / "inbox.mbox"):
        result = tg("mail", "scan", str(path))
        assert result.exit_code == 0, result.output
        assert "2 messages" in result.stdout
        assert "lookalike_sender" in result.stdout


def test_scan_reports_unreadable_messages_and_goes_on(tg: Invoke, tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "empty.eml").write_bytes(b"")
    result = tg("mail", "scan", str(folder), "--format", "jsonl")
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert next(line for line in lines if "error" in line)["file"].endswith("empty.eml")
    assert len(lines) == 3


def test_scan_a_missing_path_is_one_line(tg: Invoke, tmp_path: Path) -> None:
    result = tg("mail", "scan", str(tmp_path / "nope"))
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("error: no such file or folder")


def test_poll_screens_a_mailbox_once_and_then_only_new_mail(
    tg: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.domains.mail.fake_imap import FakeImapServer

    monkeypatch.setenv("TRADEGUARD_MAIL_IMAP_PASSWORD", "s3cret-imap")
    with FakeImapServer(user="sec@shop.example", password="s3cret-imap") as server:
        server.append(message())
        server.append(lookalike_phish())
        args = ("mail", "poll", "--host", "127.0.0.1", "--port", str(server.port))
        args += ("--user", "sec@shop.example", "--no-ssl", "--once")
        first = tg(*args)
        assert first.exit_code == 0, first.output
        assert "2 messages screened" in first.stdout
        server.append(message(subject="a new one"))
        second = tg(*args)
        assert "1 messages screened" in second.stdout
        assert "STORE" not in server.verbs()
        assert server.seen() == []


def test_poll_without_a_password_is_one_line(tg: Invoke, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEGUARD_MAIL_IMAP_PASSWORD", raising=False)
    result = tg("mail", "poll", "--host", "127.0.0.1", "--user", "u", "--once")
    assert result.exit_code == 1
    assert "TRADEGUARD_MAIL_IMAP_PASSWORD" in result.stderr
