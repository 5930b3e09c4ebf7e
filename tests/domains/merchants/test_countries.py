"""Country inconsistencies: what cross-border trade explains is left alone, the rest is said."""

from __future__ import annotations

from typing import Any

from tests.domains.merchants.applications import application
from tradeguard.domains.merchants.countries import (
    holder_mismatch,
    inconsistencies,
    merchant_countries,
)
from tradeguard.domains.merchants.schemas import MerchantPayload

WAREHOUSE_CN = {"kind": "warehouse", "lines": ["8 Industrial Rd"], "country": "CN"}


def merchant(**changes: Any) -> MerchantPayload:
    fields = {k: v for k, v in application(**changes).items() if k not in ("id", "occurred_at")}
    return MerchantPayload.model_validate(fields)


def sentences(**changes: Any) -> list[str]:
    return inconsistencies(merchant_countries(merchant(**changes)))


def test_a_merchant_whose_countries_agree_has_none() -> None:
    assert sentences() == []


def test_the_shell_company_pattern_is_spelt_out() -> None:
    found = sentences(
        bank={"iban": "LT121000011101001000"},
        ip="102.89.0.1",
        ip_country="NG",
        phone="+234 802 123 4567",
    )
    assert found == [
        "bank account in LT while registered in GB",
        "connecting from NG where the company has no address",
        "phone number from NG where the company has no address",
    ]


def test_a_neighbouring_sepa_bank_alone_is_normal() -> None:
    # A UK company on a Lithuanian e-money IBAN is everyday business.
    assert sentences(bank={"iban": "LT121000011101001000"}) == []


def test_a_bank_outside_sepa_is_reported_even_alone() -> None:
    found = sentences(bank={"account_number": "12345678", "country": "HK"})
    assert found == ["bank account in HK while registered in GB"]


def test_a_warehouse_abroad_is_a_presence_not_an_inconsistency() -> None:
    assert (
        sentences(
            addresses=[WAREHOUSE_CN],
            ip="1.2.4.8",
            ip_country="CN",
            phone="+86 10 6552 9988",
            bank={"account_number": "12345678", "country": "CN"},
        )
        == []
    )


def test_a_registered_address_abroad_contradicts_the_registration() -> None:
    found = sentences(addresses=[{"kind": "registered", "lines": ["1 rue X"], "country": "FR"}])
    assert found[0] == "registered address in FR while registered in GB"


def test_countries_are_listed_by_what_named_them() -> None:
    countries = merchant_countries(
        merchant(addresses=[WAREHOUSE_CN], bank={"iban": "LT121000011101001000"})
    )
    assert countries["registration"] == ["GB"]
    assert countries["bank"] == ["LT"]  # from the IBAN itself
    assert countries["address:warehouse"] == ["CN"]
    assert countries["phone"] == ["GB"]
    assert countries["ip"] == ["GB"]


def test_a_payout_account_in_a_strangers_name() -> None:
    stranger = merchant(bank={"iban": "GB82WEST12345698765432", "holder_name": "Peter Jones"})
    assert holder_mismatch(stranger) == (
        "bank account holder 'Peter Jones' is neither the company nor one of its people"
    )
    for holder in ("BRIGHT LAMPS LIMITED", "Bright Lamps", "Jane Smith", "Smith Jane"):
        own = merchant(bank={"iban": "GB82WEST12345698765432", "holder_name": holder})
        assert holder_mismatch(own) is None, holder
