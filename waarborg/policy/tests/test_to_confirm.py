"""Values the policy assumes and the controller must still confirm (``to_confirm``): listed by
``policy check``, refused by ``--strict``, never presented as fact by the statement; and the
statement's own words where the policy restates it (purpose 5, the data list)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from waarborg.conftest import POLICY_FILE, cms_policy_data
from waarborg.policy.tests.pages import LANGS, clause, definitions, purpose, statement
from waarborg.policy.tests.test_policy_command import CMS, ERROR_LINE, check, line_of

PENDING = [
    "purposes.administration.retention",
    "purposes.invoicing.retention",
    "purposes.newsletter.retention",
    "purposes.offers.retention",
    "purposes.security.retention",
    "purposes.reporting.retention",
    "purposes.visit_logging.retention",
    "purposes.rights.retention",
    "recipients.hosting",
    "recipients.hosting.agreement",
    "recipients.hosting.sub_processors[0]",
    "recipients.mail_service",
    "recipients.mail_service.agreement",
    "visit_log",
]
TO_CONFIRM = {"nl": "nog te bevestigen", "en": "to be confirmed"}
# Purpose 5 as CMS's published statement (privacybeleid.txt) words it.
CLAUSE_5 = (
    "om onze producten en/of diensten te beheren, analyseren, te onderhouden, te optimaliseren en "
    "te beveiligen en om misbruik en/of fraude van producten en/of diensten tegen te gaan"
)


def _confirmed(data: Any) -> Any:
    """The policy with every ``to_confirm`` marker taken away (as if CMS confirmed them all)."""
    if isinstance(data, dict):
        return {k: _confirmed(v) for k, v in data.items() if k != "to_confirm"}
    if isinstance(data, list):
        return [_confirmed(v) for v in data]
    return data


def _warnings(err: str) -> list[tuple[int, str, str]]:
    found = []
    for line in err.strip().splitlines():
        match = ERROR_LINE.match(line)
        assert match, f"not FILE:LINE: path: message: {line!r}"
        found.append((int(match["line"]), match["path"], match["message"]))
    return found


def test_check_lists_each_value_to_be_confirmed_as_a_warning_at_its_marker():
    code, out, err = check(POLICY_FILE)
    assert code == 0 and out.startswith(f"{POLICY_FILE}: valid;")
    found = _warnings(err)
    assert [path for _, path, _ in found] == PENDING
    assert all(message.startswith("to be confirmed: ") for _, _, message in found)
    lines = CMS.splitlines()
    assert all(lines[at - 1].lstrip().startswith("to_confirm:") for at, _, _ in found)
    first = found[0]
    assert first[0] == line_of(CMS, "      to_confirm:\n        nl: >-\n          De verklaring")
    assert first[2].startswith("to be confirmed: The statement names no period. Two years")


def test_strict_check_refuses_values_to_be_confirmed_and_accepts_a_confirmed_policy(tmp_path):
    code, out, err = check(POLICY_FILE, "--strict")
    assert (code, out) == (1, "")
    assert len(_warnings(err.rsplit("\n", 2)[0])) == len(PENDING)
    assert err.strip().endswith(f"refused (--strict): {len(PENDING)} values to be confirmed")

    confirmed = tmp_path / "confirmed.yaml"
    confirmed.write_text(yaml.safe_dump(_confirmed(cms_policy_data())), encoding="utf-8")
    code, out, err = check(confirmed, "--strict")
    assert (code, err) == (0, "")
    assert "to be confirmed" not in out


def test_a_plain_text_reason_is_accepted_as_well_as_a_pair(tmp_path):
    data = cms_policy_data()
    data["purposes"]["bookkeeping"]["retention"]["to_confirm"] = "Check the AWR period."
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    code, _, err = check(path)
    assert code == 0
    assert "purposes.bookkeeping.retention: to be confirmed: Check the AWR period." in err


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_the_statement_presents_no_value_to_be_confirmed_as_fact(client, lang):
    page = statement(client, lang)
    text = page.text()
    # The placeholder agreement dates and the invented sub-processor are left out ...
    assert not re.search(r"15 (januari|January) 2024", text)
    assert "Datacenter in Nederland" not in text
    # ... and every assumed period or processor that is shown says it is to be confirmed.
    mark = TO_CONFIRM[lang]
    retention = {"nl": "Bewaartermijn", "en": "Retention period"}[lang]
    for key in ("administration", "invoicing", "newsletter", "offers", "security", "reporting"):
        assert definitions(purpose(page, key))[retention].endswith(mark), key
    assert not definitions(purpose(page, "bookkeeping"))[retention].endswith(mark)
    processors = clause(page, "C13").items()
    assert len(processors) == 2 and all(mark in item for item in processors)
    at_most = {"nl": "hoogstens", "en": "at most"}[lang]
    hours = [p.text() for p in clause(page, "C9").find_all("p") if at_most in p.text()]
    assert len(hours) == 1 and hours[0].endswith(mark)
    assert mark in page.find("p", **{"class": "notice"}).text()


@pytest.mark.django_db
def test_once_confirmed_the_statement_shows_the_values_without_a_mark(client, edited_policy):
    edited_policy(lambda d: d.update(_confirmed(d)))
    for lang in LANGS:
        page = statement(client, lang)
        assert TO_CONFIRM[lang] not in page.text()
        assert page.find_all("p", **{"class": "notice"}) == []
        hosting = clause(page, "C13").items()[0]
        date = {"nl": "sinds 15 januari 2024", "en": "since 15 January 2024"}[lang]
        assert date in hosting and "Datacenter in Nederland" in hosting


@pytest.mark.django_db
def test_purpose_5_keeps_the_statements_own_words(client):
    words = {
        "nl": ["beheren", "analyseren", "onderhouden", "optimaliseren", "beveiligen", "misbruik"],
        "en": ["managing", "analysing", "maintaining", "optimising", "securing", "abuse"],
    }
    assert all(w in CLAUSE_5 for w in words["nl"])
    for lang in LANGS:
        section = purpose(statement(client, lang), "security")
        description = section.find("p").text().lower()
        assert all(w in description for w in words[lang]), description
        assert {"nl": "fraude", "en": "fraud"}[lang] in section.find("h3").text()


@pytest.mark.django_db
def test_the_data_list_follows_the_statements_own_list(client):
    given = {
        "nl": ["Naam", "Adresgegevens", "Geslacht", "Telefoonnummer", "E-mailadres"],
        "en": ["Name", "Address", "Gender", "Phone number", "E-mail address"],
    }
    in_a_sentence = {
        "nl": "Naam, adresgegevens, geslacht, telefoonnummer en e-mailadres.",
        "en": "Name, address, gender, phone number and e-mail address.",
    }
    data = {"nl": "Gegevens", "en": "Data"}
    for lang in LANGS:
        page = statement(client, lang)
        lists = clause(page, "C3").find_all("ul")
        assert [i.split(":")[0] for i in lists[0].items()] == given[lang]
        assert lists[1].items() == [
            {"nl": "Bankrekeningnummer (IBAN)", "en": "Bank account number (IBAN)"}[lang]
        ]
        # Administration uses all of it: the statement's own list, in its order, in a sentence.
        assert definitions(purpose(page, "administration"))[data[lang]] == in_a_sentence[lang]
