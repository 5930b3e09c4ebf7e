"""What a message asks the reader to do: intent phrases found in its subject and visible text.

The phrases live in ``data/intents.yaml`` (English, Portuguese, Spanish, French, German and
Simplified Chinese), written in a small pattern language that compiles to regexes with only
bounded repetition, so no phrase can make matching backtrack without end. Text and phrases
are folded the same way (NFKC, case, accents, look-alike letters, invisible characters), and
every match is mapped back to the original characters so the console highlights what the
reader actually saw.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tradeguard.domains.mail.message import Finding, ParsedMessage

MAX_BODY = 50_000
MAX_SUBJECT = 2_000
MAX_EVIDENCE = 200  # characters of the matched phrase kept as evidence

Code = Literal[
    "credential_request",
    "payment_change",
    "gift_card_request",
    "urgency",
    "suspension_lure",
    "invoice_lure",
]
Language = Literal["en", "pt", "es", "fr", "de", "zh"]
Phrase = Annotated[str, Field(min_length=1, max_length=300)]

# Letters from other scripts that render like Latin ones, after case folding: "paypal" spelt
# with a Cyrillic a must still read "paypal" to the matcher.
CONFUSABLES = str.maketrans(
    {
        "\N{CYRILLIC SMALL LETTER A}": "a",
        "\N{CYRILLIC SMALL LETTER VE}": "b",
        "\N{CYRILLIC SMALL LETTER IE}": "e",
        "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
        "\N{CYRILLIC SMALL LETTER JE}": "j",
        "\N{CYRILLIC SMALL LETTER KA}": "k",
        "\N{CYRILLIC SMALL LETTER O}": "o",
        "\N{CYRILLIC SMALL LETTER ER}": "p",
        "\N{CYRILLIC SMALL LETTER ES}": "c",
        "\N{CYRILLIC SMALL LETTER U}": "y",
        "\N{CYRILLIC SMALL LETTER HA}": "x",
        "\N{CYRILLIC SMALL LETTER DZE}": "s",
        "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
        "\N{CYRILLIC SMALL LETTER QA}": "q",
        "\N{CYRILLIC SMALL LETTER WE}": "w",
        "\N{CYRILLIC SMALL LETTER SHHA}": "h",
        "\N{CYRILLIC SMALL LETTER PALOCHKA}": "l",
        "\N{LATIN SMALL LETTER ALPHA}": "a",
        "\N{LATIN SMALL LETTER SCRIPT G}": "g",
        "\N{LATIN SMALL LETTER DOTLESS I}": "i",
        "\N{GREEK SMALL LETTER OMICRON}": "o",
        "\N{GREEK SMALL LETTER ALPHA}": "a",
        "\N{GREEK SMALL LETTER RHO}": "p",
        "\N{GREEK SMALL LETTER NU}": "v",
        "\N{GREEK SMALL LETTER IOTA}": "i",
        "\N{GREEK SMALL LETTER KAPPA}": "k",
        "\N{GREEK SMALL LETTER UPSILON}": "u",
        "\N{GREEK SMALL LETTER CHI}": "x",
        "\N{GREEK LUNATE SIGMA SYMBOL}": "c",
        "\N{LATIN LETTER DENTAL CLICK}": "l",
    }
)


# A phrase never runs across a sentence end: these fold to a line break, which no phrase's
# space (nor its "..." gap) matches.
SENTENCE_ENDS = frozenset(".!?;\N{IDEOGRAPHIC FULL STOP}")  # after NFKC: fullwidth ones too


class IntentsFileError(ValueError):
    """``intents.yaml`` is unusable; the one-line message names the entry at fault."""


# ---------------------------------------------------------------------------------------------
# Folding


@dataclass(frozen=True, slots=True)
class Folded:
    """Folded text with, for each of its characters, the span of the original it came from."""

    text: str
    starts: list[int] = field(repr=False)
    ends: list[int] = field(repr=False)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


_PIECE = re.compile(r"[A-Za-z0-9]+|\s+|.", re.DOTALL)


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    """One character as the matcher sees it: "" when invisible, " " for punctuation and "\\n"
    for a sentence end."""
    if unicodedata.category(char) == "Cf":  # zero-width space and joiners, soft hyphen, BOM
        return ""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold())
    kept = []
    for part in decomposed.translate(CONFUSABLES):
        kind = unicodedata.category(part)
        if kind == "Mn":  # accents: phishers drop them, so matching ignores them
            continue
        if part in SENTENCE_ENDS:
            kept.append("\n")
        else:
            kept.append(" " if kind.startswith(("P", "Z")) or part.isspace() else part)
    return "".join(kept)


def fold(text: str) -> Folded:
    """Fold ``text`` for matching: one space between words, none between Chinese characters,
    a line break for a sentence end."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    gap: tuple[str, int, int] | None = None  # a pending separator, written before the next letter
    for piece in _PIECE.finditer(text):
        begin, stop = piece.span()
        chunk = piece.group()
        if chunk.isspace():
            folded = " "
        else:
            simple = chunk[0].isascii() and chunk[0].isalnum()
            folded = chunk.lower() if simple else _fold_char(chunk)
        for offset, char in enumerate(folded):
            if char in " \n":
                gap = gap if gap and (gap[0] == "\n" or char == " ") else (char, begin, stop)
                continue
            if gap and out and (gap[0] == "\n" or not (_is_cjk(out[-1]) and _is_cjk(char))):
                out.append(gap[0])
                starts.append(gap[1])
                ends.append(gap[2])
            gap = None
            position = begin + offset if len(folded) == len(chunk) else begin
            out.append(char)
            starts.append(position)
            ends.append(position + 1 if len(folded) == len(chunk) else stop)
    return Folded("".join(out), starts, ends)


