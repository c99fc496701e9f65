"""Ingest: run the configured connectors and land their records in the store.

For each source, every record a connector yields ends up in exactly one place:

* ``items`` - new, or replacing its older version (same source and native id), or left alone
  when nothing changed (``unchanged``), or when an older export is read again (an older version
  never replaces a newer one);
* ``quarantine`` - with ``path:locator: reason`` and the raw record;
* counted as ``duplicate`` - the same record a second time in one run (incremental exports
  repeat records): the newest occurrence wins;
* counted as ``skipped`` by reason - events that are not records (a Slack ``channel_join``).

So ``read == new + updated + unchanged + duplicate + quarantined`` for every source, and the run's
counts say so. Export files whose content and source settings did not change since the last run
are not read again (``full=True`` reads everything), unless their last read broke off: a file that
is truncated or damaged outside its records (its rejection is a
:class:`~silobridge.extractors.files.BrokenOff`), or on which the connector raised, is not marked
as read, so the next run reads it again and its records dedupe. A database source (layout
``database``) is read from where its last run left off: its connector gets the state stored in
``files`` under the source's ``sql:`` pseudo path (with unchanged settings, and unless ``full``)
and yields the new state last.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable

from ..._version import __version__
from ...config import SourceConfig
from ...extractors.files import Limits, use_limits
from ...extractors.registry import get_connector, iter_input_files
from ..store import schema
from ..store.store import Store, StoreWriter, new_run_id
from .source import OnBadRecord, ProgressFn, SourceCounts, SourceRun, file_fingerprint

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    """The outcome of one ingest run.

    Attributes:
        run_id: The run's id (also in every row it wrote).
        store: The store's folder.
        sources: Counts per source name.
        quarantine_added: Rows the quarantine table gained (a bad record read again is not
            added twice).
        rolled_back: Tables rolled back from a crashed earlier run: ``{table: (from, to)}``.
        manifest_seq: The run's position in the store's history.
        seconds: Wall time.
    """

    run_id: str
    store: Path
    sources: dict[str, SourceCounts]
    quarantine_added: int = 0
    rolled_back: dict[str, tuple[int, int]] = field(default_factory=dict)
    manifest_seq: int = 0
    seconds: float = 0.0

    @property
    def totals(self) -> SourceCounts:
        total = SourceCounts()
        for counts in self.sources.values():
            total.add(counts)
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: totals at the top level, then per source."""
        totals = asdict(self.totals)
        return {
            "run_id": self.run_id,
            "store": str(self.store),
            **{k: v for k, v in totals.items() if k != "seconds"},
            "quarantine_added": self.quarantine_added,
            "rolled_back": {k: list(v) for k, v in self.rolled_back.items()},
            "seconds": round(self.seconds, 3),
            "sources": {name: asdict(c) for name, c in self.sources.items()},
        }


