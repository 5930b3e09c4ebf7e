"""The password policy for the store's own users, after NIST SP 800-63B rev. 4 (3.1.1.2).

Length is counted in code points after NFKC; a password is refused when it is common, built
from the user's own details, seen in breaches, or too guessable for zxcvbn. There are no
composition rules and no expiry: rev. 4 forbids both. Pure functions: nothing is stored.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from tradeguard.domains.accounts.breached import BreachCorpus, breach_count, open_corpus
from tradeguard.domains.accounts.schemas import (
    PasswordCheck,
    PasswordCheckResult,
    PasswordContext,
    PasswordPolicyRead,
    PasswordReason,
)

log = logging.getLogger(__name__)
MIN_LENGTH = 15  # rev. 4: the password is the only authenticator
MIN_LENGTH_WITH_SECOND_FACTOR = 8  # rev. 4: the password is one factor of several
MAX_LENGTH = 256  # rev. 4 asks for at least 64
# zxcvbn scores: 2 resists throttled online guessing (< 10^8 guesses), 3 an offline attack on
# slow hashes (< 10^10). Alone, the password must survive a leaked hash table; with a second
# factor it only has to hold off online guessing, which is what rev. 4's 8 characters assume.
MIN_SCORE = 3
MIN_SCORE_WITH_SECOND_FACTOR = 2
# zxcvbn's matching grows quickly with length and it refuses more than it is told to take;
# the first 100 characters show every pattern a person would type.
SCORED_LENGTH = 100
# A context word or a common password's core shorter than this matches too much innocent text.
SHORTEST_WORD = 4
SHORTEST_TOKEN = 3

# Look-alike digits and symbols read as letters; '1' is tried as both i and l.
_LEET = (str.maketrans("013457@$", "oieastas"), str.maketrans("013457@$", "oleastas"))
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
_TOKENS = re.compile(r"[^\W_]+")
# zxcvbn keeps its user inputs in a module-level dictionary it rewrites on every call, so two
# threads scoring at once could score against each other's context.
_ZXCVBN = threading.Lock()


@dataclass(frozen=True, slots=True)
class Strength:
    score: int
    warning: str
    suggestions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ContextField:
    """One context value as the checks see it: whole (compacted) and as separate words."""

    label: str
    wholes: tuple[str, ...]
    tokens: tuple[str, ...]


def normalise(password: str) -> str:
    """NFKC, as rev. 4 asks before counting and hashing: full-width A (U+FF21) becomes 'A'."""
    return unicodedata.normalize("NFKC", password)


def fold(text: str) -> str:
    return normalise(text).casefold()


def compact(text: str) -> str:
    """Letters and digits only, so 'Jane.Doe' and 'jane doe' both read 'janedoe'."""
    return "".join(ch for ch in text if ch.isalnum())


def policy_for(*, with_second_factor: bool) -> PasswordPolicyRead:
    return PasswordPolicyRead(
        min_length=MIN_LENGTH_WITH_SECOND_FACTOR if with_second_factor else MIN_LENGTH,
        max_length=MAX_LENGTH,
        min_score=MIN_SCORE_WITH_SECOND_FACTOR if with_second_factor else MIN_SCORE,
        with_second_factor=with_second_factor,
    )


@lru_cache(maxsize=1)
def blocklist() -> frozenset[str]:
    """zxcvbn's 30,000 most common passwords (from leaked corpora), folded; built once.

    Its word lists (Wikipedia, film and TV, names) are left to the score: they are words
    people use in good passphrases too, and zxcvbn already rates a lone word as guessable.
    """
    return frozenset(fold(p) for p in FREQUENCY_LISTS["passwords"])


def _deleet(text: str) -> list[str]:
    return [text.translate(table) for table in _LEET]


def is_common(folded: str) -> bool:
    """On the blocklist, or one of its entries with digits or symbols around or swapped in."""
    if folded in blocklist():
        return True
    stripped = _EDGES.sub("", folded)
    cores = {_EDGES.sub("", v) for v in (stripped, *_deleet(folded), *_deleet(stripped))}
    return any(len(core) >= SHORTEST_WORD and core in blocklist() for core in cores)


def context_fields(context: PasswordContext | None) -> list[ContextField]:
    if context is None:
        return []
    fields = [
        _field("user name", [context.user_name]),
        _field("store name", [context.store_name]),
    ]
    if context.email:
        local, _, domain = fold(context.email).rpartition("@")
        labels = domain.split(".")[:-1] if local else []  # the top-level domain says nothing
        fields.append(_field("e-mail address", [local or domain, *labels]))
    return [f for f in fields if f.wholes or f.tokens]


def _field(label: str, values: Iterable[str | None]) -> ContextField:
    folded = [fold(v) for v in values if v]
    wholes = {w for w in map(compact, folded) if len(w) >= SHORTEST_WORD}
    tokens = {t for v in folded for t in _TOKENS.findall(v) if len(t) >= SHORTEST_TOKEN}
    return ContextField(label, tuple(sorted(wholes)), tuple(sorted(tokens, key=len, reverse=True)))


def uses_context(folded: str, field: ContextField) -> bool:
    """Contains the whole value, or is its words with only digits and symbols added."""
    for variant in {compact(folded), *(compact(v) for v in _deleet(folded))}:
        if any(whole in variant for whole in field.wholes):
            return True
        rest = variant
        for token in field.tokens:
            rest = rest.replace(token, "")
        if rest != variant and not any(ch.isalpha() for ch in rest):
            return True
    return False


def estimate_strength(password: str, *, user_inputs: Sequence[str] = ()) -> Strength:
    """zxcvbn's score (0-4) and advice for the first ``SCORED_LENGTH`` characters."""
    scored = password[:SCORED_LENGTH]
    if not scored:
        return Strength(0, "", ("Use a few words, avoid common phrases.",))  # zxcvbn fails on ""
    with _ZXCVBN:
        result = zxcvbn(scored, user_inputs=list(user_inputs), max_length=SCORED_LENGTH)
    feedback = result["feedback"]
    return Strength(int(result["score"]), feedback["warning"], tuple(feedback["suggestions"]))


