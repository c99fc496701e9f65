"""Which customer accounts are companies: only those join the redaction allow list.

An item's ``account`` is whatever the source calls its customer: usually a company ("Acme
Logistics"), but a sole trader's account is a person ("Maria Gonzalez"). A name on the allow
list is never redacted as a person, in any text, so an account joins it only when it is a
company (:func:`company_accounts`):

1. it is one of the names known to be companies: the taxonomy's company and gazetteer names,
   and the ``known_orgs`` a caller passes;
2. or it has the shape of an organisation: a legal form or organisation word as a whole word
   ("Inc", "LLC", "GmbH", "Co", "Group", "Labs", "Bank", "University", "Logistics", ...: see
   :data:`ORG_WORDS`), a word ending like one ("Cloudworks", "Netsoft"), an ``&`` or a digit;
3. or, when it does not look like a person's name (two to five capitalised words, initials and
   particles such as "van" or "de", nothing else), spaCy's NER reads the name alone as one
   organisation, and neither the name alone nor "<name> asked for a refund." as a person.

Anything else stays off the allow list: its words are redacted wherever the redactor finds a
person, and the units (and so the report) carry the account as a pseudonym
(:func:`pseudonym`: ``account:`` and 12 hex digits of its SHA-256), which still groups an
account's units and joins an accounts file (:func:`~silobridge.pipeline.report.build.facts`).
A pseudonym is not anonymous: whoever guesses the name can compute it and confirm the guess.

NER alone is no guide for two-word names: the small model reads "Nadia Petrov",
"Lucas Moreau" and "Samantha Power" as organisations, and "Maplewood Homes" as a person.
Words that are also common surnames ("Power", "Law", "Church", "Banks") are not organisation
words on their own ("Wind Power" is).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

_ORG_TEXT = """
    inc incorporated corp corporation co company companies ltd limited llc llp lp plc gmbh mbh
    pty pvt bhd sdn sarl srl spa sas bv nv oy kgaa ohg ug kft zrt sro
    group holding holdings partners partnership associates enterprises industries international
    worldwide global ventures capital investments investment fund funds bank bancorp banking
    financial finance credit union insurance assurance payments fintech trust
    labs lab laboratories laboratory systems technologies technology tech solutions software
    analytics data digital networks network interactive cloud computing electronics devices
    telecom telecommunications communications wireless media studios studio productions
    entertainment games gaming records publishing publishers press books audio film films
    university college academy school schools institute education learning foundation charity
    hospital hospitals clinic clinics health healthcare medical dental pharma pharmaceuticals
    biotech therapeutics diagnostics logistics freight shipping transport transportation
    airlines airways aviation aerospace motors automotive mobility ports travel tours hotels
    hotel resorts hospitality restaurant restaurants kitchens foods food beverages brewing
    brewery coffee roasters bakery farms farm grocers grocery market markets retail stores store
    shop apparel fashion clothing cosmetics beauty outfitters outdoor sports fitness events
    realty properties estates homes housing construction builders manufacturing robotics energy
    utilities electric mining chemicals staffing recruitment agency services consulting
    consultants advisors advisory legal security council ministry department authority
    association society club museum library center centre bros brothers sons
    plumbing photography design designs catering cleaning accounting marketing printing
    roofing landscaping salon cafe café pharmacy veterinary optics repairs
