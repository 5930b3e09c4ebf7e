"""Sender impersonation: who the message claims to be from against where it really comes from.

Phishers rarely forge a brand's domain outright (DMARC catches that); they put the brand, a
colleague or a supplier in the display name, write from a free-mail account or a look-alike
domain, and point Reply-To somewhere else. Each check here looks for one of those moves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

from tradeguard.domains.mail.domains import (
    Brand,
    LookalikeIndex,
    is_freemail,
    punycode_evidence,
    registered_domain,
    skeleton,
    tokens_of,
    words,
)
from tradeguard.domains.mail.html_text import ascii_host
from tradeguard.domains.mail.message import Address, Finding, ParsedMessage

_LIST_HOST = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z]{2,}")
_NO_WORDS: frozenset[str] = frozenset()
_CLAIM_WORDS = {
    "brand": "the brand",
    "staff": "your colleague",
    "supplier": "your supplier",
    "department": "the department",
}
NAME_MATCH = 90  # token-sorted similarity for staff and supplier names (0-100)
# Words that do not make a display name a department on their own ("The", "Your").
_FILLER = tokens_of(("the", "your", "our", "and", "of", "do", "not", "e"))
# Legal-form words suppliers add or drop at will: "Bright Electronics" is "Bright Electronics
# Co., Ltd".
# fmt: off
_LEGAL_FORMS = tokens_of((
    "co", "ltd", "limited", "inc", "llc", "gmbh", "ag", "sa", "sarl", "srl", "bv", "corp",
    "corporation", "company", "plc", "pte", "pty", "kg", "oy", "ab", "sas", "spa",
))
# fmt: on


@dataclass(frozen=True, slots=True)
class Sender:
    """The From mailbox with what every check needs, computed once."""

    display_name: str
    address: str
    domain: str  # ASCII host of the address
    registered: str

    @classmethod
    def of(cls, address: Address) -> Sender:
        domain = ascii_host(address.domain)
        return cls(address.display_name.strip(), address.address, domain, registered_domain(domain))


@dataclass(frozen=True, slots=True)
class Claim:
    """Whom a display name claims to be: a brand, a staff member, a supplier or a department."""

    kind: Literal["brand", "staff", "supplier", "department"]
    name: str  # the brand, person or supplier as configured
    matched: str  # the alias or configured name that matched
    domains: tuple[str, ...] = ()  # where that party really writes from


def analyse_sender(msg: ParsedMessage, index: LookalikeIndex) -> list[Finding]:
    """Every impersonation finding about the From, Reply-To pair of one message."""
    sender = Sender.of(msg.sender)
    checks: tuple[Callable[[Sender, ParsedMessage, LookalikeIndex], Finding | None], ...] = (
        _display_name_brand,
        _display_name_staff,
        _display_name_supplier,
        _lookalike_domain,
        _punycode_domain,
        _freemail_brand,
        _reply_to_mismatch,
    )
    return [finding for check in checks if (finding := check(sender, msg, index)) is not None]


# --- what a display name claims --------------------------------------------------------------


@lru_cache(maxsize=4096)
def _cjk(text: str) -> bool:
    """Chinese, Japanese and Korean names have no spaces, so their aliases match as substrings."""
    return any("\u2e80" <= char <= "\ufaff" or "\uac00" <= char <= "\ud7af" for char in text)


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return size > 0 and any(
        haystack[i : i + size] == needle for i in range(len(haystack) - size + 1)
    )


def _alias_in(name: str, name_words: tuple[str, ...], alias: str) -> bool:
    if _cjk(alias):
        return skeleton(alias) in skeleton(name)
    return _contains(name_words, words(alias))


def brand_claim(display_name: str, index: LookalikeIndex) -> Claim | None:
    """The brand a display name claims, aliases matched as whole words however they are spelt
    ("PayPaI", "\u0391mazon" with a Greek A, "C o i n b a s e"); everyday-word aliases only
    on their own."""
    name_words = words(display_name)
    if not name_words:
        return None
    service = index.service_words
    for brand in index.protected.brands.brands:
        alias = _matching_alias(display_name, name_words, brand, service)
        if alias is not None:
            return Claim("brand", brand.name, alias, brand.domains)
    return None


def _matching_alias(
    name: str, name_words: tuple[str, ...], brand: Brand, service: frozenset[str]
) -> str | None:
    for alias in brand.aliases:
        if _alias_in(name, name_words, alias):
            return alias
    for alias in brand.standalone_aliases:
        alias_words = words(alias)
        rest = [word for word in name_words if word not in alias_words]
        if _contains(name_words, alias_words) and all(word in service for word in rest):
            return alias
    return None


def _comparable(name: str, drop: frozenset[str]) -> tuple[str, ...]:
    return tuple(word for word in words(name) if word not in drop)


def _best_name(display_name: str, names: Iterable[str], drop: frozenset[str]) -> str | None:
    """The configured name the display name spells, in any order and with a typo, or holds
    whole ("Chen Jing - Bright Textile" holds "Bright Textile Co")."""
    shown = _comparable(display_name, drop)
    if not shown:
        return None
    for name in names:
        wanted = _comparable(name, drop)
        if not wanted:
            continue
        similar = fuzz.token_sort_ratio(" ".join(shown), " ".join(wanted)) >= NAME_MATCH
        if similar or (len(wanted) >= 2 and _contains(shown, wanted)):
            return name
    return None


def staff_claim(display_name: str, index: LookalikeIndex) -> Claim | None:
    """The staff member a display name names (token order and small typos ignored)."""
    name = _best_name(display_name, index.protected.staff, _NO_WORDS)
    own = tuple(index.protected.own_domains)
    return Claim("staff", name, name, own) if name is not None else None


def supplier_claim(display_name: str, index: LookalikeIndex) -> Claim | None:
    """The supplier a display name names, legal forms ("Co., Ltd") ignored on both sides."""
    suppliers = dict(index.protected.suppliers)
    name = _best_name(display_name, suppliers, _LEGAL_FORMS)
    return Claim("supplier", name, name, suppliers[name]) if name is not None else None


def department_claim(display_name: str, index: LookalikeIndex) -> Claim | None:
    """A display name that is only a department ("Security Team", "Accounts Payable")."""
    name_words = words(display_name)
    service = index.service_words
    if name_words and all(w in service for w in name_words) and set(name_words) - _FILLER:
        return Claim("department", display_name, display_name)
    return None


def _writes_from(sender: Sender, claim: Claim) -> bool:
    return sender.registered in {registered_domain(d) or d for d in claim.domains}


def _claim_finding(code: str, sender: Sender, claim: Claim, what: str) -> Finding:
    where = sender.domain or "no valid address"
    if sender.display_name:
        detail = (
            f'The sender calls itself "{sender.display_name}", which names {what} {claim.name}, '
            f"but writes from {where}, which is not one of theirs."
        )
    else:
        detail = f"The sender's address {sender.address} names {what} {claim.name}, but {where} "
        detail += "is not one of their domains."
    return Finding(
        code,
        detail,
        {
            "display_name": sender.display_name,
            "address": sender.address,
            "domain": sender.domain,
            "claims": claim.name,
            "matched": claim.matched,
        },
    )


def sender_brand_claim(sender: Sender, index: LookalikeIndex) -> Claim | None:
    """The brand the display name claims; with no display name, the brand the address's local
    part spells ("paypal.service@..."), which is then all the reader sees."""
    if sender.display_name:
        return brand_claim(sender.display_name, index)
    return brand_claim(sender.address.rpartition("@")[0], index)


def _display_name_brand(sender: Sender, _: ParsedMessage, index: LookalikeIndex) -> Finding | None:
    claim = sender_brand_claim(sender, index)
    if claim is None or _writes_from(sender, claim):
        return None
    finding = _claim_finding("display_name_brand", sender, claim, "the brand")
    return Finding(finding.code, finding.detail, {**finding.evidence, "brand": claim.name})


def _display_name_staff(sender: Sender, _: ParsedMessage, index: LookalikeIndex) -> Finding | None:
    claim = staff_claim(sender.display_name, index)
    if claim is None or _writes_from(sender, claim):
        return None
    return _claim_finding("display_name_staff", sender, claim, "your colleague")


def _display_name_supplier(
    sender: Sender, _: ParsedMessage, index: LookalikeIndex
) -> Finding | None:
    claim = supplier_claim(sender.display_name, index)
    if claim is None or _writes_from(sender, claim):
        return None
    return _claim_finding("display_name_supplier", sender, claim, "your supplier")


# --- where the mail comes from ---------------------------------------------------------------


def _lookalike_domain(sender: Sender, _: ParsedMessage, index: LookalikeIndex) -> Finding | None:
    match = index.lookalike(sender.domain) if sender.domain else None
    if match is None:
        return None
    return Finding(
        "lookalike_domain",
        f"The sender's domain {match.domain} looks like {match.looks_like} "
        f"({match.owner.name}) but is not it ({match.method}).",
        {**match.evidence(), "address": sender.address},
    )


def _punycode_domain(sender: Sender, _: ParsedMessage, __: LookalikeIndex) -> Finding | None:
    evidence = punycode_evidence(sender.domain)
    if evidence is None:
        return None
    return Finding(
        "punycode_domain",
        f"The sender's domain is written in encoded international characters; it displays as "
        f"{evidence['unicode']} ({evidence['scripts']}), which can imitate a familiar name.",
        {**evidence, "address": sender.address},
    )


def _freemail_brand(sender: Sender, _: ParsedMessage, index: LookalikeIndex) -> Finding | None:
    if not sender.registered or not is_freemail(sender.registered):
        return None
    claims = (
        sender_brand_claim(sender, index),
        staff_claim(sender.display_name, index),
        supplier_claim(sender.display_name, index),
        department_claim(sender.display_name, index),
    )
    for claim in claims:
        if claim is not None:
            named = f'"{sender.display_name}"' if sender.display_name else sender.address
            shown = f"calls itself {named}" if sender.display_name else f"writes as {named}"
            return Finding(
                "freemail_brand",
                f"The sender {shown}, which names {_CLAIM_WORDS[claim.kind]} {claim.name}, but "
                f"writes from a free-mail account at {sender.registered}, which anyone can open.",
                {
                    "display_name": sender.display_name,
                    "address": sender.address,
                    "domain": sender.registered,
                    "claims": claim.name,
                    "claim_kind": claim.kind,
                },
            )
    return None


def _reply_to_mismatch(sender: Sender, msg: ParsedMessage, index: LookalikeIndex) -> Finding | None:
    answered = _recipients(msg)
    lists = _list_domains(msg)
    for reply in msg.reply_to:
        domain = ascii_host(reply.domain)
        registered = registered_domain(domain) or domain
        if not domain or registered == sender.registered or _same_owner(registered, sender, index):
            continue
        # List headers are the sender's word, so they never excuse a free-mail Reply-To.
        if reply.address in answered or (registered in lists and not is_freemail(registered)):
            continue
        return _reply_to_finding(sender, reply, registered)
    return None


def _recipients(msg: ParsedMessage) -> frozenset[str]:
    """To and Cc: a Reply-To that points back at them is a mailing list's "reply to all"."""
    listed = [address.lower() for _, address in getaddresses(msg.header("To") + msg.header("Cc"))]
    return frozenset([*(a.address for a in msg.to), *listed])


