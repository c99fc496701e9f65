"""Ingest semantics: counts, dedup, updates, stale exports, strict mode, unchanged files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import silobridge
from silobridge.errors import ConnectorError
from silobridge.pipeline.ingest import run_ingest

from ...conftest import make_source

MAPPING = {
    "native_id": "id",
    "text": "body",
    "created_at": "at",
    "updated_at": "updated",
    "function": "team",
}


def _write(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows))
    return path


def _source(path: Path, **options):
    return make_source("jsonl", path, name="fb", channel="ticket", mapping=MAPPING, **options)


def _ticket(i: str, body: str, updated: str = "2026-09-01T10:00:00Z", team: str = "Support"):
    return {"id": i, "body": body, "at": "2026-09-01T10:00:00Z", "updated": updated, "team": team}


def test_ingest_counts_are_conserved(tmp_path: Path, store_path: Path):
    data = _write(
        tmp_path / "a.jsonl",
        [
            _ticket("1", "Export fails"),
            _ticket("2", "Dashboards are slow"),
            "{oops",
            _ticket("3", ""),
        ],
    )
    counts = run_ingest(store_path, [_source(data)]).totals
    # a ticket with no text is skipped with its reason, not quarantined: nothing is wrong with it
    assert (counts.read, counts.new, counts.quarantined, counts.skipped) == (3, 2, 1, 1)
    assert counts.skipped_reasons == {"no text (nothing to analyse)": 1}
    assert (
        counts.read
        == counts.new + counts.updated + counts.unchanged + counts.duplicate + counts.quarantined
    )
    reasons = set(silobridge.open_store(store_path).quarantine()["reason"])
    assert len(reasons) == 1 and next(iter(reasons)).startswith("invalid JSON")


def test_ingest_in_run_duplicates_keep_the_newest_version(tmp_path: Path, store_path: Path):
    data = _write(
        tmp_path / "a.jsonl",
        [
            _ticket("1", "new comment added", updated="2026-09-03T00:00:00Z"),
            _ticket("1", "first version", updated="2026-09-01T00:00:00Z"),
        ],
    )
    counts = run_ingest(store_path, [_source(data)]).totals
    assert (counts.new, counts.duplicate) == (1, 1)
    assert list(silobridge.open_store(store_path).items()["text"]) == ["new comment added"]


def test_ingest_a_new_export_file_adds_only_its_new_records(tmp_path: Path, store_path: Path):
    folder = tmp_path / "exports"
    folder.mkdir()
    _write(folder / "2026-09-01.jsonl", [_ticket("1", "Export fails"), _ticket("2", "SSO broken")])
    run_ingest(store_path, [_source(folder)])
    _write(
        folder / "2026-09-02.jsonl",
        [_ticket("2", "SSO broken"), _ticket("3", "Need an API for alerts")],
    )
    result = run_ingest(store_path, [_source(folder)])
    counts = result.totals
    assert (counts.files_read, counts.files_unchanged) == (1, 1)
    assert (counts.new, counts.unchanged, counts.updated) == (1, 1, 0)
    assert len(silobridge.open_store(store_path).items()) == 3


def test_ingest_an_older_export_never_replaces_a_newer_version(tmp_path: Path, store_path: Path):
    new = _write(tmp_path / "new.jsonl", [_ticket("1", "v2 text", updated="2026-09-05T00:00:00Z")])
    old = _write(tmp_path / "old.jsonl", [_ticket("1", "v1 text", updated="2026-09-01T00:00:00Z")])
    run_ingest(store_path, [_source(new)])
    counts = run_ingest(store_path, [_source(old)]).totals
    assert (counts.updated, counts.unchanged) == (0, 1)
    assert list(silobridge.open_store(store_path).items()["text"]) == ["v2 text"]


def test_ingest_changed_record_replaces_its_old_version(tmp_path: Path, store_path: Path):
    data = _write(tmp_path / "a.jsonl", [_ticket("1", "Export fails"), _ticket("2", "Slow")])
    run_ingest(store_path, [_source(data)])
    before = silobridge.open_store(store_path).items().set_index("native_id")
    _write(
        data,
        [
            _ticket("1", "Export fails\nAgent: fixed in 4.2.1", updated="2026-09-02T00:00:00Z"),
            _ticket("2", "Slow"),
        ],
    )
    counts = run_ingest(store_path, [_source(data)]).totals
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 1)
    after = silobridge.open_store(store_path).items().set_index("native_id")
    assert len(after) == 2
    assert after.loc["1", "text"].endswith("fixed in 4.2.1")
    # the same item, changed: its id stays (links to it hold), its record_hash changes
    assert after.loc["1", "item_id"] == before.loc["1", "item_id"]
    assert after.loc["1", "record_hash"] != before.loc["1", "record_hash"]
    assert after.loc["2", "run_id"] == before.loc["2", "run_id"]  # untouched row kept


def test_ingest_strict_stops_at_the_first_bad_record_and_commits_nothing(
    tmp_path: Path, store_path: Path
):
    data = _write(tmp_path / "a.jsonl", [_ticket("1", "fine"), "{broken", _ticket("2", "fine too")])
    with pytest.raises(ConnectorError, match=r"a\.jsonl:line 2: invalid JSON"):
        run_ingest(store_path, [_source(data)], on_bad_record="raise")
    store = silobridge.open_store(store_path)
    assert store.items().empty and store.quarantine().empty and store.manifests() == []


def test_ingest_rereads_unchanged_files_when_the_source_config_changes(
    tmp_path: Path, store_path: Path
):
    data = _write(tmp_path / "a.jsonl", [_ticket("1", "Export fails", team="")])
    run_ingest(store_path, [_source(data)])
    assert run_ingest(store_path, [_source(data)]).totals.files_unchanged == 1
    relabelled = make_source(
        "jsonl", data, name="fb", channel="ticket", function="Success", mapping=MAPPING
    )
    counts = run_ingest(store_path, [relabelled]).totals
    assert (counts.files_read, counts.updated) == (1, 1)
    assert list(silobridge.open_store(store_path).items()["function"]) == ["Success"]


def test_ingest_normalises_function_names_and_quarantines_unknown_ones(
    tmp_path: Path, store_path: Path
):
    data = _write(
        tmp_path / "a.jsonl",
        [_ticket("1", "a", team="customer success"), _ticket("2", "b", team="Finance")],
    )
    run_ingest(store_path, [_source(data)])
    store = silobridge.open_store(store_path)
    assert list(store.items()["function"]) == ["Success"]
    reason = store.quarantine()["reason"].iloc[0]
    assert reason.startswith("unknown function") and "Finance" not in reason


def test_ingest_error_messages_and_logs_never_quote_record_text(
    tmp_path: Path, store_path: Path, caplog
):
    secret = "jane.doe@example.com"
    data = _write(
        tmp_path / "a.jsonl",
        [{"id": "1", "body": 42, "at": secret}, f'{{"id": "2", "body": "{secret}'],
    )
    with caplog.at_level("DEBUG"):
        run_ingest(store_path, [_source(data)])
    quarantine = silobridge.open_store(store_path).quarantine()
    assert len(quarantine) == 2
    assert not quarantine["reason"].str.contains(secret).any()
    assert secret not in caplog.text
