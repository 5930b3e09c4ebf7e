"""The versioned store of sanctions lists: load a list, diff it, and serve the current index.

A list is identified by its *list key* (see :func:`list_key`). Loading a file makes a new
version of that list when the file differs from the current one; parties missing from the new
file are marked removed, not deleted, so every version's diff stays answerable. Everything runs
in the caller's transaction.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, computed_field
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList
from tradeguard.domains.merchants.sanctions.matching import SanctionsIndex
from tradeguard.domains.merchants.sanctions.tables import SanctionEntity, SanctionListVersion
from tradeguard.engine import audit
from tradeguard.errors import Conflict, Invalid, NotFound, Unavailable

MAX_DIFF_ROWS = 1_000  # per kind (added, changed, removed); the version's counts stay exact
MAX_SKIPPED_LINES = 200
MAX_ENTITY_ID = 200
OFAC_CONSOLIDATED = "ofac-cons"


class NoListsLoaded(Unavailable):
    """Screening against nothing would answer "no match" for everyone: refuse instead."""

    def __init__(self) -> None:
        super().__init__(
            "no sanctions lists are loaded; run `tradeguard lists load-sanctions` first"
        )


class DiffEntry(BaseModel):
    entity_id: str
    caption: str


class VersionDiff(BaseModel):
    added: list[DiffEntry] = []
    changed: list[DiffEntry] = []
    removed: list[DiffEntry] = []
    skipped: list[str] = []


class ListVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_key: str
    number: int
    source: str
    name: str
    published: date | None
    file_sha256: str
    loaded_at: datetime
    loaded_by: str
    entity_count: int
    added: int
    changed: int
    removed: int
    skipped: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label(self) -> str:
        """How screening results cite the list: "un v2, 2026-02-27" (published, else loaded)."""
        return f"{self.list_key} v{self.number}, {self.published or self.loaded_at.date()}"


class ListVersionDetail(ListVersionRead):
    diff: VersionDiff


@dataclass(frozen=True, slots=True)
class LoadResult:
    version: ListVersionDetail  # the new version, or the current one when ``unchanged``
    unchanged: bool = False


def list_key(parsed: ParsedList) -> str:
    """The list a file is a version of: its source, except OFAC's non-SDN consolidated set
    ("ofac-cons") and CSV lists, which are told apart by name ("csv:<slug of the name>").
    """
    if parsed.source == "csv":
        slug = re.sub(r"[^a-z0-9]+", "-", parsed.name.lower()).strip("-")[:70]
        return f"csv:{slug or 'unnamed'}"
    if parsed.source == "ofac-sdn" and re.search(r"consolidated|non-sdn", parsed.name, re.I):
        return OFAC_CONSOLIDATED
    return parsed.source


def load_list(
    session: Session,
    parsed: ParsedList,
    *,
    file_sha256: str,
    actor: str,
    allow_empty: bool = False,
) -> LoadResult:
    """Store ``parsed`` as the list's next version, with its diff against the current one."""
    key = list_key(parsed)
    current = _latest(session, key)
    if current is not None and current.file_sha256 == file_sha256:
        return LoadResult(version=ListVersionDetail.model_validate(current), unchanged=True)
    entities, skipped = _usable(parsed)
    if not entities and current is not None and current.entity_count and not allow_empty:
        raise Invalid(
            f"{parsed.name} has no entities where the current {key} version has"
            f" {current.entity_count}; a truncated file must not delist everyone"
            " (pass --allow-empty if the list really is empty now)"
        )
    version = SanctionListVersion(
        list_key=key,
        number=(current.number + 1) if current else 1,
        source=parsed.source,
        name=parsed.name[:200],
        published=parsed.published,
        file_sha256=file_sha256,
        loaded_by=actor,
        entity_count=len(entities),
        added=0,
        changed=0,
        removed=0,
        skipped=len(skipped),
        diff={},
    )
    session.add(version)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"another load of {key} ran at the same time; run it again") from None
    diff = _apply(session, key, version.id, entities)
    version.added, version.changed, version.removed = map(
        len, (diff.added, diff.changed, diff.removed)
    )
    capped = VersionDiff(
        added=diff.added[:MAX_DIFF_ROWS],
        changed=diff.changed[:MAX_DIFF_ROWS],
        removed=diff.removed[:MAX_DIFF_ROWS],
        skipped=skipped[:MAX_SKIPPED_LINES],
    )
    version.diff = capped.model_dump(mode="json")
    session.flush()
    read = ListVersionDetail.model_validate(version)
    # Counts and the file's digest, never the content: the file itself is the record of that.
    counts = read.model_dump(include={"id", "number", "entity_count", *_COUNTS, "file_sha256"})
    audit.record(
        session,
        actor=actor,
        action="sanctions.load",
        target_type="sanction_list",
        target_id=key,
        after=counts,
        versions=[f"{key}@{version.number}"],
    )
    return LoadResult(version=read)


