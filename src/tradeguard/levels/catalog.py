"""The control catalog: the layer x level grid and its controls, as schema-checked YAML data.

The shipped catalog (``data/catalog.yaml``) holds the grid and the base controls; each market
overlay (``data/overlay-*.yaml``) adds the controls one destination market requires. An
organisation adds its own controls in a file named by ``TRADEGUARD_CONTROLS_FILE``, checked
by the same schema. A broken file stops the load with the file, the control and the field at
fault: a catalog that silently lost a control would grade the organisation too high.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradeguard.errors import TradeGuardError, readable

Market = Literal["CN", "US", "EU"]
MARKETS: tuple[Market, ...] = ("CN", "US", "EU")
LEVELS = (1, 2, 3, 4)
CONTROL_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9][A-Z0-9.]*)+$"  # PAY-1.1, EU-GDPR-33, ACME-BCP-2
SHIPPED = ("catalog.yaml", "overlay-cn.yaml", "overlay-us.yaml", "overlay-eu.yaml")


class CatalogError(TradeGuardError):
    """A catalog file is missing, is not YAML, or breaks the catalog's schema.

    503 on the API: the file is the server's configuration, not the caller's input.
    """

    status = 503
    title = "Control catalog unavailable"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Layer(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z_]*$")
    title: str = Field(min_length=1, max_length=80)
    scope: str = Field(min_length=1)


class Level(_Strict):
    number: int = Field(ge=1, le=4)
    title: str = Field(min_length=1, max_length=80)
    meaning: str = Field(min_length=1)


class Bound(_Strict):
    """``at_least`` or ``at_most`` a value: one of the two, never both."""

    at_least: float | None = None
    at_most: float | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least or at_most")
        return self

    def holds(self, value: float) -> bool:
        if self.at_least is not None:
            return value >= self.at_least
        assert self.at_most is not None
        return value <= self.at_most

    def __str__(self) -> str:
        if self.at_least is not None:
            return f">= {self.at_least:g}"
        return f"<= {self.at_most:g}"


class Measure(_Strict):
    """An automatic measurement: a collector over a window, held against a target."""

    collector: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$")
    params: dict[str, Any] = Field(default_factory=dict)
    window_days: int = Field(default=30, ge=1, le=3660)
    target: Bound
    partial: Bound | None = None  # short of the target but on the way: the cell is partial

    @model_validator(mode="after")
    def _partial_is_looser(self) -> Self:
        if self.partial is not None and (self.partial.at_least is None) != (
            self.target.at_least is None
        ):
            raise ValueError(
                "partial must bound the same side as target (both at_least or both at_most)"
            )
        return self


class AttestationRule(_Strict):
    """A person may state the control is met; the statement lasts at most ``max_age_days``."""

    max_age_days: int = Field(default=365, ge=1, le=1100)
    document_required: bool = True


class Evidence(_Strict):
    """What meets a control. A measurement decides whenever it has data; an attestation
    stands in only where the measurement has none, and never overrules a failing one."""

    measure: Measure | None = None
    attestation: AttestationRule | None = None

    @model_validator(mode="after")
    def _something(self) -> Self:
        if self.measure is None and self.attestation is None:
            raise ValueError("a control needs a measure, an attestation rule, or both")
        return self


class Reference(_Strict):
    standard: str = Field(min_length=1, max_length=80)  # "PCI DSS v4.0"
    ref: str = Field(min_length=1, max_length=80)  # "10.4.1"


class Control(_Strict):
    id: str = Field(pattern=CONTROL_ID, max_length=40)
    title: str = Field(min_length=1, max_length=160)
    why: str = Field(min_length=1)
    layer: str
    level: int = Field(ge=1, le=4)
    markets: list[Market] = Field(default_factory=list)  # empty: every market
    topics: list[str] = Field(default_factory=list)  # e.g. trade_secrets
    evidence: Evidence
    risk: int = Field(ge=1, le=5)  # what stays exposed while it is unmet
    effort: int = Field(ge=1, le=5)  # the work to close it
    remediation: str = Field(min_length=1)
    references: list[Reference] = Field(min_length=1)
    source: str = ""  # the file it came from; set by the loader

    def applies_to(self, markets: Iterable[str]) -> bool:
        return not self.markets or any(m in self.markets for m in markets)


class CatalogFile(_Strict):
    """One file: the base carries the grid, overlays and an organisation's file only controls."""

    catalog: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    version: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=120)
    layers: list[Layer] | None = None
    levels: list[Level] | None = None
    controls: list[Control] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _four_levels(cls, value: list[Level] | None) -> list[Level] | None:
        if value is not None and [lv.number for lv in value] != list(LEVELS):
            raise ValueError("levels must be 1, 2, 3 and 4, in order")
        return value


