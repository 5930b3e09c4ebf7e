"""Measured values and targets in their unit, as people read them: 99.0 %, not 0.99."""

from __future__ import annotations

import re

_BOUND = re.compile(r"^\s*(>=|<=|>|<|==|=)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPERATORS = {">=": "\u2265", "<=": "\u2264", ">": ">", "<": "<", "==": "=", "=": "="}


def format_number(value: float | None, unit: str) -> str:
    """A measured value in its unit: share as %, hours and days to 1 decimal, flag as yes/no."""
    if value is None:
        return "no value"
    if unit == "share":
        # Rates near a threshold such as 0.9 % of orders need the second decimal.
        return f"{value * 100:.2f}%" if abs(value) < 0.1 else f"{value * 100:.1f}%"
    if unit in ("hours", "days"):
        return f"{value:.1f} {unit}"
    if unit == "count":
        return f"{round(value):,d}"
    if unit == "flag":
        return "yes" if value else "no"
    return f"{value:g} {unit}".strip()


def format_bound(bound: str, unit: str) -> str:
    """A target such as ``>= 0.99`` in the value's unit (``≥ 99.0%``); anything else as is."""
    match = _BOUND.match(bound)
    if match is None:
        return bound
    operator, number = match.groups()
    return f"{_OPERATORS[operator]} {format_number(float(number), unit)}"
