"""Behaviour every connector owes, on its fixtures in the vendor's real format.

tests/fixtures/<connector>/expected.json names the v1 export, the same export a day later (v2,
one record changed), the connector options, and how many records are good and bad.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import silobridge
from silobridge.extractors import CONNECTORS, all_connectors
from silobridge.pipeline.ingest import run_ingest

from ..conftest import FIXTURES, fixture_case, make_source

ALL = sorted(all_connectors())


def test_every_connector_has_fixtures():
    missing = [name for name in ALL if not (FIXTURES / name / "expected.json").exists()]
    assert not missing, f"connectors without tests/fixtures/<name>/expected.json: {missing}"


@pytest.mark.parametrize("connector", ALL)
def test_connector_quarantines_bad_records_and_stores_the_rest(connector: str, store_path: Path):
    case = fixture_case(connector)
    source = make_source(connector, case["path"], **case["options"])
    counts = run_ingest(store_path, [source]).totals
    store = silobridge.open_store(store_path)
    items, quarantine = store.items(), store.quarantine()
    assert len(items) == case["stored"]
    assert len(quarantine) == case["quarantined"] >= 1
    assert counts.read == len(items) + len(quarantine) + counts.duplicate
    assert (
        counts.read
        == counts.new + counts.updated + counts.unchanged + counts.duplicate + counts.quarantined
    )
    assert counts.skipped == case.get("skipped", 0)
    # every rejection has an address and a reason, and it names no record content
    for row in quarantine.itertuples():
        assert row.source_path and row.locator and row.reason
        assert row.raw is not None
    # every stored record is canonical
    assert items["native_id"].is_unique
    assert items["text"].str.strip().astype(bool).all()
    assert set(items["channel"]) <= {
        "ticket",
        "call",
        "chat",
        "survey",
        "note",
        "message",
        "review",
    }
    assert str(items["created_at"].dtype) == "datetime64[us, UTC]"


@pytest.mark.parametrize("connector", ALL)
def test_connector_second_ingest_adds_nothing(connector: str, store_path: Path):
    case = fixture_case(connector)
    source = make_source(connector, case["path"], **case["options"])
    run_ingest(store_path, [source])
    store = silobridge.open_store(store_path)
    items, quarantined = store.items(), len(store.quarantine())
    again = run_ingest(store_path, [source], full=True).totals  # re-read even unchanged files
    assert (again.new, again.updated) == (0, 0)
    assert again.unchanged + again.duplicate == len(items) + again.duplicate
    after = store.items()
    assert len(after) == len(items) and len(store.quarantine()) == quarantined
    assert set(after["item_id"]) == set(items["item_id"])


@pytest.mark.parametrize("connector", ALL)
def test_connector_changed_record_replaces_its_old_version(connector: str, store_path: Path):
    case = fixture_case(connector)
    run_ingest(store_path, [make_source(connector, case["path"], **case["options"])])
    store = silobridge.open_store(store_path)
    before = store.items().set_index("native_id")
    counts = run_ingest(
        store_path, [make_source(connector, case["path_v2"], **case["options"])]
    ).totals
    after = store.items().set_index("native_id")
    changed = case["changed_native_id"]
    assert (counts.new, counts.updated) == (0, 1)
    assert len(after) == len(before)
    assert after.loc[changed, "record_hash"] != before.loc[changed, "record_hash"]
    others = before.index.drop(changed)
    assert (after.loc[others, "record_hash"] == before.loc[others, "record_hash"]).all()


def test_registry_refuses_a_second_function_under_a_taken_name():
    from silobridge.extractors import connector

    with pytest.raises(ValueError, match="already registered"):

        @connector("zendesk", formats=("json",))
        def read_other(path):  # pragma: no cover - never called
            yield from ()

    assert CONNECTORS["zendesk"].read.__module__.endswith("extractors.zendesk")
