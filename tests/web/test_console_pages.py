"""Console pages on a store with real verdicts: reading, working cases, lists, rules, audit."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

import pytest

from tests.domains.payments.conftest import register_order_model
from tests.engine.test_screening import send
from tests.factories import login, order
from tests.web.conftest import Console
from tradeguard.db.base import utcnow
from tradeguard.db.session import unit_of_work
from tradeguard.engine import audit, cases, rulepacks
from tradeguard.engine.service import ingest
from tradeguard.runtime import Runtime

V2 = """
id: login-default
version: 2
description: stricter brute force
kinds: [login]
rules:
  - id: brute_force_account
    expression: "!event.success && velocity('login.failure', 'account', '10m') >= 3"
    action: block
    reason: "{n} failures"
    evidence: {n: "velocity('login.failure', 'account', '10m')"}
"""


@pytest.fixture
def attacked(runtime: Runtime) -> Runtime:
    """An hour ago someone hammered mallory's account; carol logged in normally."""
    start = utcnow() - timedelta(hours=1)
    for i in range(25):
        send(
            runtime,
            login(
                account="mallory",
                ip="203.0.113.66",
                success=False,
                at=start,
                minutes=i * 0.1,
                event_id=f"atk-{i}",
            ),
        )
    send(runtime, login(account="carol", ip="198.51.100.20", at=start, event_id="ok-1"))
    return runtime


def open_case(runtime: Runtime) -> int:
    with unit_of_work(runtime.sessions) as session:
        return cases.list_cases(session, status="open")[0].id


def test_every_page_renders_for_a_viewer(console: Console, attacked: Runtime) -> None:
    viewer = console.signed_in("viewer")
    case_id = open_case(attacked)
    for url, heading in [
        ("/console/", "Overview"),
        ("/console/?range=24h&kind=login", "Overview"),
        ("/console/?range=90d", "Overview"),
        ("/console/events", "Events and verdicts"),
        ("/console/events/login/atk-24", "login <code>atk-24</code>"),
        ("/console/entities/account/mallory", "account <code>mallory</code>"),
        ("/console/cases", "Case queue"),
        (f"/console/cases/{case_id}", f"Case #{case_id}"),
        ("/console/lists", "Allow and block lists"),
        ("/console/rules", "Rule packs"),
        ("/console/rules/login-default/1", "login-default@1"),
        ("/console/audit", "Audit log"),
        ("/console/account", "Your account"),
    ]:
        page = viewer.get(url)
        assert page.status_code == 200, url
        assert heading in page.text, url
        assert 'name="csrf_token"' in page.text  # at least the sign-out form
        assert 'name="csrf_token" value=""' not in page.text  # every form carries the token


def test_overview_counts_what_was_screened(console: Console, attacked: Runtime) -> None:
    page = console.signed_in("viewer").get("/console/?range=24h")
    data = re.search(r'id="volumes-data">(.*?)</script>', page.text, re.S)
    assert data is not None
    series = json.loads(html.unescape(data.group(1)))["series"]
    assert [s["decision"] for s in series] == ["allow", "challenge", "review", "block"]
    assert sum(sum(s["data"]) for s in series) == 26
    assert "brute_force_account" in page.text  # top firing rules
    totals = [
        int(n.replace(",", "")) for n in re.findall(r'<p class="tile-n">([\d,]+)</p>', page.text)
    ]
    assert sum(totals[:4]) == 26


def test_the_verdict_page_explains_itself(console: Console, attacked: Runtime) -> None:
    page = console.signed_in("viewer").get("/console/events/login/atk-24")
    assert "failed logins on this account from this IP address today" in page.text
    assert "login-default@1" in page.text
    assert "<dt>failures</dt><dd>25</dd>" in page.text  # evidence, not just a code
    assert "Other events of account" in page.text


