"""The store's password policy: NIST SP 800-63B rev. 4 lengths, blocklists, breaches, score."""

from __future__ import annotations

import hashlib
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradeguard.auth.passwords import check_strength
from tradeguard.domains.accounts import breached, password_policy
from tradeguard.domains.accounts.password_policy import assess
from tradeguard.domains.accounts.schemas import PasswordCheckResult, PasswordContext
from tradeguard.errors import Unavailable

STRONG = "violet staple orbit canyon"
JANE = PasswordContext(
    user_name="Jane Doe", email="jane.doe@acme-shop.example", store_name="Acme Shop"
)


def codes(result: PasswordCheckResult) -> list[str]:
    return [r.code for r in result.reasons]


def sha1(password: str) -> str:
    return hashlib.sha1(password.encode(), usedforsecurity=False).hexdigest().upper()


# Lengths


@pytest.mark.parametrize(
    ("second_factor", "shortest"),
    [(False, password_policy.MIN_LENGTH), (True, password_policy.MIN_LENGTH_WITH_SECOND_FACTOR)],
)
def test_the_minimum_length_depends_on_a_second_factor(second_factor: bool, shortest: int) -> None:
    random_text = "kq8#Lm2zVw9!Tr4pXy7&Hn3s"
    assert "too_short" in codes(
        assess(random_text[: shortest - 1], with_second_factor=second_factor)
    )
    result = assess(random_text[:shortest], with_second_factor=second_factor)
    assert result.acceptable, result.reasons
    assert result.policy.min_length == shortest
    assert result.policy.with_second_factor is second_factor


def test_the_rev4_lengths_are_in_force() -> None:
    assert password_policy.MIN_LENGTH == 15
    assert password_policy.MIN_LENGTH_WITH_SECOND_FACTOR == 8
    assert password_policy.MAX_LENGTH >= 64


def test_up_to_the_maximum_is_accepted_and_longer_is_a_reason() -> None:
    words = "amber quiet lantern mosaic thistle harbour pepper violin "
    longest = (words * 10)[: password_policy.MAX_LENGTH]
    assert assess(longest).acceptable
    assert codes(assess(longest + "x")) == ["too_long"]


def test_a_huge_password_is_a_quick_reason_not_a_crash() -> None:
    started = time.perf_counter()
    result = assess("correct horse " * 20_000)
    assert "too_long" in codes(result)
    assert time.perf_counter() - started < 5


def test_length_counts_code_points_after_nfkc() -> None:
    # Sixteen code points as typed, eight characters once the accents are composed.
    decomposed = "e\u0301" * 8
    assert "too_short" in codes(assess(decomposed, with_second_factor=False))
    # 14 characters plus the ligature 'ﬁ', which NFKC makes two: 16, not 15.
    assert password_policy.normalise("ﬁ") == "fi"
    assert "too_short" not in codes(assess("mZ7qR2vX9pL4wK" + "ﬁ"))


def test_nfkc_makes_full_width_letters_plain() -> None:
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "password123")
    assert "common_password" in codes(assess(full_width, with_second_factor=True))


def test_no_composition_rules() -> None:
    """Lower-case words alone pass: rev. 4 forbids demanding digits, capitals or symbols."""
    result = assess("quiet lantern mosaic thistle")
    assert result.acceptable
    assert result.reasons == []


# Blocklist


@pytest.mark.parametrize(
    "password", ["password1", "qwerty123...", "P@ssw0rd!", "iloveyou2024!!!!", "Dragon2024!!!!!!!"]
)
def test_common_passwords_and_trivial_variations_are_refused(password: str) -> None:
    result = assess(password, with_second_factor=True)
    assert "common_password" in codes(result)
    assert not result.acceptable


def test_the_blocklist_is_zxcvbns_password_list_built_once() -> None:
    first = password_policy.blocklist()
    assert isinstance(first, frozenset)
    assert 29_000 <= len(first) <= 30_000
    assert password_policy.blocklist() is first


def test_a_long_random_password_is_not_common() -> None:
    assert not password_policy.is_common("zq7lmr2vx9pl4wk")


# Context words