def _list_domains(msg: ParsedMessage) -> frozenset[str]:
    """The registered domains a mailing list names for itself (RFC 2369, 2919, and the older
    ``Mailing-List``); lists point Reply-To at themselves, phishers at a mailbox they read."""
    names = ("List-Post", "List-Id", "List-Unsubscribe", "Mailing-List")
    values = " ".join(value for name in names for value in msg.header(name)).lower()
    hosts = _LIST_HOST.findall(values)
    return frozenset(filter(None, (registered_domain(host) for host in hosts)))


def _reply_to_finding(sender: Sender, reply: Address, registered: str) -> Finding:
    free = is_freemail(registered)
    where = f"a free-mail account at {registered}" if free else registered
    return Finding(
        "reply_to_mismatch",
        f"Replies go to {where}, not to the sender's domain {sender.registered or 'unknown'}"
        + ("; a company would not answer from a free-mail account." if free else "."),
        {
            "from_domain": sender.registered,
            "reply_to": reply.address,
            "reply_to_domain": registered,
            "reply_to_freemail": "yes" if free else "no",
        },
    )


def _same_owner(registered: str, sender: Sender, index: LookalikeIndex) -> bool:
    """Both domains belong to the same protected owner (amazon.de answering for amazon.com)."""
    owner = index.owner_of(registered)
    return owner is not None and owner == index.owner_of(sender.registered)
