"""What a container holds, read from its structure: archive names, macros, a web page's payload.

Only the parts that say what is inside are read (ZIP's central directory, the first RAR and 7z
headers, the VBA project streams through olevba, a web page's script and forms); nothing is
decompressed to disk, extracted or run, and nested archives are not opened, so a hostile file
costs at most its own size and a bounded listing.
"""

from __future__ import annotations

import re
import struct
import warnings
from dataclasses import dataclass

with warnings.catch_warnings():  # olevba 0.60 uses pyparsing names that warn on every import
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools import olevba  # type: ignore[import-untyped]

MAX_ZIP_NAMES = 1000
MAX_KEYWORDS = 5
BASE64_BLOB_CHARS = 2_000  # ~1.5 KB decoded: smaller than any payload worth smuggling
CHAR_CODE_BLOB_ITEMS = 500
_SMUGGLING_APIS = {
    "atob": re.compile(r"\batob\s*\("),
    "Blob": re.compile(r"new\s+Blob\s*\("),
    "createObjectURL": re.compile(r"createObjectURL"),
    "msSaveOrOpenBlob": re.compile(r"msSaveOrOpenBlob|msSaveBlob"),
    "download attribute": re.compile(r"\.download\s*=|\sdownload\s*=\s*[\"']", re.IGNORECASE),
}
# Each run is scanned once from its first character (look-behind, possessive): linear in the page.
_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{" + str(BASE64_BLOB_CHARS) + ",}+")
_INLINE_MEDIA = re.compile(r"data:(?:image|font|audio|video|text/css)[^,;]{0,60};base64,$", re.I)
_NUMBER_LIST_RUN = re.compile(r"(?<![\d,])(?<!,\s)(?<!,\s\s)(?:\d{1,3}+\s*+,\s*+){50,}+\d{0,3}")
_HEX_ESCAPE_RUN = re.compile(r"(?:\\x[0-9a-fA-F]{2})+")
_PASSWORD_INPUT = re.compile(r"<input\b[^>]{0,800}?type\s*=\s*[\"']?password", re.IGNORECASE)
_INPUT = re.compile(r"<input\b([^>]{0,800})>", re.IGNORECASE)
_HIDDEN = re.compile(r"type\s*=\s*[\"']?hidden", re.IGNORECASE)
# Not e-mail alone: newsletters ask for one to subscribe or forward; a kit asks for a log-in.
_CREDENTIAL_FIELD = re.compile(
    r"name\s*=\s*[\"']?[\w.\-]*(?:user|login|pass|pwd|account|otp|card|cvv)", re.IGNORECASE
)
_FORM = re.compile(r"<form\b([^>]{0,2000})>", re.IGNORECASE)
_FORM_ACTION = re.compile(r"action\s*=\s*[\"']?([^\"'\s>]{1,300})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ZipListing:
    """Member names read from a ZIP's own directory, and which of them are encrypted."""

    names: tuple[str, ...] = ()
    encrypted: tuple[str, ...] = ()


def zip_listing(data: bytes) -> ZipListing:
    """The central directory when it is there, else the local headers (a truncated attachment)."""
    entries = _central_directory(data) or _local_headers(data)
    names = tuple(name for name, _ in entries)
    return ZipListing(names, tuple(name for name, flags in entries if flags & 0x1))


def _central_directory(data: bytes) -> list[tuple[str, int]]:
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or len(data) < end + 22:
        return []
    count, size = struct.unpack_from("<HI", data, end + 10)
    position = end - size  # the directory sits right before its end record, even behind a stub
    entries: list[tuple[str, int]] = []
    while position >= 0 and len(entries) < min(count, MAX_ZIP_NAMES):
        if data[position : position + 4] != b"PK\x01\x02" or len(data) < position + 46:
            break
        flags = struct.unpack_from("<H", data, position + 8)[0]
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, position + 28)
        entries.append((_zip_name(data[position + 46 : position + 46 + name_len], flags), flags))
        position += 46 + name_len + extra_len + comment_len
    return entries


def _local_headers(data: bytes) -> list[tuple[str, int]]:
    position, entries = 0, list[tuple[str, int]]()
    while data[position : position + 4] == b"PK\x03\x04" and len(entries) < MAX_ZIP_NAMES:
        if len(data) < position + 30:
            break
        flags, _, _, _, _, packed, _, name_len, extra_len = struct.unpack_from(
            "<HHHHIIIHH", data, position + 6
        )
        entries.append((_zip_name(data[position + 30 : position + 30 + name_len], flags), flags))
        if flags & 0x8 and packed == 0:
            break  # the size follows the data; nothing says where the next header starts
        position += 30 + name_len + extra_len + packed
    return entries


def _zip_name(raw: bytes, flags: int) -> str:
    return raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace")


