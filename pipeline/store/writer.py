"""The write side of a store: one run's table writes (upserts, replacements, vacuum) and its
manifest, the run's commit point. Only a run holding the store's lock gets a
:class:`StoreWriter` (:meth:`~.store.Store.writing`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, WriterProperties
from deltalake import write_deltalake as _write_deltalake

from ...errors import StoreError
from . import schema

if TYPE_CHECKING:  # a writer belongs to a Store, which makes it: no import at run time
    from .store import Store

DEFAULT_RETENTION_DAYS = 30


@dataclass(frozen=True)
class Manifest:
    """A finished run, as recorded in ``runs/``.

    Attributes:
        seq: Position of the run in the store's history (1, 2, ...).
        run_id: The run's id.
        data: The whole manifest: ``versions`` (table → Delta version committed), ``counts``,
            ``config_hash``, ``timings``, ``started_at``, ``finished_at``, ``outcome``...
    """

    seq: int
    run_id: str
    data: dict[str, Any]

    @property
    def versions(self) -> dict[str, int]:
        return dict(self.data.get("versions", {}))


class StoreWriter:
    """The write side of a store, for the one run that holds its lock."""

    def __init__(self, store: Store, run_id: str):
        self.store = store
        self.run_id = run_id
        self.rolled_back: dict[str, tuple[int, int]] = {}

    def upsert(self, name: str, rows: pa.Table) -> dict[str, int]:
        """Insert or replace ``rows`` in table ``name`` by the table's key, as one commit.

        Every table is partitioned by ``source_name``. A write that only adds keys appends; one
        that replaces stored rows rewrites the partitions of the sources it touches (Delta's
        ``replaceWhere`` on the partition column), so each write is one atomic commit. delta-rs'
        own MERGE is not used: it writes strings as Arrow ``string_view``, which pyarrow's
        filters, and DuckDB through them, cannot compare with plain strings.

        Args:
            name: The table.
            rows: Rows in (or castable to) the table's schema, one per key.

        Returns:
            ``{"inserted": n, "replaced": m}``.

        Raises:
            StoreError: if the rows do not fit the table's schema.
        """
        table_schema = schema.TABLES[name]
        rows = _fit_schema(name, rows)
        if rows.num_rows == 0:
            return {"inserted": 0, "replaced": 0}
        path = str(self.store.table_path(name))
        sources = sorted(set(rows.column("source_name").to_pylist()))
        existing = (
            DeltaTable(path)
            .to_pyarrow_table(filters=[("source_name", "in", sources)])
            # a store an older silobridge made has the columns added since at the end
            .select(table_schema.names)
            .cast(table_schema)
        )
        new_keys = _keys(rows, name)
        replaced = pc.is_in(_keys(existing, name), value_set=new_keys)
        n_replaced = pc.sum(replaced).as_py() or 0
        commit = CommitProperties(custom_metadata={"silobridge.run_id": self.run_id})
        if n_replaced == 0:
            write_deltalake(path, _stream(rows), mode="append", commit_properties=commit)
        else:
            kept = existing.filter(pc.invert(replaced))
            listed = ", ".join(_sql_string(s) for s in sources)
            write_deltalake(
                path,
                _stream(pa.concat_tables([kept, rows])),
                mode="overwrite",
                predicate=f"source_name IN ({listed})",
                commit_properties=commit,
            )
        return {"inserted": rows.num_rows - n_replaced, "replaced": n_replaced}

    def read(self, name: str, *, columns: list[str] | None = None) -> pa.Table:
        """Table ``name`` at its newest version, with this run's commits so far."""
        return DeltaTable(str(self.store.table_path(name))).to_pyarrow_table(columns=columns)

    def replace_all(self, name: str, rows: pa.Table) -> int:
        """Replace table ``name`` with ``rows``, as one commit (earlier versions stay readable).

        Returns:
            The number of rows written.
        """
        rows = _fit_schema(name, rows)
        write_deltalake(
            str(self.store.table_path(name)),
            rows,
            mode="overwrite",
            commit_properties=CommitProperties(custom_metadata={"silobridge.run_id": self.run_id}),
        )
        return rows.num_rows

    def replace_items(
        self, name: str, rows: pa.Table, items: Mapping[str, Iterable[str]]
    ) -> dict[str, int]:
        """Replace every stored row of some items (by ``item_id``) with ``rows``, as one commit.

        For tables with several rows per item (``units``): an item processed again may have
        fewer rows than before, so its old rows go whatever their keys.

        Args:
            name: The table; it has an ``item_id`` column.
            rows: The items' new rows (may be empty: the items' rows are only removed).
            items: ``{source_name: item ids}`` whose stored rows are removed.

        Returns:
            ``{"inserted": n, "removed": m}``.
        """
        table_schema = schema.TABLES[name]
        rows = _fit_schema(name, rows)
        ids = sorted({i for group in items.values() for i in group})
        sources = sorted(set(rows.column("source_name").to_pylist()) | set(items))
        if not sources:
            return {"inserted": 0, "removed": 0}
        path = str(self.store.table_path(name))
        commit = CommitProperties(custom_metadata={"silobridge.run_id": self.run_id})
        existing = (
            DeltaTable(path)
            .to_pyarrow_table(filters=[("source_name", "in", sources)])
            # a store an older silobridge made has the columns added since at the end
            .select(table_schema.names)
            .cast(table_schema)
        )
        gone = pc.is_in(existing.column("item_id"), value_set=pa.array(ids, pa.string()))
        n_removed = pc.sum(gone).as_py() or 0
        if n_removed == 0:
            if rows.num_rows:
                write_deltalake(path, rows, mode="append", commit_properties=commit)
        else:
            listed = ", ".join(_sql_string(s) for s in sources)
            write_deltalake(
                path,
                pa.concat_tables([existing.filter(pc.invert(gone)), rows]),
                mode="overwrite",
                predicate=f"source_name IN ({listed})",
                commit_properties=commit,
            )
        return {"inserted": rows.num_rows, "removed": n_removed}

    def vacuum(self, retention_days: int = DEFAULT_RETENTION_DAYS) -> dict[str, int]:
        """Delete data files no longer referenced for longer than ``retention_days``.

        Versions older than that can then no longer be read back (time travel ends there).
        Runs before :meth:`commit`, because vacuuming writes commits of its own, which belong to
        this run. Returns the number of files deleted per table.
        """
        if retention_days < 0:
            raise ValueError(f"retention_days must be >= 0; got {retention_days}.")
        deleted = {}
        for name in schema.TABLES:
            table = DeltaTable(str(self.store.table_path(name)))
            if table.metadata().configuration != retention_config(retention_days):
                table.alter.set_table_properties(
                    retention_config(retention_days), raise_if_not_exists=False
                )
            files = table.vacuum(
                retention_hours=retention_days * 24,
                dry_run=False,
                enforce_retention_duration=False,
            )
            deleted[name] = len(files)
        return deleted

    def commit(self, manifest: dict[str, Any]) -> Manifest:
        """Write the run's manifest: the run's commit point. Records the tables' versions."""
        data = dict(manifest)
        data["run_id"] = self.run_id
        data["versions"] = self.store.current_versions()
        last = self.store.last_run()
        seq = (last.seq if last else 0) + 1
        write_json_atomic(self.store.root / "runs" / f"{seq:06d}-{self.run_id}.json", data)
        return Manifest(seq, self.run_id, data)


