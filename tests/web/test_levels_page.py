"""The console's protection-level pages: heat map, cells, trend, attestations and reports."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.web.conftest import Console
from tradeguard.db.session import unit_of_work
from tradeguard.levels.models import Attestation

LATER = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()


def test_the_heat_map_shows_every_cell_and_opens_its_controls(console: Console) -> None:
    viewer = console.signed_in("viewer")
    page = viewer.get("/console/levels").text
    assert "Protection levels" in page
    assert len(re.findall(r'<td class="lv lv-(met|partial|unmet)"', page)) == 16
    assert "/console/levels/cells/payments/1?" in page
    assert "What to fix next" in page
    assert 'action="/console/levels/snapshots"' not in page  # viewers cannot record
    cell = viewer.get("/console/levels/cells/platform/3")
    assert cell.status_code == 200
    assert "PLT-3.3" in cell.text
    assert "audit.append_only" in cell.text
    assert "Attest that it is met" not in cell.text  # only admins attest
    fragment = viewer.get("/console/levels/cells/platform/3", headers={"HX-Request": "true"})
    assert 'id="cell-detail"' in fragment.text
    assert viewer.get("/console/levels/cells/warehouse/1").status_code == 404


def test_a_market_adds_its_controls_and_a_bad_market_is_an_error_page(console: Console) -> None:
    viewer = console.signed_in("viewer")
    eu = viewer.get("/console/levels/cells/platform/4?market=EU").text
    assert "EU-GDPR-33" in eu
    assert "EU-GDPR-33" not in viewer.get("/console/levels/cells/platform/4").text
    bad = viewer.get("/console/levels?market=XX")
    assert bad.status_code == 422
    assert "unknown market" in bad.text


def test_analysts_record_and_the_trend_appears(console: Console) -> None:
    analyst = console.signed_in("analyst")
    assert "Record this assessment" in analyst.get("/console/levels?market=US").text
    for _ in range(2):
        done = analyst.post("/console/levels/snapshots", {"market": "US"})
        assert done.status_code == 200
        assert "Recorded: overall level 0 of 4." in done.text
    page = analyst.get("/console/levels?market=US").text
    assert 'data-type="levels"' in page
    assert page.count("operator:analyst") == 2
    viewer = console.signed_in("viewer")
    assert viewer.post("/console/levels/snapshots", {"market": "US"}).status_code == 403
    no_token = analyst.client.post("/console/levels/snapshots", data={"market": "US"})
    assert no_token.status_code == 403


def test_admins_attest_and_revoke_from_the_cell(console: Console) -> None:
    admin = console.signed_in("admin")
    cell = admin.get("/console/levels/cells/payments/4").text
    assert "Attest that it is met" in cell
    form = {
        "control_id": "PAY-4.1",
        "statement": "The fraud-wave playbook is approved and was exercised.",
        "document": "dms://risk/fraud-wave.pdf",
        "expires_on": LATER,
        "back": "/console/levels/cells/payments/4?",
    }
    done = admin.post("/console/levels/attestations", form)
    assert done.status_code == 200
    assert f"PAY-4.1 attested until {LATER}." in done.text
    assert done.url.path == "/console/levels/cells/payments/4"
    assert "by operator:admin" in done.text
    analyst = console.signed_in("analyst")
    assert analyst.post("/console/levels/attestations", form).status_code == 403
    with unit_of_work(console.runtime.sessions) as session:
        attestation_id = session.scalar(select(func.max(Attestation.id)))
    listed = admin.get("/console/levels").text
    assert "dms://risk/fraud-wave.pdf" in listed
    assert f"/console/levels/attestations/{attestation_id}/revoke" in listed
    revoked = admin.post(f"/console/levels/attestations/{attestation_id}/revoke", {"back": ""})
    assert "Attestation of PAY-4.1 revoked." in revoked.text
    assert revoked.url.path == "/console/levels"
    assert "by operator:admin" in revoked.text  # the row stays, marked revoked


def test_bad_attestations_show_an_error_and_store_nothing(console: Console) -> None:
    admin = console.signed_in("admin")
    form = {"control_id": "PAY-4.1", "statement": "long enough statement", "expires_on": LATER}
    for change, words in (
        ({"expires_on": "soon"}, "must be a date"),
        ({"statement": "short"}, "10 characters"),
        ({"document": ""}, "needs a document"),
        ({"control_id": "PLT-3.3", "document": "x"}, "met only by measurement"),
    ):
        response = admin.post("/console/levels/attestations", {**form, **change})
        assert response.status_code in (404, 422), change
        assert words in response.text, change
    with unit_of_work(console.runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Attestation)) == 0


def test_reports_download(console: Console) -> None:
    viewer = console.signed_in("viewer")
    html = viewer.get("/console/levels/report.html?market=CN")
    assert html.status_code == 200
    assert "<script" not in html.text
    assert "style-src 'sha256-" in html.headers["content-security-policy"]
    pdf = viewer.get("/console/levels/report.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert viewer.get("/console/levels/report.doc").status_code == 404
    assert console.browser().get("/console/levels/report.pdf").url.path == "/console/login"
