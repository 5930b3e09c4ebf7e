"""Settings choose the counter backend; a Redis-backed runtime screens for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.factories import login
from tradeguard.config import SettingsError, load_settings
from tradeguard.engine.rulepacks import ACTIVE
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Decision
from tradeguard.runtime import Runtime


def test_counter_backend_follows_the_settings(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).resolved_counter_backend == "sql"
    with_redis = load_settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:6379/0")
    assert with_redis.resolved_counter_backend == "redis"
    with pytest.raises(SettingsError, match="TRADEGUARD_COUNTER_BACKEND"):
        _ = load_settings(data_dir=tmp_path, counter_backend="redis").resolved_counter_backend


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    key = settings.resolved_secret_key()
    assert key == settings.resolved_secret_key()
    assert len(key) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.redis
def test_a_runtime_on_redis_counters(tmp_path: Path, redis_url: str, redis_prefix: str) -> None:
    ACTIVE.invalidate()
    settings = make_settings(tmp_path, redis_url=redis_url, redis_prefix=redis_prefix)
    settings = settings.model_copy(update={"counter_backend": "auto"})
    rt = Runtime.start(settings)
    try:
        verdicts = [
            ingest(
                rt.sessions,
                kind="login",
                raw=login(success=False, minutes=i),
                actor="t",
                counters=rt.counters,
            )
            for i in range(5)
        ]
    finally:
        rt.close()
        ACTIVE.invalidate()
    assert verdicts[-1].decision is Decision.CHALLENGE
