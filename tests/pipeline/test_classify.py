"""The classify stage: every unit labelled, two themes when it has two, functions by origin."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silobridge.pipeline.classify import ClassifyStage, run_classify
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.store import Store
from silobridge.pipeline.understand import UnderstandStage, run_understand

from ..conftest import TAXONOMY, fixture_case, make_source

TEXTS = [
    "The CSV export times out and we were charged twice on the invoice.",
    "The dashboard takes a minute to load.",
    "Thanks, talk soon.",
    "We love the new dashboards, great work!",
    "Since the update the app crashes every time.",
]


@pytest.fixture(scope="module")
def stage(embedder) -> ClassifyStage:
    return ClassifyStage(
        taxonomy=TAXONOMY, embedder=embedder, configured_functions={"tickets": "Support"}
    )


@pytest.fixture(scope="module")
def labels(stage, embedder) -> pd.DataFrame:
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(len(TEXTS))],
            "item_id": [f"i{i}" for i in range(len(TEXTS))],
            "source_name": ["tickets", "tickets", "slack", "slack", "notes"],
            "function": ["Support", "Support", "Sales", "Product", None],
            "text": TEXTS,
        }
    )
    return stage.run(units, embedder.encode(TEXTS)).labels


def test_classify_a_unit_about_two_themes_gets_both(labels):
    themes = [t["id"] for t in labels.loc[0, "themes"]]
    assert themes[:2] == ["csv_export_failures", "billing_invoice_issues"]
    assert labels.loc[1, "theme"] == "dashboard_performance"


def test_classify_small_talk_is_unassigned_for_discovery(labels):
    assert pd.isna(labels.loc[2, "theme"]) and labels.loc[2, "themes"] == []


def test_classify_insight_type_and_sentiment(labels):
    assert labels.loc[3, "sentiment"] == "positive" and labels.loc[3, "sentiment_score"] > 0
    assert labels.loc[4, "sentiment"] == "negative" and labels.loc[4, "sentiment_score"] < 0
    assert labels.loc[4, "insight_type"] == "bug"
    assert labels.loc[3, "insight_type"] == "praise"


def test_classify_function_says_configured_mapped_or_inferred(labels):
    assert list(labels["function_source"]) == [
        "configured", "configured", "mapped", "mapped", "inferred",
    ]  # fmt: skip
    inferred = labels.loc[4]
    assert inferred["function"] in {"Support", "Sales", "Product"}
    assert 0 < inferred["function_probability"] <= 1
    assert inferred["function_algorithm"] == "function.logreg.v1"


def test_classify_same_input_same_labels(stage, embedder, labels):
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(len(TEXTS))],
            "item_id": [f"i{i}" for i in range(len(TEXTS))],
            "source_name": ["tickets", "tickets", "slack", "slack", "notes"],
            "function": ["Support", "Support", "Sales", "Product", None],
            "text": TEXTS,
        }
    )
    again = stage.run(units, embedder.encode(TEXTS)).labels
    pd.testing.assert_frame_equal(again, labels)


def test_update_labels_labels_every_unit_of_the_store(tmp_path: Path, embedder):
    store = tmp_path / "store"
    run_ingest(store, [make_source("zendesk", fixture_case("zendesk")["path"])])
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    result = run_classify(store, stage=ClassifyStage(taxonomy=TAXONOMY, embedder=embedder))
    opened = Store.open(store)
    stored = opened.read("classified").to_pandas()
    units = opened.units(columns=["unit_id"])
    assert sorted(stored["unit_id"]) == sorted(units["unit_id"])
    assert set(stored["theme_algorithm"]) == {"theme.zero_shot.v1"}
    assert stored["taxonomy_hash"].nunique() == 1
    assert opened.last_run().data["kind"] == "classify"
    assert result.stats["units"] == len(units)
    assert np.isfinite(stored["sentiment_score"]).all()


def test_label_import_checks_redacts_and_makes_themes_few_shot(tmp_path: Path, embedder):
    from silobridge.errors import ConfigError
    from silobridge.pipeline.classify import import_theme_labels
    from silobridge.pipeline.store.labels import theme_labels
    from silobridge.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(TAXONOMY)
    bad = tmp_path / "bad.csv"
    bad.write_text("text,theme\nExports fail,csv_export_failure\n")
    with pytest.raises(ConfigError, match=r"bad.csv: line 2: 'csv_export_failure' is not a theme"):
        import_theme_labels(tmp_path / "store", bad, taxonomy=taxonomy)
    good = tmp_path / "good.csv"
    good.write_text(
        "text,theme\n"
        '"Hi Nadia, the export to Excel is blank",csv_export_failures\n'
        "Reports download as empty files,csv_export_failures\n"
        "We got billed for seats we removed,billing_invoice_issues\n"
    )
    assert import_theme_labels(tmp_path / "store", good, taxonomy=taxonomy)["added"] == 3
    assert import_theme_labels(tmp_path / "store", good, taxonomy=taxonomy)["added"] == 0
    stored = theme_labels(tmp_path / "store")
    assert not stored["text"].str.contains("Nadia").any()
    stage = ClassifyStage(taxonomy=taxonomy, embedder=embedder, theme_examples=stored)
    units = pd.DataFrame(
        {"unit_id": ["u"], "item_id": ["i"], "source_name": ["s"], "function": ["Support"],
         "text": ["The Excel download is empty again."]}
    )  # fmt: skip
    labels = stage.run(units, embedder.encode(units["text"].tolist())).labels
    assert labels.loc[0, "theme"] == "csv_export_failures"
    assert labels.loc[0, "theme_algorithm"] == "theme.few_shot.v1"
