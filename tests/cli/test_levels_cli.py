"""``tradeguard assess``, ``controls`` and ``coverage`` against a store in a temp folder."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli.conftest import Invoke

TODAY = datetime.now(UTC).date()


def test_assess_prints_the_grid_and_what_to_fix(tg: Invoke) -> None:
    result = tg("assess")
    assert result.exit_code == 0, result.output
    assert "Protection level 0 of 4 (base controls only)" in result.output
    assert "Fix next" in result.output


def test_assess_json_with_markets(tg: Invoke, tmp_path: Path) -> None:
    result = tg("assess", "--market", "EU", "--market", "cn", "--format", "json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["markets"] == ["CN", "EU"]
    assert {lay["id"] for lay in body["layers"]} == {
        "platform",
        "payments",
        "inspection",
        "logistics",
    }


def test_assess_writes_html_and_pdf_reports(tg: Invoke, tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    pdf = tmp_path / "r.pdf"
    made = tg("assess", "--format", "html", "--output", str(html), "--organisation", "Acme")
    assert made.exit_code == 0, made.output
    assert "Acme" in html.read_text("utf-8")
    made = tg("assess", "--market", "US", "--format", "pdf", "--output", str(pdf))
    assert made.exit_code == 0, made.output
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_assess_refuses_bad_input_in_one_line(tg: Invoke) -> None:
    unknown = tg("assess", "--market", "UK")
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: unknown market 'UK': choose from CN, US, EU"
    pdf = tg("assess", "--format", "pdf")
    assert pdf.exit_code == 1
    assert "needs --output" in pdf.output


def test_record_builds_a_trend(tg: Invoke, tmp_path: Path) -> None:
    for _ in range(2):
        assert tg("assess", "--record").exit_code == 0
    report = tmp_path / "r.html"
    assert tg("assess", "--format", "html", "--output", str(report)).exit_code == 0
    assert "<svg" in report.read_text("utf-8")  # the trend chart needs two points


def test_attest_with_a_file_keeps_its_digest(tg: Invoke, tmp_path: Path) -> None:
    plan = tmp_path / "plan.pdf"
    plan.write_bytes(b"%PDF- the plan")
    expires = (TODAY + timedelta(days=100)).isoformat()
    made = tg(
        "controls", "attest", "PAY-4.2",
        "--statement", "The account-takeover playbook is approved and exercised.",
        "--expires", expires, "--by", "cfo", "--document", str(plan),
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert f"PAY-4.2 until {expires}" in made.output
    listed = tg("controls", "attestations", "--control", "PAY-4.2")
    assert "cli:cfo" in listed.output
    assert "in force" in listed.output
    body = json.loads(tg("assess", "--format", "json").output)
    control = next(
        r
        for lay in body["layers"]
        for c in lay["cells"]
        for r in c["controls"]
        if r["id"] == "PAY-4.2"
    )
    assert control["status"] == "met"
    assert (
        control["attestation"]["document_sha256"] == hashlib.sha256(b"%PDF- the plan").hexdigest()
    )
    revoked = tg("controls", "revoke", "1", "--by", "cfo")
    assert revoked.exit_code == 0
    assert "revoked" in tg("controls", "attestations").output


def test_attest_refuses_bad_input(tg: Invoke) -> None:
    later = (TODAY + timedelta(days=30)).isoformat()
    base = ["controls", "attest", "--statement", "a statement long enough", "--by", "cfo"]
    bad_date = tg(*base, "PAY-4.2", "--expires", "next week", "--document", "x")
    assert bad_date.exit_code == 1
    assert "--expires" in bad_date.output
    measured_only = tg(*base, "PLT-3.3", "--expires", later, "--document", "x")
    assert "met only by measurement" in measured_only.output
    missing = tg("controls", "revoke", "99", "--by", "cfo")
    assert (missing.exit_code, missing.output.strip()) == (1, "error: no attestation 99")


def test_controls_list_and_collectors(tg: Invoke) -> None:
    listed = tg("controls", "list", "--market", "EU")
    assert listed.exit_code == 0
    assert "EU-GDPR-33" in listed.output
    assert "US-OFAC-SDN" not in listed.output
    collectors = tg("controls", "collectors")
    assert "screening.coverage" in collectors.output


def test_controls_check_validates_an_organisation_file(tg: Invoke, tmp_path: Path) -> None:
    good = tmp_path / "acme.yaml"
    good.write_text(
        """
catalog: acme
version: "1"
title: Acme's own controls
controls:
  - id: ACME-BCP-1
    title: Warehouse fire drill held twice a year
    why: Our only warehouse holds all stock.
    layer: logistics
    level: 4
    evidence: {attestation: {max_age_days: 190}}
    risk: 3
    effort: 1
    remediation: Hold the drill and file the report.
    references: [{standard: Acme policy, ref: OPS-7}]
""",
        "utf-8",
    )
    checked = tg("controls", "check", str(good))
    assert checked.exit_code == 0, checked.output
    assert "1 controls, valid" in checked.output
    broken = tmp_path / "broken.yaml"
    broken.write_text(good.read_text("utf-8").replace("level: 4", "level: 7"), "utf-8")
    failed = tg("controls", "check", str(broken))
    assert failed.exit_code == 1
    assert failed.output.startswith("error: broken.yaml: control ACME-BCP-1: level:")


def test_an_organisation_file_from_the_settings_is_assessed(
    tg: Invoke, tmp_path: Path, monkeypatch: object
) -> None:
    import pytest

    assert isinstance(monkeypatch, pytest.MonkeyPatch)
    own = tmp_path / "own.yaml"
    own.write_text(
        "catalog: acme\nversion: '1'\ntitle: t\ncontrols:\n"
        "  - {id: ACME-1, title: t, why: w, layer: payments, level: 1, risk: 2, effort: 1,\n"
        "     remediation: r, references: [{standard: s, ref: r}],\n"
        "     evidence: {measure: {collector: operators.mfa, target: {at_least: 1}}}}\n",
        "utf-8",
    )
    monkeypatch.setenv("TRADEGUARD_CONTROLS_FILE", str(own))
    body = json.loads(tg("assess", "--format", "json").output)
    assert "acme@1" in body["catalog"]
    own.write_text("not: [valid", "utf-8")
    broken = tg("assess")
    assert broken.exit_code == 1
    assert broken.output.startswith("error: own.yaml: not valid YAML")


def test_coverage_report_and_import(tg: Invoke, tmp_path: Path) -> None:
    day = (TODAY - timedelta(days=1)).isoformat()
    one = tg("coverage", "report", "--kind", "order", "--day", day, "--count", "10")
    assert one.exit_code == 0, one.output
    assert "1 stored or changed" in one.output
    sheet = tmp_path / "volumes.csv"
    sheet.write_text(f"kind,day,count,source\nlogin,{day},50,idp\norder,{day},10,\n", "utf-8")
    imported = tg("coverage", "import", str(sheet))
    assert "2 day counts read, 1 stored or changed" in imported.output
    bad = tmp_path / "bad.csv"
    bad.write_text(f"kind,day,count\nlogin,{day},50\nlogin,someday,3\n", "utf-8")
    refused = tg("coverage", "import", str(bad))
    assert refused.exit_code == 1
    assert refused.output.startswith("error: ")
    assert "bad.csv:3: day" in refused.output
    columns = tmp_path / "cols.csv"
    columns.write_text("kind,when\nlogin,x\n", "utf-8")
    assert "missing columns: count, day" in tg("coverage", "import", str(columns)).output
