"""Link checks on messages built here: each code firing, and the everyday links that must not."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

import pytest

from tradeguard.domains.mail.domains import (
    Brand,
    BrandBook,
    LookalikeIndex,
    ProtectedNames,
    default_brands,
)
from tradeguard.domains.mail.links import LinkFacts, analyse_links, parse_ip, shown_domain
from tradeguard.domains.mail.message import Address, Finding, Link, ParsedMessage


@cache
def index() -> LookalikeIndex:
    brands = (
        Brand(name="PayPal", category="payment", domains=("paypal.com",), aliases=("PayPal",)),
        Brand(
            name="Amazon",
            category="marketplace",
            domains=("amazon.com", "amazon.co.uk"),
            aliases=("Amazon",),
        ),
    )
    book = BrandBook(
        as_of="2026-11-25",
        source="tests",
        service_words=default_brands().service_words,
        brands=brands,
    )
    return LookalikeIndex.build(ProtectedNames(brands=book, own_domains=("brightshop.com",)))


def link(href: str, text: str = "") -> Link:
    host = (urlsplit(href).hostname or "") if "://" in href else ""
    return Link(href, text, host, "html" if text else "text")


def run(
    *links: Link, html: str = "", sender: str = "news@shop.example.com"
) -> tuple[dict[str, Finding], list[LinkFacts]]:
    msg = ParsedMessage(headers=(), sender=Address("Shop", sender), links=links, html=html)
    found, facts = analyse_links(msg, index())
    return {f.code: f for f in found}, facts


def codes(*links: Link, html: str = "") -> set[str]:
    return set(run(*links, html=html)[0])


# --- the text shown against where the link goes ------------------------------------------------


@pytest.mark.parametrize(
    "text", ["www.paypal.com", "https://www.paypal.com/signin", "PayPal.com", "<paypal.com>"]
)
def test_link_text_mismatch(text: str) -> None:
    found, _ = run(link("http://verify-account.top/login", text))
    assert found["link_text_mismatch"].evidence["shown_domain"] == "paypal.com"
    assert found["link_text_mismatch"].evidence["domain"] == "verify-account.top"


@pytest.mark.parametrize(
    ("href", "text"),
    [
        ("https://click.mailer.example.net/c/123", "Click here"),
        ("https://click.mailer.example.net/c/9", "Read the whole story on our blog today"),
        ("https://www.amazon.com/gp/css/order", "amazon.co.uk"),  # same brand
        ("https://accounts.paypal.com/x", "www.paypal.com"),  # same registered domain
        (
            "https://trk.esp.example.net/r?u=https%3A%2F%2Fwww.garden.example.org%2F",
            "garden.example.org",
        ),
        ("https://shop.example.com/t/55", "partner-site.com"),  # the sender's own tracker
        ("https://files.example.net/a", "invoice.zip"),  # a file name, not a site
    ],
)
def test_link_text_that_is_fine(href: str, text: str) -> None:
    assert "link_text_mismatch" not in codes(link(href, text))


@pytest.mark.parametrize(
    "href",
    ["https://shop.example.com/t/55", "https://evil.example.net/go?u=https://www.paypal.com/"],
)
def test_trackers_do_not_excuse_a_protected_name(href: str) -> None:
    assert "link_text_mismatch" in codes(link(href, "www.paypal.com"))


def test_shown_domain() -> None:
    assert shown_domain("https://Amazon.co.uk/orders?id=1") == "amazon.co.uk"
    assert shown_domain("Click here") == ""
    assert shown_domain("see www.paypal.com now") == ""
    assert shown_domain("readme.md") == ""
    assert shown_domain("allegro.pl") == "allegro.pl"


# --- the link itself ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("192.168.1.1", "192.168.1.1"),
        ("3232235777", "192.168.1.1"),
        ("0xc0a80101", "192.168.1.1"),
        ("0300.0250.1.1", "192.168.1.1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("example.com", None),
        ("1.2.3.4.example.com", None),
        ("256.1.1.1", None),
    ],
)
def test_parse_ip(host: str, address: str | None) -> None:
    assert parse_ip(host) == address


def test_ip_link() -> None:
    found, facts = run(link("http://3232235777/login", "Sign in"))
    assert found["ip_link"].evidence["ip"] == "192.168.1.1"
    assert facts[0].flags == ("ip_link",)


def test_punycode_link() -> None:
    found, _ = run(link("https://xn--pypal-4ve.com/x", "Sign in"))
    assert found["punycode_link"].evidence["unicode"] == "p\u0430ypal.com"
    assert found["lookalike_link"].evidence["looks_like"] == "paypal.com"


@pytest.mark.parametrize(
    "href", ["https://bit.ly/3xYz", "http://tinyurl.com/abc", "https://t.co/x"]
)
def test_shortener_link(href: str) -> None:
    assert "shortener_link" in codes(link(href, "Track parcel"))


def test_shortener_needs_the_real_host() -> None:
    assert "shortener_link" not in codes(link("https://notbit.ly/x", "Open"))


@pytest.mark.parametrize(
    "href",
    [
        "https://docs.google.com/forms/d/e/1FAIpQL/viewform",
        "https://forms.gle/abc",
        "https://login-check.web.app/",
        "https://pub-12ab.r2.dev/index.html",
        "https://bucket.s3.us-east-1.amazonaws.com/x.html",
        "https://acct.blob.core.windows.net/$web/login.html",
        "https://user.github.io/",
    ],
)
def test_form_host_link(href: str) -> None:
    assert "form_host_link" in codes(link(href, "Open document"))


def test_form_host_respects_the_path() -> None:
    assert "form_host_link" not in codes(link("https://docs.google.com/document/d/1", "Spec"))


def test_lookalike_link() -> None:
    found, _ = run(link("https://paypal.com.account-check.xyz/", "Verify"))
    evidence = found["lookalike_link"].evidence
    assert (evidence["brand"], evidence["method"]) == ("PayPal", "brand in subdomain")


def test_own_domain_lookalike_link() -> None:
    found, _ = run(link("https://brightshop-payments.com/", "Pay invoice"))
    assert found["lookalike_link"].evidence["looks_like"] == "brightshop.com"


# --- forms in the message ----------------------------------------------------------------------


def test_html_form_with_password() -> None:
    html = '<form action=""><input name=u><input type="password" name=p></form>'
    found, _ = run(html=html)
    assert found["html_form"].evidence["password_field"] == "yes"


def test_html_form_posting_card_details() -> None:
    html = '<form action="https://collect.example.net/p"><input name="card_number"></form>'
    found, _ = run(html=html)
    assert found["html_form"].evidence["action"] == "https://collect.example.net/p"


@pytest.mark.parametrize(
    "html",
    [
        '<form action="https://search.example.com/"><input name="q"></form>',
        '<form action="https://news.example.com/join"><input type="email" name="email"></form>',
        '<form action="https://x.example/"><input type="hidden" name="user_id" value="1"></form>',
        "<p>No form here</p>",
    ],
)
def test_forms_that_are_fine(html: str) -> None:
    assert "html_form" not in codes(html=html)


def test_unclosed_form_still_counts() -> None:
    assert "html_form" in codes(html='<form><input type="password">')


# --- the whole message -------------------------------------------------------------------------


def test_ignored_links_and_facts() -> None:
    _, facts = run(
        link("mailto:help@shop.example.com", "Mail us"),
        link("tel:+4930123456", "Call"),
        link("cid:logo@shop", "logo"),
        link("#top", "Top"),
        link("https://shop.example.com/orders/1", "Your order"),
    )
    assert [f.host for f in facts] == ["shop.example.com"]
    assert facts[0].as_dict() == {
        "href": "https://shop.example.com/orders/1",
        "text": "Your order",
        "host": "shop.example.com",
        "registered_domain": "example.com",
        "flags": [],
    }


def test_one_finding_per_code_with_a_count() -> None:
    found, facts = run(
        link("https://bit.ly/first", "One"),
        link("https://tinyurl.com/second", "Two"),
        link("https://bit.ly/third", "Three"),
    )
    assert found["shortener_link"].evidence["count"] == "3"
    assert found["shortener_link"].evidence["href"] == "https://bit.ly/first"
    assert all(f.flags == ("shortener_link",) for f in facts)


def test_long_values_are_cut() -> None:
    long_href = "https://shop.example.com/" + "a" * 500
    _, facts = run(link(long_href, "b" * 500))
    shown = facts[0].as_dict()
    assert len(str(shown["href"])) == 300
    assert len(str(shown["text"])) == 200


def test_newsletter_with_tracking_links_is_quiet() -> None:
    found, facts = run(
        link("https://click.esp.example.net/c/aa", "Shop the autumn collection"),
        link("https://click.esp.example.net/c/bb", "View this e-mail in your browser"),
        link("https://click.esp.example.net/c/cc", "Unsubscribe"),
        html="<p>Autumn is here.</p>",
    )
    assert found == {}
    assert len(facts) == 3
