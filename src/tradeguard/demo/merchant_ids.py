"""Identifiers for the demo's made-up sellers that pass the same checks real ones do.

Each number is drawn at random and its check digits are computed by trying every possible
check character until ``python-stdnum`` accepts it, so the demo never ships a number it has not
validated; IBANs come from ``schwifty`` with the check digits it computes, at real banks.
Companies and people are fictional: any resemblance of a number to a real one is chance.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberType
from schwifty import IBAN
from stdnum import luhn
from stdnum.cn import uscc
from stdnum.de import vat as de_vat
from stdnum.fr import siren
from stdnum.gb import vat as gb_vat
from stdnum.in_ import gstin
from stdnum.nl import btw
from stdnum.pl import nip, regon
from stdnum.tr import vkn
from stdnum.us import ein
from stdnum.vn import mst

DIGITS = string.digits
ALNUM = string.digits + string.ascii_uppercase
# Well-known banks' codes: (bank code, branch code) as schwifty's registry spells them.
BANKS: dict[str, tuple[tuple[str, str], ...]] = {
    "DE": (("10070000", ""), ("10040000", ""), ("20050550", ""), ("70150000", "")),
    "GB": (("NWBK", "601613"), ("BARC", "200000"), ("HBUK", "400515"), ("LOYD", "309634")),
    "FR": (("30004", "00001"), ("30003", "03620"), ("20041", "01005")),
    "NL": (("ABNA", ""), ("INGB", ""), ("RABO", "")),
    "PL": (("10201026", ""), ("10501445", ""), ("11402004", "")),
    "TR": (("00010", ""), ("00064", ""), ("00062", "")),
    "LT": (("73000", ""), ("40100", "")),  # where e-money institutions bank
}
ACCOUNT_DIGITS = {"DE": 10, "GB": 8, "FR": 11, "NL": 10, "PL": 16, "TR": 16, "LT": 11}
DE_COURTS = ("Berlin (Charlottenburg)", "Hamburg", "München", "Köln", "Frankfurt am Main")
CN_REGIONS = ("440300", "440100", "330100", "310000", "320500", "350200")  # Shenzhen, Guangzhou...
IN_STATES = ("27", "29", "07", "33", "24")  # Maharashtra, Karnataka, Delhi, Tamil Nadu, Gujarat
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the code's alphabet: no I, O, S, V, Z
US_EIN_PREFIXES = ("12", "20", "27", "45", "46", "47", "81", "82", "84", "88", "91", "93")
Rng = random.Random


def with_check(
    rng: Rng, stem: Callable[[Rng], str], valid: Callable[[str], bool], alphabet: str = DIGITS
) -> str:
    """A drawn ``stem`` and the check character (or two) that makes ``valid`` accept it.

    Some stems have no check digit (a mod-11 remainder of 10): those are drawn again.
    """
    tails = [*alphabet, *(a + b for a in DIGITS for b in DIGITS)]
    for _ in range(100):
        drawn = stem(rng)
        for tail in tails:
            number = f"{drawn}{tail}"
            if valid(number):
                return number
    raise ValueError("no valid number drawn")


def digits(rng: Rng, n: int, *, first: str = "123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(DIGITS) for _ in range(n - 1))


def registration(country: str, rng: Rng) -> str | None:
    """A company register number in the register's own format (None: not registered so)."""
    match country:
        case "CN":
            return _uscc(rng)
        case "DE":
            return f"{rng.choice(DE_COURTS)} HRB {digits(rng, 6)}"
        case "GB":
            return f"{rng.choice(('0', '1'))}{digits(rng, 7, first=DIGITS)}"
        case "FR":
            return with_check(rng, lambda r: digits(r, 8), luhn.is_valid)
        case "PL":
            return with_check(rng, lambda r: digits(r, 8), regon.is_valid)
        case "VN":
            return with_check(rng, lambda r: f"0{digits(r, 8)}", mst.is_valid)
        case "NL":
            return digits(rng, 8)  # KvK number: no check digit
        case "TR":
            return f"0{digits(rng, 15, first=DIGITS)}"  # MERSIS number
        case "US":
            return digits(rng, 7)  # a Delaware file number
        case "IN":
            return f"U{digits(rng, 5)}MH{rng.randrange(2005, 2024)}PTC{digits(rng, 6)}"
    return None


