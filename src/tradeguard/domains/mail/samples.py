"""Harmless sample files with the shape of what phishers attach, built in code, byte by byte.

The simulator and the tests need macro documents, a disk image, a sign-in page and ordinary
documents to screen. Each is inert: the macro documents are real VBA projects (MS-OVBA streams
inside an MS-CFB compound file, so olevba parses them exactly as it parses a document from
Word) whose code nobody runs, the disk image is empty, the sign-in page posts to a reserved
``.example`` name. The repository never holds real malware or real phishing pages.
"""

from __future__ import annotations

import io
import math
import struct
import zipfile
from dataclasses import dataclass
from html import escape

SECTOR = 2048
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # ZIP's earliest date: no clock in the bytes
ISO_DESCRIPTORS = 16 * SECTOR  # ISO 9660 leaves the first 16 sectors to the system area
MACRO_SOURCE = 'Sub AutoOpen()\r\n    Shell "calc.exe"\r\nEnd Sub\r\n'
CFB_SECTOR, CFB_MINI, CFB_CUTOFF = 512, 64, 4096
END_OF_CHAIN, FAT_SECTOR, NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
Storage = dict[str, "bytes | Storage"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One attachment: the name the reader sees, the declared type, the bytes."""

    name: str
    content_type: str
    data: bytes


def pdf(name: str, title: str) -> Sample:
    """A one-page PDF with a title in its metadata: what a supplier's quotation looks like."""
    info = title.encode("latin-1", "replace").replace(b"(", b"[").replace(b")", b"]")
    data = (
        b"%PDF-1.7\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"4 0 obj<</Title(" + info + b")/Producer(Microsoft Word)>>endobj\n"
        b"trailer<</Root 1 0 R/Info 4 0 R>>\n%%EOF\n"
    )
    return Sample(name, "application/pdf", data)


def iso_image(name: str, volume: str = "DOCS") -> Sample:
    """An empty ISO 9660 image: the primary volume descriptor and the set terminator, no files.

    Disk images carry malware past the "downloaded from the internet" warning; the analyser
    knows one by its descriptors, so an empty image is enough to show the finding.
    """
    label = volume.upper().encode("ascii", "replace")[:32].ljust(32)
    primary = b"\x01CD001\x01\x00" + b" " * 32 + label
    terminator = b"\xffCD001\x01"
    data = (
        bytes(ISO_DESCRIPTORS) + primary.ljust(SECTOR, b"\x00") + terminator.ljust(SECTOR, b"\x00")
    )
    return Sample(name, "application/octet-stream", data)


def login_page(name: str, *, brand: str, email: str, action: str) -> Sample:
    """A sign-in form sent as a file: it collects the password on the reader's own machine."""
    html = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(brand)} - Sign in to view document</title></head><body>"
        f"<h2>{escape(brand)}</h2><p>Sign in to view the shared document.</p>"
        f"<form method='post' action='{escape(action)}'>"
        f"<input type='email' name='login' value='{escape(email)}'>"
        "<input type='password' name='passwd' placeholder='Password'>"
        "<button type='submit'>View document</button></form></body></html>"
    )
    return Sample(name, "text/html", html.encode("utf-8"))


def macro_invoice(name: str, source: str = MACRO_SOURCE) -> Sample:
    """A macro-enabled Word file (.docm) whose project opens with ``AutoOpen``: the classic lure."""
    return Sample(name, "application/vnd.ms-word.document.macroEnabled.12", docm(source))


# --- MS-CFB: a compound file with FAT, directory, miniFAT and mini stream ------------------