def _length_reasons(text: str, policy: PasswordPolicyRead) -> list[PasswordReason]:
    if len(text) < policy.min_length:
        factor = "with a second factor" if policy.with_second_factor else "on its own"
        message = f"A password used {factor} needs at least {policy.min_length} characters."
        return [PasswordReason(code="too_short", message=message)]
    if len(text) > policy.max_length:
        message = f"A password may have at most {policy.max_length} characters."
        return [PasswordReason(code="too_long", message=message)]
    return []


def _guessable_reason(strength: Strength, policy: PasswordPolicyRead) -> PasswordReason:
    message = (
        f"This password is too easy to guess: strength {strength.score} of 4, "
        f"at least {policy.min_score} needed."
    )
    if strength.warning:
        message += f" {strength.warning}"
    return PasswordReason(code="too_guessable", message=message)


def _word_reasons(folded: str, fields: list[ContextField]) -> list[PasswordReason]:
    """The blocklist and the context words: what an attacker tries first for this user."""
    reasons = []
    if is_common(folded):
        message = "This is a common password, or one with a few characters added or swapped."
        reasons.append(PasswordReason(code="common_password", message=message))
    for field in fields:
        if uses_context(folded, field):
            message = f"The password contains the {field.label} or is a variation of it."
            reasons.append(PasswordReason(code="contains_context", message=message))
    return reasons


def _suggestions(reasons: list[PasswordReason], strength: Strength) -> list[str]:
    codes = {r.code for r in reasons}
    advice = list(strength.suggestions)
    if codes & {"too_short", "too_guessable"}:
        advice.append("A few unrelated words make a long password that is easy to remember.")
    if codes & {"common_password", "breached", "contains_context"}:
        advice.append(
            "Choose a password you use nowhere else, without your name, e-mail or the store's."
        )
    return list(dict.fromkeys(advice))


def assess(
    password: str,
    *,
    with_second_factor: bool = False,
    context: PasswordContext | None = None,
    breaches: BreachCorpus | None = None,
) -> PasswordCheckResult:
    """Every reason this password should be refused, and zxcvbn's score; never the password."""
    policy = policy_for(with_second_factor=with_second_factor)
    text = normalise(password)
    fields = context_fields(context)
    strength = estimate_strength(
        text, user_inputs=[w for f in fields for w in (*f.wholes, *f.tokens)]
    )
    reasons = _length_reasons(text, policy)
    if len(text) <= policy.max_length:  # an over-long one is refused anyway: bound the work
        reasons += _word_reasons(text.casefold(), fields)
    count = None if breaches is None else breach_count(breaches, password, text)
    if count:
        message = f"This password has appeared {count:,} times in known data breaches."
        reasons.append(PasswordReason(code="breached", message=message))
    if strength.score < policy.min_score:
        reasons.append(_guessable_reason(strength, policy))
    return PasswordCheckResult(
        acceptable=not reasons,
        score=strength.score,
        reasons=reasons,
        suggestions=_suggestions(reasons, strength),
        breached_count=count,
        policy=policy,
    )


def check(request: PasswordCheck, *, breach_corpus: Path | None) -> PasswordCheckResult:
    """The use case the API and the console share; the corpus is looked at on each use.

    Nothing about a check is stored or audited: it changes nothing, and a log of checks would
    be a log of people's password attempts. The log line carries the outcome only.
    """
    result = assess(
        request.password.get_secret_value(),
        with_second_factor=request.with_second_factor,
        context=request.context,
        breaches=open_corpus(breach_corpus) if breach_corpus is not None else None,
    )
    log.debug(
        "password check: acceptable=%s score=%d reasons=%s",
        result.acceptable,
        result.score,
        ",".join(r.code for r in result.reasons) or "-",
    )
    return result