def _fit_schema(name: str, rows: pa.Table) -> pa.Table:
    """``rows`` in the columns and types of table ``name``; a clear error when they do not fit."""
    table_schema = schema.TABLES[name]
    try:
        return rows.select(table_schema.names).cast(table_schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowTypeError) as e:
        raise StoreError(f"Rows do not fit the {name} table's schema: {e}") from e


def _keys(table: pa.Table, name: str) -> pa.Array:
    """One string per row from the table's key columns."""
    columns = [table.column(k).cast(pa.string()) for k in schema.KEYS[name]]
    if len(columns) == 1:
        return columns[0].combine_chunks()
    return pc.binary_join_element_wise(*columns, "\x1f").combine_chunks()


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically: a temp file in the same folder, fsync, ``os.replace``."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True, default=str)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def retention_config(days: int) -> dict[str, str]:
    return {
        "delta.logRetentionDuration": f"interval {days} days",
        "delta.deletedFileRetentionDuration": f"interval {days} days",
    }


#: Rows per Parquet row group. delta-rs' default (a million) makes the writer hold a whole
#: large write's encoded pages at once: with 50,000 a 400,000-row ingest peaks ~100 MB lower.
ROW_GROUP_ROWS = 50_000


def write_deltalake(path: str, data: Any, **options: Any) -> None:
    """:func:`deltalake.write_deltalake` with row groups of :data:`ROW_GROUP_ROWS` rows."""
    options.setdefault("writer_properties", WriterProperties(max_row_group_size=ROW_GROUP_ROWS))
    _write_deltalake(path, data, **options)


def _stream(table: pa.Table) -> pa.RecordBatchReader:
    """``table`` as a stream of batches: delta-rs then encodes it batch by batch instead of
    holding a second copy of the whole table (a third less peak memory on large writes)."""
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=20_000))
