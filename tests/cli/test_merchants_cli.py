"""``tradeguard merchants screen``, ``rescreen`` and ``show`` against a store in a temp folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cli.conftest import Invoke
from tests.domains.merchants.applications import JANE, application, load_un
from tests.domains.merchants.listed import HALVORSEN, SIDOROV
from tradeguard.config import get_settings
from tradeguard.runtime import Runtime

SIDOROV_DIRECTOR = {
    **JANE,
    "name": "Ivan Sidorov",
    "birth_date": "1961-05-02",
    "roles": ["director"],
}


def _lists(tg: Invoke, *entities: Any) -> None:
    """Load a small UN list into the store the CLI uses."""
    assert tg("db", "upgrade").exit_code == 0
    get_settings.cache_clear()
    rt = Runtime.start(get_settings())
    try:
        load_un(rt, *entities)
    finally:
        rt.close()


def _file(tmp_path: Path, *lines: Any) -> Path:
    path = tmp_path / "applications.jsonl"
    text = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(text) + "\n", "utf-8")
    return path


def test_screen_a_file_of_applications_and_show_one(tg: Invoke, tmp_path: Path) -> None:
    _lists(tg, SIDOROV)
    path = _file(
        tmp_path,
        application("m-clean"),
        application("m-listed", people=[SIDOROV_DIRECTOR]),
        '{"id": "broken"',
        application("m-bad-phone", phone="12"),
    )
    result = tg("merchants", "screen", str(path))
    assert result.exit_code == 1  # rejected lines make the exit code say so
    assert "2 screened (0 seen before, verdict unchanged), 2 rejected" in result.stdout
    assert "line 4: phone: " in result.stderr

    shown = tg("merchants", "show", "m-listed")
    assert shown.exit_code == 0, shown.output
    assert ": block " in shown.stdout
    assert "director 'Ivan Sidorov' matches UN-listed Ivan Petrovich Sidorov" in shown.stdout
    assert "un v1, 2026-02-27" in shown.stdout
    assert "identifier ok: registration number" in shown.stdout

    again = tg("merchants", "screen", str(_file(tmp_path, application("m-clean", event_id="x-1"))))
    assert again.exit_code == 0, again.output


def test_rescreen_opens_a_case_for_a_newly_listed_owner(tg: Invoke, tmp_path: Path) -> None:
    _lists(tg, SIDOROV)
    astrid = {**JANE, "name": "Astrid Halvorsen", "birth_date": "1955-01-30"}
    path = _file(tmp_path, application("m-astrid", people=[astrid]))
    assert tg("merchants", "screen", str(path)).exit_code == 0
    _lists(tg, SIDOROV, HALVORSEN)

    result = tg("merchants", "rescreen", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "1 merchants (2 parties) screened in" in result.stdout
    assert "1 new hits, 1 events, 1 cases opened" in result.stdout
    full = tg("merchants", "rescreen", "--full", "--workers", "1")
    assert "0 new hits, 0 events, 0 cases opened" in full.stdout

    shown = tg("merchants", "show", "m-astrid")
    assert "re-screen " in shown.stdout
    assert "after a list update, owner/director 'Astrid Halvorsen' matches" in shown.stdout


def test_mistakes_are_one_line_and_an_exit_code(tg: Invoke) -> None:
    no_lists = tg("merchants", "rescreen")
    assert no_lists.exit_code == 1
    assert no_lists.stderr.startswith("error: no sanctions lists are loaded")
    unknown = tg("merchants", "show", "nope")
    assert unknown.exit_code == 1
    assert unknown.stderr.strip() == "error: no merchant 'nope'"
