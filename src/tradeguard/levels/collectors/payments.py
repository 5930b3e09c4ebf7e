"""Evidence from payments: the chargeback rate, the fraud model's age, card data kept out."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Text, cast, func, select

from tradeguard.domains.payments.kinds import is_fraud_outcome
from tradeguard.domains.payments.schemas import OrderOutcomePayload
from tradeguard.engine.tables import EventRecord, ModelRecord
from tradeguard.levels.evidence import Context, Measurement, NoParams, collector

# A run of digits with single spaces or dashes between them, as a PAN is written (checked
# piece by piece below); one simple pattern scans a month of orders several times faster
# than a nested one.
_RUN = re.compile(r"\d[\d -]{11,}\d")
_GAP = re.compile(r"[ -]{2,}")
SCAN_LIMIT = 20_000  # the newest orders of the window: enough to find a leaking integration


def luhn(digits: str) -> bool:
    total = 0
    for n, ch in enumerate(reversed(digits)):
        d = int(ch)
        if n % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def holds_pan(text: str) -> bool:
    """A full card number anywhere in a stored payload's JSON text.

    Read as text, not decoded: JSON's quotes and commas end a digit run just as a decoded
    walk would, at a fraction of the cost on tens of thousands of orders.
    """
    for found in _RUN.finditer(text):
        if found.start() and text[found.start() - 1] == "+":
            continue  # an international phone number
        for piece in _GAP.split(found.group()):
            digits = piece.replace(" ", "").replace("-", "")
            if 13 <= len(digits) <= 19 and luhn(digits):
                return True
    return False


def _window(ctx: Context, kind: str) -> Any:
    return (
        EventRecord.kind == kind,
        EventRecord.occurred_at >= ctx.since,
        EventRecord.occurred_at < ctx.now,
    )


@collector("payments.chargeback_rate", unit="share")
def chargeback_rate(ctx: Context, _: NoParams) -> Measurement:
    """Fraud chargebacks received in the window per order screened in it."""
    orders = int(ctx.session.scalar(select(func.count()).where(*_window(ctx, "order"))) or 0)
    fraud = 0
    for payload in ctx.session.scalars(
        select(EventRecord.payload).where(*_window(ctx, "order_outcome"))
    ):
        try:
            outcome = OrderOutcomePayload.model_validate(payload)
        except ValidationError:
            continue  # stored before a schema change; it was valid when screened
        fraud += outcome.outcome == "chargeback" and is_fraud_outcome(outcome)
    if orders == 0:
        return Measurement.none("share", "no order was screened in the window")
    return Measurement(
        fraud / orders,
        "share",
        f"{fraud:,} fraud chargebacks per {orders:,} orders ({fraud / orders:.2%})",
        orders,
    )


@collector("payments.model_age_days", unit="days")
def model_age_days(ctx: Context, _: NoParams) -> Measurement:
    """Days since the live order model was trained."""
    row = ctx.session.execute(
        select(ModelRecord.name, ModelRecord.version, ModelRecord.created_at)
        .where(
            ModelRecord.kind == "order",
            ModelRecord.status == "live",
            ModelRecord.created_at <= ctx.now,
        )
        .order_by(ModelRecord.created_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return Measurement.none("days", "no order model is live (tradeguard model train)")
    name, version, created = row
    age = (ctx.now - created).total_seconds() / 86400
    return Measurement(age, "days", f"{name}@{version} was trained {age:.1f} days ago")


@collector("payments.card_data_minimised", unit="count")
def card_data_minimised(ctx: Context, _: NoParams) -> Measurement:
    """Stored orders of the window whose payload holds a full card number."""
    found = 0
    seen = 0
    newest = (
        select(cast(EventRecord.payload, Text))
        .where(*_window(ctx, "order"))
        .order_by(EventRecord.occurred_at.desc())
        .limit(SCAN_LIMIT)
    )
    for payload in ctx.session.scalars(newest):
        seen += 1
        found += holds_pan(payload or "")
    if seen == 0:
        return Measurement.none("count", "no order was stored in the window")
    return Measurement(
        float(found),
        "count",
        f"{found:,} of the {seen:,} newest stored orders hold a full card number "
        "(Luhn-valid, 13-19 digits)",
        seen,
    )
