"""POST /v1/passwords/check: who may call it, what it answers, and that it forgets the password."""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from tests.api.conftest import Api
from tradeguard.engine.tables import AuditEntry
from tradeguard.runtime import Runtime

URL = "/v1/passwords/check"
STRONG = "violet staple orbit canyon"


def unique_password() -> str:
    """A password no fixture, message or table could hold by chance."""
    return f"Unique-{uuid.uuid4().hex}-marker"


def traces(password: str) -> list[str]:
    """The password, and the SHA-1 a careless breach check might keep, in both cases."""
    digest = hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest()
    return [password, digest, digest.upper()]


def stored_text(runtime: Runtime) -> str:
    """Every row of every table in the database, reflected rather than taken from the models."""
    metadata = MetaData()
    metadata.reflect(bind=runtime.engine)
    assert AuditEntry.__tablename__ in metadata.tables
    rows: list[str] = []
    with runtime.engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(rows)


def files_text(runtime: Runtime) -> bytes:
    """The data directory's files, SQLite's database and write-ahead log included."""
    root = runtime.settings.data_dir
    return b"\n".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def assert_nowhere(password: str, runtime: Runtime, *texts: str) -> None:
    everything = "\n".join([*texts, stored_text(runtime)])
    files = files_text(runtime)
    for trace in traces(password):
        assert trace not in everything
        assert trace.encode() not in files


def with_breaches(runtime: Runtime, path: Path) -> None:
    runtime.settings = runtime.settings.model_copy(update={"breached_passwords_path": path})


# Who may call


def test_a_key_is_required(api: Api) -> None:
    response = api.client.post(URL, json={"password": STRONG})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("role", "status"), [("ingest", 200), ("admin", 200), ("analyst", 403)])
def test_the_role_that_posts_events_may_check_passwords(api: Api, role: str, status: int) -> None:
    response = api.client.post(URL, json={"password": STRONG}, headers=getattr(api, role))
    assert response.status_code == status, response.text


# What it answers


def test_a_strong_password_is_acceptable(api: Api) -> None:
    body = api.client.post(URL, json={"password": STRONG}, headers=api.ingest).json()
    assert body == {
        "acceptable": True,
        "score": 4,
        "reasons": [],
        "suggestions": [],
        "breached_count": None,
        "policy": {
            "min_length": 15,
            "max_length": 256,
            "min_score": 3,
            "with_second_factor": False,
        },
    }


def test_a_weak_password_gets_coded_reasons_and_suggestions(api: Api) -> None:
    request = {
        "password": "JaneDoe2024!",
        "with_second_factor": True,
        "context": {"user_name": "jane_doe", "email": "jane@example.com", "store_name": "Acme"},
    }
    body = api.client.post(URL, json=request, headers=api.ingest).json()
    assert body["acceptable"] is False
    assert body["policy"]["min_length"] == 8
    assert "contains_context" in {r["code"] for r in body["reasons"]}
    assert all(r["message"] for r in body["reasons"])
    assert body["suggestions"]


def test_breaches_are_counted_from_the_configured_file(api: Api, tmp_path: Path) -> None:
    digest = hashlib.sha1(b"hunter2hunter2", usedforsecurity=False).hexdigest().upper()
    ranges = tmp_path / "ranges"
    ranges.mkdir()
    (ranges / f"{digest[:5]}.txt").write_text(f"{digest[5:]}:1234\r\n")
    with_breaches(api.runtime, ranges)
    body = api.client.post(
        URL, json={"password": "hunter2hunter2", "with_second_factor": True}, headers=api.ingest
    ).json()
    assert body["breached_count"] == 1234
    assert "breached" in {r["code"] for r in body["reasons"]}
    strong = api.client.post(URL, json={"password": STRONG}, headers=api.ingest).json()
    assert strong["breached_count"] == 0


def test_a_missing_breach_file_is_a_503_naming_the_setting(api: Api, tmp_path: Path) -> None:
    with_breaches(api.runtime, tmp_path / "nowhere")
    response = api.client.post(URL, json={"password": STRONG}, headers=api.ingest)
    assert response.status_code == 503
    assert "TRADEGUARD_BREACHED_PASSWORDS_PATH" in response.json()["detail"]
    assert str(tmp_path) not in response.text


def test_an_over_long_password_is_a_reason_not_an_error(api: Api) -> None:
    response = api.client.post(URL, json={"password": "x" * 5000}, headers=api.ingest)
    assert response.status_code == 200
    assert "too_long" in {r["code"] for r in response.json()["reasons"]}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"password": 12345678},
        {"password": None},
        {"password": STRONG, "with_second_factor": "maybe"},
        {"password": STRONG, "context": "jane"},
        {"password": STRONG, "context": {"phone": "123"}},
        {"password": STRONG, "context": {"user_name": "x" * 201}},
    ],
)
def test_bad_bodies_are_422_problems(api: Api, body: dict[str, Any]) -> None:
    response = api.client.post(URL, json=body, headers=api.ingest)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


# Never logged, stored or returned


def malformed_bodies(password: str) -> list[bytes]:
    """Requests that fail validation while carrying the password in every way they can."""
    return [
        f'{{"password": "{password}", "confirm": "{password}"}}'.encode(),
        f'{{"password": "{password}", "with_second_factor": "{password}"}}'.encode(),
        f'{{"password": "{password}", "context": "{password}"}}'.encode(),
        f'{{"password": "{password}", "context": {{"email": ["{password}"]}}}}'.encode(),
        f'{{"password": ["{password}"]}}'.encode(),
        f'{{"password": "{password}", '.encode(),  # cut off: not JSON at all
    ]


def test_the_password_is_never_logged_stored_or_returned(
    api: Api, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "uvicorn", "uvicorn.access", "uvicorn.error", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    password = unique_password()
    answers: list[str] = []
    for with_second_factor in (False, True):
        response = api.client.post(
            URL,
            json={"password": password, "with_second_factor": with_second_factor},
            headers=api.ingest,
        )
        assert response.status_code == 200
        answers.append(response.text + repr(response.headers))
    for body in malformed_bodies(password):
        response = api.client.post(
            URL, content=body, headers={**api.ingest, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
        answers.append(response.text + repr(response.headers))
    audit = api.client.get("/v1/audit", headers=api.admin)
    assert audit.status_code == 200
    assert any("password check" in r.getMessage() for r in caplog.records)  # logging was seen
    printed = capsys.readouterr()
    logs = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {r.args!r}" for r in caplog.records)
    assert_nowhere(
        password, api.runtime, *answers, audit.text, caplog.text, logs, printed.out, printed.err
    )


def test_a_check_writes_no_audit_row(api: Api) -> None:
    before = api.client.get("/v1/audit", headers=api.admin).json()
    api.client.post(URL, json={"password": STRONG}, headers=api.ingest)
    assert api.client.get("/v1/audit", headers=api.admin).json() == before
