"""A tiny IMAP4rev1 server for tests: just enough for imaplib, and it remembers every command.

Plain TCP on 127.0.0.1 with an ephemeral port. It keeps the flags a real server would set
(``BODY[]`` and ``RFC822`` mark a message ``\\Seen``; ``BODY.PEEK[]`` does not), so a test can
prove the poller left the mailbox as it found it.
"""

from __future__ import annotations

import contextlib
import re
import socket
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WORD = re.compile(r'"(?:[^"\\]|\\.)*"|\([^)]*\)|\S+')
WRITES = {"STORE", "EXPUNGE", "COPY", "MOVE", "APPEND", "DELETE", "RENAME", "CREATE"}


@dataclass
class Stored:
    uid: int
    raw: bytes
    when: datetime
    flags: set[str] = field(default_factory=set)


@dataclass
class Folder:
    messages: list[Stored] = field(default_factory=list)
    next_uid: int = 1


class FakeImapServer:
    """Start with ``with FakeImapServer(...) as server``; ``server.port`` is where it listens."""

    def __init__(self, *, user: str, password: str, folders: tuple[str, ...] = ("INBOX",)) -> None:
        self.user = user
        self.password = password
        self.uidvalidity = 1000
        self.folders = {name: Folder() for name in folders}
        self.commands: list[str] = []  # every command line received, tag removed
        self.searches: list[list[int]] = []  # what each UID SEARCH answered
        self.drop_on: set[str] = set()  # verbs ("UID SEARCH") that make it hang up, once each
        self.after_search: Callable[[], None] | None = None
        self.unsolicited = False  # send a flag update for another message before FETCH data
        self.echo_password = False  # a careless server quoting the password it refused
        self.lock = threading.RLock()
        self._sockets: list[socket.socket] = []
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def __enter__(self) -> FakeImapServer:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)

    # -- what tests change and read -------------------------------------------------------

    def append(self, raw: bytes, *, folder: str = "INBOX", when: datetime | None = None) -> int:
        with self.lock:
            box = self.folders[folder]
            uid, box.next_uid = box.next_uid, box.next_uid + 1
            box.messages.append(Stored(uid, raw, when or datetime(2024, 5, 1, 9, 30, tzinfo=UTC)))
            return uid

    def expunge(self, uid: int, *, folder: str = "INBOX") -> None:
        with self.lock:
            box = self.folders[folder]
            box.messages = [m for m in box.messages if m.uid != uid]

    def renumber(self, uidvalidity: int, *, first_uid: int = 1) -> None:
        """What a server does after a rebuild: new UIDVALIDITY, every message a new UID."""
        with self.lock:
            self.uidvalidity = uidvalidity
            for box in self.folders.values():
                for offset, message in enumerate(box.messages):
                    message.uid = first_uid + offset
                box.next_uid = first_uid + len(box.messages)

    def seen(self, folder: str = "INBOX") -> list[int]:
        with self.lock:
            return [m.uid for m in self.folders[folder].messages if "\\Seen" in m.flags]

    def verbs(self) -> list[str]:
        """Command names as sent: ``EXAMINE``, ``UID FETCH``..."""
        return [verb_of(line) for line in self.commands]

    # -- the protocol -----------------------------------------------------------------------

    def _handler(self) -> type[socketserver.StreamRequestHandler]:
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                server._sockets.append(self.request)
                Session(server, self).run()

        return Handler


