"""Drive the console in Chromium: a demo store served on a free port, and signed-in pages.

Shared by the browser tests and ``scripts/console_screenshots.py``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import uvicorn
from playwright.sync_api import Browser, Page, Playwright

from tradeguard.app import create_app
from tradeguard.auth import operators
from tradeguard.db.session import unit_of_work
from tradeguard.demo.build import DemoStore, build
from tradeguard.runtime import Runtime

CHROMIUM = os.environ.get("TRADEGUARD_CHROMIUM", "/usr/bin/chromium")
# Without the background-networking flags Chromium dials Google at start-up; this machine's
# closed network refuses those connections, and tests must not reach the internet anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "violet staple orbit canyon"
_names = itertools.count(1)


def has_chromium() -> bool:
    return Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    url: str
    store: DemoStore
    runtime: Runtime
    secrets: dict[str, str] = field(default_factory=dict)

    def operator(self, role: str) -> str:
        """A fresh, enrolled operator of ``role``; returns its username."""
        username = f"{role}{next(_names)}"
        key = self.runtime.secret_key
        with unit_of_work(self.runtime.sessions) as session:
            operator, _ = operators.create(
                session, username=username, role=role, password=PASSWORD, actor="test"
            )
            secret = operators.begin_enrolment(operator, secret_key=key)
            operators.confirm_enrolment(
                session, operator, code=pyotp.TOTP(secret).now(), secret_key=key
            )
        self.secrets[username] = secret
        return username

    def next_code(self, username: str) -> str:
        """A code for the next 30-second step: the current one was spent on enrolment."""
        return pyotp.TOTP(self.secrets[username]).at(datetime.now(UTC) + timedelta(seconds=30))


@contextmanager
def serve_demo(folder: Path, *, customers: int = 150, days: int = 5) -> Iterator[Served]:
    store = build(
        folder,
        seed=7,
        customers=customers,
        days=days,
        until=datetime.now(UTC).date(),
        step=lambda _description, _total: lambda _n: None,
    )
    runtime = Runtime.start(store.settings)
    port = _free_port()
    config = uvicorn.Config(
        create_app(store.settings, runtime=runtime),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", store, runtime)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def sign_in(page: Page, served: Served, username: str) -> None:
    page.goto(f"{served.url}/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(served.next_code(username))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(f"{served.url}/console/")
