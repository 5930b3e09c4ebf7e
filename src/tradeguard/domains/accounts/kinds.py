"""The ``login`` kind: its entities, the counters the default login pack reads, its history.

``account_device``, ``account_ip`` and ``account_country`` are pair entities: counting them
answers "has this account logged in from this device (IP, country) before?" with the same
counter machinery. ``store`` has one value, so its counters are store-wide rates.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tradeguard.domains.accounts.geo import country_of, subnet
from tradeguard.domains.accounts.login_history import login_history
from tradeguard.domains.accounts.schemas import LoginPayload
from tradeguard.engine.events import CounterSpec, EventKind, register_kind

STORE = "all"


def _pair(account: str, other: str) -> str:
    """Length-prefixed, so ("a|b", "c") and ("a", "b|c") can never meet in one counter."""
    return f"{len(account)}:{account}|{other}"


def _agent(login: LoginPayload) -> str | None:
    """A short digest: user agents are long, and only sameness matters."""
    if not login.user_agent:
        return None
    return hashlib.sha256(login.user_agent.encode()).hexdigest()[:16]


def _entities(login: LoginPayload) -> dict[str, str]:
    account = login.account_id
    entities = {
        "account": account,
        "ip": str(login.ip),
        "ip_subnet": subnet(login.ip),
        "account_ip": _pair(account, str(login.ip)),
        "store": STORE,
    }
    if login.device_id:
        entities["device"] = login.device_id
        entities["account_device"] = _pair(account, login.device_id)
    if country := country_of(login.ip_country, login.ip):
        entities["account_country"] = _pair(account, country)
    if agent := _agent(login):
        entities["user_agent"] = agent
    return entities


def _rule_fields(login: LoginPayload) -> dict[str, Any]:
    return {
        "ip_country": country_of(login.ip_country, login.ip),
        "ip_country_source": "edge" if login.ip_country else "iptocc",
        "ip_subnet": subnet(login.ip),
    }


def _failed(login: LoginPayload) -> bool:
    return not login.success


def _succeeded(login: LoginPayload) -> bool:
    return login.success


def _unknown_account(login: LoginPayload) -> bool:
    return login.failure_reason == "unknown_account"


def _account(login: LoginPayload) -> str:
    return login.account_id


def _ip(login: LoginPayload) -> str:
    return str(login.ip)


def _per(metric: str, when: Any, distinct: Any, *entities: str) -> tuple[CounterSpec, ...]:
    return tuple(CounterSpec(metric, e, when=when, distinct=distinct) for e in entities)


LOGIN = register_kind(
    EventKind(
        name="login",
        payload=LoginPayload,
        entities=_entities,
        description="A login attempt on a buyer, seller or staff account.",
        rule_fields=_rule_fields,
        history=login_history,
        # Only what the default pack reads: each observation is a row written per login.
        counters=(
            # per account: brute force, and which IPs it came from
            *_per("login.attempt", None, _ip, "account"),
            *_per("login.failure", _failed, _ip, "account", "account_ip"),
            *_per("login.success", _succeeded, None, "account"),
            # first time from this device / IP / country for this account
            *_per("login.success", _succeeded, None, "account_device", "account_ip"),
            *_per("login.success", _succeeded, None, "account_country"),
            # one source trying many accounts: spraying and stuffing
            *_per("login.failure", _failed, _account, "ip", "ip_subnet", "device", "user_agent"),
            *_per("login.success", _succeeded, _account, "ip_subnet", "device"),
            *_per("login.attempt", None, _account, "ip", "user_agent"),
            *_per("login.unknown_account", _unknown_account, _account, "ip"),
            # store-wide rates, to see a distributed wave no single source reveals
            *_per("login.failure", _failed, None, "store"),
        ),
    )
)