def run_ingest(
    store: Store | str | Path,
    sources: Sequence[SourceConfig],
    *,
    on_bad_record: OnBadRecord = "quarantine",
    full: bool = False,
    retention_days: int = 30,
    config_hash: str = "",
    run_id: str | None = None,
    progress: ProgressFn | None = None,
    limits: Limits | None = None,
) -> IngestResult:
    """Read every source and commit its records to the store, as one run.

    Args:
        sources: The sources to read (disabled ones are left out).
        store: A :class:`Store` or its folder (created if missing).
        on_bad_record: ``"quarantine"`` keeps going and quarantines bad records; ``"raise"``
            stops at the first one with a :class:`ConnectorError`, committing nothing.
        full: Read every export file, even those unchanged since the last run.
        retention_days: Vacuum data files unreferenced for longer than this.
        config_hash: Hash of the configuration, recorded in the run manifest.
        run_id: The run's id (default: a timestamp plus random suffix).
        progress: Called with ``(source name, records read so far)`` as records are read.
        limits: How big and deep one record may be (``[limits]`` of the config; default
            :class:`~silobridge.extractors.files.Limits`). Raising one does not re-read files
            already read: pass ``full=True``.

    Returns:
        The run's counts.

    Raises:
        StoreLockedError: if another run is writing the store.
        ConnectorError: with ``on_bad_record="raise"``, naming the first bad record.
        ConfigError: if a connector rejects its options.

    Examples:
        >>> from silobridge.config import load_config
        >>> config = load_config("silobridge.toml")                        # doctest: +SKIP
        >>> result = run_ingest(config.store_path, list(config.sources.values()))  # doctest: +SKIP
        >>> result.totals.new                                               # doctest: +SKIP
        2412
    """
    if on_bad_record not in ("quarantine", "raise"):
        raise ValueError(f"on_bad_record must be 'quarantine' or 'raise'; got {on_bad_record!r}.")
    started = time.perf_counter()
    now = datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    if not isinstance(store, Store):
        store = Store.open(store, create=True)
    with store.writing(run_id) as writer:
        files_state = read_files_state(store)
        results: dict[str, SourceCounts] = {}
        item_tables: list[pa.Table] = []
        quarantine_tables: list[pa.Table] = []
        file_rows: list[dict[str, Any]] = []
        for source in sources:
            if not source.enabled:
                continue
            t0 = time.perf_counter()
            reader = SourceRun(source, run_id, now, on_bad_record, progress)
            with use_limits(limits):
                reader.run(files_state, full=full)
            if reader.has_records:
                existing = _existing_items(store, source.name, reader.native_ids())
                item_tables.extend(reader.rows_to_write(existing))
                del existing
            quarantine_tables.extend(reader.quarantine_tables())
            file_rows.extend(reader.file_rows)
            reader.counts.seconds = round(time.perf_counter() - t0, 3)
            results[source.name] = reader.counts
            log.info("source %s: %s", source.name, _summary(reader.counts))
        result = IngestResult(run_id=run_id, store=store.root, sources=results)
        result.rolled_back = writer.rolled_back
        timings = _commit(writer, item_tables, quarantine_tables, file_rows, result)
        writer.vacuum(retention_days)
        result.seconds = time.perf_counter() - started
        manifest = writer.commit(_manifest(result, now, config_hash, timings))
        result.manifest_seq = manifest.seq
    return result


def _manifest(
    result: IngestResult, now: datetime, config_hash: str, timings: dict[str, float]
) -> dict[str, Any]:
    totals = result.totals
    return {
        "kind": "ingest",
        "silobridge_version": __version__,
        "started_at": now.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "outcome": "ok_with_quarantine" if totals.quarantined else "ok",
        "config_hash": config_hash,
        "counts": result.to_dict()["sources"] | {"total": asdict(totals)},
        "quarantine_added": result.quarantine_added,
        "rolled_back": {k: list(v) for k, v in result.rolled_back.items()},
        "timings": timings | {"total": round(result.seconds, 3)},
    }


def plan_ingest(store: Store | None, sources: Sequence[SourceConfig]) -> dict[str, dict[str, Any]]:
    """Which export files each enabled source would read now (``silobridge run --dry-run``),
    without reading them: ``{source: {"files": n, "new_or_changed": [paths]}}``.

    Args:
        store: The store, or ``None`` when there is none yet (every file is new).
    """
    state = read_files_state(store) if store is not None else {}
    planned: dict[str, dict[str, Any]] = {}
    for source in sources:
        if not source.enabled:
            continue
        spec = get_connector(source.connector)
        units = (
            list(iter_input_files(spec, source.path)) if spec.layout == "files" else [source.path]
        )
        changed = []
        for unit in units:
            display = source.display_path(unit)
            previous = state.get((source.name, display))
            sha256 = file_fingerprint(unit, spec)["sha256"]
            if (
                previous is None
                or previous["config_hash"] != source.config_hash()
                or previous["sha256"] != sha256
            ):
                changed.append(display)
        planned[source.name] = {"files": len(units), "new_or_changed": changed}
    return planned


