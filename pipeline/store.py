"""The silobridge store: Delta Lake tables plus run manifests, in one folder.

Layout::

    STORE/
      silobridge-store.json   format marker
      items/                  Delta table: one row per source record (docs/schema.md)
      quarantine/             Delta table: every rejected record, with path:locator: reason
      files/                  Delta table: which export files were read, by content hash
      runs/000007-<run_id>.json   one manifest per finished run, written last
      .lock                   held (flock) by the run that is writing

Every table write is one Delta commit (ACID: Parquet files first, then an atomic log entry), and
updates are merges keyed by the table's key. A run commits its tables, then writes its manifest
atomically (temp file + ``os.replace``): the manifest is the run's commit point. Readers see the
table versions of the newest manifest, and the next writer first rolls back whatever a crashed run
committed after it (``Store.recover``), so a crash never leaves a half-run in charge.

Examples:
    >>> store = Store.open("/tmp/demo-store", create=True)   # doctest: +SKIP
    >>> store.items().shape                                   # doctest: +SKIP
    (2143, 18)
    >>> store.items(version=1)                                # time travel, doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import socket
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError, TableNotFoundError

from ..errors import StoreError, StoreLockedError
from . import schema

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MARKER = "silobridge-store.json"
DEFAULT_RETENTION_DAYS = 30
_MANIFEST = re.compile(r"^(\d{6})-(.+)\.json$")
#: Stores whose job lock this process holds (its own stage runs then need not wait for it).
_JOBS: set[Path] = set()


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


class Store:
    """A folder of Delta tables and run manifests. Open it with :meth:`Store.open`."""

    def __init__(self, root: Path):
        self.root = root

    # ----------------------------------------------------------------------------- opening

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool = False) -> Store:
        """Open the store at ``path``.

        Args:
            path: The store's folder.
            create: Create the folder and its tables if they do not exist.

        Raises:
            StoreError: if there is no store at ``path`` (and ``create`` is false), or the folder
                holds something else.
        """
        root = Path(path).expanduser().resolve()
        marker = root / MARKER
        if not marker.exists():
            if not create:
                raise StoreError(
                    f"No silobridge store at {root}. Run `silobridge ingest` to create one, "
                    "or pass create=True."
                )
            if root.exists() and any(p.name not in (".lock", ".job.lock") for p in root.iterdir()):
                raise StoreError(
                    f"{root} exists and is not a silobridge store; choose an empty folder."
                )
            root.mkdir(parents=True, exist_ok=True)
        store = cls(root)
        if create:
            store._create_missing()
        else:
            store._check_format()
        return store

    def _check_format(self) -> None:
        try:
            info = json.loads((self.root / MARKER).read_text())
        except (OSError, ValueError) as e:
            raise StoreError(f"{self.root / MARKER} is unreadable: {e}") from e
        if info.get("format_version") != FORMAT_VERSION:
            raise StoreError(
                f"{self.root} has store format {info.get('format_version')}; this silobridge "
                f"reads format {FORMAT_VERSION}."
            )

    def _create_missing(self, retention_days: int = DEFAULT_RETENTION_DAYS) -> None:
        # The marker comes first: a process killed while creating the tables leaves a store
        # that the next run completes, never a folder that looks like something else.
        if not (self.root / MARKER).exists():
            write_json_atomic(
                self.root / MARKER,
                {"format_version": FORMAT_VERSION, "created_at": _now().isoformat()},
            )
        (self.root / "runs").mkdir(exist_ok=True)
        for name, table_schema in schema.TABLES.items():
            path = self.table_path(name)
            if not DeltaTable.is_deltatable(str(path)):
                DeltaTable.create(
                    str(path),
                    table_schema,
                    mode="ignore",
                    partition_by=schema.PARTITIONS[name] or None,
                    name=name,
                    configuration=_retention_config(retention_days),
                )

    # ----------------------------------------------------------------------------- reading

    def table_path(self, name: str) -> Path:
        if name not in schema.TABLES:
            raise StoreError(f"Unknown table {name!r}. Tables: {', '.join(schema.TABLES)}.")
        return self.root / name

    def delta(self, name: str, version: int | None = None) -> DeltaTable:
        """The Delta table ``name``, at ``version`` (default: the newest committed run's)."""
        path = self.table_path(name)
        if version is None:
            version = self.committed_versions().get(name)
        try:
            return DeltaTable(str(path), version=version)
        except TableNotFoundError as e:
            raise StoreError(f"{path} is not a Delta table; is {self.root} a store?") from e
        except DeltaError as e:
            raise StoreError(
                f"Cannot read version {version} of {name}: {e}. Versions older than the store's "
                "retention ([store] retention_days) are vacuumed."
            ) from e

    def read(
        self,
        name: str,
        *,
        version: int | None = None,
        run: str | None = None,
        columns: list[str] | None = None,
    ) -> pa.Table:
        """Read a table as Arrow, at a Delta ``version`` or as of a finished ``run`` (id)."""
        if run is not None:
            if version is not None:
                raise ValueError("Pass version= or run=, not both.")
            version = self.manifest(run).versions.get(name)
        exists = DeltaTable.is_deltatable(str(self.table_path(name)))
        if version is None and not exists:
            # a new store whose first run has not finished (or was killed creating it), or a
            # table newer than the store's last run (created by the next writer)
            empty = schema.TABLES[name].empty_table()
            return empty.select(columns) if columns else empty
        table = self.delta(name, version)
        try:
            return table.to_pyarrow_table(columns=columns)
        except (OSError, DeltaError) as e:  # data files of a vacuumed version are gone
            raise StoreError(
                f"Cannot read version {table.version()} of {name}: its data files were vacuumed "
                "(they are kept for [store] retention_days after they stop being current)."
            ) from e

    def dataset(self, name: str, *, version: int | None = None) -> pads.Dataset:
        """A table as a ``pyarrow.dataset`` (for DuckDB, Polars, or lazy filtering)."""
        return self.delta(name, version).to_pyarrow_dataset()

    def items(
        self,
        *,
        version: int | None = None,
        run: str | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """The canonical items as a DataFrame.

        Args:
            version: A Delta version of the items table (time travel).
            run: A run id: the items as that run left them.
            columns: Only these columns.

        Examples:
            >>> store.items(columns=["source", "function", "text"]).head()  # doctest: +SKIP
        """
        return self.read("items", version=version, run=run, columns=columns).to_pandas()

    def units(
        self,
        *,
        version: int | None = None,
        run: str | None = None,
        columns: list[str] | None = None,
    ) -> pd.DataFrame:
        """The insight units (redacted text, entities, embedding keys) as a DataFrame.

        Their vectors are in the embedding cache: :meth:`vectors`.

        Examples:
            >>> store.units(columns=["unit_id", "function", "text"])  # doctest: +SKIP
        """
        return self.read("units", version=version, run=run, columns=columns).to_pandas()

    def vectors(self, units: pd.DataFrame) -> np.ndarray:
        """The embedding of each unit, in the rows' order (``(n, dim)`` float32).

        Args:
            units: Rows of :meth:`units` with ``embedding_key`` and ``model_id``.

        Raises:
            StoreError: if a unit's vector is missing from the cache (its model changed since
                the units were written: run ``silobridge understand`` again).
        """
        from .embed import EmbeddingCache

        cache = EmbeddingCache(self.embeddings_path)
        keys = units["embedding_key"].to_numpy()
        models = units["model_id"].to_numpy()
        out: np.ndarray | None = None
        for model_id in sorted(set(models)):
            rows = np.flatnonzero(models == model_id)
            wanted = sorted(set(keys[rows]))
            found, vectors = cache.lookup(wanted, model_id=model_id)
            if len(found) < len(wanted):
                raise StoreError(
                    f"{len(wanted) - len(found)} unit vectors of model {model_id!r} are missing "
                    f"from {self.embeddings_path}; run `silobridge understand` again."
                )
            position = {wanted[p]: i for i, p in enumerate(found)}
            if out is None:
                out = np.empty((len(units), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors[[position[k] for k in keys[rows]]]
        return out if out is not None else np.empty((0, 0), dtype=np.float32)

    @property
    def embeddings_path(self) -> Path:
        """The embedding cache's folder (append-only; not rolled back with the tables)."""
        return self.root / "embeddings"

    def quarantine(self, *, version: int | None = None, run: str | None = None) -> pd.DataFrame:
        """Every rejected record, with ``source_path``, ``locator`` and ``reason``."""
        return self.read("quarantine", version=version, run=run).to_pandas()

    # --------------------------------------------------------------------------- manifests

    def manifests(self) -> list[Manifest]:
        """All finished runs, oldest first."""
        runs = self.root / "runs"
        found = []
        for path in runs.glob("*.json") if runs.exists() else []:
            match = _MANIFEST.match(path.name)
            if not match:
                continue
            try:
                data = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                raise StoreError(f"Run manifest {path} is unreadable: {e}") from e
            found.append(Manifest(int(match.group(1)), match.group(2), data))
        return sorted(found, key=lambda m: m.seq)

    def last_run(self) -> Manifest | None:
        """The newest finished run, or ``None`` for a new store."""
        manifests = self.manifests()
        return manifests[-1] if manifests else None

    def manifest(self, run_id: str) -> Manifest:
        for manifest in self.manifests():
            if manifest.run_id == run_id:
                return manifest
        raise StoreError(f"No finished run {run_id!r} in {self.root}; see `silobridge runs`.")

    def runs(self) -> pd.DataFrame:
        """One row per finished run: id, times, outcome, counts and table versions."""
        rows = []
        for m in self.manifests():
            row = {"seq": m.seq, "run_id": m.run_id}
            row.update({k: m.data.get(k) for k in ("started_at", "finished_at", "outcome")})
            row.update(
                {f"{k}": v for k, v in m.data.get("counts", {}).items() if not isinstance(v, dict)}
            )
            row.update({f"{k}_version": v for k, v in m.versions.items()})
            rows.append(row)
        return pd.DataFrame(rows)

    def committed_versions(self) -> dict[str, int]:
        """Table versions of the newest finished run (0, the empty table, before any run)."""
        last = self.last_run()
        versions = {name: 0 for name in schema.TABLES}
        if last is not None:
            versions.update(last.versions)
        return versions

    def current_versions(self) -> dict[str, int]:
        """The newest Delta version of each table, committed by a finished run or not."""
        return {name: DeltaTable(str(self.table_path(name))).version() for name in schema.TABLES}

    # ----------------------------------------------------------------------------- writing

    @contextlib.contextmanager
    def _hold(
        self,
        name: str,
        *,
        shared: bool = False,
        holder: str = "",
        busy: str,
        unnamed: str = "holder unknown",
    ) -> Iterator[None]:
        """An ``flock`` on the store's file ``name`` for the ``with`` block.

        Args:
            name: The lock file (``.lock``, ``.job.lock``).
            shared: A shared hold (several at once) instead of an exclusive one.
            holder: Who holds it ("run X"), written into the file for the next one to read.
            busy: The error when it is held elsewhere; ``{holder}`` becomes the holder's words,
                or ``unnamed`` when the holder wrote none (a shared hold).

        Raises:
            StoreLockedError: if another process holds it.
        """
        fd = os.open(self.root / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
            except BlockingIOError:
                held = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
                raise StoreLockedError(busy.format(holder=held or unnamed)) from None
            if holder:
                os.ftruncate(fd, 0)
                info = (
                    f"{holder}, pid {os.getpid()} on {socket.gethostname()}, "
                    f"since {_now():%Y-%m-%d %H:%M:%SZ}"
                )
                os.pwrite(fd, info.encode(), 0)
            yield
        finally:
            if holder:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock; a killed process releases it too

    @contextlib.contextmanager
    def job(self, job_id: str) -> Iterator[None]:
        """Hold the store for a whole job (``silobridge run``: every stage in turn).

        While it is held, no other process can write the store, not even between the job's
        stages; a job does not start while another process writes.

        Raises:
            StoreLockedError: if another job or run holds the store (who, in the message).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        busy = (
            f"The store {self.root} is in use by another silobridge job or run ({{holder}}). "
            "Wait for it to finish; jobs never share a store."
        )
        with self._hold(
            ".job.lock", holder=f"job {job_id}", busy=busy, unnamed="a single-stage run"
        ):
            _JOBS.add(self.root)
            try:
                yield
            finally:
                _JOBS.discard(self.root)

    @contextlib.contextmanager
    def writing(self, run_id: str) -> Iterator[StoreWriter]:
        """Hold the store's write lock for a run and roll back what a crashed run left.

        Outside a job of this process, the run also holds the job lock (shared), so that no
        job starts or runs while it writes.

        Raises:
            StoreLockedError: if another process is writing (its run id and pid in the message),
                or a job (:meth:`job`) of another process holds the store.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        in_job = (
            contextlib.nullcontext()
            if self.root in _JOBS
            else self._hold(
                ".job.lock",
                shared=True,
                busy=f"The store {self.root} is being written by a silobridge job ({{holder}}). "
                "Wait for it to finish.",
            )
        )
        busy = (
            f"The store {self.root} is being written by another run ({{holder}}). Wait for it "
            "to finish; runs never write a store at the same time."
        )
        with in_job, self._hold(".lock", holder=f"run {run_id}", busy=busy):
            self._create_missing()
            self._check_format()
            writer = StoreWriter(self, run_id)
            writer.rolled_back = self.recover()
            yield writer

    def recover(self) -> dict[str, tuple[int, int]]:
        """Roll every table back to the newest finished run's version.

        Only a writer holding the lock may call this. Returns ``{table: (from, to)}`` for the
        tables a crashed run had committed to.
        """
        rolled = {}
        for name, version in self.committed_versions().items():
            table = DeltaTable(str(self.table_path(name)))
            if table.version() > version:
                log.warning(
                    "A run did not finish: rolling %s back from version %d to %d",
                    name,
                    table.version(),
                    version,
                )
                rolled[name] = (table.version(), version)
                table.restore(
                    version,
                    commit_properties=CommitProperties(custom_metadata={"silobridge.recover": "1"}),
                )
        for stale in (self.root / "runs").glob(".tmp-*"):
            stale.unlink(missing_ok=True)
        return rolled


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
            .cast(table_schema)
        )
        new_keys = _keys(rows, name)
        replaced = pc.is_in(_keys(existing, name), value_set=new_keys)
        n_replaced = pc.sum(replaced).as_py() or 0
        commit = CommitProperties(custom_metadata={"silobridge.run_id": self.run_id})
        if n_replaced == 0:
            write_deltalake(path, rows, mode="append", commit_properties=commit)
        else:
            kept = existing.filter(pc.invert(replaced))
            listed = ", ".join(_sql_string(s) for s in sources)
            write_deltalake(
                path,
                pa.concat_tables([kept, rows]),
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
            if table.metadata().configuration != _retention_config(retention_days):
                table.alter.set_table_properties(
                    _retention_config(retention_days), raise_if_not_exists=False
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


def _retention_config(days: int) -> dict[str, str]:
    return {
        "delta.logRetentionDuration": f"interval {days} days",
        "delta.deletedFileRetentionDuration": f"interval {days} days",
    }


def new_run_id(now: datetime) -> str:
    """A run id: the start time (UTC, to the second) and a random suffix, sortable by time."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _now() -> datetime:
    return datetime.now(UTC)
