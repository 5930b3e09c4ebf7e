"""Sender impersonation and the look-alike index, on messages built here (never real phishing)."""

from __future__ import annotations

import socket
import time
from functools import cache
from pathlib import Path

import pytest

from tradeguard.domains.mail import domains
from tradeguard.domains.mail.domains import (
    Brand,
    BrandBook,
    BrandListError,
    LookalikeIndex,
    ProtectedNames,
    default_brands,
    default_index,
    is_freemail,
    load_brands,
    registered_domain,
    skeleton,
    split_host,
    words,
)
from tradeguard.domains.mail.impersonation import analyse_sender
from tradeguard.domains.mail.message import Address, Finding, ParsedMessage

OWN = "brightshop.com"
SUPPLIER = "Shenzhen Bright Electronics Co., Ltd"


def _brand(
    name: str, category: str, domains: list[str], aliases: list[str], **more: object
) -> Brand:
    return Brand.model_validate(
        {"name": name, "category": category, "domains": domains, "aliases": aliases, **more}
    )


@cache
def small_index() -> LookalikeIndex:
    """A handful of brands plus the store's names: builds in milliseconds."""
    book = BrandBook(
        as_of="2026-11-25",
        source="tests",
        service_words=frozenset(default_brands().service_words),
        brands=(
            _brand(
                "Amazon",
                "marketplace",
                ["amazon.com", "amazon.co.uk", "amazon.de"],
                ["Amazon", "Seller Central"],
                tenant_domains=["amazonaws.com"],
            ),
            _brand("PayPal", "payment", ["paypal.com"], ["PayPal"]),
            _brand("eBay", "marketplace", ["ebay.com"], ["eBay"], domain_tokens=["ebay"]),
            _brand("Chase", "bank", ["chase.com"], ["Chase Bank"], standalone_aliases=["Chase"]),
            _brand("Alipay", "payment", ["alipay.com"], ["Alipay", "支付宝"]),
            _brand("Microsoft", "technology", ["microsoft.com", "outlook.com"], ["Microsoft"]),
        ),
    )
    protected = ProtectedNames(
        brands=book,
        own_domains=(OWN,),
        staff=("Li Wei", "Anna Schmidt"),
        suppliers=((SUPPLIER, ("brightelec.cn",)),),
    )
    return LookalikeIndex.build(protected)


def message(
    sender: str,
    address: str,
    *,
    reply_to: tuple[Address, ...] = (),
    to: tuple[Address, ...] = (),
    headers: tuple[tuple[str, str], ...] = (),
) -> ParsedMessage:
    return ParsedMessage(headers=headers, sender=Address(sender, address), reply_to=reply_to, to=to)


def findings(msg: ParsedMessage) -> dict[str, Finding]:
    return {f.code: f for f in analyse_sender(msg, small_index())}


# --- display names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "display",
    ["PayPaI Service", "P a y P a l", "p\u0430ypal security"],  # capital I; spaced; Cyrillic a
)
def test_display_name_brand_folds_spelling_tricks(display: str) -> None:
    found = findings(message(display, "service@secure-mail.xyz"))["display_name_brand"]
    assert found.evidence["brand"] == "PayPal"
    assert found.evidence["domain"] == "secure-mail.xyz"
    assert "PayPal" in found.detail


def test_display_name_brand_greek_capital_alpha() -> None:
    found = findings(message("\u0391mazon Seller Team", "x@notice-center.top"))
    assert found["display_name_brand"].evidence["brand"] == "Amazon"


def test_brand_country_domain_and_subdomain_are_the_brand() -> None:
    assert findings(message("Amazon.co.uk", "order-update@amazon.co.uk")) == {}
    assert findings(message("PayPal", "service@mail.paypal.com")) == {}


