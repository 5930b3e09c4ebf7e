"""The ``signup`` kind and the default sign-up pack, on both stores, and on simulated traffic."""

from __future__ import annotations

import ipaddress
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import phonenumbers
import pytest
from disposable_email_domains import blocklist
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from tests.factories import T0, signup
from tradeguard.db.session import unit_of_work
from tradeguard.domains.accounts.evaluation import signup_decisions_by_truth
from tradeguard.domains.accounts.signup import email_facts, phone_facts
from tradeguard.domains.accounts.simulate_signups import (
    DISPOSABLE,
    SignupSimulator,
    simulate_signups,
)
from tradeguard.engine.counters import CounterKey, Observation
from tradeguard.engine.events import parse_event
from tradeguard.engine.service import ingest
from tradeguard.engine.verdicts import Decision, Verdict
from tradeguard.errors import Invalid
from tradeguard.runtime import Runtime


def send(rt: Runtime, event: dict[str, Any]) -> Verdict:
    return ingest(rt.sessions, kind="signup", raw=event, actor="test", counters=rt.counters)


def codes(verdict: Verdict) -> set[str]:
    return {s.code for s in verdict.signals}


def signal(verdict: Verdict, code: str) -> Any:
    return next(s for s in verdict.signals if s.code == code)


def example(region: str, kind: int, style: int = PhoneNumberFormat.E164) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    assert number is not None
    return phonenumbers.format_number(number, style)


DE_MOBILE = example("DE", PhoneNumberType.MOBILE)
GB_VOIP = example("GB", PhoneNumberType.VOIP)


# -- the payload --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        {"nickname": "x"},  # unknown fields are refused, not dropped
        {"ip": "999.1.1.1"},
        {"ip": 3232235777},  # an address must be text
        {"email": 42},
        {"email": ""},
        {"email": "a" * 310 + "@example.com"},  # over the RFC's 320 characters
        {"phone": "1" * 41},
        {"country": "DEU"},
        {"country": "1A"},
        {"ip_country": "Germany"},
        {"account_type": "admin"},
        {"account_id": ""},
        {"name": "Jane\x00"},
    ],
)
def test_a_payload_that_is_not_a_signup_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        parse_event("signup", signup(**bad))


def test_a_missing_required_field_is_refused() -> None:
    event = signup()
    del event["country"]
    with pytest.raises(Invalid, match="country"):
        parse_event("signup", event)


def test_a_malformed_email_or_phone_is_a_finding_not_an_error() -> None:
    event = parse_event("signup", signup(email="not an address", phone="call me"))
    assert event.derived["email_valid"] is False
    assert event.derived["email_problem"]
    assert event.derived["phone_valid"] is False
    assert "email" not in event.entities
    assert "mailbox" not in event.entities
    assert "phone" not in event.entities


def test_countries_are_upper_cased_and_account_type_defaults_to_buyer() -> None:
    event = parse_event("signup", signup(country="de", ip_country="fr"))
    assert event.fields["country"] == "DE"
    assert event.derived["ip_country"] == "FR"
    assert event.derived["account_type"] == "buyer"


# -- e-mail -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("A.B+x@GMail.com", "ab@gmail.com"),
        ("ab@gmail.com", "ab@gmail.com"),
        ("a.b@googlemail.com", "ab@gmail.com"),
        ("first.last+shop@outlook.com", "first.last@outlook.com"),  # dots matter at Outlook
        ("Jane.Doe@Example.COM", "jane.doe@example.com"),
        ("+tag@example.com", "+tag@example.com"),  # nothing before the "+" to keep
    ],
)
def test_mailbox_folds_dots_and_tags_where_the_provider_does(address: str, mailbox: str) -> None:
    assert email_facts(address).mailbox == mailbox


