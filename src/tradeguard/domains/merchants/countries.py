"""Where a merchant is, by each thing it told us, and which of those places do not fit together.

The classic shell company is registered in one country, banks in a second and is run from a
third: "bank account in LT while registered in GB", "connecting from NG where the company has
no address". Cross-border trade explains a lot, so only what it does not explain is reported:

- a warehouse or return address abroad is normal, and any address counts as a presence, so an
  IP or phone number from the country of the warehouse is not reported;
- a bank in another SEPA country than the registration (a UK company with a Lithuanian
  e-money IBAN) is common and is reported only when the IP or phone also points elsewhere;
- a registered address outside the registration country contradicts itself and is reported;
- a payout account in a name that is neither the company nor one of its people is reported.
"""

from __future__ import annotations

import re
import unicodedata
from ipaddress import IPv4Address, IPv6Address

import iptocc
import phonenumbers
from rapidfuzz import fuzz

from tradeguard.domains.merchants.schemas import MerchantPayload, iso_countries

# Countries in the Single Euro Payments Area, where an account in a neighbour is ordinary.
SEPA = frozenset(
    (
        *("AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU"),
        *("IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"),
        *("IS", "LI", "NO", "CH", "GB", "MC", "SM", "VA", "AD"),
    )
)
# Legal forms dropped before comparing an account holder with the company's names.
_LEGAL_FORMS = frozenset(
    (
        *("ltd", "limited", "llc", "inc", "incorporated", "corp", "corporation", "co"),
        *("company", "plc", "gmbh", "ag", "kg", "ug", "mbh", "sarl", "sas", "sa", "srl", "spa"),
        *("bv", "nv", "oy", "ab", "as", "aps", "kft", "sro", "sp", "zoo", "oü", "ou", "pte"),
        *("pty", "llp", "lp"),
    )
)
HOLDER_SIMILARITY = 90  # rapidfuzz token-set ratio at which two names are the same party


def ip_country(merchant: MerchantPayload) -> str | None:
    """The edge-reported country, else the registries' (iptocc, offline); None for private IPs."""
    if merchant.ip_country:
        return merchant.ip_country
    ip: IPv4Address | IPv6Address | None = merchant.ip
    if ip is None or not ip.is_global:
        return None
    found = iptocc.country_code(str(ip))
    return found if found in iso_countries() else None


def phone_country(merchant: MerchantPayload) -> str | None:
    if not merchant.phone:
        return None
    region = phonenumbers.region_code_for_number(phonenumbers.parse(merchant.phone))
    return region if region in iso_countries() else None


def bank_country(merchant: MerchantPayload) -> str | None:
    """The IBAN's country when there is one (it cannot lie about itself), else the stated one."""
    account = merchant.bank
    if account is None:
        return None
    if account.iban and account.iban[:2] in iso_countries():
        return account.iban[:2]
    return account.country


def merchant_countries(merchant: MerchantPayload) -> dict[str, list[str]]:
    """Every country the application names, by what named it ("bank": ["LT"])."""
    found: dict[str, list[str]] = {"registration": [merchant.registration_country]}
    for address in merchant.addresses:
        found.setdefault(f"address:{address.kind}", []).append(address.country)
    found["nationality"] = [p.nationality for p in merchant.people if p.nationality]
    found["tax"] = [t.country for t in merchant.tax_ids if t.country]
    for name, country in (
        ("bank", bank_country(merchant)),
        ("ip", ip_country(merchant)),
        ("phone", phone_country(merchant)),
    ):
        if country:
            found[name] = [country]
    return {k: sorted(set(v)) for k, v in found.items() if v}


def inconsistencies(countries: dict[str, list[str]]) -> list[str]:
    """Sentences for the places that do not fit, strongest first; no commas inside a sentence."""
    registered = countries["registration"][0]
    present = {registered} | {
        c for k, v in countries.items() if k.startswith("address:") for c in v
    }
    found: list[str] = []
    for country in countries.get("address:registered", []):
        if country != registered:
            found.append(f"registered address in {country} while registered in {registered}")
    [bank] = countries.get("bank", [None])
    [ip] = countries.get("ip", [None])
    [phone] = countries.get("phone", [None])
    operator_elsewhere = (ip is not None and ip not in present) or (
        phone is not None and phone not in present
    )
    if bank is not None and bank not in present:
        neighbours = bank in SEPA and registered in SEPA
        if not neighbours or operator_elsewhere:
            found.append(f"bank account in {bank} while registered in {registered}")
    if ip is not None and ip not in present:
        found.append(f"connecting from {ip} where the company has no address")
    if phone is not None and phone not in present:
        found.append(f"phone number from {phone} where the company has no address")
    return found


def holder_mismatch(merchant: MerchantPayload) -> str | None:
    """A sentence when payouts go to a name that is neither the company's nor its people's."""
    holder = merchant.bank.holder_name if merchant.bank else None
    if not holder:
        return None
    names = [merchant.legal_name, *merchant.trading_names, *(p.name for p in merchant.people)]
    wanted = _plain_name(holder)
    if any(fuzz.token_set_ratio(wanted, _plain_name(n)) >= HOLDER_SIMILARITY for n in names):
        return None
    return f"bank account holder '{holder}' is neither the company nor one of its people"


def _plain_name(name: str) -> str:
    """Case, accents, punctuation and legal forms removed: "Müller GmbH." -> "muller"."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    words = re.findall(r"\w+", text)
    kept = [w for w in words if w not in _LEGAL_FORMS]
    return " ".join(kept or words)
