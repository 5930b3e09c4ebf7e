"""One raw message -> the ``email`` event: parse within bounds, run every analyser, summarise.

Analysis happens before the engine sees the event, because the checks need the raw bytes
(attachments, DKIM) that the stored payload does not keep. Rules then weigh the findings like
any other event's fields, so a new rule pack can re-judge stored messages in a back-test.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tradeguard.config import Settings
from tradeguard.domains.mail import attachments as attachment_checks
from tradeguard.domains.mail import auth, classifier, content, impersonation, links
from tradeguard.domains.mail.domains import LookalikeIndex, ProtectedNames, registered_domain
from tradeguard.domains.mail.message import Finding, ParsedMessage
from tradeguard.domains.mail.parse import LIMITS, Limits, parse_message
from tradeguard.domains.mail.pdf_links import attachment_links
from tradeguard.domains.mail.schemas import EmailPayload
from tradeguard.domains.mail.yara_rules import YaraRules

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_FUTURE = timedelta(hours=1)


@dataclass(frozen=True)
class MailContext:
    """What analysis needs besides the message, built once per process from the settings."""

    index: LookalikeIndex
    yara: YaraRules | None = None
    model: classifier.TextModel | None = None
    trusted_authserv_ids: tuple[str, ...] = ()
    dkim_lookup: auth.TxtLookup | None = None
    known_senders: frozenset[str] = frozenset()
    limits: Limits = LIMITS

    @classmethod
    def from_settings(cls, settings: Settings) -> MailContext:
        protected = ProtectedNames.default(
            own_domains=settings.mail_own_domains,
            staff=settings.mail_staff,
            suppliers=settings.mail_suppliers,
        )
        model_dir = settings.resolved_mail_model_dir
        yara_dirs = [settings.mail_yara_dir] if settings.mail_yara_dir else []
        return cls(
            index=LookalikeIndex.build(protected),
            yara=YaraRules.load(yara_dirs),
            model=classifier.load(model_dir) if _has_model(model_dir) else None,
            trusted_authserv_ids=tuple(settings.mail_trusted_authserv_ids),
            dkim_lookup=(
                auth.dns_txt_lookup(settings.mail_dns_resolvers)
                if settings.mail_dns_resolvers
                else None
            ),
            known_senders=frozenset(settings.mail_known_senders),
            limits=Limits(max_bytes=settings.mail_max_message_bytes),
        )


def _has_model(directory: Path) -> bool:
    return (directory / "model.json").is_file()


def analyse(raw: bytes, context: MailContext) -> tuple[ParsedMessage, EmailPayload]:
    """Every analyser over one message; ``MailError`` only when it is not a message at all."""
    msg = parse_message(raw, context.limits)
    if in_files := attachment_links(msg.attachments):
        msg = replace(msg, links=(*msg.links, *in_files))
    sender_domain = msg.sender.domain
    found: list[Finding] = []
    results = _authentication(raw, msg, context)
    found += auth.auth_findings(results, sender_domain)
    found += impersonation.analyse_sender(msg, context.index)
    link_findings, link_facts = links.analyse_links(msg, context.index)
    found += link_findings
    file_findings, file_facts = attachment_checks.analyse_attachments(
        msg.attachments, yara=context.yara
    )
    found += file_findings
    found += content.analyse_content(msg)
    is_aligned = auth.aligned(results, sender_domain, registered_domain)
    payload: dict[str, Any] = {
        "message_id": msg.message_id[:500],
        "sender": msg.sender.address[:320],
        "display_name": msg.sender.display_name[:300],
        "sender_domain": sender_domain[:253],
        "sender_registered_domain": registered_domain(sender_domain)[:253],
        "reply_to": [a.address[:320] for a in msg.reply_to][:10],
        "return_path": msg.return_path[:320],
        "recipients": [a.address[:320] for a in msg.to][:20],
        "subject": msg.subject[:500],
        "size": msg.size,
        "parts": msg.parts,
        "auth": {**results.as_dict(), "aligned": is_aligned},
        "known_sender": is_aligned and _known(msg.sender.address, context.known_senders),
        "findings": summarise(found),
        "links": [f.as_dict() for f in link_facts[:100]],
        "link_count": len(link_facts),
        "attachments": [f.as_dict() for f in file_facts[:50]],
        "snippet": " ".join(msg.text.split())[:2000],
        "defects": [d[:300] for d in msg.defects[:20]],
        "raw_sha256": hashlib.sha256(raw).hexdigest(),
        **_model_fields(msg, context.model),
    }
    return msg, EmailPayload.model_validate(_clean(payload))


def _authentication(raw: bytes, msg: ParsedMessage, context: MailContext) -> auth.AuthResults:
    recorded = auth.recorded_results(msg, trusted=context.trusted_authserv_ids)
    own = auth.verify_dkim(raw, context.dkim_lookup) if context.dkim_lookup else None
    return auth.combine(recorded, own)


def _known(address: str, known: frozenset[str]) -> bool:
    domain = address.rpartition("@")[2]
    return bool(address) and (address in known or domain in known)


def _model_fields(msg: ParsedMessage, model: classifier.TextModel | None) -> dict[str, Any]:
    if model is None:
        return {}
    prediction = model.predict(msg.subject, msg.text)
    return {
        "model_probability": round(prediction.probability, 4),
        "model_band": model.card.band(prediction.probability),
        "model_version": model.card.model_version,
        "model_reasons": prediction.reasons[:10],
    }


def summarise(found: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """Findings keyed by code, as rules read them: the first in full, the rest as sentences."""
    summary: dict[str, dict[str, Any]] = {}
    for finding in found:
        entry = summary.get(finding.code)
        if entry is None:
            summary[finding.code] = {
                "count": 1,
                "detail": finding.detail[:1000],
                "evidence": {k: v[:500] for k, v in list(finding.evidence.items())[:20]},
                "more": [],
            }
            continue
        entry["count"] += 1
        if len(entry["more"]) < 5 and finding.detail not in entry["more"]:
            entry["more"].append(finding.detail[:1000])
    return summary


def _clean(value: Any) -> Any:
    """Control characters out of every string: they would break logs, pages and PostgreSQL."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def event_fields(
    payload: EmailPayload,
    msg: ParsedMessage,
    *,
    event_id: str | None = None,
    received_at: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The flat event object for ``parse_event``: id and time chosen, then the payload."""
    now = now or datetime.now(UTC)
    when = received_at or msg.date
    if when is None or when > now + MAX_FUTURE:
        when = now
    return {
        "id": event_id or f"mail-{payload.raw_sha256[:40]}",
        "occurred_at": when.isoformat(),
        **payload.model_dump(mode="json"),
    }