def test_filters_narrow_the_events(console: Console, attacked: Runtime) -> None:
    viewer = console.signed_in("viewer")
    allowed = viewer.get("/console/events?decision=allow&kind=login").text
    assert "ok-1" in allowed
    assert "atk-24" not in allowed
    by_entity = viewer.get("/console/events?entity_type=ip&entity=198.51.100.20").text
    assert "ok-1" in by_entity
    assert "atk-" not in by_entity
    bad = viewer.get("/console/events?since=yesterday")
    assert bad.status_code == 422
    assert "is not a date" in bad.text
    assert viewer.get("/console/events?decision=maybe").status_code == 422


def test_an_analyst_claims_and_resolves_a_case(console: Console, attacked: Runtime) -> None:
    analyst = console.signed_in("analyst", "ana")
    case_id = open_case(attacked)
    page = analyst.post(f"/console/cases/{case_id}/claim")
    assert f"You claimed case {case_id}." in page.text
    assert "Claimed by <strong>operator:ana</strong>" in page.text
    other = console.signed_in("analyst", "bea")
    assert other.post(f"/console/cases/{case_id}/resolve", {"label": "fraud"}).status_code == 409
    missing_note = analyst.post(f"/console/cases/{case_id}/resolve", {"label": "other"})
    assert missing_note.status_code == 422
    assert "needs a note" in missing_note.text
    page = analyst.post(
        f"/console/cases/{case_id}/resolve", {"label": "fraud", "note": "scripted guessing"}
    )
    assert "resolved as fraud" in page.text
    log = analyst.get("/console/audit?action=case.resolve").text
    assert "operator:ana" in log
    assert f"case {case_id}" in log


def test_viewers_cannot_change_anything(console: Console, attacked: Runtime) -> None:
    viewer = console.signed_in("viewer")
    case_id = open_case(attacked)
    assert viewer.post(f"/console/cases/{case_id}/claim").status_code == 403
    assert (
        viewer.post(
            "/console/lists",
            {"list_name": "block", "entity_type": "ip", "value": "203.0.113.1", "reason": "x"},
        ).status_code
        == 403
    )
    assert viewer.get("/console/operators").status_code == 403
    analyst = console.signed_in("analyst")
    assert (
        analyst.post("/console/rules/login-default/1/status", {"status": "inactive"}).status_code
        == 403
    )


def test_lists_add_expire_and_remove_with_reasons(console: Console, runtime: Runtime) -> None:
    analyst = console.signed_in("analyst", "ana")
    page = analyst.post(
        "/console/lists",
        {
            "list_name": "block",
            "entity_type": "ip",
            "value": "203.0.113.0/24",
            "reason": "botnet",
            "expires_in": "7d",
        },
    )
    assert "Added ip 203.0.113.0/24 to the block list." in page.text
    bad = analyst.post(
        "/console/lists",
        {"list_name": "block", "entity_type": "ip", "value": "not-an-ip", "reason": "x"},
    )
    assert bad.status_code == 422
    entry_id = re.search(r"/console/lists/(\d+)/expire", page.text)
    assert entry_id is not None
    later = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = analyst.post(f"/console/lists/{entry_id.group(1)}/expire", {"expires_at": later})
    assert "now expires" in page.text
    page = analyst.post(f"/console/lists/{entry_id.group(1)}/remove")
    assert "Removed 203.0.113.0/24" in page.text
    assert analyst.post(f"/console/lists/{entry_id.group(1)}/remove").status_code == 404
    with unit_of_work(runtime.sessions) as session:
        actions = [e.action for e in audit.search(session, target_type="list_entry")]
    assert actions == ["list.remove", "list.expire", "list.add"]


