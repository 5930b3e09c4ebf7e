"""Signing in to the console: the first sign-in, lock-out, CSRF, cookies and headers."""

from __future__ import annotations

import re

import pyotp

from tests.web.conftest import PASSWORD, Console, csrf_of
from tradeguard.auth import operators
from tradeguard.db.session import unit_of_work
from tradeguard.engine import audit

NEW_PASSWORD = "maple quartz harbour lantern"


def test_first_sign_in_changes_the_password_and_enrols_two_factor(console: Console) -> None:
    with unit_of_work(console.runtime.sessions) as session:
        _, one_time = operators.create(session, username="root", role="admin", actor="cli")
    assert one_time is not None
    browser = console.browser()
    page = browser.get("/console/cases?status=open")
    assert page.url.path == "/console/login"  # sent to sign in, with where it was going
    assert 'value="/console/cases?status=open"' in page.text
    page = browser.client.post(
        "/console/login",
        data={"username": "root", "password": one_time, "csrf_token": csrf_of(page.text)},
    )
    assert page.url.path == "/console/password"
    assert browser.get("/console/").url.path == "/console/password"  # nothing else until done
    page = browser.client.post(
        "/console/password",
        data={
            "current": one_time,
            "new": "weakpass1234",
            "confirm": "weakpass1234",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert page.status_code == 422
    assert "too easy to guess" in page.text
    page = browser.client.post(
        "/console/password",
        data={
            "current": one_time,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_of(page.text),
        },
    )
    assert page.url.path == "/console/two-factor"
    assert 'src="data:image/svg+xml' in page.text
    secret = re.search(r'id="totp-secret" class="secret">([A-Z2-7]+)<', page.text)
    assert secret is not None
    wrong = browser.client.post(
        "/console/two-factor", data={"code": "000000", "csrf_token": csrf_of(page.text)}
    )
    assert wrong.status_code == 422
    done = browser.client.post(
        "/console/two-factor",
        data={"code": pyotp.TOTP(secret.group(1)).now(), "csrf_token": csrf_of(wrong.text)},
    )
    assert done.status_code == 200
    assert (
        len(re.findall(r"<li><code>[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}</code></li>", done.text))
        == 10
    )
    overview = browser.get("/console/")
    assert overview.status_code == 200
    assert "<h1>Overview</h1>" in overview.text
    with unit_of_work(console.runtime.sessions) as session:
        actions = {e.action for e in audit.search(session, actor="operator:root")}
    assert {"operator.password_change", "operator.totp_enrol", "operator.sign_in"} <= actions


def test_five_wrong_passwords_lock_the_account(console: Console) -> None:
    console.operator("alice", "analyst")
    browser = console.browser()
    for attempt in range(5):
        page = browser.get("/console/login")
        response = browser.client.post(
            "/console/login",
            data={
                "username": "alice",
                "password": f"guess {attempt}",
                "csrf_token": csrf_of(page.text),
            },
        )
    assert response.status_code == 429
    assert "locked for 5 more minute(s)" in response.text
    page = browser.get("/console/login")
    response = browser.client.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    assert response.status_code == 429  # the right password does not get through either


def test_wrong_second_factor_codes_count_towards_the_lock(console: Console) -> None:
    console.operator("alice", "analyst")
    browser = console.browser()
    page = browser.get("/console/login")
    page = browser.client.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
    )
    for _ in range(4):
        page = browser.client.post(
            "/console/login/second-factor",
            data={"code": "123456", "csrf_token": csrf_of(page.text)},
        )
        assert page.status_code == 401
    page = browser.client.post(
        "/console/login/second-factor", data={"code": "123456", "csrf_token": csrf_of(page.text)}
    )
    assert page.url.path == "/console/login"
    assert "locked" in page.text


def test_sign_in_form_needs_its_token_and_the_same_origin(console: Console) -> None:
    console.operator("alice", "viewer")
    browser = console.browser()
    token = csrf_of(browser.get("/console/login").text)
    data = {"username": "alice", "password": PASSWORD}
    assert browser.client.post("/console/login", data=data).status_code == 422  # no token
    assert (
        browser.client.post("/console/login", data={**data, "csrf_token": "forged"}).status_code
        == 403
    )
    assert (
        browser.client.post(
            "/console/login",
            data={**data, "csrf_token": token},
            headers={"Origin": "https://evil.example"},
        ).status_code
        == 403
    )
    assert (
        browser.client.post(
            "/console/login",
            data={**data, "csrf_token": token},
            headers={"Sec-Fetch-Site": "cross-site"},
        ).status_code
        == 403
    )


def test_console_forms_refuse_a_missing_or_foreign_token(console: Console) -> None:
    browser = console.signed_in("admin")
    response = browser.client.post(
        "/console/lists",
        data={"list_name": "block", "entity_type": "ip", "value": "203.0.113.9", "reason": "x"},
    )
    assert response.status_code == 403
    other = console.signed_in("analyst")
    response = browser.client.post(
        "/console/lists",
        data={
            "list_name": "block",
            "entity_type": "ip",
            "value": "203.0.113.9",
            "reason": "x",
            "csrf_token": other.csrf,
        },
    )
    assert response.status_code == 403
    assert "out of date or came from another site" in response.text


def test_logout_ends_the_session_on_the_server(console: Console) -> None:
    browser = console.signed_in("viewer")
    cookie = browser.client.cookies.get("tg_session")
    assert cookie
    assert browser.post("/console/logout").url.path == "/console/login"
    thief = console.browser()
    thief.client.cookies.set("tg_session", cookie)
    assert thief.get("/console/").url.path == "/console/login"


def test_cookies_and_headers_are_locked_down(console: Console) -> None:
    browser = console.browser()
    page = browser.get("/console/login")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # the CSP forbids inline script; none is needed
    console.operator("alice", "viewer")
    response = browser.client.post(
        "/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert browser.get("/console/static/console.css").headers["cache-control"].startswith("public")


def test_https_sessions_use_a_host_only_secure_cookie(console: Console) -> None:
    console.operator("alice", "viewer")
    browser = console.browser()
    browser.client.base_url = "https://testserver"
    page = browser.get("https://testserver/console/login")
    response = browser.client.post(
        "https://testserver/console/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-tg_session=")
    assert "Secure" in cookie


def test_next_never_leaves_the_console(console: Console) -> None:
    browser = console.signed_in("viewer")
    for target in ("//evil.example/", "https://evil.example/", "/console/..//evil", "/docs"):
        response = browser.get(f"/console/login?next={target}", follow_redirects=False)
        assert response.headers["location"] == "/console/"
    assert (
        browser.get("/console/login?next=/console/cases", follow_redirects=False).headers[
            "location"
        ]
        == "/console/cases"
    )


def test_the_api_still_answers_in_problem_json(console: Console) -> None:
    response = console.browser().get("/v1/cases")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert console.browser().get("/").headers.get("location") is None  # followed to login
