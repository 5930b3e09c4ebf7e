"""The ``email`` kind: one inbound message, already analysed (see ``analyse.py``).

Its entities are the sender's address and domain, so block-list entries for either apply and
the counters answer "have we heard from this sender before?" (first contact).
"""

from __future__ import annotations

from tradeguard.domains.mail.schemas import EmailPayload
from tradeguard.engine.events import CounterSpec, EventKind, register_kind


def _entities(mail: EmailPayload) -> dict[str, str]:
    entities = {"email": mail.sender, "email_domain": mail.sender_domain}
    if mail.reply_to:
        entities["reply_to"] = mail.reply_to[0]
    return entities


EMAIL = register_kind(
    EventKind(
        name="email",
        payload=EmailPayload,
        entities=_entities,
        description=(
            "An inbound e-mail message, sent raw (message/rfc822) and analysed for phishing, "
            "impersonation and business e-mail compromise."
        ),
        counters=(
            CounterSpec("mail.received", "email"),
            CounterSpec("mail.received", "email_domain"),
        ),
    )
)