_COUNTS = ("added", "changed", "removed", "skipped")


# (entity, its to_json() form, its digest)
_Usable = tuple[ListedEntity, dict[str, Any], str]


def _usable(parsed: ParsedList) -> tuple[list[_Usable], list[str]]:
    """The entities the store can hold, and a readable line for each it cannot."""
    usable: list[_Usable] = []
    skipped = list(parsed.skipped)
    seen: set[str] = set()
    for entity in parsed.entities:
        if len(entity.entity_id) > MAX_ENTITY_ID:
            skipped.append(f"{entity.entity_id[:60]}...: id longer than {MAX_ENTITY_ID} characters")
            continue
        if entity.entity_id in seen:
            skipped.append(f"{entity.entity_id}: listed twice, the first kept")
            continue
        data = entity.to_json()
        if b"\\u0000" in orjson.dumps(data):  # PostgreSQL text and JSONB cannot hold NUL
            skipped.append(f"{entity.entity_id}: contains a NUL character")
            continue
        seen.add(entity.entity_id)
        usable.append((entity, data, entity.digest()))
    return usable, skipped


def _apply(session: Session, key: str, version_id: int, entities: list[_Usable]) -> VersionDiff:
    """Write the new version's parties; what it added, changed and removed, uncapped."""
    existing = {
        row.entity_id: row
        for row in session.execute(
            select(
                SanctionEntity.id,
                SanctionEntity.entity_id,
                SanctionEntity.caption,
                SanctionEntity.digest,
                SanctionEntity.removed_version_id,
            ).where(SanctionEntity.list_key == key)
        )
    }
    diff = VersionDiff()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for entity, data, digest in entities:
        content = {
            "schema": entity.schema,
            "caption": entity.caption,
            "data": data,
            "digest": digest,
            "version_id": version_id,
            "removed_version_id": None,
        }
        entry = DiffEntry(entity_id=entity.entity_id, caption=entity.caption)
        row = existing.pop(entity.entity_id, None)
        if row is None:
            inserts.append(
                {"list_key": key, "entity_id": entity.entity_id, "first_version_id": version_id}
                | content
            )
            diff.added.append(entry)
        elif row.removed_version_id is not None:  # listed again
            updates.append({"id": row.id} | content)
            diff.added.append(entry)
        elif row.digest != digest:
            updates.append({"id": row.id} | content)
            diff.changed.append(entry)
    delisted = [row for row in existing.values() if row.removed_version_id is None]
    for row in delisted:
        diff.removed.append(DiffEntry(entity_id=row.entity_id, caption=row.caption))
    if inserts:
        session.execute(insert(SanctionEntity), inserts)
    if updates:
        session.execute(update(SanctionEntity), updates)
    if delisted:
        session.execute(
            update(SanctionEntity),
            [{"id": r.id, "removed_version_id": version_id} for r in delisted],
        )
    for entries in (diff.added, diff.changed, diff.removed):
        entries.sort(key=lambda e: e.entity_id)
    return diff


def _latest(session: Session, key: str) -> SanctionListVersion | None:
    return session.scalars(
        select(SanctionListVersion)
        .where(SanctionListVersion.list_key == key)
        .order_by(SanctionListVersion.number.desc())
        .limit(1)
    ).first()


def current_versions(session: Session) -> list[ListVersionRead]:
    """The newest version of every list, by list key."""
    newest = (
        select(SanctionListVersion.list_key, func.max(SanctionListVersion.number).label("number"))
        .group_by(SanctionListVersion.list_key)
        .subquery()
    )
    rows = session.scalars(
        select(SanctionListVersion)
        .join(
            newest,
            (SanctionListVersion.list_key == newest.c.list_key)
            & (SanctionListVersion.number == newest.c.number),
        )
        .order_by(SanctionListVersion.list_key)
    )
    return [ListVersionRead.model_validate(r) for r in rows]


def require_lists(session: Session) -> list[ListVersionRead]:
    """The current versions, or :class:`NoListsLoaded` when there are none."""
    found = current_versions(session)
    if not found:
        raise NoListsLoaded()
    return found