def test_brand_tenant_space_is_not_the_brand() -> None:
    found = findings(message("Amazon Web Services", "x@ec2-1-2-3-4.compute.amazonaws.com"))
    assert "display_name_brand" in found
    assert "lookalike_domain" not in found  # tenant space is never a look-alike


def test_brand_in_the_address_when_there_is_no_display_name() -> None:
    found = findings(message("", "paypal.service@account-help.net"))["display_name_brand"]
    assert found.evidence["brand"] == "PayPal"
    assert "address" in found.detail
    assert "display_name_brand" not in findings(message("Jo", "paypal.service@account-help.net"))


def test_alias_needs_whole_words() -> None:
    assert findings(message("Amazonia Tours", "hello@amazonia-tours.example")) == {}


def test_standalone_alias_only_with_service_words() -> None:
    assert findings(message("Chase Johnson", "chase@johnson-design.com")) == {}
    assert "display_name_brand" in findings(message("Chase Alerts", "alert@chase-alerts.io"))


def test_cjk_alias_matches_inside_a_name() -> None:
    found = findings(message("支付宝通知", "notice@zfb-service.cn"))
    assert found["display_name_brand"].evidence["brand"] == "Alipay"


def test_staff_name_from_outside_and_from_own_domain() -> None:
    found = findings(message("Wei Li", "li.wei.ceo@company-mail.net"))["display_name_staff"]
    assert found.evidence["claims"] == "Li Wei"
    assert findings(message("Li Wei", f"li.wei@{OWN}")) == {}
    assert findings(message("Lisa Weiss", "lisa@weiss.example")) == {}


def test_supplier_name_from_a_stranger_and_from_the_supplier() -> None:
    msg = message("Chen Jing - Shenzhen Bright Electronics", "chen@bright-elec-trade.com")
    assert findings(msg)["display_name_supplier"].evidence["claims"] == SUPPLIER
    assert findings(message("Shenzhen Bright Electronics Co Ltd", "sales@brightelec.cn")) == {}


# --- domains -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "looks_like", "method"),
    [
        ("arnazon.com", "amazon.com", "homoglyph"),
        ("paypa1.com", "paypal.com", "homoglyph"),
        ("amzaon.com", "amazon.com", "dnstwist:transposition"),
        ("pay-pal.com", "paypal.com", "dnstwist:hyphenation"),
        ("amazom.co.uk", "amazon.co.uk", "edit distance 1"),
        ("paypal.shop", "paypal.com", "same name, other suffix"),
        ("amazon-seller-verify.com", "amazon.com", "brand in subdomain"),
        ("brlghtshop.com", OWN, "homoglyph"),
        ("brightshop-invoices.com", OWN, "brand in subdomain"),
        ("brigthelec.cn", "brightelec.cn", "dnstwist:transposition"),
    ],
)
def test_lookalike_domain(domain: str, looks_like: str, method: str) -> None:
    found = findings(message("Orders", f"notice@{domain}"))["lookalike_domain"]
    assert found.evidence["looks_like"] == looks_like
    assert found.evidence["method"] == method
    assert looks_like in found.detail


def test_brand_in_subdomain_names_the_whole_host() -> None:
    match = small_index().lookalike("paypal.com.secure-check.xyz")
    assert match is not None
    assert (match.domain, match.looks_like, match.method) == (
        "paypal.com.secure-check.xyz",
        "paypal.com",
        "brand in subdomain",
    )


@pytest.mark.parametrize(
    "domain",
    [
        "paypal.com",
        "www.paypal.com",
        "amazon.de",
        "bucket.s3.amazonaws.com",
        "hotmail.co.uk",
        "outlook.fr",
        "ebey.com",  # four letters: never by edit distance
        "example.com",
        "192.0.2.1",
        "localhost",
        "",
    ],
)
def test_never_a_lookalike(domain: str) -> None:
    assert small_index().lookalike(domain) is None


