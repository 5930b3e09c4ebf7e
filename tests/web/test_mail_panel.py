"""The message behind an email verdict: what was flagged is marked, and nothing hostile is live."""

from __future__ import annotations

import re
from typing import Any

from tests.engine.test_screening import send
from tests.factories import login
from tests.web.conftest import Console
from tradeguard.runtime import Runtime
from tradeguard.web.mail_panel import Run, marked

HOSTILE_NAME = "Amazon Seller Central <script>alert(1)</script>"


def phish(**changes: Any) -> dict[str, Any]:
    """An analysed phishing message as the mail analysers store it, hostile strings included."""
    lookalike = {
        "count": 1,
        "detail": "arnazon.com looks like amazon.com (Amazon): one letter swapped.",
        "evidence": {"domain": "arnazon.com", "looks_like": "amazon.com", "brand": "Amazon"},
    }
    return {
        "id": "mail-phish-1",
        "occurred_at": "2026-11-20T09:30:00+00:00",
        "message_id": "<1@arnazon.com>",
        "sender": "notice@arnazon.com",
        "display_name": HOSTILE_NAME,
        "sender_domain": "arnazon.com",
        "sender_registered_domain": "arnazon.com",
        "reply_to": ["collect.desk@gmail.com"],
        "recipients": ["li.wei@shop.example"],
        "subject": 'Verify now <img src="https://tracker.example/open.gif">',
        "size": 48_210,
        "parts": 3,
        "auth": {
            "spf": "softfail",
            "dkim": "none",
            "dmarc": "fail",
            "mailfrom_domain": "arnazon.com",
            "source": "Authentication-Results from mx.shop.example",
        },
        "findings": {
            "lookalike_domain": lookalike,
            "display_name_brand": {
                "count": 1,
                "detail": "The sender calls itself Amazon but writes from arnazon.com.",
                "evidence": {"brand": "Amazon", "domain": "arnazon.com"},
            },
            "reply_to_mismatch": {
                "count": 1,
                "detail": "Replies go to gmail.com, not arnazon.com.",
                "evidence": {"reply_to": "collect.desk@gmail.com"},
            },
            "link_text_mismatch": {
                "count": 1,
                "detail": "A link shows amazon.com but opens arnazon-verify.com.",
                "evidence": {"shown_domain": "amazon.com", "domain": "arnazon-verify.com"},
            },
            "macro_attachment": {
                "count": 1,
                "detail": "INV-7.docm contains macros, small programs inside the document.",
                "evidence": {"filename": "INV-7.docm", "keywords": "AutoOpen, Shell"},
            },
        },
        "links": [
            {
                "href": "https://arnazon-verify.com/signin",
                "text": "https://sellercentral.amazon.com",
                "host": "arnazon-verify.com",
                "registered_domain": "arnazon-verify.com",
                "flags": ["link_text_mismatch"],
            },
            {"href": "javascript:alert(document.cookie)", "text": "<b>Open the invoice</b>"},
        ],
        "link_count": 2,
        "attachments": [
            {
                "filename": "INV-7.docm",
                "content_type": "application/vnd.ms-word.document.macroEnabled.12",
                "size": 23_456,
                "sha256": "ab" * 32,
                "kind": "ooxml",
                "flags": ["macro_attachment"],
                "details": ["macros: VBA (AutoOpen, Shell)"],
            }
        ],
        "snippet": "Your account is suspended <script>alert(2)</script> verify within 24 hours",
        "model_probability": 0.97,
        "model_version": "mail-text@1",
        "model_reasons": ["verify", "suspended"],
        "defects": ["a header line was cut at 998 characters"],
        "raw_sha256": "cd" * 32,
        **changes,
    }


def panel_of(page: str) -> str:
    found = re.search(r'<article id="mail-message".*?</article>', page, re.S)
    assert found, "no message panel on the page"
    return found.group(0)