@pytest.mark.parametrize(
    ("password", "label"),
    [
        ("JaneDoe-1985-2024!!", "user name"),
        ("jane doe 1985 jane!!", "user name"),
        ("j4n3.d0e#7777777777", "user name"),
        ("my acme shop password 1", "store name"),
        ("acme-shop.example 2024", "e-mail address"),
    ],
)
def test_passwords_built_from_the_context_are_refused(password: str, label: str) -> None:
    result = assess(password, context=JANE)
    assert "contains_context" in codes(result)
    assert any(label in r.message for r in result.reasons if r.code == "contains_context")


def test_context_words_inside_other_words_are_not_a_reason() -> None:
    result = assess("workshop tools of the trade", context=JANE)
    assert "contains_context" not in codes(result)


def test_an_email_without_a_domain_is_still_context() -> None:
    context = PasswordContext(email="mallorymallory")
    assert "contains_context" in codes(assess("mallorymallory2024!!", context=context))


# Score


def test_a_strong_passphrase_is_accepted_with_the_policy_in_force() -> None:
    result = assess(STRONG, context=JANE)
    assert result.acceptable
    assert result.score >= password_policy.MIN_SCORE
    assert result.breached_count is None
    assert result.policy.min_score == password_policy.MIN_SCORE


def test_a_guessable_password_gets_zxcvbns_warning_and_suggestions() -> None:
    result = assess("aaaaaaaaaaaaaaaaaaaa")
    reason = next(r for r in result.reasons if r.code == "too_guessable")
    assert "Repeats" in reason.message
    assert result.score < password_policy.MIN_SCORE
    assert result.suggestions


def test_a_lone_surrogate_is_assessed_and_hashed(tmp_path: Path) -> None:
    corpus = breached.open_corpus(range_directory(tmp_path / "r", {"hunter2hunter2": 1}))
    result = assess("\ud800 quiet lantern mosaic", breaches=corpus)
    assert result.breached_count == 0


def test_an_empty_password_is_scored_not_crashed() -> None:
    result = assess("")
    assert result.score == 0
    assert {"too_short", "too_guessable"} <= set(codes(result))


def test_long_passwords_are_scored_on_a_window() -> None:
    """zxcvbn raises past 72 characters by default; operators' passwords share this scorer."""
    long_phrase = "amber quiet lantern mosaic thistle harbour pepper violin " * 2
    assert password_policy.estimate_strength(long_phrase).score == 4
    check_strength(long_phrase, user_inputs=["operator"])


def test_a_second_factor_lowers_the_score_floor() -> None:
    eight_random = "kq8#Lm2z"
    assert assess(eight_random, with_second_factor=True).acceptable
    assert password_policy.MIN_SCORE_WITH_SECOND_FACTOR < password_policy.MIN_SCORE


# Breached passwords


def range_directory(root: Path, passwords: dict[str, int], *, name: str = "{}.txt") -> Path:
    """HIBP's range files, CRLF and upper case as the downloader writes them, plus noise."""
    root.mkdir(exist_ok=True)
    for password, count in passwords.items():
        digest = sha1(password)
        lines = [
            "not a line at all",
            f"{'0' * 35}:{count + 1}",
            f"{digest[5:]}:{count}",
            f"{digest[5:]}:not-a-number",
            "",
        ]
        (root / name.format(digest[:5])).write_bytes("\r\n".join(lines).encode())
    return root


def test_a_range_directory_counts_breaches(tmp_path: Path) -> None:
    corpus = breached.open_corpus(range_directory(tmp_path / "ranges", {"hunter2hunter2": 42}))
    result = assess("hunter2hunter2", with_second_factor=True, breaches=corpus)
    assert result.breached_count == 42
    assert "breached" in codes(result)
    assert "42" in next(r.message for r in result.reasons if r.code == "breached")
    assert assess(STRONG, breaches=corpus).breached_count == 0


@pytest.mark.parametrize("name", ["{}", "{}.txt"])
def test_range_files_may_be_named_without_extension_or_in_lower_case(
    tmp_path: Path, name: str
) -> None:
    root = range_directory(tmp_path / "ranges", {"hunter2hunter2": 7}, name=name)
    for path in root.iterdir():
        path.rename(path.with_name(path.name.lower()))
    assert breached.open_corpus(root).count(sha1("hunter2hunter2")) == 7


