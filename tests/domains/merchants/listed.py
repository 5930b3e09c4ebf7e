"""Small invented sanctions lists, built in code, for the store, API and CLI tests."""

from __future__ import annotations

import hashlib
from datetime import date

from tradeguard.domains.merchants.sanctions.entities import ListedEntity, ParsedList


def person(entity_id: str, name: str, **properties: list[str]) -> ListedEntity:
    return ListedEntity.create(
        entity_id=entity_id,
        schema="Person",
        caption=name,
        properties={"name": [name], **properties},
        programs=["TEST-PROGRAM"],
    )


def company(entity_id: str, name: str, **properties: list[str]) -> ListedEntity:
    return ListedEntity.create(
        entity_id=entity_id,
        schema="Company",
        caption=name,
        properties={"name": [name], **properties},
    )


SIDOROV = person("un-1001", "Ivan Petrovich Sidorov", birthDate=["1961-05-02"], nationality=["ru"])
OKAFOR = person("un-1002", "Chinedu Emeka Okafor", birthDate=["1970"], nationality=["ng"])
GOLDEN_STAR = company("un-1003", "Golden Star Maritime Trading", country=["kp"])
HALVORSEN = person("un-1004", "Astrid Halvorsen", birthDate=["1955-01-30"])

FIRST = (SIDOROV, OKAFOR, GOLDEN_STAR)


def un_list(*entities: ListedEntity, published: date | None = date(2026, 2, 27)) -> ParsedList:
    return ParsedList(
        source="un",
        name="UN Security Council consolidated list",
        published=published,
        entities=tuple(entities),
    )


def sha(*entities: ListedEntity, salt: str = "") -> str:
    """A stand-in file digest: different entities, different "file"."""
    text = salt + "|".join(e.digest() for e in entities)
    return hashlib.sha256(text.encode()).hexdigest()
