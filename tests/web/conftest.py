"""A console against a real store: browsers (cookie jars) signed in as each role."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tradeguard.app import create_app
from tradeguard.auth import operators
from tradeguard.db.base import utcnow
from tradeguard.db.session import unit_of_work
from tradeguard.runtime import Runtime

PASSWORD = "violet staple orbit canyon"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


@dataclass
class Browser:
    client: TestClient
    csrf: str = ""

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """A form post carrying this browser's CSRF token, as the console's forms do."""
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@dataclass
class Console:
    app: FastAPI
    runtime: Runtime

    def browser(self) -> Browser:
        return Browser(TestClient(self.app, raise_server_exceptions=False))

    def operator(self, username: str, role: str) -> str:
        """An enrolled operator; returns the TOTP secret."""
        with unit_of_work(self.runtime.sessions) as session:
            operator, _ = operators.create(
                session, username=username, role=role, password=PASSWORD, actor="test"
            )
            secret = operators.begin_enrolment(operator, secret_key=self.runtime.secret_key)
            operators.confirm_enrolment(
                session,
                operator,
                code=pyotp.TOTP(secret).now(),
                secret_key=self.runtime.secret_key,
            )
        return secret

    def signed_in(self, role: str, username: str | None = None) -> Browser:
        name = username or role
        secret = self.operator(name, role)
        browser = self.browser()
        page = browser.get("/console/login")
        response = browser.client.post(
            "/console/login",
            data={"username": name, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert response.url.path == "/console/login/second-factor", response.text
        code = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
        response = browser.client.post(
            "/console/login/second-factor",
            data={"code": code, "csrf_token": csrf_of(response.text)},
        )
        assert response.url.path == "/console/", response.text
        browser.csrf = csrf_of(response.text)
        return browser


@pytest.fixture
def console(runtime: Runtime) -> Console:
    return Console(create_app(runtime.settings, runtime=runtime), runtime)
