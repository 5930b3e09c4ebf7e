"""Attachment screening: every code fires on its trick and stays quiet on a harmless lookalike."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.domains.mail import fixtures_attachments as fx
from tradeguard.domains.mail.attachments import CODES, analyse_attachments, describe
from tradeguard.domains.mail.containers import MAX_ZIP_NAMES, scan_macros, zip_listing
from tradeguard.domains.mail.filetypes import detect_kind
from tradeguard.domains.mail.message import Attachment, Finding


def findings(
    filename: str, data: bytes, content_type: str = "application/octet-stream"
) -> list[Finding]:
    found, _ = analyse_attachments([fx.attachment(filename, data, content_type)])
    return found


def codes(filename: str, data: bytes, content_type: str = "application/octet-stream") -> set[str]:
    return {f.code for f in findings(filename, data, content_type)}


def one(code: str, filename: str, data: bytes, content_type: str = "") -> Finding:
    matching = [f for f in findings(filename, data, content_type) if f.code == code]
    assert len(matching) == 1, matching
    return matching[0]


@pytest.mark.parametrize(
    ("filename", "data", "content_type", "kind"),
    [
        ("a.bin", fx.pe(), "", "pe"),
        ("a.scr", b"not really", "", "pe"),
        ("a", fx.elf(), "", "elf"),
        ("a", b"\xcf\xfa\xed\xfe" + bytes(60), "", "macho"),
        ("a.js", b"WScript.Echo('x')", "", "script"),
        ("a.hta", b"<html><script>1</script></html>", "", "script"),
        ("a.dat", fx.lnk(), "", "shortcut"),
        ("a.url", b"[InternetShortcut]\r\nURL=https://x.example/\r\n", "", "shortcut"),
        ("a.doc", fx.macro_doc(), "", "office_ole"),
        ("a.zip", fx.docx(), "", "ooxml"),
        ("a.pdf", fx.pdf(), "", "pdf"),
        ("a.docx", fx.zip_of({"a.txt": b"x"}), "", "zip"),
        ("a", fx.rar5(encrypted_headers=False), "", "rar"),
        ("a", fx.sevenzip(aes=False), "", "7z"),
        ("a", b"\x1f\x8b\x08\x00" + bytes(20), "", "gz"),
        ("a.pdf", fx.iso(), "", "disk_image"),
        ("a", fx.vhdx(), "", "disk_image"),
        ("a.img", bytes(2048), "", "disk_image"),
        ("a", b"\n <!DOCTYPE html><html></html>", "", "html"),
        ("a.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "", "html"),
        ("a", b"hello", "text/html", "html"),
        ("a", fx.onenote_with_file(), "", "onenote"),
        ("a.jpg", fx.png(), "", "image"),
        ("notes", b"plain words\n", "", "text"),
        ("blob", bytes(range(256)), "", "other"),
    ],
)
def test_kind_comes_from_magic_bytes_first_then_the_name(
    filename: str, data: bytes, content_type: str, kind: str
) -> None:
    assert describe(fx.attachment(filename, data, content_type)).kind == kind
    assert detect_kind(data, filename, content_type) == kind


@pytest.mark.parametrize(
    ("filename", "data"),
    [("setup.exe", fx.pe()), ("a.scr", b"x"), ("tool", fx.elf()), ("x.msi", b"x"), ("y.cpl", b"")],
)
def test_executable_attachment_fires_on_program_bytes_or_names(filename: str, data: bytes) -> None:
    assert "executable_attachment" in codes(filename, data)


def test_executable_attachment_ignores_a_real_pdf() -> None:
    assert codes("report.pdf", fx.pdf(), "application/pdf") == set()


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("invoice.js", b"var x = 1;"),
        ("run.ps1", b"Write-Host 1"),
        ("doc.hta", b"<html></html>"),
        ("a.lnk", fx.lnk()),
        ("no-extension", fx.lnk()),
        ("portal.url", b"[InternetShortcut]\r\nURL=https://x.example/"),
    ],
)
def test_script_attachment_fires_on_scripts_and_shortcuts(filename: str, data: bytes) -> None:
    assert "script_attachment" in codes(filename, data)


@pytest.mark.parametrize("filename", ["notes.txt", "data.json", "readme.md"])
def test_script_attachment_ignores_text_files(filename: str) -> None:
    assert codes(filename, b"{'a': 'var x = 1;'}") == set()


def test_macro_fixture_is_a_vba_project_olevba_reads() -> None:
    # imported here, after containers has imported it without pyparsing's deprecation noise
    from oletools.olevba import VBA_Parser  # type: ignore[import-untyped]

    parser = VBA_Parser("invoice.doc", data=fx.macro_doc())
    assert parser.detect_vba_macros()
    sources = [code for _, _, _, code in parser.extract_all_macros()]
    assert any(fx.MACRO_SOURCE in code for code in sources)
    keywords = {(kind, keyword) for kind, keyword, _ in parser.analyze_macros()}
    assert {("AutoExec", "AutoOpen"), ("Suspicious", "Shell")} <= keywords
    parser.close()


@pytest.mark.parametrize(
    ("filename", "data"), [("invoice.doc", fx.macro_doc()), ("invoice.docm", fx.docm())]
)
def test_macro_attachment_lists_auto_run_and_suspicious_keywords(
    filename: str, data: bytes
) -> None:
    finding = one("macro_attachment", filename, data)
    assert finding.evidence["keywords"] == "AutoOpen, Shell"
    assert finding.evidence["macro_type"] == "VBA"
    assert "macros" in finding.detail


def test_macro_keywords_are_bounded() -> None:
    source = (
        "Sub AutoOpen()\r\n"
        + "".join(
            f'    {call} "x"\r\n'
            for call in ("Shell", "Kill", "CreateObject", "Environ", "CallByName")
        )
        + '    ShellExecute "x"\r\n    URLDownloadToFileA "x"\r\nEnd Sub\r\n'
    )
    assert len(scan_macros("a.doc", fx.macro_doc(source)).keywords) == 5


def test_macro_attachment_ignores_a_docx_without_macros() -> None:
    assert codes("report.docx", fx.docx()) == set()


@pytest.mark.parametrize(
    "data", [fx.macro_doc()[:700], fx.macro_doc()[:512] + bytes(3000), b"\xd0\xcf\x11\xe0" * 9]
)
def test_an_unreadable_office_file_is_a_note_not_a_crash(data: bytes) -> None:
    facts = describe(fx.attachment("broken.doc", data))
    assert "macro_attachment" not in facts.flags


def test_html_smuggling_fires_on_a_page_that_builds_a_file() -> None:
    finding = one("html_smuggling", "Invoice.html", fx.smuggling_page(), "text/html")
    assert "atob" in finding.evidence["apis"]
    assert "download attribute" in finding.evidence["apis"]
    assert finding.evidence["blob"].startswith("base64 text of")


def test_html_smuggling_also_sees_character_code_blobs_in_svg() -> None:
    numbers = ",".join(str(b) for b in fx.pe() * 2)
    page = f"<svg><script>var b=new Blob([new Uint8Array([{numbers}])]);</script></svg>"
    assert "html_smuggling" in codes("image.svg", page.encode())


@pytest.mark.parametrize(
    "page",
    [
        fx.newsletter(),
        fx.newsletter().replace(b"</body>", b"<script>var a=atob('aGk=');</script></body>"),
        b"<html><script>var x = 'A'.repeat(3000);</script><p>" + b"A" * 5000 + b"</p></html>",
    ],
)
def test_html_smuggling_ignores_pages_without_a_builder_and_a_blob(page: bytes) -> None:
    assert "html_smuggling" not in codes("newsletter.html", page, "text/html")


def test_html_attachment_form_fires_on_a_login_page() -> None:
    finding = one("html_attachment_form", "secure-message.htm", fx.login_page())
    assert finding.evidence["password_field"] == "yes"
    assert finding.evidence["form_action"] == "https://collector.example/next.php"


def test_html_attachment_form_fires_on_an_account_form_without_a_password_box() -> None:
    page = b'<form action="step2.php"><input type="text" name="username"></form>'
    finding = one("html_attachment_form", "verify.html", page)
    assert finding.evidence["password_field"] == "no"
    assert finding.evidence["form_action"] == "step2.php"


@pytest.mark.parametrize("page", [fx.newsletter(), fx.subscribe_form()])
def test_html_attachment_form_ignores_newsletters(page: bytes) -> None:
    assert codes("newsletter.html", page, "text/html") == set()


@pytest.mark.parametrize(
    ("filename", "data", "archive_format"),
    [
        ("docs.zip", fx.encrypted_zip({"scan.pdf": b"%PDF-"}), "ZIP"),
        ("docs.rar", fx.rar5(encrypted_headers=True), "RAR"),
        ("docs.rar", fx.rar4(encrypted_headers=True), "RAR"),
        ("docs.7z", fx.sevenzip(aes=True), "7z"),
    ],
)
def test_encrypted_archive_fires(filename: str, data: bytes, archive_format: str) -> None:
    assert one("encrypted_archive", filename, data).evidence["format"] == archive_format


@pytest.mark.parametrize(
    "data",
    [
        fx.zip_of({"a.txt": b"x", "b.txt": b"y"}),
        fx.rar5(encrypted_headers=False),
        fx.rar4(encrypted_headers=False),
        fx.sevenzip(aes=False),
    ],
)
def test_encrypted_archive_ignores_plain_archives(data: bytes) -> None:
    assert codes("docs", data) == set()


@pytest.mark.parametrize("member", ["Invoice.exe", "x/setup.msi", "run.js", "a.lnk", "disk.iso"])
def test_archive_with_executable_names_the_members(member: str) -> None:
    data = fx.zip_of({"readme.txt": b"x", member: b"y"})
    assert one("archive_with_executable", "docs.zip", data).evidence["members"] == member


def test_archive_with_executable_ignores_a_zip_of_text_files() -> None:
    assert codes("docs.zip", fx.zip_of({"a.txt": b"x", "b/c.csv": b"y"})) == set()


def test_zip_listing_is_bounded_and_survives_truncation() -> None:
    many = fx.zip_of({f"f{i}.txt": b"" for i in range(MAX_ZIP_NAMES + 200)})
    assert len(zip_listing(many).names) == MAX_ZIP_NAMES
    cut = fx.zip_of({"a.txt": b"x" * 100, "payload.exe": b"y" * 100, "z.txt": b"z" * 5000})[:400]
    assert "payload.exe" in zip_listing(cut).names


@pytest.mark.parametrize(
    ("filename", "data", "image_format"),
    [("a.iso", fx.iso(), "ISO"), ("b.bin", fx.vhdx(), "VHDX"), ("c.img", bytes(4096), "IMG")],
)
def test_disk_image_fires(filename: str, data: bytes, image_format: str) -> None:
    assert one("disk_image", filename, data).evidence["format"] == image_format


def test_disk_image_ignores_a_pdf() -> None:
    assert "disk_image" not in codes("statement.pdf", fx.pdf())


@pytest.mark.parametrize(
    ("filename", "real", "shown"),
    [
        ("invoice.pdf.exe", ".exe", "pdf"),
        ("report.docx            .js", ".js", "docx"),
        ("Payment                 .scr", ".scr", "Payment"),
        ("invoice\u202efdp.exe", ".exe", "invoiceexe.pdf"),
        ("photo\u202egpj.hta", ".hta", "photoath.jpg"),
        ("PO45638 - PO76483.Xls.htm", ".htm", "xls"),
    ],
)
def test_double_extension_fires_on_disguised_names(filename: str, real: str, shown: str) -> None:
    finding = one("double_extension", filename, b"x")
    assert finding.evidence == {"filename": filename, "real_extension": real, "shown_as": shown}
    assert "\u202e" not in finding.detail  # the hidden character must not reorder the sentence


@pytest.mark.parametrize(
    "filename", ["report.final.pdf", "setup.v2.exe", "a.tar.gz", "x.pdf.txt", "saved.htm.html"]
)
def test_double_extension_ignores_ordinary_dotted_names(filename: str) -> None:
    assert "double_extension" not in codes(filename, b"x")


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("invoice.pdf", "application/octet-stream"), ("scan", "image/jpeg"), ("a.doc", "")],
)
def test_type_mismatch_fires_when_a_document_is_a_program(filename: str, content_type: str) -> None:
    finding = one("type_mismatch", filename, fx.pe(), content_type)
    assert finding.evidence["detected"] == "pe"


@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("setup.exe", fx.pe(), "application/octet-stream"),
        ("report.pdf", fx.pdf(), "application/pdf"),
    ],
)
def test_type_mismatch_ignores_honest_files(filename: str, data: bytes, content_type: str) -> None:
    assert "type_mismatch" not in codes(filename, data, content_type)


def test_facts_are_json_ready_and_carry_the_flags() -> None:
    data = fx.zip_of({"Invoice.pdf.exe": b"x"})
    cut = Attachment("docs.zip", "application/zip", size=99_999, data=data, truncated=True)
    found, [facts] = analyse_attachments([cut])
    assert facts.flags == ("archive_with_executable",)
    assert facts.sha256 == hashlib.sha256(data).hexdigest()
    assert facts.size == 99_999
    assert any(d.startswith("truncated") for d in facts.details)
    assert json.loads(json.dumps(facts.as_dict()))["flags"] == ["archive_with_executable"]
    assert [f.code for f in found] == ["archive_with_executable"]


def test_every_finding_names_the_file_and_uses_a_known_code() -> None:
    samples = {
        "a.exe": fx.pe(),
        "b.pdf.js": b"x",
        "c.docm": fx.docm(),
        "d.html": fx.smuggling_page(),
        "e.htm": fx.login_page(),
        "f.zip": fx.encrypted_zip({"g.exe": b"x"}),
        "h.iso": fx.iso(),
        "i.pdf": fx.pe(),
    }
    found, facts = analyse_attachments([fx.attachment(n, d) for n, d in samples.items()])
    assert {f.code for f in found} == set(CODES) - {"yara_match"}
    assert all(f.evidence["filename"] in samples and f.detail.endswith(".") for f in found)
    assert [f.filename for f in facts] == list(samples)


@pytest.mark.parametrize("kind_name", ["a.doc", "a.docx", "a.zip", "a.rar", "a.7z", "a.html", "a"])
@pytest.mark.parametrize("data", [b"", b"PK\x03\x04" + bytes(40), b"Rar!\x1a\x07\x01\x00\xff\xff"])
def test_damaged_bytes_never_raise(kind_name: str, data: bytes) -> None:
    assert describe(fx.attachment(kind_name, data)).filename == kind_name


def test_zip_with_a_prepended_stub_still_lists_members() -> None:
    data = b"MZ-not-a-program" + fx.zip_of({"inner.vbs": b"x"})
    assert zip_listing(data).names == ("inner.vbs",)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["inner.vbs"]