def _uscc(rng: Rng) -> str:
    def stem(r: Rng) -> str:
        return f"91{r.choice(CN_REGIONS)}" + "".join(r.choice(USCC_CHARS) for _ in range(8))

    return with_check(rng, stem, uscc.is_valid, ALNUM)


def tax_ids(country: str, rng: Rng, registered: str | None) -> list[dict[str, Any]]:
    """The tax numbers a seller from ``country`` gives, as ``TaxId`` objects."""
    match country:
        case "DE":
            return [_vat(with_check(rng, lambda r: f"DE{digits(r, 8)}", de_vat.is_valid))]
        case "GB":
            return [_vat(with_check(rng, lambda r: f"GB{digits(r, 7)}", gb_vat.is_valid))]
        case "FR":
            assert registered is not None
            return [_vat(f"FR{siren.to_tva(registered)}")]
        case "NL":
            number = with_check(
                rng, lambda r: f"NL{digits(r, 8)}", lambda v: btw.is_valid(v + "B01")
            )
            return [_vat(f"{number}B01")]
        case "PL":
            return [_vat("PL" + with_check(rng, lambda r: digits(r, 9), nip.is_valid))]
        case "TR":
            return [_vat(with_check(rng, lambda r: digits(r, 9), vkn.is_valid), "TR")]
        case "VN":
            assert registered is not None
            return [_vat(registered, "VN")]
        case "CN":
            assert registered is not None
            return [{"scheme": "uscc", "value": registered}]
        case "US":
            stem = f"{rng.choice(US_EIN_PREFIXES)}-{digits(rng, 7, first=DIGITS)}"
            assert ein.is_valid(stem), stem
            return [{"scheme": "ein", "value": stem}]
        case "IN":
            pan = "".join(rng.choice(string.ascii_uppercase) for _ in range(3))
            pan = f"{pan}C{rng.choice(string.ascii_uppercase)}{digits(rng, 4)}"
            pan += rng.choice(string.ascii_uppercase)
            gst = with_check(rng, lambda r: f"{r.choice(IN_STATES)}{pan}1Z", gstin.is_valid, ALNUM)
            return [{"scheme": "gstin", "value": gst}, {"scheme": "pan", "value": pan}]
    return []


def _vat(value: str, country: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"scheme": "vat", "value": value}
    if country:
        found["country"] = country
    return found


def broken(value: str) -> str:
    """The number with its last digit changed: the shape of a real one, a failing check digit."""
    last = value[-1]
    if last.isdigit():
        return value[:-1] + str((int(last) + 3) % 10)
    return value[:-1] + ("A" if last != "A" else "B")


def bank(country: str, rng: Rng, holder: str) -> dict[str, Any]:
    """A payout account in ``country``: an IBAN where the country uses them."""
    if country not in BANKS:
        return {"account_number": digits(rng, 12), "country": country, "holder_name": holder}
    code, branch = rng.choice(BANKS[country])
    iban = _valid_iban(country, code, branch, rng)
    found: dict[str, Any] = {"iban": iban.formatted, "country": country, "holder_name": holder}
    if iban.bic is not None:
        found["bic"] = str(iban.bic)
    return found


def _valid_iban(country: str, code: str, branch: str, rng: Rng) -> IBAN:
    """An IBAN whose account number also passes the bank's national check (Germany has dozens).

    ``IBAN.generate`` computes the IBAN's own check digits only; a random account number fails
    the national one about nine times in ten, so draw until the bank's own rule accepts it.
    """
    while True:
        iban = IBAN.generate(
            country,
            bank_code=code,
            branch_code=branch,
            account_code=digits(rng, ACCOUNT_DIGITS[country], first=DIGITS),
        )
        try:
            return IBAN(iban.compact, validate_bban=True)
        except ValueError:
            continue


def phone(country: str, rng: Rng) -> str:
    """A mobile number valid in ``country``: the numbering plan's example with new digits."""
    example = phonenumbers.example_number_for_type(country, PhoneNumberType.MOBILE)
    assert example is not None, country
    national = str(example.national_number)
    wanted = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    for _ in range(50):
        tail = "".join(rng.choice(DIGITS) for _ in range(min(6, len(national) - 2)))
        number = phonenumbers.parse(
            f"+{example.country_code}{national[: len(national) - len(tail)]}{tail}"
        )
        if phonenumbers.is_valid_number(number) and phonenumbers.number_type(number) in wanted:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
