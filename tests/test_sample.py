"""The bundled sample: reproducible from its generator, ingestible, and true to its ground truth."""

from __future__ import annotations

import filecmp
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import silobridge
from silobridge.config import load_config
from silobridge.pipeline.ingest import run_ingest

from .conftest import ROOT, SAMPLE

TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text())


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    store = tmp_path_factory.mktemp("sample") / "store"
    config = load_config(SAMPLE / "silobridge.sample.toml")
    run_ingest(store, list(config.sources.values()))
    return store


def test_sample_is_exactly_what_its_generator_writes(tmp_path: Path):
    subprocess.run(
        [sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path), "--seed", "7"],
        check=True,
        capture_output=True,
    )
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written, "the generator wrote nothing"
    for rel in written:
        assert filecmp.cmp(tmp_path / rel, SAMPLE / rel, shallow=False), f"{rel} differs"


def test_sample_counts_match_the_ground_truth(sample_store: Path):
    store = silobridge.open_store(sample_store)
    items, quarantine = store.items(), store.quarantine()
    stored = items["source_name"].value_counts().to_dict()
    bad = quarantine["source_name"].value_counts().to_dict()
    # a record with no text is skipped with its reason, not quarantined (nothing is wrong with it)
    no_text = Counter(b["source"] for b in TRUTH["bad_records"] if b["kind"] == "empty_text")
    assert no_text, "the sample plants responses without text"
    for source, counts in TRUTH["counts"].items():
        expected = counts.get("thread_records", counts["good"])
        assert stored.get(source, 0) == expected, source
        assert bad.get(source, 0) == counts["bad"] - no_text[source], source
    assert 1500 <= len(items) <= 3000
    assert len(quarantine) == len(TRUTH["bad_records"]) - sum(no_text.values())


def test_sample_covers_every_function_channel_and_three_months(sample_store: Path):
    items = silobridge.open_store(sample_store).items()
    assert set(items["function"].dropna()) == {
        "Product",
        "Marketing",
        "Sales",
        "Success",
        "Support",
    }
    assert items["function"].notna().all()
    assert set(items["channel"]) >= {
        "ticket",
        "call",
        "chat",
        "survey",
        "note",
        "message",
        "review",
    }
    span = items["created_at"].max() - items["created_at"].min()
    assert 80 <= span.days <= 100


def test_sample_texts_are_varied(sample_store: Path):
    texts = silobridge.open_store(sample_store).items()["text"]
    assert texts.nunique() / len(texts) >= 0.8


def test_sample_plants_blind_spots_a_spike_and_personal_data(sample_store: Path):
    assert len(TRUTH["blind_spots"]) >= 3
    for spot in TRUTH["blind_spots"]:
        assert spot["observed_share"] >= 0.08 and spot["max_share_elsewhere"] <= 0.01, spot["theme"]
    assert TRUTH["spikes"] and all(s["factor_vs_trailing_4w"] >= 4 for s in TRUTH["spikes"])
    items = silobridge.open_store(sample_store).items().set_index(["source_name", "native_id"])
    planted = [
        (p["source"], p["native_id"], v) for p in TRUTH["personal_data"] for v in p["values"]
    ]
    assert len(planted) >= 50
    missing = [
        (s, n, value)
        for s, n, (_, value, where) in planted
        if where == "text" and (s, n) in items.index and value not in items.loc[(s, n), "text"]
    ]
    assert not missing, f"planted personal data not found in item text: {missing[:5]}"


def test_sample_repository_config_is_the_sample_config():
    root = load_config(ROOT / "silobridge.toml")
    sample = load_config(SAMPLE / "silobridge.sample.toml")
    assert {n: s.path for n, s in root.sources.items()} == {
        n: s.path for n, s in sample.sources.items()
    }
