"""Reading event files (JSONL and CSV) line by line, so one bad line never stops a batch."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

FileFormat = Literal["jsonl", "csv"]


@dataclass(frozen=True, slots=True)
class Line:
    """One record of the file: either ``data`` or the ``problem`` that stopped it being read."""

    number: int
    data: dict[str, Any] | None
    problem: str | None = None


def detect_format(path: Path) -> FileFormat:
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


def read_lines(path: Path, file_format: FileFormat) -> Iterator[Line]:
    if file_format == "csv":
        yield from _csv_lines(path)
    else:
        yield from _jsonl_lines(path)


def _jsonl_lines(path: Path) -> Iterator[Line]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                yield Line(number, None, f"not valid JSON: {exc}")
                continue
            if not isinstance(data, dict):
                yield Line(number, None, "not a JSON object")
                continue
            yield Line(number, data)


def _csv_lines(path: Path) -> Iterator[Line]:
    """Empty cells mean "not given", so optional fields may be left blank."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames:
            return
        for row in reader:
            number = reader.line_num
            if None in row:
                yield Line(number, None, "more cells than header columns")
                continue
            yield Line(number, {k: v for k, v in row.items() if k and v not in ("", None)})


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for raw in handle if raw.strip())
