"""What an attachment really is, read from its bytes in memory: never unpacked, opened or run.

Magic bytes decide first because a sender chooses the name and the declared type; the name
decides only where the bytes say nothing specific (scripts and text have no magic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from tradeguard.domains.mail.containers import zip_listing

Kind = Literal[
    "pe", "elf", "macho", "script", "shortcut", "office_ole", "ooxml", "pdf", "zip", "rar", "7z",
    "gz", "disk_image", "html", "onenote", "image", "text", "other",
]  # fmt: skip
EXECUTABLE_KINDS: frozenset[Kind] = frozenset({"pe", "elf", "macho"})

EXECUTABLE_EXTENSIONS = frozenset({"exe", "scr", "com", "pif", "msi", "dll", "cpl"})
SCRIPT_EXTENSIONS = frozenset({"js", "jse", "vbs", "vbe", "wsf", "wsh", "hta", "ps1", "bat", "cmd"})
SHORTCUT_EXTENSIONS = frozenset({"lnk", "url"})
DISK_IMAGE_EXTENSIONS = frozenset({"iso", "img", "vhd", "vhdx", "dmg"})
RUNNABLE_EXTENSIONS = EXECUTABLE_EXTENSIONS | SCRIPT_EXTENSIONS | SHORTCUT_EXTENSIONS
# A page that opens in the browser while its name says spreadsheet is the credential lure's shape.
WEB_PAGE_EXTENSIONS = frozenset({"htm", "html", "shtml", "xhtml", "svg"})
# What a disguised program pretends to be: the names people open without a second thought.
DECOY_EXTENSIONS = frozenset(
    ("pdf", "doc", "docx", "docm", "xls", "xlsx", "xlsm", "ppt", "pptx", "rtf", "odt", "ods",
     "txt", "csv", "jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "htm", "html", "zip", "rar",
     "mp3", "mp4", "wav")
)  # fmt: skip

_EXTENSION_KINDS: dict[str, Kind] = {
    **dict.fromkeys(("exe", "scr", "com", "pif", "dll", "cpl", "sys"), "pe"),
    **dict.fromkeys(SCRIPT_EXTENSIONS, "script"),
    **dict.fromkeys(SHORTCUT_EXTENSIONS, "shortcut"),
    **dict.fromkeys(DISK_IMAGE_EXTENSIONS, "disk_image"),
    **dict.fromkeys(("doc", "dot", "xls", "xlt", "ppt", "pps", "msg", "msi"), "office_ole"),
    **dict.fromkeys(
        ("docx", "docm", "dotx", "dotm", "xlsx", "xlsm", "xlsb", "xltm", "pptx", "pptm", "ppsm",
         "potm"), "ooxml",
    ),
    **dict.fromkeys(("htm", "html", "xhtml", "shtml", "svg", "mht", "mhtml"), "html"),
    **dict.fromkeys(
        ("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp", "ico", "heic"), "image"
    ),
    **dict.fromkeys(("txt", "csv", "log", "md"), "text"),
    **dict.fromkeys(("one", "onepkg"), "onenote"),
    "pdf": "pdf", "zip": "zip", "rar": "rar", "7z": "7z", "gz": "gz", "tgz": "gz",
}  # fmt: skip

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
LNK_MAGIC = bytes.fromhex("4C0000000114020000000000C000000000000046")
ONENOTE_MAGIC = bytes.fromhex("E4525C7B8CD8A74DAEB15378D02996D3")
_MAGIC: tuple[tuple[int, bytes, Kind], ...] = (
    (0, b"\x7fELF", "elf"),
    *((0, m, "macho") for m in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe")),
    (0, b"\xcf\xfa\xed\xfe", "macho"),
    (0, OLE_MAGIC, "office_ole"),
    (0, b"Rar!\x1a\x07", "rar"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"\x1f\x8b", "gz"),
    (0, LNK_MAGIC, "shortcut"),
    (0, ONENOTE_MAGIC, "onenote"),
    (0, b"vhdxfile", "disk_image"),
    (0, b"conectix", "disk_image"),
    *((offset, b"CD001", "disk_image") for offset in (0x8001, 0x8801, 0x9001)),
    *((0, m, "image") for m in (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")),
    *((0, m, "image") for m in (b"II*\x00", b"MM\x00*")),
)
_HTML_START = re.compile(rb"<!doctype html|<html[\s>]|<head[\s>]|<body[\s>]|<svg[\s>]|^\s*<script")
_CONTENT_TYPE_KINDS: dict[str, Kind] = {
    "text/html": "html",
    "image/svg+xml": "html",
    "application/pdf": "pdf",
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
}
_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def extension(filename: str) -> str:
    """The last extension, lower-case and without the dot or padding ("" when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    return ext.strip().lower() if dot and stem else ""


def magic_kind(data: bytes) -> Kind | None:
    """The kind the bytes prove, or None when they carry no signature worth trusting."""
    if _is_pe(data):
        return "pe"
    for offset, signature, kind in _MAGIC:
        if data[offset : offset + len(signature)] == signature:
            return kind
    if data[:4] == b"\xca\xfe\xba\xbe" and 0 < int.from_bytes(data[4:8], "big") < 30:
        return "macho"  # a universal binary; Java classes share the magic but not the small count
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        names = zip_listing(data).names
        return "ooxml" if "[Content_Types].xml" in names else "zip"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image"
    if len(data) >= 512 and (data[-512:-504] == b"conectix" or data[-512:-508] == b"koly"):
        return "disk_image"  # fixed VHD and Apple DMG keep their signature in a trailing footer
    return None


def detect_kind(data: bytes, filename: str, content_type: str = "") -> Kind:
    """Magic bytes, then the name, then an HTML sniff, then the declared type, then text/other."""
    by_name = _EXTENSION_KINDS.get(extension(filename))
    if found := magic_kind(data):
        return found
    if by_name:
        return by_name
    if _HTML_START.search(data[:1024].lower()):
        return "html"
    if declared := _CONTENT_TYPE_KINDS.get(content_type.split(";")[0].strip()):
        return declared
    return "text" if _looks_like_text(data[:4096]) else "other"


def disk_image_format(data: bytes, filename: str) -> str:
    """A name for the image format, for the evidence a person reads."""
    if data[:8] == b"vhdxfile":
        return "VHDX"
    if data[:8] == b"conectix" or data[-512:-504] == b"conectix":
        return "VHD"
    if data[-512:-508] == b"koly":
        return "DMG"
    if any(data[o : o + 5] == b"CD001" for o in (0x8001, 0x8801, 0x9001)):
        return "ISO"
    return extension(filename).upper() or "disk image"


@dataclass(frozen=True, slots=True)
class Disguise:
    """A name built to look like a harmless document while it is a program or a script."""

    reason: Literal["bidi_control", "double_extension", "padded_extension"]
    real_extension: str
    shown_as: str  # what the reader sees: the reversed text for a bidi trick, the decoy otherwise


def disguise(filename: str) -> Disguise | None:
    """A right-to-left override, or a decoy extension or padding before a runnable or web one."""
    if _BIDI_CONTROLS.search(filename):
        return Disguise(
            "bidi_control", extension(_BIDI_CONTROLS.sub("", filename)), _shown(filename)
        )
    ext = extension(filename)
    if ext not in RUNNABLE_EXTENSIONS | WEB_PAGE_EXTENSIONS:
        return None
    stem = filename.rpartition(".")[0]
    decoy = extension(stem)
    if decoy in DECOY_EXTENSIONS and not {decoy, ext} <= WEB_PAGE_EXTENSIONS:
        return Disguise("double_extension", ext, decoy)
    if re.search(r"\s{3,}$|_{6,}$", stem):
        return Disguise("padded_extension", ext, stem.strip(" _"))
    return None


def _shown(filename: str) -> str:
    """Roughly what a right-to-left override makes the name look like: the tail reversed."""
    head, _, tail = filename.partition("\u202e")
    return _BIDI_CONTROLS.sub("", head + tail[::-1])


def _is_pe(data: bytes) -> bool:
    if data[:2] != b"MZ" or len(data) < 64:
        return False
    pe_offset = int.from_bytes(data[0x3C:0x40], "little")
    return data[pe_offset : pe_offset + 4] == b"PE\x00\x00"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return head[:2] in (b"\xff\xfe", b"\xfe\xff")  # UTF-16 with a byte-order mark
    printable = sum(1 for b in head if b >= 32 or b in (9, 10, 13))
    return printable >= 0.95 * len(head)
