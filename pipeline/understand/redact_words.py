"""The word lists person-name redaction checks against: the allow list and the lexicon.

* :func:`allow_terms` and :func:`allow_list_pattern`: names that are never persons (gazetteer,
  accounts), with the vendor names inside product phrases ("Okta login" allows "Okta"), as one
  whole-word pattern;
* :func:`lexicon`: the English words of the installed spaCy model's rule lemmatizer (WordNet),
  which tell a common verb, adjective or adverb ("Mark", "Will") from a noun;
* :func:`census_names`: the given names and surnames of the US Census Bureau's 1990 name
  frequency lists (public domain), as shipped by the ``names`` package.
* :func:`everyday_word`: whether a word is frequent in English text (``wordfreq``'s Zipf
  frequency): WordNet lists many surnames and given names ("Chen", "Dubois", "Freya"), which
  are rare as words, next to the everyday words a name pair must not be made of ("Irving
  Place", "Grant Park").

:mod:`.redact_names` re-exports them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Any


def lexicon(nlp: Any) -> dict[str, str]:
    """English words the pipeline's rule lemmatizer knows (its ``lemma_index``, WordNet).

    A word maps to ``"common"`` when it is a verb, adjective or adverb, else to ``"noun"``:
    WordNet lists many first and last names as nouns ("Lucas", "Dana"), few as verbs
    ("Will", "Mark"). Empty when the pipeline has no such table.
    """
    if "lemmatizer" not in nlp.pipe_names:
        return {}
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups", None)
    if lookups is None or not lookups.has_table("lemma_index"):
        return {}
    index = lookups.get_table("lemma_index")
    words = dict.fromkeys(index.get("noun", ()), "noun")
    for pos in ("verb", "adj", "adv"):
        words.update(dict.fromkeys(index.get(pos, ()), "common"))
    return words


@lru_cache(maxsize=1)
def census_names() -> tuple[frozenset[str], frozenset[str]]:
    """``(given names, surnames)``, lower-case, from the US Census Bureau's 1990 lists (5,494
    given names, 88,799 surnames) in the ``names`` package; empty sets where it is missing."""
    try:
        folder = resources.files("names")
        given = set()
        for name in ("dist.male.first", "dist.female.first"):
            given.update(_first_words(folder.joinpath(name).read_text(encoding="utf-8")))
        surnames = _first_words(folder.joinpath("dist.all.last").read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return frozenset(), frozenset()
    return frozenset(given), frozenset(surnames)


def _first_words(text: str) -> set[str]:
    return {line.split()[0].lower() for line in text.splitlines() if line.strip()}


def allow_terms(allow_list: Iterable[str]) -> list[str]:
    """The allow list, plus the product names inside entries like "Salesforce integration".

    A run of capitalised words followed by lower-case ones ("Okta login", "Slack alerts",
    "BigQuery connector") names a product by its vendor, which is a product name alone too.
    All-capitalised entries ("Acme Logistics") are not split: a customer's name can hold a
    person's ("Morgan Stanley").
    """
    terms = {a.strip() for a in allow_list if a and a.strip()}
    for term in list(terms):
        words = term.split()
        n = 0
        while n < len(words) and not words[n][0].islower():
            n += 1
        if 0 < n < len(words) and all(w[0].islower() for w in words[n:]):
            terms.add(" ".join(words[:n]))
    return sorted(terms, key=len, reverse=True)


def allow_list_pattern(allow_list: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for the allow list (longest names first)."""
    terms = allow_terms(allow_list)
    if not terms:
        return None
    return re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(t) for t in terms) + r")(?!\w)", re.IGNORECASE
    )


#: The Zipf frequency (``wordfreq``: log10 of a word's occurrences per billion words; 4 is ten
#: per million) from which a word is everyday English: "place" 5.7, "park" 5.2, "garden" 4.8,
#: "rose" 4.8; given names and surnames are mostly rarer ("chen" 4.0, "dubois" 3.2, "freya"
#: 2.9, "osei" 2.1), the commonest US ones not ("john" 5.4, "kelly" 4.4).
EVERYDAY_ZIPF = 4.0


@lru_cache(maxsize=65536)
def everyday_word(word: str) -> bool:
    """Whether ``word`` (any case) is at least :data:`EVERYDAY_ZIPF` frequent in English text
    (``wordfreq``'s lists; without them every word counts as everyday)."""
    try:
        from wordfreq import zipf_frequency
    except ModuleNotFoundError:
        return True
    return bool(zipf_frequency(word.lower(), "en") >= EVERYDAY_ZIPF)
