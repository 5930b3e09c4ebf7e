"""Collectors: measurements TradeGuard takes of its own data, as evidence that a control works.

A collector reads the store as of a moment over a window and returns a ``Measurement``. One
with nothing to measure (no volumes reported, no list loaded) says so with ``value=None``:
the control then shows "no evidence", never a default pass. Controls of modules TradeGuard
does not have yet (``PLANNED_MODULES``) name collectors that do not exist; they get the same
honest "no evidence" until the module lands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from tradeguard.config import Settings
from tradeguard.errors import readable

Unit = Literal["share", "count", "hours", "days", "flag"]
# Modules of the design (../DESIGN.md) not built yet: their controls show "no evidence".
PLANNED_MODULES = frozenset(
    {"backups", "vault", "incidents", "listings", "inspection", "logistics"}
)


def known_kind(value: str) -> str:
    """An event kind TradeGuard screens: a typo ("orders") would match nothing, silently."""
    from tradeguard.engine.events import event_kinds

    known = event_kinds()
    if value not in known:
        raise ValueError(f"unknown event kind {value!r} (known: {', '.join(sorted(known))})")
    return value


KindName = Annotated[str, AfterValidator(known_kind)]


@dataclass(frozen=True)
class Measurement:
    """``value`` None means no evidence; ``detail`` says what was counted, in words."""

    value: float | None
    unit: Unit
    detail: str
    sample: int | None = None  # how many things the value was computed over

    @classmethod
    def none(cls, unit: Unit, why: str) -> Measurement:
        return cls(value=None, unit=unit, detail=why)

    def noting(self, extra: str) -> Measurement:
        """The same measurement with more said: which ones fall short, by name."""
        return replace(self, detail=f"{self.detail}; {extra}")

    @classmethod
    def share(cls, part: int, whole: int, what: str, *, empty: str) -> Measurement:
        """``part`` of ``whole``, worded; no evidence when there is nothing to divide."""
        if whole == 0:
            return cls.none("share", empty)
        return cls(
            part / whole, "share", f"{part:,} of {whole:,} {what} ({part / whole:.1%})", whole
        )


@dataclass(frozen=True)
class Context:
    session: Session
    settings: Settings
    now: datetime
    window: timedelta

    @property
    def since(self) -> datetime:
        return self.now - self.window


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class Collector:
    name: str
    unit: Unit
    params: type[BaseModel]
    measure: Callable[..., Measurement]
    describes: str  # one line, for the catalog reference and `tradeguard controls collectors`


COLLECTORS: dict[str, Collector] = {}


def collector(
    name: str, *, unit: Unit, params: type[BaseModel] = NoParams
) -> Callable[[Callable[..., Measurement]], Callable[..., Measurement]]:
    """Register ``func(ctx, params) -> Measurement`` under ``name``; its docstring describes it."""

    def register(func: Callable[..., Measurement]) -> Callable[..., Measurement]:
        describes = (func.__doc__ or "").strip().splitlines()[0]
        COLLECTORS[name] = Collector(name, unit, params, func, describes)
        return func

    return register


def check_params(name: str, params: dict[str, Any]) -> str | None:
    """Why ``params`` do not fit the collector, or None when they do."""
    try:
        COLLECTORS[name].params.model_validate(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc']) or 'params'}: {readable(first['msg'])}"
    return None


def measure(name: str, params: dict[str, Any], ctx: Context) -> Measurement:
    found = COLLECTORS.get(name)
    if found is None:
        module = name.split(".", 1)[0]
        return Measurement.none(
            "flag", f"no evidence: TradeGuard has no {module} module yet, so nothing measures this"
        )
    return found.measure(ctx, found.params.model_validate(params))


def load_collectors() -> None:
    """Import the collector modules, which register themselves."""
    from tradeguard.levels.collectors import (  # noqa: F401
        operations,
        payments,
        platform,
        protection,
    )
