"""Each collector on fixture data with a known answer, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta

import pytest

from tradeguard.auth.models import ApiKey, Operator
from tradeguard.domains.accounts.models import MfaAccount, WebAuthnCredential
from tradeguard.domains.merchants.sanctions.tables import SanctionListVersion
from tradeguard.engine import audit, lists, rulepacks
from tradeguard.engine.tables import ModelRecord
from tradeguard.levels import service
from tradeguard.levels.collectors.payments import holds_pan, luhn
from tradeguard.levels.evidence import Context, measure
from tradeguard.levels.schemas import VolumeItem

from .conftest import NOW, Store

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
YESTERDAY = NOW.replace(hour=10) - DAY


def _report(store: Store, kind: str, day: date, count: int, source: str = "checkout") -> None:
    item = VolumeItem(kind=kind, day=day, count=count, source=source)
    service.report_volumes(store.session, items=[item], actor="test")


# -- screening ---------------------------------------------------------------------------------


def test_coverage_is_screened_over_reported_on_reported_days(store: Store) -> None:
    for n in range(10):
        store.event("order", YESTERDAY + timedelta(minutes=n))
    for n in range(4):
        store.event("order", YESTERDAY - DAY + timedelta(minutes=n))
    store.event("order", YESTERDAY - 3 * DAY)  # a day the store did not report: not counted
    _report(store, "order", YESTERDAY.date(), 10)
    _report(store, "order", (YESTERDAY - DAY).date(), 6, source="checkout")
    _report(store, "order", (YESTERDAY - DAY).date(), 2, source="marketplace")
    found = store.measure("screening.coverage", kind="order")
    assert found.value == pytest.approx(14 / 18)
    assert found.sample == 18
    assert "14 of 18" in found.detail


def test_coverage_never_passes_more_than_was_reported(store: Store) -> None:
    for n in range(5):
        store.event("login", YESTERDAY + timedelta(minutes=n))
    _report(store, "login", YESTERDAY.date(), 3)
    assert store.measure("screening.coverage", kind="login").value == 1.0


def test_coverage_without_reported_volumes_is_no_evidence(store: Store) -> None:
    store.event("order", YESTERDAY)
    found = store.measure("screening.coverage", kind="order")
    assert found.value is None
    assert "reported no daily order volumes" in found.detail


def test_coverage_ignores_today_and_days_outside_the_window(store: Store) -> None:
    _report(store, "order", NOW.date(), 100)  # today is not over
    _report(store, "order", (NOW - 40 * DAY).date(), 100)
    assert store.measure("screening.coverage", kind="order").value is None


def test_continuity_counts_days_since_screening_began(store: Store) -> None:
    for days in (5, 4, 2):  # began five days ago: days -5..-1 are the whole days since
        store.event("email", NOW - days * DAY)
    found = store.measure("screening.continuity", kind="email")
    assert found.value == pytest.approx(3 / 5)


def test_continuity_with_nothing_ever_screened_is_no_evidence(store: Store) -> None:
    assert store.measure("screening.continuity", kind="email").value is None


# -- cases -------------------------------------------------------------------------------------


def test_cases_over_sla_counts_unresolved_cases_older_than_the_sla(store: Store) -> None:
    store.case(NOW - 30 * HOUR)  # late
    store.case(NOW - 2 * HOUR)  # within the SLA
    store.case(NOW - 50 * HOUR, resolved=NOW - 40 * HOUR, label="fraud")  # done
    store.case(NOW - 50 * HOUR, resolved=NOW + HOUR, label="fraud")  # still open as of NOW
    store.case(NOW - 30 * HOUR, kind="login")  # another kind
    assert store.measure("cases.over_sla", sla_hours=24).value == 3
    only_orders = store.measure("cases.over_sla", sla_hours=24, kinds=["order"])
    assert only_orders.value == 2
    assert only_orders.sample == 3


def test_resolution_hours_is_the_median_of_resolved_cases(store: Store) -> None:
    for hours in (1, 3, 20):
        store.case(NOW - 2 * DAY, resolved=NOW - 2 * DAY + hours * HOUR, label="legitimate")
    store.case(NOW - 60 * DAY, resolved=NOW - 59 * DAY, label="fraud")  # resolved before window
    found = store.measure("cases.resolution_hours")
    assert found.value == pytest.approx(3.0)
    assert found.sample == 3


def test_resolution_hours_with_nothing_resolved_is_no_evidence(store: Store) -> None:
    store.case(NOW - DAY)
    assert store.measure("cases.resolution_hours").value is None


def test_labelled_share_counts_only_cases_old_enough(store: Store) -> None:
    store.case(NOW - 5 * DAY, resolved=NOW - 4 * DAY, label="fraud")
    store.case(NOW - 5 * DAY)
    store.case(NOW - 4 * DAY, resolved=NOW - 3 * DAY, label="legitimate")
    store.case(NOW - HOUR)  # too young to be expected resolved
    found = store.measure("cases.labelled", min_age_hours=48)
    assert found.value == pytest.approx(2 / 3)


# -- rules, lists, audit -----------------------------------------------------------------------


def test_rules_reviewed_needs_a_person_not_the_installer(store: Store) -> None:
    live = store.measure("rules.reviewed", now=NOW.replace(year=2100))
    assert live.value == 0.0  # the default packs were installed by the system, not reviewed
    from tradeguard.db.base import utcnow

    audit.record(
        store.session,
        actor="operator:ana",
        action="rule_pack.backtest",
        target_type="rule_pack",
        target_id="login-default@1",
    )
    found = store.measure("rules.reviewed", window_days=90, now=utcnow() + HOUR)
    live_packs = {r.pack_id for r in rulepacks.list_records(store.session) if r.status == "live"}
    assert found.value == pytest.approx(1 / len(live_packs))
    assert "not reviewed:" in found.detail
    assert "login-default," not in found.detail.split("not reviewed:")[1]


def test_list_entries_current_share(store: Store) -> None:
    from tradeguard.db.base import utcnow

    now = utcnow()
    lists.add_entry(
        store.session,
        list_name="block",
        entity_type="ip",
        value="203.0.113.1",
        reason="r",
        actor="t",
        expires_at=now + 30 * DAY,
    )
    old = lists.add_entry(
        store.session,
        list_name="block",
        entity_type="ip",
        value="203.0.113.2",
        reason="r",
        actor="t",
    )
    old.created_at = now - 400 * DAY
    lists.add_entry(
        store.session, list_name="allow", entity_type="account", value="a-1", reason="r", actor="t"
    )
    found = store.measure("lists.entries_current", now=now + HOUR, max_age_days=365)
    assert found.value == pytest.approx(2 / 3)


def test_list_entries_with_none_active_is_measured_clean(store: Store) -> None:
    found = store.measure("lists.entries_current")
    assert (found.value, found.sample) == (1.0, 0)


def test_audit_log_is_append_only_on_both_databases(store: Store) -> None:
    assert store.measure("audit.append_only").value == 1.0


# -- who can act -------------------------------------------------------------------------------


def _operator(store: Store, name: str, *, totp: bool, disabled: bool = False) -> None:
    store.session.add(
        Operator(
            username=name,
            display_name=name,
            role="analyst",
            password_hash="x",
            created_by="t",
            created_at=NOW - 10 * DAY,
            totp_enabled_at=NOW - 9 * DAY if totp else None,
            disabled_at=NOW - DAY if disabled else None,
        )
    )


def test_operators_mfa_share_skips_disabled_operators(store: Store) -> None:
    assert store.measure("operators.mfa").value is None
    _operator(store, "ana", totp=True)
    _operator(store, "bob", totp=False)
    _operator(store, "cy", totp=False, disabled=True)
    found = store.measure("operators.mfa")
    assert found.value == 0.5
    assert "without: bob" in found.detail


def test_keys_rotated_share(store: Store) -> None:
    for age, revoked in ((10, False), (500, False), (600, True)):
        store.session.add(
            ApiKey(
                name=f"k{age}",
                prefix=f"p{age}",
                key_sha256="0" * 64,
                role="ingest",
                created_by="t",
                created_at=NOW - age * DAY,
                revoked_at=NOW - DAY if revoked else None,
            )
        )
    assert store.measure("keys.rotated", max_age_days=365).value == 0.5


def test_secret_key_file_must_be_owner_only(store: Store) -> None:
    key = store.runtime.secret_key  # made with mode 0600 on first use
    assert key
    assert store.measure("secrets.key_protected").value == 1.0
    os.chmod(store.runtime.settings.data_dir / "secret_key", 0o644)
    found = store.measure("secrets.key_protected")
    assert found.value == 0.0
    assert "chmod 600" in found.detail


def test_account_mfa_coverage_counts_accounts_that_signed_in(store: Store) -> None:
    for account, success in (("a1", True), ("a2", True), ("a3", True), ("a4", False)):
        store.event("login", NOW - DAY, {"success": success}, {"account": account})
    store.event("login", NOW - 60 * DAY, {"success": True}, {"account": "a5"})  # outside
    store.session.add(MfaAccount(account_id="a1", user_handle="h1", totp_enabled_at=NOW - 2 * DAY))
    store.session.add(MfaAccount(account_id="a3", user_handle="h3"))  # enrolment not finished
    store.session.add(
        WebAuthnCredential(
            account_id="a2",
            credential_id="c2",
            public_key=b"k",
            transports=[],
            aaguid="0" * 36,
            label="key",
            created_by="t",
            created_at=NOW - 3 * DAY,
        )
    )
    found = store.measure("accounts.mfa_coverage")
    assert found.value == pytest.approx(2 / 3)


# -- payments ----------------------------------------------------------------------------------


def test_chargeback_rate_counts_fraud_chargebacks_per_order(store: Store) -> None:
    for n in range(200):
        store.event("order", NOW - DAY - n * timedelta(minutes=1))
    outcomes = [
        {"order_id": "o1", "outcome": "chargeback", "reason_code": "10.4"},  # Visa fraud
        {"order_id": "o2", "outcome": "chargeback", "reason_code": "13.1"},  # not received
        {"order_id": "o3", "outcome": "chargeback", "fraud": True},
        {"order_id": "o4", "outcome": "refund"},
    ]
    for payload in outcomes:
        store.event("order_outcome", NOW - DAY, payload)
    found = store.measure("payments.chargeback_rate")
    assert found.value == pytest.approx(2 / 200)


def test_model_age_is_the_live_order_models_age(store: Store) -> None:
    assert store.measure("payments.model_age_days").value is None
    store.session.add(
        ModelRecord(
            name="order-lgbm",
            version=1,
            kind="order",
            feature_set="order",
            features=[],
            status="live",
            metrics={},
            training={},
            thresholds={},
            artefact="",
            sha256="0" * 64,
            created_by="t",
            created_at=NOW - 45 * DAY,
        )
    )
    found = store.measure("payments.model_age_days")
    assert found.value == pytest.approx(45.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4111 1111 1111 1111", True),
        ("card 4111-1111-1111-1111 used", True),
        ("4111111111111112", False),  # fails the Luhn check
        ("+49 4111 1111 1111 11", False),  # a phone number
        ("411111", False),  # a BIN is allowed
        (4111111111111111, True),
    ],
)
def test_full_card_numbers_are_found(value: object, expected: bool) -> None:
    assert holds_pan(json.dumps({"payment": {"note": [value], "amount": "49.90"}})) is expected


def test_luhn() -> None:
    assert luhn("79927398713")
    assert not luhn("79927398710")


def test_card_data_minimised_counts_orders_holding_a_pan(store: Store) -> None:
    store.event("order", NOW - DAY, {"payment": {"card_bin": "411111", "last4": "1111"}})
    store.event("order", NOW - DAY, {"note": "card 4111 1111 1111 1111 please"})
    found = store.measure("payments.card_data_minimised")
    assert (found.value, found.sample) == (1.0, 2)


# -- merchants and sanctions -------------------------------------------------------------------


def _application(lists_: list[str], identifiers: list[dict[str, object]]) -> dict[str, object]:
    return {"checks": {"screening": {"lists": lists_}, "identifiers": identifiers}}


def test_merchant_kyb_measures(store: Store) -> None:
    vat_ok = {"field": "tax_ids[0]", "valid": True, "checked": True}
    vat_bad = {"field": "tax_ids[0]", "valid": False, "checked": True}
    unchecked = {"field": "registration_number", "valid": True, "checked": False}
    iban_ok = {"field": "bank.iban", "valid": True, "checked": True}
    store.event("merchant", NOW - DAY, _application(["un@3"], [vat_ok]))
    store.event("merchant", NOW - DAY, _application(["un@3"], [vat_bad, iban_ok]))
    store.event("merchant", NOW - DAY, _application([], [unchecked]))
    store.event("merchant", NOW - DAY, {"hostile": "no checks at all"})
    screened = store.measure("merchants.sanctions_screened")
    assert screened.value == pytest.approx(2 / 4)
    assert store.measure("merchants.identifiers_checked").value == pytest.approx(1 / 4)


def _version(store: Store, key: str, loaded: object, number: int = 1) -> None:
    store.session.add(
        SanctionListVersion(
            list_key=key,
            number=number,
            source="csv",
            name=key,
            file_sha256="0" * 64,
            loaded_at=loaded,
            loaded_by="t",
            entity_count=1,
            added=1,
            changed=0,
            removed=0,
            skipped=0,
            diff={},
        )
    )


def test_sanctions_freshness(store: Store) -> None:
    assert store.measure("sanctions.lists_fresh").value is None
    _version(store, "un", NOW - 20 * DAY)
    _version(store, "un", NOW - 2 * DAY, number=2)
    _version(store, "ofac-sdn", NOW - 10 * DAY)
    fresh = store.measure("sanctions.lists_fresh", max_age_days=7)
    assert fresh.value == 0.5
    assert "ofac-sdn (10 d)" in fresh.detail
    assert store.measure("sanctions.list_age_days", list_key="un").value == pytest.approx(2.0)
    assert store.measure("sanctions.list_age_days", list_key="eu").value is None


def test_rescreen_lag_after_the_newest_list(store: Store) -> None:
    from tradeguard.engine.tables import AuditEntry

    _version(store, "un", NOW - 10 * HOUR)
    waiting = store.measure("sanctions.rescreen_lag_hours")
    assert waiting.value == pytest.approx(10.0)
    store.session.add(
        AuditEntry(
            at=NOW - 7 * HOUR,
            actor="cli",
            action="merchants.rescreen",
            target_type="merchants",
            target_id="changed",
        )
    )
    assert store.measure("sanctions.rescreen_lag_hours").value == pytest.approx(3.0)


def test_a_planned_module_gives_no_evidence_never_a_pass(store: Store) -> None:
    found = store.measure("backups.restore_test_age_days")
    assert found.value is None
    assert "no backups module" in found.detail


def test_a_missing_append_only_guard_is_measured(store: Store) -> None:
    from sqlalchemy import text

    nested = store.session.begin_nested()  # the DDL is undone with the savepoint
    if store.session.get_bind().dialect.name == "sqlite":
        store.session.execute(text("DROP TRIGGER audit_log_no_delete"))
    else:
        store.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    found = store.measure("audit.append_only")
    nested.rollback()
    assert found.value == 0.0
    assert "missing or disabled" in found.detail
    assert store.measure("audit.append_only").value == 1.0


def test_no_api_key_means_none_is_overdue(store: Store) -> None:
    found = store.measure("keys.rotated")
    assert (found.value, found.sample) == (1.0, 0)


def test_a_secret_key_from_the_environment_counts_as_protected(store: Store) -> None:
    from tradeguard.config import load_settings

    settings = load_settings(data_dir=store.runtime.settings.data_dir, secret_key="k" * 40)
    ctx = Context(store.session, settings, NOW, timedelta(days=30))
    assert measure("secrets.key_protected", {}, ctx).value == 1.0
