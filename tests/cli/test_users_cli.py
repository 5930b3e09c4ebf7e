"""``tradeguard users``: the first admin and recovery from the command line."""

from __future__ import annotations

from tests.cli.conftest import Invoke


def test_create_prints_a_one_time_password_last(tg: Invoke) -> None:
    result = tg("users", "create", "alice", "--role", "admin")
    assert result.exit_code == 0, result.output
    one_time = result.stdout.strip().splitlines()[-1]
    assert len(one_time) >= 20
    listed = tg("users", "list")
    assert "alice" in listed.output
    assert one_time not in listed.output


def test_mistakes_exit_non_zero_with_one_line(tg: Invoke) -> None:
    tg("users", "create", "alice", "--role", "admin")
    again = tg("users", "create", "alice", "--role", "viewer")
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert tg("users", "create", "bob", "--role", "root").exit_code == 2  # not a role
    assert tg("users", "unlock", "nobody").exit_code == 1
    weak = tg("users", "create", "carol", "--role", "viewer", "--password-stdin")
    assert weak.exit_code == 1


def test_admin_actions_by_username(tg: Invoke) -> None:
    tg("users", "create", "alice", "--role", "analyst")
    for command in ("unlock", "disable", "enable", "reset-2fa"):
        result = tg("users", command, "alice")
        assert result.exit_code == 0, result.output
    assert "alice is now viewer" in tg("users", "set-role", "alice", "viewer").output
    reset = tg("users", "reset-password", "alice")
    assert reset.exit_code == 0
    assert len(reset.stdout.strip().splitlines()[-1]) >= 20
    assert "disabled" not in tg("users", "list").output