def test_punycode_domain_shows_the_unicode_and_scripts() -> None:
    found = findings(message("Service", "help@xn--pypal-4ve.com"))
    assert found["punycode_domain"].evidence["unicode"] == "p\u0430ypal.com"
    assert found["punycode_domain"].evidence["scripts"] == "CYRILLIC, LATIN"
    assert found["lookalike_domain"].evidence["method"] == "homoglyph"


# --- free-mail and Reply-To --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("display", "kind"),
    [
        ("PayPal Support", "brand"),
        ("Security Team", "department"),
        ("Accounts Payable", "department"),
        ("Anna Schmidt", "staff"),
        ("Bright Electronics Shenzhen", "supplier"),
    ],
)
def test_freemail_claims(display: str, kind: str) -> None:
    found = findings(message(display, "someone1987@gmail.com"))["freemail_brand"]
    assert found.evidence["claim_kind"] == kind
    assert found.evidence["domain"] == "gmail.com"


def test_freemail_brand_in_the_address() -> None:
    found = findings(message("", "paypal.help.desk@gmail.com"))["freemail_brand"]
    assert found.detail.startswith("The sender writes as paypal.help.desk@gmail.com")


def test_freemail_person_is_fine() -> None:
    assert findings(message("John Carter", "john.carter@gmail.com")) == {}
    assert findings(message("", "buyer2024@qq.com")) == {}


def test_reply_to_same_domain_is_fine() -> None:
    msg = message("Support", "support@company.com", reply_to=(Address("", "billing@company.com"),))
    assert findings(msg) == {}


def test_reply_to_elsewhere() -> None:
    plain = message("Orders", "orders@company.com", reply_to=(Address("", "x@other.net"),))
    assert findings(plain)["reply_to_mismatch"].evidence == {
        "from_domain": "company.com",
        "reply_to": "x@other.net",
        "reply_to_domain": "other.net",
        "reply_to_freemail": "no",
    }
    free = message("Orders", "orders@company.com", reply_to=(Address("", "ord3rs@gmail.com"),))
    found = findings(free)["reply_to_mismatch"]
    assert found.evidence["reply_to_freemail"] == "yes"
    assert "free-mail" in found.detail


def test_reply_to_mailing_list_and_same_brand_are_fine() -> None:
    to_list = message(
        "Tim",
        "tim@example.org",
        reply_to=(Address("", "makers@groups.example.net"),),
        to=(Address("", "makers@groups.example.net"),),
    )
    listed = message(
        "Tim",
        "tim@example.org",
        reply_to=(Address("", "makers@lists.example.net"),),
        headers=(("List-Id", "Makers <makers.lists.example.net>"),),
    )
    brand = message("Amazon", "x@amazon.de", reply_to=(Address("", "y@amazon.com"),))
    assert findings(to_list) == findings(listed) == findings(brand) == {}


def test_list_headers_never_excuse_a_freemail_reply_to() -> None:
    msg = message(
        "Billing",
        "billing@company.com",
        reply_to=(Address("", "billing.dept@gmail.com"),),
        headers=(("List-Unsubscribe", "<mailto:unsubscribe@gmail.com>"),),
    )
    assert "reply_to_mismatch" in findings(msg)


# --- brand file and default index --------------------------------------------------------------


def test_shipped_brand_file_is_valid_and_complete() -> None:
    book = load_brands()
    names = {brand.name for brand in book.brands}
    assert {"Amazon", "PayPal", "DHL", "Microsoft", "Santander", "Shopify", "Temu"} <= names
    amazon = next(b for b in book.brands if b.name == "Amazon")
    assert "amazonses.com" not in amazon.domains  # every SES customer sends from it
    assert "amazonaws.com" in amazon.tenant_domains


