"""Which right(s) a mail asks for, and in which language it is written.

Plain rules, one table per right: a mail asks for a right when one of its sentences matches one
of that right's phrases. The phrases want the person's own data in them ("mijn gegevens", "my
data", "about me"), so a footer asking to delete a mail sent in error is not an erasure. Two
rules keep a doubtful mail for a person: a sentence that names a right and also says "not"
outside the phrase ("I do not want my data erased") makes the whole mail ``unclear``, and so
does a mail in which no right is found. A privacy officer then classifies it; a wrong guess
costs more than a short wait.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

UNCLEAR = "unclear"
# The order in which kinds are listed, whatever order the mail names them in.
KINDS = ("access", "rectification", "erasure", "restriction", "portability", "objection")

# Long mails are cut here: a request is said in its first lines, and the rules stay fast on a
# mail full of pasted logs.
TEXT_LIMIT = 20_000


def _any(words: str) -> str:
    """One of the space-separated ``words``; an underscore stands for the space inside a phrase."""
    return "(?:" + "|".join(w.replace("_", r"\s+") for w in words.split()) + ")"


def _words(n: int) -> str:
    """Up to ``n`` words in between."""
    return rf"(?:\S+\s+){{0,{n}}}"


def _near(first: str, second: str, n: int = 5) -> str:
    """``first`` and ``second`` within ``n`` words of each other, in either order."""
    return (
        rf"(?:\b(?:{first})\w*\s+{_words(n)}\b(?:{second})"
        rf"|\b(?:{second})\w*\s+{_words(n)}\b(?:{first}))"
    )


# The person's own data, in Dutch and in English.
_MY_NL = r"(?:mijn|m'?n)"
_DATA_NL = r"(?:persoonsgegevens|gegevens|klantgegevens|data|informatie|account|profiel|dossier)"
MY_DATA_NL = (
    rf"(?:{_MY_NL}\s+{_words(2)}{_DATA_NL}|{_DATA_NL}\s+{_words(3)}(?:over|van)\s+(?:mij|me)\b)"
)
_DATA_EN = r"(?:data|information|info|details|account|profile|records?|file)"
MY_DATA_EN = rf"(?:my\s+{_words(2)}{_DATA_EN}|{_DATA_EN}\s+{_words(3)}(?:about|of|on)\s+me\b)"
# What a person asks a copy of: their data, not their account (which "access" also names).
_COPY_NL = r"(?:persoonsgegevens|gegevens|klantgegevens|data|informatie|dossier)"
MY_COPY_NL = (
    rf"(?:{_MY_NL}\s+{_words(2)}{_COPY_NL}|{_COPY_NL}\s+{_words(3)}(?:over|van)\s+(?:mij|me)\b)"
)
_COPY_EN = r"(?:data|information|records?|file)"
MY_COPY_EN = rf"(?:my\s+{_words(2)}{_COPY_EN}|{_COPY_EN}\s+{_words(3)}(?:about|of|on)\s+me\b)"
# Personal details a person asks to correct.
_DETAIL_NL = _any(
    "gegevens adres naam achternaam telefoonnummer e-?mailadres postcode woonplaats "
    "geboortedatum rekeningnummer iban"
)
_DETAIL_EN = _any(
    "data details address name surname phone_number e-?mail_address postcode postal_code "
    "date_of_birth bank_account iban information"
)
MY_DETAIL = rf"(?:(?:{_MY_NL}|my)\s+{_words(2)}(?:{_DETAIL_NL}|{_DETAIL_EN}))"
# Lists and mailings: removing oneself from these is an objection, not an erasure.
_MAILING = _any(
    r"nieuwsbrie\w* mailinglijst\w* verzendlijst\w* mailing\w* newsletters? mailing_list "
    r"marketing reclame aanbieding\w* offers promotions?"
)

RULES: dict[str, tuple[str, ...]] = {
    "access": (
        r"\binzage\w*",
        r"\brecht\s+op\s+inzage\b",
        _near(r"kopie|afschrift|overzicht", MY_COPY_NL, 4),
        r"\bwelke\s+(?:persoons)?gegevens\s+(?:\S+\s+){0,4}(?:van|over)\s+(?:mij|me)\b",
        r"\bart(?:ikel|icle|\.)?\s*15\b",
        r"\b(?:subject\s+)?access\s+request\b",
        r"\bright\s+(?:of|to)\s+access\b",
        r"\bdsar\b",
        _near(r"copy|overview|access\s+to", MY_COPY_EN, 4),
        r"\bwhat\s+(?:personal\s+)?(?:data|information)\s+(?:\S+\s+){0,3}(?:hold|have|store|keep|process)\w*\s+(?:\S+\s+){0,2}(?:about|on|of)\s+me\b",
    ),
    "rectification": (
        r"\brectific\w*",
        r"\bart(?:ikel|icle|\.)?\s*16\b",
        _near(
            r"corrigeer|corrigeren|correctie|verbeter|wijzig|aanpass|aangepast|gewijzigd|gecorrigeerd|onjuist|klopt\s+niet",
            MY_DETAIL,
        ),
        _near(r"correct|update|change|fix|amend|incorrect|inaccurate|wrong|outdated", MY_DETAIL),
    ),
    "erasure": (
        r"\brecht\s+op\s+(?:vergetelheid|vergeten\s+te\s+worden|wissing|verwijdering)\b",
        r"\bvergeten\s+(?:te\s+)?worden\b",
        r"\bright\s+to\s+(?:be\s+forgotten|erasure|deletion)\b",
        r"\bart(?:ikel|icle|\.)?\s*17\b",
        _near(r"verwijder|wis|wissen|gewist|vernietig|weggooi", MY_DATA_NL),
        r"\bverwijder\w*\s+(?:mij|me)\s+(?:\S+\s+){0,2}uit\s+(?:uw|jullie|je|het|de)\s+(?:systeem|systemen|database|bestand|klantenbestand|administratie)\b",
        _near(r"delete|erase|remove|destroy|wipe|purge", MY_DATA_EN),
        r"\b(?:delete|erase|remove)\s+me\s+from\s+(?:your|the)\s+(?:system|systems|database|records|files)\b",
    ),
    "restriction": (
        r"\brecht\s+op\s+beperking\b",
        r"\bbeperking\s+van\s+(?:de\s+)?verwerking\b",
        _near(r"beperk|bevries|blokkeer|blokkeren", r"verwerking|gebruik", 4),
        rf"\bgegevens\s+{_words(3)}(?:beperken|bevriezen|blokkeren)\b",
        r"\bart(?:ikel|icle|\.)?\s*18\b",
        r"\bright\s+to\s+restrict\w*",
        _near(r"restrict|freeze|block", r"processing|use\s+of\s+my", 4),
        rf"\b(?:restrict|freeze)\w*\s+{_words(2)}my\s+(?:personal\s+)?data\b",
    ),
    "portability": (
        r"\b(?:data)?portabiliteit\b",
        r"\boverdraagbaarheid\b",
        _near(r"overdragen|overdracht|meenemen|overzetten|exporteren|export", MY_DATA_NL, 4),
        r"\bmachine-?leesba\w*",
        r"\bart(?:ikel|icle|\.)?\s*20\b",
        r"\bportability\b",
        _near(r"transfer|port|move|export", MY_DATA_EN, 4),
        r"\bmachine-?readable\b",
    ),
    "objection": (
        r"\bbezwaar\b",
        r"\bafmeld\w*|\bafmelden\b|\bmeld\s+(?:mij|me)\s+(?:\S+\s+){0,2}af\b",
        r"\buitschrijv\w*|\bschrijf\s+(?:mij|me)\s+(?:\S+\s+){0,2}uit\b",
        rf"\bgeen\s+{_words(3)}(?:{_MAILING}|e-?mails?|mails)\s+{_words(2)}meer\b",
        rf"\b(?:niet|nooit)\s+(?:langer|meer)\s+{_words(4)}(?:mailen|bellen|benaderen|e-?mailen|sturen|toesturen|ontvangen|{_MAILING})",
        rf"\b(?:verwijder|haal)\w*\s+{_words(3)}(?:van|uit)\s+{_words(2)}{_MAILING}",
        r"\bart(?:ikel|icle|\.)?\s*21\b",
        r"\bobject(?:ion|ing)?\b",
        r"\bopt(?:ing)?[\s-]*out\b",
        r"\bunsubscrib\w*",
        r"\b(?:stop|cease)\s+(?:sending|emailing|e-mailing|mailing|calling|contacting|using\s+my\s+data\s+for)\b",
        rf"\b(?:no\s+longer|not|never|don'?t|do\s+not)\s+{_words(3)}(?:receive|get|be\s+sent|want)\s+{_words(4)}(?:{_MAILING}|e-?mails?|mails|calls)\b",
        rf"\b(?:remove|take)\s+me\s+(?:off|from)\s+{_words(2)}{_MAILING}",
    ),
}

# Words that turn a sentence around. Found outside a right's phrase, they make the mail unclear.
NEGATION = re.compile(r"\b(?:niet|geen|nooit|not|no|never|don'?t|doesn'?t|won'?t|n't)\b")
# A sentence that speaks of a mailing list is about that list: an erasure phrase in it is read
# as leaving the list (an objection), never as erasing everything.
MAILING = re.compile(rf"\b{_MAILING}")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n\s*\n")
CLAUSE_END = re.compile(r",|:|\s(?:maar|but)\s")
# Abbreviations whose full stop does not end a sentence ("art. 15 AVG").
ABBREVIATION = re.compile(r"\b(art|artikel|nr|no|bijv|bv|o\.a|e\.g|i\.e|m\.b\.t|t\.a\.v)\.\s*")

_COMPILED = {kind: [re.compile(p) for p in patterns] for kind, patterns in RULES.items()}


# Frequent small words of each language; the one with more of them wins, Dutch on a tie (the
# contact address is a Dutch company's).
def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_DUTCH = _word_set(
    """de het een en ik mijn niet van voor met wil graag u uw jullie dat zijn op te gegevens
    bedankt groet groeten vriendelijke beste geachte heer mevrouw mij ook naar maar wel kunt zou
    willen verzoek alstublieft alvast dank"""
)
_ENGLISH = _word_set(
    """the a and i my not of for with want please you your that are on to data thanks regards
    dear kind would like me also but could request thank sincerely best all have"""
)


@dataclass(frozen=True)
class Classification:
    kinds: tuple[str, ...]  # from KINDS, or (UNCLEAR,)
    language: str  # "nl" or "en"


def text_normalise(text: str) -> str:
    """Lower case without accents ("geïnformeerd" -> "geinformeerd"), one space between words,
    quoted replies and signatures left out: only what this person wrote now counts."""
    kept: list[str] = []
    for line in text[:TEXT_LIMIT].splitlines():
        stripped = line.strip()
        if stripped == "--" or _REPLY_HEADER.match(stripped):
            break
        if not stripped.startswith(">"):
            kept.append(stripped)
    folded = unicodedata.normalize("NFKD", "\n".join(kept).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    plain = plain.replace("’", "'").replace("`", "'")
    plain = ABBREVIATION.sub(lambda m: m.group(1).replace(".", "") + " ", plain)
    return re.sub(r"[ \t\r\f\v]+", " ", plain)


# Where a reply quotes the mail before it (Outlook, Gmail, Apple Mail; Dutch and English).
_REPLY_HEADER = re.compile(
    r"^(?:-{2,}\s*"
    r"(?:original message|oorspronkelijk bericht|doorgestuurd bericht|forwarded message)"
    r"|on .{0,200} wrote:$|op .{0,200} (?:schreef|heeft .{0,80} geschreven).{0,80}:$"
    r"|(?:from|van):\s.*)",
    re.IGNORECASE,
)


def language_guess(text: str, *, declared: str = "") -> str:
    """``nl`` or ``en``: a ``Content-Language`` of either wins, otherwise the small words."""
    head = declared.strip().lower()[:2]
    if head in ("nl", "en"):
        return head
    words = re.findall(r"[a-z']+", text_normalise(text))
    dutch = sum(w in _DUTCH for w in words)
    english = sum(w in _ENGLISH for w in words)
    return "en" if english > dutch else "nl"


def _clause(sentence: str, at: int) -> tuple[int, int]:
    """The part of ``sentence`` around ``at`` between commas, colons, "maar" and "but"."""
    bounds = [0, *(m.end() for m in CLAUSE_END.finditer(sentence)), len(sentence) + 1]
    start = max(b for b in bounds if b <= at)
    return start, min(b for b in bounds if b > at)


def _sentence_kinds(sentence: str) -> tuple[set[str], bool]:
    """The kinds one sentence names, and whether a negation stands in the same clause as one
    of their phrases but outside it ("ik wil niet dat mijn gegevens verwijderd worden")."""
    kinds: set[str] = set()
    spans: list[tuple[int, int]] = []
    mailing = MAILING.search(sentence) is not None
    for kind, patterns in _COMPILED.items():
        if kind == "erasure" and mailing:
            continue
        for pattern in patterns:
            for found in pattern.finditer(sentence):
                kinds.add(kind)
                spans.append(found.span())
    for negation in NEGATION.finditer(sentence):
        if any(start <= negation.start() < end for start, end in spans):
            continue
        low, high = _clause(sentence, negation.start())
        if any(start < high and end > low for start, end in spans):
            return kinds, True
    return kinds, False


def mail_classify(*, subject: str, text: str, declared_language: str = "") -> Classification:
    """The rights a mail asks for (in the order of ``KINDS``), or ``unclear``; and its language."""
    body = text_normalise(f"{subject}\n\n{text}")
    found: set[str] = set()
    doubtful = False
    for sentence in SENTENCE_END.split(body):
        kinds, doubt = _sentence_kinds(sentence.replace("\n", " "))
        found |= kinds
        doubtful = doubtful or doubt
    language = language_guess(f"{subject}\n{text}", declared=declared_language)
    if doubtful or not found:
        return Classification(kinds=(UNCLEAR,), language=language)
    return Classification(kinds=tuple(k for k in KINDS if k in found), language=language)
