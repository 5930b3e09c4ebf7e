"""Screen names against the loaded sanctions lists, in the shape of yente's ``/match`` API.

Requests and answers mirror yente (``EntityMatchQuery`` in, ``EntityMatchResponse`` out), so a
yente client pointed at ``.../v1`` works unchanged. Screened names are personal data: they are
neither audited nor logged; the log says who screened how many queries, and what came back.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from tradeguard.api.deps import Analyst, Reader, RuntimeDep, SessionDep
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store
from tradeguard.domains.merchants.sanctions.matching import (
    ALGORITHM,
    DEFAULT_CUTOFF,
    DEFAULT_THRESHOLD,
    MAX_VALUE_CHARS,
    MAX_VALUES,
    Match,
)
from tradeguard.domains.merchants.sanctions.matching import Query as Screening
from tradeguard.errors import BadRequest, Invalid, NotFound, UnsupportedMediaType, readable

router = APIRouter(prefix="/v1", tags=["screening"])
log = logging.getLogger("tradeguard.screening")

MAX_QUERIES = 100
MAX_LIMIT = 500
ALGORITHMS = (ALGORITHM, "best")  # yente's alias for its best algorithm
DATASET_ALL = "default"  # yente's name for "every loaded dataset"
# Bounds on one query, so a request's work stays small; the matcher refuses more than
# MAX_VALUES distinct values of a property and longer values.
MAX_PROPERTIES = 30
Value = Annotated[str, Field(max_length=MAX_VALUE_CHARS)]
Values = Annotated[list[Value], Field(max_length=2 * MAX_VALUES)]  # repeats and blanks drop


class EntityExample(BaseModel):
    """One query: a FollowTheMoney schema and properties (yente's ``EntityExample``)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(default=None, max_length=200)
    schema_: str = Field(alias="schema", min_length=1, max_length=40)
    properties: dict[Annotated[str, Field(max_length=60)], Value | Values] = Field(
        max_length=MAX_PROPERTIES
    )


class EntityMatchQuery(BaseModel):
    """yente's request body; ``weights`` and ``config`` are accepted and not used."""

    model_config = ConfigDict(extra="forbid")

    queries: dict[Annotated[str, Field(min_length=1, max_length=200)], EntityExample] = Field(
        min_length=1, max_length=MAX_QUERIES
    )
    weights: dict[str, float] = Field(default_factory=dict, max_length=50)
    config: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=50)


class FeatureResult(BaseModel):
    detail: str | None
    score: float
    query: str | None
    candidate: str | None


class ScoredEntityResponse(BaseModel):
    """A listed party as yente returns it; ``datasets`` holds the list key."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str] = []
    target: bool = True
    first_seen: datetime | None
    last_seen: datetime | None
    last_change: datetime | None
    score: float
    match: bool
    features: dict[str, float]
    explanations: dict[str, FeatureResult]
    token: str | None = None


class TotalSpec(BaseModel):
    value: int
    relation: str = "eq"


class QueryEcho(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str | None
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]


class EntityMatches(BaseModel):
    status: int = 200
    results: list[ScoredEntityResponse]
    total: TotalSpec
    query: QueryEcho


class Matcher(BaseModel):
    name: str
    threshold: float
    cutoff: float
    lists: list[str]


class EntityMatchResponse(BaseModel):
    responses: dict[str, EntityMatches]
    matcher: Matcher
    limit: int


Threshold = Annotated[float, Query(ge=0.0, le=1.0, description="score >= this: match")]
Cutoff = Annotated[float, Query(ge=0.0, le=1.0, description="scores below: not returned")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="results per query")]
Algorithm = Annotated[str, Query(max_length=40, description="logic-v2 (or yente's 'best')")]


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its ``$defs`` written in place: an OpenAPI request body cannot use them."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    result: dict[str, Any] = walk(schema)
    return result


# The body is parsed by hand (see _match_query), so its schema is given to the docs here.
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inlined(EntityMatchQuery.model_json_schema())}},
    }
}


@router.post("/screen", response_model=EntityMatchResponse, openapi_extra=_BODY_DOC)
async def screen(
    request: Request,
    runtime: RuntimeDep,
    caller: Reader,
    threshold: Threshold = DEFAULT_THRESHOLD,
    cutoff: Cutoff = DEFAULT_CUTOFF,
    limit: Limit = 5,
    algorithm: Algorithm = ALGORITHM,
) -> EntityMatchResponse:
    """Screen up to 100 people or companies against every loaded sanctions list.

    The body is yente's: ``{"queries": {"q1": {"schema": "Person", "properties": {"name":
    ["..."], "birthDate": ["..."], "nationality": ["..."]}}}}``; each answer scores the listed
    parties logic-v2 ranks best, with the features that made the score.
    """
    body = await _match_query(request)
    return await _run(
        runtime.sessions, body, None, caller.actor, threshold, cutoff, limit, algorithm
    )


@router.post("/match/{dataset}", response_model=EntityMatchResponse, openapi_extra=_BODY_DOC)
async def match(
    dataset: Annotated[str, Path(max_length=80)],
    request: Request,
    runtime: RuntimeDep,
    caller: Reader,
    threshold: Threshold = DEFAULT_THRESHOLD,
    cutoff: Cutoff = DEFAULT_CUTOFF,
    limit: Limit = 5,
    algorithm: Algorithm = ALGORITHM,
) -> EntityMatchResponse:
    """yente's own path: ``dataset`` is ``default`` (every list) or one list key."""
    body = await _match_query(request)
    only = None if dataset == DATASET_ALL else dataset
    return await _run(
        runtime.sessions, body, only, caller.actor, threshold, cutoff, limit, algorithm
    )


