"""The ``email`` event's payload: what the analysers found in one message, bounded and stored.

The raw message is not stored: the payload keeps what a person needs to judge the verdict
(sender, authentication, the links and files with their flags, a text excerpt) and what rules
test (``findings``, keyed by code). Every list and string has a cap, so a hostile message
cannot blow up the events table.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tradeguard.engine.events import Payload

Short = Field(default="", max_length=500)


class MailAuth(Payload):
    spf: str = Field(default="none", max_length=20)
    dkim: str = Field(default="none", max_length=20)
    dmarc: str = Field(default="none", max_length=20)
    dkim_domains: list[str] = Field(default_factory=list, max_length=10)
    mailfrom_domain: str = Field(default="", max_length=253)
    source: str = Field(default="", max_length=300)
    aligned: bool = False  # an authenticated identity matched the From domain


class MailFinding(Payload):
    """Every occurrence of one finding code: the first in full, the rest as sentences."""

    count: int = Field(ge=1)
    detail: str = Field(max_length=1000)
    evidence: dict[str, str] = Field(default_factory=dict, max_length=20)
    more: list[str] = Field(default_factory=list, max_length=5)


class MailLink(Payload):
    href: str = Field(max_length=300)
    text: str = Field(default="", max_length=200)
    host: str = Field(default="", max_length=253)
    registered_domain: str = Field(default="", max_length=253)
    flags: list[str] = Field(default_factory=list, max_length=20)


class MailAttachment(Payload):
    filename: str = Field(default="", max_length=300)
    content_type: str = Field(default="", max_length=200)
    size: int = Field(default=0, ge=0)
    sha256: str = Field(default="", max_length=64)
    kind: str = Field(default="other", max_length=30)
    flags: list[str] = Field(default_factory=list, max_length=20)
    details: list[str] = Field(default_factory=list, max_length=20)


class EmailPayload(Payload):
    """One inbound message as screened; built by :func:`tradeguard.domains.mail.analyse.analyse`."""

    message_id: str = Field(default="", max_length=500)
    sender: str = Field(default="", max_length=320)  # the From address
    display_name: str = Field(default="", max_length=300)
    sender_domain: str = Field(default="", max_length=253)
    sender_registered_domain: str = Field(default="", max_length=253)
    reply_to: list[str] = Field(default_factory=list, max_length=10)
    return_path: str = Field(default="", max_length=320)
    recipients: list[str] = Field(default_factory=list, max_length=20)
    subject: str = Short
    size: int = Field(default=0, ge=0)
    parts: int = Field(default=0, ge=0)
    auth: MailAuth = Field(default_factory=MailAuth)
    known_sender: bool = False  # configured as known-good and authenticated as such
    findings: dict[str, MailFinding] = Field(default_factory=dict, max_length=60)
    links: list[MailLink] = Field(default_factory=list, max_length=100)
    link_count: int = Field(default=0, ge=0)
    attachments: list[MailAttachment] = Field(default_factory=list, max_length=50)
    snippet: str = Field(default="", max_length=2000)
    # The text classifier's phishing probability, -1 when no model is installed.
    model_probability: float = Field(default=-1.0, ge=-1.0, le=1.0)
    # high / medium / low: the probability passed the score that 0.5 % / 2 % / 5 % of legitimate
    # mail reached in the model's cross-validation; "" below that or without a model.
    model_band: Literal["", "low", "medium", "high"] = ""
    model_version: str = Field(default="", max_length=100)
    model_reasons: list[str] = Field(default_factory=list, max_length=10)
    defects: list[str] = Field(default_factory=list, max_length=20)
    raw_sha256: str = Field(default="", max_length=64)