def test_gmail_spellings_share_one_mailbox_entity() -> None:
    first = parse_event("signup", signup(email="a.b+x@gmail.com"))
    second = parse_event("signup", signup(email="ab@gmail.com"))
    assert first.entities["mailbox"] == second.entities["mailbox"] == "ab@gmail.com"
    assert first.entities["email"] != second.entities["email"]
    assert first.derived["email_alias"]
    assert not second.derived["email_alias"]


def test_an_international_domain_is_stored_idna_encoded() -> None:
    facts = email_facts("José@Exämple.com")
    assert facts.valid
    assert facts.address == "josé@xn--exmple-cua.com"
    assert facts.domain == "xn--exmple-cua.com"


@pytest.mark.parametrize(
    "address", ["no-at-sign", "a@b", "a..b@gmail.com", "x@localhost", "a b@gmail.com"]
)
def test_invalid_addresses_say_why(address: str) -> None:
    facts = email_facts(address)
    assert not facts.valid
    assert facts.problem
    assert facts.mailbox is None
    assert facts.domain is None


@pytest.mark.parametrize(
    ("address", "disposable"),
    [("x@mailinator.com", True), ("x@mx.yopmail.com", True), ("x@gmail.com", False)],
)
def test_disposable_domains_come_from_the_package_list(address: str, disposable: bool) -> None:
    assert email_facts(address).disposable is disposable


# -- phone --------------------------------------------------------------------------------


def test_a_national_number_is_read_in_the_stated_country() -> None:
    national = example("DE", PhoneNumberType.MOBILE, PhoneNumberFormat.NATIONAL)
    facts = phone_facts(national, "DE")
    assert (facts.valid, facts.type, facts.country) == (True, "mobile", "DE")
    assert facts.e164 == DE_MOBILE


def test_an_international_number_keeps_its_own_country() -> None:
    idd = "00" + DE_MOBILE[1:]  # "00" is the international prefix in France too
    facts = phone_facts(idd, "FR")
    assert (facts.valid, facts.country, facts.e164) == (True, "DE", DE_MOBILE)
    event = parse_event("signup", signup(phone=DE_MOBILE, country="FR", ip_country="FR"))
    assert event.derived["phone_country_mismatch"] is True
    assert event.derived["phone_ip_mismatch"] is True
    assert event.entities["phone"] == DE_MOBILE


@pytest.mark.parametrize(
    ("region", "kind", "name"),
    [
        ("GB", PhoneNumberType.VOIP, "voip"),
        ("US", PhoneNumberType.TOLL_FREE, "toll_free"),
        ("US", PhoneNumberType.FIXED_LINE_OR_MOBILE, "fixed_line_or_mobile"),
        ("FR", PhoneNumberType.FIXED_LINE, "fixed_line"),
    ],
)
def test_number_types(region: str, kind: int, name: str) -> None:
    assert phone_facts(example(region, kind), region).type == name


def test_nanp_numbers_are_told_apart_by_area_code() -> None:
    canadian = example("CA", PhoneNumberType.FIXED_LINE_OR_MOBILE)
    assert phone_facts(canadian, "US").country == "CA"


@pytest.mark.parametrize(
    ("text", "country", "possible", "problem"),
    [
        ("123", "DE", False, "without its area code"),
        ("+1 202 555", "US", False, "too short"),
        ("+49 1" + "2" * 20, "DE", False, "too long"),
        ("+999 1234567", "DE", False, "after plus-sign"),
        ("call me", "DE", False, "not seem to be a phone number"),
        ("030 1234567", "XX", False, "invalid default region"),  # no country code, no country
        ("+1 555 555 5555", "US", True, "numbering plan"),  # the right length, unassigned
    ],
)
def test_numbers_that_are_not_valid(text: str, country: str, possible: bool, problem: str) -> None:
    facts = phone_facts(text, country)
    assert not facts.valid
    assert facts.possible is possible
    assert facts.e164 is None  # junk must never link two accounts
    assert problem in (facts.problem or "")


# -- the IP -------------------------------------------------------------------------------