@dataclass(frozen=True)
class Catalog:
    """Every control in force, with the grid they sit on and a digest of the files read."""

    layers: tuple[Layer, ...]
    levels: tuple[Level, ...]
    controls: tuple[Control, ...]
    files: tuple[str, ...]  # "catalog@version" of each file read
    sha256: str

    def for_markets(self, markets: Sequence[str]) -> list[Control]:
        return [c for c in self.controls if c.applies_to(markets)]

    def control(self, control_id: str) -> Control | None:
        return next((c for c in self.controls if c.id == control_id), None)


def parse_file(text: str, *, name: str) -> CatalogFile:
    """One catalog file, or a CatalogError naming the file, the control and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{name}: a catalog file is a mapping with a 'controls' list")
    try:
        return CatalogFile.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(f"{name}: {_where(exc, data)}") from None


def _where(exc: ValidationError, data: dict[str, Any]) -> str:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"]]
    if len(loc) >= 2 and loc[0] == "controls" and loc[1].isdigit():
        controls = data.get("controls") or []
        item = controls[int(loc[1])] if int(loc[1]) < len(controls) else {}
        label = item.get("id") if isinstance(item, dict) else None
        control = f"control {label or '#' + str(int(loc[1]) + 1)}"
        return f"{control}: {'.'.join(loc[2:]) or 'control'}: {readable(first['msg'])}"
    return f"{'.'.join(loc)}: {readable(first['msg'])}"


def assemble(files: Sequence[tuple[str, str]], *, known_collectors: set[str]) -> Catalog:
    """Check the files together: one grid, unique ids, known layers and collectors."""
    parsed = [(name, parse_file(text, name=name)) for name, text in files]
    grids = [(name, f) for name, f in parsed if f.layers is not None or f.levels is not None]
    base_layers = grids[0][1].layers if len(grids) == 1 else None
    base_levels = grids[0][1].levels if len(grids) == 1 else None
    if base_layers is None or base_levels is None:
        raise CatalogError("exactly one catalog file (the base) must define both layers and levels")
    layer_ids = {lay.id for lay in base_layers}
    seen: dict[str, str] = {}
    controls: list[Control] = []
    for name, file in parsed:
        for control in file.controls:
            where = f"{name}: control {control.id}"
            if control.id in seen:
                raise CatalogError(f"{where}: id already used in {seen[control.id]}")
            if control.layer not in layer_ids:
                raise CatalogError(
                    f"{where}: layer {control.layer!r} is not one of {', '.join(sorted(layer_ids))}"
                )
            measure = control.evidence.measure
            if measure is not None:
                _check_collector(where, measure, known_collectors)
            seen[control.id] = name
            controls.append(control.model_copy(update={"source": file.catalog}))
    _every_cell_filled(base_layers, controls)
    digest = hashlib.sha256("\0".join(text for _, text in files).encode()).hexdigest()
    return Catalog(
        layers=tuple(base_layers),
        levels=tuple(base_levels),
        controls=tuple(controls),
        files=tuple(f"{f.catalog}@{f.version}" for _, f in parsed),
        sha256=digest,
    )


def _check_collector(where: str, measure: Measure, known: set[str]) -> None:
    from tradeguard.levels.evidence import PLANNED_MODULES, check_params

    module = measure.collector.split(".", 1)[0]
    if measure.collector in known:
        problem = check_params(measure.collector, measure.params)
        if problem:
            raise CatalogError(f"{where}: params: {problem}")
    elif module not in PLANNED_MODULES:
        raise CatalogError(f"{where}: no collector named {measure.collector!r}")


def _every_cell_filled(layers: Sequence[Layer], controls: Sequence[Control]) -> None:
    """A cell with no base control would count as met with nothing behind it."""
    base = {(c.layer, c.level) for c in controls if not c.markets}
    empty = [f"{lay.id} L{n}" for lay in layers for n in LEVELS if (lay.id, n) not in base]
    if empty:
        raise CatalogError(f"cells without a control for every market: {', '.join(empty)}")


def shipped_files() -> list[tuple[str, str]]:
    folder = resources.files("tradeguard.levels").joinpath("data")
    return [(name, folder.joinpath(name).read_text("utf-8")) for name in SHIPPED]


def read_custom(path: Path) -> tuple[str, str]:
    try:
        return path.name, path.read_text("utf-8")
    except OSError as exc:
        raise CatalogError(
            f"{path}: cannot read the organisation's controls ({exc.strerror})"
        ) from None
    except UnicodeDecodeError:
        raise CatalogError(f"{path}: not UTF-8 text") from None


def load_catalog(custom: Path | None = None) -> Catalog:
    """The shipped catalog plus the organisation's own controls, if it names a file."""
    from tradeguard.levels.evidence import COLLECTORS, load_collectors

    load_collectors()
    files = shipped_files()
    if custom is not None:
        files.append(read_custom(custom))
    return assemble(files, known_collectors=set(COLLECTORS))


@cache
def cached_catalog(custom: Path | None, stamp: int | None) -> Catalog:
    """Read once per file version: ``stamp`` is the organisation's file's modification time."""
    return load_catalog(custom)
