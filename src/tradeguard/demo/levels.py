"""The demo shop's protection-level evidence: its own daily volumes, a few attestations, and
assessments recorded as the shop is built, so the console's trend has points.

The shop's system of record counts every event it sent, plus the orders of a mobile-app
checkout launched in the last days of the window that nobody wired to TradeGuard yet: the
order-coverage control shows that gap, as it would in a real store.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from tradeguard.db.session import unit_of_work
from tradeguard.demo.shop import DemoEvent
from tradeguard.levels import attestations, service
from tradeguard.levels.catalog import Market
from tradeguard.levels.schemas import AttestationCreate, VolumeItem
from tradeguard.runtime import Runtime

REPORTER = "demo:shop-erp"
HEAD_OF_RISK = "demo:head-of-risk"
APP_LAUNCH_DAYS = 3  # the app checkout's orders on the window's last days are not screened
APP_SHARE = 0.04
MARKET_SETS: tuple[tuple[Market, ...], ...] = ((), ("EU",))
# (control, statement, document): what the shop's team can show for controls nothing measures.
ATTESTED = (
    (
        "PAY-3.2",
        "Card data is entered in the payment provider's hosted fields; the shop stores tokens "
        "and the provider's PCI DSS Attestation of Compliance is on file.",
        "dms://compliance/psp-aoc-2026.pdf",
    ),
    (
        "PAY-4.1",
        "The card-testing and fraud-wave playbook was approved by the CFO and exercised in a "
        "tabletop in October.",
        "dms://risk/playbooks/fraud-wave-v3.pdf",
    ),
    (
        "PAY-4.2",
        "The account-takeover playbook (forced resets, session revocation, customer notice) "
        "is approved and was last exercised in September.",
        "dms://risk/playbooks/ato-v2.pdf",
    ),
    (
        "PLT-4.2",
        "Support leads can suspend a seller and hold its payouts from the back office; the "
        "last drill took 22 minutes.",
        "dms://ops/drills/seller-suspension-2026-11.pdf",
    ),
)


def report_volumes(runtime: Runtime, shop: list[DemoEvent], *, seed: int) -> int:
    """Each whole day's count per kind, as the shop's ERP and mail server counted them."""
    counts: Counter[tuple[str, date]] = Counter(
        (e.kind, datetime.fromisoformat(str(e.event["occurred_at"])).astimezone(UTC).date())
        for e in shop
    )
    items = [VolumeItem(kind=k, day=d, count=n, source="web") for (k, d), n in counts.items()]
    order_days = sorted(d for k, d in counts if k == "order")
    rng = random.Random(f"{seed}:app-orders")  # noqa: S311
    for day in order_days[-APP_LAUNCH_DAYS:]:
        app = max(1, round(counts[("order", day)] * APP_SHARE * rng.uniform(0.7, 1.3)))
        items.append(VolumeItem(kind="order", day=day, count=app, source="mobile-app"))
    with unit_of_work(runtime.sessions) as session:
        return service.report_volumes(session, items=items, actor=REPORTER)


def attest(runtime: Runtime, *, today: date) -> None:
    catalog = service.catalog_for(runtime.settings)
    with unit_of_work(runtime.sessions) as session:
        for control_id, statement, document in ATTESTED:
            body = AttestationCreate(
                control_id=control_id,
                statement=statement,
                document=document,
                expires_on=today + timedelta(days=180),
            )
            attestations.attest(session, catalog=catalog, body=body, actor=HEAD_OF_RISK)


def record(runtime: Runtime, *, actor: str) -> int:
    """Assess the shop for every market set the console shows first; the base overall level."""
    overall = 0
    with unit_of_work(runtime.sessions) as session:
        for markets in MARKET_SETS:
            result, _ = service.record(
                session, settings=runtime.settings, markets=markets, actor=actor
            )
            overall = result.overall_level if not markets else overall
    return overall
