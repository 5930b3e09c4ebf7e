"""Registration numbers, tax ids and bank details: do they have the shape and check digits due?

A made-up VAT number or IBAN usually fails its check digit; a real one copied from another
company passes, which is why sharing is looked at separately (``links.py``). Everything here is
offline and deterministic: ``python-stdnum`` knows the formats of about ninety countries and
``schwifty`` the IBAN and BIC registries. A number with no checker is reported as not checked,
never as invalid.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.util import get_cc_module

from tradeguard.domains.merchants.schemas import (
    BankAccount,
    IdentifierCheck,
    MerchantPayload,
    TaxId,
)

# Company registers by registration country (python-stdnum module paths). Countries missing
# here (the US registers companies per state, for one) are reported as not checked.
REGISTRATION: dict[str, tuple[str, ...]] = {
    "AR": ("ar.cuit",),
    "AT": ("at.businessid",),
    "AU": ("au.acn", "au.abn"),
    "BE": ("be.vat",),  # the enterprise number is the VAT number's digits
    "BR": ("br.cnpj",),
    "CA": ("ca.bn",),
    "CH": ("ch.uid",),
    "CL": ("cl.rut",),
    "CN": ("cn.uscc",),
    "DE": ("de.handelsregisternummer",),
    "DK": ("dk.cvr",),
    "EE": ("ee.registrikood",),
    "ES": ("es.cif",),
    "FI": ("fi.ytunnus",),
    "FR": ("fr.siren", "fr.siret"),
    "HR": ("hr.oib",),
    "IL": ("il.hp",),
    "JP": ("jp.cn",),
    "KR": ("kr.brn",),
    "MD": ("md.idno",),
    "MX": ("mx.rfc",),
    "NO": ("no.orgnr",),
    "PL": ("pl.regon",),
    "PT": ("pt.nif",),
    "RO": ("ro.onrc",),
    "RU": ("ru.ogrn",),
    "SE": ("se.orgnr",),
    "SG": ("sg.uen",),
    "SI": ("si.maticna",),
    "TW": ("tw.ubn",),
    "UA": ("ua.edrpou",),
    "VN": ("vn.mst",),
}
# Tax-id schemes by the name a client sends in ``TaxId.scheme``; "vat" and "tin" mean the
# country's own number, and any "cc.module" path of python-stdnum works as well.
TAX_SCHEMES: dict[str, str] = {
    "eu_vat": "eu.vat",
    "ein": "us.ein",
    "itin": "us.itin",
    "gstin": "in_.gstin",
    "pan": "in_.pan",
    "uscc": "cn.uscc",
    "abn": "au.abn",
    "acn": "au.acn",
    "bn": "ca.bn",
    "utr": "gb.utr",
    "siren": "fr.siren",
    "siret": "fr.siret",
    "cnpj": "br.cnpj",
    "rfc": "mx.rfc",
    "uen": "sg.uen",
    "ubn": "tw.ubn",
    "brn": "kr.brn",
    "nip": "pl.nip",
    "stnr": "de.stnr",
    "oss": "eu.oss",
}
COUNTRY_SCHEMES = ("vat", "tin")
# Companies House numbers: eight digits, or a two-letter register prefix and six digits. They
# carry no check digit, so only the shape can be tested.
_GB_COMPANY = re.compile(
    r"^(?:\d{8}|(?:AC|CE|CS|ES|FC|FE|GE|GS|IC|IP|LP|NA|NC|NF|NI|NL|NO|NP|NR|NV|NZ|OC|PC|R0|RC"
    r"|RS|SA|SC|SE|SF|SG|SI|SL|SO|SP|SR|SZ|ZC)\d{6})$"
)
_MODULE_PATH = re.compile(r"^[a-z]{2}_?\.[a-z0-9_]{2,40}$")
_PROBLEMS: dict[type[Exception], str] = {
    stdnum_errors.InvalidChecksum: "fails its check digit ({title})",
    stdnum_errors.InvalidLength: "has the wrong length ({title})",
    stdnum_errors.InvalidFormat: "is not in the right format ({title})",
    stdnum_errors.InvalidComponent: "has a part that cannot be right, such as a date ({title})",
}
MAX_VALUE = 100


@dataclass(frozen=True, slots=True)
class Checker:
    scheme: str  # "eu.vat"
    title: str  # "European Union VAT number"
    validate: Callable[[str], str]  # returns the compact number, raises when it is not valid


def checker(path: str) -> Checker | None:
    """The python-stdnum module at ``path`` ("de.vat", "in_.gstin"), if there is one."""
    if not _MODULE_PATH.match(path):
        return None
    try:
        module = importlib.import_module(f"stdnum.{path}")
    except ImportError:
        return None
    return _from_module(path, module)


@cache
def _from_module(path: str, module: ModuleType) -> Checker | None:
    validate = getattr(module, "validate", None)
    if not callable(validate):
        return None
    return Checker(scheme=path.replace("_.", "."), title=_title(module), validate=validate)


def _title(module: ModuleType) -> str:
    """``VAT (European Union VAT number).`` -> ``European Union VAT number``."""
    line = (module.__doc__ or module.__name__).strip().splitlines()[0].rstrip(".")
    inside = re.search(r"\((.+)\)$", line)
    return re.sub(r"^(?:a|an) ", "", inside.group(1) if inside else line)


def _country_module(country: str | None, name: str) -> Checker | None:
    if not country:
        return None
    module = get_cc_module(country.lower(), name)  # "vat" is an alias: stdnum.fr.vat is fr.tva
    path = str(getattr(module, "__name__", "")).removeprefix("stdnum.")
    return checker(path) if path else None


def _outcome(field: str, label: str, value: str, found: Checker) -> IdentifierCheck:
    shown = " ".join(value.split())[:MAX_VALUE]
    try:
        found.validate(value)
    except stdnum_errors.ValidationError as exc:
        problem = next((p for t, p in _PROBLEMS.items() if isinstance(exc, t)), "is not valid")
        detail = f"{label} {shown} {problem.format(title=found.title)}"
        return IdentifierCheck(
            field=field, scheme=found.scheme, value=shown, valid=False, detail=detail
        )
    detail = f"{label} {shown} is well-formed ({found.title})"
    return IdentifierCheck(field=field, scheme=found.scheme, value=shown, valid=True, detail=detail)


def _unchecked(field: str, scheme: str, value: str, why: str) -> IdentifierCheck:
    return IdentifierCheck(
        field=field, scheme=scheme, value=value[:MAX_VALUE], valid=True, checked=False, detail=why
    )


def registration(number: str, country: str) -> IdentifierCheck:
    """The company register number, by the register of the registration country."""
    field, label = "registration_number", "registration number"
    if country == "GB":
        compact = re.sub(r"[\s.-]", "", number).upper()
        compact = compact.zfill(8) if compact.isdigit() else compact
        ok = bool(_GB_COMPANY.match(compact))
        shape = "has" if ok else "does not have"
        detail = f"{label} {compact} {shape} the shape of a Companies House number"
        return IdentifierCheck(
            field=field, scheme="gb.companies_house", value=compact, valid=ok, detail=detail
        )
    options = [c for c in (checker(p) for p in REGISTRATION.get(country, ())) if c]
    if not options:
        why = f"{label} not checked: TradeGuard has no checker for company registers in {country}"
        return _unchecked(field, "unknown", number, why)
    results = [_outcome(field, label, number, c) for c in options]
    # The register whose numbers have this length speaks for it (a SIRET is not a bad SIREN).
    fitting = [r for r in results if r.valid] + [
        r for r in results if "wrong length" not in r.detail
    ]
    return (fitting or results)[0]


def tax_id(tax: TaxId, index: int, registration_country: str) -> IdentifierCheck:
    """A tax or VAT number by its stated scheme, else as its country's VAT number."""
    field = f"tax_ids[{index}]"
    scheme = (tax.scheme or "vat").strip().lower()
    country = tax.country or registration_country
    label = "VAT number" if scheme in ("vat", "eu_vat") else "tax id"
    if scheme in COUNTRY_SCHEMES:
        found = _vat_by_prefix(tax.value) if scheme == "vat" else None
        found = found or _country_module(country, scheme)
        if found is None:
            why = f"{label} not checked: TradeGuard has no {scheme.upper()} checker for {country}"
            return _unchecked(field, scheme, tax.value, why)
        return _outcome(field, label, tax.value, found)
    found = checker(TAX_SCHEMES.get(scheme, scheme))
    if found is None:
        why = f"tax id not checked: TradeGuard has no checker for the scheme {scheme!r}"
        return _unchecked(field, scheme, tax.value, why)
    return _outcome(field, label, tax.value, found)


