"""The console in a real browser: the journeys an operator takes on the first day."""

from __future__ import annotations

import re

import pyotp
import pytest
from playwright.sync_api import Page, expect

from tests.browser.driver import PASSWORD, Served, sign_in
from tradeguard.db.session import unit_of_work
from tradeguard.engine import history
from tradeguard.engine.verdicts import Decision

pytestmark = pytest.mark.browser
NEW_PASSWORD = "maple quartz harbour lantern"


def test_first_sign_in_with_totp_enrolment_then_the_overview(page: Page, served: Served) -> None:
    page.goto(f"{served.url}/")
    expect(page).to_have_url(re.compile(r"/console/login"))
    page.get_by_label("Username").fill(served.store.admin)
    page.get_by_label("Password").fill(served.store.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_label("Current password").fill(served.store.password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save password").click()
    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    page.get_by_text("Can't scan? Enter this key by hand").click()
    secret = page.locator("#totp-secret").inner_text()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("button", name="I have saved them, continue").click()
    expect(page.get_by_role("heading", name="Overview", exact=True)).to_be_visible()
    expect(page.locator("canvas#volumes-chart[data-drawn='1']")).to_be_attached()
    expect(page.locator("canvas#rules-chart[data-drawn='1']")).to_be_attached()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()


def test_open_a_verdict_and_read_its_signals(page: Page, served: Served) -> None:
    sign_in(page, served, served.operator("viewer"))
    page.get_by_role("link", name="Events", exact=True).click()
    page.get_by_label("Decision").select_option("block")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"decision=block"))
    page.locator("#results tbody tr td a").first.click()
    expect(page.get_by_text("Signals that decided this verdict")).to_be_visible()
    expect(page.locator("main")).to_contain_text(re.compile(r"(login|order|mail)-default@1"))
    expect(page.locator("dl.evidence").first).to_be_visible()


def test_a_quarantined_message_shows_what_was_flagged_and_no_live_link(
    page: Page, served: Served
) -> None:
    sign_in(page, served, served.operator("viewer"))
    page.goto(f"{served.url}/console/events?kind=email&decision=block")
    page.locator("#results tbody tr td a").first.click()
    panel = page.locator("#mail-message")
    expect(panel).to_be_visible()
    expect(panel.locator("mark").first).to_be_visible()
    expect(panel.locator("a")).to_have_count(0)
    expect(panel.locator("img")).to_have_count(0)


def test_claim_and_resolve_a_case_then_find_it_in_the_audit_log(page: Page, served: Served) -> None:
    analyst = served.operator("analyst")
    sign_in(page, served, analyst)
    page.get_by_role("link", name="Cases", exact=True).click()
    page.locator("main table tbody tr td a").first.click()
    case_heading = page.get_by_role("heading", level=1).inner_text()
    case_id = re.search(r"#(\d+)", case_heading)
    assert case_id is not None
    page.get_by_role("button", name="Claim").click()
    expect(page.get_by_text(f"You claimed case {case_id.group(1)}.")).to_be_visible()
    page.get_by_label("fraud").check()
    page.get_by_label("Note").fill("scripted guessing from a hosting network")
    page.get_by_role("button", name="Resolve case").click()
    expect(page.get_by_text(f"Case {case_id.group(1)} resolved as fraud.")).to_be_visible()
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Search", exact=True).fill("case.resolve")
    page.get_by_role("button", name="Search").click()
    row = page.locator("#results tbody tr").filter(has_text=f"operator:{analyst}")
    expect(row.first).to_contain_text(f"case {case_id.group(1)}")


def test_repeated_wrong_passwords_lock_the_account(page: Page, served: Served) -> None:
    username = served.operator("viewer")
    for attempt in range(5):
        page.goto(f"{served.url}/console/login")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(f"wrong guess {attempt}")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("locked for 5 more minute(s)")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("locked")
    expect(page).to_have_url(re.compile(r"/console/login"))


def test_keyboard_and_phone_width(page: Page, served: Served) -> None:
    sign_in(page, served, served.operator("viewer"))
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/console/", "/console/events", "/console/cases", "/console/audit"):
        page.goto(f"{served.url}{path}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways at phone width"


def test_a_blocked_seller_shows_the_sanctions_match_explained_and_its_ring(
    page: Page, served: Served
) -> None:
    """The listed owner's company: the hit's features side by side, his nominee's storefront."""
    with unit_of_work(served.runtime.sessions) as session:
        blocked = history.search(session, kind="merchant", decision=Decision.BLOCK, limit=500)
    [case_id] = [
        e.verdict.case_id
        for e in blocked
        if e.fields["legal_name"] == "Bursztyn Amber Goods Sp. z o.o."
    ]
    sign_in(page, served, served.operator("viewer"))
    page.goto(f"{served.url}/console/cases/{case_id}")
    checks = page.locator("#merchant-checks")
    expect(checks.locator(".hit-match").first).to_contain_text("Dravik Solenko")
    expect(checks.locator("table.hit-features").first).to_contain_text("1968-04-12")
    expect(checks).to_contain_text("demo-watchlist")
    expect(checks.locator("a[href^='http'], a[href^='mailto']")).to_have_count(0)
    ring = page.locator("#merchant-ring")
    expect(ring).to_contain_text("Amber Coast Trading Sp. z o.o.")
    expect(ring).to_contain_text("shares payout account")


def test_the_protection_level_heat_map_opens_a_cell_and_an_admin_attests(
    page: Page, served: Served
) -> None:
    """The demo recorded three stages, so the trend is drawn; a cell opens in place."""
    sign_in(page, served, served.operator("admin"))
    page.get_by_role("link", name="Levels", exact=True).click()
    expect(page.get_by_role("heading", name="Protection levels")).to_be_visible()
    expect(page.locator("table.heatmap td.lv")).to_have_count(16)
    expect(page.locator("canvas#levels-chart[data-drawn='1']")).to_be_attached()
    page.locator('td.lv a[href*="/cells/payments/1"]').click()
    detail = page.locator("#cell-detail")
    expect(detail).to_contain_text("PAY-1.1")
    expect(detail).to_contain_text("the store reported")
    expect(page).to_have_url(re.compile(r"/console/levels"))  # opened in place, no navigation
    page.goto(f"{served.url}/console/levels/cells/logistics/4")
    card = page.locator("#control-LOG-4\\.1")
    card.get_by_text("Attest that it is met").click()
    card.get_by_label("What is in place").fill("The lost-parcel playbook was approved in November.")
    card.get_by_label("Document (path, URL or id)").fill("dms://ops/lost-parcels.pdf")
    card.get_by_label("Holds until").fill("2027-05-31")
    card.get_by_role("button", name="Attest", exact=True).click()
    expect(page.get_by_text("LOG-4.1 attested until 2027-05-31.")).to_be_visible()
    expect(page.locator("#control-LOG-4\\.1 .badge").first).to_have_text("met")