def _commit(
    writer: StoreWriter,
    item_tables: list[pa.Table],
    quarantine_tables: list[pa.Table],
    file_rows: list[dict[str, Any]],
    result: IngestResult,
) -> dict[str, float]:
    timings = {}
    t0 = time.perf_counter()
    if item_tables:
        writer.upsert("items", pa.concat_tables(item_tables))
    timings["commit_items"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    quarantine = _last_per_key(
        [t for t in quarantine_tables if t.num_rows], ["source_name", "quarantine_id"]
    )
    if quarantine is not None:
        existing = writer.store.read(
            "quarantine", columns=["source_name", "quarantine_id", "first_run_id", "first_seen_at"]
        )
        if existing.num_rows:
            quarantine = _keep_first_seen(quarantine, existing)
        metrics = writer.upsert("quarantine", quarantine)
        result.quarantine_added = metrics["inserted"]
    timings["commit_quarantine"] = round(time.perf_counter() - t0, 3)
    if file_rows:
        rows = _unique(file_rows, "source_path")
        writer.upsert("files", pa.Table.from_pylist(rows, schema=schema.FILES))
    return timings


def _last_per_key(tables: list[pa.Table], keys: list[str]) -> pa.Table | None:
    """The rows of ``tables``, only the last one of each ``keys`` value; ``None`` if none."""
    if not tables:
        return None
    table = pa.concat_tables(tables).combine_chunks()
    seen: dict[tuple[Any, ...], int] = {}
    columns = [table.column(k).to_pylist() for k in keys]
    for position, key in enumerate(zip(*columns, strict=True)):
        seen[key] = position
    del columns
    if len(seen) == table.num_rows:
        return table
    return table.take(pa.array(sorted(seen.values()), type=pa.int64()))


def _keep_first_seen(rows: pa.Table, existing: pa.Table) -> pa.Table:
    """``rows`` with ``first_run_id``/``first_seen_at`` of the stored row of the same key: a bad
    record met again keeps when it was first seen."""
    stored = existing.rename_columns(
        ["source_name", "quarantine_id", "_stored_run_id", "_stored_seen_at"]
    )
    joined = rows.join(stored, keys=["source_name", "quarantine_id"], join_type="left outer")
    first_run = pc.coalesce(joined.column("_stored_run_id"), joined.column("first_run_id"))
    first_seen = pc.coalesce(joined.column("_stored_seen_at"), joined.column("first_seen_at"))
    joined = joined.set_column(
        joined.schema.get_field_index("first_run_id"), "first_run_id", first_run
    )
    joined = joined.set_column(
        joined.schema.get_field_index("first_seen_at"), "first_seen_at", first_seen
    )
    return joined.select(schema.QUARANTINE.names).cast(schema.QUARANTINE)


def _unique(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Last row per key: one row per key in a write."""
    by_key: dict[Any, dict[str, Any]] = {}
    for row in rows:
        by_key[(row.get("source_name"), row[key])] = row
    return list(by_key.values())


def _existing_items(store: Store, source_name: str, native_ids: pa.Array) -> pa.Table:
    """``native_id``, ``updated_at`` and ``record_hash`` of the source's stored items among
    ``native_ids`` (those this run read): a nightly file of a thousand records into a store of
    a million reads a thousand keys, not a million."""
    columns = ["native_id", "updated_at", "record_hash"]
    if not DeltaTable.is_deltatable(str(store.table_path("items"))):
        return schema.ITEMS.empty_table().select(columns)
    expression = (pc.field("source_name") == source_name) & pc.field("native_id").isin(native_ids)
    return store.dataset("items").to_table(columns=columns, filter=expression)


def read_files_state(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    table = store.read("files")
    return {(row["source_name"], row["source_path"]): row for row in table.to_pylist()}


def _summary(counts: SourceCounts) -> str:
    return (
        f"read {counts.read}, new {counts.new}, updated {counts.updated}, unchanged "
        f"{counts.unchanged}, duplicate {counts.duplicate}, quarantined {counts.quarantined}, "
        f"skipped {counts.skipped}"
    )