def test_ip_country_is_derived_offline_when_the_edge_sent_none() -> None:
    derived = parse_event("signup", signup(ip="8.8.8.8", ip_country=None)).derived
    assert (derived["ip_country"], derived["ip_country_source"]) == ("US", "iptocc")
    assert derived["ip_country_mismatch"] is True  # the factory states DE


def test_the_edges_country_wins_and_private_addresses_have_none() -> None:
    given = parse_event("signup", signup(ip="8.8.8.8", ip_country="de")).derived
    assert (given["ip_country"], given["ip_country_source"]) == ("DE", "edge")
    private = parse_event("signup", signup(ip="10.1.2.3", ip_country=None)).derived
    assert private["ip_country"] is None
    assert private["ip_country_source"] is None
    assert private["ip_country_mismatch"] is False


@pytest.mark.parametrize(
    ("ip", "subnet"),
    [("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2::9", "2001:db8:1::/48")],
)
def test_entities(ip: str, subnet: str) -> None:
    event = parse_event(
        "signup", signup(ip=ip, phone=DE_MOBILE, card="card-9", email="Jane.Doe+x@gmail.com")
    )
    assert event.entities == {
        "account": "new-1",
        "email": "jane.doe+x@gmail.com",
        "mailbox": "janedoe@gmail.com",
        "email_domain": "gmail.com",
        "phone": DE_MOBILE,
        "device": "dev-1",
        "ip": ip,
        "ip_subnet": subnet,
        "card_fingerprint": "card-9",
        "store": "all",
    }


# -- the default pack, rule by rule -------------------------------------------------------


def test_a_plain_signup_is_allowed(runtime: Runtime) -> None:
    verdict = send(runtime, signup(phone=DE_MOBILE))
    assert verdict.decision is Decision.ALLOW
    assert verdict.score == 0
    assert verdict.rule_packs == ["signup-default@1"]


def test_invalid_email_asks_for_verification(runtime: Runtime) -> None:
    verdict = send(runtime, signup(email="jane@@example.com"))
    assert verdict.decision is Decision.CHALLENGE
    assert codes(verdict) == {"rule.email_invalid"}
    assert "not valid" in verdict.signals[0].reason
    assert verdict.recommended_actions == ["verify_email"]


def test_disposable_email_on_a_buyer_is_challenged_and_on_a_seller_reviewed(
    runtime: Runtime,
) -> None:
    buyer = send(runtime, signup(account="b", email="x@mailinator.com", device="d1"))
    assert buyer.decision is Decision.CHALLENGE
    assert codes(buyer) == {"rule.email_disposable"}
    assert signal(buyer, "rule.email_disposable").evidence == {"domain": "mailinator.com"}
    seller = send(
        runtime,
        signup(account="s", email="y@yopmail.com", device="d2", account_type="seller", minutes=90),
    )
    assert seller.decision is Decision.REVIEW
    assert "rule.business_account_disposable_email" in codes(seller)


def _person(name: str, **fields: Any) -> dict[str, Any]:
    """A sign-up sharing nothing with other calls' (own account, e-mail and device)."""
    return signup(account=name, email=f"{name}@example.com", device=f"dev-{name}", **fields)


def test_phone_rules(runtime: Runtime) -> None:
    invalid = send(runtime, _person("a", phone="123"))
    assert codes(invalid) == {"rule.phone_invalid"}
    assert invalid.decision is Decision.CHALLENGE
    voip = send(runtime, _person("b", phone=GB_VOIP, minutes=90))
    assert codes(voip) == {"rule.phone_voip", "rule.phone_country_mismatch"}
    assert voip.score == 45
    assert voip.decision is Decision.CHALLENGE
    toll_free = example("DE", PhoneNumberType.TOLL_FREE)
    free = send(runtime, _person("c", phone=toll_free, minutes=180))
    assert codes(free) == {"rule.phone_not_personal"}
    plain = send(runtime, _person("d", phone=DE_MOBILE, minutes=270))
    assert codes(plain) == set()


