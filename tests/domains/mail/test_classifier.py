"""The text model on a small corpus written here: normalisation, reproducible training,
reasons drawn from the message, and model files that are checked and never pickled."""

# ruff: noqa: RUF001 -- full-width letters are what the NFKC test feeds in

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tradeguard.domains.mail import classifier
from tradeguard.domains.mail.classifier import (
    ModelFileError,
    Sample,
    TextModel,
    cross_validated_probabilities,
    load,
    normalise,
    save,
    train,
)

PHISHING: list[tuple[str, str]] = [
    ("Verify your account", "Your account is limited. Verify your account now to restore access."),
    ("Account suspended", "We suspended your account. Confirm your password to unlock it."),
    ("Unusual sign-in", "Unusual sign-in detected. Confirm your identity within 24 hours."),
    ("Mailbox full", "Your mailbox is full. Log in to restore mail delivery today."),
    ("Payment failed", "Your payment was declined. Update your billing information now."),
    ("New bank details", "Our bank details changed. Pay the open invoice to the new account."),
    ("Urgent wire", "Send the wire transfer today to the new account. Keep this private."),
    ("Gift cards", "Buy five gift cards and send me the codes. It is urgent."),
    ("Parcel on hold", "Your parcel is on hold. Pay the customs fee to release it."),
    ("Invoice overdue", "Invoice overdue. Open the attached file and pay immediately."),
    ("Security alert", "Suspicious activity on your account. Verify your password now."),
    ("Final notice", "Final notice: confirm your account or it will be closed."),
    ("Password expires", "Your password expires today. Confirm your password to keep it."),
    ("Locked account", "Your account is locked. Click to verify your identity."),
    ("Claim reward", "Claim your reward now. Confirm your card details to receive it."),
    ("Delivery failed", "Delivery failed. Confirm your address and pay the redelivery fee."),
    ("Tax refund", "You are due a refund. Verify your bank account to receive it."),
    ("Storage quota", "Storage quota exceeded. Sign in to verify your mailbox now."),
    ("Action required", "Action required: your account will be suspended. Verify now."),
    ("Wallet verification", "Verify your wallet now or your account will be locked."),
]
LEGITIMATE: list[tuple[str, str]] = [
    ("Order shipped", "Order 1042 shipped with UPS and arrives Thursday. Tracking is online."),
    ("Order confirmed", "Thanks for ordering the linen apron. We will pack it tomorrow."),
    ("Quote for mailer boxes", "Attached is the quote for mailer boxes, unit price 0.62 USD."),
    ("Samples sent", "The walnut board samples left by courier this morning."),
    ("Payout sent", "A payout was sent on Monday and arrives in two business days."),
    ("Fee schedule", "Referral fees for kitchen items go down in July. Nothing to do."),
    ("Stock alert", "Three products are running low: apron, mug set and herb keeper."),
    ("Return received", "We received the returned dripper and issued the refund."),
    ("Weekly stats", "Visits rose this week and the bookmark set sold best."),
    ("Listing approved", "The swaddle listing passed review and is live in search."),
    ("Booking confirmed", "One container booked from Shanghai, vessel leaves in May."),
    ("PO acknowledged", "We acknowledge the tumbler order and start production next week."),
    ("Buyer question", "A buyer asks whether gift wrapping is available for Saturday."),
    ("Label created", "A shipping label was created for order 4471, ship by Wednesday."),
    ("Customs entry filed", "The customs entry was filed; duties follow with the broker bill."),
    ("Campaign budget", "The spring campaign spent most of its daily budget by noon."),
    ("Statement ready", "The April statement is ready to download from reports."),
    ("Meeting moved", "The supplier meeting moved to three o'clock on Tuesday."),
    ("Photos before packing", "Photos of the finished tumblers are in the shared folder."),
    ("Welcome aboard", "Your shop is ready. Add a product and set up shipping rates."),
]


def corpus() -> list[Sample]:
    return [(s, t, 1) for s, t in PHISHING] + [(s, t, 0) for s, t in LEGITIMATE]


@cache
def model() -> TextModel:
    return train(corpus(), seed=7)


# ---------------------------------------------------------------------------------------------
# Normalisation


