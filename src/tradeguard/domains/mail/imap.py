"""Optional IMAP poller: screen new messages from one mailbox without ever changing it.

The mailbox belongs to the people who read it, so the poller is read-only by construction:
the folder is opened with EXAMINE, bodies are fetched with ``BODY.PEEK[]`` (which, unlike
``RFC822`` or ``BODY[]``, leaves ``\\Seen`` alone), and nothing is stored, copied, moved or
expunged. Progress lives in a small JSON state file (UIDVALIDITY and the last UID seen), not
in the mailbox's flags.

The password never reaches a log record, a ``repr`` or an exception message.
"""

from __future__ import annotations

import contextlib
import imaplib
import json
import logging
import os
import re
import ssl
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeGuard

from tradeguard.errors import Unavailable

log = logging.getLogger(__name__)

Handle = Callable[[bytes, datetime | None], None]
"""Screens one raw message; the second argument is the server's INTERNALDATE (arrival time)."""

DEFAULT_MAX_BYTES = 25 * 1_048_576  # the same default as the parser's mail_max_message_bytes
RETRY_FIRST_S = 1.0  # first wait after a network error, doubled each time up to RETRY_MAX_S
RETRY_MAX_S = 300.0

_FETCH_START = re.compile(rb"^\d+ \(")
_UID = re.compile(rb"[( ]UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "([ \d]?\d)-([A-Za-z]{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([-+])(\d\d)(\d\d)"'
)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


class MailboxError(Unavailable, ValueError):
    """The mailbox cannot be reached or read; one readable line that never holds the password."""


class LoginRefused(MailboxError):
    """The server refused the credentials; not retried, since repeating can lock the account."""


@dataclass(frozen=True, kw_only=True)
class MailboxConfig:
    """Where to poll; ``repr`` leaves the password out so the config can be logged safely."""

    host: str
    port: int = 993
    user: str
    password: str = field(repr=False)
    folder: str = "INBOX"
    use_ssl: bool = True
    timeout: float = 30.0
    batch: int = 50  # messages fetched per poll at most
    max_bytes: int = DEFAULT_MAX_BYTES  # a larger message is skipped, not fetched

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise MailboxError(f"IMAP port must be 1-65535, not {self.port}")
        if self.timeout <= 0 or self.batch < 1 or self.max_bytes < 1:
            raise MailboxError("IMAP timeout, batch and max_bytes must be positive")
        if not self.folder.isascii() or not self.folder.isprintable():
            raise MailboxError("IMAP folder names must be printable ASCII (modified UTF-7)")

    @property
    def where(self) -> str:
        """The mailbox as ``user@host:port``, for messages and logs."""
        return f"{self.user}@{self.host}:{self.port}"


@dataclass
class MailboxState:
    """How far the poller got: UIDs only mean something under the same UIDVALIDITY."""

    uidvalidity: int | None = None
    last_uid: int = 0


@dataclass(frozen=True)
class PollResult:
    """One poll: ``fetched`` bodies were handed to the handler, ``failed`` of them raised;
    ``skipped`` were too large or gone; ``remaining`` new messages wait for the next poll."""

    state: MailboxState
    fetched: int = 0
    failed: int = 0
    skipped: int = 0
    remaining: int = 0

    def plus(self, other: PollResult) -> PollResult:
        """Counts of two polls together, with the later state."""
        return PollResult(
            state=other.state,
            fetched=self.fetched + other.fetched,
            failed=self.failed + other.failed,
            skipped=self.skipped + other.skipped,
            remaining=other.remaining,
        )


# -- state file --------------------------------------------------------------------------------


def load_state(path: Path) -> MailboxState:
    """The saved state, or a fresh one when there is no file yet (first run)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return MailboxState()
    except (OSError, ValueError) as exc:
        raise MailboxError(f"cannot read the IMAP state file {path}: {exc}") from None
    fields = raw if isinstance(raw, dict) else {}
    validity, last = fields.get("uidvalidity", -1), fields.get("last_uid")
    if not _is_uint(last) or (validity is not None and not _is_uint(validity)):
        raise MailboxError(f"the IMAP state file {path} is damaged; delete it to start again")
    return MailboxState(uidvalidity=validity, last_uid=last)


def save_state(path: Path, state: MailboxState) -> None:
    """Write through a temporary file and ``os.replace``, so a crash leaves the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps({"uidvalidity": state.uidvalidity, "last_uid": state.last_uid})
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(body)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _is_uint(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- connection --------------------------------------------------------------------------------


def connect(config: MailboxConfig) -> imaplib.IMAP4:
    """An authenticated connection; ``MailboxError`` (``LoginRefused`` for bad credentials)."""
    try:
        client = _open(config)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(
            f"cannot reach IMAP server {config.host}:{config.port}: {_reason(exc, config)}"
        ) from None
    try:
        client.login(_quoted(config.user), config.password)
    except UnicodeEncodeError:
        _close(client)
        raise LoginRefused(f"IMAP user name and password must be ASCII ({config.where})") from None
    except (OSError, imaplib.IMAP4.abort) as exc:
        _close(client)
        raise MailboxError(f"IMAP login to {config.where} failed: {_reason(exc, config)}") from None
    except imaplib.IMAP4.error as exc:
        _close(client)
        raise LoginRefused(
            f"IMAP server refused the login for {config.where}: {_reason(exc, config)}"
        ) from None
    log.debug("logged in to %s", config.where)
    return client


def _open(config: MailboxConfig) -> imaplib.IMAP4:
    if config.use_ssl:
        context = ssl.create_default_context()
        return imaplib.IMAP4_SSL(
            config.host, config.port, ssl_context=context, timeout=config.timeout
        )
    return imaplib.IMAP4(config.host, config.port, timeout=config.timeout)


def _close(client: imaplib.IMAP4) -> None:
    """Log out if the server still listens; a dead connection is simply dropped."""
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        with contextlib.suppress(OSError):
            client.shutdown()


def _reason(exc: BaseException, config: MailboxConfig) -> str:
    """The error as one line of text, the password cut out in case a server echoed it."""
    arg = exc.args[0] if exc.args else exc
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    text = " ".join(text.split()) or type(exc).__name__
    if config.password:
        text = text.replace(config.password, "***")
    return text[:300]


def _quoted(text: str) -> str:
    """An IMAP quoted string: imaplib quotes the password but not user or folder names."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- one poll ----------------------------------------------------------------------------------


def poll_once(
    client: imaplib.IMAP4,
    *,
    folder: str,
    state: MailboxState,
    handle: Handle,
    batch: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PollResult:
    """Hand each message newer than ``state`` (at most ``batch``, oldest first) to ``handle``.

    The state advances past every message looked at, including those the handler failed on or
    that were too large: a message that always fails must not block the ones behind it.
    """
    validity = _examine(client, folder)
    last = state.last_uid
    if state.uidvalidity is not None and validity is not None and validity != state.uidvalidity:
        # UIDs were renumbered, so "after last_uid" means nothing: screen what is there now.
        # Repeats are harmless, verdicts are idempotent per message bytes.
        log.warning("%s: UIDVALIDITY changed, screening the whole folder again", folder)
        last = 0
    new = _new_uids(client, last)
    todo, remaining = new[:batch], len(new) - min(len(new), batch)
    counts = _screen(client, folder=folder, uids=todo, handle=handle, max_bytes=max_bytes)
    done = replace(state, uidvalidity=validity, last_uid=todo[-1] if todo else last)
    fetched, failed, skipped = counts
    return PollResult(done, fetched=fetched, failed=failed, skipped=skipped, remaining=remaining)


def _examine(client: imaplib.IMAP4, folder: str) -> int | None:
    """Open the folder read-only; its UIDVALIDITY, or None from a server that sends none."""
    typ, data = client.select(_quoted(folder), readonly=True)
    if typ != "OK":
        raise MailboxError(f"cannot open IMAP folder {folder!r}: {_text(data)}")
    _, codes = client.response("UIDVALIDITY")
    values = [int(code) for code in codes if isinstance(code, bytes) and code.strip().isdigit()]
    return values[-1] if values else None


def _new_uids(client: imaplib.IMAP4, last: int) -> list[int]:
    """UIDs above ``last``, ascending; ``n:*`` also matches the highest UID when it is below n."""
    typ, data = client.uid("SEARCH", f"UID {last + 1}:*")
    if typ != "OK":
        raise MailboxError(f"IMAP UID SEARCH failed: {_text(data)}")
    found = b" ".join(part for part in data if isinstance(part, bytes)).split()
    return sorted({uid for uid in map(int, found) if uid > last})


def _screen(
    client: imaplib.IMAP4, *, folder: str, uids: list[int], handle: Handle, max_bytes: int
) -> tuple[int, int, int]:
    """(fetched, failed, skipped) for ``uids``: sizes first, then each body that fits."""
    if not uids:
        return 0, 0, 0
    sizes = _sizes(client, uids)
    fetched = failed = skipped = 0
    for uid in uids:
        size = sizes.get(uid)
        if size is None or size > max_bytes:
            _skip_note(folder, uid, size, max_bytes)
            skipped += 1
            continue
        message = _fetch(client, uid)
        if message is None or len(message[0]) > max_bytes:
            _skip_note(folder, uid, None if message is None else len(message[0]), max_bytes)
            skipped += 1
            continue
        fetched += 1
        if not _hand_over(handle, folder, uid, *message):
            failed += 1
    return fetched, failed, skipped


def _skip_note(folder: str, uid: int, size: int | None, max_bytes: int) -> None:
    if size is None:
        log.info("%s uid %d: gone before it could be fetched, skipped", folder, uid)
    else:
        log.warning(
            "%s uid %d: %d bytes is over the %d limit, skipped", folder, uid, size, max_bytes
        )


def _hand_over(handle: Handle, folder: str, uid: int, raw: bytes, when: datetime | None) -> bool:
    """Call the handler; a failure is logged by type only, as its text may quote the message."""
    try:
        handle(raw, when)
    except Exception as exc:
        log.warning("%s uid %d: screening failed (%s), skipped", folder, uid, type(exc).__name__)
        return False
    return True


def _sizes(client: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
    """The server's declared size of each message, in one round trip; a gone UID is absent."""
    typ, data = client.uid("FETCH", ",".join(map(str, uids)), "(RFC822.SIZE)")
    if typ != "OK":
        raise MailboxError(f"IMAP UID FETCH (RFC822.SIZE) failed: {_text(data)}")
    sizes: dict[int, int] = {}
    for meta, _ in _fetch_items(data):
        uid, size = _UID.search(meta), _SIZE.search(meta)
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _fetch(client: imaplib.IMAP4, uid: int) -> tuple[bytes, datetime | None] | None:
    """One message's raw bytes and INTERNALDATE; ``BODY.PEEK[]`` so ``\\Seen`` is not set."""
    typ, data = client.uid("FETCH", str(uid), "(BODY.PEEK[] INTERNALDATE)")
    if typ != "OK":
        raise MailboxError(f"IMAP UID FETCH of uid {uid} failed: {_text(data)}")
    for meta, body in _fetch_items(data):
        found = _UID.search(meta)
        if body is not None and found and int(found.group(1)) == uid:
            return body, parse_internaldate(meta)
    return None


def _fetch_items(data: Sequence[object]) -> list[tuple[bytes, bytes | None]]:
    """imaplib's FETCH data as (metadata, literal) per message.

    imaplib splits a response at each literal: ``(b'1 (UID 5 BODY[] {n}', body)`` then the rest
    of the line (``b' INTERNALDATE "..")'``) as a separate item; unsolicited FETCH responses
    (flag changes from other clients) may be mixed in and carry no UID.
    """
    items: list[tuple[bytes, bytes | None]] = []
    for part in data:
        if isinstance(part, tuple) and len(part) == 2:
            items.append((bytes(part[0]), bytes(part[1])))
        elif isinstance(part, bytes):
            if items and not _FETCH_START.match(part):
                meta, body = items[-1]
                items[-1] = (meta + part, body)
            else:
                items.append((part, None))
    return items


def parse_internaldate(meta: bytes) -> datetime | None:
    """``INTERNALDATE "17-Jul-1996 02:44:25 -0700"`` as an aware datetime, None if absent.

    Parsed by hand: ``strptime``'s ``%b`` follows the locale, IMAP's month names do not.
    """
    found = _INTERNALDATE.search(meta)
    if found is None:
        return None
    day, mon, year, hh, mm, ss, sign, zh, zm = (g.decode() for g in found.groups())
    if mon.lower() not in _MONTHS:
        return None
    month = _MONTHS.index(mon.lower()) + 1
    offset = timedelta(hours=int(zh), minutes=int(zm)) * (-1 if sign == "-" else 1)
    try:
        zone = timezone(offset)
        return datetime(int(year), month, int(day), int(hh), int(mm), int(ss), tzinfo=zone)
    except ValueError:  # 31-Feb, hour 25, offset over a day
        return None


def _text(data: Sequence[object]) -> str:
    parts = [p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in data]
    return " ".join(" ".join(parts).split())[:300] or "no reason given"


# -- the loop ----------------------------------------------------------------------------------


def poll_forever(
    config: MailboxConfig,
    *,
    state_path: Path,
    handle: Handle,
    interval: float,
    stop: threading.Event | None = None,
    once: bool = False,
) -> PollResult:
    """Poll every ``interval`` seconds until ``stop`` is set; totals of what was done.

    A backlog is drained batch after batch without waiting. Network and server errors are
    logged and retried on a fresh connection after a doubling wait (``RETRY_FIRST_S`` up to
    ``RETRY_MAX_S``); refused credentials are raised, not retried. With ``once`` it drains the
    folder and returns, and any error is raised, for a run from cron or the CLI. State is saved
    after each batch, so a batch cut short is screened again from its start (harmless: verdicts
    are idempotent per message bytes).
    """
    stop = threading.Event() if stop is None else stop
    state = load_state(state_path)
    total = PollResult(state)
    client: imaplib.IMAP4 | None = None
    retry = RETRY_FIRST_S
    try:
        while not stop.is_set():
            try:
                if client is None:
                    client = connect(config)
                result = poll_once(
                    client,
                    folder=config.folder,
                    state=state,
                    handle=handle,
                    batch=config.batch,
                    max_bytes=config.max_bytes,
                )
            except LoginRefused:
                raise
            except (MailboxError, OSError, imaplib.IMAP4.error) as exc:
                if client is not None:
                    _close(client)
                    client = None
                if once:
                    raise _as_mailbox_error(exc, config) from None
                log.warning("%s: %s; retrying in %.0fs", config.where, _reason(exc, config), retry)
                stop.wait(retry)
                retry = min(retry * 2, RETRY_MAX_S)
                continue
            retry = RETRY_FIRST_S
            state = result.state
            save_state(state_path, state)
            total = total.plus(result)
            _note(config, result)
            if result.remaining:
                continue
            if once:
                break
            stop.wait(interval)
    finally:
        if client is not None:
            _close(client)
    return total


def _as_mailbox_error(exc: BaseException, config: MailboxConfig) -> MailboxError:
    if isinstance(exc, MailboxError):
        return exc
    return MailboxError(f"IMAP polling of {config.where} failed: {_reason(exc, config)}")


def _note(config: MailboxConfig, result: PollResult) -> None:
    level = logging.INFO if result.fetched or result.skipped else logging.DEBUG
    log.log(
        level,
        "%s %s: %d screened (%d failed), %d skipped, %d waiting",
        config.where,
        config.folder,
        result.fetched,
        result.failed,
        result.skipped,
        result.remaining,
    )
