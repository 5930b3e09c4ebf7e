"""Links: where each link in a message really goes, and the tricks that hide it.

The checks look at the link itself (an IP address, punycode, a shortener, free hosting for a
credential page, a look-alike of a protected domain), at the text shown for it (a domain other
than the one it opens) and at the HTML around it (a form that would post a password).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from urllib.parse import SplitResult, unquote, urlsplit

from tradeguard.domains.mail.domains import (
    LookalikeIndex,
    is_within,
    punycode_evidence,
    read_list,
    registered_domain,
    split_host,
)
from tradeguard.domains.mail.html_text import ascii_host
from tradeguard.domains.mail.message import Finding, Link, ParsedMessage

HTML_LIMIT = 1_000_000  # characters of HTML the form scan reads; a bigger body is cut there
_IGNORED_SCHEMES = ("mailto:", "tel:", "cid:", "sms:", "callto:")
# A visible text that is one URL or host name, nothing else.
_URL_TEXT = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+.\-]*)://)?(?:[^\s/@]+@)?"
    r"(?P<host>(?:[\w\-]+\.)+[\w\-]+)\.?(?::\d{1,5})?(?P<rest>[/?#]\S*)?$",
    re.IGNORECASE,
)
# Suffixes that are also file extensions: "invoice.zip" shown alone is a file name, not a site.
_FILE_LIKE_SUFFIXES = frozenset({"zip", "mov", "md", "sh", "py"})
_NOT_TYPED = frozenset({"hidden", "submit", "image", "button", "reset", "checkbox", "radio"})
_FIELD_NAMES = ("name", "id", "placeholder", "autocomplete", "aria-label")
_CREDENTIAL_FIELD = re.compile(
    r"pass|pwd|user|login|account|card|cvv|cvc|ccv|expir|ssn|pin\b|otp|one-time|iban|"
    r"routing|sort.?code|security.?code|senha|contrase|passwort|mot.?de.?passe"
)
_NUMBER = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


@dataclass(frozen=True, slots=True)
class LinkFacts:
    """One link as the console shows it: where it goes, what it says, what was wrong with it."""

    href: str
    text: str
    host: str
    registered_domain: str
    flags: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "href": self.href[:300],
            "text": self.text[:200],
            "host": self.host,
            "registered_domain": self.registered_domain,
            "flags": list(self.flags),
        }


@dataclass(frozen=True, slots=True)
class _Target:
    """A link taken apart once for every check."""

    link: Link
    url: SplitResult
    host: str  # ASCII, lower-case, no brackets
    registered: str


@dataclass(frozen=True, slots=True)
class _Context:
    """What the checks know about the message around the link."""

    index: LookalikeIndex
    sender_domain: str  # the From's registered domain


# detail, evidence for one flagged link; None when the check does not apply.
_Hit = tuple[str, dict[str, str]]
_Check = Callable[[_Target, _Context], _Hit | None]


def analyse_links(
    msg: ParsedMessage, index: LookalikeIndex
) -> tuple[list[Finding], list[LinkFacts]]:
    """One finding per code (the first link in full, ``count`` for all), and every link's facts."""
    hits: dict[str, list[_Hit]] = {}
    facts: list[LinkFacts] = []
    context = _Context(index, registered_domain(msg.sender.domain))
    for link in msg.links:
        target = _target(link)
        if target is None:
            continue
        flags = []
        for code, check in _CHECKS:
            hit = check(target, context)
            if hit is not None:
                flags.append(code)
                hits.setdefault(code, []).append(hit)
        facts.append(
            LinkFacts(
                link.href[:300], link.text[:200], target.host, target.registered, tuple(flags)
            )
        )
    findings = [_first(code, found) for code, found in hits.items()]
    form = html_form(msg.html)
    return ([*findings, form] if form is not None else findings), facts


def _first(code: str, found: list[_Hit]) -> Finding:
    detail, evidence = found[0]
    return Finding(code, detail, {**evidence, "count": str(len(found))})


