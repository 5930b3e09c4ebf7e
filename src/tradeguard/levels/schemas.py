"""What an assessment says, as the API, the console and the reports all read it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from tradeguard.levels.catalog import Market
from tradeguard.levels.evidence import KindName

# met: the evidence holds; partial: on the way (a measure short of target but past its partial
# bound); unmet: the evidence says no; no_evidence: nothing measured it and nobody attested.
Status = Literal["met", "partial", "unmet", "no_evidence"]
CellStatus = Literal["met", "partial", "unmet"]
Source = Literal["measured", "attested", "none"]


class MeasurementRead(BaseModel):
    collector: str
    value: float | None
    unit: str
    detail: str
    sample: int | None
    target: str  # ">= 0.99"
    partial: str | None
    window_days: int


class AttestationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    control_id: str
    statement: str
    document: str | None
    document_sha256: str | None
    attested_by: str
    attested_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    revoked_by: str | None


class _Input(BaseModel):
    """What people send: unknown fields refused, and no NUL (PostgreSQL text cannot hold it)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


class AttestationCreate(_Input):
    control_id: str = Field(min_length=1, max_length=40)
    statement: str = Field(min_length=10, max_length=4000)
    document: str | None = Field(default=None, max_length=500)
    document_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    expires_on: date


class ControlResult(BaseModel):
    id: str
    title: str
    why: str
    layer: str
    level: int
    markets: list[Market]
    topics: list[str]
    status: Status
    source: Source
    reason: str  # one sentence: why this status
    measurement: MeasurementRead | None
    attestation: AttestationRead | None
    attestation_allowed: bool
    risk: int
    effort: int
    remediation: str
    references: list[dict[str, str]]
    catalog: str  # the catalog file it came from: base, an overlay, or the organisation's


class Cell(BaseModel):
    level: int
    title: str
    status: CellStatus
    met: int
    total: int
    controls: list[ControlResult]


class LayerResult(BaseModel):
    id: str
    title: str
    level: int = Field(ge=0, le=4)  # the highest level met together with every level below
    cells: list[Cell]


class Gap(BaseModel):
    control_id: str
    title: str
    layer: str
    level: int
    status: Status
    risk: int
    effort: int
    blocks_next_level: bool  # closing it is needed for the layer's next level
    priority: float
    why_now: str
    remediation: str


class Assessment(BaseModel):
    as_of: AwareDatetime
    markets: list[Market]
    overall_level: int = Field(ge=0, le=4)
    layers: list[LayerResult]
    counts: dict[Status, int]
    gaps: list[Gap]
    catalog: list[str]  # the files graded against: "tradeguard-base@2026.12", overlays, own file
    catalog_sha256: str


class SnapshotRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    as_of: datetime
    markets: str
    overall_level: int
    layers: dict[str, int]
    counts: dict[str, int]
    recorded_at: datetime
    recorded_by: str


class VolumeItem(_Input):
    kind: KindName
    day: date
    count: int = Field(ge=0, le=10**12)
    source: str = Field(default="default", min_length=1, max_length=80, pattern=r"^[\w.:-]+$")


class VolumeBatch(_Input):
    items: list[VolumeItem] = Field(min_length=1, max_length=1000)