def test_broken_brand_file_names_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text(
        "as_of: '2026-11-25'\nsource: test\nservice_words: [support]\nbrands:\n"
        "  - name: PayPal\n    category: fintech\n    domains: [www.paypal.com]\n"
        "    aliases: [PayPal]\n",
        encoding="utf-8",
    )
    with pytest.raises(BrandListError) as error:
        load_brands(path)
    message_text = str(error.value)
    assert str(path) in message_text
    assert "brands.0.category" in message_text
    assert "www.paypal.com" in message_text


def test_brand_file_rejects_bad_yaml_and_shared_domains(tmp_path: Path) -> None:
    path = tmp_path / "brands.yaml"
    path.write_text("brands: [unclosed\n", encoding="utf-8")
    with pytest.raises(BrandListError, match="not valid YAML"):
        load_brands(path)
    with pytest.raises(BrandListError, match="cannot be read"):
        load_brands(tmp_path / "missing.yaml")
    one = {"category": "payment", "domains": ["payexample.com"], "aliases": ["Pay"]}
    with pytest.raises(ValueError, match=r"payexample\.com is listed for both A and B"):
        BrandBook.model_validate(
            {
                "as_of": "x",
                "source": "x",
                "service_words": [],
                "brands": [{"name": "A", **one}, {"name": "B", **one}],
            }
        )


def test_default_index_builds_fast_and_never_flags_a_brand_domain() -> None:
    default_index.cache_clear()
    started = time.perf_counter()
    index = default_index()
    assert time.perf_counter() - started < 3.0
    for brand in default_brands().brands:
        for domain in (*brand.domains, *brand.tenant_domains):
            assert index.lookalike(domain) is None, domain
            assert index.lookalike(f"login.{domain}") is None, domain
    match = index.lookalike("dhl-parcel-redelivery.info")
    assert match is not None
    assert match.owner.name == "DHL"


@pytest.mark.parametrize(
    ("domain", "flagged"),
    [
        ("paypal.shop", True),  # a distinctive brand name under a generic suffix
        ("paypal.nl", False),  # brands hold their name under country codes
        ("office.org", False),  # a plain word is no claim to Microsoft
        ("brightshop.de", True),  # the store's own name: any other suffix
    ],
)
def test_same_name_under_another_suffix(domain: str, flagged: bool) -> None:
    assert (store_index().lookalike(domain) is not None) is flagged


@cache
def store_index() -> LookalikeIndex:
    return LookalikeIndex.build(ProtectedNames.default(own_domains=[OWN]))


# --- helpers -----------------------------------------------------------------------------------


def test_suffix_list_is_offline_and_writes_no_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_network(*_: object, **__: object) -> None:
        raise AssertionError("tried the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setenv("TLDEXTRACT_CACHE", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    domains._extractor.cache_clear()
    split_host.cache_clear()
    try:
        assert registered_domain("www.example.co.jp") == "example.co.jp"
    finally:
        domains._extractor.cache_clear()
        split_host.cache_clear()
    assert list(tmp_path.iterdir()) == []


def test_registered_domain_uses_the_bundled_suffix_list() -> None:
    assert registered_domain("a.b.amazon.co.uk") == "amazon.co.uk"
    assert registered_domain("shop.example.com.br") == "example.com.br"
    assert registered_domain("10.0.0.1") == ""
    assert registered_domain("mail.shop.example") == "shop.example"  # the implicit "*" rule
    assert registered_domain("localhost") == ""
    assert split_host("bücher.de").label == "xn--bcher-kva"


def test_skeleton_and_words() -> None:
    assert skeleton("PayPaI") == skeleton("paypal") == skeleton("p\u0430ypal")
    assert skeleton("rnicrosoft") == skeleton("microsoft")
    assert words("Itaú  Unibanco") == words("itau unibanco")
    assert "coinbase" in " ".join(words("C o i n b a s e")).replace("l", "i")


def test_freemail_list_handles_any_suffix() -> None:
    assert all(is_freemail(d) for d in ("hotmail.co.uk", "mail.ru", "qq.com", "gmx.de"))
    assert not is_freemail("hotmail-support.com")