def _target(link: Link) -> _Target | None:
    href = link.href.strip()
    if not href or href.startswith("#") or href.lower().startswith(_IGNORED_SCHEMES):
        return None
    try:
        url = urlsplit(href)
        host = link.host or (url.hostname or "")
    except ValueError:
        url, host = urlsplit(""), link.host
    host = ascii_host(host.strip("[]"))
    return _Target(link, url, host, registered_domain(host))


# --- checks on the link itself ---------------------------------------------------------------


def parse_ip(host: str) -> str | None:
    """The address an IP-literal host opens, browsers' legacy forms included: ``3232235777``,
    ``0xc0a80101`` and ``0300.0250.1.1`` are all 192.168.1.1. None for a host name."""
    host = host.strip("[]").lower()
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    parts = host.rstrip(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.match(part) for part in parts):
        return None
    numbers = [_number(part) for part in parts]
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(parts)):
        return None
    value = sum(n << (8 * (3 - i)) for i, n in enumerate(head)) + last
    return str(ipaddress.IPv4Address(value))


def _number(part: str) -> int:
    if part.startswith("0x"):
        return int(part[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        return int(part, 8) if set(part) <= set("01234567") else 1 << 40
    return int(part)


def _ip_link(target: _Target, _: _Context) -> _Hit | None:
    address = parse_ip(target.host) if target.host else None
    if address is None:
        return None
    return (
        f"A link goes straight to the numeric address {address} instead of a named site: "
        f"{target.link.href[:200]}",
        {"href": target.link.href[:300], "host": target.host, "ip": address},
    )


def _punycode_link(target: _Target, _: _Context) -> _Hit | None:
    evidence = punycode_evidence(target.host)
    if evidence is None:
        return None
    return (
        f"A link's address is written in encoded international characters and displays as "
        f"{evidence['unicode']} ({evidence['scripts']}), which can imitate a familiar name.",
        {**evidence, "href": target.link.href[:300]},
    )


@cache
def _shorteners() -> tuple[str, ...]:
    return read_list("shorteners.txt")


def _shortener_link(target: _Target, _: _Context) -> _Hit | None:
    service = next((s for s in _shorteners() if is_within(target.host, s)), None)
    if service is None:
        return None
    return (
        f"A link uses the URL shortener {service}, which hides where it really leads.",
        {"href": target.link.href[:300], "host": target.host, "service": service},
    )


@cache
def _form_hosts() -> tuple[tuple[re.Pattern[str], str, str], ...]:
    """``data/form_hosts.txt`` as (host pattern, path prefix, entry) triples."""
    compiled = []
    for entry in read_list("form_hosts.txt"):
        host, _, path = entry.partition("/")
        pattern = r"\.".join(
            re.escape(label).replace(r"\*", "[a-z0-9-]*") for label in host.split(".")
        )
        compiled.append((re.compile(rf"(?:^|\.){pattern}$"), f"/{path}" if path else "", entry))
    return tuple(compiled)


def _form_host_link(target: _Target, _: _Context) -> _Hit | None:
    path = target.url.path or "/"
    for pattern, prefix, entry in _form_hosts():
        if pattern.search(target.host) and path.startswith(prefix):
            return (
                f"A link opens a page on {entry}, a free hosting or form service where anyone "
                f"can publish a login page.",
                {"href": target.link.href[:300], "host": target.host, "service": entry},
            )
    return None


def _lookalike_link(target: _Target, context: _Context) -> _Hit | None:
    match = context.index.lookalike(target.host) if target.registered else None
    if match is None:
        return None
    return (
        f"A link goes to {match.domain}, which looks like {match.looks_like} "
        f"({match.owner.name}) but is not it ({match.method}).",
        {**match.evidence(), "href": target.link.href[:300]},
    )


# --- what the link says against where it goes ------------------------------------------------


def shown_domain(text: str) -> str:
    """The registered domain a link's visible text names when the text is just a URL or a host
    name ("www.paypal.com", "https://amazon.de/orders"); "" for any other text."""
    found = _URL_TEXT.match(text.strip().strip("<>()[]\"'").rstrip(".,;:!"))
    if found is None:
        return ""
    host = ascii_host(found["host"])
    bare = not found["scheme"] and not found["rest"] and not host.startswith("www.")
    if bare and split_host(host).suffix in _FILE_LIKE_SUFFIXES:
        return ""
    return registered_domain(host)


def _link_text_mismatch(target: _Target, context: _Context) -> _Hit | None:
    shown = shown_domain(target.link.text)
    if not shown or shown == target.registered:
        return None
    owner = context.index.owner_of(shown)
    if owner is not None and owner == context.index.owner_of(target.registered):
        return None
    if owner is None and _tracked(target, shown, context):
        return None
    opens = target.registered or target.host or "an address without a host"
    return (
        f"A link shows {shown} but opens {opens}.",
        {
            "text": target.link.text[:200],
            "shown_domain": shown,
            "href": target.link.href[:300],
            "domain": opens,
        },
    )


def _tracked(target: _Target, shown: str, context: _Context) -> bool:
    """A newsletter's click tracker: the sender's own (Dilbert.com via unitedmedia.com, which
    sent it), or a redirect carrying the shown site in its URL. Only excused for sites nobody
    protects: a phisher could show paypal.com through its own domain or a fake redirect."""
    return target.registered == context.sender_domain or _redirects_to(target, shown)


def _redirects_to(target: _Target, shown: str) -> bool:
    """A tracking redirect that carries the shown site in its own URL goes there afterwards."""
    carried = unquote(unquote(f"{target.url.path}?{target.url.query}")).lower()
    return re.search(rf"(?:^|[/.=@]){re.escape(shown)}(?:$|[/?&#:])", carried) is not None


_CHECKS: tuple[tuple[str, _Check], ...] = (
    ("link_text_mismatch", _link_text_mismatch),
    ("ip_link", _ip_link),
    ("punycode_link", _punycode_link),
    ("shortener_link", _shortener_link),
    ("form_host_link", _form_host_link),
    ("lookalike_link", _lookalike_link),
)


# --- forms in the message itself -------------------------------------------------------------


@dataclass
class _Form:
    action: str
    password: bool = False
    credential: bool = False  # a field named or typed like a login, card or one-time code


class _FormScan(HTMLParser):
    """Collects each ``<form>`` with its action and the kinds of fields it holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[_Form] = []
        self._open: list[_Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: (value or "").strip().lower() for name, value in attrs}
        if tag == "form":
            self._open.append(_Form(values.get("action", "")))
        elif tag == "input" and self._open:
            field_type = values.get("type", "text")
            if field_type in _NOT_TYPED:
                return
            self._open[-1].password |= field_type == "password"
            self._open[-1].credential |= field_type == "password" or bool(
                _CREDENTIAL_FIELD.search(" ".join(values.get(k, "") for k in _FIELD_NAMES))
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open:
            self.forms.append(self._open.pop())

    def close(self) -> None:
        super().close()
        while self._open:
            self.handle_endtag("form")


def _risky(form: _Form) -> bool:
    """A password field anywhere, or login, card or code fields posted to a web address. A
    search box or an e-mail sign-up box is not: 86 of 2,751 legitimate 2002 newsletters carried
    one or the other, no phishing message in 3,000 did."""
    external = form.action.startswith(("http://", "https://", "//"))
    return form.password or (external and form.credential)


def html_form(html: str) -> Finding | None:
    """A form in the message that asks for a password or posts login or card details to a web
    address: a credential page delivered inline, which no real company sends."""
    if "<form" not in html.lower():
        return None
    scan = _FormScan()
    scan.feed(html[:HTML_LIMIT])
    scan.close()
    risky = [form for form in scan.forms if _risky(form)]
    if not risky:
        return None
    form = risky[0]
    asks = "asks for a password" if form.password else "asks for login or card details"
    target = f" and sends it to {form.action[:200]}" if form.action else ""
    return Finding(
        "html_form",
        f"The message contains a form that {asks}{target}; a real company never collects "
        f"these inside an e-mail.",
        {
            "action": form.action[:300],
            "password_field": "yes" if form.password else "no",
            "count": str(len(risky)),
        },
    )
