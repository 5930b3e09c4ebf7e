"""The read-only IMAP poller against a tiny in-process IMAP server (no network, no TLS)."""

from __future__ import annotations

import imaplib
import json
import logging
import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.domains.mail.fake_imap import FakeImapServer
from tradeguard.domains.mail import imap
from tradeguard.domains.mail.imap import (
    LoginRefused,
    MailboxConfig,
    MailboxError,
    MailboxState,
    PollResult,
    connect,
    load_state,
    parse_internaldate,
    poll_forever,
    poll_once,
    save_state,
)

USER = "screening@shop.example"
PASSWORD = "Tr0ub4dor&3-not-in-logs"


def message(n: int, *, size: int = 0) -> bytes:
    body = f"Order {n} shipped.\r\n" + "x" * size
    return (
        f"From: Shop <shop@shop.example>\r\nTo: {USER}\r\nSubject: order {n}\r\n"
        f"Message-ID: <{n}@shop.example>\r\n\r\n{body}\r\n"
    ).encode()


@dataclass
class Screened:
    """A handler that records what it got and can be told to fail on some messages."""

    got: list[tuple[bytes, datetime | None]] = field(default_factory=list)
    fail_on: set[bytes] = field(default_factory=set)

    def __call__(self, raw: bytes, when: datetime | None) -> None:
        if raw in self.fail_on:
            raise ValueError(f"cannot screen {raw[:40]!r}")
        self.got.append((raw, when))

    @property
    def raws(self) -> list[bytes]:
        return [raw for raw, _ in self.got]


@pytest.fixture
def server() -> Iterator[FakeImapServer]:
    with FakeImapServer(user=USER, password=PASSWORD, folders=("INBOX", "Junk Mail")) as srv:
        yield srv


@pytest.fixture
def config(server: FakeImapServer) -> MailboxConfig:
    return MailboxConfig(
        host="127.0.0.1", port=server.port, user=USER, password=PASSWORD, use_ssl=False, timeout=5
    )


@pytest.fixture
def client(config: MailboxConfig) -> Iterator[imaplib.IMAP4]:
    conn = connect(config)
    yield conn
    conn.logout()


def poll(
    client: imaplib.IMAP4,
    state: MailboxState,
    handle: Screened,
    *,
    batch: int = 50,
    folder: str = "INBOX",
    max_bytes: int = 1_000_000,
) -> PollResult:
    return poll_once(
        client, folder=folder, state=state, handle=handle, batch=batch, max_bytes=max_bytes
    )


# -- polling ------------------------------------------------------------------------------------