class _Compound:
    """The directory entries of a compound file, flattened from a nested dict of storages."""

    def __init__(self, tree: Storage) -> None:
        self.names, self.types, self.data = ["Root Entry"], [5], [b""]
        self.children: list[list[int]] = [[]]
        self._add(0, tree)
        count = len(self.names)
        self.left, self.right, self.child = [NO_STREAM] * count, [NO_STREAM] * count, [0] * count
        for index in range(count):
            ordered = sorted(
                self.children[index], key=lambda k: (len(self.names[k]), self.names[k].upper())
            )
            self.child[index] = self._tree(ordered)

    def _add(self, parent: int, tree: Storage) -> None:
        for name, value in tree.items():
            index = len(self.names)
            self.names.append(name)
            self.children.append([])
            self.children[parent].append(index)
            self.types.append(2 if isinstance(value, bytes) else 1)
            self.data.append(value if isinstance(value, bytes) else b"")
            if not isinstance(value, bytes):
                self._add(index, value)

    def _tree(self, ordered: list[int]) -> int:
        """Siblings as a balanced binary tree in MS-CFB's name order (all black: olefile agrees)."""
        if not ordered:
            return NO_STREAM
        middle = len(ordered) // 2
        node = ordered[middle]
        self.left[node], self.right[node] = (
            self._tree(ordered[:middle]),
            self._tree(ordered[middle + 1 :]),
        )
        return node

    def entry(self, index: int, start: int, size: int) -> bytes:
        name = (self.names[index] + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIQ", name, len(name), self.types[index], 1, self.left[index],
            self.right[index], self.child[index], b"", 0, 0, 0, start, size,
        )  # fmt: skip


def _sectors(nbytes: int) -> int:
    return math.ceil(nbytes / CFB_SECTOR)


def compound_file(tree: Storage) -> bytes:
    """An MS-CFB v3 file; streams under 4,096 bytes live in the mini stream, as Office does."""
    cfb = _Compound(tree)
    count = len(cfb.names)
    starts, sizes = [0] * count, [len(d) for d in cfb.data]
    mini, minifat, big = bytearray(), list[int](), list[int]()
    for index in range(1, count):
        if cfb.types[index] != 2:
            continue
        if sizes[index] >= CFB_CUTOFF:
            big.append(index)
            continue
        used = max(1, math.ceil(sizes[index] / CFB_MINI))
        starts[index] = len(minifat)
        minifat += [*range(len(minifat) + 1, len(minifat) + used), END_OF_CHAIN]
        mini += cfb.data[index].ljust(used * CFB_MINI, b"\0")
    lengths = [_sectors(count * 128), _sectors(len(minifat) * 4), _sectors(len(mini))]
    lengths += [_sectors(sizes[i]) for i in big]
    fat_count = 1
    while fat_count * CFB_SECTOR // 4 < sum(lengths) + fat_count:
        fat_count += 1
    fat, chain_starts = [FAT_SECTOR] * fat_count, []
    for length in lengths:
        chain_starts.append(len(fat) if length else END_OF_CHAIN)
        fat += [*range(len(fat) + 1, len(fat) + length), END_OF_CHAIN] if length else []
    fat += [NO_STREAM] * (fat_count * CFB_SECTOR // 4 - len(fat))
    for index, start in zip(big, chain_starts[3:], strict=True):
        starts[index] = start
    starts[0], sizes[0] = chain_starts[2], len(mini)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII109I", bytes.fromhex("D0CF11E0A1B11AE1"), b"", 0x3E, 3, 0xFFFE,
        9, 6, b"", 0, fat_count, chain_starts[0], 0, CFB_CUTOFF, chain_starts[1],
        lengths[1], END_OF_CHAIN, 0, *range(fat_count), *[NO_STREAM] * (109 - fat_count),
    )  # fmt: skip
    directory = b"".join(cfb.entry(i, starts[i], sizes[i]) for i in range(count))
    bodies = [directory, struct.pack(f"<{len(minifat)}I", *minifat), bytes(mini)]
    bodies += [cfb.data[i] for i in big]
    fills = [b"\0", b"\xff", b"\0"] + [b"\0"] * len(big)  # free miniFAT entries are FFFFFFFF
    padded = b"".join(
        body.ljust(n * CFB_SECTOR, fill)
        for body, n, fill in zip(bodies, lengths, fills, strict=True)
    )
    return header + struct.pack(f"<{len(fat)}I", *fat) + padded


# --- MS-OVBA: a VBA project (dir, module, _VBA_PROJECT, PROJECT) ---------------------------


