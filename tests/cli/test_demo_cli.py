"""``tradeguard demo --no-serve``: what it prints, and what it refuses to delete."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Invoke


def test_demo_command_prints_where_and_how_to_sign_in(tg: Invoke, tmp_path: Path) -> None:
    result = tg(
        "demo",
        "--no-serve",
        "--customers",
        "60",
        "--days",
        "2",
        "--until",
        "2026-11-20",
        "--data-dir",
        str(tmp_path / "shop"),
    )
    assert result.exit_code == 0, result.output
    assert "Console:  http://127.0.0.1:8000/console/" in result.output
    assert "Username: admin" in result.output
    assert "One-time password: " in result.output
    assert "Screened " in result.output
    refused = tg("demo", "--no-serve", "--data-dir", str(tmp_path))  # has files, no marker
    assert refused.exit_code == 1
    assert "not a demo folder" in refused.output
