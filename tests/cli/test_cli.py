"""The command line: keys, file ingestion, rule packs, settings errors."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson
import pytest

from tests.cli.conftest import Invoke
from tests.factories import login


def write_jsonl(path: Path, lines: list[object]) -> Path:
    path.write_bytes(
        b"".join(orjson.dumps(x) + b"\n" if not isinstance(x, bytes) else x + b"\n" for x in lines)
    )
    return path


def test_db_upgrade_reports_the_revision(tg: Invoke) -> None:
    result = tg("db", "upgrade")
    assert result.exit_code == 0
    assert "revision 0006" in result.output


def test_keys_create_prints_the_key_last(tg: Invoke) -> None:
    result = tg("keys", "create", "--role", "ingest", "--name", "shop")
    assert result.exit_code == 0
    assert result.output.strip().splitlines()[-1].startswith("tg_")
    listing = tg("keys", "list")
    assert "shop" in listing.output
    assert "ingest" in listing.output
    bad = tg("keys", "create", "--role", "god")
    assert bad.exit_code == 2


def test_ingest_jsonl_reports_decisions_and_rejects_and_reruns_safely(
    tg: Invoke, tmp_path: Path
) -> None:
    events = [login(success=False, minutes=i * 0.1) for i in range(20)]
    lines: list[object] = [*events[:5], b"{broken", login(success="no"), *events[5:]]
    path = write_jsonl(tmp_path / "logins.jsonl", lines)
    first = tg("events", "ingest", str(path), "--kind", "login")
    assert first.exit_code == 1  # some lines were rejected
    assert "20 screened (0 seen before" in first.output
    assert "2 rejected" in first.output
    assert "line 6: not valid JSON" in first.output
    assert "line 7: success" in first.output
    again = tg("events", "ingest", str(path), "--kind", "login")
    assert "20 screened (20 seen before" in again.output


def test_ingest_csv(tg: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "logins.csv"
    rows = [login(success=i % 2 == 0, minutes=i) for i in range(6)]
    rows[2]["device_id"] = ""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = tg("events", "ingest", str(path), "--kind", "login")
    assert result.exit_code == 0, result.output
    assert "6 screened" in result.output


def test_ingest_unknown_kind_and_missing_file(tg: Invoke, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "x.jsonl", [login()])
    result = tg("events", "ingest", str(path), "--kind", "wire")
    assert result.exit_code == 1
    assert "unknown event kind 'wire'" in result.output
    assert tg("events", "ingest", str(tmp_path / "none.jsonl"), "--kind", "login").exit_code == 2


def test_rules_test_shows_which_rules_fire(tg: Invoke, tmp_path: Path) -> None:
    from importlib import resources

    pack = tmp_path / "pack.yaml"
    pack.write_text(
        resources.files("tradeguard.rulepacks").joinpath("login-default.yaml").read_text()
    )
    events = write_jsonl(tmp_path / "e.jsonl", [login(success=False, minutes=i) for i in range(6)])
    result = tg("rules", "test", str(pack), str(events))
    assert result.exit_code == 0, result.output
    assert "brute_force_account x2" in result.output
    assert not (tmp_path / "data").exists()  # nothing kept


def test_a_bad_pack_is_refused_in_one_line(tg: Invoke, tmp_path: Path) -> None:
    pack = tmp_path / "bad.yaml"
    pack.write_text(
        "id: bad\nversion: 1\nkinds: [login]\nrules:\n  - id: r1\n"
        "    expression: 'event.success &&'\n    reason: x\n"
    )
    result = tg("rules", "upload", str(pack))
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: rule 'r1' expression: CEL error")


def test_rules_upload_live_and_backtest(tg: Invoke, tmp_path: Path) -> None:
    events = write_jsonl(tmp_path / "e.jsonl", [login(success=False, minutes=i) for i in range(6)])
    tg("events", "ingest", str(events), "--kind", "login")
    pack = tmp_path / "p.yaml"
    pack.write_text(
        "id: strict\nversion: 1\nkinds: [login]\nrules:\n  - id: two\n"
        "    expression: \"velocity('login.failure', 'account', '1h') >= 2\"\n"
        "    action: review\n    reason: two failures\n"
    )
    assert "strict@1: shadow" in tg("rules", "upload", str(pack), "--status", "shadow").output
    assert "strict" in tg("rules", "list").output
    report = tg(
        "rules",
        "backtest",
        "strict",
        "1",
        "--since",
        "2026-03-01T00:00:00Z",
        "--until",
        "2026-03-03T00:00:00Z",
        "--json",
    )
    assert report.exit_code == 0, report.output
    body = orjson.loads(report.output)
    assert body["events"] == 6
    assert body["rules"][0]["hits"] == 5
    naive = tg(
        "rules",
        "backtest",
        "strict",
        "1",
        "--since",
        "2026-03-01T00:00:00",
        "--until",
        "2026-03-03T00:00:00",
    )
    assert naive.exit_code == 1
    assert "UTC offset" in naive.output


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TRADEGUARD_DATABASE_URL", "mysql://x", "TRADEGUARD_DATABASE_URL"),
        ("TRADEGUARD_MAX_BODY_BYTES", "lots", "TRADEGUARD_MAX_BODY_BYTES"),
        ("TRADEGUARD_SECRET_KEY", "short", "TRADEGUARD_SECRET_KEY"),
        ("TRADEGUARD_REDIS_URL", "http://x", "TRADEGUARD_REDIS_URL"),
    ],
)
def test_a_wrong_setting_fails_in_one_line_naming_it(
    tg: Invoke, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    result = tg("db", "upgrade")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith(f"error: setting {expected}:")


def test_settings_come_from_a_toml_file(
    tg: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tradeguard.config import get_settings

    config = tmp_path / "tg.toml"
    config.write_text('port = 9123\nlog_level = "warning"\n')
    monkeypatch.setenv("TRADEGUARD_CONFIG", str(config))
    get_settings.cache_clear()
    assert get_settings().port == 9123
    config.write_text("port = 0\n")
    result = tg("db", "upgrade")
    assert result.exit_code == 2
    assert "TRADEGUARD_PORT" in result.output


def test_serve_refuses_several_workers_on_sqlite(tg: Invoke) -> None:
    result = tg("serve", "--workers", "2")
    assert result.exit_code == 1
    assert "use PostgreSQL for --workers > 1" in result.output


def test_an_empty_database_url_means_the_default(
    tg: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEGUARD_DATABASE_URL", "")
    assert tg("db", "upgrade").exit_code == 0