def ovba_compress(raw: bytes) -> bytes:
    """A CompressedContainer of literal-only chunks: a flag byte of 0 before every 8 bytes."""
    out = bytearray(b"\x01")
    for start in range(0, len(raw), 4096):
        chunk = raw[start : start + 4096]
        body = b"".join(b"\0" + chunk[i : i + 8] for i in range(0, len(chunk), 8))
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) - 1)) + body  # size - 3, signature, flag
        else:
            out += struct.pack("<H", 0x3FFF) + chunk.ljust(4096, b" ")  # a raw 4,096-byte chunk
    return bytes(out)


def _record(record_id: int, payload: bytes) -> bytes:
    return struct.pack("<HI", record_id, len(payload)) + payload


def u32(value: int) -> bytes:
    return struct.pack("<I", value)


def u16(value: int) -> bytes:
    return struct.pack("<H", value)


def _dir_stream(module: str) -> bytes:
    """The PROJECTINFORMATION, empty PROJECTREFERENCES and one-module PROJECTMODULES records."""
    name, wide = module.encode(), module.encode("utf-16-le")
    records = [
        _record(0x01, u32(1)), _record(0x02, u32(0x409)), _record(0x14, u32(0x409)),
        _record(0x03, u16(1252)), _record(0x04, b"VBAProject"), _record(0x05, b""),
        _record(0x40, b""), _record(0x06, b""), _record(0x3D, b""), _record(0x07, u32(0)),
        _record(0x08, u32(0)), struct.pack("<HIIH", 0x09, 4, 1, 0), _record(0x0C, b""),
        _record(0x3C, b""), _record(0x0F, u16(1)), _record(0x13, u16(0xFFFF)),
        _record(0x19, name), _record(0x47, wide), _record(0x1A, name), _record(0x32, wide),
        _record(0x1C, b""), _record(0x48, b""), _record(0x31, u32(0)), _record(0x1E, u32(0)),
        _record(0x2C, u16(0xFFFF)), struct.pack("<HI", 0x21, 0), struct.pack("<HI", 0x2B, 0),
        struct.pack("<HI", 0x10, 0),
    ]  # fmt: skip
    return ovba_compress(b"".join(records))


def vba_project(source: str = MACRO_SOURCE, module: str = "Module1") -> Storage:
    """The storages of one VBA project with one standard module holding ``source``."""
    project = (
        f'ID="{{00000000-0000-0000-0000-000000000000}}"\r\nModule={module}\r\n'
        f'Name="VBAProject"\r\nHelpContextID="0"\r\n\r\n[Workspace]\r\n{module}=0, 0, 0, 0, C\r\n'
    )
    code = f'Attribute VB_Name = "{module}"\r\n{source}'.encode("cp1252")
    return {
        "PROJECT": project.encode(),
        "VBA": {
            "_VBA_PROJECT": bytes.fromhex("CC61FFFF000000"),  # version FFFF: no p-code cache
            "dir": _dir_stream(module),
            module: ovba_compress(code),  # MODULEOFFSET is 0: the source starts the stream
        },
    }


def macro_doc(source: str = MACRO_SOURCE) -> bytes:
    """A Word 97-2003 style file: a WordDocument stream and the project under ``Macros``."""
    return compound_file(
        {"WordDocument": b"\xec\xa5\xc1\x00" + bytes(600), "Macros": vba_project(source)}
    )


def _ooxml(parts: dict[str, bytes]) -> bytes:
    """An Office Open XML package; entries dated 1980-01-01, so the same parts, the same bytes."""
    members = {
        "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
        "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
        "word/document.xml": b"<w:document><w:body>Invoice</w:body></w:document>",
        **parts,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(zipfile.ZipInfo(name, ZIP_EPOCH), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def docm(source: str = MACRO_SOURCE) -> bytes:
    """A macro-enabled Word 2007+ file: the project is ``word/vbaProject.bin``."""
    return _ooxml({"word/vbaProject.bin": compound_file(vba_project(source))})


def docx() -> bytes:
    return _ooxml({})
