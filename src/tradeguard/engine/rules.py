"""Rule packs: CEL expressions in versioned YAML, compiled once and checked on load.

A pack that does not parse, names an unknown function or has a CEL syntax error is refused
with a message naming the rule, so a bad pack can never reach the live path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import cel
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tradeguard.engine.counters.base import FUNCTIONS, WindowError, parse_window
from tradeguard.engine.events import event_kinds, get_kind
from tradeguard.engine.verdicts import Decision, Signal, Thresholds
from tradeguard.errors import Invalid, NotFound, readable

Action = Literal["score", "challenge", "review", "block"]
# What the store should do beyond the decision, e.g. after an account takeover; the verdict
# carries the union of its live signals' recommendations as ``recommended_actions``.
Recommendation = Literal[
    "revoke_sessions",
    "reset_password",
    "notify_account_owner",
    "verify_email",
    "verify_phone",
    "require_second_factor",
]
DEFAULT_SCORE: dict[str, int] = {"score": 20, "challenge": 30, "review": 60, "block": 90}
RULE_VARIABLES = frozenset({"event", "entities", "params"})
ParamValue = bool | int | float | str
RULE_FUNCTIONS = frozenset({*FUNCTIONS, "listed"})
# CEL's own named functions and macros; operators are named like ``_+_`` or ``!_``.
CEL_BUILTINS = frozenset(
    (
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "has",
        "all",
        "exists",
        "exists_one",
        "map",
        "filter",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "timestamp",
        "duration",
        "type",
        "dyn",
        "getFullYear",
        "getMonth",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getHours",
        "getMinutes",
        "getSeconds",
        "getMilliseconds",
        "max",
        "min",
    )
)
_MACRO_VAR = re.compile(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_]\w*)\s*,")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)\}")
_PARAM = re.compile(r"\bparams\.([A-Za-z_]\w*)")
_LITERAL_CALL = re.compile(
    r"\b(velocity(?:_sum|_distinct|_age)?)\(\s*(['\"])([\w.:-]+)\2\s*,\s*(['\"])(\w+)\4\s*,"
    r"\s*(['\"])(\w+)\6\s*\)"
)


class RulePackError(Invalid):
    """A pack was refused on load; the detail names the rule and the problem."""


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    description: str = ""
    expression: str = Field(min_length=1, max_length=4000)
    action: Action = "score"
    score: int | None = Field(default=None, ge=0, le=100)
    reason: str = Field(min_length=1, max_length=300)
    evidence: dict[str, str] = Field(default_factory=dict)
    kinds: list[str] | None = None
    enabled: bool = True
    shadow: bool = False
    recommend: list[Recommendation] = Field(default_factory=list)

    @property
    def weight(self) -> int:
        return DEFAULT_SCORE[self.action] if self.score is None else self.score

    @model_validator(mode="after")
    def _placeholders_have_evidence(self) -> RuleSpec:
        missing = set(_PLACEHOLDER.findall(self.reason)) - set(self.evidence)
        if missing:
            raise ValueError(f"reason uses {sorted(missing)} but evidence does not define them")
        return self


class RulePackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,62}$")
    version: int = Field(ge=1)
    description: str = ""
    kinds: list[str] = Field(min_length=1)
    thresholds: Thresholds | None = None
    # Tunable numbers the rules read as ``params.<name>``: a store changes a threshold here,
    # in a new pack version that can be back-tested, without touching an expression.
    params: dict[str, ParamValue] = Field(default_factory=dict)
    rules: list[RuleSpec] = Field(min_length=1)

    @field_validator("rules")
    @classmethod
    def _unique_ids(cls, rules: list[RuleSpec]) -> list[RuleSpec]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return rules


@dataclass(frozen=True, slots=True)
class CompiledRule:
    spec: RuleSpec
    program: Any
    evidence: tuple[tuple[str, Any], ...]


@dataclass(frozen=True, slots=True)
class RulePack:
    spec: RulePackSpec
    rules: tuple[CompiledRule, ...]
    source: str
    sha256: str
    # (function, metric, entity, window) of every velocity call written with literal
    # arguments, so screening can fetch all of them in one round trip before evaluating.
    velocity_calls: frozenset[tuple[str, str, str, str]] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.spec.id}@{self.spec.version}"

    def applies_to(self, kind: str) -> bool:
        return kind in self.spec.kinds


def load_pack(source: str) -> RulePack:
    """Parse, validate and compile a pack; raise ``RulePackError`` naming what is wrong."""
    try:
        document = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise RulePackError(f"rule pack is not valid YAML: {exc}") from None
    if not isinstance(document, Mapping):
        raise RulePackError("rule pack must be a YAML mapping with id, version, kinds and rules")
    try:
        spec = RulePackSpec.model_validate(document)
    except ValidationError as exc:
        raise RulePackError(_pack_problem(exc, document)) from None
    for kind in spec.kinds:
        try:
            get_kind(kind)
        except NotFound as exc:
            raise RulePackError(f"rule pack kinds: {exc.detail}") from None
    rules = tuple(_compile_rule(rule, spec) for rule in spec.rules)
    digest = hashlib.sha256(source.encode()).hexdigest()
    expressions = [e for r in spec.rules for e in (r.expression, *r.evidence.values())]
    calls = frozenset(
        (fn, metric, entity, window)
        for expression in expressions
        for fn, _, metric, _, entity, _, window in _LITERAL_CALL.findall(expression)
    )
    return RulePack(spec=spec, rules=rules, source=source, sha256=digest, velocity_calls=calls)


def _pack_problem(exc: ValidationError, document: Mapping[str, Any]) -> str:
    err = exc.errors(include_url=False)[0]
    loc = list(err["loc"])
    where = "rule pack"
    if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int):
        rules = document.get("rules") or []
        rule = rules[loc[1]] if loc[1] < len(rules) else {}
        rule_id = rule.get("id", f"#{loc[1] + 1}") if isinstance(rule, Mapping) else f"#{loc[1]}"
        where, loc = f"rule {rule_id!r}", loc[2:]
    field = ".".join(str(p) for p in loc)
    message = readable(err["msg"])
    return f"{where}: {field + ': ' if field else ''}{message}"


def _compile_rule(rule: RuleSpec, pack: RulePackSpec) -> CompiledRule:
    unknown_kinds = set(rule.kinds or ()) - set(pack.kinds)
    if unknown_kinds:
        raise RulePackError(f"rule {rule.id!r}: kinds {sorted(unknown_kinds)} not in pack kinds")
    _check_counters(rule)
    _check_params(rule, pack)
    program = _compile(rule.id, "expression", rule.expression)
    evidence = tuple(
        (name, _compile(rule.id, f"evidence.{name}", expr)) for name, expr in rule.evidence.items()
    )
    return CompiledRule(spec=rule, program=program, evidence=evidence)


def _check_counters(rule: RuleSpec) -> None:
    """Literal velocity calls must name a real window and a counter some kind feeds.

    Any kind's counters may be read: an order rule reads the declines and chargebacks that
    ``order_outcome`` events feed.
    """
    fed = {(c.metric, c.entity) for kind in event_kinds().values() for c in kind.counters}
    for expression in (rule.expression, *rule.evidence.values()):
        for _, _, metric, _, entity, _, window in _LITERAL_CALL.findall(expression):
            try:
                parse_window(window)
            except WindowError as exc:
                raise RulePackError(f"rule {rule.id!r}: {exc}") from None
            if (metric, entity) not in fed:
                raise RulePackError(
                    f"rule {rule.id!r}: no event kind feeds a counter {metric!r} per {entity!r}; "
                    f"known: {', '.join(sorted(f'{m}/{e}' for m, e in fed))}"
                )


def _check_params(rule: RuleSpec, pack: RulePackSpec) -> None:
    """A misspelt parameter would fail on every event at run time; refuse it on load instead."""
    for expression in (rule.expression, *rule.evidence.values()):
        missing = set(_PARAM.findall(expression)) - set(pack.params)
        if missing:
            known = ", ".join(sorted(pack.params)) or "none"
            raise RulePackError(
                f"rule {rule.id!r}: unknown parameter(s) {sorted(missing)}; pack params: {known}"
            )


def _compile(rule_id: str, where: str, expression: str) -> Any:
    try:
        program = cel.compile(expression)
    except (ValueError, RuntimeError) as exc:
        problem = str(exc).splitlines()[0].split("ERROR: <input>:")[-1]
        raise RulePackError(f"rule {rule_id!r} {where}: CEL error at {problem}") from None
    bound = set(_MACRO_VAR.findall(expression))
    unknown_vars = set(program.variables()) - RULE_VARIABLES - bound
    if unknown_vars:
        raise RulePackError(
            f"rule {rule_id!r} {where}: unknown variable(s) {sorted(unknown_vars)}; "
            f"rules see {sorted(RULE_VARIABLES)}"
        )
    named = {f for f in program.functions() if f[:1].isalpha()}
    unknown_funcs = named - CEL_BUILTINS - RULE_FUNCTIONS
    if unknown_funcs:
        raise RulePackError(
            f"rule {rule_id!r} {where}: unknown function(s) {sorted(unknown_funcs)}; "
            f"TradeGuard adds {sorted(RULE_FUNCTIONS)}"
        )
    return program


RuleFunctions = Mapping[str, Callable[..., Any]]


def evaluate_pack(
    pack: RulePack,
    kind: str,
    variables: dict[str, Any],
    functions: RuleFunctions,
    *,
    force_shadow: bool = False,
) -> list[Signal]:
    """Run the pack's enabled rules for this kind; a failing rule gives a signal, not a crash."""
    context = cel.Context(
        variables={**variables, "params": pack.spec.params}, functions=dict(functions)
    )
    signals: list[Signal] = []
    for rule in pack.rules:
        spec = rule.spec
        if not spec.enabled or (spec.kinds is not None and kind not in spec.kinds):
            continue
        source = f"rule:{pack.label}/{spec.id}"
        shadow = force_shadow or spec.shadow
        try:
            fired = rule.program.execute(context)
            if fired is not True:
                if not isinstance(fired, bool):
                    raise TypeError(f"expression gave {type(fired).__name__}, not bool")
                continue
            evidence = {name: _plain(p.execute(context)) for name, p in rule.evidence}
        except Exception as exc:  # a rule must never take the worker down
            signals.append(_error_signal(spec.id, source, exc, shadow))
            continue
        signals.append(
            Signal(
                code=f"rule.{spec.id}",
                reason=_fill(spec.reason, evidence),
                score=spec.weight,
                action=None if spec.action == "score" else Decision(spec.action),
                source=source,
                evidence=evidence,
                shadow=shadow,
                recommend=list(spec.recommend),
            )
        )
    return signals


def _error_signal(rule_id: str, source: str, exc: Exception, shadow: bool) -> Signal:
    message = str(exc).split(". Check")[0][:300]
    return Signal(
        code=f"rule_error.{rule_id}",
        reason=f"rule {rule_id} could not be evaluated: {message}",
        source=source,
        shadow=shadow,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(_plain(v)) for v in value)  # reads as words, not a Python repr
    return str(value)


def _fill(template: str, evidence: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: _show(evidence[m.group(1)]), template)


def _show(value: Any) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
