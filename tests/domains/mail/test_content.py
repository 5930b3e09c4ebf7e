"""Intent phrases: every code in every language it claims, the everyday mail that must not
fire, evidence that points at the reader's own characters, and a broken phrase file."""

# ruff: noqa: RUF001 -- look-alike letters and Chinese punctuation are what these tests feed in

from __future__ import annotations

import pytest

from tradeguard.domains.mail.content import (
    IntentsFileError,
    analyse_content,
    compile_phrase,
    fold,
    intents,
    load_intents,
)
from tradeguard.domains.mail.message import Address, Finding, ParsedMessage


def parsed(subject: str = "", text: str = "") -> ParsedMessage:
    return ParsedMessage(
        headers=(), sender=Address("", "someone@example.com"), subject=subject, text=text
    )


def codes(subject: str = "", text: str = "") -> set[str]:
    return {finding.code for finding in analyse_content(parsed(subject, text))}


def finding(code: str, subject: str = "", text: str = "") -> Finding:
    found = [f for f in analyse_content(parsed(subject, text)) if f.code == code]
    assert found, f"{code} did not fire"
    return found[0]


FIRES = [
    # credential_request
    ("credential_request", "en", "Please verify your seller account to keep selling."),
    ("credential_request", "en", "Your mailbox is full. Messages will bounce."),
    ("credential_request", "en", "Log in to restore your access."),
    ("credential_request", "en", "Update your billing information today."),
    ("credential_request", "pt", "Por favor, confirme seus dados para continuar."),
    ("credential_request", "es", "Verifique su cuenta para evitar el cierre."),
    ("credential_request", "fr", "Veuillez vérifier votre compte dès maintenant."),
    ("credential_request", "de", "Bitte bestätigen Sie Ihr Konto."),
    ("credential_request", "zh", "请验证您的账户以继续使用。"),
    # payment_change
    ("payment_change", "en", "Kindly note our bank details have changed."),
    ("payment_change", "en", "Please pay to this account instead of the old one."),
    ("payment_change", "en", "Our new IBAN is below; the SWIFT has changed too."),
    ("payment_change", "pt", "Informamos os novos dados bancários da empresa."),
    ("payment_change", "es", "Le enviamos los nuevos datos bancarios."),
    ("payment_change", "fr", "Voici nos nouvelles coordonnées bancaires."),
    ("payment_change", "de", "Bitte beachten Sie unsere neue Bankverbindung."),
    ("payment_change", "zh", "我司的银行账户已变更，请注意。"),
    # gift_card_request
    ("gift_card_request", "en", "I need you to buy 5 Google Play gift cards for a client."),
    ("gift_card_request", "pt", "Preciso que você compre cartões presente para um cliente."),
    ("gift_card_request", "es", "Necesito que compre tarjetas de regalo hoy."),
    ("gift_card_request", "fr", "Pouvez-vous acheter des cartes cadeaux pour moi ?"),
    ("gift_card_request", "de", "Können Sie bitte Geschenkkarten kaufen?"),
    ("gift_card_request", "zh", "请帮我买几张礼品卡。"),
    # urgency
    ("urgency", "en", "Reply within 24 hours."),
    ("urgency", "en", "Final notice before closure."),
    ("urgency", "pt", "Responda em 24 horas."),
    ("urgency", "es", "Responda en 48 horas."),
    ("urgency", "fr", "Répondez sous 24 heures."),
    ("urgency", "de", "Antworten Sie innerhalb von 24 Stunden."),
    ("urgency", "zh", "请在24小时内处理。"),
    # suspension_lure
    ("suspension_lure", "en", "Your account has been temporarily suspended."),
    ("suspension_lure", "en", "We detected suspicious activity on your profile."),
    ("suspension_lure", "pt", "Sua conta foi bloqueada por segurança."),
    ("suspension_lure", "es", "Su cuenta ha sido suspendida."),
    ("suspension_lure", "fr", "Votre compte a été suspendu."),
    ("suspension_lure", "de", "Ihr Konto wurde gesperrt."),
    ("suspension_lure", "zh", "您的账户已被冻结。"),
    # invoice_lure
    ("invoice_lure", "en", "Your invoice is overdue."),
    ("invoice_lure", "en", "Your parcel could not be delivered."),
    ("invoice_lure", "en", "Shipment on hold: pay the customs fee."),
    ("invoice_lure", "pt", "Sua encomenda está retida na alfândega."),
    ("invoice_lure", "es", "Su paquete está retenido en aduana."),
    ("invoice_lure", "fr", "Votre facture impayée est jointe."),
    ("invoice_lure", "de", "Ihre Rechnung ist überfällig."),
    ("invoice_lure", "zh", "您的包裹被扣留，请缴纳关税。"),
]


@pytest.mark.parametrize(("code", "language", "text"), FIRES)
def test_each_code_fires_in_each_language(code: str, language: str, text: str) -> None:
    found = finding(code, text=text)
    assert found.evidence["language"] == language
    assert found.evidence["phrase"] in text


def test_every_code_in_every_language_is_tested() -> None:
    covered = {(code, language) for code, language, _ in FIRES}
    languages = {"en", "pt", "es", "fr", "de", "zh"}
    assert covered == {(i.code, lang) for i in intents() for lang in languages}


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("Your order has shipped", "Your order #4471 has shipped and arrives Thursday."),
        ("Update: the meeting moved", "Hi all, the meeting moved to 3pm. See you there."),
        ("Your package was delivered", "Left at the front door at 2:14 PM."),
        ("Payout sent", "A payout of USD 2,814.40 was sent to your bank account."),
        ("Re: samples", "The samples left today by DHL. Unit price stays at USD 7.80."),
        ("Account settings", "You changed your notification settings. Nothing else to do."),
        ("Seu pedido foi enviado", "Seu pedido foi enviado e chega na quinta-feira."),
        ("Ihre Bestellung", "Ihre Bestellung wurde versandt. Vielen Dank!"),
        ("您的订单已发货", "您的订单已发货，预计两天内送达。"),
    ],
)
def test_everyday_mail_fires_nothing(subject: str, text: str) -> None:
    assert codes(subject, text) == set()


