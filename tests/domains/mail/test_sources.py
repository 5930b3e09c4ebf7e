"""Reading messages from files, folders, mboxes and tar archives, built in ``tmp_path``."""

from __future__ import annotations

import io
import mailbox
import os
import tarfile
from pathlib import Path

import pytest

from tradeguard.domains.mail.message import MailError
from tradeguard.domains.mail.parse import Limits, parse_message
from tradeguard.domains.mail.sources import Source, count_messages, iter_messages


def _message(n: int) -> bytes:
    return f"From: a{n}@shop.example\r\nSubject: message {n}\r\n\r\nBody {n}\r\n".encode()


def _labels(path: Path, limits: Limits | None = None) -> list[str]:
    found = iter_messages(path) if limits is None else iter_messages(path, limits=limits)
    return [source.label for source in found]


def test_single_file_of_any_name(tmp_path: Path) -> None:
    path = tmp_path / "odd name.txt"
    path.write_bytes(_message(1))
    assert list(iter_messages(path)) == [Source("odd name.txt", _message(1), None)]
    assert count_messages(path) == 1


def test_folder_is_read_recursively_in_order_without_hidden(tmp_path: Path) -> None:
    for name in ("b.eml", "a.eml", "sub/c.eml", "sub/deeper/d", ".hidden.eml", ".git/e.eml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(_message(len(name)))
    assert _labels(tmp_path) == ["a.eml", "b.eml", "sub/c.eml", "sub/deeper/d"]
    assert count_messages(tmp_path) == 4


def test_folder_does_not_follow_linked_folders(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(_message(1))
    (tmp_path / "loop").symlink_to(tmp_path, target_is_directory=True)
    assert _labels(tmp_path) == ["a.eml"]


def _mbox(path: Path, count: int) -> None:
    box = mailbox.mbox(path)
    for n in range(count):
        box.add(_message(n))
    box.flush()
    box.close()


def test_mbox(tmp_path: Path) -> None:
    _mbox(tmp_path / "inbox.mbox", 3)
    sources = list(iter_messages(tmp_path / "inbox.mbox"))
    assert [s.label for s in sources] == ["inbox.mbox#1", "inbox.mbox#2", "inbox.mbox#3"]
    assert all(s.raw is not None and not s.raw.startswith(b"From ") for s in sources)
    assert [parse_message(s.raw or b"").subject for s in sources] == [
        "message 0",
        "message 1",
        "message 2",
    ]
    assert count_messages(tmp_path / "inbox.mbox") == 3


def test_file_named_mbox_inside_a_folder(tmp_path: Path) -> None:
    (tmp_path / "user").mkdir()
    _mbox(tmp_path / "user" / "mbox", 2)
    assert _labels(tmp_path) == ["user/mbox#1", "user/mbox#2"]


def test_oversized_mbox_message_is_reported_not_read(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "big.mbx")
    box.add(_message(0))
    box.add(b"From: big@x.example\r\n\r\n" + b"x" * 5_000)
    box.close()
    sources = list(iter_messages(tmp_path / "big.mbx", limits=Limits(max_bytes=1_000)))
    assert parse_message(sources[0].raw or b"").subject == "message 0"
    assert sources[1].raw is None
    assert sources[1].error is not None
    assert sources[1].error.startswith("message is 5,")


def _tar(path: Path, members: dict[str, bytes], *, compress: bool = True) -> None:
    with tarfile.open(path, "w:gz" if compress else "w") as archive:
        dir_info = tarfile.TarInfo("mail")
        dir_info.type = tarfile.DIRTYPE
        archive.addfile(dir_info)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("mail/link.eml")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)


@pytest.mark.parametrize(
    ("name", "compress"), [("a.tar.gz", True), ("a.tgz", True), ("a.tar", False)]
)
def test_archive_is_streamed(tmp_path: Path, name: str, compress: bool) -> None:
    members = {"mail/1.eml": _message(1), "mail/2.eml": _message(2), "mail/._1.eml": b"junk"}
    _tar(tmp_path / name, members, compress=compress)
    sources = list(iter_messages(tmp_path / name))
    assert sources == [
        Source(f"{name}:mail/1.eml", _message(1)),
        Source(f"{name}:mail/2.eml", _message(2)),
    ]
    assert count_messages(tmp_path / name) == 2
    assert not (tmp_path / "mail").exists()  # nothing was extracted


def test_oversized_archive_member_is_reported(tmp_path: Path) -> None:
    _tar(tmp_path / "a.tar.gz", {"big.eml": b"x" * 2_000, "small.eml": _message(1)})
    sources = list(iter_messages(tmp_path / "a.tar.gz", limits=Limits(max_bytes=1_000)))
    assert sources[0] == Source(
        "a.tar.gz:big.eml", None, "message is 2,000 bytes, over the 1,000 bytes limit"
    )
    assert sources[1].raw == _message(1)


def test_damaged_archive_reports_and_ends(tmp_path: Path) -> None:
    _tar(tmp_path / "a.tar.gz", {f"{n}.eml": _message(n) * 200 for n in range(20)})
    data = (tmp_path / "a.tar.gz").read_bytes()
    (tmp_path / "cut.tar.gz").write_bytes(data[: len(data) // 2])
    sources = list(iter_messages(tmp_path / "cut.tar.gz"))
    assert count_messages(tmp_path / "cut.tar.gz") >= len(sources)  # an upper bound
    assert sources[-1].raw is None
    assert sources[-1].label == "cut.tar.gz"
    assert (sources[-1].error or "").startswith("archive unreadable after ")


def test_oversized_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "big.eml").write_bytes(b"x" * (3 * 1024 * 1024))
    [source] = iter_messages(tmp_path / "big.eml", limits=Limits(max_bytes=2 * 1024 * 1024))
    assert source == Source("big.eml", None, "message is 3 MB, over the 2 MB limit")


def test_pipe_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    assert list(iter_messages(tmp_path / "pipe")) == [Source("pipe", None, "not a regular file")]
    assert _labels(tmp_path) == []  # and a folder skips it


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(MailError, match=r"no such file or folder: .*nothing"):
        list(iter_messages(tmp_path / "nothing"))
    with pytest.raises(MailError, match="no such file or folder"):
        count_messages(tmp_path / "nothing")