"""
#: Legal forms and organisation words, lower case, matched as whole words.
ORG_WORDS = frozenset(_ORG_TEXT.split())
#: Two-letter legal forms: whole words in capitals, after the name ("Volvo AB", "Siemens AG").
ORG_FORMS_UPPER = frozenset({"AG", "SA", "AB", "AS", "NV", "BV", "KG", "SE", "OY", "KK", "SL"})
#: Organisation words of two words, whose last word is also a surname.
ORG_PHRASES = ("wind power", "solar power", "law firm", "law group", "law office")
#: Word endings of organisation names ("Nimbus Cloudworks", "Netsoft", "Fintech", "Medcorp").
ORG_SUFFIXES = ("works", "soft", "ware", "tech", "corp", "labs")
#: Lower-case words inside a person's name ("Ludwig van Beethoven", "Maria de la Cruz").
_PARTICLES = "al bin da das de del della der di dos du el ibn la le st ten ter van von y"
NAME_PARTICLES = frozenset(_PARTICLES.split())
#: The sentence a name is read in, to see whether NER takes it for a person there.
CONTEXT = "{} asked for a refund."

_WORD = re.compile(r"[^\W_]+")
_NAME_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_INITIAL = re.compile(r"[^\W\d_]\.?")


def organisation_shape(name: str) -> bool:
    """Whether ``name`` has an organisation word, a legal form, an ``&`` or a digit."""
    if "&" in name or any(c.isdigit() for c in name):
        return True
    words = _WORD.findall(name.replace(".", ""))
    lower = [w.lower() for w in words]
    if any(w in ORG_WORDS for w in lower):
        return True
    if any(w in ORG_FORMS_UPPER for w in words[1:]):
        return True
    if any(len(w) > len(s) + 2 and w.endswith(s) for w in lower for s in ORG_SUFFIXES):
        return True
    joined = " ".join(lower)
    return any(re.search(rf"\b{p}\b", joined) for p in ORG_PHRASES)


def person_shaped(name: str) -> bool:
    """Whether ``name`` reads as a person's name: two to five words, each a capitalised word,
    an initial ("J.") or a particle ("van", "de"), at least two of them capitalised words."""
    if name.isupper():  # CRMs that write names in capitals: "MARIA GONZALEZ"
        name = name.title()
    words = name.replace(",", " ").split()
    if not 2 <= len(words) <= 5:
        return False
    names = 0
    for word in words:
        if _NAME_WORD.fullmatch(word.rstrip(".")) and word[0].isupper() and not word.isupper():
            names += 1
        elif not (_INITIAL.fullmatch(word) and word[0].isupper()) and word not in NAME_PARTICLES:
            return False
    return names >= 2


def company_accounts(
    accounts: Iterable[str], *, nlp: Any, known: Iterable[str] = ()
) -> dict[str, bool]:
    """Whether each account is a company (see the module's docstring for the rule).

    Args:
        accounts: Account names (blank ones are left out).
        nlp: A spaCy pipeline with NER (the shared :func:`~silobridge.pipeline.nlp.load_pipeline`).
        known: Names known to be companies (compared without case).

    Returns:
        Each distinct, stripped account name, with ``True`` for a company.
    """
    known_lower = {k.strip().lower() for k in known if k and k.strip()}
    verdicts: dict[str, bool] = {}
    ask: list[str] = []
    for account in accounts:
        name = account.strip() if isinstance(account, str) else ""
        if not name or name in verdicts:
            continue
        if name.lower() in known_lower or organisation_shape(name):
            verdicts[name] = True
        elif person_shaped(name):
            verdicts[name] = False
        else:
            verdicts[name] = False
            ask.append(name)
    if ask:
        texts = [*ask, *(CONTEXT.format(n) for n in ask)]
        docs = list(nlp.pipe(texts, batch_size=256))
        for name, alone, in_context in zip(ask, docs[: len(ask)], docs[len(ask) :], strict=True):
            verdicts[name] = _one_org(name, alone) and not any(
                e.label_ == "PERSON" for doc in (alone, in_context) for e in doc.ents
            )
    return verdicts


def _one_org(name: str, doc: Any) -> bool:
    """Whether NER found one organisation in ``doc`` that spans all of ``name``."""
    orgs = [e for e in doc.ents if e.label_ == "ORG"]
    return len(orgs) == 1 and orgs[0].text.strip(" .,") == name.strip(" .,")


def allow_form(name: str) -> str:
    """An account as it goes on the allow list: every word capitalised, so the allow list does
    not take a person's name from "Maria Gonzalez photography" as it takes "Okta" from "Okta
    login" (:func:`~.redact_words.allow_terms`); the allow list ignores case."""
    return re.sub(r"(?<!\S)[^\W\d_]", lambda m: m.group(0).upper(), name)


def pseudonym(account: str) -> str:
    """How an account that is not a company is shown outside ``items``: ``account:`` and the
    first 12 hex digits of the SHA-256 of the stripped name (the same name, the same pseudonym,
    in every run and store).

    Examples:
        >>> pseudonym("Maria Gonzalez")
        'account:a04d4a0f8cbf'
    """
    digest = hashlib.sha256(account.strip().encode("utf-8", errors="surrogatepass"))
    return f"account:{digest.hexdigest()[:12]}"