# ---------------------------------------------------------------------------------------------
# The phrase language

_TOKEN = re.compile(r"\(([^()]*)\)|\.\.\.|[^\s()]+|\s+|[()]")
_GAP = r"(?:[^ \n]{1,40} ){0,3}"  # "..." : up to three words, each bounded
_REGEX_SYNTAX = re.compile(r"[?+\[\]{}\\^$]")


@dataclass(frozen=True, slots=True)
class _Element:
    kind: Literal["word", "group", "gap"]
    options: tuple[str, ...]  # the word itself, or a group's alternatives ("" = may be absent)
    glued: bool  # no space before it: a suffix group, or Chinese


def compile_phrase(phrase: str, *, language: str) -> str:
    """A phrase of ``intents.yaml`` as a regex source over folded text (see the file's header).

    Words and ``(a|b c)`` alternatives match folded literally, ``word*`` any ending, ``...`` up
    to three words; every repetition is bounded, which is what keeps matching linear. Word
    boundaries are added once per intent (:func:`_compile`), not per phrase: a lookbehind in
    front of each of 40 alternatives made matching ten times slower.
    """
    chinese = language == "zh"
    elements = _elements(phrase, chinese=chinese)
    if not elements or elements[0].kind == "gap" or elements[-1].kind == "gap":
        raise ValueError("a phrase must start and end with a word")
    parts: list[str] = []
    spaced = False  # the previous part already ends with its own space
    for position, element in enumerate(elements):
        separator = "" if position == 0 or element.glued or spaced else " "
        spaced = False
        if element.kind == "gap":
            parts.append(separator + _GAP)
            spaced = True
        elif "" in element.options and not element.glued and not chinese:
            words = [_words(option) + " " for option in element.options if option]
            parts.append(separator + "(?:" + "|".join(words) + ")?")
            spaced = True
        else:
            parts.append(separator + "(?:" + "|".join(_words(o) for o in element.options) + ")")
    if spaced:
        raise ValueError("an optional group or '...' cannot end a phrase")
    return "".join(parts)


def _elements(phrase: str, *, chinese: bool) -> list[_Element]:
    elements: list[_Element] = []
    glued = chinese
    for token in _TOKEN.finditer(phrase.strip()):
        text = token.group()
        if text.isspace():
            glued = chinese
        elif text in "()":
            raise ValueError("unbalanced parenthesis")
        elif text == "...":
            if chinese:
                raise ValueError("'...' is not available in Chinese phrases")
            elements.append(_Element("gap", (), glued=False))
        else:
            inner = token.group(1)
            options = tuple(o.strip() for o in inner.split("|")) if inner is not None else (text,)
            if any("..." in option for option in options) or options == ("",):
                raise ValueError("'...' or nothing inside parentheses")
            elements.append(_Element("word" if inner is None else "group", options, glued))
            glued = True
    return elements


def _words(option: str) -> str:
    return " ".join(_word(word) for word in option.split())


def _word(word: str) -> str:
    stem, star = (word[:-1], True) if word.endswith("*") else (word, False)
    if "*" in stem or "|" in stem or "..." in stem or _REGEX_SYNTAX.search(stem):
        raise ValueError(f"{word!r}: '*' only ends a word, '|' sits in parentheses, no regex")
    folded = fold(stem).text
    if not folded:
        raise ValueError(f"nothing is left of {word!r} once folded")
    return re.escape(folded) + (r"\w{0,30}" if star else "")


