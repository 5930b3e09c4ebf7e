"""YARA rules over attachment bytes: a shipped starter set plus the operator's own rule folders.

Rules are data the operator maintains, so a broken file stops loading with its name and line
(better than silently running without it), while a scan that times out or fails only adds a
note: one odd attachment must not take the whole message analysis down.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yara  # type: ignore[import-not-found]  # a C extension with no type stubs

from tradeguard.domains.mail.message import MailError

SHIPPED_DIR = Path(__file__).with_name("yara")
SCAN_TIMEOUT_S = 2
MAX_MATCHES = 20
_ERROR_LINE = re.compile(r"^(?P<file>.*)\((?P<line>\d+)\): (?P<message>.*)$")


@dataclass(frozen=True, slots=True)
class YaraScan:
    """The rule names that matched one piece of data, and why the scan stopped short, if it did."""

    rules: tuple[str, ...] = ()
    note: str = ""


class YaraRules:
    """Compiled rules; build with :meth:`load`, then :meth:`match` or :meth:`scan` any bytes."""

    def __init__(self, compiled: Any, files: Sequence[Path]) -> None:
        self._compiled = compiled
        self.files = tuple(files)

    @classmethod
    def load(cls, extra_dirs: Sequence[Path] = ()) -> YaraRules:
        """Compile the shipped rules and every ``*.yar`` / ``*.yara`` file in ``extra_dirs``."""
        files = rule_files([SHIPPED_DIR, *extra_dirs])
        namespaces = {f"r{index}_{path.stem}": str(path) for index, path in enumerate(files)}
        try:
            compiled = yara.compile(
                filepaths=namespaces, externals={"filename": "", "extension": ""}
            )
        except yara.SyntaxError as exc:
            raise MailError(_describe_syntax_error(str(exc))) from exc
        except yara.Error as exc:
            raise MailError(f"YARA rules could not be loaded: {exc}") from exc
        return cls(compiled, files)

    def match(self, data: bytes, *, filename: str = "") -> list[str]:
        """Names of the rules that match; an empty list also when the scan failed."""
        return list(self.scan(data, filename=filename).rules)

    def scan(self, data: bytes, *, filename: str = "") -> YaraScan:
        """Match with a time limit and at most :data:`MAX_MATCHES` rules; never raises."""
        found: list[str] = []

        def collect(hit: dict[str, Any]) -> int:
            found.append(str(hit["rule"]))
            return int(yara.CALLBACK_ABORT if len(found) >= MAX_MATCHES else yara.CALLBACK_CONTINUE)

        externals = {"filename": filename, "extension": filename.rpartition(".")[2].lower()}
        try:
            self._compiled.match(
                data=data,
                externals=externals,
                timeout=SCAN_TIMEOUT_S,
                callback=collect,
                which_callbacks=yara.CALLBACK_MATCHES,
            )
        except yara.TimeoutError:
            return YaraScan(tuple(found), f"YARA scan stopped after {SCAN_TIMEOUT_S} s")
        except yara.Error as exc:
            return YaraScan(tuple(found), f"YARA scan failed: {exc}")
        note = f"YARA stopped at {MAX_MATCHES} matching rules" if len(found) >= MAX_MATCHES else ""
        return YaraScan(tuple(found), note)


def rule_files(folders: Sequence[Path]) -> list[Path]:
    """Every rule file in the folders, sorted so that loading is the same on every host."""
    files: list[Path] = []
    for folder in folders:
        if not folder.is_dir():
            raise MailError(f"YARA rule folder {folder} does not exist or is not a folder")
        found = [p for p in folder.iterdir() if p.suffix.lower() in (".yar", ".yara")]
        files.extend(sorted(p for p in found if p.is_file()))
    return files


def _describe_syntax_error(message: str) -> str:
    """yara says ``path(line): error``; say it in a sentence that names the file and the line."""
    parsed = _ERROR_LINE.match(message)
    if parsed is None:
        return f"YARA rule error: {message}"
    return (
        f"YARA rule file {parsed['file']} has an error on line {parsed['line']}: "
        f"{parsed['message']}"
    )