def versions(session: Session, list_key: str | None = None) -> list[ListVersionRead]:
    """Every stored version, newest first; of one list when ``list_key`` is given."""
    query = select(SanctionListVersion).order_by(
        SanctionListVersion.loaded_at.desc(), SanctionListVersion.id.desc()
    )
    if list_key is not None:
        query = query.where(SanctionListVersion.list_key == list_key)
    return [ListVersionRead.model_validate(r) for r in session.scalars(query)]


def version(session: Session, version_id: int) -> ListVersionDetail:
    row = session.get(SanctionListVersion, version_id)
    if row is None:
        raise NotFound(f"no sanctions list version {version_id}")
    return ListVersionDetail.model_validate(row)


def current_entries(session: Session) -> list[tuple[str, ListedEntity]]:
    """``(list key, entity)`` for every party listed now, in a stable order."""
    return [(key, entity) for key, entity, _, _ in _current_rows(session)]


def _current_rows(session: Session) -> list[tuple[str, ListedEntity, int, int]]:
    rows = session.execute(
        select(
            SanctionEntity.list_key,
            SanctionEntity.data,
            SanctionEntity.first_version_id,
            SanctionEntity.version_id,
        )
        .where(SanctionEntity.removed_version_id.is_(None))
        .order_by(SanctionEntity.list_key, SanctionEntity.entity_id)
    )
    return [(key, ListedEntity.from_json(data), first, last) for key, data, first, last in rows]


def changed_entries(session: Session, version_ids: Iterable[int]) -> list[tuple[str, ListedEntity]]:
    """Parties the given versions added or changed and that are still listed: what a
    re-screen after a list change needs to look at.
    """
    ids = sorted(set(version_ids))
    if not ids:
        return []
    rows = session.execute(
        select(SanctionEntity.list_key, SanctionEntity.data)
        .where(SanctionEntity.version_id.in_(ids), SanctionEntity.removed_version_id.is_(None))
        .order_by(SanctionEntity.list_key, SanctionEntity.entity_id)
    )
    return [(key, ListedEntity.from_json(data)) for key, data in rows]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The current lists, indexed for the matcher, with when each party was first listed and
    last changed (the dates of the versions that did it).
    """

    index: SanctionsIndex
    lists: tuple[ListVersionRead, ...]
    seen: Mapping[tuple[str, str], tuple[datetime, datetime]]  # (list, entity) -> dates


# (list key, version id, file sha-256, loaded at) of every list's current version: ids alone
# repeat when a test database is emptied and refilled.
_SnapshotKey = tuple[tuple[str, int, str, datetime], ...]


class SnapshotCache:
    """One process-wide snapshot of the current lists, rebuilt only when a list changes.

    Keyed by each list's current version and file digest, so a request pays one small query
    to learn the snapshot is current; the lock makes concurrent requests build a new one once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entry: tuple[_SnapshotKey, Snapshot] | None = None

    def invalidate(self) -> None:
        self._entry = None

    def get(self, session: Session) -> Snapshot:
        lists = current_versions(session)
        key = _key(lists)
        entry = self._entry
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:
            entry = self._entry
            if entry is not None and entry[0] == key:
                return entry[1]
            snapshot = _build(session, lists)
            if _key(current_versions(session)) == key:  # else a load committed meanwhile
                self._entry = (key, snapshot)
            return snapshot


def _key(lists: Iterable[ListVersionRead]) -> _SnapshotKey:
    return tuple((v.list_key, v.id, v.file_sha256, v.loaded_at) for v in lists)


def _build(session: Session, lists: list[ListVersionRead]) -> Snapshot:
    rows = _current_rows(session)
    dates = select(SanctionListVersion.id, SanctionListVersion.loaded_at)
    loaded = {row.id: row.loaded_at for row in session.execute(dates)}
    seen = {
        (key, entity.entity_id): (loaded[first], loaded[last]) for key, entity, first, last in rows
    }
    index = SanctionsIndex.build((key, entity) for key, entity, _, _ in rows)
    return Snapshot(index=index, lists=tuple(lists), seen=seen)


SNAPSHOTS = SnapshotCache()


def current_snapshot(session: Session) -> Snapshot:
    """The current lists for screening (an empty index when no list is loaded)."""
    return SNAPSHOTS.get(session)


def current_index(session: Session) -> SanctionsIndex:
    """The matcher's index of every party listed now (empty when no list is loaded)."""
    return SNAPSHOTS.get(session).index
