"""The simulated inbox: deterministic, mostly routine, every attack present and built as claimed."""

from __future__ import annotations

import email
import email.policy
import time
import zipfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest

from tradeguard.domains.mail import filetypes
from tradeguard.domains.mail.attacks import ATTACKS
from tradeguard.domains.mail.auth import parse_results
from tradeguard.domains.mail.containers import scan_macros
from tradeguard.domains.mail.scenarios import LEGITIMATE, STAFF, SUPPLIERS
from tradeguard.domains.mail.simulate import SimulatedMail, demo_suppliers, simulate_mail

START = datetime(2026, 11, 6, tzinfo=UTC)


@pytest.fixture(scope="module")
def inbox() -> list[SimulatedMail]:
    return simulate_mail(seed=7, messages=400, start=START, days=14)


def parsed(item: SimulatedMail) -> EmailMessage:
    msg = email.message_from_bytes(item.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def of(inbox: list[SimulatedMail], scenario: str) -> list[EmailMessage]:
    found = [parsed(m) for m in inbox if m.scenario == scenario]
    assert found, f"no {scenario} message"
    return found


def auth(msg: EmailMessage) -> dict[str, tuple[str, dict[str, str]]]:
    server, methods = parse_results(str(msg["Authentication-Results"]))
    assert server == "mx.shop.example"
    return {m.name: (m.result, m.properties) for m in methods}


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].rstrip(">").lower()


def test_same_seed_same_bytes_and_another_seed_other_mail() -> None:
    first = simulate_mail(seed=3, messages=60, start=START, days=3)
    again = simulate_mail(seed=3, messages=60, start=START, days=3)
    other = simulate_mail(seed=4, messages=60, start=START, days=3)
    assert first == again
    assert [m.raw for m in first] != [m.raw for m in other]


def test_mostly_routine_with_every_attack_and_in_the_window(inbox: list[SimulatedMail]) -> None:
    truths = Counter(m.truth for m in inbox)
    assert 0.82 <= truths["normal"] / len(inbox) <= 0.88
    assert set(truths) - {"normal"} == {name for name, _ in ATTACKS}
    assert {m.scenario for m in inbox if m.truth == "normal"} == {n for n, _, _ in LEGITIMATE}
    assert all(m.truth in ("normal", m.scenario) for m in inbox)
    times = [m.received_at for m in inbox]
    assert times == sorted(times)
    assert times[0] >= START
    assert times[-1] < START + timedelta(days=14)


def test_a_small_inbox_still_shows_every_attack() -> None:
    small = simulate_mail(seed=1, messages=50, start=START, days=2)
    assert len(small) == 50
    assert {m.truth for m in small} - {"normal"} == {name for name, _ in ATTACKS}


def test_every_message_parses_and_carries_the_receiving_servers_results(
    inbox: list[SimulatedMail],
) -> None:
    for item in inbox:
        msg = parsed(item)
        assert not msg.defects, item.scenario
        results = auth(msg)
        assert set(results) == {"spf", "dkim", "dmarc"}
        assert results["dmarc"][1]["header.from"] == domain_of(str(msg["From"]))
        assert domain_of(str(msg["Return-Path"])) == results["spf"][1]["smtp.mailfrom"]
        assert (results["dmarc"][0] == "fail") == (item.scenario == "own_domain_spoof")


def test_brands_pass_authentication_as_themselves(inbox: list[SimulatedMail]) -> None:
    for scenario in ("marketplace_order", "marketplace_payout", "logistics_tracking", "internal"):
        for msg in of(inbox, scenario):
            results = auth(msg)
            assert results["dmarc"][0] == "pass"
            assert results["dkim"][1]["header.d"] == domain_of(str(msg["From"]))


def test_seller_central_phishing_shows_amazon_and_links_elsewhere(
    inbox: list[SimulatedMail],
) -> None:
    for msg in of(inbox, "seller_central_phishing"):
        sender = domain_of(str(msg["From"]))
        assert "Amazon" in str(msg["From"])
        assert sender != "amazon.com"
        body = msg.get_body(("html",))
        assert body is not None
        html = body.get_content()
        assert ">https://sellercentral.amazon.com/" in html
        assert f'href="https://signin.{sender}/' in html


def test_bank_change_comes_from_a_supplier_lookalike_with_replies_to_free_mail(
    inbox: list[SimulatedMail],
) -> None:
    lookalikes = {d for s in SUPPLIERS for d in s.lookalikes}
    for msg in of(inbox, "supplier_bank_change"):
        assert domain_of(str(msg["From"])) in lookalikes
        assert domain_of(str(msg["Reply-To"])) == "gmail.com"
        assert any(s.name in str(msg["From"]) for s in SUPPLIERS)


def test_gift_card_request_borrows_a_colleagues_name_from_outside(
    inbox: list[SimulatedMail],
) -> None:
    for msg in of(inbox, "staff_gift_cards"):
        assert msg["From"].addresses[0].display_name in STAFF
        assert domain_of(str(msg["From"])) != "shop.example"
        assert "gift cards" in msg.get_content()


def test_files_are_what_they_claim(inbox: list[SimulatedMail]) -> None:
    macro = next(a for m in of(inbox, "macro_invoice") for a in m.iter_attachments())
    scan = scan_macros(str(macro.get_filename()), macro.get_content())
    assert scan.vba
    assert "AutoOpen" in scan.keywords
    image = next(a for m in of(inbox, "iso_attachment") for a in m.iter_attachments())
    assert filetypes.magic_kind(image.get_content()) == "disk_image"
    page = next(a for m in of(inbox, "html_login_attachment") for a in m.iter_attachments())
    assert b"type='password'" in page.get_content().encode()
    quote = next(a for m in of(inbox, "supplier_quote") for a in m.iter_attachments())
    assert quote.get_content().startswith(b"%PDF-")


def test_links_go_where_each_scenario_says(inbox: list[SimulatedMail]) -> None:
    paypal = of(inbox, "paypal_freemail")[0]
    assert domain_of(str(paypal["From"])) in ("gmail.com", "outlook.com", "hotmail.com")
    assert any(s in paypal.get_content() for s in ("bit.ly/", "tinyurl.com/", "cutt.ly/", "rb.gy/"))
    parcel = of(inbox, "parcel_customs_fee")[0].get_body(("html",))
    assert parcel is not None
    hosts = ("web.app", "firebaseapp.com", "pages.dev", "netlify.app")
    assert any(f".{host}/pay" in parcel.get_content() for host in hosts)
    letter = of(inbox, "newsletter")[0]
    assert "unsubscribe" in str(letter["List-Unsubscribe"])


def test_the_demo_configuration_names_the_simulated_suppliers() -> None:
    assert demo_suppliers()["Shenzhen Bright Textile Co"] == ["brighttextile.cn"]
    assert set(demo_suppliers()) == {s.name for s in SUPPLIERS}


def test_no_clock_in_the_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """ZIP entries carry a date; the samples fix it, so a later run builds the same messages."""
    before = simulate_mail(seed=5, messages=60, start=START, days=2)
    later = time.struct_time((2031, 6, 1, 12, 0, 0, 6, 152, 0))
    monkeypatch.setattr(zipfile.time, "localtime", lambda *_: later)
    monkeypatch.setattr(zipfile.time, "time", lambda: 1_938_000_000.0)
    assert simulate_mail(seed=5, messages=60, start=START, days=2) == before