def test_a_real_supplier_invoice_is_still_an_invoice_lure() -> None:
    """Rules weigh this with the sender's standing; the phrase alone cannot tell them apart."""
    text = "Please find attached invoice INV-2025-0418. Our bank details have not changed."
    assert codes("Invoice INV-2025-0418", text) == {"invoice_lure"}


def test_evidence_is_the_original_text_and_says_where() -> None:
    found = finding("credential_request", "VERIFY Your Account now", "Please verify your account.")
    assert found.evidence == {
        "phrase": "VERIFY Your Account",
        "where": "subject",
        "offset": "0",
        "language": "en",
        "count": "2",
    }
    assert "VERIFY Your Account" in found.detail


def test_offset_points_into_the_body() -> None:
    text = "Hello,\n\nwe need you to confirm   your\npassword today."
    found = finding("credential_request", text=text)
    start = int(found.evidence["offset"])
    assert text[start : start + len(found.evidence["phrase"])] == "confirm   your\npassword"


def test_disguised_letters_and_invisible_characters_still_match() -> None:
    cyrillic = "Please v\N{CYRILLIC SMALL LETTER IE}rify y\N{CYRILLIC SMALL LETTER O}ur account"
    hidden = "ve\u200brify your pass\u00adword"
    wide = "ＶＥＲＩＦＹ　ｙｏｕｒ　ａｃｃｏｕｎｔ"
    accentless = "Verifique sua senha"
    for text in (cyrillic, hidden, wide, accentless):
        found = finding("credential_request", text=text)
        assert found.evidence["phrase"] in text


def test_a_phrase_does_not_run_across_sentences() -> None:
    assert "credential_request" not in codes(text="Your account. Confirm the meeting time.")
    assert "suspension_lure" in codes(text="Your account was suspended. Please call us.")


def test_only_the_first_50000_characters_are_read() -> None:
    late = "x " * 30_000 + "Your invoice is overdue."
    assert codes(text=late) == set()


def test_adversarial_input_finishes() -> None:
    """Bounded repetition only: these must finish quickly (not timed, just run)."""
    for text in (
        "verify your " * 17_000,
        "a " * 100_000,
        "\u200b" * 200_000,
        "verify your ... " * 13_000,
        "account " + "x" * 200_000,
        "您的账户" * 50_000,
        ".!?" * 70_000,
    ):
        analyse_content(parsed(text[:5_000], text))


def test_fold_collapses_and_maps_back() -> None:
    folded = fold("Ａ  b\u200bc,\tÉté")
    assert folded.text == "a bc ete"
    start, end = folded.original_span(5, 8)
    assert "Ａ  b\u200bc,\tÉté"[start:end] == "Été"


@pytest.mark.parametrize(
    ("phrase", "language", "pattern"),
    [
        ("verify your ... account", "en", r"(?:verify) (?:your) (?:[^ \n]{1,40} ){0,3}(?:account)"),
        ("card(s|) now", "en", "(?:card)(?:s|) (?:now)"),
        ("(in|) time", "en", "(?:in )?(?:time)"),
        ("suspend*", "en", r"(?:suspend\w{0,30})"),
        ("(验证|确认)账户", "zh", "(?:验证|确认)(?:账户)"),
    ],
)
def test_phrase_language(phrase: str, language: str, pattern: str) -> None:
    assert compile_phrase(phrase, language=language) == pattern


def valid_file(phrase: str) -> str:
    return f"""
version: 1
intents:
  - code: urgency
    detail: 'Presses for speed ("{{phrase}}").'
    phrases:
      en:
        - act now
        - "{phrase}"
"""


@pytest.mark.parametrize(
    ("phrase", "complaint"),
    [
        ("verify (your", "unbalanced parenthesis"),
        ("... account", "start and end with a word"),
        ("a (b|(c)) d", "unbalanced parenthesis"),
        ("acc*ount", "'*' only ends a word"),
        ("(verify|confirm)? it", "no regex"),
        ("!!!", "nothing is left"),
    ],
)
def test_a_broken_phrase_fails_naming_the_entry(phrase: str, complaint: str) -> None:
    with pytest.raises(IntentsFileError) as caught:
        load_intents(valid_file(phrase))
    message = str(caught.value)
    assert "\n" not in message
    assert "urgency" in message
    assert "en phrase 2" in message
    assert complaint in message


def test_file_errors_are_one_readable_line() -> None:
    with pytest.raises(IntentsFileError, match=r"intents\.0 \(urgent\)\.code"):
        load_intents(valid_file("act fast").replace("code: urgency", "code: urgent"))
    with pytest.raises(IntentsFileError, match="not YAML"):
        load_intents("version: [1")
    with pytest.raises(IntentsFileError, match="appears twice"):
        load_intents(valid_file("x y") + valid_file("x y").split("intents:\n")[1])


def test_the_packaged_file_compiles_every_code_once() -> None:
    assert sorted(intent.code for intent in intents()) == sorted(
        [
            "credential_request",
            "payment_change",
            "gift_card_request",
            "urgency",
            "suspension_lure",
            "invoice_lure",
        ]
    )
