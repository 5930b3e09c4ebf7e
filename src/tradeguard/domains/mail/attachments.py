"""Attachment screening: what each file really is, and the tricks used to deliver malware by mail.

Everything is read as bytes in memory: nothing is unpacked to disk, opened by another program,
fetched or run. Each check adds a :class:`Finding` whose code rules test and whose detail a
non-expert can read; :class:`AttachmentFacts` keeps the same picture per file for the console.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tradeguard.domains.mail import filetypes as ft
from tradeguard.domains.mail.containers import (
    login_form,
    rar_encrypted,
    scan_macros,
    sevenzip_encrypted,
    smuggled_payload,
    zip_listing,
)
from tradeguard.domains.mail.message import Attachment, Finding
from tradeguard.domains.mail.yara_rules import YaraRules

CODES = (
    "executable_attachment", "script_attachment", "macro_attachment", "html_smuggling",
    "html_attachment_form", "encrypted_archive", "archive_with_executable", "disk_image",
    "double_extension", "type_mismatch", "yara_match",
)  # fmt: skip
MAX_LISTED = 5  # names and keywords shown in one finding; the console has one line for them
HTML_SCAN_BYTES = 4 << 20
_DOCUMENT_TYPES = ("image/", "text/", "audio/", "video/", "application/pdf", "application/rtf")
_OFFICE_TYPES = ("application/msword", "application/vnd.ms-", "application/vnd.openxmlformats")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True, slots=True)
class AttachmentFacts:
    """One attachment as the console shows it: what it is and which checks fired on it."""

    filename: str
    content_type: str
    size: int
    sha256: str  # of the bytes held, which is the first part only when ``truncated`` in details
    kind: ft.Kind
    flags: tuple[str, ...] = ()
    details: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types (tuples become lists), ready for an API response or a log line."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass(slots=True)
class _Subject:
    """One attachment being screened, with what the checks have found so far."""

    attachment: Attachment
    magic: ft.Kind | None
    kind: ft.Kind
    findings: list[Finding] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The name for sentences: hidden controls made visible so they cannot reorder the text."""
        shown = _CONTROLS.sub(lambda m: f"<U+{ord(m[0]):04X}>", self.attachment.filename)
        return shown or "(unnamed attachment)"

    def add(self, code: str, detail: str, **evidence: str) -> None:
        self.findings.append(
            Finding(code, detail, {"filename": self.attachment.filename, **evidence})
        )


def analyse_attachments(
    attachments: Sequence[Attachment], *, yara: YaraRules | None = None
) -> tuple[list[Finding], list[AttachmentFacts]]:
    """Every finding for the message's attachments, plus one :class:`AttachmentFacts` each."""
    findings: list[Finding] = []
    facts: list[AttachmentFacts] = []
    for attachment in attachments:
        subject = _screen(attachment, yara)
        findings.extend(subject.findings)
        facts.append(_facts(subject))
    return findings, facts


def describe(attachment: Attachment, *, yara: YaraRules | None = None) -> AttachmentFacts:
    """The facts for one attachment, with the codes of the checks that fired as ``flags``."""
    return _facts(_screen(attachment, yara))


def _screen(attachment: Attachment, yara: YaraRules | None) -> _Subject:
    data, name = attachment.data, attachment.filename
    magic = ft.magic_kind(data)
    kind = magic or ft.detect_kind(data, name, attachment.content_type)
    subject = _Subject(attachment, magic, kind)
    if attachment.truncated:
        subject.details.append(f"truncated: only the first {len(data):,} bytes were checked")
    for check in _CHECKS:
        check(subject)
    if yara is not None:
        _check_yara(subject, yara)
    return subject


def _facts(subject: _Subject) -> AttachmentFacts:
    a = subject.attachment
    return AttachmentFacts(
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=hashlib.sha256(a.data).hexdigest(),
        kind=subject.kind,
        flags=tuple(dict.fromkeys(f.code for f in subject.findings)),
        details=tuple(subject.details),
    )


def _check_executable(s: _Subject) -> None:
    ext = ft.extension(s.attachment.filename)
    if s.kind in ft.EXECUTABLE_KINDS or ext in ft.EXECUTABLE_EXTENSIONS:
        system = {"elf": "Linux", "macho": "macOS"}.get(s.kind, "Windows")
        s.add(
            "executable_attachment",
            f"{s.name} is a {system} program: opening it runs its code on the computer.",
            kind=s.kind,
        )


def _check_script(s: _Subject) -> None:
    ext = ft.extension(s.attachment.filename)
    if ext in ft.SCRIPT_EXTENSIONS or ext in ft.SHORTCUT_EXTENSIONS or s.magic == "shortcut":
        what = "shortcut" if s.kind == "shortcut" else "script"
        s.add(
            "script_attachment",
            f"{s.name} is a {what} file: opening it runs commands instead of showing a document.",
            extension=f".{ext}" if ext else "",
        )