def test_a_missing_range_file_counts_as_never_breached(tmp_path: Path) -> None:
    (tmp_path / "ranges").mkdir()
    assert breached.open_corpus(tmp_path / "ranges").count(sha1(STRONG)) == 0


def sorted_file(path: Path, entries: dict[str, int], *, noise: bool = True) -> Path:
    """One file of ``HASH:COUNT`` lines sorted by hash, with CRLF, some lower case and junk."""
    rows: list[str] = []
    rng = random.Random(len(entries))
    for i, (digest, count) in enumerate(sorted(entries.items())):
        rows.append(f"{digest.lower() if i % 3 == 0 else digest}:{count}")
        if noise and i % 7 == 0:
            rows.append(rng.choice(["garbage", "ABC:12", f"{digest}:", "Z" * 300, ""]))
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode())
    return path


def test_a_sorted_file_is_binary_searched_in_both_cases_and_past_junk(tmp_path: Path) -> None:
    rng = random.Random(7)
    entries = {f"{rng.getrandbits(160):040X}": rng.randint(1, 10**6) for _ in range(3000)}
    corpus = breached.open_corpus(sorted_file(tmp_path / "pwned.txt", entries))
    for digest, count in entries.items():
        assert corpus.count(digest) == count
        assert corpus.count(digest.lower()) == count
    for _ in range(300):
        absent = f"{rng.getrandbits(160):040X}"
        assert corpus.count(absent) == entries.get(absent, 0)
    assert corpus.count("0" * 40) == 0
    assert corpus.count("F" * 40) == 0


def test_a_sorted_file_finds_its_first_and_last_lines(tmp_path: Path) -> None:
    edges = {"0" * 40: 1, sha1("hunter2hunter2"): 5, "F" * 40: 9}
    corpus = breached.open_corpus(sorted_file(tmp_path / "p.txt", edges, noise=False))
    assert [corpus.count(h) for h in sorted(edges)] == [1, 5, 9]
    result = assess("hunter2hunter2", breaches=corpus)
    assert result.breached_count == 5


def test_an_empty_sorted_file_holds_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert breached.open_corpus(tmp_path / "empty.txt").count(sha1(STRONG)) == 0


def test_a_file_that_is_not_hibp_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "words.txt").write_text("\n".join(f"word {i}" for i in range(1000)))
    with pytest.raises(Unavailable, match="not a sorted HIBP file"):
        breached.open_corpus(tmp_path / "words.txt").count(sha1(STRONG))


def test_a_missing_breach_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match=breached.SETTING):
        breached.open_corpus(tmp_path / "nowhere.txt")


def test_the_normalised_form_is_looked_up_too(tmp_path: Path) -> None:
    corpus = breached.open_corpus(range_directory(tmp_path / "r", {"ﬁrefly-ﬁrefly-2": 3}))
    assert assess("ﬁrefly-ﬁrefly-2", breaches=corpus).breached_count == 3
    corpus = breached.open_corpus(range_directory(tmp_path / "s", {"firefly-firefly-2": 4}))
    assert assess("ﬁrefly-ﬁrefly-2", breaches=corpus).breached_count == 4


# Whatever arrives


MARK = "\u27e6pw\u27e7"  # no message or suggestion holds these brackets


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters() | st.sampled_from(["\ud800", "\udfff", "\x00"]), max_size=300),
    second_factor=st.booleans(),
    user_name=st.none() | st.text(max_size=40),
    email=st.none() | st.text(max_size=40),
)
def test_any_text_is_assessed_without_crashing_or_echoing(
    text: str, second_factor: bool, user_name: str | None, email: str | None
) -> None:
    password = MARK + text
    context = PasswordContext(user_name=user_name, email=email)
    result = assess(password, with_second_factor=second_factor, context=context)
    dumped = result.model_dump_json()
    assert 0 <= result.score <= 4
    assert result.acceptable == (not result.reasons)
    for shown in (dumped, str(result), repr(result)):
        assert MARK not in shown
