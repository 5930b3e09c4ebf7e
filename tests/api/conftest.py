"""An API client against a real store, with one key per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from tradeguard.app import create_app
from tradeguard.auth import keys
from tradeguard.db.session import unit_of_work
from tradeguard.runtime import Runtime


@dataclass
class Api:
    client: TestClient
    runtime: Runtime
    admin: dict[str, str]
    analyst: dict[str, str]
    ingest: dict[str, str]


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    headers = {}
    with unit_of_work(runtime.sessions) as session:
        for role in keys.Role:
            _, plaintext = keys.create(session, role=role, name=f"test {role}", actor="test")
            headers[role.value] = {"Authorization": f"Bearer {plaintext}"}
    app = create_app(runtime.settings, runtime=runtime)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, runtime, headers["admin"], headers["analyst"], headers["ingest"])
