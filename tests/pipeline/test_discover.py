"""Theme discovery: stable ids across nightly runs and rebuilds, merges, splits, curation."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silobridge.classifiers.cluster import group_themes
from silobridge.errors import ConfigError
from silobridge.pipeline.curate import list_themes, merge_themes, promote_theme, rename_theme
from silobridge.pipeline.discover import DiscoverStage, match_centroids, run_discover
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.store import Store
from silobridge.pipeline.store.schema import DISCOVERED, THEMES
from silobridge.pipeline.understand import UnderstandStage, run_understand
from silobridge.pipeline.voice import customer_voice
from silobridge.taxonomy import load_taxonomy

from ..classifiers.test_cluster import blobs
from ..conftest import TAXONOMY, fixture_case, make_source

WORDS = ["csv export", "saml login", "invoice total", "slow chart", "data residency", "api quota"]


def units_of(truth: np.ndarray, prefix: str = "u") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unit_id": [f"{prefix}{i}" for i in range(len(truth))],
            "item_id": [f"i{i}" for i in range(len(truth))],
            "source_name": "s",
            "text": [f"the {WORDS[t]} problem, case {i}" for i, t in enumerate(truth)],
        }
    )


def empty() -> tuple[pd.DataFrame, pd.DataFrame]:
    return THEMES.empty_table().to_pandas(), DISCOVERED.empty_table().to_pandas()


def first_run(X: np.ndarray, units: pd.DataFrame, stage: DiscoverStage | None = None):
    registry, previous = empty()
    return (stage or DiscoverStage()).run(
        units, X, registry=registry, previous=previous, run_id="r1", model_id="m"
    )


def ids(result) -> pd.Series:
    return result.assignments.set_index("unit_id")["theme_id"]


def test_first_run_names_themes_with_distinct_labels_and_representatives():
    X, truth = blobs(k=6)
    result = first_run(X, units_of(truth))
    themes = result.themes
    assert sorted(themes["theme_id"]) == [f"D000{i}" for i in range(1, 7)]
    assert themes["label"].is_unique
    assert {lab for lab in themes["label"]} == {f"{w} problem" for w in WORDS} or all(
        any(w in lab for w in WORDS) for lab in themes["label"]
    )
    assert all(3 <= len(r) <= 5 for r in themes["representatives"])
    assert set(result.events["event"]) == {"created", "group_created"}
    # two levels: every theme in a group, groups labelled apart from each other and the themes
    groups = result.groups
    assert set(themes["group_id"]) == set(groups["group_id"])
    labels = [*themes["label"], *groups["label"]]
    assert len({x.lower() for x in labels}) == len(labels)


def test_nightly_run_with_5pct_new_units_keeps_every_old_units_theme():
    X, truth = blobs(k=6, per=50)
    units = units_of(truth)
    before = first_run(X, units)
    X_new, truth_new = blobs(k=6, per=3, seed=0)  # 18 new units, 6% more, same themes
    new_units = units_of(truth_new, prefix="n")
    after = DiscoverStage().run(
        pd.concat([units, new_units], ignore_index=True),
        np.vstack([X, X_new]),
        registry=before.themes,
        previous=before.assignments,
        run_id="r2",
        model_id="m",
    )
    assert after.stats["mode"] == "incremental"
    kept = (ids(after).reindex(ids(before).index) == ids(before)).mean()
    assert kept == 1.0
    assert after.stats["new_themes"] == 0
    # the groups keep their ids too
    group_before = before.themes.set_index("theme_id")["group_id"]
    group_after = after.themes.set_index("theme_id")["group_id"]
    assert (group_after.reindex(group_before.index) == group_before).all()
    assert set(after.groups["group_id"]) == set(before.groups["group_id"])
    # the new units join the themes of their old neighbours
    old_theme_of_truth = {t: ids(before)[f"u{np.flatnonzero(truth == t)[0]}"] for t in range(6)}
    assert [ids(after)[f"n{i}"] for i in range(18)] == [old_theme_of_truth[t] for t in truth_new]


def test_themes_fall_into_the_groups_the_data_has():
    rng = np.random.default_rng(3)
    families = rng.normal(size=(4, 384))
    centers = np.repeat(families, 3, axis=0) + 0.45 * rng.normal(size=(12, 384))
    found = group_themes(centers, np.full(12, 20))
    assert len(set(found.tolist())) == 4
    for family in range(4):  # the three themes of a family share a group, no one else's
        assert len(set(found[3 * family : 3 * family + 3].tolist())) == 1
    many = group_themes(rng.normal(size=(90, 384)), np.full(90, 10))
    assert 10 <= len(set(many.tolist())) <= 30


def test_same_data_and_seed_give_identical_ids_and_labels():
    X, truth = blobs(k=5, noise=0.2)
    one, two = first_run(X, units_of(truth)), first_run(X, units_of(truth))
    pd.testing.assert_frame_equal(one.assignments, two.assignments)
    assert one.themes["label"].tolist() == two.themes["label"].tolist()


def test_rebuild_matches_clusters_to_the_themes_they_continue():
    X, truth = blobs(k=6)
    units = units_of(truth)
    before = first_run(X, units)
    # shuffled input and another seed: the clusters come out in another order
    order = np.random.default_rng(1).permutation(len(units))
    rebuilt = DiscoverStage(seed=5).run(
        units.iloc[order].reset_index(drop=True),
        X[order],
        registry=before.themes,
        previous=before.assignments,
        rebuild=True,
        run_id="r2",
        model_id="m",
    )
    assert rebuilt.stats["mode"] == "rebuild"
    assert (ids(rebuilt).reindex(ids(before).index) == ids(before)).all()
    assert rebuilt.stats["new_themes"] == 0


def test_a_theme_whose_units_are_gone_retires_and_its_id_is_never_reused():
    X, truth = blobs(k=4)
    units = units_of(truth)
    before = first_run(X, units)
    gone = ids(before)[units["unit_id"][truth == 3]].iloc[0]
    keep = truth != 3
    X_other, _ = blobs(k=5, seed=42)  # another direction for a new theme
    fresh = X_other[:40]
    fresh_units = units_of(np.full(40, 4), prefix="f")
    after = DiscoverStage().run(
        pd.concat([units[keep], fresh_units], ignore_index=True),
        np.vstack([X[keep], fresh]),
        registry=before.themes,
        previous=before.assignments,
        run_id="r2",
        model_id="m",
    )
    status = after.themes.set_index("theme_id")["status"]
    assert status[gone] == "retired"
    new = set(after.themes["theme_id"]) - set(before.themes["theme_id"])
    assert new and min(new) > max(before.themes["theme_id"])
    assert {"retired", "created"} <= set(after.events["event"])


def test_rebuild_records_a_merge_and_a_split():
    X, truth = blobs(k=3, per=40)
    units = units_of(truth)
    # last run's registry: blob 0 cut in two themes (A, B); blobs 1 and 2 lumped in one (C)
    half = np.flatnonzero(truth == 0)
    previous_theme = np.where(truth == 0, "D0001", "D0003").astype(object)
    previous_theme[half[20:]] = "D0002"
    registry = pd.DataFrame(
        [
            {
                "theme_id": t,
                "label": t,
                "label_source": "auto",
                "terms": [],
                "representatives": [],
                "size": int((previous_theme == t).sum()),
                "status": "active",
                "merged_into": None,
                "split_from": None,
                "promoted_to": None,
                "radius": 0.3,
                "centroid": (X[previous_theme == t].mean(axis=0)).tolist(),
                "model_id": "m",
                "first_run_id": "r0",
                "last_run_id": "r0",
            }
            for t in ("D0001", "D0002", "D0003")
        ]
    )
    previous = pd.DataFrame({"unit_id": units["unit_id"], "theme_id": previous_theme})
    result = DiscoverStage().run(
        units, X, registry=registry, previous=previous, rebuild=True, run_id="r1", model_id="m"
    )
    themes = result.themes.set_index("theme_id")
    events = result.events
    merged = events[events["event"] == "merged"]
    assert len(merged) == 1
    survivor, absorbed = merged.iloc[0]["theme_id"], merged.iloc[0]["other_ids"][0]
    assert {survivor, absorbed} == {"D0001", "D0002"}
    assert themes.loc[absorbed, "status"] == "merged"
    assert themes.loc[absorbed, "merged_into"] == survivor
    split = events[events["event"] == "split"]
    assert len(split) == 1 and split.iloc[0]["theme_id"] == "D0003"
    child = split.iloc[0]["other_ids"][0]
    assert child == "D0004" and themes.loc[child, "split_from"] == "D0003"


def test_match_centroids_is_one_to_one_and_respects_the_threshold():
    a = np.eye(3, 8, dtype=np.float32)
    b = np.vstack([a[2], a[0], np.eye(1, 8, 7)[0]]).astype(np.float32)
    pairs = match_centroids(a, b, 0.9)
    assert sorted((n, o) for n, o, _ in pairs) == [(0, 1), (2, 0)]


@pytest.fixture(scope="module")
def understood_store(tmp_path_factory, embedder) -> Path:
    store = tmp_path_factory.mktemp("discover") / "store"
    sources = [
        make_source(name, fixture_case(name)["path"], **fixture_case(name)["options"])
        for name in ("zendesk", "intercom", "slack", "gong", "typeform", "surveymonkey",
                     "qualtrics", "notes", "csv", "jsonl")
    ]  # fmt: skip
    run_ingest(store, sources)
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    return store


def test_update_themes_on_a_store_then_rename_merge_promote(understood_store, tmp_path):
    store = tmp_path / "store"
    shutil.copytree(understood_store, store)
    stage = DiscoverStage(min_size=2)
    result = run_discover(store, stage=stage)
    opened = Store.open(store)
    units = opened.units(
        columns=["unit_id", "role", "channel", "text", "source_name", "item_id", "voice",
                 "substance", "function"]
    )  # fmt: skip
    discovered = opened.read("discovered").to_pandas()
    # no taxonomy labels: every unit of customer voice with substance; the agents' turns in
    # tickets and chats, bots and small talk left out
    voice = customer_voice(units)
    assert sorted(discovered["unit_id"]) == sorted(units.loc[voice, "unit_id"])
    agents = units["role"].eq("internal") & units["channel"].isin(["ticket", "chat"])
    assert agents.any() and not voice[agents].any()
    assert set(units.loc[voice, "voice"]) <= {"customer", "relayed"}
    assert result.stats["scope"].startswith("all units")
    themes = list_themes(store)
    assert len(themes) >= 2 and themes["label"].is_unique
    assert opened.last_run().data["kind"] == "discover"
    again = run_discover(store, stage=stage)
    assert again.stats["mode"] == "incremental"
    assert again.assignments.set_index("unit_id")["theme_id"].equals(
        result.assignments.set_index("unit_id")["theme_id"]
    )

    first, second = themes["theme_id"][:2]
    rename_theme(store, first, "Invoice questions")
    with pytest.raises(ConfigError, match="labelled"):
        rename_theme(store, second, "invoice questions")
    after = run_discover(store, stage=stage, rebuild=True)
    assert after.themes.set_index("theme_id").loc[first, "label"] == "Invoice questions"

    merge_themes(store, [first, second], into=first)
    registry = list_themes(store, all_themes=True).set_index("theme_id")
    assert registry.loc[second, "status"] == "merged"
    assert registry.loc[second, "merged_into"] == first
    moved = Store.open(store).read("discovered").to_pandas()
    assert second not in set(moved["theme_id"].dropna())

    taxonomy = tmp_path / "taxonomy.yaml"
    shutil.copy(TAXONOMY, taxonomy)
    added, _ = promote_theme(
        store, first, taxonomy=taxonomy, parent="product_capabilities", new_id="invoice_q"
    )
    reloaded = load_taxonomy(taxonomy)
    assert reloaded.theme("invoice_q").parent == "product_capabilities"
    assert reloaded.theme("invoice_q").examples == added.examples and added.examples
    assert TAXONOMY.read_text().splitlines()[0] == taxonomy.read_text().splitlines()[0]
    registry = list_themes(store, all_themes=True).set_index("theme_id")
    assert registry.loc[first, "status"] == "promoted"
    assert registry.loc[first, "promoted_to"] == "invoice_q"
    events = Store.open(store).read("theme_events").to_pandas()
    assert {"created", "renamed", "merged", "promoted"} <= set(events["event"])


def test_the_order_of_the_units_changes_nothing():
    X, truth = blobs(k=5, noise=0.2, seed=3)
    units = units_of(truth)
    order = np.random.default_rng(7).permutation(len(units))
    one = first_run(X, units)
    two = first_run(X[order], units.iloc[order].reset_index(drop=True))
    pd.testing.assert_series_equal(ids(one).sort_index(), ids(two).sort_index())
    assert one.themes["label"].tolist() == two.themes["label"].tolist()


def test_labels_come_from_the_units_model_and_a_nightly_run_loads_no_model(
    understood_store, tmp_path
):
    from silobridge.pipeline.embed import Embedder

    store = tmp_path / "store"
    shutil.copytree(understood_store, store)
    first = run_discover(store, stage=DiscoverStage(min_size=2, embedder=Embedder()))
    assert first.stats["themes"] > 0 and first.stats["groups"] > 0
    fresh = Embedder()  # not loaded: the label candidates' vectors are in the store's cache
    again = run_discover(store, stage=DiscoverStage(min_size=2, embedder=fresh))
    assert not fresh.is_loaded

    def labels(frame, key):
        return dict(zip(frame[key], frame["label"], strict=True))

    assert labels(again.themes, "theme_id") == labels(first.themes, "theme_id")
    assert labels(again.groups, "group_id") == labels(first.groups, "group_id")
