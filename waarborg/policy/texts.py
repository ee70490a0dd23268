"""Words for the values of a policy, in Dutch and English, shared by every document we render."""

from __future__ import annotations

from waarborg.policy.schema import Retention

BASIS = {
    "contract": ("uitvoering van een overeenkomst", "performance of a contract"),
    "consent": ("toestemming", "consent"),
    "legitimate_interest": ("gerechtvaardigd belang", "legitimate interest"),
    "legal_obligation": ("wettelijke verplichting", "legal obligation"),
    "vital_interest": ("vitaal belang", "vital interest"),
    "public_task": ("taak van algemeen belang", "public task"),
}

BASIS_EXPLAINED = {
    "contract": (
        "Wij hebben deze gegevens nodig om de overeenkomst met u uit te voeren.",
        "We need this data to carry out our contract with you.",
    ),
    "consent": (
        "Wij doen dit alleen als u daar uitdrukkelijk toestemming voor hebt gegeven. U kunt uw "
        "toestemming altijd intrekken, even gemakkelijk als u haar gaf.",
        "We do this only if you have explicitly consented. You can withdraw consent at any time, "
        "as easily as you gave it.",
    ),
    "legitimate_interest": (
        "Wij hebben hier een gerechtvaardigd belang bij en hebben dat afgewogen tegen uw belangen. "
        "U kunt bezwaar maken.",
        "We have a legitimate interest in this and have weighed it against your interests. You may "
        "object.",
    ),
    "legal_obligation": (
        "De wet verplicht ons hiertoe.",
        "The law obliges us to do this.",
    ),
    "vital_interest": (
        "Dit is nodig om iemands leven of gezondheid te beschermen.",
        "This is needed to protect someone's life or health.",
    ),
    "public_task": (
        "Dit is nodig voor een taak van algemeen belang.",
        "This is needed for a task in the public interest.",
    ),
}

EVENT = {
    "collection": ("na het verzamelen", "after collection"),
    "end_of_contract": ("na het einde van de overeenkomst", "after the contract ends"),
    "end_of_financial_year": (
        "na het einde van het boekjaar",
        "after the end of the financial year",
    ),
    "consent_withdrawn": ("na het intrekken van de toestemming", "after consent is withdrawn"),
    "last_activity": ("na de laatste activiteit", "after the last activity"),
    "visit": ("na het bezoek", "after the visit"),
    "claim_settled": ("na afwikkeling van de vordering", "after the claim is settled"),
}

KIND = {
    "processor": ("verwerker", "processor"),
    "third_party": ("derde", "third party"),
    "authority": ("autoriteit", "authority"),
}

COOKIE_KIND = {
    "functional": ("functioneel, geen toestemming nodig", "functional, no consent needed"),
    "exempt_analytics": (
        "analytisch met weinig privacy-impact, geen toestemming nodig",
        "analytics with little privacy impact, no consent needed",
    ),
    "consent_required": ("alleen met uw toestemming", "only with your consent"),
}

PARTY = {"first": ("eigen cookie", "first party"), "third": ("van een derde", "third party")}
REQUIREMENT = {"required": ("noodzakelijk", "required"), "optional": ("optioneel", "optional")}

_UNITS = {
    "years": (("jaar", "jaar"), ("year", "years")),
    "months": (("maand", "maanden"), ("month", "months")),
    "days": (("dag", "dagen"), ("day", "days")),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def duration_text(retention: Retention, lang: str) -> str:
    parts = []
    for unit in ("years", "months", "days"):
        amount = getattr(retention, unit)
        if amount:
            forms = _UNITS[unit][1 if lang == "en" else 0]
            parts.append(f"{amount} {forms[0] if amount == 1 else forms[1]}")
    joiner = " and " if lang == "en" else " en "
    return joiner.join(parts)


def retention_text(retention: Retention, lang: str) -> str:
    return f"{duration_text(retention, lang)} {pick(EVENT[retention.starts], lang)}"