def _check_macros(s: _Subject) -> None:
    if s.kind not in ("office_ole", "ooxml"):
        return
    scan = scan_macros(s.attachment.filename, s.attachment.data)
    if scan.error:
        s.details.append(f"macro scan: {scan.error}")
    if not (scan.vba or scan.xlm):
        return
    kinds = ", ".join(k for k, on in (("VBA", scan.vba), ("XLM", scan.xlm)) if on)
    keywords = ", ".join(scan.keywords)
    s.details.append(f"macros: {kinds}" + (f" ({keywords})" if keywords else ""))
    s.add(
        "macro_attachment",
        f"{s.name} contains macros, small programs inside the document"
        + (f" that use {keywords}." if keywords else "."),
        macro_type=kinds,
        keywords=keywords,
    )


def _check_html(s: _Subject) -> None:
    if s.kind != "html":
        return
    text = s.attachment.data[:HTML_SCAN_BYTES].decode("utf-8", errors="replace")
    _check_smuggling(s, text)
    _check_form(s, text)


def _check_smuggling(s: _Subject, text: str) -> None:
    if "<script" not in text.lower():
        return
    apis, blob = smuggled_payload(text)
    if apis and blob:
        s.add(
            "html_smuggling",
            f"{s.name} is a web page whose script builds a hidden file and saves it to the "
            "computer, a trick to carry malware past mail filters.",
            apis=", ".join(apis),
            blob=blob,
        )


def _check_form(s: _Subject, text: str) -> None:
    form = login_form(text)
    if form is None:
        return
    what = "a password box" if form.password else "a form asking for account details"
    s.add(
        "html_attachment_form",
        f"{s.name} is a web page with {what}; a log-in page sent as an attachment is a common "
        "way to steal passwords.",
        password_field="yes" if form.password else "no",
        form_action=form.action,
    )


def _check_archive(s: _Subject) -> None:
    if s.kind == "zip":
        listing = zip_listing(s.attachment.data)
        s.details.append(f"zip members listed: {len(listing.names):,}")
        if listing.encrypted:
            _add_encrypted(s, "ZIP", ", ".join(listing.encrypted[:MAX_LISTED]))
        _check_members(s, listing.names)
    elif s.kind == "rar" and rar_encrypted(s.attachment.data):
        _add_encrypted(s, "RAR", "")
    elif s.kind == "7z" and sevenzip_encrypted(s.attachment.data):
        _add_encrypted(s, "7z", "")


def _add_encrypted(s: _Subject, archive_format: str, members: str) -> None:
    s.add(
        "encrypted_archive",
        f"{s.name} is a password-protected archive, so nothing can check what is inside; "
        "sending the password in the message is a common way to slip malware past filters.",
        format=archive_format,
        encrypted_members=members,
    )


def _check_members(s: _Subject, names: Sequence[str]) -> None:
    risky_extensions = ft.RUNNABLE_EXTENSIONS | ft.DISK_IMAGE_EXTENSIONS
    risky = [n for n in names if ft.extension(n.rpartition("/")[2]) in risky_extensions]
    if risky:
        s.add(
            "archive_with_executable",
            f"{s.name} is an archive that holds programs, scripts or disk images "
            f"({', '.join(risky[:MAX_LISTED])}).",
            members=", ".join(risky[:MAX_LISTED]),
            count=str(len(risky)),
        )


def _check_disk_image(s: _Subject) -> None:
    if s.kind == "disk_image":
        image_format = ft.disk_image_format(s.attachment.data, s.attachment.filename)
        s.add(
            "disk_image",
            f"{s.name} is a disk image ({image_format}); files inside it escape the warning "
            "Windows shows for files from the internet.",
            format=image_format,
        )


def _check_name(s: _Subject) -> None:
    trick = ft.disguise(s.attachment.filename)
    if trick is None:
        return
    real = f".{trick.real_extension}" if trick.real_extension else "another type"
    if trick.reason == "bidi_control":
        detail = (
            f"The name {s.name} hides a character that reverses text, so it shows as "
            f"{trick.shown_as} while it is really a {real} file."
        )
    elif trick.reason == "double_extension":
        detail = f"{s.name} is named to look like a .{trick.shown_as} file but is really {real}."
    else:
        detail = f"{s.name} hides its real extension, {real}, behind a run of blank characters."
    s.add("double_extension", detail, real_extension=real, shown_as=trick.shown_as)


def _check_type_mismatch(s: _Subject) -> None:
    if s.magic not in ft.EXECUTABLE_KINDS:
        return
    declared = s.attachment.content_type
    ext = ft.extension(s.attachment.filename)
    named_as = f"a .{ext} file" if ext in ft.DECOY_EXTENSIONS else ""
    typed_as = f"type {declared}" if declared.startswith(_DOCUMENT_TYPES + _OFFICE_TYPES) else ""
    if claimed := named_as or typed_as:
        s.add(
            "type_mismatch",
            f"{s.name} is presented as {claimed} but its contents are a program.",
            declared=claimed,
            detected=str(s.magic),
        )


def _check_yara(s: _Subject, yara: YaraRules) -> None:
    scan = yara.scan(s.attachment.data, filename=s.attachment.filename)
    if scan.note:
        s.details.append(scan.note)
    if scan.rules:
        names = ", ".join(scan.rules)
        s.add("yara_match", f"{s.name} matches the malware-detection rules {names}.", rules=names)


_CHECKS: tuple[Callable[[_Subject], None], ...] = (
    _check_executable,
    _check_script,
    _check_macros,
    _check_html,
    _check_archive,
    _check_disk_image,
    _check_name,
    _check_type_mismatch,
)