@router.get("/sanctions/lists")
def current_lists(session: SessionDep, _: Analyst) -> list[store.ListVersionRead]:
    """The current version of every loaded list."""
    return store.current_versions(session)


@router.get("/sanctions/versions/{version_id}")
def list_version(version_id: int, session: SessionDep, _: Analyst) -> store.ListVersionDetail:
    """One stored list version, with what it added, changed and removed."""
    return store.version(session, version_id)


async def _match_query(request: Request) -> EntityMatchQuery:
    """Parsed by orjson (bounded nesting) and checked field by field: never a 500."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type not in ("application/json", ""):
        raise UnsupportedMediaType("send the queries as application/json")
    try:
        data = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Invalid('the body must be a JSON object: {"queries": {...}}')
    try:
        return EntityMatchQuery.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "problem": readable(e["msg"])}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        detail = "; ".join(f"{e['field']}: {e['problem']}" for e in errors[:5])
        raise Invalid(detail, errors=errors) from None


async def _run(
    sessions: sessionmaker[Session],
    body: EntityMatchQuery,
    only: str | None,
    actor: str,
    threshold: float,
    cutoff: float,
    limit: int,
    algorithm: str,
) -> EntityMatchResponse:
    if algorithm not in ALGORITHMS:
        raise Invalid(
            f"algorithm {algorithm!r} is not offered; use {ALGORITHM}",
            errors=[{"field": "query.algorithm", "problem": f"only {ALGORITHM} is offered"}],
        )

    def work() -> EntityMatchResponse:  # in a worker thread: value cleaning and matching are CPU
        queries = {name: _screening(name, example) for name, example in body.queries.items()}
        with unit_of_work(sessions) as session:
            return _answer(session, body, queries, only, threshold, cutoff, limit)

    response = await run_in_threadpool(work)
    found = [r for answer in response.responses.values() for r in answer.results]
    log.info(
        "screening by %s: %d queries, %d results, %d matches",
        actor,
        len(body.queries),
        len(found),
        sum(r.match for r in found),
    )
    return response


def _screening(name: str, example: EntityExample) -> Screening:
    properties = {
        prop: [values] if isinstance(values, str) else values
        for prop, values in example.properties.items()
    }
    try:
        return Screening(schema=example.schema_, properties=properties)
    except ValueError as exc:
        raise Invalid(
            f"queries.{name}: {exc}", errors=[{"field": f"queries.{name}", "problem": str(exc)}]
        ) from None


def _answer(
    session: Session,
    body: EntityMatchQuery,
    queries: dict[str, Screening],
    only: str | None,
    threshold: float,
    cutoff: float,
    limit: int,
) -> EntityMatchResponse:
    lists = store.require_lists(session)
    if only is not None and only not in {v.list_key for v in lists}:
        known = ", ".join([DATASET_ALL, *(v.list_key for v in lists)])
        raise NotFound(f"no loaded list {only!r}; datasets: {known}")
    snapshot = store.current_snapshot(session)
    last_seen = {v.list_key: v.loaded_at for v in snapshot.lists}
    responses: dict[str, EntityMatches] = {}
    for name, query in queries.items():
        # Candidates are few (the index's depth), so every one above the cutoff is scored
        # and ``total`` is exact; ``limit`` only trims the answer.
        found = snapshot.index.match(query, threshold=threshold, cutoff=cutoff, limit=MAX_LIMIT)
        if only is not None:
            found = [m for m in found if m.source == only]
        responses[name] = EntityMatches(
            results=[_scored(m, snapshot, last_seen) for m in found[:limit]],
            total=TotalSpec(value=len(found)),
            query=QueryEcho(
                id=body.queries[name].id,
                schema_=query.schema,
                properties={k: list(v) for k, v in query.properties.items()},
            ),
        )
    matcher = Matcher(
        name=ALGORITHM,
        threshold=threshold,
        cutoff=cutoff,
        lists=[v.label for v in snapshot.lists],
    )
    return EntityMatchResponse(responses=responses, matcher=matcher, limit=limit)


def _scored(
    found: Match, snapshot: store.Snapshot, last_seen: dict[str, datetime]
) -> ScoredEntityResponse:
    entity = found.entity
    first_seen, last_change = snapshot.seen.get((found.source, entity.entity_id), (None, None))
    return ScoredEntityResponse(
        id=entity.entity_id,
        caption=entity.caption,
        schema_=entity.schema,
        properties={k: list(v) for k, v in entity.properties.items()},
        datasets=[found.source],
        first_seen=first_seen,
        last_seen=last_seen.get(found.source),
        last_change=last_change,
        score=found.score,
        match=found.match,
        features={k: f.score for k, f in found.features.items()},
        explanations={
            k: FeatureResult(detail=f.detail, score=f.score, query=f.query, candidate=f.candidate)
            for k, f in found.features.items()
        },
    )