def test_rule_packs_diff_backtest_and_status(console: Console, attacked: Runtime) -> None:
    admin = console.signed_in("admin")
    page = admin.post("/console/rules", {"source": V2})
    assert "Uploaded login-default@2" in page.text
    diff = admin.get("/console/rules/login-default/diff?a=1&b=2").text
    assert "<del>-version: 1</del>" in diff
    assert "<ins>+version: 2</ins>" in diff
    since = (utcnow() - timedelta(days=1)).date().isoformat()
    until = utcnow().date().isoformat()
    report = admin.post("/console/rules/login-default/2/backtest", {"since": since, "until": until})
    assert report.status_code == 200
    assert "26 events replayed" in report.text
    assert "<code>brute_force_account</code>" in report.text
    assert (
        admin.post(
            "/console/rules/login-default/2/backtest", {"since": until, "until": since}
        ).status_code
        == 422
    )
    page = admin.post("/console/rules/login-default/2/status", {"status": "shadow"})
    assert "login-default@2 is now shadow." in page.text
    broken = admin.post("/console/rules", {"source": "id: x\nversion: 1\nrules: [{}]"})
    assert broken.status_code == 422
    with unit_of_work(attacked.sessions) as session:
        assert rulepacks.get_record(session, "login-default", 2).status == "shadow"  # type: ignore[union-attr]


def test_htmx_errors_land_in_the_status_area(console: Console, attacked: Runtime) -> None:
    viewer = console.signed_in("viewer")
    response = viewer.get("/console/events?since=nope", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert response.headers["hx-retarget"] == "#flash"
    assert 'role="alert"' in response.text
    assert "<html" not in response.text
    anonymous = console.browser().get(
        "/console/events", headers={"HX-Request": "true"}, follow_redirects=False
    )
    assert anonymous.headers["hx-redirect"].startswith("/console/login")


def test_admins_manage_operators(console: Console) -> None:
    admin = console.signed_in("admin", "root")
    page = admin.post(
        "/console/operators", {"username": "dan", "role": "analyst", "display_name": "Dan Ops"}
    )
    password = re.search(r'id="one-time-password">([^<]+)<', page.text)
    assert password is not None
    assert len(password.group(1)) >= 20
    listing = admin.get("/console/operators").text
    dan_id = re.search(r"/console/operators/(\d+)/disable", listing)
    assert dan_id is not None
    for action in ("disable", "enable", "unlock", "reset-2fa"):
        assert admin.post(f"/console/operators/{dan_id.group(1)}/{action}").status_code == 200
    page = admin.post(f"/console/operators/{dan_id.group(1)}/role", {"role": "viewer"})
    assert "dan is now viewer." in page.text
    assert (
        admin.post("/console/operators", {"username": "dan", "role": "viewer"}).status_code == 409
    )
    log = admin.get("/console/audit?actor=operator:root").text
    for action in ("operator.create", "operator.disable", "operator.role_change"):
        assert action in log


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [
        ("get", "/console/cases/not-a-number", None),
        ("get", "/console/events?before=x", None),
        ("get", "/console/rules/login-default/one", None),
        ("get", "/console/overview?range=1y", None),
        ("get", "/console/?range=1y", None),
        ("get", "/console/cases?status=everything", None),
        ("get", "/console/events?entity=" + "x" * 5000, None),
        ("get", "/console/audit?q=%00%27%22%3Cscript%3E", None),
        (
            "post",
            "/console/lists",
            {"list_name": "grey", "entity_type": "ip", "value": "1.2.3.4", "reason": "x"},
        ),
        (
            "post",
            "/console/lists",
            {"list_name": "block", "entity_type": "account", "value": "a\x00b", "reason": "x"},
        ),
        ("post", "/console/login", {"username": "ad\x00min", "password": "x"}),
        ("get", "/console/entities/account/a%00b", None),
        (
            "post",
            "/console/lists",
            {"list_name": "block", "entity_type": "ip", "value": "1.2.3.4", "reason": "x" * 3000},
        ),
        ("post", "/console/cases/999999/claim", {}),
        ("post", "/console/rules", {"source": "{{{{"}),
        ("post", "/console/rules/login-default/1/backtest", {"since": "", "until": ""}),
        ("post", "/console/operators", {"username": "../../etc", "role": "admin"}),
    ],
)
def test_hostile_input_gets_a_clear_page_not_a_crash(
    console: Console, method: str, url: str, data: dict[str, str] | None
) -> None:
    admin = console.signed_in("admin")
    response = admin.get(url) if method == "get" else admin.post(url, data)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<script>alert" not in response.text
    assert admin.get("/console/").status_code == 200  # and the console keeps working


