"""Registered domains, look-alike characters and the protected brands the mail analysers share.

Everything here works offline: the Public Suffix List is tldextract's bundled snapshot (no fetch,
no cache written), and the confusable characters come from the Unicode TR39 data shipped inside
``confusable-homoglyphs``. The untyped third-party calls sit behind small typed functions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Literal

import tldextract
import yaml
from confusable_homoglyphs import categories as _categories  # type: ignore[import-untyped]
from confusable_homoglyphs import confusables as _confusables
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from tradeguard.domains.mail.html_text import ascii_host

DATA = resources.files("tradeguard.domains.mail").joinpath("data")
_NUMERIC = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")  # a last label like this makes an IPv4 host
_NOT_WORD = re.compile(r"[^\w]+|_+")
# Multi-letter look-alikes TR39 leaves out because its sources are single characters.
_ASCII_FOLDS = (("vv", "w"), ("cl", "d"))
# After TR39, "i" (prototype) and "l" (prototype of "I", "1", "|") still differ, but in most
# sans-serif fonts "PayPaI" and "PayPal" do not; fold them together on both sides.
_LATE_FOLDS = str.maketrans({"i": "l"})

Category = Literal["marketplace", "payment", "logistics", "technology", "bank"]


class BrandListError(ValueError):
    """The brand file cannot be used; the message names the file and every broken field."""


# --- hosts and registered domains ----------------------------------------------------------


@cache
def _extractor() -> tldextract.TLDExtract:
    """tldextract on its bundled suffix list: ``suffix_list_urls=()`` never fetches, and
    ``cache_dir=None`` writes nothing to disk."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@dataclass(frozen=True, slots=True)
class HostParts:
    """A host cut at its public suffix: ``mail.amazon.co.uk`` is mail + amazon + co.uk."""

    subdomain: str
    label: str
    suffix: str

    @property
    def registered(self) -> str:
        """The name a registrant owns (``amazon.co.uk``); "" for IPs and bare names."""
        return f"{self.label}.{self.suffix}" if self.label and self.suffix else ""


@lru_cache(maxsize=8192)
def split_host(host: str) -> HostParts:
    """Cut a host at its public suffix (ICANN section only, so ``x.github.io`` is ``github.io``).

    A name under a suffix the list does not know (``shop.example``, ``corp.internal``) follows
    the list's implicit ``*`` rule, its last label as the suffix; IP addresses have none.
    """
    host = ascii_host(host)
    parts = _extractor()(host)
    if parts.suffix:
        return HostParts(parts.subdomain, parts.domain, parts.suffix)
    *rest, label, suffix = ["", "", *host.split(".")]
    if not label or not suffix or _NUMERIC.match(suffix) or ":" in host:
        return HostParts("", "", "")
    return HostParts(".".join(part for part in rest if part), label, suffix)


def registered_domain(host: str) -> str:
    """``a.b.paypal.com`` -> ``paypal.com``; "" when the host has no public suffix."""
    return split_host(host).registered


def decode_label(label: str) -> str:
    """An ``xn--`` label in Unicode; a label that does not decode is returned unchanged."""
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def unicode_host(host: str) -> str:
    """The host as a reader sees it, each punycode label decoded."""
    return ".".join(decode_label(label) for label in ascii_host(host).split("."))