def test_ip_country_mismatch_is_a_small_score(runtime: Runtime) -> None:
    abroad = send(runtime, signup(ip_country="FR"))
    assert codes(abroad) == {"rule.ip_country_mismatch"}
    assert (abroad.decision, abroad.score) == (Decision.ALLOW, 10)
    assert signal(abroad, "rule.ip_country_mismatch").evidence == {
        "ip": "FR",
        "source": "edge",
        "stated": "DE",
    }


def _many(
    rt: Runtime, n: int, *, every_minutes: float, domain: str = "", **shared: Any
) -> list[Verdict]:
    """``n`` sign-ups by different accounts that share only what ``shared`` names."""
    verdicts = []
    for i in range(n):
        fields: dict[str, Any] = {
            "account": f"acct-{i}",
            "email": f"person{i}@{domain or f'mail{i}.com'}",
            "device": f"dev-{i}",
            "ip": f"203.0.{i}.9",
            **shared,
        }
        verdicts.append(send(rt, signup(minutes=i * every_minutes, **fields)))
    return verdicts


def test_device_shared_by_three_accounts_in_a_day_is_reviewed(runtime: Runtime) -> None:
    first, second, third = _many(runtime, 3, every_minutes=120, device="tablet")
    assert first.decision is second.decision is Decision.ALLOW  # a household shares a tablet
    assert third.decision is Decision.REVIEW
    assert third.case_id is not None
    assert signal(third, "rule.device_shared").evidence == {
        "device": "tablet",
        "day": 3,
        "month": 3,
    }


def test_device_shared_slowly_is_reviewed_at_five_in_a_month(runtime: Runtime) -> None:
    verdicts = _many(runtime, 5, every_minutes=4 * 24 * 60, device="tablet")
    assert [v.decision for v in verdicts[:4]] == [Decision.ALLOW] * 4
    assert "rule.device_shared" in codes(verdicts[4])


def test_a_device_farm_is_blocked(runtime: Runtime) -> None:
    verdicts = _many(runtime, 10, every_minutes=30, device="emulator")
    assert verdicts[8].decision is Decision.REVIEW
    assert verdicts[9].decision is Decision.BLOCK
    assert "device emulator created 10 accounts" in signal(verdicts[9], "rule.device_farm").reason


def test_sign_ups_from_one_ip(runtime: Runtime) -> None:
    verdicts = _many(runtime, 20, every_minutes=2, ip="198.51.100.40")
    assert codes(verdicts[3]) == set()
    assert codes(verdicts[4]) == {"rule.ip_accounts"}
    assert verdicts[4].decision is Decision.CHALLENGE
    assert signal(verdicts[4], "rule.ip_accounts").evidence["accounts"] == 5
    assert codes(verdicts[19]) == {"rule.ip_accounts_many"}  # the tiers do not stack
    assert verdicts[19].decision is Decision.REVIEW


def test_the_same_ip_over_a_day_is_fine(runtime: Runtime) -> None:
    verdicts = _many(runtime, 6, every_minutes=90, ip="198.51.100.40")
    assert all(codes(v) == set() for v in verdicts)


def test_a_rotating_proxy_pool_is_seen_by_its_subnet(runtime: Runtime) -> None:
    verdicts = [
        send(
            runtime,
            signup(
                account=f"acct-{i}",
                email=f"p{i}@mail{i}.com",
                device=f"dev-{i}",
                ip=f"198.51.100.{10 + i}",
                minutes=i * 3,
            ),
        )
        for i in range(10)
    ]
    assert codes(verdicts[8]) == set()
    assert codes(verdicts[9]) == {"rule.subnet_accounts"}
    assert signal(verdicts[9], "rule.subnet_accounts").evidence == {
        "subnet": "198.51.100.0/24",
        "accounts": 10,
    }


