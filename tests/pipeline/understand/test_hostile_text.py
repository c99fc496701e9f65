"""Hostile text in the understand stage: texts over spaCy's limit, and accounts named like people.

A text of 1.5 million characters on one line, or of 5 MB in many paragraphs, must go through
(cut at :data:`~silobridge.pipeline.understand.segment.MAX_ITEM_CHARS`, segmented in pieces,
no unit over :data:`~silobridge.pipeline.understand.segment.MAX_UNIT_CHARS`) and the stats must
say what was cut. An account that is a person ("Maria Gonzalez", a sole trader) must not keep
that person's name out of redaction. The real spaCy, Presidio and MiniLM models run.
"""

from __future__ import annotations

import itertools
import json
import logging
from datetime import UTC, datetime

import pandas as pd
import pytest
import spacy
from silobridge.pipeline.nlp import MAX_NLP_CHARS, cut_point, pieces
from silobridge.pipeline.understand import UnderstandStage
from silobridge.pipeline.understand import segment as segment_mod
from silobridge.pipeline.understand.analyze import process_chunk
from silobridge.pipeline.understand.redact import Redactor
from silobridge.pipeline.understand.redact_accounts import (
    company_accounts,
    organisation_shape,
    person_shaped,
)
from silobridge.pipeline.understand.segment import (
    MAX_ITEM_CHARS,
    MAX_UNIT_CHARS,
    TOO_LONG,
    add_segmenter,
    segment,
)

from ...conftest import SAMPLE, TAXONOMY

