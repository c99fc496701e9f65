"""Evidence that a person found by spaCy's NER is a person: a capitalised word is not enough.

The small English model tags as PERSON most capitalised words it does not know: products and
companies ("I'd tried Evernote", "I informed Santander"), dishes ("Serving things like Chicken
Kiev"), places ("Gardena, California"), words of a title-cased headline ("Great App") and the
masks of pre-redacted exports ("XXXX"). On 4,800 units of real reviews, complaints and chats
(``benchmarks/eval_redaction_real.py``) about a third of its PERSON spans named no one.

So an NER person is kept only where something besides its capital letter says it is a name
(:func:`name_evidence`):

* **its words**: two or more name-like words of which at least one is in no English dictionary
  ("Nadia Petrov", "Tom Valenti's"); or exactly two, a given name and a surname of the US
  Census lists (:func:`.redact_words.census_names`: "Daniel Morales", "Leon Dalton"), the
  surname not a verb, adjective or adverb ("Bill Pay", "Irving Place" are not) and not a
  possessive ("Peter Luger's" is a restaurant as often as a man); a lone word ("Evernote") or
  another run of dictionary words ("Soy Milk") is not enough alone;
* **a title** before it: "Dr. Morgan", "Mr Williamson";
* **an introduction**: "my name is Angela", "I'm Ben", "this is Sam Holly", "named Chris";
* **a person noun** it is joined to: "my daughter Angela", "Our server, Ben,", "the owners Scott
  Heather", "Nikhil Hartley (Analytics Lead)", "Elif is Analytics Lead", "my driver is not Dave";
* **a personal pronoun** after it: "Ben just texted me and I think he's ...", "Charlie. I had him
  for 15 years";
* **a communication or helping verb** it is the subject of: "Ben texted", "Ana replied",
  "Wei fixed our issue";

and the name cues of :mod:`.redact_names` (greetings, sign-offs, headers, mentions...) are
evidence too. A name that has evidence once in a text is found again wherever it is repeated
there (:func:`.redact_names._repeats`).

The dictionary is the rule lemmatizer's WordNet index (:func:`.redact_words.lexicon`); the word
lists below are closed grammatical classes (titles, pronouns) and the common nouns for kin and
roles, not names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .redact_words import census_names, everyday_word

#: Honorifics written before a name.
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "doctor", "prof", "professor", "sir", "dame"}
)
#: Nouns for people by kin or role: a name joined to one names a person.
PERSON_NOUNS = frozenset((
    "mother", "father", "mom", "mum", "dad", "parent", "son", "daughter", "wife", "husband",
    "spouse", "brother", "sister", "sibling", "friend", "buddy", "pal", "partner", "boyfriend",
    "girlfriend", "fiance", "fiancé", "fiancee", "fiancée", "grandma", "grandpa", "grandmother",
    "grandfather", "granddaughter", "grandson", "aunt", "uncle", "cousin", "niece", "nephew",
    "child", "kid", "baby", "dependant", "dependent", "boss", "colleague", "coworker",
    "co-worker", "neighbor", "neighbour", "roommate", "owner", "manager", "server", "waiter",
    "waitress", "bartender", "host", "hostess", "chef", "cook", "driver", "doctor", "dentist",
    "nurse", "agent", "rep", "representative", "assistant", "technician", "engineer", "analyst",
    "administrator", "admin", "director", "lead", "head", "officer", "president", "ceo", "cto",
    "cfo", "coo", "cio", "vp", "founder", "customer", "client", "guy", "man", "woman", "lady",
    "gentleman", "girl", "boy", "person", "teacher", "lawyer", "attorney", "consultant",
    "specialist", "advisor", "adviser", "employee", "supervisor", "student", "member", "contact",
    "champion", "sponsor", "buyer", "developer", "designer", "architect", "scientist",
    "accountant", "controller", "coordinator", "executive", "recruiter",
))  # fmt: skip
#: Personal pronouns that refer to a person (not "it", "they").
PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers", "himself", "herself"})
#: Lemmas of verbs whose subject is a person: reporting, communicating, helping.
PERSON_VERBS = frozenset(
    {"say", "ask", "mention", "tell", "report", "write", "note", "complain", "text", "email",
     "reply", "respond", "message", "greet", "promise", "explain", "answer", "confirm",
     "fix", "help", "solve", "resolve", "sort"}
)  # fmt: skip
#: Words before a name that introduce it: "I'm Ben", "named Chris", "last name Martin".
_INTRO = frozenset({"'m", "’m", "m", "am", "im", "named", "name", "names", "surname", "nickname"})
#: "name is X", "this is X", "it's X": a copula after one of these.
_INTRO_SUBJECTS = frozenset({"name", "names", "surname", "this", "it", "name's"})
_COPULA = frozenset({"is", "'s", "’s", "was"})


def dictionary_word(word: str, lexicon: Mapping[str, str]) -> bool:
    """Whether a word (any case), its singular or its form without ``'s`` is an English word."""
    w = word.lower().removesuffix("'s").removesuffix("’s")
    forms = [w]
    if w.endswith("es"):
        forms.append(w[:-2])
    if w.endswith("s"):
        forms.append(w[:-1])
    return any(f in lexicon for f in forms if len(f) > 1)


