"""Person redaction on real-style text: a capitalised word is a name only with evidence.

Sentence openers, products, companies, places, dishes and pre-redacted masks that spaCy's small
NER tags PERSON stay as written; names with a cue, a title, an introduction, a person noun or a
pronoun after them are still redacted (``benchmarks/eval_redaction_real.py`` measures both on
real texts).
"""

from __future__ import annotations

import pytest
from silobridge.pipeline.understand.redact import Redactor
from silobridge.pipeline.understand.redact_evidence import dictionary_word
from silobridge.pipeline.understand.redact_names import lexicon
from silobridge.taxonomy import gazetteer_names, load_gazetteer

from ...conftest import TAXONOMY


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    """The redactor with the allow list the understand stage gives it (bundled taxonomy)."""
    redactor = Redactor(allow_list=gazetteer_names(load_gazetteer(TAXONOMY)), batch_size=16)
    redactor.redact("warm-up")
    return redactor


KEPT = [
    "Crashes after loading application list",
    "Freezes on startup since the last update.",
    "I'd tried Evernote in the past and never stuck with it.",
    "I've always found Dropbox a bit buggy, but it's gotten worse since the update.",
    "I informed Santander of this.",
    "Right now I'm in Gardena, California.",
    "I live at 4568 Granger rd in Hamilton, Kansas.",
    "Serving things like Chicken Kiev with a garlic mashed potato egg roll.",
    "The Sushi was of the highest caliber.",
    "Perfect for any Fashionista!",
    "I do not recognize the following inquiry XXXX XXXX Inquiry from XX/XX/2018.",
    "The agreement with XXXX XXXX was in good standing.",
    "Syncs with iPhone, iPad and Mac immediately.",
    "It is very important to add a landscape sheet orientation and Word Art (basic options).",
    "Hello I would like to make an appointment for today, Saturday",
    # a census given name and surname, but a street, a bank product, a restaurant
    "The outdoor tables overlooking bucolic Irving Place are prime spots.",
    "I researched it and found records showing this was for the Bill Pay service.",
    "The steaks are just as good, with side dishes that make Peter Luger's menu look plain.",
    # a census surname beside a brand, both tagged a product or place
    "Works on my Samsung Galaxy and the Google Drive sync is fine.",
    # a census pair of everyday words; a rare word beside a census name is not enough
    "We walked through Grant Park to the Rose Garden.",
    "The Crystal Ballroom was closed for a private party.",
]


@pytest.mark.parametrize("text", KEPT)
def test_capitalised_words_without_evidence_are_kept(redactor: Redactor, text: str) -> None:
    red = redactor.redact(text)
    assert "<PERSON>" not in red.text, red.text


REDACTED = [
    ("My name is Angela and I need a ride from the airport.", ["Angela"]),
    # a census given name and surname: evidence of its own, with or without the NER
    ("Notes from QBR with Daniel Morales:", ["Daniel Morales"]),
    ("Met Leon Dalton at the booth.", ["Leon Dalton"]),
    ("(said Ivy Osei, Team lead at Evergreen Insurance)", ["Ivy Osei"]),
    ("I need an appointment with Dr. Morgan for today.", ["Morgan"]),
    ("My first name is Sarah, last name Martin, born in November.", ["Sarah", "Martin"]),
    ("I'm Ben. I want my usual ride to the hospital.", ["Ben"]),
    ("Our server, Ben, was perhaps the best waiter I've ever had.", ["Ben"]),
    ("I just realized that my daughter Angela needs a vaccine.", ["Angela"]),
    ("Ben just texted me and I think he's in love with the curry.", ["Ben"]),
    ("Wait, make sure my driver is not Dave.", ["Dave"]),
    ("Discovery notes with Nadia Petrov (CTO): budget cuts.", ["Nadia Petrov"]),
    # one side in the census lists, the other in no dictionary (names from outside the US)
    ("Notes from QBR with Emeka Patel:", ["Emeka Patel"]),
    ("(posted by Anders Ramos)", ["Anders Ramos"]),
    # census names WordNet lists too ("Yamamoto", "Ana"), rare as words; after a capitalised
    # verb opening the sentence
    ("Intro email sent to Ana Yamamoto.", ["Ana Yamamoto"]),
    ("Met Aarav Nakamura at the booth.", ["Aarav Nakamura"]),
    ("I'd like to report on the account named after Mr. Williamson", ["Williamson"]),
    ("Hi Nadia, the export keeps failing.", ["Nadia"]),
    ("Talked to Frank Miller at the booth, Frank wants SSO.", ["Frank Miller", "Frank"]),
]


@pytest.mark.parametrize(("text", "names"), REDACTED)
def test_names_with_evidence_are_redacted(redactor: Redactor, text: str, names: list[str]) -> None:
    red = redactor.redact(text)
    persons = [text[s:e] for s, e, kind in red.spans if kind == "PERSON"]
    for name in names:
        assert any(name in p for p in persons), (name, red.text)
    for name in names:
        assert name not in red.text.replace("<PERSON>", ""), red.text


def test_gate_gives_the_same_redactions(redactor: Redactor) -> None:
    texts = [*KEPT, *(t for t, _ in REDACTED)]
    gated = redactor.redact_many(texts, gate=True)
    full = redactor.redact_many(texts, gate=False)
    assert [r.text for r in gated] == [r.text for r in full]


def test_dictionary_word_reads_plurals_and_possessives(redactor: Redactor) -> None:
    words = lexicon(redactor.pipeline)
    assert dictionary_word("Recipes", words)
    assert dictionary_word("Parmesan's", words)
    assert not dictionary_word("Evernote", words)
    assert not dictionary_word("Petrov", words)