# ---------------------------------------------------------------------------------------------
# intents.yaml


class IntentEntry(BaseModel):
    """One intent: its finding code, the sentence shown, and its phrases per language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: Code
    detail: str = Field(min_length=10, max_length=300)
    phrases: dict[Language, list[Phrase]] = Field(min_length=1)

    @model_validator(mode="after")
    def _phrases_compile(self) -> IntentEntry:
        for language, phrases in self.phrases.items():
            for number, phrase in enumerate(phrases, start=1):
                try:
                    re.compile(compile_phrase(phrase, language=language))
                except (ValueError, re.error) as exc:
                    raise ValueError(f"{language} phrase {number} {phrase!r}: {exc}") from None
        return self


class IntentsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    intents: list[IntentEntry]

    @model_validator(mode="after")
    def _each_code_once(self) -> IntentsFile:
        codes = [entry.code for entry in self.intents]
        if sorted(codes) != sorted(set(codes)):
            raise ValueError("an intent code appears twice")
        return self


@dataclass(frozen=True, slots=True)
class Intent:
    """An intent compiled once: one regex whose named group (``en``, ``pt``...) is the language."""

    code: str
    detail: str
    pattern: re.Pattern[str]


def load_intents(source: str, *, name: str = "intents.yaml") -> tuple[Intent, ...]:
    """Validate and compile the intents file; a broken entry fails naming code and phrase."""
    try:
        raw = yaml.safe_load(source)
        document = IntentsFile.model_validate(raw)
    except yaml.YAMLError as exc:
        raise IntentsFileError(f"{name}: not YAML ({' '.join(str(exc).split())})") from None
    except ValidationError as exc:
        raise IntentsFileError(f"{name}: {_describe(exc, raw)}") from None
    return tuple(_compile(entry) for entry in document.intents)


def _describe(exc: ValidationError, raw: Any) -> str:
    """The first error with its place, the intent index replaced by its code where known."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    if len(loc) >= 2 and loc[0] == "intents" and isinstance(loc[1], int):
        entries = raw.get("intents") if isinstance(raw, dict) else None
        entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
        code = entry.get("code") if isinstance(entry, dict) else None
        loc[1] = f"{loc[1]} ({code})" if code else loc[1]
    where = ".".join(str(part) for part in loc) or "document"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


def _compile(entry: IntentEntry) -> Intent:
    """Chinese has no word boundaries to require; every other language sits inside them."""
    groups = {
        language: "|".join(compile_phrase(phrase, language=language) for phrase in phrases)
        for language, phrases in entry.phrases.items()
        if phrases
    }
    spaced = "|".join(f"(?P<{lang}>{body})" for lang, body in groups.items() if lang != "zh")
    branches = [rf"(?<!\w)(?:{spaced})(?!\w)"] if spaced else []
    branches += [f"(?P<zh>{groups['zh']})"] if "zh" in groups else []
    return Intent(entry.code, entry.detail, re.compile("|".join(branches)))


@cache
def intents() -> tuple[Intent, ...]:
    """The packaged intents, read and compiled once per process."""
    text = resources.files("tradeguard.domains.mail").joinpath("data/intents.yaml")
    return load_intents(text.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------
# Analysis


@dataclass(frozen=True, slots=True)
class _Hit:
    where: str
    phrase: str
    offset: int
    language: str


def analyse_content(msg: ParsedMessage) -> list[Finding]:
    """One finding per intent found in the subject or the first 50,000 characters of text."""
    fields = (("subject", msg.subject[:MAX_SUBJECT]), ("body", msg.text[:MAX_BODY]))
    folded = [(where, original, fold(original)) for where, original in fields]
    findings = []
    for intent in intents():
        hits = [hit for where, text, view in folded for hit in _hits(intent, where, text, view)]
        if hits:
            findings.append(_finding(intent, hits))
    return findings


def _hits(intent: Intent, where: str, original: str, view: Folded) -> list[_Hit]:
    hits = []
    for match in intent.pattern.finditer(view.text):
        start, end = view.original_span(*match.span())
        language = match.lastgroup or ""
        hits.append(_Hit(where, original[start:end][:MAX_EVIDENCE], start, language))
    return hits


def _finding(intent: Intent, hits: list[_Hit]) -> Finding:
    first = hits[0]
    return Finding(
        code=intent.code,
        detail=intent.detail.replace("{phrase}", first.phrase),
        evidence={
            "phrase": first.phrase,
            "where": first.where,
            "offset": str(first.offset),
            "language": first.language,
            "count": str(len(hits)),
        },
    )