def name_evidence(tokens: Sequence[Any], lexicon: Mapping[str, str], name_like: Any) -> bool:
    """Whether more than its capital letters says an NER person (its tokens) is a person.

    Args:
        tokens: The entity's tokens (one line of it), from a tagged and parsed doc.
        lexicon: English words (:func:`.redact_words.lexicon`).
        name_like: The test of a name-like word (:func:`.redact_names._name_like`).
    """
    words = [t for t in tokens if name_like(t)]
    if not words:
        return False  # "XXXX", all-capital or lower-case words
    proper = all(t.pos_ == "PROPN" for t in words)
    if len(words) >= 2 and proper and not all(dictionary_word(t.text, lexicon) for t in words):
        return True
    if len(words) == 2 and proper and census_name(words[0], words[1], lexicon):
        return True
    return _person_context(tokens)


def common_word(word: str, lexicon: Mapping[str, str]) -> bool:
    """An English dictionary word that is also frequent (:func:`.redact_words.everyday_word`):
    "Place", "Park", not "Chen" or "Freya", which WordNet lists too."""
    return dictionary_word(word, lexicon) and everyday_word(word)


def census_name(
    first: Any, last: Any, lexicon: Mapping[str, str], *, one_side: bool = False
) -> bool:
    """Two tokens that read as a given name then a surname of the census lists: the surname
    no verb, adjective or adverb ("Bill Pay"), and not possessive ("Peter Luger's").

    With ``one_side``, one of them in its census list is enough when the other is in no
    English dictionary (a rare word is not enough: "Vine Street", "Crystal Ballroom"): the
    1990 lists know few given names from outside the US ("Emeka Patel", "Aarav Nakamura")
    and few surnames from some countries ("Nadia Sokolov").
    """
    given, surnames = census_names()
    is_given, is_surname = first.lower_ in given, last.lower_ in surnames
    if not (is_given and is_surname):
        if not one_side:
            return False
        if not (
            (is_given and not dictionary_word(last.text, lexicon))
            or (is_surname and not dictionary_word(first.text, lexicon))
        ):
            return False
    if lexicon.get(last.lower_) == "common":
        return False
    after = last.doc[last.i + 1] if last.i + 1 < len(last.doc) else None
    return not (after is not None and after.lower_ in ("'s", "’s", "'"))


def _before(tokens: Sequence[Any], skip: frozenset[str] = frozenset()) -> list[Any]:
    """Up to three tokens before the entity on its line, nearest first, ``skip`` left out."""
    doc = tokens[0].doc
    out: list[Any] = []
    i = tokens[0].i - 1
    while i >= 0 and len(out) < 3:
        tok = doc[i]
        if "\n" in tok.text:
            break
        if not tok.is_space and tok.text not in skip:
            out.append(tok)
        i -= 1
    return out


def _person_context(tokens: Sequence[Any]) -> bool:
    """A title, an introduction, a person noun, a pronoun after or a person's verb."""
    doc = tokens[0].doc
    before = _before(tokens, skip=frozenset({"."}))
    if before and before[0].lower_.rstrip(".") in TITLES:
        return True
    if before and before[0].lower_ in _INTRO:
        return True
    if len(before) > 1 and before[0].lower_ in _COPULA and before[1].lower_ in _INTRO_SUBJECTS:
        return True
    # a person noun right before: "my daughter Angela", "Our server, Ben", "owner Don"
    near = _before(tokens, skip=frozenset({",", "(", "-", "–", "—", ":"}))
    if near and near[0].lower_ in PERSON_NOUNS and near[0].pos_ in ("NOUN", "PROPN"):
        return True
    # a role in brackets after it: "Naomi Yamamoto (BI Engineer)"
    end = tokens[-1].i + 1
    if end < len(doc) and doc[end].text == "(":
        inside = []
        for tok in doc[end + 1 : end + 8]:
            if tok.text == ")":
                break
            inside.append(tok)
        if any(_person_noun(t) for t in inside):
            return True
    span = {t.i for t in tokens}
    for tok in tokens:
        # apposition or copula with a person noun: "Nikhil Hartley (Analytics Lead)",
        # "Elif is Analytics Lead"
        if any(_person_noun(c) for c in tok.children if c.dep_ == "appos" and c.i not in span):
            return True
        if tok.dep_ == "appos" and tok.head.i not in span and _person_noun(tok.head):
            return True
        if tok.dep_ in ("nsubj", "nsubjpass") and tok.head.i not in span:
            head = tok.head
            if head.lemma_ in PERSON_VERBS:
                return True
            if head.lemma_ == "be" and any(
                _person_noun(c) for c in head.children if c.dep_ in ("attr", "acomp")
            ):
                return True
        # "my driver is not Dave"
        if (
            tok.dep_ == "attr"
            and tok.head.lemma_ == "be"
            and any(_person_noun(c) for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass"))
        ):
            return True
    return any(t.lower_ in PRONOUNS for t in doc[end : end + 40])


def _person_noun(tok: Any) -> bool:
    """A person noun, or a phrase ending in one ("Analytics Lead", "IT Administrator")."""
    return tok.lower_ in PERSON_NOUNS or tok.lemma_.lower() in PERSON_NOUNS
