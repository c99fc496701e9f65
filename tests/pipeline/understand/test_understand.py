"""The understand stage: units redacted, tagged, embedded, and kept current incrementally."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silobridge.errors import StoreError
from silobridge.pipeline.embed import Embedder, EmbeddingCache
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.store import Store
from silobridge.pipeline.understand import (
    UnderstandStage,
    analyze_texts,
    map_entities,
    merge_spans,
    run_understand,
)
from silobridge.pipeline.understand.entities import Entity
from silobridge.pipeline.understand.redact import RedactedSpan

from ...conftest import FIXTURES, TAXONOMY, fixture_case, make_source

ITEMS = pd.DataFrame(
    {
        "item_id": ["call-1", "ticket-1", "ticket-2"],
        "source_name": ["gong", "zendesk", "zendesk"],
        "account": ["Acme Logistics", "Acme Logistics", "Globex"],
        "text": [
            "Hi Nadia, thanks for joining.\n"
            "Nadia Petrov here. We are also looking at Datawize, their dashbaord is faster.\n"
            "Nadia mentioned the CSV export times out for Acme Logistics.",
            "The SSO setup failed again. Call me on +44 20 7946 0958 or mail "
            "rose.tyler@globex.example about it.\n\nBest regards,\nRose Tyler",
            "The SSO setup failed again.",
        ],
        "parts": [
            [
                {"speaker": "Tom Baker", "role": "internal", "timestamp": None,
                 "text": "Hi Nadia, thanks for joining."},
                {"speaker": "Nadia Petrov", "role": "customer", "timestamp": None,
                 "text": "Nadia Petrov here. We are also looking at Datawize, their dashbaord "
                 "is faster."},
                {"speaker": "Tom Baker", "role": "internal", "timestamp": None,
                 "text": "Nadia mentioned the CSV export times out for Acme Logistics."},
            ],
            None,
            None,
        ],
    }
)  # fmt: skip
PERSONAL = ("Nadia", "Petrov", "Tom Baker", "Rose", "Tyler", "7946", "rose.tyler", "globex.example")


@pytest.fixture(scope="module")
def stage(embedder) -> UnderstandStage:
    return UnderstandStage(taxonomy=TAXONOMY, embedder=embedder)


@pytest.fixture(scope="module")
def result(stage):
    return stage.run(ITEMS)


def test_understand_units_hold_no_personal_data(result):
    texts = "\n".join(result.units["text"])
    for value in PERSONAL:
        assert value not in texts
    assert "<PERSON>" in texts and "<PHONE>" in texts and "<EMAIL>" in texts
    # speaker names are never stored, only a pseudonymous key
    assert "speaker" not in result.units.columns
    call = result.units[result.units["item_id"] == "call-1"]
    keys = call.groupby("role")["speaker_key"].agg(set)
    assert len(keys["customer"]) == len(keys["internal"]) == 1
    assert keys["customer"] != keys["internal"]


def test_understand_company_product_and_account_names_survive(result):
    texts = "\n".join(result.units["text"])
    assert "Datawize" in texts and "Acme Logistics" in texts and "CSV export" in texts


def test_understand_name_found_once_is_redacted_in_every_unit_of_the_item(result):
    # "Nadia" opening a sentence in the third turn is a repeat of "Nadia Petrov"
    third = result.units[result.units["part_index"] == 2]["text"].tolist()
    assert third == ["<PERSON> mentioned the CSV export times out for Acme Logistics."]


def test_understand_entities_point_into_the_redacted_text(result):
    seen = set()
    for text, entities in zip(result.units["text"], result.units["entities"], strict=True):
        for e in entities:
            assert text[e["start"] : e["end"]] == e["text"]
            seen.add((e["type"], e["id"]))
    assert {("competitor", "datawise"), ("feature", "dashboards"), ("feature", "sso_saml")} <= seen


def test_understand_units_keep_item_ids_in_order_and_boilerplate_goes(result):
    units = result.units
    assert set(units["item_id"]) == set(ITEMS["item_id"])
    for _, group in units.groupby("item_id"):
        assert group["position"].tolist() == list(range(len(group)))
        assert group["start"].is_monotonic_increasing
    assert "greeting" in set(result.dropped["rule"])
    assert "signature" in set(result.dropped["rule"]) or "sign_off" in set(result.dropped["rule"])
    assert not any("Best regards" in t for t in units["text"])


def test_understand_vectors_align_with_units_and_repeat_texts_share_one(result):
    assert result.vectors.shape == (len(result.units), 384)
    np.testing.assert_allclose(np.linalg.norm(result.vectors, axis=1), 1.0, rtol=1e-5)
    same = result.units.index[result.units["text"] == "The SSO setup failed again."]
    assert len(same) == 2
    np.testing.assert_array_equal(result.vectors[same[0]], result.vectors[same[1]])
    assert result.units.loc[same[0], "embedding_key"] == result.units.loc[same[1], "embedding_key"]
    assert result.stats["distinct_texts"] < result.stats["units"]


def test_understand_is_deterministic(stage, result):
    again = stage.run(ITEMS)
    pd.testing.assert_frame_equal(again.units, result.units)


def test_understand_logs_no_personal_data(stage, caplog):
    with caplog.at_level(logging.DEBUG):
        stage.run(ITEMS.iloc[1:2])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for value in PERSONAL:
        assert value not in logged


def test_merge_spans_and_map_entities_move_offsets_past_placeholders():
    text = "Mail rose@x.example, Datawise is cheaper"
    red = merge_spans(text, [RedactedSpan(5, 19, "EMAIL")])
    assert red.text == "Mail <EMAIL>, Datawise is cheaper"
    [moved] = map_entities([Entity("competitor", "datawise", "Datawise", 21, 29)], red.spans)
    assert red.text[moved.start : moved.end] == "Datawise"
    # an entity inside a redacted span is dropped
    assert map_entities([Entity("candidate_competitor", "x", "x", 10, 12)], red.spans) == []


def test_understand_parsing_only_texts_that_can_name_someone_changes_nothing(stage):
    """The gate that spares most texts the parser and NER gives the output of parsing all."""
    cases = [
        json.loads(line)["text"]
        for line in (FIXTURES / "redaction_cases.jsonl").read_text().splitlines()
        if line.strip()
    ]
    texts = [*cases, *ITEMS["text"], "Thanks,\nWill", "Will the export work?", "Oh, Mark said no."]
    redactor, tagger = stage._nlp_tools(["Acme Logistics"])
    gated = analyze_texts(texts, redactor=redactor, tagger=tagger, gate=True)
    full = analyze_texts(texts, redactor=redactor, tagger=tagger, gate=False)
    assert gated[0] == full[0]
    assert gated[1] == full[1]


def test_may_name_someone_lets_plain_sentences_skip_the_parse(stage):
    from silobridge.pipeline.understand.redact_names import lexicon, may_name_someone

    redactor, _ = stage._nlp_tools([])
    nlp = redactor.pipeline
    words = lexicon(nlp)

    def check(text: str) -> bool:
        return may_name_someone(nlp.make_doc(text), [], words)

    assert not check("The export is slow since the update.")
    assert not check("Escalated to engineering as LUM-8915 on Tuesday.")
    assert check("Nadia says the export is slow.")
    assert check("The export is slow, says Nadia.")
    assert check("Thanks,\nWill")
    assert check("ping @nadia.petrov")


# ------------------------------------------------------------------------------ the store


def _ingest(store: Path, version: str = "path") -> None:
    sources = [make_source(c, fixture_case(c)[version]) for c in ("gong", "zendesk")]
    run_ingest(store, sources)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    _ingest(path)
    return path


def test_update_units_writes_units_and_a_rerun_does_nothing(store, embedder):
    first = run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    assert first.items_processed == first.items_total > 0
    assert first.units_written == first.units_total > 0
    units = Store.open(store).units()
    assert units["unit_id"].is_unique
    assert Store.open(store).last_run().data["kind"] == "understand"

    again = run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    assert (again.items_processed, again.units_written, again.units_removed) == (0, 0, 0)
    assert again.units_total == first.units_total
    assert again.stats.get("encoded", 0) == 0


def test_update_units_replaces_only_the_units_of_changed_items(store, embedder):
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    before = Store.open(store).units()
    _ingest(store, "path_v2")  # v2 changes one call and one ticket, and adds some
    items = Store.open(store).items(columns=["item_id", "native_id", "record_hash"])
    after_run = run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    assert 0 < after_run.items_processed < after_run.items_total
    after = Store.open(store).units()
    assert after["unit_id"].is_unique
    changed = {
        items.set_index("native_id").loc[fixture_case(c)["changed_native_id"], "item_id"]
        for c in ("gong", "zendesk")
    }
    untouched = before[~before["item_id"].isin(changed)]
    kept = after.set_index("unit_id").loc[untouched["unit_id"]]
    assert (kept["run_id"] == untouched["run_id"].iloc[0]).all()
    for item_id in changed:
        assert (after[after["item_id"] == item_id]["run_id"] == after_run.run_id).all()
    stored = Store.open(store).read("understood").to_pandas()
    assert len(stored) == len(items) and stored["item_id"].is_unique


def test_update_units_new_model_reembeds_without_resegmenting(store, embedder):
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    other = Embedder(model=embedder.model_path, model_id="test/other-model@1")
    result = run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=other))
    assert result.items_processed == 0
    assert result.units_reembedded == result.units_total > 0
    opened = Store.open(store)
    units = opened.units()
    assert set(units["model_id"]) == {"test/other-model@1"}
    assert opened.vectors(units).shape == (len(units), 384)


def test_update_units_changed_taxonomy_redoes_every_item(store, embedder, tmp_path):
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(
        TAXONOMY.read_text() + "    - {id: routeiq, name: RouteIQ, synonyms: [Route IQ]}\n"
    )
    result = run_understand(store, stage=UnderstandStage(taxonomy=taxonomy, embedder=embedder))
    assert result.items_processed == result.items_total
    assert result.units_removed == result.units_written == result.units_total
    assert result.stats["encoded"] == 0  # same texts, same model: all from the cache


def test_update_units_failed_run_leaves_the_last_run_readable(store, embedder, monkeypatch):
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    before = Store.open(store).units()
    _ingest(store, "path_v2")
    from silobridge.pipeline.store import StoreWriter

    def boom(self, retention_days=30):
        raise StoreError("disk full")

    monkeypatch.setattr(StoreWriter, "vacuum", boom)
    with pytest.raises(StoreError, match="disk full"):
        run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    pd.testing.assert_frame_equal(Store.open(store).units(), before)
    monkeypatch.undo()
    result = run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    assert result.rolled_back and "units" in result.rolled_back
    assert Store.open(store).units()["unit_id"].is_unique


def test_store_vectors_name_the_fix_when_the_cache_lost_them(store, embedder):
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    opened = Store.open(store)
    shutil.rmtree(opened.embeddings_path)
    EmbeddingCache(opened.embeddings_path)
    with pytest.raises(StoreError, match="silobridge understand"):
        opened.vectors(opened.units())
