"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from tradeguard import __version__
from tradeguard.api import (
    accounts,
    admin,
    cases,
    events,
    levels,
    lists,
    mail,
    merchants,
    mfa,
    models,
    passwords,
    problems,
    rules,
    screen,
)
from tradeguard.api.deps import KeyCache
from tradeguard.api.limits import BodySizeLimit
from tradeguard.config import Settings, get_settings
from tradeguard.runtime import Runtime
from tradeguard.web import errors as console_errors
from tradeguard.web import install as install_console
from tradeguard.web.security import PREFIX as CONSOLE


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """Build the app; the runtime (database, counters) starts in the lifespan unless given."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        # `tradeguard serve` migrates once before starting workers; workers only connect,
        # so several of them never race on the schema or the default packs.
        app.state.runtime = runtime or Runtime.start(settings, migrate=False)
        yield
        if owned:
            app.state.runtime.close()

    app = FastAPI(
        title="TradeGuard",
        version=__version__,
        summary="Risk control and protection for cross-border e-commerce",
        lifespan=lifespan,
    )
    app.state.key_cache = KeyCache()
    if runtime is not None:
        app.state.runtime = runtime
    problems.install(app, pages=(CONSOLE, console_errors.render))
    # mail before events: its raw-message route shadows the generic JSON one for ``email``.
    for module in (
        mail,
        events,
        cases,
        accounts,
        merchants,
        screen,
        lists,
        rules,
        models,
        levels,
        passwords,
        admin,
        mfa,
    ):
        app.include_router(module.router)

    @app.get("/healthz", tags=["health"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    install_console(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/v1/events/email": settings.mail_max_message_bytes},
    )
    return app
