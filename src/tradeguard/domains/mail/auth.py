"""Sender authentication: what the receiving server recorded (SPF, DKIM, DMARC), and our DKIM.

The receiving server's ``Authentication-Results`` header (RFC 8601) is the record of SPF and
DMARC, which need the connecting IP address we never see. Any sender can write such a header
too, so only one from a trusted ``authserv-id`` counts; with none configured, the topmost one,
which the last server added. ``ARC-Authentication-Results`` (RFC 8617) stands in when a
forwarder re-signed the message and no direct result exists.

The grammar is parsed leniently on purpose: Microsoft 365 omits the ``authserv-id`` and leaves
``header.from=`` empty, and a strict RFC parser (the ``authres`` package) refused a quarter of
the real headers in the phishing corpus.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tradeguard.domains.mail.message import Finding, ParsedMessage

RESULTS = ("pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy")
_COMMENT = re.compile(r"\([^()]*\)")
_RESINFO = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*(?:/\s*\d+\s*)?=\s*([a-z]+)(.*)$", re.I | re.S)
_PROPERTY = re.compile(r"\b([a-z]+)\.([a-z0-9_-]+)\s*=\s*([^\s;]*)", re.I)
_ARC_INSTANCE = re.compile(r"^\s*i\s*=\s*(\d+)\s*;", re.I)

# dns name -> TXT record text; dkimpy's own resolver hook has this shape.
TxtLookup = Callable[..., bytes | str | None]


@dataclass(frozen=True, slots=True)
class AuthResults:
    """The verdicts of the three mechanisms, as one server recorded them."""

    spf: str = "none"
    dkim: str = "none"
    dmarc: str = "none"
    dkim_domains: tuple[str, ...] = ()  # signing domains whose signature passed
    mailfrom_domain: str = ""  # the SPF identity (envelope sender's domain)
    source: str = ""  # which header, or "own DKIM check", said so; "" when nothing did

    def as_dict(self) -> dict[str, object]:
        return {
            "spf": self.spf,
            "dkim": self.dkim,
            "dmarc": self.dmarc,
            "dkim_domains": list(self.dkim_domains),
            "mailfrom_domain": self.mailfrom_domain,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class _Method:
    name: str
    result: str
    properties: dict[str, str] = field(default_factory=dict)


def parse_results(value: str) -> tuple[str, list[_Method]]:
    """The authserv-id ("" for Microsoft's form) and each ``method=result`` with its properties."""
    text = _COMMENT.sub(" ", " ".join(value.split()))
    pieces = [p.strip() for p in text.split(";")]
    server = ""
    if pieces and "=" not in pieces[0]:
        server = pieces.pop(0).split()[0].lower() if pieces[0] else ""
    methods = []
    for piece in pieces:
        match = _RESINFO.match(piece)
        if match is None:
            continue
        props = {f"{t.lower()}.{n.lower()}": v.strip('"') for t, n, v in _PROPERTY.findall(piece)}
        methods.append(_Method(match.group(1).lower(), match.group(2).lower(), props))
    return server, methods


def _chosen_header(msg: ParsedMessage, trusted: Sequence[str]) -> tuple[str, str] | None:
    """(label, value) of the Authentication-Results to believe, or an ARC stand-in."""
    for value in msg.header("Authentication-Results"):
        server, _ = parse_results(value)
        if not trusted or server in trusted:
            return f"Authentication-Results from {server or 'the receiving server'}", value
    if trusted:
        return None
    arc = _latest_arc(msg.header("ARC-Authentication-Results"))
    return ("ARC-Authentication-Results", arc) if arc else None


def _latest_arc(values: list[str]) -> str | None:
    """The highest ARC instance: the hop closest to us."""
    best: tuple[int, str] | None = None
    for value in values:
        match = _ARC_INSTANCE.match(value)
        if match and (best is None or int(match.group(1)) > best[0]):
            best = (int(match.group(1)), value[match.end() :])
    return best[1] if best else None


def _strongest(results: list[str]) -> str:
    """One verdict from several signatures or records: any pass wins, then the worst failure."""
    if not results:
        return "none"
    if "pass" in results:
        return "pass"
    for worst in ("fail", "permerror", "softfail", "temperror", "neutral", "policy"):
        if worst in results:
            return worst
    return results[0] if results[0] in RESULTS else "none"


def recorded_results(msg: ParsedMessage, *, trusted: Sequence[str] = ()) -> AuthResults:
    """What the trusted receiving server recorded; all "none" when no header is trusted."""
    chosen = _chosen_header(msg, trusted)
    if chosen is None:
        return AuthResults()
    label, value = chosen
    _, methods = parse_results(value)
    by_name: dict[str, list[_Method]] = {}
    for method in methods:
        by_name.setdefault(method.name, []).append(method)
    dkim = by_name.get("dkim", [])
    spf = by_name.get("spf", [])
    return AuthResults(
        spf=_strongest([m.result for m in spf]),
        dkim=_strongest([m.result for m in dkim]),
        dmarc=_strongest([m.result for m in by_name.get("dmarc", [])]),
        dkim_domains=tuple(
            dict.fromkeys(
                _domain_of(m.properties.get("header.d") or m.properties.get("header.i", ""))
                for m in dkim
                if m.result == "pass"
            )
        ),
        mailfrom_domain=_domain_of(spf[0].properties.get("smtp.mailfrom", "")) if spf else "",
        source=label,
    )


def _domain_of(identity: str) -> str:
    return identity.rpartition("@")[2].strip().lower().rstrip(".")


def verify_dkim(raw: bytes, lookup: TxtLookup) -> AuthResults:
    """Check every DKIM signature ourselves (dkimpy); ``lookup`` answers the key queries."""
    import dkim  # type: ignore[import-untyped]

    checker = dkim.DKIM(raw)
    signatures = sum(1 for name, _ in checker.headers if name.lower() == b"dkim-signature")
    results, domains = [], []
    for index in range(min(signatures, 10)):
        try:
            ok = bool(checker.verify(idx=index, dnsfunc=lookup))
        except Exception:  # dkimpy raises for malformed signatures and unreachable keys alike
            ok = False
        results.append("pass" if ok else "fail")
        if ok and checker.domain:
            domains.append(checker.domain.decode("ascii", "replace").lower())
    return AuthResults(
        dkim=_strongest(results),
        dkim_domains=tuple(dict.fromkeys(domains)),
        source="own DKIM check" if signatures else "",
    )


def dns_txt_lookup(resolvers: Sequence[str], timeout: float = 3.0) -> TxtLookup:
    """A key lookup through the configured DNS servers only (dnspython)."""
    import dns.resolver

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = list(resolvers)
    resolver.lifetime = timeout

    def lookup(name: bytes | str, timeout: float = timeout) -> bytes | None:
        qname = name.decode("ascii") if isinstance(name, bytes) else name
        try:
            answer = resolver.resolve(qname, "TXT")
        except Exception:  # NXDOMAIN, timeout, refused: the signature cannot be checked
            return None
        return b"".join(b"".join(record.strings) for record in answer)

    return lookup


def combine(recorded: AuthResults, own: AuthResults | None) -> AuthResults:
    """Our own DKIM check overrides what a header claimed about DKIM; SPF and DMARC stay."""
    if own is None or not own.source:
        return recorded
    return AuthResults(
        spf=recorded.spf,
        dkim=own.dkim,
        dmarc=recorded.dmarc,
        dkim_domains=own.dkim_domains,
        mailfrom_domain=recorded.mailfrom_domain,
        source=f"{recorded.source} + own DKIM check" if recorded.source else own.source,
    )


def auth_findings(results: AuthResults, sender_domain: str) -> list[Finding]:
    """Failures a person should hear about; a missing result is no finding (old mail has none)."""
    found = []
    where = results.source or "the receiving server"
    if results.dmarc in ("fail", "permerror"):
        found.append(
            Finding(
                "dmarc_fail",
                f"{sender_domain or 'The sender domain'} did not authorise this message "
                f"(DMARC {results.dmarc}, per {where}); unless a mailing list or forwarder "
                "passed it on, someone else used the name.",
                {"domain": sender_domain, "result": results.dmarc},
            )
        )
    if results.spf in ("fail", "softfail"):
        found.append(
            Finding(
                "spf_fail",
                f"The sending server is not allowed to send for "
                f"{results.mailfrom_domain or sender_domain} (SPF {results.spf}).",
                {"domain": results.mailfrom_domain or sender_domain, "result": results.spf},
            )
        )
    if results.dkim in ("fail", "permerror"):
        found.append(
            Finding(
                "dkim_fail",
                f"The message's DKIM signature does not verify (DKIM {results.dkim}): "
                "it was changed or forged on the way.",
                {"result": results.dkim},
            )
        )
    return found


def aligned(results: AuthResults, sender_domain: str, registered: Callable[[str], str]) -> bool:
    """Did an authenticated identity match the From domain (DMARC's relaxed alignment)?"""
    if results.dmarc == "pass":
        return True
    target = registered(sender_domain)
    if not target:
        return False
    return any(registered(d) == target for d in results.dkim_domains) or (
        results.spf == "pass" and registered(results.mailfrom_domain) == target
    )
