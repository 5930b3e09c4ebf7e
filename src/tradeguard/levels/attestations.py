"""Attestations: a person's signed statement that a control is met, until it expires.

They stand in for evidence TradeGuard cannot measure (a recall plan, a filing with the
regulator), so they are held to the control's own rule: only controls that accept one, never
longer than the control allows, with a document where it asks for one, and audited.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid, NotFound
from tradeguard.levels.catalog import Catalog
from tradeguard.levels.models import Attestation
from tradeguard.levels.schemas import AttestationCreate, AttestationRead


def attest(
    session: Session, *, catalog: Catalog, body: AttestationCreate, actor: str
) -> Attestation:
    control = catalog.control(body.control_id)
    if control is None:
        raise NotFound(f"no control {body.control_id} in the catalog")
    rule = control.evidence.attestation
    if rule is None:
        raise Invalid(f"{control.id} is met only by measurement; it cannot be attested")
    now = utcnow()
    # An attestation holds through the end of its last day, in UTC.
    expires = datetime.combine(body.expires_on, time.max, tzinfo=UTC)
    if expires <= now:
        raise Invalid("expires_on must be a future date")
    if expires > now + timedelta(days=rule.max_age_days + 1):
        raise Invalid(f"an attestation of {control.id} lasts at most {rule.max_age_days} days")
    document = (body.document or "").strip() or None
    if rule.document_required and document is None:
        raise Invalid(f"{control.id} needs a document behind the attestation (a path, URL or id)")
    row = Attestation(
        control_id=control.id,
        statement=body.statement.strip(),
        document=document,
        document_sha256=body.document_sha256,
        attested_by=actor,
        attested_at=now,
        expires_at=expires,
    )
    audit.created(
        session,
        actor=actor,
        action="attestation.create",
        target_type="attestation",
        row=row,
        schema=AttestationRead,
    )
    return row


def revoke(session: Session, *, attestation_id: int, actor: str) -> Attestation:
    row = session.get(Attestation, attestation_id)
    if row is None:
        raise NotFound(f"no attestation {attestation_id}")
    if row.revoked_at is not None:
        raise Conflict(f"attestation {attestation_id} was already revoked by {row.revoked_by}")
    with audit.tracked(
        session,
        actor=actor,
        action="attestation.revoke",
        target_type="attestation",
        row=row,
        schema=AttestationRead,
    ):
        row.revoked_at, row.revoked_by = utcnow(), actor
    return row


def in_force(session: Session, *, at: datetime) -> dict[str, AttestationRead]:
    """The newest attestation of each control that is neither expired nor revoked at ``at``."""
    rows = session.scalars(
        select(Attestation)
        .where(
            Attestation.attested_at <= at,
            Attestation.expires_at > at,
            or_(Attestation.revoked_at.is_(None), Attestation.revoked_at > at),
        )
        .order_by(Attestation.attested_at, Attestation.id)
    )
    return {row.control_id: AttestationRead.model_validate(row) for row in rows}


def history(session: Session, *, control_id: str | None = None) -> list[Attestation]:
    """Every attestation, newest first, expired and revoked ones included."""
    query = select(Attestation).order_by(Attestation.id.desc())
    if control_id is not None:
        query = query.where(Attestation.control_id == control_id)
    return list(session.scalars(query))
