"""Screenshots of the console's main pages on the demo shop, for the README and docs.

    .venv/bin/python scripts/console_screenshots.py [--out docs/screenshots] [--customers 3000]
        [--only verdict-email]

Builds the demo store in a temporary folder, serves it, signs in through the real forms in
Debian's Chromium and saves one PNG per page (and the overview at phone width); ``--only``
retakes one picture without the whole tour.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import FloatRect, Page, sync_playwright

from tests.browser.driver import Served, launch, serve_demo, sign_in


def shoot(page: Page, out: Path, name: str, *, full: bool = False, down_to: str = "") -> None:
    """Save the page; ``down_to`` (a CSS selector) cuts a full page below that element."""
    page.wait_for_load_state("networkidle")
    clip: FloatRect | None = None
    if down_to:
        bottom = page.locator(down_to).first.evaluate(
            "e => e.getBoundingClientRect().bottom + window.scrollY + 16"
        )
        width = page.viewport_size["width"] if page.viewport_size else 1280
        clip = {"x": 0, "y": 0, "width": width, "height": float(bottom)}
    page.screenshot(path=str(out / f"{name}.png"), full_page=full, clip=clip)
    print(f"saved {out / name}.png")


def tour(page: Page, served: Served, out: Path) -> None:
    base = f"{served.url}/console"
    sign_in(page, served, served.operator("admin"))
    page.goto(f"{base}/?range=7d")
    shoot(page, out, "overview", full=True)
    page.goto(f"{base}/events?decision=block")
    shoot(page, out, "events")
    page.locator("#results tbody tr td a").first.click()
    shoot(page, out, "verdict", full=True)
    page.goto(f"{base}/events?kind=order&decision=review")
    page.locator("#results tbody tr td a").first.click()
    page.locator("article.model-explanation").first.scroll_into_view_if_needed()
    shoot(page, out, "verdict-order", full=True)
    show_phishing(page, base, out)
    show_merchant(page, base, out)
    show_levels(page, base, out)
    page.goto(f"{base}/models")
    shoot(page, out, "models")
    page.goto(f"{base}/cases")
    shoot(page, out, "cases")
    page.locator("main table tbody tr td a").first.click()
    shoot(page, out, "case", full=True)
    page.goto(f"{base}/cases?kind=signup")
    page.locator("main table tbody tr td a").first.click()
    shoot(page, out, "case-signup-cluster", full=True)
    show_takeover(page, base, out)
    page.goto(f"{base}/passwords")
    page.get_by_label("Password", exact=True).fill("Summer2024!shop")
    page.get_by_label("User name (optional)").fill("anna.meyer")
    page.get_by_role("button", name="Check").click()
    page.locator("#password-result > *").first.wait_for()
    shoot(page, out, "passwords")
    page.goto(f"{base}/lists")
    shoot(page, out, "lists")
    page.goto(f"{base}/rules/login-default/diff?a=1&b=2")
    shoot(page, out, "rule-diff")
    page.goto(f"{base}/rules/login-default/2")
    since = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    page.get_by_label("From").fill(since)
    page.get_by_role("button", name="Run back-test").click()
    page.locator("#backtest article").wait_for(timeout=300_000)  # 14 days of logins
    page.locator("#backtest").scroll_into_view_if_needed()
    shoot(page, out, "backtest")
    page.goto(f"{base}/audit?q=case.resolve")
    shoot(page, out, "audit")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/")
    shoot(page, out, "overview-phone")


def show_takeover(page: Page, base: str, out: Path) -> None:
    """A login verdict that recommends revoking sessions: the first held login that has one."""
    for decision in ("review", "block"):
        page.goto(f"{base}/events?kind=login&decision={decision}")
        links = page.locator("#results tbody tr td a[href*='/events/login/']")
        for href in [links.nth(i).get_attribute("href") for i in range(links.count())]:
            page.goto(f"{served_origin(page)}{href}")
            if page.get_by_text("Recommended:").count():
                shoot(page, out, "verdict-login-takeover", full=True)
                return


def show_phishing(page: Page, base: str, out: Path) -> None:
    """A quarantined message from a lookalike sender whose link says one site and opens another:
    the first such, else the first quarantined message."""
    page.goto(f"{base}/events?kind=email&decision=block")
    links = page.locator("#results tbody tr td a[href*='/events/email/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto(f"{served_origin(page)}{href}")
        panel = page.locator("#mail-message")
        deceptive = panel.locator("table.mail-links tr.flagged", has_text="link_text_mismatch")
        if panel.locator("code.address mark").count() and deceptive.count():
            break
    else:
        page.goto(f"{served_origin(page)}{hrefs[0]}")
    shoot(page, out, "verdict-email", full=True)


def show_merchant(page: Page, base: str, out: Path) -> None:
    """The case of a blocked seller with a sanctions match and other merchants in its ring (the
    listed owner whose nominee's storefront shares his payout account), else the first block."""
    page.goto(f"{base}/events?kind=merchant&decision=block")
    links = page.locator("#results tbody tr td a[href*='/events/merchant/']")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        page.goto(f"{served_origin(page)}{href}")
        matched = page.locator("#merchant-checks .hit-match").count()
        if matched and page.locator("#merchant-ring tbody tr").count():
            break
    else:
        page.goto(f"{served_origin(page)}{hrefs[0]}")
    page.get_by_role("link", name=re.compile(r"^case #\d+$")).first.click()
    shoot(page, out, "verdict-merchant", full=True, down_to="#merchant-ring")


def show_levels(page: Page, base: str, out: Path) -> None:
    """The heat map for the EU market, then one cell opened in place (HTMX)."""
    page.goto(f"{base}/levels?market=EU")
    shoot(page, out, "levels", full=True)
    page.locator('td.lv a[href*="/cells/payments/4"]').click()
    page.locator("#cell-detail article.control").first.wait_for()
    page.goto(f"{base}/levels/cells/payments/4?market=EU")
    shoot(page, out, "levels-cell", full=True)


ONLY = {
    "verdict-email": show_phishing,
    "verdict-merchant": show_merchant,
    "levels": show_levels,
}


def served_origin(page: Page) -> str:
    return "/".join(page.url.split("/")[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--only", choices=sorted(ONLY), help="take this one picture")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        serve_demo(Path(folder) / "demo", customers=args.customers, days=14) as served,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        if args.only:
            sign_in(page, served, served.operator("admin"))
            ONLY[args.only](page, f"{served.url}/console", args.out)
        else:
            tour(page, served, args.out)
        browser.close()


if __name__ == "__main__":
    main()