#: One line of 1.5 million characters, no punctuation at all.
ONE_LINE = ("the export is slow " * 80_000)[:1_500_000]
#: About 5 MB in paragraphs: a few sentences (one names a person) over and over.
PARAGRAPH = (
    "The CSV export fails every night since the update. Nadia Petrov says the dashboards "
    "are slow to load for the whole team.\n\nWe would pay more for SSO that just works.\n\n"
)
PARAGRAPHS = PARAGRAPH * (5_000_000 // len(PARAGRAPH))


@pytest.fixture(scope="module")
def stage(embedder) -> UnderstandStage:
    return UnderstandStage(taxonomy=TAXONOMY, embedder=embedder)


def _check_units(units: pd.DataFrame) -> None:
    assert len(units)
    assert units["text"].str.len().max() <= MAX_UNIT_CHARS
    assert units["end"].max() <= MAX_ITEM_CHARS
    assert units["position"].tolist() == list(range(len(units)))
    assert units["start"].is_monotonic_increasing


# ------------------------------------------------------------------------------ long texts


def test_a_text_of_one_line_of_1_5_million_characters_is_cut_and_counted(stage, caplog):
    items = pd.DataFrame(
        {"item_id": ["giant-line"], "account": ["Acme Logistics"], "text": [ONE_LINE]}
    )
    with caplog.at_level(logging.WARNING):
        result = stage.run(items)
    _check_units(result.units)
    stats = result.stats
    assert stats["items_cut"] == 1 and stats["items_split"] == 1
    assert len(ONE_LINE) - MAX_ITEM_CHARS <= stats["chars_cut"] < len(ONE_LINE) - MAX_ITEM_CHARS / 2
    assert stats["sentences_split"] >= 1  # one "sentence" of 100,000 characters per piece
    [cut] = result.dropped[result.dropped["rule"] == TOO_LONG].itertuples()
    assert (cut.start, cut.end) == (len(ONE_LINE) - stats["chars_cut"], len(ONE_LINE))
    assert ONE_LINE[cut.start - 1] == " "  # cut at a word boundary
    # the warning names the item, never its text
    warned = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("giant-line" in m and str(MAX_ITEM_CHARS) in m for m in warned)
    assert not any("export is slow" in m for m in warned)
    assert result.vectors.shape == (len(result.units), 384)


def test_a_5_mb_text_in_paragraphs_is_cut_counted_and_redacted(stage):
    """Through :func:`process_chunk`, as ``run_understand`` runs it: the counts reach the
    chunk's stats, which the run manifest and the command's summary show."""
    now = datetime(2026, 12, 1, tzinfo=UTC)
    items = pd.DataFrame(
        {
            "item_id": ["five-mb"],
            "source_name": ["notes"],
            "source": ["notes"],
            "function": ["Sales"],
            "channel": ["note"],
            "account": ["Acme Logistics"],
            "created_at": [now],
            "text": [PARAGRAPHS],
            "record_hash": ["h"],
        }
    )
    chunk = process_chunk(stage, items, version="v", run_id="r", now=now)
    stats = chunk.stats
    assert stats["items_cut"] == 1 and stats["items_split"] == 1
    assert stats["chars_cut"] >= len(PARAGRAPHS) - MAX_ITEM_CHARS
    assert stats["sentences_split"] == 0
    units = chunk.units.to_pandas()
    _check_units(units)
    assert len(units) > 10_000 and stats["distinct_texts"] <= 5
    assert not units["text"].str.contains("Nadia|Petrov").any()
    assert units["text"].str.contains("<PERSON> says", regex=False).any()
    [understood] = chunk.understood.to_pylist()
    assert understood["dropped"][-1]["rule"] == TOO_LONG
    assert understood["dropped"][-1]["end"] == len(PARAGRAPHS)


def test_a_short_text_reports_no_cut(stage):
    result = stage.run(pd.DataFrame({"item_id": ["a"], "text": ["The export fails every night."]}))
    assert {k: result.stats[k] for k in ("items_cut", "chars_cut", "items_split")} == {
        "items_cut": 0,
        "chars_cut": 0,
        "items_split": 0,
    }
    assert TOO_LONG not in set(result.dropped["rule"])


def test_the_cut_falls_in_a_turn_and_drops_the_turns_after_it(monkeypatch):
    """With small limits: the cut turn is shortened, later turns go, one span says so."""
    monkeypatch.setattr(segment_mod, "MAX_ITEM_CHARS", 60)
    monkeypatch.setattr(segment_mod, "MAX_NLP_CHARS", 30)
    parts = [
        {"role": "customer", "text": "The export fails nightly."},
        {"role": "internal", "text": "We are looking into the export right now and report back."},
        {"role": "customer", "text": "Dashboards are slow as well."},
    ]
    text = "\n".join(p["text"] for p in parts)
    items = pd.DataFrame({"item_id": ["t"], "text": [text], "parts": [parts]})
    result = segment(items, nlp=add_segmenter(spacy.blank("en")))
    assert result.limits["items_cut"] == 1
    assert result.limits["chars_cut"] == len(text) - result.dropped["start"].iloc[-1]
    assert result.limits["items_split"] == 1  # turn 1 is longer than 30 characters
    last = result.dropped.iloc[-1]
    assert (last["rule"], last["part_index"], last["end"]) == (TOO_LONG, 1, len(text))
    assert 30 < last["start"] <= 60 and text[last["start"] - 1] == " "
    assert result.units["end"].max() <= last["start"]
    assert set(result.units["part_index"]) == {0, 1}  # turn 1 shortened, turn 2 gone
    for unit in result.units.itertuples():
        assert text[unit.start : unit.end] == unit.text
    assert TOO_LONG in result.stats.index


def test_no_unit_is_longer_than_the_cap_and_short_sentences_join_only_within_it():
    nlp = add_segmenter(spacy.blank("en"), max_unit_chars=60)
    text = "word " * 50 + "\nOk then.\nThe export fails every night since the update."
    result = segment(pd.DataFrame({"item_id": ["t"], "text": [text]}), nlp=nlp)
    assert result.units["text"].str.len().max() <= 60
    assert result.limits["sentences_split"] == 1
    for unit in result.units.itertuples():
        assert text[unit.start : unit.end] == unit.text


def test_pieces_cut_at_paragraphs_then_lines_then_sentences_then_words():
    text = "First paragraph here.\n\nSecond one, a longer paragraph.\nIts second line."
    (s, e), *_ = pieces(text, 40)
    assert text[s:e] == "First paragraph here.\n\n"
    assert cut_point("One two. Three four five six", 0, 14) == len("One two. ")
    assert cut_point("aaaa bbbb cccc dddd", 0, 12) == len("aaaa bbbb ")
    assert cut_point("x" * 50, 0, 20) == 20  # no boundary at all: a hard cut
    spans = pieces(ONE_LINE, MAX_NLP_CHARS)
    assert spans[0][0] == 0 and spans[-1][1] == len(ONE_LINE)
    assert all(e - s <= MAX_NLP_CHARS for s, e in spans)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))


