"""Raw test messages built in code: the repository never holds real phishing."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

RECEIVED = "mx.shop.example"


def message(
    *,
    sender: str = "Amazon Seller Central <no-reply@amazon.com>",
    subject: str = "Your payout is on its way",
    text: str = "Your payout of USD 1,240.00 was sent to your bank account ending 4411.",
    html: str | None = None,
    reply_to: str | None = None,
    auth: str | None = "spf=pass smtp.mailfrom=amazon.com; dkim=pass header.d=amazon.com; "
    "dmarc=pass header.from=amazon.com",
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    date: datetime | None = datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
    extra: tuple[tuple[str, str], ...] = (),
) -> bytes:
    """One message as the store's mail server would hand it over."""
    msg = EmailMessage()
    if auth is not None:
        msg["Authentication-Results"] = f"{RECEIVED}; {auth}"
    msg["From"] = sender
    msg["To"] = "Li Wei <li.wei@shop.example>"
    msg["Subject"] = subject
    if date is not None:
        msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{abs(hash((sender, subject, text)))}@test.example>"
    if reply_to:
        msg["Reply-To"] = reply_to
    for name, value in extra:
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def lookalike_phish() -> bytes:
    """Seller-central credential phishing from a lookalike domain with a deceptive link."""
    return message(
        sender="Amazon Seller Central <notice@arnazon.com>",
        subject="Action required: your seller account has been suspended",
        text="We detected unusual activity. Verify your account within 24 hours.",
        html=(
            "<p>We detected unusual activity on your seller account and it has been "
            "suspended. Verify your account within 24 hours to avoid closure.</p>"
            '<p><a href="http://arnazon-verify.com/login">https://sellercentral.amazon.com</a></p>'
        ),
        auth="spf=softfail smtp.mailfrom=arnazon.com; dkim=none; "
        "dmarc=fail header.from=arnazon.com",
    )