def test_the_verdict_page_shows_the_message_with_what_was_flagged_marked(
    console: Console, runtime: Runtime
) -> None:
    verdict = send(runtime, phish(), "email")
    assert verdict.case_id is not None
    page = console.signed_in("viewer").get("/console/events/email/mail-phish-1")
    assert page.status_code == 200
    panel = panel_of(page.text)
    assert "<mark>Amazon Seller Central &lt;script&gt;alert(1)&lt;/script&gt;</mark>" in panel
    assert "notice@<mark>arnazon.com</mark>" in panel  # the lookalike domain the finding names
    assert "collect.desk@<mark>gmail.com</mark>" in panel  # replies go elsewhere
    assert "https://sellercentral.<mark>amazon.com</mark>" in panel  # what the link shows...
    assert "https://<mark>arnazon-verify.com</mark>/signin" in panel  # ...and where it goes
    assert "macros: VBA (<mark>AutoOpen</mark>, <mark>Shell</mark>)" in panel
    assert 'class="badge auth-fail"' in panel
    assert "DMARC fail" in panel
    assert "97.0 %" in panel
    assert "<mark>verify</mark>" in panel
    assert "a header line was cut" in panel
    assert "arnazon.com looks like amazon.com" in panel


def test_nothing_from_the_message_is_live_on_the_page(console: Console, runtime: Runtime) -> None:
    send(runtime, phish(), "email")
    page = console.signed_in("viewer").get("/console/events/email/mail-phish-1").text
    panel = panel_of(page)
    assert "<a " not in panel
    assert "<img" not in panel
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in panel
    assert "&lt;b&gt;Open the invoice&lt;/b&gt;" in panel
    assert "javascript:alert(document.cookie)" in panel  # shown as text...
    assert not re.search(r"""href\s*=\s*["']?\s*javascript:""", page, re.I)  # ...never a link
    assert not re.search(r"""src\s*=\s*["']?https://tracker""", page, re.I)


def test_the_case_page_shows_the_message_and_other_kinds_do_not(
    console: Console, runtime: Runtime
) -> None:
    verdict = send(runtime, phish(), "email")
    browser = console.signed_in("viewer")
    case = browser.get(f"/console/cases/{verdict.case_id}")
    assert case.status_code == 200
    assert "notice@<mark>arnazon.com</mark>" in panel_of(case.text)
    send(runtime, login(account="ann"))
    other = browser.get("/console/events?kind=login").text
    event_id = re.search(r'href="/console/events/login/([^"]+)"', other)
    assert event_id is not None
    assert 'id="mail-message"' not in browser.get(f"/console/events/login/{event_id[1]}").text


def test_a_clean_message_marks_nothing(console: Console, runtime: Runtime) -> None:
    clean = phish(
        id="mail-clean-1",
        display_name="Amazon Seller Central",
        sender="seller-notification@amazon.com",
        sender_domain="amazon.com",
        sender_registered_domain="amazon.com",
        reply_to=[],
        subject="Sold, ship now: Linen tote bag",
        auth={"spf": "pass", "dkim": "pass", "dmarc": "pass", "aligned": True},
        findings={},
        links=[],
        link_count=0,
        attachments=[],
        snippet="Sold, ship now.",
        model_probability=-1.0,
        model_version="",
        model_reasons=[],
        defects=[],
    )
    send(runtime, clean, "email")
    panel = panel_of(console.signed_in("viewer").get("/console/events/email/mail-clean-1").text)
    assert "<mark>" not in panel.split("</header>", 1)[1]
    assert panel.count('class="badge auth-pass"') == 3
    assert "found nothing wrong" in panel
    assert "Text model" not in panel


def test_marked_cuts_text_into_runs_and_merges_overlaps() -> None:
    assert marked("notice@Arnazon.com", {"arnazon.com"}) == [
        Run("notice@", False),
        Run("Arnazon.com", True),
    ]
    assert marked("amazon-verify.com", {"amazon", "amazon-verify.com"}) == [
        Run("amazon-verify.com", True)
    ]
    assert marked("plain", {"no"}) == [Run("plain", False)]  # too short to mark
    assert marked("", {"x.com"}) == [Run("", False)]
