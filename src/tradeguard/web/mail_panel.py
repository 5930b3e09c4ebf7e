"""The message panel of an ``email`` event: what the analysers saw, with what they flagged marked.

Everything here comes from a hostile sender. The panel hands the template plain strings cut
into runs (marked or not), never markup: Jinja escapes every run, and nothing from the message
becomes a link, an image or a style, so a reader cannot click through from the console.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from pydantic import ValidationError

from tradeguard.domains.mail.schemas import EmailPayload, MailAttachment, MailAuth, MailLink
from tradeguard.engine.history import EventRead

# Findings about who the sender claims to be, about the From domain, and about replies.
NAME_CODES = frozenset(
    {"display_name_brand", "display_name_staff", "display_name_supplier", "freemail_brand"}
)
DOMAIN_CODES = frozenset({"lookalike_domain", "punycode_domain", "dmarc_fail"})
REPLY_CODES = frozenset({"reply_to_mismatch"})
MIN_NEEDLE = 3  # shorter evidence values ("3", "no") would mark letters all over the page
# Evidence that is the whole string shown (the address, the link, the file name): marking all of
# it says nothing; the domain or keyword inside it is what the reader should see.
UNMARKED_KEYS = frozenset({"address", "filename", "count", "href", "text", "display_name"})


class Run(NamedTuple):
    text: str
    marked: bool


@dataclass(frozen=True, slots=True)
class LinkRow:
    text: list[Run]
    href: list[Run]
    registered_domain: str
    flags: list[str]


@dataclass(frozen=True, slots=True)
class AttachmentRow:
    filename: str
    content_type: str
    kind: str
    size: int
    sha256: str
    flags: list[str]
    details: list[list[Run]]


@dataclass(frozen=True, slots=True)
class AuthBadge:
    mechanism: str
    result: str
    tone: str  # "pass", "fail" or "none": the badge's colour


@dataclass(frozen=True, slots=True)
class MailPanel:
    mail: EmailPayload
    display_name: Run
    address: list[Run]
    reply_to: list[list[Run]]
    auth: list[AuthBadge]
    links: list[LinkRow]
    attachments: list[AttachmentRow]
    model_percent: float | None  # the text model's probability in per cent; None: no model


def mail_panel(event: EventRead) -> MailPanel | None:
    """The panel of an ``email`` event; None for another kind or a payload it cannot read."""
    if event.kind != "email":
        return None
    try:
        mail = EmailPayload.model_validate(event.fields)
    except ValidationError:
        return None  # stored by another version: the raw event below still shows it
    codes = set(mail.findings)
    named = _needles(mail, codes & (NAME_CODES | DOMAIN_CODES))
    if codes & DOMAIN_CODES and not any(n.lower() in mail.sender.lower() for n in named):
        named.add(mail.sender_registered_domain or mail.sender_domain)
    return MailPanel(
        mail=mail,
        display_name=Run(mail.display_name, bool(codes & NAME_CODES)),
        address=marked(mail.sender, named),
        reply_to=[_reply(address, codes) for address in mail.reply_to],
        auth=_badges(mail.auth),
        links=[_link(link, mail) for link in mail.links],
        attachments=[_attachment(item, mail) for item in mail.attachments],
        model_percent=_percent(mail.model_probability),
    )


def _percent(probability: float) -> float | None:
    return round(probability * 100, 1) if probability >= 0 else None


def marked(text: str, needles: Iterable[str]) -> list[Run]:
    """``text`` cut into runs, each occurrence of a needle (any case) to be highlighted."""
    lower, spans = text.lower(), []
    for needle in {n.lower() for n in needles if len(n) >= MIN_NEEDLE}:
        start = lower.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = lower.find(needle, start + 1)
    runs, at = [], 0
    for start, end in _merged(spans):
        if start > at:
            runs.append(Run(text[at:start], False))
        runs.append(Run(text[start:end], True))
        at = end
    if at < len(text) or not runs:
        runs.append(Run(text[at:], False))
    return runs


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping or touching spans as one: "amazon" inside "amazon-verify.com" is one mark."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _needles(mail: EmailPayload, codes: Iterable[str], filename: str | None = None) -> set[str]:
    """The exact strings the findings name (domains, keywords), for marking where they appear.

    Sentences are left out: a needle is one token, so a detail never marks half the page.
    """
    needles: set[str] = set()
    for code in codes:
        evidence = mail.findings[code].evidence if code in mail.findings else {}
        if filename is not None and evidence.get("filename") != filename:
            continue
        for key, value in evidence.items():
            if key not in UNMARKED_KEYS:
                needles.update(p.strip() for p in value.split(",") if _is_token(p.strip()))
    return needles


def _is_token(value: str) -> bool:
    """One word, domain or keyword: a sentence or an address would mark too much."""
    return len(value) >= MIN_NEEDLE and " " not in value and "@" not in value


def _reply(address: str, codes: set[str]) -> list[Run]:
    if not codes & REPLY_CODES:
        return [Run(address, False)]
    return marked(address, {address.rpartition("@")[2]})


def _badges(auth: MailAuth) -> list[AuthBadge]:
    tones = {"pass": "pass", "fail": "fail", "softfail": "fail", "permerror": "fail"}
    return [
        AuthBadge(name.upper(), result, tones.get(result, "none"))
        for name, result in (("spf", auth.spf), ("dkim", auth.dkim), ("dmarc", auth.dmarc))
    ]


def _link(link: MailLink, mail: EmailPayload) -> LinkRow:
    """The target's registered domain is marked whenever a check flagged the link."""
    link_codes = [code for code in link.flags if code in mail.findings]
    needles = _needles(mail, link_codes)
    shown = {n for n in needles if n.lower() in link.text.lower()}
    targets = {link.registered_domain or link.host} if link.flags else set()
    return LinkRow(
        text=marked(link.text, shown),
        href=marked(link.href, targets),
        registered_domain=link.registered_domain,
        flags=list(link.flags),
    )


def _attachment(item: MailAttachment, mail: EmailPayload) -> AttachmentRow:
    needles = _needles(mail, item.flags, filename=item.filename)
    return AttachmentRow(
        filename=item.filename,
        content_type=item.content_type,
        kind=item.kind,
        size=item.size,
        sha256=item.sha256[:12],
        flags=list(item.flags),
        details=[marked(detail, needles) for detail in item.details],
    )
