"""``tradeguard lists load-sanctions / sanctions / diff`` and ``tradeguard screen``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Invoke

HEADER = "id,schema,name,aliases,birth_date,nationality,programs\n"
SIDOROV = "1001,Person,Ivan Petrovich Sidorov,,1961-05-02,RU,TEST\n"
OKAFOR = "1002,Person,Chinedu Emeka Okafor,,1970,NG,TEST\n"
OKAFOR_V2 = "1002,Person,Chinedu Emeka Okafor,Chinedu Okafor,1970,NG,TEST\n"
GOLDEN_STAR = "1003,Company,Golden Star Maritime Trading,,,,TEST\n"
HALVORSEN = "1004,Person,Astrid Halvorsen,,1955-01-30,,TEST\n"
DATA = Path("/work/shared/data/sanctions")


def watch_list(tmp_path: Path, *rows: str) -> Path:
    """A TradeGuard watch-list CSV named ``watch.csv`` (list key ``csv:watch``)."""
    path = tmp_path / "watch.csv"
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def load(tg: Invoke, path: Path, *extra: str) -> str:
    result = tg("lists", "load-sanctions", "--source", "csv", str(path), "--no-rescreen", *extra)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_load_twice_then_show_the_versions_and_the_diff(tg: Invoke, tmp_path: Path) -> None:
    first = load(tg, watch_list(tmp_path, SIDOROV, OKAFOR, GOLDEN_STAR))
    assert "csv:watch v1" in first
    assert "3 entities; 3 added, 0 changed, 0 removed" in first
    assert "+ csv-1001  Ivan Petrovich Sidorov" in first
    second = load(tg, watch_list(tmp_path, SIDOROV, OKAFOR_V2, HALVORSEN))
    assert "(version id 2)" in second
    assert second.startswith("csv:watch v2, ")
    assert "1 added, 1 changed, 1 removed" in second
    assert "+ csv-1004  Astrid Halvorsen" in second
    assert "~ csv-1002  Chinedu Emeka Okafor" in second
    assert "- csv-1003  Golden Star Maritime Trading" in second
    again = load(tg, tmp_path / "watch.csv")
    assert "already loaded" in again

    versions = tg("lists", "sanctions")
    assert versions.exit_code == 0, versions.output
    assert "csv:watch" in versions.stdout

    diff = tg("lists", "diff", "2")
    assert diff.exit_code == 0, diff.output
    lines = diff.stdout.splitlines()
    assert lines[1:] == [
        "added:",
        "  csv-1004  Astrid Halvorsen",
        "changed:",
        "  csv-1002  Chinedu Emeka Okafor",
        "removed:",
        "  csv-1003  Golden Star Maritime Trading",
    ]
    missing = tg("lists", "diff", "99")
    assert missing.exit_code == 1
    assert "no sanctions list version 99" in missing.stderr


def test_an_empty_file_is_refused_unless_allowed(tg: Invoke, tmp_path: Path) -> None:
    load(tg, watch_list(tmp_path, SIDOROV))
    empty = watch_list(tmp_path)
    refused = tg("lists", "load-sanctions", "--source", "csv", str(empty), "--no-rescreen")
    assert refused.exit_code == 1
    assert "truncated" in refused.stderr
    assert "--allow-empty" in refused.stderr
    assert "0 entities; 0 added, 0 changed, 1 removed" in load(tg, empty, "--allow-empty")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--source", "interpol", "x.csv"), "unknown list source"),
        (("--source", "csv", "missing.csv"), "no such file"),
        (("--source", "un", "bad.xml"), "bad.xml"),
    ],
)
def test_a_bad_source_or_file_is_one_line_and_exit_1(
    tg: Invoke, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    (tmp_path / "x.csv").write_text(HEADER)
    (tmp_path / "bad.xml").write_text("this is not XML")
    result = tg("lists", "load-sanctions", *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_screen_a_name(tg: Invoke, tmp_path: Path) -> None:
    nothing = tg("screen", "Ivan Sidorov")
    assert nothing.exit_code == 1
    assert "tradeguard lists load-sanctions" in nothing.stderr
    load(tg, watch_list(tmp_path, SIDOROV, OKAFOR, GOLDEN_STAR))
    table = tg("screen", "Ivan Petrovich Sidorov", "--birth-date", "1961-05-02")
    assert table.exit_code == 0, table.output
    assert "MATCH" in table.stdout
    assert "csv-1001" in table.stdout
    assert "csv:watch v1" in table.stderr
    result = tg(
        "screen",
        "Ivan Petrovich Sidorov",
        "--nationality",
        "RU",
        "--format",
        "json",
        "--limit",
        "1",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    [best] = doc["results"]
    assert best["entity_id"] == "csv-1001"
    assert best["list"] == "csv:watch"
    assert best["match"] is True
    assert best["features"]["name_match"]["score"] > 0
    strict = json.loads(tg("screen", "Ivan Sidorov", "--threshold", "1", "--format", "json").stdout)
    assert not any(r["match"] for r in strict["results"] if r["score"] < 1)


def test_screen_refuses_a_query_that_cannot_be(tg: Invoke, tmp_path: Path) -> None:
    load(tg, watch_list(tmp_path, SIDOROV))
    result = tg("screen", "Golden Star", "--schema", "Company", "--birth-date", "1961")
    assert result.exit_code == 1
    assert "birthDate" in result.stderr


def test_a_load_rescreens_merchants_against_what_changed(
    tg: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitoring = pytest.importorskip("tradeguard.domains.merchants.monitoring")
    calls: list[dict[str, object]] = []

    def rescreen(factory: object, counters: object, **kwargs: object) -> str:
        calls.append(kwargs)
        return "2 merchants screened, 0 new hits, 0 cases opened"

    monkeypatch.setattr(monitoring, "rescreen", rescreen)
    tg("lists", "load-sanctions", "--source", "csv", str(watch_list(tmp_path, SIDOROV)))
    result = tg(
        "lists", "load-sanctions", "--source", "csv", str(watch_list(tmp_path, SIDOROV, OKAFOR))
    )
    assert result.exit_code == 0, result.output
    changed = calls[1]["changed"]
    assert isinstance(changed, list)
    assert [(key, e.entity_id) for key, e in changed] == [("csv:watch", "csv-1002")]
    assert "csv:watch v2" in str(calls[1]["reason"])
    removed_only = tg(
        "lists", "load-sanctions", "--source", "csv", str(watch_list(tmp_path, SIDOROV))
    )
    assert "no merchant needs re-screening" in removed_only.stdout
    assert len(calls) == 2


def test_a_load_runs_the_merchant_rescreen(tg: Invoke, tmp_path: Path) -> None:
    result = tg("lists", "load-sanctions", "--source", "csv", str(watch_list(tmp_path, SIDOROV)))
    assert result.exit_code == 0, result.output
    assert "re-screen against 1 added or changed: 0 merchants" in result.stdout


@pytest.mark.skipif(not (DATA / "UN_consolidated.xml").exists(), reason=f"{DATA} not present")
def test_load_the_real_un_list_and_screen_against_it(tg: Invoke) -> None:
    result = tg(
        "lists",
        "load-sanctions",
        "--source",
        "un",
        str(DATA / "UN_consolidated.xml"),
        "--no-rescreen",
    )
    assert result.exit_code == 0, result.output
    assert "un v1" in result.stdout
    again = tg(
        "lists",
        "load-sanctions",
        "--source",
        "un",
        str(DATA / "UN_consolidated.xml"),
        "--no-rescreen",
    )
    assert "already loaded" in again.stdout
    assert "un" in tg("lists", "sanctions").stdout.split()


def test_the_ofac_fingerprint_covers_the_sibling_files(tmp_path: Path) -> None:
    from tradeguard.domains.merchants.sanctions.cli import fingerprint

    (tmp_path / "sdn.csv").write_text("306,NAME,individual\n")
    (tmp_path / "alt.csv").write_text("306,1,aka,OTHER,-0-\n")
    (tmp_path / "unrelated.xml").write_text("<x/>")
    by_folder = fingerprint("ofac-sdn", tmp_path)
    assert fingerprint("ofac-sdn", tmp_path / "sdn.csv") == by_folder
    (tmp_path / "unrelated.xml").write_text("<y/>")
    assert fingerprint("ofac-sdn", tmp_path) == by_folder
    (tmp_path / "alt.csv").write_text("306,1,aka,ANOTHER,-0-\n")
    assert fingerprint("ofac-sdn", tmp_path) != by_folder
    assert fingerprint("csv", tmp_path / "sdn.csv") != by_folder
