"""Deterministic inbound mail for a cross-border shop, with phishing and fraud mixed in.

A seller's inbox is mostly routine: marketplace notices, supplier quotes, customers' questions,
tracking notices, newsletters, a colleague. About one message in seven is an attack, one
scenario each (``scenarios.ATTACKS``), built the way present-day phishers build them. Each
message carries the ``Authentication-Results`` header the store's receiving server would have
added, so the analysers judge it as they would real mail.

The truth of each message is kept beside it (``truth``), never inside; nothing reads the clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from tradeguard.domains.mail.attacks import ATTACKS
from tradeguard.domains.mail.scenarios import (
    LEGITIMATE,
    OWNER,
    STAFF,
    SUPPLIERS,
    Draft,
    Scenario,
    Writer,
)

__all__ = ["ATTACK_SHARE", "STAFF", "SimulatedMail", "demo_suppliers", "simulate_mail"]
ATTACK_SHARE = 0.15
MIN_PER_ATTACK = 5  # messages per attack scenario from which every scenario is sure to appear


@dataclass(frozen=True, slots=True)
class SimulatedMail:
    raw: bytes
    truth: str  # "normal" or the attack scenario's name
    scenario: str  # what the message is: "supplier_quote", "paypal_freemail"...
    received_at: datetime


def demo_suppliers() -> dict[str, list[str]]:
    """The simulated suppliers as ``Settings.mail_suppliers`` takes them: name -> domains."""
    return {s.name: [s.domain] for s in SUPPLIERS}


def simulate_mail(
    *,
    seed: int,
    messages: int,
    start: datetime,
    days: int,
    store_domain: str = "shop.example",
) -> list[SimulatedMail]:
    """``messages`` messages over ``days`` from ``start``, oldest first; same seed, same bytes.

    Attacks are ``ATTACK_SHARE`` of the mail, but never fewer than one per scenario once there
    are ``MIN_PER_ATTACK`` messages per scenario, so even a small demo shows every attack.
    """
    w = Writer(random.Random(seed), store_domain)  # noqa: S311 (reproducible mail, not secrets)
    plan = _plan(w.rng, messages)
    mail = []
    for truth, name, scenario in plan:
        w.serial += 1
        at = start + timedelta(seconds=w.rng.randrange(max(1, days) * 86_400))
        mail.append(SimulatedMail(render(scenario(w), w, at), truth, name, at))
    return sorted(mail, key=lambda m: (m.received_at, m.scenario))


def _plan(rng: random.Random, messages: int) -> list[tuple[str, str, Scenario]]:
    """(truth, scenario name, scenario) per message: attacks in a shuffled cycle, then routine."""
    wanted = round(messages * ATTACK_SHARE)
    attacks = min(messages, max(wanted, min(len(ATTACKS), messages // MIN_PER_ATTACK)))
    cycle = list(ATTACKS)
    rng.shuffle(cycle)
    plan = [(name, name, scenario) for name, scenario in cycle] * (attacks // len(cycle) + 1)
    names = [name for name, _, _ in LEGITIMATE]
    by_name = {name: scenario for name, _, scenario in LEGITIMATE}
    weights = [weight for _, weight, _ in LEGITIMATE]
    routine = rng.choices(names, weights=weights, k=messages - attacks)
    return plan[:attacks] + [("normal", name, by_name[name]) for name in routine]


def render(draft: Draft, w: Writer, received_at: datetime) -> bytes:
    """The message as the store's server hands it over, its own trace headers on top."""
    sent = received_at - timedelta(seconds=w.rng.randint(2, 90))
    domain = draft.mailfrom.rpartition("@")[2]
    msg = EmailMessage()
    msg["Return-Path"] = f"<{draft.mailfrom}>"
    msg["Authentication-Results"] = f"mx.{w.store_domain}; {draft.auth}"
    msg["Received"] = (
        f"from mail.{domain} (mail.{domain} [203.0.113.{w.rng.randint(2, 250)}]) "
        f"by mx.{w.store_domain} with ESMTPS id {w.token(12)}; {format_datetime(received_at)}"
    )
    msg["From"] = draft.sender
    msg["To"] = draft.to or w.staff(OWNER)
    if draft.reply_to:
        msg["Reply-To"] = draft.reply_to
    msg["Subject"] = draft.subject
    msg["Date"] = format_datetime(sent.astimezone(draft.tz))
    msg["Message-ID"] = f"<{w.rng.getrandbits(64):016x}.{w.serial}@{domain}>"
    for name, value in draft.extra:
        msg[name] = value
    msg.set_content(draft.text)
    if draft.html is not None:
        msg.add_alternative(draft.html, subtype="html")
    for sample in draft.attachments:
        maintype, _, subtype = sample.content_type.partition("/")
        msg.add_attachment(sample.data, maintype=maintype, subtype=subtype, filename=sample.name)
    for part in msg.walk():
        if part.is_multipart():  # the generator would draw boundaries from the global random
            part.set_boundary(f"=_{w.token(28)}")
    return msg.as_bytes()
