"""Attestations count while in force: an expired or revoked one stops counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tradeguard.db.base import utcnow
from tradeguard.engine.tables import AuditEntry
from tradeguard.errors import Invalid
from tradeguard.levels import attestations, service
from tradeguard.levels.schemas import AttestationCreate

from .conftest import Store

STATEMENT = "The account-takeover playbook is approved and exercised."


def _status(store: Store, control_id: str, **at: timedelta) -> str:
    now = utcnow() + at.get("later", timedelta())
    result = service.assess(store.session, settings=store.runtime.settings, markets=[], now=now)
    return next(
        r.status
        for layer in result.layers
        for cell in layer.cells
        for r in cell.controls
        if r.id == control_id
    )


def _attest(store: Store, days: int, control_id: str = "PAY-4.2") -> int:
    body = AttestationCreate(
        control_id=control_id,
        statement=STATEMENT,
        document="dms://ato.pdf",
        expires_on=utcnow().date() + timedelta(days=days),
    )
    catalog = service.catalog_for(store.runtime.settings)
    row = attestations.attest(store.session, catalog=catalog, body=body, actor="operator:cfo")
    store.session.flush()
    return row.id


def test_an_attestation_counts_through_its_last_day_and_not_after(store: Store) -> None:
    assert _status(store, "PAY-4.2") == "no_evidence"
    _attest(store, days=10)
    assert _status(store, "PAY-4.2") == "met"
    assert _status(store, "PAY-4.2", later=timedelta(days=10)) == "met"
    assert _status(store, "PAY-4.2", later=timedelta(days=11)) == "no_evidence"


def test_the_newest_attestation_in_force_is_the_one_shown(store: Store) -> None:
    _attest(store, days=30)
    newest = _attest(store, days=60)
    in_force = attestations.in_force(store.session, at=utcnow() + timedelta(minutes=1))
    assert in_force["PAY-4.2"].id == newest
    later = attestations.in_force(store.session, at=utcnow() + timedelta(days=45))
    assert later["PAY-4.2"].id == newest


def test_a_revoked_attestation_stops_counting_from_its_revocation(store: Store) -> None:
    attestation_id = _attest(store, days=30)
    attestations.revoke(store.session, attestation_id=attestation_id, actor="operator:cfo")
    store.session.flush()
    assert _status(store, "PAY-4.2", later=timedelta(minutes=1)) == "no_evidence"
    actions = store.session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "attestation")
    ).all()
    assert actions == ["attestation.create", "attestation.revoke"]


def test_an_attestation_cannot_outlast_its_control_rule(store: Store) -> None:
    catalog = service.catalog_for(store.runtime.settings)
    control = catalog.control("PAY-4.2")
    assert control is not None
    assert control.evidence.attestation is not None
    longest = control.evidence.attestation.max_age_days
    _attest(store, days=longest)  # the longest allowed
    with pytest.raises(Invalid, match=f"lasts at most {longest} days"):
        _attest(store, days=longest + 2)


def test_an_attestation_never_overrules_a_failing_measurement(store: Store) -> None:
    # PLT-1.4 measures e-mail coverage and also accepts an attestation meanwhile.
    catalog = service.catalog_for(store.runtime.settings)
    control = catalog.control("PLT-1.4")
    assert control is not None
    assert control.evidence.measure is not None
    assert control.evidence.attestation is not None
    _attest(store, days=30, control_id="PLT-1.4")
    assert _status(store, "PLT-1.4") == "met"  # nothing measured: the attestation stands in
    yesterday = (utcnow() - timedelta(days=1)).date()
    from tradeguard.levels.schemas import VolumeItem

    service.report_volumes(
        store.session, items=[VolumeItem(kind="email", day=yesterday, count=40)], actor="t"
    )
    assert _status(store, "PLT-1.4") == "unmet"  # 0 of 40 screened beats anyone's word


def test_pages_reuse_an_assessment_until_a_person_changes_its_inputs(store: Store) -> None:
    settings = store.runtime.settings
    first = service.assess_cached(store.session, settings=settings, markets=[])
    assert service.assess_cached(store.session, settings=settings, markets=[]) is first
    assert service.assess_cached(store.session, settings=settings, markets=["EU"]) is not first
    attestation_id = _attest(store, days=30)
    attested = service.assess_cached(store.session, settings=settings, markets=[])
    assert attested is not first
    attestations.revoke(store.session, attestation_id=attestation_id, actor="operator:cfo")
    store.session.flush()
    assert service.assess_cached(store.session, settings=settings, markets=[]) is not attested


def test_a_failing_collector_leaves_its_control_without_evidence_only(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import text

    from tradeguard.levels.evidence import COLLECTORS

    def broken(ctx: object, params: object) -> object:
        store.session.execute(text("SELECT * FROM no_such_table"))  # aborts a PG transaction
        raise AssertionError("unreachable")

    original = COLLECTORS["operators.mfa"]
    monkeypatch.setitem(COLLECTORS, "operators.mfa", original.__class__(
        original.name, original.unit, original.params, broken, original.describes
    ))  # fmt: skip
    assert _status(store, "PLT-2.5") == "no_evidence"
    assert _status(store, "PLT-3.3") == "met"  # measured after the failure, same transaction