def _vat_by_prefix(value: str) -> Checker | None:
    """A number written with its EU country prefix ("DE136695976") is an EU VAT number."""
    compact = re.sub(r"[\s.-]", "", value).lower()
    if compact[:2] in eu_vat.MEMBER_STATES or compact[:2] == "el":
        return checker("eu.vat")
    return None


def bank(account: BankAccount) -> list[IdentifierCheck]:
    """IBAN check digits and length, BIC shape, and whether the countries they name agree."""
    found: list[IdentifierCheck] = []
    iban_country: str | None = None
    if account.iban:
        try:
            iban_country = IBAN(account.iban, validate_bban=True).country_code
        except SchwiftyException as exc:
            detail = f"IBAN {account.iban} is not valid: {_lower_first(str(exc))}"
            found.append(_bank("bank.iban", "iban", account.iban, False, detail))
        else:
            detail = (
                f"IBAN {account.iban} has valid check digits and the length used in {iban_country}"
            )
            found.append(_bank("bank.iban", "iban", account.iban, True, detail))
    elif account.account_number:
        why = "account number not checked: only IBANs carry check digits TradeGuard can test"
        found.append(_unchecked("bank.account_number", "account", account.account_number, why))
    if iban_country and account.country and iban_country != account.country:
        detail = f"IBAN country {iban_country} differs from the bank country {account.country}"
        found.append(_bank("bank.country", "iban", account.country, False, detail))
    if account.bic:
        found.append(_bic(account.bic, iban_country))
    return found


