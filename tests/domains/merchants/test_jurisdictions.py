"""The FATF list file: its schema, its plenary date, and where an application touches a list."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.domains.merchants.applications import JANE, application
from tradeguard.domains.merchants.jurisdictions import JurisdictionDataError, flags, load_fatf
from tradeguard.domains.merchants.schemas import MerchantPayload

IRAN = {"country": "IR", "name": "Iran", "measure": "countermeasures"}
SHIPPED = Path(__file__).parents[3] / "src/tradeguard/domains/merchants/data/fatf.yaml"


def merchant(**changes: Any) -> MerchantPayload:
    fields = {k: v for k, v in application(**changes).items() if k not in ("id", "occurred_at")}
    return MerchantPayload.model_validate(fields)


def test_the_shipped_lists_name_their_plenary_and_source() -> None:
    lists = load_fatf()
    assert lists.plenary == "June 2026"
    assert lists.as_of == date(2026, 6, 19)
    assert lists.source.startswith("https://www.fatf-gafi.org/")
    assert {c.country for c in lists.call_for_action} == {"KP", "IR", "MM"}
    grey = {c.country for c in lists.increased_monitoring}
    assert len(grey) == 22
    assert {"IQ", "BA", "KW", "PG"} <= grey  # added in February and June 2026
    assert not {"DZ", "NA", "PH", "HR"} & grey  # removed by June 2026 or earlier
    assert lists.status("IR") == ("call_for_action", True)
    assert lists.status("MM") == ("call_for_action", False)  # enhanced due diligence only
    assert lists.status("VN") == ("increased_monitoring", False)
    assert lists.status("DE") is None


def _broken(tmp_path: Path, change: dict[str, Any]) -> Path:
    document = yaml.safe_load(SHIPPED.read_text("utf-8"))
    document.update(change)
    path = tmp_path / "fatf.yaml"
    path.write_text(yaml.safe_dump(document), "utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"as_of": "last June"}, "as_of"),
        ({"call_for_action": [IRAN | {"country": "Iran"}]}, "call_for_action.0.country"),
        ({"call_for_action": [IRAN | {"measure": "sanctions"}]}, "call_for_action.0.measure"),
        ({"increased_monitoring": [{"country": "IR", "name": "Iran"}]}, "more than once: IR"),
        ({"source": "http://example.com"}, "source"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_broken_file_is_refused_naming_the_field(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(JurisdictionDataError) as caught:
        load_fatf(_broken(tmp_path, change))
    assert problem in caught.value.detail
    assert caught.value.detail.startswith("FATF list file ")


def test_a_file_that_is_not_yaml_or_not_a_mapping_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fatf.yaml"
    path.write_text("plenary: [unclosed", "utf-8")
    with pytest.raises(JurisdictionDataError, match="not valid YAML"):
        load_fatf(path)
    path.write_text("- just a list", "utf-8")
    with pytest.raises(JurisdictionDataError):
        load_fatf(path)


def test_a_store_can_use_its_own_copy(tmp_path: Path) -> None:
    path = _broken(tmp_path, {"increased_monitoring": [{"country": "DE", "name": "Germany"}]})
    [flag] = list(flags(merchant(registration_country="DE"), load_fatf(path)))
    assert (flag.country, flag.where, flag.status) == ("DE", "registration", "increased_monitoring")


def test_every_place_of_an_application_is_looked_at() -> None:
    found = flags(
        merchant(
            registration_country="GB",
            people=[JANE, {**JANE, "name": "Ali Rezaei", "nationality": "IR"}],
            addresses=[{"kind": "warehouse", "lines": ["Lot 4"], "country": "VN"}],
            bank={"iban": "BG80BNBG96611020345678"},
            ip="81.2.69.160",
            ip_country="MM",
        )
    )
    assert [(f.where, f.country, f.status, f.countermeasures) for f in found] == [
        ("people[1]", "IR", "call_for_action", True),
        ("ip", "MM", "call_for_action", False),
        ("bank", "BG", "increased_monitoring", False),
        ("address:warehouse", "VN", "increased_monitoring", False),
    ]
    assert {f.as_of for f in found} == {"2026-06-19"}


def test_a_merchant_in_no_listed_country_has_no_flag() -> None:
    assert flags(merchant()) == []
