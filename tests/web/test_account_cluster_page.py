"""The case page shows the accounts linked to the case's account, and how they are linked."""

from __future__ import annotations

import html
import re

from tests.engine.test_screening import send
from tests.factories import login, order, signup
from tests.web.conftest import Console
from tradeguard.runtime import Runtime

GB_VOIP = "+445612345678"
NAT = "198.51.100.200"


def test_a_signup_case_shows_the_linked_accounts(console: Console, runtime: Runtime) -> None:
    send(runtime, signup(account="ann", email="ann@example.com", device="tablet"), "signup")
    ben = send(
        runtime,
        signup(
            account="ben",
            email="ben@mailinator.com",
            phone=GB_VOIP,
            device="tablet",
            ip="203.0.1.1",
            minutes=5,
        ),
        "signup",
    )
    assert ben.case_id is not None  # throwaway inbox and a VoIP number: reviewed
    cy = send(
        runtime,
        signup(account="cy", email="cy@example.com", device="tablet", ip="203.0.2.1", minutes=9),
        "signup",
    )
    assert cy.case_id is not None  # the third account on one tablet
    for i in range(12):  # a carrier NAT that cy and a dozen strangers log in through
        send(runtime, login(account=f"nat-{i}", ip=NAT, device=f"phone-{i}"))
    send(runtime, login(account="cy", ip=NAT, device="tablet", minutes=20))

    page = console.signed_in("viewer").get(f"/console/cases/{cy.case_id}")
    assert page.status_code == 200
    text = html.unescape(re.sub(r"<[^>]+>", " ", page.text))
    text = re.sub(r"\s+", " ", text)
    assert "Accounts linked to cy" in text
    assert "shares device tablet with cy" in text
    assert "3 new accounts in 24 hours" in text  # the rule's evidence names the count
    assert f'href="/console/cases/{ben.case_id}"' in page.text  # ben's own case
    assert 'href="/console/entities/account/ann"' in page.text
    assert f"IP address {NAT} (13 accounts)" in text  # reported, not followed
    assert "nat-3" not in text


def test_a_case_without_an_account_has_no_cluster(console: Console, runtime: Runtime) -> None:
    verdicts = [
        send(runtime, order(account=None, card=f"card-{i}", device="till", minutes=i), "order")
        for i in range(4)
    ]
    case_id = verdicts[-1].case_id
    assert case_id is not None  # four cards on one device
    page = console.signed_in("viewer").get(f"/console/cases/{case_id}")
    assert page.status_code == 200
    assert "Accounts linked to" not in page.text
