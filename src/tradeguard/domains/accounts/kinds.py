"""The ``login`` kind: its entities and the counters the default login pack reads.

``account_device`` and ``account_ip`` are pair entities: counting them answers "has this
account logged in from this device (IP) before?" with the same counter machinery.
"""

from __future__ import annotations

from tradeguard.domains.accounts.schemas import LoginPayload
from tradeguard.engine.events import CounterSpec, EventKind, register_kind


def _pair(account: str, other: str) -> str:
    """Length-prefixed, so ("a|b", "c") and ("a", "b|c") can never meet in one counter."""
    return f"{len(account)}:{account}|{other}"


def _entities(login: LoginPayload) -> dict[str, str]:
    entities = {"account": login.account_id, "ip": str(login.ip)}
    if login.device_id:
        entities["device"] = login.device_id
        entities["account_device"] = _pair(login.account_id, login.device_id)
    entities["account_ip"] = _pair(login.account_id, str(login.ip))
    return entities


def _failed(login: LoginPayload) -> bool:
    return not login.success


def _succeeded(login: LoginPayload) -> bool:
    return login.success


LOGIN = register_kind(
    EventKind(
        name="login",
        payload=LoginPayload,
        entities=_entities,
        description="A login attempt on a customer or seller account.",
        counters=(
            CounterSpec("login.attempt", "account", distinct=lambda p: str(p.ip)),
            CounterSpec("login.failure", "account", when=_failed, distinct=lambda p: str(p.ip)),
            CounterSpec("login.failure", "ip", when=_failed, distinct=lambda p: p.account_id),
            CounterSpec("login.attempt", "ip", distinct=lambda p: p.account_id),
            CounterSpec("login.failure", "device", when=_failed, distinct=lambda p: p.account_id),
            CounterSpec("login.success", "account", when=_succeeded),
            CounterSpec("login.success", "account_device", when=_succeeded),
            CounterSpec("login.success", "account_ip", when=_succeeded),
        ),
    )
)
