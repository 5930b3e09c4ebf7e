"""What every CLI command shares: settings, the runtime, and one-line errors with exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from tradeguard.config import SettingsError, get_settings
from tradeguard.errors import TradeGuardError
from tradeguard.runtime import Runtime

P = ParamSpec("P")
R = TypeVar("R")
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Known failures become one readable line and a non-zero exit, never a traceback."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            err.print(f"error: setting {exc}", markup=False)
            raise typer.Exit(2) from None
        except TradeGuardError as exc:
            err.print(f"error: {exc.detail}", markup=False)
            raise typer.Exit(1) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            err.print(f"error: {exc.strerror or exc}{where}", markup=False)
            raise typer.Exit(1) from None

    return wrapper


@contextmanager
def runtime(*, install_defaults: bool = True) -> Iterator[Runtime]:
    rt = Runtime.start(get_settings(), install_defaults=install_defaults)
    try:
        yield rt
    finally:
        rt.close()


def is_tty() -> bool:
    return sys.stderr.isatty()


def progress_bar() -> Progress:
    """On stderr, so a command's stdout stays clean for pipes."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