def test_first_poll_fetches_all_then_none_then_only_the_new(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    for n in (1, 2, 3):
        server.append(message(n))
    screened = Screened()

    first = poll(client, MailboxState(), screened)
    assert (first.fetched, first.remaining, first.failed, first.skipped) == (3, 0, 0, 0)
    assert first.state == MailboxState(uidvalidity=1000, last_uid=3)
    assert screened.raws == [message(1), message(2), message(3)]

    second = poll(client, first.state, screened)
    assert second.fetched == 0
    assert second.state == first.state
    assert server.searches[-1] == [3]  # "4:*" still matched UID 3; the poller filtered it

    server.append(message(4))
    third = poll(client, second.state, screened)
    assert third.fetched == 1
    assert third.state.last_uid == 4
    assert screened.raws[-1] == message(4)
    assert len(screened.got) == 4


def test_the_mailbox_is_never_changed(server: FakeImapServer, client: imaplib.IMAP4) -> None:
    for n in (1, 2):
        server.append(message(n))
    poll(client, MailboxState(), Screened())

    verbs = server.verbs()
    assert "EXAMINE" in verbs
    assert "SELECT" not in verbs
    body_fetches = [c for c in server.commands if "BODY" in c.upper()]
    assert len(body_fetches) == 2
    assert all("BODY.PEEK[]" in c for c in body_fetches)
    assert not [c for c in server.commands if "BODY[]" in c or "RFC822)" in c or "RFC822 " in c]
    assert not {"STORE", "UID STORE", "EXPUNGE", "COPY", "UID COPY", "MOVE", "UID MOVE"} & set(
        verbs
    )
    assert server.seen() == []


def test_internaldate_reaches_the_handler_as_an_aware_datetime(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    arrived = datetime(2024, 3, 7, 23, 5, 9, tzinfo=timezone(timedelta(hours=-7)))
    server.append(message(1), when=arrived)
    screened = Screened()
    poll(client, MailboxState(), screened)
    (_, when) = screened.got[0]
    assert when == arrived
    assert when is not None
    assert when.utcoffset() == timedelta(hours=-7)


def test_uidvalidity_change_screens_the_folder_again(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    for n in (1, 2, 3):
        server.append(message(n))
    screened = Screened()
    state = poll(client, MailboxState(), screened).state
    server.renumber(2000)  # UIDs 1..3 again, but they are other UIDs now

    again = poll(client, state, screened)
    assert again.fetched == 3
    assert again.state == MailboxState(uidvalidity=2000, last_uid=3)
    assert screened.raws == [message(1), message(2), message(3)] * 2


def test_uidvalidity_change_to_higher_uids_is_not_mistaken_for_progress(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    server.append(message(1))
    state = replace(poll(client, MailboxState(), Screened()).state, last_uid=50)
    server.renumber(2000, first_uid=7)

    screened = Screened()
    again = poll(client, state, screened)
    assert screened.raws == [message(1)]
    assert again.state == MailboxState(uidvalidity=2000, last_uid=7)


def test_batch_limits_each_poll_and_reports_what_remains(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    for n in range(1, 6):
        server.append(message(n))
    screened = Screened()
    state = MailboxState()
    seen = []
    for _ in range(3):
        result = poll(client, state, screened, batch=2)
        seen.append((result.fetched, result.remaining))
        state = result.state
    assert seen == [(2, 3), (2, 1), (1, 0)]
    assert screened.raws == [message(n) for n in range(1, 6)]


def test_a_failing_handler_is_counted_and_the_others_still_screened(
    server: FakeImapServer, client: imaplib.IMAP4, caplog: pytest.LogCaptureFixture
) -> None:
    for n in (1, 2, 3):
        server.append(message(n))
    screened = Screened(fail_on={message(2)})

    with caplog.at_level(logging.DEBUG, logger=imap.__name__):
        result = poll(client, MailboxState(), screened)

    assert (result.fetched, result.failed) == (3, 1)
    assert result.state.last_uid == 3  # not retried forever
    assert screened.raws == [message(1), message(3)]
    assert poll(client, result.state, screened).fetched == 0
    assert "uid 2: screening failed (ValueError)" in caplog.text
    assert "order 2" not in caplog.text  # the message's content stays out of the log


def test_an_oversize_message_is_skipped_with_a_warning(
    server: FakeImapServer, client: imaplib.IMAP4, caplog: pytest.LogCaptureFixture
) -> None:
    server.append(message(1))
    server.append(message(2, size=5_000))
    server.append(message(3))
    screened = Screened()

    with caplog.at_level(logging.WARNING, logger=imap.__name__):
        result = poll(client, MailboxState(), screened, max_bytes=1_000)

    assert (result.fetched, result.skipped, result.state.last_uid) == (2, 1, 3)
    assert screened.raws == [message(1), message(3)]
    assert "uid 2: " in caplog.text
    assert "over the 1000 limit" in caplog.text
    assert len([c for c in server.commands if "BODY.PEEK" in c]) == 2  # never downloaded


def test_a_message_expunged_after_the_search_is_skipped(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    for n in (1, 2, 3):
        server.append(message(n))
    server.after_search = lambda: server.expunge(2)
    screened = Screened()
    result = poll(client, MailboxState(), screened)
    assert (result.fetched, result.skipped, result.state.last_uid) == (2, 1, 3)
    assert screened.raws == [message(1), message(3)]


def test_unsolicited_fetch_responses_are_ignored(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    for n in (1, 2):
        server.append(message(n))
    server.unsolicited = True
    screened = Screened()
    assert poll(client, MailboxState(), screened).fetched == 2
    assert screened.raws == [message(1), message(2)]


def test_a_folder_name_with_a_space_is_quoted(
    server: FakeImapServer, client: imaplib.IMAP4
) -> None:
    server.append(message(9), folder="Junk Mail")
    screened = Screened()
    assert poll(client, MailboxState(), screened, folder="Junk Mail").fetched == 1
    assert 'EXAMINE "Junk Mail"' in server.commands


def test_a_missing_folder_is_a_mailbox_error(client: imaplib.IMAP4) -> None:
    with pytest.raises(MailboxError, match="cannot open IMAP folder 'Archive'"):
        poll(client, MailboxState(), Screened(), folder="Archive")


# -- connecting and secrets ---------------------------------------------------------------------


def test_a_wrong_password_is_refused_without_showing_it(
    config: MailboxConfig, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = replace(config, password="wrong-" + PASSWORD)
    with caplog.at_level(logging.DEBUG), pytest.raises(LoginRefused) as raised:
        connect(wrong)
    text = f"{raised.value} {raised.value!r} {raised.value.args}"
    assert "refused the login" in text
    assert "AUTHENTICATIONFAILED" in text
    assert PASSWORD not in text
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__
    assert PASSWORD not in caplog.text
    assert isinstance(raised.value, ValueError)


def test_a_password_the_server_echoes_is_cut_out(
    server: FakeImapServer, config: MailboxConfig
) -> None:
    server.echo_password = True
    with pytest.raises(LoginRefused, match="Invalid credentials") as raised:
        connect(replace(config, password="hunter2-guess"))
    assert "hunter2-guess" not in str(raised.value)
    assert "***" in str(raised.value)


def test_an_unreachable_server_is_one_readable_line() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    config = MailboxConfig(
        host="127.0.0.1", port=port, user=USER, password=PASSWORD, use_ssl=False, timeout=2
    )
    with pytest.raises(MailboxError, match=f"cannot reach IMAP server 127.0.0.1:{port}") as raised:
        connect(config)
    assert "\n" not in str(raised.value)
    assert PASSWORD not in str(raised.value)


def test_the_password_stays_out_of_repr_and_logs(
    server: FakeImapServer, config: MailboxConfig, caplog: pytest.LogCaptureFixture
) -> None:
    assert PASSWORD not in repr(config)
    assert PASSWORD not in str(config)
    assert "user='screening@shop.example'" in repr(config)
    server.append(message(1))
    server.append(message(2, size=3_000))
    with caplog.at_level(logging.DEBUG):
        client = connect(config)
        poll(client, MailboxState(), Screened(fail_on={message(1)}), max_bytes=1_000)
        client.logout()
        with pytest.raises(LoginRefused):
            connect(replace(config, password=PASSWORD + "x"))
    assert caplog.records
    for record in caplog.records:
        assert PASSWORD not in record.getMessage()
        assert PASSWORD not in repr(record.args)


@pytest.mark.parametrize(
    "changes",
    [{"batch": 0}, {"port": 0}, {"timeout": 0.0}, {"max_bytes": 0}, {"folder": "Boîte"}],
)
def test_a_bad_config_is_refused(changes: dict[str, object]) -> None:
    fields: dict[str, object] = {"host": "imap.example", "user": USER, "password": PASSWORD}
    with pytest.raises(MailboxError):
        MailboxConfig(**(fields | changes))  # type: ignore[arg-type]


# -- state ----------------------------------------------------------------------------------------


def test_state_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "state" / "imap.json"
    assert load_state(path) == MailboxState(uidvalidity=None, last_uid=0)
    save_state(path, MailboxState(uidvalidity=38575, last_uid=912))
    assert load_state(path) == MailboxState(uidvalidity=38575, last_uid=912)
    assert json.loads(path.read_text()) == {"uidvalidity": 38575, "last_uid": 912}
    assert [p.name for p in path.parent.iterdir()] == ["imap.json"]


def test_state_is_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "imap.json"
    save_state(path, MailboxState(uidvalidity=1, last_uid=5))

    def crash(src: object, dst: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        save_state(path, MailboxState(uidvalidity=1, last_uid=99))
    assert load_state(path) == MailboxState(uidvalidity=1, last_uid=5)
    assert [p.name for p in tmp_path.iterdir()] == ["imap.json"]  # no temporary file left


@pytest.mark.parametrize(
    "content", ["{not json", '{"last_uid": 3}', '{"uidvalidity": "x", "last_uid": 3}', "[]"]
)
def test_a_damaged_state_file_is_a_readable_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "imap.json"
    path.write_text(content)
    with pytest.raises(MailboxError, match="IMAP state file"):
        load_state(path)


# -- INTERNALDATE ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        (
            b'1 (UID 5 INTERNALDATE "17-Jul-1996 02:44:25 -0700")',
            datetime(1996, 7, 17, 2, 44, 25, tzinfo=timezone(-timedelta(hours=7))),
        ),
        (
            b'1 (INTERNALDATE " 2-Jan-2024 10:00:00 +0530" UID 6)',
            datetime(2024, 1, 2, 10, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        (b'1 (INTERNALDATE "2-Foo-2024 10:00:00 +0000")', None),
        (b'1 (INTERNALDATE "31-Feb-2024 10:00:00 +0000")', None),
        (b"1 (UID 7)", None),
    ],
)
def test_parse_internaldate(meta: bytes, expected: datetime | None) -> None:
    assert parse_internaldate(meta) == expected


# -- the loop -------------------------------------------------------------------------------------


def test_poll_forever_once_drains_the_folder_and_saves_state(
    server: FakeImapServer, config: MailboxConfig, tmp_path: Path
) -> None:
    for n in range(1, 6):
        server.append(message(n))
    state_path = tmp_path / "imap.json"
    screened = Screened()

    total = poll_forever(
        replace(config, batch=2), state_path=state_path, handle=screened, interval=60, once=True
    )

    assert (total.fetched, total.remaining) == (5, 0)
    assert load_state(state_path) == MailboxState(uidvalidity=1000, last_uid=5)
    assert server.verbs().count("LOGIN") == 1
    assert server.verbs()[-1] == "LOGOUT"
    again = poll_forever(config, state_path=state_path, handle=screened, interval=60, once=True)
    assert again.fetched == 0
    assert len(screened.got) == 5


def test_poll_forever_reconnects_after_a_network_error(
    server: FakeImapServer,
    config: MailboxConfig,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(imap, "RETRY_FIRST_S", 0.01)
    for n in (1, 2, 3):
        server.append(message(n))
    server.drop_on = {"UID SEARCH"}
    stop = threading.Event()
    screened = Screened()

    def handle(raw: bytes, when: datetime | None) -> None:
        screened(raw, when)
        if len(screened.got) == 3:
            stop.set()

    with caplog.at_level(logging.DEBUG):
        worker = threading.Thread(
            target=lambda: poll_forever(
                config, state_path=tmp_path / "s.json", handle=handle, interval=0.01, stop=stop
            ),
            daemon=True,
        )
        worker.start()
        worker.join(5)

    assert not worker.is_alive()
    assert screened.raws == [message(1), message(2), message(3)]
    assert server.verbs().count("LOGIN") == 2
    assert "retrying in" in caplog.text
    assert PASSWORD not in caplog.text


def test_poll_forever_does_not_retry_a_refused_login(config: MailboxConfig, tmp_path: Path) -> None:
    wrong = replace(config, password="nope")
    with pytest.raises(LoginRefused):
        poll_forever(wrong, state_path=tmp_path / "s.json", handle=Screened(), interval=60)


def test_poll_forever_once_raises_a_network_error(
    server: FakeImapServer, config: MailboxConfig, tmp_path: Path
) -> None:
    server.append(message(1))
    server.drop_on = {"UID FETCH"}
    with pytest.raises(MailboxError, match="IMAP polling of") as raised:
        poll_forever(
            config, state_path=tmp_path / "s.json", handle=Screened(), interval=60, once=True
        )
    assert PASSWORD not in str(raised.value)
    assert not (tmp_path / "s.json").exists()
