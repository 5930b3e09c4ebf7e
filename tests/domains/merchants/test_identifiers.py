"""Registration numbers, tax ids, IBANs and BICs: valid, invalid, and not checkable."""

from __future__ import annotations

import pytest

from tradeguard.domains.merchants.identifiers import bank, registration, tax_id
from tradeguard.domains.merchants.schemas import BankAccount, TaxId


@pytest.mark.parametrize(
    ("number", "country", "scheme"),
    [
        ("München HRB 197068", "DE", "de.handelsregisternummer"),
        ("552 008 443", "FR", "fr.siren"),
        ("73282932000074", "FR", "fr.siret"),  # an establishment number is fine too
        ("91110000600037341L", "CN", "cn.uscc"),
        ("01234567", "GB", "gb.companies_house"),
        ("1234567", "GB", "gb.companies_house"),  # leading zero dropped, as people write it
        ("SC123456", "GB", "gb.companies_house"),
        ("004 085 616", "AU", "au.acn"),
    ],
)
def test_well_formed_registration_numbers(number: str, country: str, scheme: str) -> None:
    check = registration(number, country)
    assert check.valid
    assert check.checked
    assert check.scheme == scheme


@pytest.mark.parametrize(
    ("number", "country", "problem"),
    [
        ("552008442", "FR", "fails its check digit"),
        ("91110000600037341X", "CN", "fails its check digit"),
        ("HRB 197068", "DE", "is not in the right format"),  # the court is part of the number
        ("5520084", "FR", "has the wrong length"),
        ("73282932000075", "FR", "fails its check digit (French company establishment"),
        ("XY123456", "GB", "does not have the shape of a Companies House number"),
    ],
)
def test_invalid_registration_numbers_say_why(number: str, country: str, problem: str) -> None:
    check = registration(number, country)
    assert not check.valid
    assert check.checked
    assert problem in check.detail
    assert check.detail.startswith("registration number")


def test_a_register_without_a_checker_is_not_checked_rather_than_invalid() -> None:
    check = registration("C1234567", "US")  # US companies register per state
    assert check.valid
    assert not check.checked
    assert "not checked" in check.detail
    assert "US" in check.detail


@pytest.mark.parametrize(
    ("tax", "scheme"),
    [
        (TaxId(value="DE136695976"), "eu.vat"),  # an EU prefix picks the EU VAT checker
        (TaxId(value="136695976", country="DE"), "de.vat"),
        (TaxId(value="GB980780684"), "gb.vat"),  # the registration country's VAT number
        (TaxId(scheme="ein", value="04-2103594"), "us.ein"),
        (TaxId(scheme="gstin", value="27AAPFU0939F1ZV"), "in.gstin"),
        (TaxId(scheme="uscc", value="91110000600037341L"), "cn.uscc"),
        (TaxId(scheme="fr.siren", value="552008443"), "fr.siren"),  # any stdnum module path
        (TaxId(value="552008443", country="CN", scheme="siren"), "fr.siren"),
    ],
)
def test_well_formed_tax_ids(tax: TaxId, scheme: str) -> None:
    check = tax_id(tax, 0, "GB")
    assert check.valid, check.detail
    assert check.checked
    assert check.scheme == scheme
    assert check.field == "tax_ids[0]"


def test_a_vat_number_with_a_wrong_check_digit() -> None:
    check = tax_id(TaxId(value="DE136695977"), 2, "DE")
    assert not check.valid
    assert check.detail == (
        "VAT number DE136695977 fails its check digit (European Union VAT number)"
    )
    assert check.field == "tax_ids[2]"


@pytest.mark.parametrize(
    "tax",
    [
        TaxId(scheme="eori", value="DE1234567"),  # no EORI checker in python-stdnum
        TaxId(scheme="../../os", value="x"),  # never imported: not a module path
        TaxId(scheme="zz.vat", value="123"),
        TaxId(value="12345678", country="HK"),  # no VAT in Hong Kong
    ],
)
def test_unknown_schemes_are_not_checked_never_invalid(tax: TaxId) -> None:
    check = tax_id(tax, 0, "GB")
    assert check.valid
    assert not check.checked
    assert "not checked" in check.detail


def test_a_valid_iban_and_its_bic_from_the_same_country() -> None:
    checks = bank(BankAccount(iban="DE89370400440532013000", bic="COBADEFFXXX", country="DE"))
    assert [(c.field, c.valid) for c in checks] == [("bank.iban", True), ("bank.bic", True)]


def test_an_iban_with_wrong_check_digits() -> None:
    [check] = bank(BankAccount(iban="DE89370400440532013001"))
    assert not check.valid
    assert "checksum" in check.detail
    assert check.detail.startswith("IBAN DE89370400440532013001")


def test_an_iban_with_a_wrong_national_check_digit() -> None:
    # Valid ISO 7064 check digits around a French account whose RIB key is off by one.
    [check] = bank(BankAccount(iban="FR8420041010050500013M02607"))
    assert not check.valid
    assert "national checksum" in check.detail


def test_an_iban_in_another_country_than_the_stated_bank() -> None:
    checks = bank(BankAccount(iban="GB82WEST12345698765432", country="DE", bic="COBADEFFXXX"))
    details = [c.detail for c in checks if not c.valid]
    assert details == [
        "IBAN country GB differs from the bank country DE",
        "BIC COBADEFFXXX is a bank in DE, the IBAN is in GB",
    ]


def test_a_malformed_bic_and_a_plain_account_number() -> None:
    [bic] = bank(BankAccount(account_number="123456789", bic="COBAXXFF", country="US"))[1:]
    assert not bic.valid
    assert "not valid" in bic.detail
    [account] = bank(BankAccount(account_number="123456789", country="US"))
    assert account.valid
    assert not account.checked
