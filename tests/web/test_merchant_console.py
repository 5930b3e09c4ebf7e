"""The merchant panel and ring on event and case pages: what KYB found, all of it inert text."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from tests.domains.merchants.listed import FIRST, sha, un_list
from tests.domains.merchants.test_rings import SHARED_IBAN, application, person
from tests.engine.test_screening import send
from tests.factories import login
from tests.web.conftest import Console
from tradeguard.db.session import unit_of_work
from tradeguard.domains.merchants.sanctions import store
from tradeguard.engine.verdicts import Verdict
from tradeguard.runtime import Runtime

HOSTILE = "<script>alert(1)</script>"


def panel(page: str, article: str = "merchant-checks") -> str:
    found = re.search(rf'<article id="{article}".*?</article>', page, re.S)
    assert found, f"no {article} panel on the page"
    return found.group(0)


def text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


@pytest.fixture
def listed(runtime: Runtime) -> Runtime:
    with unit_of_work(runtime.sessions) as session:
        store.load_list(session, un_list(*FIRST), file_sha256=sha(*FIRST), actor="test")
    return runtime


def sidorov_seller(runtime: Runtime, **fields: Any) -> Verdict:
    """A seller paid into ada's account whose owner is a listed party; hostile text throughout."""
    owner = {**person("Ivan Petrovich Sidorov", "1961-05-02"), "nationality": "IR"}
    event = application(
        "bo",
        2,
        legal_name=f"Bo Trading {HOSTILE} GmbH",
        people=[owner, person("<img src=x onerror=alert(2)>", "1990-01-01", "director")],
        bank={"iban": SHARED_IBAN, "country": "DE"},
        tax_ids=[{"scheme": "vat", "value": "DE136695970"}],
        website='https://bo-shop.example/"><script>alert(3)</script>',
        email="sales@bo-shop.example",
        ip="14.160.0.1",
        **fields,
    )
    return send(runtime, event, "merchant")


def test_a_sanctions_case_shows_the_hit_explained_and_the_ring(
    console: Console, listed: Runtime
) -> None:
    send(listed, application("ada", 1, bank={"iban": SHARED_IBAN}), "merchant")
    verdict = sidorov_seller(listed)
    assert verdict.decision.value == "block"
    assert verdict.case_id is not None
    page = console.signed_in("viewer").get(f"/console/cases/{verdict.case_id}")
    assert page.status_code == 200
    checks = text(panel(page.text))
    assert f"Merchant Bo Trading {HOSTILE} GmbH" in checks
    assert "Ivan Petrovich Sidorov owner 1961-05-02 IR" in checks  # the people table
    assert "match Ivan Petrovich Sidorov" in checks
    assert "on list un" in checks
    assert "Programmes: TEST-PROGRAM" in checks
    # Each feature: its score, what was compared on each side, and logic-v2's detail.
    features = re.search(r'<table class="striped hit-features">.*?</table>', page.text, re.S)
    assert features is not None
    assert "1961-05-02" in text(features.group(0))
    assert "Ivan Petrovich Sidorov" in text(features.group(0))
    assert "VAT number DE136695970 fails its check digit" in checks
    assert "IR nationality of Ivan Petrovich Sidorov call for action" in checks  # FATF flag
    ring = text(panel(page.text, "merchant-ring"))
    assert f"Merchants linked to Bo Trading {HOSTILE} GmbH bo" in ring
    assert f"shares payout account {SHARED_IBAN} allow" in ring  # with bo, whose ring it is
    assert "Ada Handel GmbH" in ring


def test_nothing_from_the_application_is_live(console: Console, listed: Runtime) -> None:
    verdict = sidorov_seller(listed)
    page = console.signed_in("viewer").get(f"/console/cases/{verdict.case_id}").text
    checks = panel(page)
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in checks
    assert "&lt;img src=x onerror=alert(2)&gt;" in checks
    assert "bo-shop.example" in checks  # the website and e-mail are shown...
    assert not re.search(r"""href\s*=\s*["']?(https?:|mailto:)""", checks)  # ...as text only


def test_a_clean_merchant_event_page(console: Console, listed: Runtime) -> None:
    send(listed, application("cy", 3), "merchant")
    page = console.signed_in("viewer").get("/console/events/merchant/app-cy-3")
    assert page.status_code == 200
    checks = text(panel(page.text))
    assert "No party resembles a listed one: 2 screened (Cy Handel GmbH, Owner cy)" in checks
    assert "un v1, 2026-02-27" in checks
    assert "no hit" in checks
    ring = text(panel(page.text, "merchant-ring"))
    assert "Merchants linked to Cy Handel GmbH cy" in ring
    assert "No other merchant shares" in ring


def test_a_rescreen_case_shows_the_new_hits_on_the_last_application(
    console: Console, listed: Runtime
) -> None:
    send(
        listed, application("dee", 4, people=[person("Astrid Halvorsen", "1955-01-30")]), "merchant"
    )
    hit = {
        "source": "un",
        "entity_id": "un-1004",
        "schema": "Person",
        "caption": "Astrid Halvorsen",
        "programs": ["TEST-PROGRAM"],
        "score": 0.97,
        "match": True,
        "features": {
            "name_literal_match": {
                "score": 1.0,
                "detail": "Names match exactly",
                "query": "Astrid Halvorsen",
                "candidate": "Astrid Halvorsen",
            }
        },
    }
    party = {"party": "people[0]", "role": "owner", "name": "Astrid Halvorsen", "hits": [hit]}
    screening = {
        "lists": ["un v2, 2026-03-01"],
        "threshold": 0.7,
        "parties": [party],
        "best_score": 0.97,
        "matches": 1,
    }
    rescreen = {
        "id": "rescreen-dee-un-2",
        "occurred_at": "2026-03-02T12:00:00+00:00",
        "merchant_id": "dee",
        "reason": "un v2 added 1 party",
        "list_versions": ["un v2, 2026-03-01"],
        "new_hits": [party],
        "screening": screening,
    }
    verdict = send(listed, rescreen, "merchant_rescreen")
    assert verdict.case_id is not None
    page = console.signed_in("viewer").get(f"/console/cases/{verdict.case_id}")
    assert page.status_code == 200
    checks = text(panel(page.text))
    assert "Re-screened after a list change un v2 added 1 party" in checks
    assert "match new Astrid Halvorsen" in checks
    assert "Merchant Dee Handel GmbH" in checks  # from the stored application
    assert "Names match exactly" in checks


def test_other_kinds_have_no_merchant_panel(console: Console, runtime: Runtime) -> None:
    send(runtime, login(account="ann", event_id="login-ann-1"))
    page = console.signed_in("viewer").get("/console/events/login/login-ann-1").text
    assert 'id="merchant-checks"' not in page
    assert 'id="merchant-ring"' not in page