class Session:
    """One client connection: reads tagged commands until LOGOUT or the client goes away."""

    def __init__(self, server: FakeImapServer, conn: socketserver.StreamRequestHandler) -> None:
        self.server = server
        self.conn = conn
        self.authenticated = False
        self.folder: str | None = None

    def run(self) -> None:
        self.send(b"* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        while line := self.conn.rfile.readline():
            tag, _, rest = line.decode("ascii", "replace").rstrip("\r\n").partition(" ")
            with self.server.lock:
                self.server.commands.append(rest)
                verb = verb_of(rest)
                if verb in self.server.drop_on:
                    self.server.drop_on.discard(verb)
                    return  # hang up mid-session, as a network failure would
            if not self.answer(tag, verb, WORD.findall(rest)[1:]):
                return

    def send(self, *lines: bytes) -> None:
        self.conn.wfile.write(b"".join(line + b"\r\n" for line in lines))

    def answer(self, tag: str, verb: str, args: list[str]) -> bool:
        """Reply to one command; False once the session is over."""
        done = f"{tag} OK {verb} completed".encode()
        if verb == "CAPABILITY":
            self.send(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN", done)
        elif verb == "NOOP":
            self.send(done)
        elif verb == "LOGOUT":
            self.send(b"* BYE logging out", done)
            return False
        elif verb == "LOGIN":
            self.login(tag, args)
        elif not self.authenticated:
            self.send(f"{tag} BAD log in first".encode())
        elif verb in ("SELECT", "EXAMINE"):
            self.select(tag, verb, unquote(args[0]) if args else "")
        elif verb in WRITES or (verb.startswith("UID ") and verb[4:] in WRITES):
            self.send(done)  # recorded above; the tests assert it never happens
        elif verb == "UID SEARCH" and self.folder is not None:
            self.search(args[1:], done)
        elif verb == "UID FETCH" and self.folder is not None:
            self.fetch(args[1], args[2], done)
        else:
            self.send(f"{tag} BAD {verb} not understood".encode())
        return True

    def login(self, tag: str, args: list[str]) -> None:
        user, password = (unquote(a) for a in ([*args, "", ""])[:2])
        if (user, password) == (self.server.user, self.server.password):
            self.authenticated = True
            self.send(f"{tag} OK LOGIN completed".encode())
        else:
            said = f" ({password!r} is wrong)" if self.server.echo_password else ""
            self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials{said}".encode())

    def select(self, tag: str, verb: str, name: str) -> None:
        box = self.server.folders.get(name)
        if box is None:
            self.folder = None
            self.send(f"{tag} NO [NONEXISTENT] no such folder".encode())
            return
        self.folder = name
        mode = "READ-ONLY" if verb == "EXAMINE" else "READ-WRITE"
        self.send(
            b"* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
            f"* {len(box.messages)} EXISTS".encode(),
            b"* 0 RECENT",
            f"* OK [UIDVALIDITY {self.server.uidvalidity}] UIDs valid".encode(),
            f"* OK [UIDNEXT {box.next_uid}] predicted next UID".encode(),
            f"{tag} OK [{mode}] {verb} completed".encode(),
        )

    def search(self, criteria: list[str], done: bytes) -> None:
        messages = self.messages()
        if criteria[:1] == ["ALL"]:
            uids = [m.uid for m in messages]
        else:
            wanted = uid_set(criteria[1], messages)
            uids = [m.uid for m in messages if m.uid in wanted]
        self.server.searches.append(uids)
        self.send(("* SEARCH " + " ".join(map(str, uids))).rstrip().encode(), done)
        if self.server.after_search is not None:
            self.server.after_search()

    def fetch(self, which: str, items: str, done: bytes) -> None:
        messages = self.messages()
        wanted = uid_set(which, messages)
        out = [b"* 1 FETCH (FLAGS (\\Answered))"] if self.server.unsolicited else []
        for seq, message in enumerate(messages, start=1):
            if message.uid in wanted:
                out.append(f"* {seq} FETCH (".encode() + fetch_items(message, items) + b")")
        self.send(*out, done)

    def messages(self) -> list[Stored]:
        assert self.folder is not None
        return list(self.server.folders[self.folder].messages)


def fetch_items(message: Stored, items: str) -> bytes:
    """The FETCH data for one message, in the order the client asked for the items."""
    parts = [f"UID {message.uid}".encode()]
    for item in items.strip("()").upper().split():
        if item == "RFC822.SIZE":
            parts.append(f"RFC822.SIZE {len(message.raw)}".encode())
        elif item == "INTERNALDATE":
            parts.append(f'INTERNALDATE "{internaldate(message.when)}"'.encode())
        elif item in ("BODY.PEEK[]", "BODY[]", "RFC822"):
            if not item.startswith("BODY.PEEK"):
                message.flags.add("\\Seen")
            name = "RFC822" if item == "RFC822" else "BODY[]"
            parts.append(f"{name} {{{len(message.raw)}}}\r\n".encode() + message.raw)
        elif item == "FLAGS":
            parts.append(f"FLAGS ({' '.join(sorted(message.flags))})".encode())
    return b" ".join(parts)


def uid_set(text: str, messages: list[Stored]) -> set[int]:
    """A UID set (``1,3:5,7:*``); ``*`` is the highest UID, so ``n:*`` always matches it."""
    highest = max((m.uid for m in messages), default=0)
    wanted: set[int] = set()
    for piece in text.split(","):
        first, _, last = piece.partition(":")
        low = highest if first == "*" else int(first)
        high = low if not last else highest if last == "*" else int(last)
        if highest or "*" not in piece:
            wanted.update(range(min(low, high), max(low, high) + 1))
    return wanted


def verb_of(line: str) -> str:
    words = line.upper().split()[:2] or [""]
    return " ".join(words) if words[0] == "UID" else words[0]


def internaldate(when: datetime) -> str:
    return f"{when.day:2d}-{MONTHS[when.month - 1]}-{when.year} {when:%H:%M:%S %z}"


def unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] == '"':
        return re.sub(r"\\(.)", r"\1", word[1:-1])
    return word