@pytest.mark.parametrize(
    ("subject", "text", "expected"),
    [
        ("ＶＥＲＩＦＹ Now", "", "verify now"),
        ("", "see https://example.com/a?b=1 or www.shop.example", "see urltoken or urltoken"),
        ("", "write to ops@brightshop.com", "write to emailtoken"),
        ("", "on 12/05/2024 pay $19.99 by 2002", "on numtoken pay $ numtoken by numtoken"),
        ("Re: [ILUG] RE: hello", "", "hello"),
        ("", "thanks\n> quoted line\n>> deeper\nbye", "thanks bye"),
        ("", "On Tue, 20 Aug 2002, Bob wrote:\nI agree", "i agree"),
        ("", "hello\n-- \nBob, the builder", "hello"),
        ("", ".wrapper { display: flex; } Hello", "hello"),
        ("", "a   lot\t\tof\n\nspace", "a lot of space"),
        ("", "Date: Not supplied\nURL: http://x.org/\nReal text", "real text"),
    ],
)
def test_normalise(subject: str, text: str, expected: str) -> None:
    assert normalise(subject, text) == expected


def test_normalise_drops_list_footers_and_bulk_mail_lines() -> None:
    text = (
        "The patch works for me.\n\n"
        "_______________________________________________\n"
        "Exmh-users mailing list\n"
        "Exmh-users@redhat.com\n"
        "https://listman.redhat.com/mailman/listinfo/exmh-users\n"
    )
    assert normalise("", text) == "the patch works for me."
    bulk = "Big sale today\nUnsubscribe | Privacy Policy\n© 2025 Shop. All rights reserved."
    assert normalise("", bulk) == "big sale today"


def test_normalise_is_bounded() -> None:
    assert len(normalise("x", "word " * 50_000)) == classifier.MAX_CHARS


def test_stop_list_words_never_become_features() -> None:
    analyzer = classifier._vectoriser(model().card.hyper_parameters).build_analyzer()
    grams = analyzer(normalise("Re: [spamassassin-talk] sourceforge", "exmh razor the numtoken"))
    assert grams == []


# ---------------------------------------------------------------------------------------------
# Training and prediction


def test_training_is_reproducible() -> None:
    again = train(corpus(), seed=7)
    assert np.array_equal(again.coef, model().coef)
    assert np.array_equal(again.idf, model().idf)
    assert again.intercept == model().intercept
    assert again.card.model_version == model().card.model_version


def test_card_records_counts_and_version() -> None:
    card = model().card
    assert card.training_counts.phishing == 20
    assert card.training_counts.legitimate == 20
    assert card.seed == 7
    assert card.model_version.startswith(f"mail-text-{card.created_at:%Y%m%d}-")


def test_phishing_scores_above_legitimate() -> None:
    lure = model().predict("Confirm your account", "Verify your password now or it is locked.")
    notice = model().predict("Order shipped", "Order 2210 shipped with DHL and arrives Monday.")
    assert 0.0 <= notice.probability < 0.5 < lure.probability <= 1.0


def test_reasons_are_ngrams_of_the_message_that_pushed_it_up() -> None:
    subject, text = "Urgent", "Please verify your account and confirm your password today."
    prediction = model().predict(subject, text)
    analyzer = classifier._vectoriser(model().card.hyper_parameters).build_analyzer()
    grams = set(analyzer(normalise(subject, text)))
    assert prediction.reasons
    assert len(prediction.reasons) <= 5
    assert set(prediction.reasons) <= grams
    columns = classifier._columns(prediction.reasons, classifier.N_FEATURES)
    assert all(model().coef[column] > 0 for column in columns)


def test_a_message_without_words_has_no_reasons() -> None:
    empty = model().predict("Re:", "> only a quote\nhttps://example.com 2024")
    assert empty.reasons == []
    assert empty.probability == pytest.approx(1 / (1 + np.exp(-model().intercept)))


def test_probabilities_match_predict() -> None:
    pairs = [(s, t) for s, t, _ in corpus()[:3]]
    batch = model().probabilities(pairs)
    single = [model().predict(s, t).probability for s, t in pairs]
    assert np.allclose(batch, single)
    assert model().probabilities([]).shape == (0,)


def test_cross_validation_scores_every_message_once() -> None:
    scores = cross_validated_probabilities(corpus(), folds=4, seed=7)
    assert len(scores) == len(corpus())
    assert all(0.0 <= score <= 1.0 for score in scores)
    assert scores == cross_validated_probabilities(corpus(), folds=4, seed=7)


