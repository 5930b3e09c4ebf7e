"""Stored rule packs: upload a version, run it live or in shadow, and cache what is running.

Workers re-read which packs run at most every ``REFRESH_SECONDS`` (and at once after a change
made in the same process), so an activation reaches every worker within seconds without a
database round trip on every event.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tradeguard.db.base import utcnow
from tradeguard.engine import audit
from tradeguard.engine.rules import RulePack, load_pack
from tradeguard.engine.tables import RulePackRecord
from tradeguard.errors import Conflict, NotFound

Status = Literal["live", "shadow", "inactive"]
REFRESH_SECONDS = 2.0
DEFAULT_PACKS = (
    "login-default.yaml",
    "order-default.yaml",
    "signup-default.yaml",
    "mail-default.yaml",
    "merchant-default.yaml",
)


class RulePackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pack_id: str
    version: int
    description: str
    status: str
    sha256: str
    created_at: datetime
    created_by: str
    activated_at: datetime | None


def upload(session: Session, *, source: str, actor: str) -> RulePackRecord:
    """Store a new version; it starts inactive. Re-uploading identical text is a no-op."""
    pack = load_pack(source)
    existing = get_record(session, pack.spec.id, pack.spec.version, missing_ok=True)
    if existing is not None:
        if existing.sha256 == pack.sha256:
            return existing
        raise Conflict(
            f"rule pack {pack.label} already exists with different content; bump its version"
        )
    record = RulePackRecord(
        pack_id=pack.spec.id,
        version=pack.spec.version,
        description=pack.spec.description,
        source=source,
        sha256=pack.sha256,
        created_by=actor,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule_pack.upload",
        target_type="rule_pack",
        target_id=pack.label,
        after={"sha256": pack.sha256, "rules": [r.spec.id for r in pack.rules]},
        versions=[pack.label],
    )
    return record


def get_record(
    session: Session, pack_id: str, version: int, *, missing_ok: bool = False
) -> RulePackRecord | None:
    record = session.scalars(
        select(RulePackRecord).where(
            RulePackRecord.pack_id == pack_id, RulePackRecord.version == version
        )
    ).first()
    if record is None and not missing_ok:
        raise NotFound(f"no rule pack {pack_id}@{version}")
    return record


def set_status(
    session: Session, *, pack_id: str, version: int, status: Status, actor: str
) -> RulePackRecord:
    """Live or shadow for one version; making a version live retires the pack's other live one."""
    record = get_record(session, pack_id, version)
    assert record is not None
    changed: list[RulePackRecord] = [record]
    if status == "live":
        for other in session.scalars(
            select(RulePackRecord).where(
                RulePackRecord.pack_id == pack_id,
                RulePackRecord.status == "live",
                RulePackRecord.version != version,
            )
        ):
            other.status = "inactive"
            changed.append(other)
    before = record.status
    record.status = status
    record.activated_at = utcnow() if status != "inactive" else record.activated_at
    audit.record(
        session,
        actor=actor,
        action=f"rule_pack.{status}",
        target_type="rule_pack",
        target_id=f"{pack_id}@{version}",
        before={"status": before},
        after={"status": status, "retired": [f"{r.pack_id}@{r.version}" for r in changed[1:]]},
        versions=[f"{pack_id}@{version}"],
    )
    ACTIVE.invalidate()
    return record


def list_records(session: Session, *, pack_id: str | None = None) -> list[RulePackRecord]:
    query = select(RulePackRecord).order_by(RulePackRecord.pack_id, RulePackRecord.version.desc())
    if pack_id:
        query = query.where(RulePackRecord.pack_id == pack_id)
    return list(session.scalars(query))


def next_version(session: Session, pack_id: str) -> int:
    current = session.scalar(
        select(func.max(RulePackRecord.version)).where(RulePackRecord.pack_id == pack_id)
    )
    return (current or 0) + 1


def install_defaults(session: Session) -> list[str]:
    """Ship-with packs go live the first time a store starts, and never override a later choice."""
    installed = []
    for name in DEFAULT_PACKS:
        source = resources.files("tradeguard.rulepacks").joinpath(name).read_text("utf-8")
        pack = load_pack(source)
        if list_records(session, pack_id=pack.spec.id):
            continue
        upload(session, source=source, actor=audit.SYSTEM)
        set_status(
            session,
            pack_id=pack.spec.id,
            version=pack.spec.version,
            status="live",
            actor=audit.SYSTEM,
        )
        installed.append(pack.label)
    return installed


class ActivePacks:
    """Process-wide cache of compiled live and shadow packs, per database."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[object, tuple[float, list[tuple[RulePack, bool]]]] = {}
        self._compiled: dict[str, RulePack] = {}

    def invalidate(self) -> None:
        self._running.clear()

    def get(self, session: Session) -> list[tuple[RulePack, bool]]:
        """``(pack, is_shadow)`` for every pack that runs now."""
        database = session.get_bind().engine  # one cache entry per database engine
        loaded_at, packs = self._running.get(database, (float("-inf"), []))
        if time.monotonic() - loaded_at < REFRESH_SECONDS:
            return packs
        with self._lock:
            rows = session.execute(
                select(RulePackRecord.sha256, RulePackRecord.source, RulePackRecord.status)
                .where(RulePackRecord.status.in_(("live", "shadow")))
                .order_by(RulePackRecord.pack_id)
            ).all()
            packs = []
            for sha, source, status in rows:
                if sha not in self._compiled:
                    self._compiled[sha] = load_pack(source)
                packs.append((self._compiled[sha], status == "shadow"))
            self._running[database] = (time.monotonic(), packs)
        return packs


ACTIVE = ActivePacks()