def _bic(value: str, iban_country: str | None) -> IdentifierCheck:
    try:
        bic_country = BIC(value).country_code
    except SchwiftyException as exc:
        detail = f"BIC {value} is not valid: {_lower_first(str(exc))}"
        return _bank("bank.bic", "bic", value, False, detail)
    if iban_country and bic_country != iban_country:
        detail = f"BIC {value} is a bank in {bic_country}, the IBAN is in {iban_country}"
        return _bank("bank.bic", "bic", value, False, detail)
    return _bank("bank.bic", "bic", value, True, f"BIC {value} is well-formed ({bic_country})")


def _bank(field: str, scheme: str, value: str, valid: bool, detail: str) -> IdentifierCheck:
    return IdentifierCheck(
        field=field, scheme=scheme, value=value[:MAX_VALUE], valid=valid, detail=detail
    )


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def check_identifiers(merchant: MerchantPayload) -> list[IdentifierCheck]:
    """Every identifier of the application, in the order a reviewer reads the form."""
    found: list[IdentifierCheck] = []
    if merchant.registration_number:
        found.append(registration(merchant.registration_number, merchant.registration_country))
    found.extend(
        tax_id(tax, i, merchant.registration_country) for i, tax in enumerate(merchant.tax_ids)
    )
    if merchant.bank:
        found.extend(bank(merchant.bank))
    return found
