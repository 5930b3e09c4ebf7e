"""Use cases: screen one raw message, from the API, the CLI or the IMAP poller alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from tradeguard.db.session import unit_of_work
from tradeguard.domains.mail.analyse import MailContext, analyse, event_fields
from tradeguard.domains.mail.message import MailError
from tradeguard.engine.events import Event, parse_event
from tradeguard.engine.screening import CounterBackend, screen
from tradeguard.engine.verdicts import Verdict
from tradeguard.errors import Invalid


def message_event(
    raw: bytes,
    *,
    context: MailContext,
    event_id: str | None = None,
    received_at: datetime | None = None,
) -> Event:
    """Analyse one message into an ``email`` event; not-a-message is ``Invalid``.

    The event's digest is the raw message's: sending the same bytes again replays the stored
    verdict even after the brand list or the model changed, while other bytes under an id
    already used are refused as a conflict, as for every kind.
    """
    try:
        msg, payload = analyse(raw, context)
    except MailError as exc:
        raise Invalid(str(exc)) from None
    fields = event_fields(payload, msg, event_id=event_id, received_at=received_at)
    return replace(parse_event("email", fields), sha256=payload.raw_sha256)


def screen_message(
    factory: sessionmaker[Session],
    *,
    raw: bytes,
    context: MailContext,
    actor: str,
    counters: CounterBackend,
    event_id: str | None = None,
    received_at: datetime | None = None,
) -> Verdict:
    """Analyse, screen and store one message in its own unit of work."""
    event = message_event(raw, context=context, event_id=event_id, received_at=received_at)
    with unit_of_work(factory) as session:
        return screen(session, event=event, counters=counters(session), actor=actor)
