"""POST /v1/events/email: raw messages in, verdicts with readable reasons out."""

from __future__ import annotations

from tests.api.conftest import Api
from tests.domains.mail.builders import lookalike_phish, message

URL = "/v1/events/email"
RFC822 = {"Content-Type": "message/rfc822"}


def post(api: Api, raw: bytes, **params: str) -> dict:  # type: ignore[type-arg]
    response = api.client.post(URL, content=raw, headers={**api.ingest, **RFC822}, params=params)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_payout_notice_from_amazon_is_allowed(api: Api) -> None:
    verdict = post(api, message())
    assert verdict["decision"] == "allow"
    assert verdict["kind"] == "email"
    assert verdict["event_id"].startswith("mail-")


def test_lookalike_phishing_is_stopped_with_reasons(api: Api) -> None:
    verdict = post(api, lookalike_phish())
    assert verdict["decision"] in ("review", "block")
    reasons = " ".join(s["reason"] for s in verdict["signals"])
    assert "arnazon.com" in reasons
    assert verdict["case_id"] is not None
    stored = api.client.get(f"/v1/events/email/{verdict['event_id']}", headers=api.analyst).json()
    assert stored["fields"]["sender_domain"] == "arnazon.com"
    assert "lookalike_domain" in stored["fields"]["findings"]


def test_the_same_bytes_replay_and_an_id_cannot_be_reused(api: Api) -> None:
    raw = message()
    first = api.client.post(URL, content=raw, headers={**api.ingest, **RFC822})
    again = api.client.post(URL, content=raw, headers={**api.ingest, **RFC822})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["replayed"] is True
    other = message(subject="something else")
    reused = {"id": first.json()["event_id"]}
    clash = api.client.post(URL, content=other, headers={**api.ingest, **RFC822}, params=reused)
    assert clash.status_code == 409
    assert clash.headers["content-type"].startswith("application/problem+json")


def test_explicit_id_and_received_time(api: Api) -> None:
    verdict = post(api, message(date=None), id="imap-7-42", received_at="2026-11-24T08:00:00Z")
    assert verdict["event_id"] == "imap-7-42"
    assert verdict["occurred_at"].startswith("2026-11-24T08:00:00")


def test_json_is_refused_with_a_pointer_to_rfc822(api: Api) -> None:
    response = api.client.post(URL, json={"id": "x"}, headers=api.ingest)
    assert response.status_code == 415
    assert "message/rfc822" in response.json()["detail"]


def test_not_a_message_is_a_clear_422(api: Api) -> None:
    response = api.client.post(URL, content=b"", headers={**api.ingest, **RFC822})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_hostile_bytes_never_crash_the_worker(api: Api) -> None:
    bodies = [
        b"\x00" * 5000,
        b"From: \xff\xfe\r\n" * 2000 + b"\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + b"--x\r\n" * 3000,
        b"Subject: =?utf-8?b?" + b"A" * 100_000 + b"?=\r\n\r\nbody",
    ]
    for body in bodies:
        response = api.client.post(URL, content=body, headers={**api.ingest, **RFC822})
        assert response.status_code in (201, 200, 422), response.text


def test_oversized_message_is_413(api: Api) -> None:
    limit = api.runtime.settings.mail_max_message_bytes
    response = api.client.post(URL, content=b"x" * (limit + 1), headers={**api.ingest, **RFC822})
    assert response.status_code == 413


def test_only_ingest_callers(api: Api) -> None:
    assert api.client.post(URL, content=message(), headers=RFC822).status_code == 401