def is_within(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains."""
    return host == domain or host.endswith("." + domain)


def punycode_evidence(host: str) -> dict[str, str] | None:
    """What an ``xn--`` host really reads as, and the scripts it mixes; None for plain ASCII."""
    if not any(label.startswith("xn--") for label in host.split(".")):
        return None
    shown = unicode_host(host)
    return {"domain": host, "unicode": shown, "scripts": ", ".join(scripts(shown)) or "unknown"}


# --- look-alike characters -------------------------------------------------------------------


@cache
def _prototypes() -> dict[str, str]:
    """TR39 confusables as character -> prototype; the library stores both directions, and a
    character with exactly one homoglyph is the one that maps onto it."""
    data: dict[str, list[dict[str, str]]] = _confusables.confusables_data
    return {
        char: glyphs[0]["c"].replace("\u200e", "")
        for char, glyphs in data.items()
        if len(char) == 1 and len(glyphs) == 1
    }


def _map_confusables(text: str) -> str:
    table = _prototypes()
    return "".join(table.get(char, char) for char in text)


def fold_accents(text: str) -> str:
    """``Itaú`` -> ``Itau``: compatibility-decompose and drop combining marks (also the
    invisible ones phishers thread between letters)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@lru_cache(maxsize=8192)
def skeleton(text: str) -> str:
    """What a string looks like, so ``PayPaI``, ``p\u0430ypal`` (Cyrillic a) and ``paypal``
    compare equal: accents dropped, TR39 prototypes, case folded, then a few ASCII look-alikes."""
    folded = _map_confusables(_map_confusables(fold_accents(text)).lower()).lower()
    for pair, single in _ASCII_FOLDS:
        folded = folded.replace(pair, single)
    return folded.translate(_LATE_FOLDS)


def scripts(text: str) -> tuple[str, ...]:
    """The Unicode scripts a string mixes (``("CYRILLIC", "LATIN")``), punctuation left out."""
    found: set[str] = set(_categories.unique_aliases(text))
    return tuple(sorted(found - {"COMMON", "INHERITED", "Unknown"}))


@lru_cache(maxsize=8192)
def words(text: str) -> tuple[str, ...]:
    """The skeleton of a name cut into words; a run of single letters (``C o i n b a s e``)
    also counts as the word it spells."""
    tokens = [token for token in _NOT_WORD.split(skeleton(text)) if token]
    out: list[str] = []
    run: list[str] = []
    for token in [*tokens, ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if len(run) >= 3:
            out.append("".join(run))
        out.extend(run)
        run = []
        if token:
            out.append(token)
    return tuple(out)


# --- the brand file --------------------------------------------------------------------------


def _is_registered(domain: str) -> bool:
    return registered_domain(domain) == domain


class Brand(BaseModel):
    """One protected brand; see the header of ``data/brands.yaml`` for what each field means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)
    category: Category
    domains: tuple[str, ...] = Field(min_length=1)
    tenant_domains: tuple[str, ...] = ()
    aliases: tuple[str, ...] = Field(min_length=1)
    standalone_aliases: tuple[str, ...] = ()
    domain_tokens: tuple[str, ...] | None = None

    @field_validator("domains", "tenant_domains")
    @classmethod
    def _registered_domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [
            domain for domain in value if domain != domain.lower() or not _is_registered(domain)
        ]
        if wrong:
            raise ValueError(f"not lower-case registered domains: {', '.join(wrong)}")
        return value

    def tokens(self) -> tuple[str, ...]:
        """Words that claim the brand inside another domain's name."""
        if self.domain_tokens is not None:
            return self.domain_tokens
        labels = {split_host(domain).label for domain in self.domains}
        return tuple(sorted(label for label in labels if len(label) >= 5 and not label.isdigit()))


class BrandBook(BaseModel):
    """The whole brand file: when it was compiled, the service words and the brands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    as_of: str
    source: str
    service_words: frozenset[str]
    brands: tuple[Brand, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_owner_per_domain(self) -> BrandBook:
        seen: dict[str, str] = {}
        for brand in self.brands:
            for domain in (*brand.domains, *brand.tenant_domains):
                if seen.setdefault(domain, brand.name) != brand.name:
                    raise ValueError(f"{domain} is listed for both {seen[domain]} and {brand.name}")
        return self


def load_brands(source: Path | Traversable | None = None) -> BrandBook:
    """Read and validate a brand file; any problem is one :class:`BrandListError` naming it."""
    file = source if source is not None else DATA.joinpath("brands.yaml")
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
        return BrandBook.model_validate(raw)
    except OSError as exc:
        raise BrandListError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise BrandListError(f"{file}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top level)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise BrandListError(f"{file}: {problems}") from exc


@cache
def default_brands() -> BrandBook:
    """The shipped brand file, read once per process."""
    return load_brands()


# --- plain domain lists ----------------------------------------------------------------------


def read_list(name: str) -> tuple[str, ...]:
    """The entries of one of the ``data/*.txt`` lists: lower-cased, comments and blanks dropped."""
    lines = DATA.joinpath(name).read_text(encoding="utf-8").splitlines()
    return tuple(
        line.strip().lower() for line in lines if line.strip() and not line.lstrip().startswith("#")
    )


@cache
def _freemail() -> tuple[frozenset[str], frozenset[str]]:
    """Free-mail domains: exact registered domains, and names allowed under any suffix."""
    entries = read_list("freemail.txt")
    any_suffix = frozenset(entry[:-2] for entry in entries if entry.endswith(".*"))
    exact = frozenset(entry for entry in entries if not entry.endswith(".*"))
    return exact, any_suffix


def is_freemail(domain: str) -> bool:
    """Anyone can have an address at this domain (``gmail.com``, ``hotmail.co.uk``, ``qq.com``)."""
    exact, any_suffix = _freemail()
    parts = split_host(domain)
    return parts.registered in exact or (bool(parts.suffix) and parts.label in any_suffix)


def tokens_of(names: Iterable[str]) -> frozenset[str]:
    """Skeletons of the given names, for matching a token however it is spelt."""
    return frozenset(skeleton(name) for name in names if name)


# --- the look-alike index --------------------------------------------------------------------

OwnerKind = Literal["brand", "own", "supplier"]
# dnstwist fuzzers worth precomputing: the ones edit distance and the skeleton miss (swapped
# letters are distance 2; hyphens, plurals and "paypalcom" change the length). The character
# fuzzers (addition, omission, replacement, bitsquatting, vowel-swap, insertion) are edit
# distance 1, which :meth:`LookalikeIndex.lookalike` computes on demand; "homoglyph" alone
# costs ~26 s for the brand list and the TR39 skeleton covers it; "dictionary" and "tld-swap"
# need word lists we do not ship (a same name under another suffix is its own method); and
# "subdomain" produces names whose registered domain is a stranger's (pay.pal.com -> pal.com).
_FUZZERS = ("transposition", "hyphenation", "plural", "repetition", "various")
_SHORT_FUZZERS = ("hyphenation", "repetition", "various")  # for names of 4 or fewer letters
_TOKEN_SPLIT = re.compile(r"[.\-_]+")


def _fuzz(label: str, fuzzers: tuple[str, ...]) -> list[tuple[str, str]]:
    """dnstwist's permutations of one name (under ``.com``, cut off again) as (name, fuzzer)."""
    import dnstwist  # type: ignore[import-untyped]  # imported late: only index builds need it

    fuzzer = dnstwist.Fuzzer(f"{label}.com")
    fuzzer.generate(fuzzers=list(fuzzers))
    found: list[tuple[str, str]] = []
    for permutation in fuzzer.domains:
        domain: str = permutation["domain"]
        name: str = permutation["fuzzer"]
        if domain.endswith(".com") and "." not in domain[:-4]:
            found.append((domain[:-4], name))
    return found


def _max_distance(label: str) -> int:
    """How many edits still look like ``label``: none for 4 letters or fewer (too many real
    names are one letter from "ebay" or "wise"), 1 up to 8 letters, 2 beyond."""
    if len(label) <= 4 or label.isdigit():
        return 0
    return 1 if len(label) <= 8 else 2


@dataclass(frozen=True, slots=True)
class Owner:
    """Who a protected domain belongs to: a brand, the store itself, or one of its suppliers."""

    name: str
    kind: OwnerKind


@dataclass(frozen=True, slots=True)
class LookalikeMatch:
    """``domain`` imitates ``looks_like``, which belongs to ``owner``; ``method`` says how."""

    domain: str
    looks_like: str
    owner: Owner
    method: str

    def evidence(self) -> dict[str, str]:
        return {
            "domain": self.domain,
            "looks_like": self.looks_like,
            "brand": self.owner.name,
            "owner_kind": self.owner.kind,
            "method": self.method,
        }


@dataclass(frozen=True)
class ProtectedNames:
    """What the store wants nobody to imitate: brands, its own domains, staff and suppliers."""

    brands: BrandBook
    own_domains: tuple[str, ...] = ()
    staff: tuple[str, ...] = ()  # full names as they sign mail: "Li Wei", "Anna Schmidt"
    suppliers: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name, registered domains)

    @classmethod
    def default(
        cls,
        *,
        own_domains: Iterable[str] = (),
        staff: Iterable[str] = (),
        suppliers: Mapping[str, Iterable[str]] | None = None,
    ) -> ProtectedNames:
        """The shipped brand list plus the store's own names, as settings hold them."""
        return cls(
            brands=default_brands(),
            own_domains=tuple(ascii_host(d) for d in own_domains),
            staff=tuple(staff),
            suppliers=tuple(
                (name, tuple(ascii_host(d) for d in domains))
                for name, domains in (suppliers or {}).items()
            ),
        )

    def owned_domains(self) -> dict[str, Owner]:
        """Every protected registered domain with its owner; the store's own come last and win."""
        owners = {d: Owner(b.name, "brand") for b in self.brands.brands for d in b.domains}
        for name, domains in self.suppliers:
            owners.update({registered_domain(d) or d: Owner(name, "supplier") for d in domains})
        own = Owner("your own domain", "own")
        owners.update({registered_domain(d) or d: own for d in self.own_domains})
        return owners

    def claim_tokens(self) -> dict[str, str]:
        """Token skeleton -> the protected domain it claims ("paypal" -> "paypal.com")."""
        tokens = {skeleton(t): b.domains[0] for b in self.brands.brands for t in b.tokens()}
        for domain in (*(d for _, ds in self.suppliers for d in ds), *self.own_domains):
            label = split_host(domain).label
            if len(label) >= 5 and not label.isdigit():
                tokens[skeleton(label)] = registered_domain(domain)
        return tokens


@dataclass(frozen=True)
class LookalikeIndex:
    """Everything :meth:`lookalike` needs, precomputed once per set of protected names."""

    protected: ProtectedNames
    owners: dict[str, Owner]
    tenants: frozenset[str]
    by_label: dict[str, tuple[str, ...]]  # protected name -> its registered domains
    permutations: dict[str, tuple[str, str]]  # dnstwist name -> (protected name, fuzzer)
    skeletons: dict[str, str]  # skeleton -> protected name
    tokens: dict[str, str]  # token skeleton -> protected domain
    distance_labels: tuple[str, ...]  # protected names long enough for edit distance
    service_words: frozenset[str]  # skeletons of the brand file's service words

    @classmethod
    def build(cls, protected: ProtectedNames) -> LookalikeIndex:
        owners = protected.owned_domains()
        by_label: dict[str, list[str]] = {}
        for domain in owners:
            by_label.setdefault(split_host(domain).label, []).append(domain)
        return cls(
            protected=protected,
            owners=owners,
            tenants=frozenset(d for b in protected.brands.brands for d in b.tenant_domains),
            by_label={label: tuple(domains) for label, domains in by_label.items()},
            permutations=_permutation_map(by_label),
            skeletons={skeleton(label): label for label in by_label},
            tokens=protected.claim_tokens(),
            distance_labels=tuple(label for label in by_label if _max_distance(label)),
            service_words=tokens_of(protected.brands.service_words),
        )

    def owner_of(self, host: str) -> Owner | None:
        """The owner of the host's registered domain, if it is protected."""
        return self.owners.get(registered_domain(host))

    def trusted(self, registered: str) -> bool:
        """Never a look-alike: protected, a brand's tenant space, or a free-mail provider."""
        return registered in self.owners or registered in self.tenants or is_freemail(registered)

    def lookalike(self, domain: str) -> LookalikeMatch | None:
        """How ``domain`` (a host or an address's domain) imitates a protected one, if it does."""
        host = ascii_host(domain)
        parts = split_host(host)
        if not parts.registered or self.trusted(parts.registered):
            return None
        if decode_label(parts.label) in self.by_label:
            found = self._same_name(parts)
        else:
            found = self._by_name(parts) or self._by_token(host, parts)
        if found is None:
            return None
        looks_like, method = found
        domain_shown = parts.registered if method != "brand in subdomain" else host
        return LookalikeMatch(domain_shown, looks_like, self.owners[looks_like], method)

    def _by_name(self, parts: HostParts) -> tuple[str, str] | None:
        label = decode_label(parts.label)
        if parts.label in self.permutations:
            original, fuzzer = self.permutations[parts.label]
            return self._pick(original, parts.suffix), f"dnstwist:{fuzzer}"
        original_label = self.skeletons.get(skeleton(label))
        if original_label is not None:
            return self._pick(original_label, parts.suffix), "homoglyph"
        return self._by_distance(fold_accents(label).lower(), parts.suffix)

    def _by_distance(self, label: str, suffix: str) -> tuple[str, str] | None:
        if _max_distance(label) == 0:
            return None
        best: tuple[int, str] | None = None
        for choice, distance, _ in extract(
            label, self.distance_labels, scorer=Levenshtein.distance, score_cutoff=2, limit=None
        ):
            allowed = min(_max_distance(choice), _max_distance(label))
            if 0 < distance <= allowed and (best is None or distance < best[0]):
                best = (int(distance), choice)
        if best is None:
            return None
        return self._pick(best[1], suffix), f"edit distance {best[0]}"

    def _by_token(self, host: str, parts: HostParts) -> tuple[str, str] | None:
        name = f"{parts.subdomain}.{parts.label}" if parts.subdomain else parts.label
        for token in _TOKEN_SPLIT.split(name):
            claimed = self.tokens.get(skeleton(decode_label(token))) if token else None
            if claimed is not None:
                return claimed, "brand in subdomain"
        return None

    def _same_name(self, parts: HostParts) -> tuple[str, str] | None:
        """A protected name under another suffix. Brands hold their name under most country
        codes (paypal.de, microsoft.de) and some names are plain words (office.org), so for a
        brand only a distinctive name under a generic suffix counts (paypal.shop); a store or
        supplier rarely registers defensively, so for those any other suffix counts."""
        label = decode_label(parts.label)
        kinds = {self.owners[domain].kind for domain in self.by_label[label]}
        country = len(parts.suffix.rpartition(".")[2]) == 2
        if kinds == {"brand"} and (country or skeleton(label) not in self.tokens):
            return None
        return self._pick(label, parts.suffix), "same name, other suffix"

    def _pick(self, label: str, suffix: str) -> str:
        """The protected domain with this name, under the same suffix where there is one."""
        domains = self.by_label[label]
        return next((d for d in domains if d.endswith("." + suffix)), domains[0])


def _permutation_map(by_label: dict[str, list[str]]) -> dict[str, tuple[str, str]]:
    """dnstwist permutations of every protected name, minus names that are protected themselves."""
    found: dict[str, tuple[str, str]] = {}
    for label in by_label:
        if not label or label.isdigit() or not label.isascii():
            continue
        fuzzers = _FUZZERS if len(label) > 4 else _SHORT_FUZZERS
        for name, fuzzer in _fuzz(label, fuzzers):
            if name != label and name not in by_label:
                found.setdefault(name, (label, fuzzer))
    return found


@cache
def default_index() -> LookalikeIndex:
    """The index over the shipped brand list alone, built once per process."""
    return LookalikeIndex.build(ProtectedNames.default())
