"""The rights a mail asks for, read from realistic mails in Dutch and English."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from waarborg.intake.classify import KINDS, UNCLEAR, language_guess, mail_classify

MAILS = [
    # (subject, body, kinds, language)
    (
        "Inzageverzoek AVG",
        "Geachte heer/mevrouw,\n\nHierbij verzoek ik u om inzage in mijn persoonsgegevens op "
        "grond van art. 15 AVG. Ik wil graag weten welke gegevens u van mij verwerkt.\n\n"
        "Met vriendelijke groet,\nAnnelies de Vries",
        ("access",),
        "nl",
    ),
    (
        "Vraag",
        "Hoi, kunnen jullie mij een kopie van al mijn gegevens sturen? Groetjes, Pieter",
        ("access",),
        "nl",
    ),
    (
        "Subject access request",
        "Dear Sir or Madam,\n\nUnder Article 15 GDPR I would like a copy of all personal data "
        "you hold about me.\n\nKind regards,\nJohn Smith",
        ("access",),
        "en",
    ),
    (
        "",
        "Hello, what personal data do you have stored about me? Thanks, Emma",
        ("access",),
        "en",
    ),
    (
        "Verwijderen",
        "Beste Aplanner,\nIk gebruik de app niet meer. Wilt u al mijn gegevens verwijderen?\n"
        "Bedankt, Karin",
        ("erasure",),
        "nl",
    ),
    (
        "Recht op vergetelheid",
        "Ik beroep me op het recht op vergetelheid.",
        ("erasure",),
        "nl",
    ),
    (
        "",
        "Ik heb geen account meer nodig, verwijder al mijn gegevens.",
        ("erasure",),
        "nl",
    ),
    (
        "Verwijder mij uit uw bestand",
        "Graag verwijder mij uit uw klantenbestand.",
        ("erasure",),
        "nl",
    ),
    (
        "Delete my account",
        "Please delete my account and all data about me. Regards, Tom",
        ("erasure",),
        "en",
    ),
    (
        "",
        "I want to exercise my right to be forgotten.",
        ("erasure",),
        "en",
    ),
    (
        "Adreswijziging",
        "Beste, ik ben verhuisd. Kunt u mijn adres wijzigen naar Dorpsstraat 4, 1234 AB Ede?",
        ("rectification",),
        "nl",
    ),
    (
        "",
        "Mijn naam is verkeerd gespeld, graag corrigeren: het is Jansen met een s.",
        ("rectification",),
        "nl",
    ),
    (
        "Wrong details",
        "Hi, my phone number is incorrect in your records. Please update my phone number to "
        "0612345678.",
        ("rectification",),
        "en",
    ),
    (
        "Beperking",
        "Ik maak gebruik van mijn recht op beperking van de verwerking zolang mijn bezwaarschrift "
        "loopt.",
        ("restriction",),
        "nl",
    ),
    (
        "",
        "Please restrict the processing of my data until the dispute is resolved.",
        ("restriction",),
        "en",
    ),
    (
        "Dataportabiliteit",
        "Ik wil mijn gegevens meenemen naar een andere planner. Kunt u ze exporteren in een "
        "machineleesbaar formaat?",
        ("portability",),
        "nl",
    ),
    (
        "Data portability request",
        "I would like to transfer my data to another provider in a machine-readable format.",
        ("portability",),
        "en",
    ),
    (
        "Afmelden nieuwsbrief",
        "Ik wil graag afmelden voor de nieuwsbrief.",
        ("objection",),
        "nl",
    ),
    (
        "",
        "Ik wil geen nieuwsbrieven meer ontvangen.",
        ("objection",),
        "nl",
    ),
    (
        "",
        "Verwijder mijn e-mailadres van de mailinglijst alstublieft.",
        ("objection",),
        "nl",
    ),
    (
        "Bezwaar",
        "Ik maak bezwaar tegen het gebruik van mijn gegevens voor marketing.",
        ("objection",),
        "nl",
    ),
    (
        "Unsubscribe",
        "Please remove me from your mailing list.",
        ("objection",),
        "en",
    ),
    (
        "",
        "I object to the processing of my data for direct marketing. Please stop sending offers.",
        ("objection",),
        "en",
    ),
    (
        "Inzage en daarna verwijderen",
        "Ik wil eerst inzage in mijn gegevens. Daarna wil ik dat u al mijn gegevens verwijdert.",
        ("access", "erasure"),
        "nl",
    ),
    (
        "Re: uw verzoek",
        "Ja, graag.\n\nOp 3 mei 2025 om 10:12 schreef Aplanner <privacy@aplanner.nl>:\n"
        "> U heeft gevraagd om inzage, verwijdering of bezwaar.",
        (UNCLEAR,),
        "nl",
    ),
]

# Mails that name no right, or name one in a way a machine should not decide.
UNCLEAR_MAILS = [
    ("Factuur", "Wanneer komt mijn factuur? Groet, Bas"),
    ("Login", "I cannot access my account, can you help?"),
    ("", "Ik wil niet dat jullie mijn gegevens verwijderen, maar wel weten wat er gebeurt."),
    ("", "I do not want you to delete my data."),
    ("", "Ik heb geen bezwaar tegen de nieuwsbrief."),
    (
        "Offerte",
        "Zie bijlage.\n\nDit bericht is uitsluitend bestemd voor de geadresseerde. Als u dit "
        "bericht per vergissing heeft ontvangen, verzoeken wij u het te verwijderen.",
    ),
    (
        "Quote",
        "See attached.\n\nIf you are not the intended recipient, please delete this message and "
        "any information in it.",
    ),
    ("", ""),
]


@pytest.mark.parametrize(("subject", "body", "kinds", "language"), MAILS)
def test_it_recognises_the_right_asked_for(subject, body, kinds, language):
    found = mail_classify(subject=subject, text=body)
    assert found.kinds == kinds
    assert found.language == language


@pytest.mark.parametrize(("subject", "body"), UNCLEAR_MAILS)
def test_a_mail_it_cannot_tell_is_unclear(subject, body):
    assert mail_classify(subject=subject, text=body).kinds == (UNCLEAR,)


def test_a_declared_content_language_wins_over_the_words():
    assert language_guess("the and of my", declared="nl-NL") == "nl"
    assert language_guess("de het een mijn", declared="en") == "en"
    assert language_guess("", declared="fr") == "nl"  # a Dutch company's default


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=3000), st.text(max_size=200))
def test_any_text_gives_known_kinds_and_a_language(text, subject):
    found = mail_classify(subject=subject, text=text)
    assert found.kinds == (UNCLEAR,) or set(found.kinds) <= set(KINDS)
    assert found.kinds and len(set(found.kinds)) == len(found.kinds)
    assert found.language in ("nl", "en")


WORDS = st.sampled_from(
    [
        *str.split("ik wil graag inzage mijn gegevens verwijderen niet geen bezwaar art. 15"),
        *str.split("please delete my data copy of not unsubscribe beperken verwerking export"),
        *[",", ".", "!", "?", ">", "--", "\n\n"],
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=80))
def test_any_mix_of_the_rules_own_words_gives_an_answer(words):
    found = mail_classify(subject="", text=" ".join(words))
    assert found.kinds == (UNCLEAR,) or set(found.kinds) <= set(KINDS)
