"""The store: Delta tables, time travel, locking, recovery, vacuum, readers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pytest
import silobridge
from deltalake import DeltaTable
from silobridge.errors import StoreError, StoreLockedError
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.store import Store, schema

from ...conftest import make_source


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


MAPPING = {"native_id": "id", "text": "body", "created_at": "at", "updated_at": "updated"}


def _source(path: Path):
    return make_source("jsonl", path, name="feedback", channel="ticket", mapping=MAPPING)


def _rows(n: int, *, suffix: str = "") -> list[dict]:
    return [
        {"id": str(i), "body": f"Feedback number {i}{suffix}", "at": "2026-09-01T10:00:00Z"}
        for i in range(n)
    ]


def test_store_open_missing_names_the_folder(tmp_path: Path):
    with pytest.raises(StoreError, match=r"No silobridge store at .*nowhere"):
        silobridge.open_store(tmp_path / "nowhere")


def test_store_refuses_a_folder_that_holds_something_else(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(StoreError, match="not a silobridge store"):
        Store.open(tmp_path, create=True)


def test_store_time_travel_reads_an_earlier_run(tmp_path: Path, store_path: Path):
    data = _jsonl(tmp_path / "f.jsonl", _rows(3))
    first = run_ingest(store_path, [_source(data)])
    _jsonl(data, _rows(5, suffix=" (edited)"))
    second = run_ingest(store_path, [_source(data)])
    store = silobridge.open_store(store_path)
    assert len(store.items()) == 5
    old = store.items(run=first.run_id)
    assert sorted(old["text"]) == sorted(f"Feedback number {i}" for i in range(3))
    version = store.manifest(first.run_id).versions["items"]
    assert store.items(version=version).equals(old)
    assert len(store.items(run=second.run_id)) == 5
    assert list(store.runs()["run_id"]) == [first.run_id, second.run_id]


def test_store_second_writer_is_refused_with_the_holder_named(tmp_path: Path, store_path: Path):
    store = Store.open(store_path, create=True)
    with store.writing("run-a"), pytest.raises(StoreLockedError, match="run run-a, pid"):
        run_ingest(store_path, [_source(_jsonl(tmp_path / "f.jsonl", _rows(1)))])
    # once the first run is done, the next one proceeds
    assert run_ingest(store_path, [_source(tmp_path / "f.jsonl")]).totals.new == 1


def test_store_recover_rolls_back_commits_of_an_unfinished_run(tmp_path: Path, store_path: Path):
    data = _jsonl(tmp_path / "f.jsonl", _rows(2))
    run_ingest(store_path, [_source(data)])
    store = Store.open(store_path)
    before = store.items()
    # a run that committed to items and then died before its manifest
    with store.writing("crashed") as writer:
        extra = store.read("items").slice(0, 1).to_pylist()
        extra[0]["native_id"] = "ghost"
        writer.upsert("items", pa.Table.from_pylist(extra, schema=store.read("items").schema))
    assert (
        DeltaTable(str(store.table_path("items"))).version() > store.committed_versions()["items"]
    )
    # readers never see it ...
    assert sorted(store.items()["native_id"]) == sorted(before["native_id"])
    # ... and the next run rolls it back first
    result = run_ingest(store_path, [_source(data)])
    assert "items" in result.rolled_back
    assert "ghost" not in set(store.items()["native_id"])
    assert len(DeltaTable(str(store.table_path("items"))).to_pandas()) == len(before)


def test_store_rejects_rows_that_do_not_fit_the_schema(store_path: Path):
    store = Store.open(store_path, create=True)
    with store.writing("r") as writer, pytest.raises(StoreError, match="do not fit the items"):
        writer.upsert("items", pa.table({"item_id": ["a"], "text": [3]}))


def test_store_vacuum_removes_old_versions_after_retention(tmp_path: Path, store_path: Path):
    data = _jsonl(tmp_path / "f.jsonl", _rows(3))
    first = run_ingest(store_path, [_source(data)])
    _jsonl(data, _rows(3, suffix=" (edited)"))
    run_ingest(store_path, [_source(data)], retention_days=0)
    store = Store.open(store_path)
    assert len(store.items()) == 3
    with pytest.raises(StoreError, match="retention"):
        store.items(run=first.run_id)


def test_store_is_readable_by_pandas_polars_and_duckdb(tmp_path: Path, store_path: Path):
    import duckdb
    import polars as pl

    run_ingest(store_path, [_source(_jsonl(tmp_path / "f.jsonl", _rows(4)))])
    store = Store.open(store_path)
    assert len(store.items()) == 4
    assert pl.read_delta(str(store.table_path("items"))).height == 4
    items = store.dataset("items")  # noqa: F841 - DuckDB finds it by name
    assert duckdb.sql("select count(*) from items where channel = 'ticket'").fetchall() == [(4,)]


def test_store_tables_filter_after_updates_in_pyarrow_and_duckdb(tmp_path: Path, store_path: Path):
    """Updated rows are filterable by pushdown (delta-rs MERGE's string_view files were not)."""
    import duckdb
    import pyarrow.compute as pc

    data = _jsonl(tmp_path / "f.jsonl", _rows(3000))
    run_ingest(store_path, [_source(data)])
    _jsonl(data, _rows(3000, suffix=" (edited)"))
    assert run_ingest(store_path, [_source(data)]).totals.updated == 3000
    items = Store.open(store_path).dataset("items")
    assert items.to_table(filter=pc.field("source_name") == "feedback").num_rows == 3000
    query = "select count(*) from items where text like '%(edited)' and source_name = 'feedback'"
    assert duckdb.sql(query).fetchall() == [(3000,)]


def test_a_store_an_older_silobridge_made_takes_new_columns_and_new_rows(store_path: Path):
    """A column added since a store was made lands at the end of its Delta table, not where
    the schema has it: rewriting rows there still works, and reads give the schema's order."""
    Store.open(store_path, create=True)
    older = pa.schema([f for f in schema.ITEMS if f.name != "account"])  # as it once was
    path = store_path / "items"
    shutil.rmtree(path)
    DeltaTable.create(str(path), older, partition_by=["source_name"], name="items")
    export = _jsonl(store_path.parent / "a.jsonl", _rows(3))
    run_ingest(store_path, [_source(export)])
    export.write_text("".join(json.dumps(r) + "\n" for r in _rows(4, suffix=" (edited)")))
    run_ingest(store_path, [_source(export)])  # rewrites the stored rows of the same items
    items = Store.open(store_path).items(columns=["native_id", "text", "account"])
    assert sorted(items["text"]) == [f"Feedback number {i} (edited)" for i in range(4)]
    assert DeltaTable(str(path)).schema().fields[-1].name == "account"