def test_training_needs_both_labels() -> None:
    with pytest.raises(ValueError, match="both"):
        train([(s, t, 1) for s, t in PHISHING])
    with pytest.raises(ValueError, match="labels must be"):
        train([*corpus(), ("x", "y", 2)])


# ---------------------------------------------------------------------------------------------
# Model files


def saved(tmp_path: Path) -> Path:
    return save(model(), tmp_path / "model", metrics={"roc_auc": 0.99})


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    loaded = load(saved(tmp_path))
    assert np.array_equal(loaded.coef, model().coef)
    assert loaded.intercept == model().intercept
    assert loaded.card.model_version == model().card.model_version
    assert loaded.card.metrics == {"roc_auc": 0.99}
    message = ("Verify your account", "Confirm your password now.")
    assert loaded.predict(*message) == model().predict(*message)


def test_model_file_holds_plain_arrays_only(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    with np.load(directory / "model.npz", allow_pickle=False) as stored:
        assert sorted(stored.files) == ["coef", "idf", "intercept"]
        assert all(stored[name].dtype == np.float64 for name in stored.files)
    card = json.loads((directory / "model.json").read_text())
    assert card["npz_sha256"] == hashlib.sha256((directory / "model.npz").read_bytes()).hexdigest()
    assert card["hyper_parameters"]["n_features"] == 2**18
    assert card["training_counts"] == {"phishing": 20, "legitimate": 20}


def rewrite_npz(directory: Path, data: bytes) -> None:
    """Replace model.npz and re-sign it, so only the content check can catch it."""
    (directory / "model.npz").write_bytes(data)
    card = json.loads((directory / "model.json").read_text())
    card["npz_sha256"] = hashlib.sha256(data).hexdigest()
    (directory / "model.json").write_text(json.dumps(card))


def npz(**arrays: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_a_changed_npz_fails_the_checksum(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    data = bytearray((directory / "model.npz").read_bytes())
    data[-40] ^= 0xFF
    (directory / "model.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256 differs"):
        load(directory)


def test_a_corrupt_npz_is_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    rewrite_npz(directory, b"PK\x03\x04 not really a zip")
    with pytest.raises(ModelFileError, match="not a readable numpy archive"):
        load(directory)


def test_wrong_shapes_and_pickles_are_refused(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    size = classifier.N_FEATURES
    short = npz(coef=np.zeros(10), idf=np.ones(size), intercept=np.zeros(1))
    rewrite_npz(directory, short)
    with pytest.raises(ModelFileError, match="coef is not"):
        load(directory)
    pickled = npz(coef=np.array([{"a": 1}], dtype=object), idf=np.ones(size), intercept=np.zeros(1))
    rewrite_npz(directory, pickled)
    with pytest.raises(ModelFileError, match="not a readable numpy archive"):
        load(directory)


def test_an_oversized_array_is_refused_before_it_is_read(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("coef.npy", b"\0" * (classifier.N_FEATURES * 8 + 10_000))
    rewrite_npz(directory, buffer.getvalue())
    with pytest.raises(ModelFileError, match="larger than the model can be"):
        load(directory)


@pytest.mark.parametrize(
    ("edit", "complaint"),
    [
        (lambda card: card.update(format_version=2), "format_version"),
        (lambda card: card.update(surprise=True), "surprise"),
        (lambda card: card["hyper_parameters"].update(n_features=1024), "n_features is 1024"),
        (lambda card: card["hyper_parameters"].update(normaliser_version=0), "retrain"),
        (lambda card: card.update(npz_sha256="0" * 64), "sha256 differs"),
        (lambda card: card.pop("seed"), "seed"),
    ],
)
def test_an_edited_card_is_refused(tmp_path: Path, edit: object, complaint: str) -> None:
    directory = saved(tmp_path)
    card = json.loads((directory / "model.json").read_text())
    edit(card)  # type: ignore[operator]
    (directory / "model.json").write_text(json.dumps(card))
    with pytest.raises(ModelFileError, match=complaint) as caught:
        load(directory)
    assert "\n" not in str(caught.value)


def test_missing_or_broken_json_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="cannot read"):
        load(tmp_path / "nowhere")
    directory = saved(tmp_path)
    (directory / "model.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not JSON"):
        load(directory)
