"""Run the real ``tradeguard`` command in-process against a store in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tradeguard.cli import app
from tradeguard.config import get_settings
from tradeguard.engine.models import ACTIVE_MODELS
from tradeguard.engine.rulepacks import ACTIVE

Invoke = Callable[..., Result]


@pytest.fixture
def tg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    monkeypatch.setenv("TRADEGUARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TRADEGUARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("TRADEGUARD_REDIS_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    ACTIVE.invalidate()
    ACTIVE_MODELS.invalidate()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        get_settings.cache_clear()
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
    ACTIVE.invalidate()
    ACTIVE_MODELS.invalidate()
