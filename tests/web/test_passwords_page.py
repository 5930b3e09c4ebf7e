"""The console's password check: a form posted by HTMX, CSRF-protected, never echoing."""

from __future__ import annotations

import logging

import pytest

from tests.api.test_passwords_api import assert_nowhere, unique_password
from tests.web.conftest import Console

HTMX = {"HX-Request": "true"}


def test_the_page_renders_for_any_signed_in_operator(console: Console) -> None:
    page = console.signed_in("viewer").get("/console/passwords")
    assert page.status_code == 200
    assert "Password policy" in page.text
    assert 'autocomplete="new-password"' in page.text
    assert 'name="with_second_factor"' in page.text
    assert 'hx-post="/console/passwords"' in page.text
    assert 'href="/console/passwords" aria-current="page">Passwords</a>' in page.text


def test_signing_in_comes_first(console: Console) -> None:
    response = console.browser().get("/console/passwords", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login")


def test_an_htmx_check_answers_with_the_result_only(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    viewer = console.signed_in("viewer")
    password = unique_password()
    response = viewer.post(
        "/console/passwords",
        {"password": password, "user_name": "jane", "email": "jane@example.com"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "acceptable" in response.text
    assert "<meter" in response.text
    weak = viewer.post(
        "/console/passwords",
        {"password": "jane2024", "user_name": "jane", "with_second_factor": "true"},
        headers=HTMX,
    )
    assert "refused" in weak.text
    assert "contains_context" in weak.text
    assert "at least 8 characters" in weak.text
    assert_nowhere(password, console.runtime, response.text, caplog.text)


def test_without_javascript_the_whole_page_comes_back_without_the_password(
    console: Console,
) -> None:
    password = unique_password()
    response = console.signed_in("viewer").post("/console/passwords", {"password": password})
    assert response.status_code == 200
    assert "<html" in response.text
    assert 'id="password-result"' in response.text
    assert "acceptable" in response.text
    assert password not in response.text


def test_an_over_long_password_is_a_reason(console: Console) -> None:
    response = console.signed_in("viewer").post(
        "/console/passwords", {"password": "x" * 300}, headers=HTMX
    )
    assert response.status_code == 200
    assert "too_long" in response.text


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_the_csrf_token_is_refused(console: Console, token: str | None) -> None:
    viewer = console.signed_in("viewer")
    password = unique_password()
    data = {"password": password} if token is None else {"password": password, "csrf_token": token}
    response = viewer.client.post("/console/passwords", data=data, headers=HTMX)
    assert response.status_code == 403
    assert password not in response.text
    assert "acceptable" not in response.text


def test_a_post_from_another_site_is_refused(console: Console) -> None:
    viewer = console.signed_in("viewer")
    response = viewer.post(
        "/console/passwords",
        {"password": "violet staple orbit canyon"},
        headers={**HTMX, "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
