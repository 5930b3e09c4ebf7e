"""Messages from what people have on disk: one file, a folder, an mbox, or a tar archive.

Each message comes as a :class:`Source` rather than bare bytes so that one unreadable or
oversized message is reported by the caller and the rest are still read. Archives are
streamed member by member and never extracted, so a hostile archive cannot write to disk.
"""

from __future__ import annotations

import mailbox
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tradeguard.domains.mail.message import MailError
from tradeguard.domains.mail.parse import LIMITS, Limits

_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
_MBOX_SUFFIXES = (".mbox", ".mbx")
_BLOCK = 1024 * 1024
_ARCHIVE_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


@dataclass(frozen=True, slots=True)
class Source:
    """One message found at a path: ``raw`` holds its bytes, or is None and ``error`` says why.

    ``label`` names it for a person: ``folder/file.eml``, ``box.mbox#3`` (1-based), or
    ``archive.tar.gz:member/name``.
    """

    label: str
    raw: bytes | None
    error: str | None = None


def iter_messages(path: Path, *, limits: Limits = LIMITS) -> Iterator[Source]:
    """Every message at ``path``; a folder is read recursively in name order, hidden names
    skipped. A message over ``limits.max_bytes`` is reported with ``raw=None``, not read."""
    _require(path)
    if path.is_dir():
        for file, label in _folder_files(path):
            yield from _file_messages(file, label, limits)
    elif path.is_file():
        yield from _file_messages(path, path.name, limits)
    else:  # a pipe or a device would block or never end
        yield Source(path.name, None, "not a regular file")


def count_messages(path: Path) -> int:
    """An upper bound on what :func:`iter_messages` yields, for a progress bar.

    Cheap for files, folders and mboxes (a byte scan); an archive is decompressed once to
    list it, about a second per 50 MB of ``.tar.gz``.
    """
    _require(path)
    if path.is_dir():
        return sum(_count_file(file) for file, _ in _folder_files(path))
    return _count_file(path)


def _require(path: Path) -> None:
    if not path.exists():
        raise MailError(f"no such file or folder: {path}")


def _kind(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(_ARCHIVE_SUFFIXES):
        return "archive"
    if lowered.endswith(_MBOX_SUFFIXES) or lowered == "mbox":
        return "mbox"
    return "message"


def _folder_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under ``root`` in path order, without recursion and without following
    linked folders (a link loop would never end); hidden files and folders are skipped."""
    pending = [root]
    while pending:
        folder = pending.pop()
        try:
            entries = sorted(e for e in folder.iterdir() if not e.name.startswith("."))
        except OSError:
            continue
        subfolders = []
        for entry in entries:
            if entry.is_dir():
                if not entry.is_symlink():
                    subfolders.append(entry)
            elif entry.is_file():
                yield entry, entry.relative_to(root).as_posix()
        pending.extend(reversed(subfolders))


def _file_messages(path: Path, label: str, limits: Limits) -> Iterator[Source]:
    kind = _kind(path.name)
    if kind == "archive":
        yield from _archive_messages(path, label, limits)
    elif kind == "mbox":
        yield from _mbox_messages(path, label, limits)
    else:
        yield _one_message(path, label, limits)


def _one_message(path: Path, label: str, limits: Limits) -> Source:
    try:
        if problem := limits.oversize(path.stat().st_size):
            return Source(label, None, problem)
        return Source(label, path.read_bytes())
    except OSError as exc:
        return Source(label, None, f"cannot read the file: {exc.strerror or exc}")


def _mbox_messages(path: Path, label: str, limits: Limits) -> Iterator[Source]:
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except (OSError, mailbox.Error) as exc:
        yield Source(label, None, f"cannot read the mbox: {exc}")
        return
    try:
        for index, key in enumerate(keys, start=1):
            yield _mbox_message(box, key, f"{label}#{index}", limits)
    finally:
        box.close()


def _mbox_message(box: mailbox.mbox, key: str, label: str, limits: Limits) -> Source:
    """A message over the limit is measured in blocks, never held whole."""
    try:
        handle = box.get_file(key)
        raw = handle.read(limits.max_bytes + 1)
        size = len(raw)
        if size > limits.max_bytes:
            while block := handle.read(_BLOCK):
                size += len(block)
    except (OSError, mailbox.Error) as exc:
        return Source(label, None, f"cannot read the message: {exc}")
    if problem := limits.oversize(size):
        return Source(label, None, problem)
    return Source(label, raw)


def _archive_messages(path: Path, label: str, limits: Limits) -> Iterator[Source]:
    """Members streamed in archive order; links, devices and hidden names are skipped."""
    read = 0
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if not member.isreg() or _hidden(member.name):
                    continue
                read += 1
                yield _member_message(archive, member, f"{label}:{member.name}", limits)
    except _ARCHIVE_ERRORS as exc:
        yield Source(label, None, f"archive unreadable after {read} messages: {exc}")


def _member_message(
    archive: tarfile.TarFile, member: tarfile.TarInfo, label: str, limits: Limits
) -> Source:
    if problem := limits.oversize(member.size):
        return Source(label, None, problem)
    handle = archive.extractfile(member)
    return Source(label, handle.read() if handle is not None else b"")


def _hidden(name: str) -> bool:
    return any(part.startswith(".") and part != "." for part in name.split("/"))


def _count_file(path: Path) -> int:
    kind = _kind(path.name)
    if kind == "archive":
        return _count_members(path)
    if kind == "mbox":
        return _count_from_lines(path)
    return 1


def _count_members(path: Path) -> int:
    """Members up to the first damage, plus the error line iter_messages yields for it."""
    count = 0
    try:
        with tarfile.open(path, mode="r|*") as archive:
            for member in archive:
                if member.isreg() and not _hidden(member.name):
                    count += 1
    except _ARCHIVE_ERRORS:
        return count + 1
    return count


def _count_from_lines(path: Path) -> int:
    """Lines starting ``From `` (an mbox separator or more), read in blocks."""
    count, previous = 0, b"\n"
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                count += (previous + block).count(b"\nFrom ")
                previous = block[-5:]
    except OSError:
        return 1
    return max(count, 1)