def rar_encrypted(data: bytes) -> bool:
    """RAR5 with an archive-encryption header, or RAR4 with encrypted headers or a locked file."""
    if data[:8] == b"Rar!\x1a\x07\x01\x00":
        _, position = _vint(data, 12)  # skip the header CRC, then the header size
        return _vint(data, position)[0] == 4
    if data[:7] != b"Rar!\x1a\x07\x00":
        return False
    position = 7
    for _ in range(50):
        if len(data) < position + 7:
            return False
        head_type, flags, head_size = struct.unpack_from("<BHH", data, position + 2)
        if (head_type == 0x73 and flags & 0x80) or (head_type == 0x74 and flags & 0x04):
            return True
        packed = struct.unpack_from("<I", data, position + 7)[0] if flags & 0x8000 else 0
        if head_size < 7:
            return False
        position += head_size + packed
    return False


def sevenzip_encrypted(data: bytes) -> bool:
    """True when the 7z header names the AES coder: the names, the contents or both are locked."""
    if data[:6] != b"7z\xbc\xaf\x27\x1c" or len(data) < 32:
        return False
    offset, size = struct.unpack_from("<QQ", data, 12)
    header = data[32 + offset : 32 + offset + min(size, 1 << 20)]
    return b"\x24\x06\xf1\x07\x01" in header  # coder flags (4-byte id, has properties) + AES id


def _vint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while position < len(data) and shift < 64:
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if not byte & 0x80:
            break
        shift += 7
    return value, position


@dataclass(frozen=True, slots=True)
class MacroScan:
    """What olevba found, reduced to what a finding needs; ``error`` when it could not read it."""

    vba: bool = False
    xlm: bool = False
    keywords: tuple[str, ...] = ()  # auto-run triggers first, then suspicious calls
    error: str = ""


def scan_macros(filename: str, data: bytes) -> MacroScan:
    """olevba behind a typed wall: any failure becomes ``error``, an unreadable file is no crash."""
    try:
        parser = olevba.VBA_Parser(filename or "attachment", data=data, disable_pcode=True)
    except Exception as exc:  # oletools raises many types, including bare ValueError and OSError
        return MacroScan(error=f"not readable as an Office document ({type(exc).__name__})")
    if parser.type == olevba.TYPE_TEXT:  # olevba's fallback reads any text as VBA source
        parser.close()
        return MacroScan(error="not readable as an Office document (plain text)")
    try:
        vba, xlm = bool(parser.detect_vba_macros()), bool(parser.detect_xlm_macros())
        results = parser.analyze_macros() if vba or xlm else None
        wanted = [str(kw) for kind, kw, _ in results or () if kind in ("AutoExec", "Suspicious")]
        return MacroScan(vba, xlm, tuple(dict.fromkeys(wanted))[:MAX_KEYWORDS])
    except Exception as exc:
        return MacroScan(error=f"macro analysis failed ({type(exc).__name__})")
    finally:
        parser.close()


def smuggled_payload(text: str) -> tuple[list[str], str]:
    """The file-building browser calls a page uses, and its largest encoded blob ("" if none)."""
    apis = [name for name, pattern in _SMUGGLING_APIS.items() if pattern.search(text)]
    return apis, _largest_blob(text) if apis else ""


def _largest_blob(text: str) -> str:
    """The largest encoded payload, described; "" when none is big enough to be a file."""
    runs = _BASE64_RUN.finditer(text)
    base64 = max((len(m[0]) for m in runs if not _is_inline_media(text, m.start())), default=0)
    if base64 >= BASE64_BLOB_CHARS:
        return f"base64 text of {base64:,} characters"
    lists = _NUMBER_LIST_RUN.finditer(text) if text.count(",") >= CHAR_CODE_BLOB_ITEMS else ()
    codes = max((m[0].count(",") for m in lists), default=0)
    if codes >= CHAR_CODE_BLOB_ITEMS:
        return f"a list of {codes + 1:,} character codes"
    escapes = max((len(m[0]) // 4 for m in _HEX_ESCAPE_RUN.finditer(text)), default=0)
    if escapes >= CHAR_CODE_BLOB_ITEMS:
        return f"{escapes:,} escaped bytes"
    return ""


def _is_inline_media(text: str, start: int) -> bool:
    """An image or font inlined as a data: URI is page decoration, not a file being smuggled."""
    return start >= 8 and bool(_INLINE_MEDIA.search(text, max(0, start - 80), start))


@dataclass(frozen=True, slots=True)
class LoginForm:
    """A web page that asks for a log-in: whether it has a password box, and where it posts."""

    password: bool
    action: str  # the first form's action as written, "" when there is none


def login_form(text: str) -> LoginForm | None:
    """A password box, or a form asking for account details: a newsletter's search box is not."""
    password = _PASSWORD_INPUT.search(text) is not None
    form = _FORM.search(text)
    if not (password or (form and _asks_for_account(text))):
        return None
    action = _FORM_ACTION.search(form[1]) if form else None
    return LoginForm(password, action[1] if action else "")


def _asks_for_account(text: str) -> bool:
    """A visible field for a user name, card or code (hidden fields are the sender's own)."""
    fields = (m[1] for m in _INPUT.finditer(text))
    return any(_CREDENTIAL_FIELD.search(f) and not _HIDDEN.search(f) for f in fields)