def test_the_redactor_takes_a_text_longer_than_spacy_allows():
    """``silobridge redact`` and imported labels reach the redactor without segmentation."""
    text = "Hi Nadia,\nPlease look at the export.\n" + ONE_LINE + "\nMail nadia@acme.example"
    [red] = Redactor().redact_many([text])
    assert red.text.startswith("Hi <PERSON>,\nPlease look at the export.\n")
    assert red.text.endswith("\nMail <EMAIL>")
    assert [s.type for s in red.spans] == ["PERSON", "EMAIL"]
    assert text[red.spans[-1].start : red.spans[-1].end] == "nadia@acme.example"


# ---------------------------------------------------------------------------- accounts


def test_an_account_named_like_a_person_is_redacted_a_company_account_is_kept(stage):
    items = pd.DataFrame(
        {
            "item_id": ["sole-trader", "company"],
            "account": ["Maria Gonzalez", "Acme Logistics"],
            "text": [
                "Maria Gonzalez asked for a refund of the annual plan.",
                "Acme Logistics renewed the contract for another year.",
            ],
        }
    )
    units = stage.run(items).units.set_index("item_id")["text"]
    assert "Maria" not in units["sole-trader"] and "Gonzalez" not in units["sole-trader"]
    assert units["sole-trader"].startswith("<PERSON>")
    assert units["company"] == "Acme Logistics renewed the contract for another year."


def test_an_account_of_another_item_is_no_allowed_name_either(stage):
    """``run_understand`` gives the stage every account of the store (``accounts``)."""
    stage.accounts = ("Maria Gonzalez", "Acme Logistics")
    try:
        items = pd.DataFrame(
            {
                "item_id": ["t"],
                "account": ["Bluefin Freight"],
                "text": ["Maria Gonzalez from Acme Logistics says the export fails every night."],
            }
        )
        [text] = stage.run(items).units["text"]
    finally:
        stage.accounts = ()
    assert "Maria" not in text and "Gonzalez" not in text
    assert "Acme Logistics" in text


def test_known_orgs_are_companies_whatever_their_shape(embedder):
    stage = UnderstandStage(taxonomy=TAXONOMY, embedder=embedder, known_orgs=["Maria Gonzalez"])
    items = pd.DataFrame(
        {"item_id": ["t"], "text": ["Maria Gonzalez renewed the contract for another year."]}
    )
    [text] = stage.run(items, embed_units=False).units["text"]
    assert text.startswith("Maria Gonzalez")


def test_the_sample_accounts_are_companies_and_people_are_not():
    from silobridge.pipeline.nlp import load_pipeline

    truth = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))
    accounts = [a["name"] for a in truth["gazetteer"]["accounts"]]
    nlp = load_pipeline()
    assert all(company_accounts(accounts, nlp=nlp).values())
    people = ["Maria Gonzalez", "MARIA GONZALEZ", "Nadia Petrov", "Samantha Power", "J. R. Smith",
              "Ludwig van Beethoven", "Lucas Moreau", "Gonzalez", "Maria"]  # fmt: skip
    assert not any(company_accounts(people, nlp=nlp).values())
    companies = ["Maria Gonzalez Consulting", "Acme, Inc.", "Siemens AG", "AT&T", "3M",
                 "Initech", "IBM", "Nimbus Cloudworks", "Zephyr Wind Power"]  # fmt: skip
    assert all(company_accounts(companies, nlp=nlp).values())
    assert company_accounts(["Globex"], nlp=nlp, known=["globex"]) == {"Globex": True}


def test_account_shapes():
    assert organisation_shape("Stonebridge Bank") and organisation_shape("Lumen Learning Co")
    assert not organisation_shape("Samantha Power") and not organisation_shape("Tyra Banks")
    assert person_shaped("Maria Gonzalez") and person_shaped("Maria de la Cruz")
    assert not person_shaped("Initech") and not person_shaped("maria gonzalez")