def test_rule_pack_links_on_a_verdict_lead_to_the_pack(console: Console, runtime: Runtime) -> None:
    admin = console.signed_in("admin")
    admin.post("/console/rules", {"source": V2})
    admin.post("/console/rules/login-default/2/status", {"status": "shadow"})
    send(runtime, login(account="zoe", event_id="z-1"))
    page = admin.get("/console/events/login/z-1").text
    for link in re.findall(r'href="(/console/rules/[^"]+)"', page):
        assert admin.get(html.unescape(link)).status_code == 200, link
    assert 'href="/console/rules/login-default/2"' in page


def test_the_verdict_page_shows_the_models_explanation(console: Console, runtime: Runtime) -> None:
    """Probability and the top features, for the live model and for a shadow one alike."""
    register_order_model(runtime, status="live")
    register_order_model(runtime, status="shadow", name="order-fraud-next")
    risky = order(
        amount="1900",
        currency="USD",
        card_country="US",
        ip_country="RU",
        ship_country="NG",
        email="x9@mailinator.com",
        account=None,
        event_id="risky-1",
        items=[{"category": "electronics", "quantity": 1, "unit_price": "1900"}],
    )
    verdict = ingest(
        runtime.sessions, kind="order", raw=risky, actor="test", counters=runtime.counters
    )
    live = next(s for s in verdict.signals if s.code == "model.order-fraud")
    shadow = next(s for s in verdict.shadow_signals if s.code == "model.order-fraud-next")
    assert live.evidence["top_features"], "a risky order should have reasons"
    page = console.signed_in("viewer").get("/console/events/order/risky-1")
    assert page.status_code == 200
    assert f"{live.evidence['probability']:.1%}" in page.text
    for reason in live.evidence["top_features"]:
        assert html.unescape(f"<td>{reason['explanation']}</td>") in html.unescape(page.text)
        assert f"{reason['effect']:+.3f}" in page.text
    assert "order-fraud-next@1" in page.text
    assert "shadow: recorded, not acted on" in page.text
    # The signals table links to each model's panel instead of dumping its reasons as JSON.
    for anchor in ("model-order-fraud-v1", "model-order-fraud-next-v1"):
        assert f'href="#{anchor}"' in page.text
        assert f'id="{anchor}"' in page.text
    assert "'explanation':" not in html.unescape(page.text)
    assert len(shadow.evidence["top_features"]) == len(live.evidence["top_features"])
    assert "<style" not in page.text  # CSP: no inline styles
    assert "style=" not in page.text


def test_a_takeover_shows_what_to_do_on_its_verdict_and_case(
    console: Console, runtime: Runtime
) -> None:
    start = utcnow() - timedelta(days=3)
    for day in range(3):
        send(runtime, login(account="erin", at=start + timedelta(days=day), event_id=f"own-{day}"))
    for k in range(4):
        send(
            runtime,
            login(
                account="erin",
                ip="5.9.1.1",
                device="x",
                success=False,
                at=start + timedelta(days=2, hours=1, minutes=k),
            ),
        )
    taken = send(
        runtime,
        login(
            account="erin",
            ip="5.9.1.1",
            device="x",
            event_id="ato-1",
            at=start + timedelta(days=2, hours=1, minutes=5),
        ),
    )
    assert taken.case_id is not None
    viewer = console.signed_in("viewer")
    expected = "revoke sessions, reset password, notify account owner."
    assert expected in viewer.get("/console/events/login/ato-1").text
    assert expected in viewer.get(f"/console/cases/{taken.case_id}").text
    ordinary = viewer.get("/console/events/login/own-0").text
    assert "Recommended:" not in ordinary