def test_a_phone_on_several_accounts(runtime: Runtime) -> None:
    verdicts = _many(runtime, 3, every_minutes=600, phone=DE_MOBILE)
    assert codes(verdicts[0]) == set()
    assert codes(verdicts[1]) == {"rule.phone_shared"}
    assert verdicts[1].decision is Decision.CHALLENGE
    assert verdicts[1].recommended_actions == ["verify_phone"]
    assert codes(verdicts[2]) == {"rule.phone_ring"}
    assert signal(verdicts[2], "rule.phone_ring").evidence == {"phone": DE_MOBILE, "accounts": 3}
    assert verdicts[2].decision is Decision.REVIEW


def test_a_card_on_several_accounts(runtime: Runtime) -> None:
    verdicts = _many(runtime, 3, every_minutes=600, card="card-shared")
    assert codes(verdicts[1]) == {"rule.card_shared"}
    assert verdicts[1].decision is Decision.ALLOW  # a couple sharing a card
    assert codes(verdicts[2]) == {"rule.card_ring"}
    assert verdicts[2].decision is Decision.REVIEW


def test_one_inbox_under_other_spellings(runtime: Runtime) -> None:
    spellings = ["jane.doe@gmail.com", "janedoe+shop@gmail.com", "j.a.n.e.doe@googlemail.com"]
    verdicts = [
        send(runtime, signup(account=f"jane-{i}", email=e, device=f"d{i}", ip=f"203.0.{i}.1"))
        for i, e in enumerate(spellings)
    ]
    assert codes(verdicts[0]) == set()
    assert codes(verdicts[1]) == {"rule.mailbox_reused"}
    assert signal(verdicts[1], "rule.mailbox_reused").evidence == {
        "mailbox": "janedoe@gmail.com",
        "accounts": 2,
    }
    assert codes(verdicts[2]) == {"rule.mailbox_farm"}


def test_a_form_submitted_twice_is_still_one_account(runtime: Runtime) -> None:
    for i in range(4):
        verdict = send(runtime, signup(account="same", device="tablet", phone=DE_MOBILE, minutes=i))
    assert codes(verdict) == set()


def test_a_new_domain_used_by_many_accounts_at_once(runtime: Runtime) -> None:
    verdicts = _many(runtime, 10, every_minutes=5, domain="fresh-domain.com")
    assert codes(verdicts[8]) == set()
    assert codes(verdicts[9]) == {"rule.new_domain_wave"}


def test_a_domain_known_for_days_is_not_a_wave(runtime: Runtime) -> None:
    send(runtime, signup(account="early", email="x@old-domain.com", at=T0 - timedelta(days=3)))
    verdicts = _many(runtime, 10, every_minutes=5, domain="old-domain.com")
    assert "rule.new_domain_wave" not in codes(verdicts[9])


def _wave(rt: Runtime, n: int) -> list[Verdict]:
    return _many(rt, n, every_minutes=0.3)


def test_a_store_wide_burst_is_challenged_from_the_twentieth_sign_up(runtime: Runtime) -> None:
    verdicts = _wave(runtime, 22)
    assert all(codes(v) == set() for v in verdicts[:19])
    burst = signal(verdicts[19], "rule.store_burst")
    assert burst.evidence["recent"] == 20
    assert burst.evidence["times"] == 1008  # all of the week's sign-ups are in these 10 minutes
    assert verdicts[21].decision is Decision.CHALLENGE


def _baseline(rt: Runtime, sign_ups: int) -> None:
    """A week of store history, written straight into the counter store."""
    key = CounterKey("signup.created", "store", "all")
    week = timedelta(days=6, hours=23)
    observations = [
        Observation(key, f"signup:past-{i}", T0 - week + i * week / sign_ups)
        for i in range(sign_ups)
    ]
    with unit_of_work(rt.sessions) as session:
        rt.counters(session).record(observations)


@pytest.mark.parametrize(("history", "fires"), [(3_000, True), (6_000, False)])
def test_a_burst_is_measured_against_the_stores_own_rate(
    runtime: Runtime, history: int, fires: bool
) -> None:
    """25 sign-ups in 10 minutes: over 5x a store doing 3,000 a week, normal for one doing 6,000."""
    _baseline(runtime, history)
    verdicts = _wave(runtime, 25)
    assert ("rule.store_burst" in codes(verdicts[-1])) is fires


