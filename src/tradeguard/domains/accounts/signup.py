"""The ``signup`` kind: what a new account's e-mail, phone and network say, and its counters.

Everything here is offline and deterministic: ``email-validator`` checks syntax only (no DNS
at run time), ``phonenumbers`` carries Google's numbering plans, ``disposable-email-domains``
the throwaway domains and ``iptocc`` the registries' IP delegations. The same payload always
gives the same facts, so a back-test sees what serving saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from disposable_email_domains import blocklist
from email_validator import EmailNotValidError, validate_email
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

from tradeguard.domains.accounts.geo import country_of, subnet
from tradeguard.domains.accounts.kinds import STORE
from tradeguard.domains.accounts.schemas import SignupPayload
from tradeguard.engine.events import CounterSpec, EventKind, register_kind

# Providers that ignore dots in the mailbox name, under every domain they answer for. Other
# providers may treat "a.b" and "ab" as two people, so dots are kept there.
DOTLESS_PROVIDERS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
# Sub-addressing (RFC 5233) "+tag" reaches the same inbox at nearly every provider.
SUBADDRESS = "+"
_PHONE_TYPES = {
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",  # NANP cannot tell
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
_LENGTH_PROBLEMS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country calling code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "a length no number in that country has",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "a local number without its area code",
}
_NON_GEOGRAPHIC = "001"  # phonenumbers' region for +800, +808, +870, +88x numbers


@dataclass(frozen=True, slots=True)
class EmailFacts:
    valid: bool
    address: str | None  # normalised: local part lower-cased, domain IDNA-encoded
    domain: str | None
    mailbox: str | None  # the inbox mail really reaches (dots and "+tag" folded)
    disposable: bool
    problem: str | None


@dataclass(frozen=True, slots=True)
class PhoneFacts:
    valid: bool
    possible: bool
    type: str | None  # "mobile", "voip", ... ; None when the text is not a number at all
    country: str | None  # the number's own region, for valid geographic numbers
    e164: str | None  # only for valid numbers: junk such as "123" must not link accounts
    problem: str | None


def canonical_mailbox(local: str, domain: str) -> str:
    """``A.B+shop@googlemail.com`` -> ``ab@gmail.com``: one inbox, however it is spelt."""
    base = local.lower().split(SUBADDRESS, 1)[0] or local.lower()
    if domain in DOTLESS_PROVIDERS:
        base, domain = base.replace(".", "") or base, DOTLESS_PROVIDERS[domain]
    return f"{base}@{domain}"


def is_disposable(domain: str) -> bool:
    """The domain or any parent on the throwaway list (``x.yopmail.com`` counts as yopmail)."""
    labels = domain.split(".")
    return any(".".join(labels[i:]) in blocklist for i in range(len(labels) - 1))


@lru_cache(maxsize=4096)
def email_facts(text: str) -> EmailFacts:
    """Syntax, normal form, inbox and throwaway status of an address; never raises."""
    try:
        found = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return EmailFacts(False, None, None, None, False, str(exc))
    domain = found.ascii_domain
    local = found.local_part.lower()
    return EmailFacts(
        valid=True,
        address=f"{local}@{domain}",
        domain=domain,
        mailbox=canonical_mailbox(local, domain),
        disposable=is_disposable(domain),
        problem=None,
    )


@lru_cache(maxsize=4096)
def phone_facts(text: str, country: str) -> PhoneFacts:
    """Parse as typed: ``+`` or ``00`` numbers carry their country, others are the stated one's."""
    region = country if country in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        return PhoneFacts(False, False, None, None, None, str(exc._msg))
    possible = phonenumbers.is_possible_number_with_reason(number)
    if not phonenumbers.is_valid_number(number):
        problem = _LENGTH_PROBLEMS.get(possible, "no such number in its country's numbering plan")
        is_possible = possible == ValidationResult.IS_POSSIBLE
        return PhoneFacts(False, is_possible, None, None, None, problem)
    region_of = phonenumbers.region_code_for_number(number)
    return PhoneFacts(
        valid=True,
        possible=True,
        type=_PHONE_TYPES.get(phonenumbers.number_type(number), "unknown"),
        country=None if region_of in (None, _NON_GEOGRAPHIC) else region_of,
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        problem=None,
    )


def _phone(signup: SignupPayload) -> PhoneFacts | None:
    return phone_facts(signup.phone, signup.country) if signup.phone else None


def _entities(signup: SignupPayload) -> dict[str, str]:
    email, phone = email_facts(signup.email), _phone(signup)
    found = {
        "account": signup.account_id,
        "email": email.address,
        "mailbox": email.mailbox,
        "email_domain": email.domain,
        "phone": phone.e164 if phone else None,
        "device": signup.device_id,
        "ip": str(signup.ip),
        "ip_subnet": subnet(signup.ip),
        "card_fingerprint": signup.card_fingerprint,
        "store": STORE,
    }
    return {k: v for k, v in found.items() if v}


def _differs(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and a != b


def _rule_fields(signup: SignupPayload) -> dict[str, Any]:
    """What rules read as ``event.derived``: the facts, and the country comparisons."""
    email, phone = email_facts(signup.email), _phone(signup)
    ip_cc = country_of(signup.ip_country, signup.ip)
    phone_cc = phone.country if phone else None
    return {
        "account_type": signup.account_type,
        "email_valid": email.valid,
        "email_problem": email.problem,
        "email_domain": email.domain,
        "email_disposable": email.disposable,
        "email_alias": email.valid and email.mailbox != email.address,
        "phone_given": phone is not None,
        "phone_valid": bool(phone and phone.valid),
        "phone_possible": bool(phone and phone.possible),
        "phone_type": phone.type if phone else None,
        "phone_country": phone_cc,
        "phone_problem": phone.problem if phone else None,
        "ip_country": ip_cc,
        "ip_country_source": "edge" if signup.ip_country else ("iptocc" if ip_cc else None),
        "phone_country_mismatch": _differs(phone_cc, signup.country),
        "ip_country_mismatch": _differs(ip_cc, signup.country),
        "phone_ip_mismatch": _differs(phone_cc, ip_cc),
    }


def _account(signup: SignupPayload) -> str:
    return signup.account_id


# Every sharing counter counts distinct accounts: a form submitted twice is still one account.
SHARED_BY_ACCOUNTS = ("ip", "ip_subnet", "device", "phone", "card_fingerprint", "mailbox")

SIGNUP = register_kind(
    EventKind(
        name="signup",
        payload=SignupPayload,
        entities=_entities,
        rule_fields=_rule_fields,
        description="A new buyer, seller or staff account, screened before it is created.",
        counters=(
            *(CounterSpec("signup.created", e, distinct=_account) for e in SHARED_BY_ACCOUNTS),
            CounterSpec("signup.created", "email_domain", distinct=_account),
            # store-wide: a bot wave shows in the rate, whatever each sign-up looks like
            CounterSpec("signup.created", "store"),
        ),
    )
)
