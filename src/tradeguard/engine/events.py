"""The event envelope and the registry of event kinds.

An event arrives as one flat JSON object: ``id``, ``occurred_at`` and the kind's own fields.
Each kind declares its payload model, the entities it touches and the counters it feeds, so
the engine never needs to know what a login or an order is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    ValidationError,
    field_validator,
)

from tradeguard.errors import Invalid, NotFound, readable

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MAX_FUTURE_SKEW = timedelta(days=1)


def _text_only(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value


# An IP address given as text; pydantic alone would also take the integer 3232235777.
IPAddress = Annotated[IPvAnyAddress, BeforeValidator(_text_only)]


class Envelope(BaseModel):
    """Fields every event has, whatever its kind."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    occurred_at: AwareDatetime


class Payload(BaseModel):
    """Base for a kind's own fields: unknown fields are refused rather than silently dropped.

    Nested parts of a payload (an order's address, its items) derive from it too, so the same
    rules hold at every depth.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL, and no honest client sends one.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


@dataclass(frozen=True, slots=True)
class CounterSpec:
    """One velocity counter an event kind feeds: ``metric`` per ``entity`` type."""

    metric: str
    entity: str
    when: Callable[[Any], bool] | None = None
    amount: Callable[[Any], float] | None = None
    distinct: Callable[[Any], str | None] | None = None


@dataclass(frozen=True, slots=True)
class Inherit:
    """Entities an event takes over from an earlier event it refers to.

    A chargeback names only its order; inheriting the order's card, device and merchant lets
    it feed those entities' counters, online and in offline replays alike.
    """

    kind: str
    id_entity: str  # the entity of this event that holds the earlier event's id
    entities: tuple[str, ...]

    def taken_from(self, earlier: Mapping[str, str]) -> dict[str, str]:
        return {name: earlier[name] for name in self.entities if earlier.get(name)}


@dataclass(frozen=True, slots=True)
class EventKind:
    name: str
    payload: type[Payload]
    entities: Callable[[Any], dict[str, str]]
    counters: tuple[CounterSpec, ...] = ()
    description: str = ""
    inherit: Inherit | None = None
    # Values derived from the payload that rules read as ``event.derived`` (e.g. an amount
    # in one currency), computed once at parse time so every rule sees the same numbers.
    rule_fields: Callable[[Any], dict[str, Any]] | None = None
    # Values from the entity's own stored past that counters cannot hold (where and when the
    # account last logged in, the hours it usually does), read by rules as ``event.history``.
    # Called with the database session and the event; it must look only at events before it.
    history: Callable[[Any, Event], dict[str, Any]] | None = None
    # Checks that need the database, run once when the event is first screened (a merchant's
    # sanctions screening): the returned event is stored and screened, under the client's
    # digest, so a re-sent event still replays its stored verdict.
    enrich: Callable[[Session, Event], Event] | None = None


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event, ready for the checks."""

    kind: str
    id: str
    occurred_at: datetime
    payload: Payload
    entities: dict[str, str]
    sha256: str
    fields: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)

    def for_rules(self, history: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The view CEL rules see as ``event``."""
        view = {**self.fields, "id": self.id, "kind": self.kind, "occurred_at": self.occurred_at}
        if self.derived:
            view["derived"] = self.derived
        if history is not None:
            view["history"] = dict(history)
        return view

    def with_entities(self, extra: Mapping[str, str]) -> Event:
        """This event with entities added; the event's own values win over inherited ones."""
        return replace(self, entities={**extra, **self.entities})


_KINDS: dict[str, EventKind] = {}


def register_kind(kind: EventKind) -> EventKind:
    existing = _KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"event kind {kind.name!r} is already registered")
    _KINDS[kind.name] = kind
    return kind


def event_kinds() -> dict[str, EventKind]:
    _load_builtin_kinds()
    return dict(_KINDS)


def get_kind(name: str) -> EventKind:
    _load_builtin_kinds()
    kind = _KINDS.get(name)
    if kind is None:
        known = ", ".join(sorted(_KINDS)) or "none"
        raise NotFound(f"unknown event kind {name!r} (known: {known})")
    return kind


def _load_builtin_kinds() -> None:
    """Kinds register themselves when their domain is imported; import them on first use."""
    import tradeguard.domains.accounts.kinds
    import tradeguard.domains.accounts.signup
    import tradeguard.domains.mail.kinds
    import tradeguard.domains.merchants.kinds
    import tradeguard.domains.payments.kinds  # noqa: F401  (cached after the first import)


def with_inherited(event: Event, earlier: Callable[[str, str], Mapping[str, str] | None]) -> Event:
    """Add the entities of the earlier event this one refers to; ``earlier(kind, id)`` finds it.

    Serving looks the earlier event up in the database and replays in memory, through this one
    function, so both add exactly the same entities.
    """
    spec = get_kind(event.kind).inherit
    earlier_id = event.entities.get(spec.id_entity) if spec else None
    if spec is None or earlier_id is None:
        return event
    found = earlier(spec.kind, earlier_id)
    return event.with_entities(spec.taken_from(found)) if found else event


def inherited_kinds() -> frozenset[str]:
    """Kinds whose entities later events inherit (``order`` for ``order_outcome``)."""
    return frozenset(k.inherit.kind for k in event_kinds().values() if k.inherit)


def parse_event(
    kind_name: str,
    raw: Mapping[str, Any],
    *,
    now: datetime | None = None,
    from_strings: bool = False,
) -> Event:
    """Validate one flat event object; every problem is reported as ``Invalid`` with field names.

    ``from_strings`` reads every value as text (a CSV row): ``"true"`` is a boolean there,
    while JSON input must carry real JSON types.
    """
    kind = get_kind(kind_name)
    if not isinstance(raw, Mapping):
        raise Invalid("an event must be a JSON object")
    try:
        envelope = Envelope.model_validate(raw)
        fields = {k: v for k, v in raw.items() if k not in ("id", "occurred_at")}
        payload = (
            kind.payload.model_validate_strings(fields)
            if from_strings
            else kind.payload.model_validate(fields)
        )
    except ValidationError as exc:
        raise Invalid(_describe(exc), errors=_errors(exc)) from None
    occurred_at = envelope.occurred_at.astimezone(UTC)
    if occurred_at > (now or datetime.now(UTC)) + MAX_FUTURE_SKEW:
        raise Invalid("occurred_at is more than a day in the future")
    dumped = payload.model_dump(mode="json")
    digest = hashlib.sha256(
        orjson.dumps(
            {"occurred_at": occurred_at.isoformat(), "fields": dumped},
            option=orjson.OPT_SORT_KEYS,
        )
    ).hexdigest()
    return Event(
        kind=kind.name,
        id=envelope.id,
        occurred_at=occurred_at,
        payload=payload,
        entities={k: v for k, v in kind.entities(payload).items() if v},
        sha256=digest,
        fields=dumped,
        derived=kind.rule_fields(payload) if kind.rule_fields else {},
    )


def _errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "(event)",
            "problem": readable(err["msg"]),
        }
        for err in exc.errors(include_url=False, include_input=False)
    ]


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{e['field']}: {e['problem']}" for e in _errors(exc)[:5])