# -- simulated traffic --------------------------------------------------------------------


def test_simulation_is_deterministic_and_has_every_attack() -> None:
    first = simulate_signups(seed=3, customers=120)
    assert first == simulate_signups(seed=3, customers=120)
    assert first != simulate_signups(seed=4, customers=120)
    assert {s.truth for s in first} == {
        "normal",
        "fake_account_farm",
        "bot_wave",
        "shared_phone_ring",
        "shared_card_ring",
        "mailbox_variants",
    }


def test_simulated_events_are_valid_signups_with_real_looking_numbers() -> None:
    traffic = simulate_signups(seed=5, customers=300)
    assert all(d in blocklist for d in DISPOSABLE)
    by_truth: dict[str, list[Any]] = defaultdict(list)
    for item in traffic:
        event = parse_event("signup", item.event)
        assert ipaddress.ip_address(item.event["ip"]).is_global
        by_truth[item.truth].append(event)
    normal = by_truth["normal"]
    phones = [e.derived for e in normal if e.derived["phone_given"]]
    assert len(phones) > 0.6 * len(normal)
    assert all(d["phone_valid"] for d in phones)
    assert all(d["phone_type"] in ("mobile", "fixed_line_or_mobile") for d in phones)
    at_home = sum(not d["phone_country_mismatch"] for d in phones)
    assert at_home >= 0.95 * len(phones)
    assert {"edge", "iptocc"} <= {e.derived["ip_country_source"] for e in normal}
    farm = [e.derived for e in by_truth["fake_account_farm"]]
    assert all(d["email_disposable"] for d in farm)
    assert all(d["phone_type"] == "voip" for d in farm if d["phone_given"])


def test_generated_numbers_vary_and_stay_valid() -> None:
    sim = SignupSimulator(seed=1, customers=10, days=1, start=T0)
    for region in ("US", "DE", "JP", "BR", "IN", "CN"):
        numbers = {sim.phone(region) for _ in range(20)}
        assert len(numbers) >= 15
        for text in numbers:
            number = phonenumbers.parse(text)
            assert phonenumbers.is_valid_number(number)
            assert phonenumbers.region_code_for_number(number) == region


def flagged(decisions: Counter[str]) -> float:
    return 1 - decisions["allow"] / sum(decisions.values())


def test_default_pack_catches_fake_accounts_and_lets_customers_in(runtime: Runtime) -> None:
    """Measured on this traffic (seed 11, 1,000 customers): customers 99.6 % allowed, the rest
    challenged during bot waves; farms 100 % flagged; waves 77 %; rings and inboxes 65-83 %
    (events past the 14-day window are dropped, as in the demo)."""
    tally = signup_decisions_by_truth(runtime, seed=11, customers=1000)
    normal = tally["normal"]
    assert normal["allow"] >= 0.99 * sum(normal.values()), normal
    assert normal["review"] + normal["block"] == 0, normal
    farm = tally["fake_account_farm"]
    assert farm["review"] + farm["block"] >= 0.85 * sum(farm.values()), farm
    assert flagged(farm) >= 0.95, farm
    # A wave's first 19 sign-ups pass before the rate can tell; the rest verify a phone.
    assert flagged(tally["bot_wave"]) >= 0.7, tally["bot_wave"]
    # The first account of a ring or an inbox looks like anyone else's (and a second one on
    # a card is a couple's), so these cannot reach 100 %.
    assert flagged(tally["shared_phone_ring"]) >= 0.75, tally["shared_phone_ring"]
    assert flagged(tally["shared_card_ring"]) >= 0.6, tally["shared_card_ring"]
    assert flagged(tally["mailbox_variants"]) >= 0.65, tally["mailbox_variants"]
