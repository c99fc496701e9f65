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
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
from deltalake import CommitProperties, DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from ...errors import StoreError, StoreLockedError
from . import schema
from .cache import EmbeddingCache
from .writer import (
    DEFAULT_RETENTION_DAYS,
    Manifest,
    StoreWriter,
    retention_config,
    write_json_atomic,
)

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MARKER = "silobridge-store.json"
_MANIFEST = re.compile(r"^(\d{6})-(.+)\.json$")
#: Stores whose job lock this process holds (its own stage runs then need not wait for it).
_JOBS: set[Path] = set()


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
                    configuration=retention_config(retention_days),
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


def new_run_id(now: datetime) -> str:
    """A run id: the start time (UTC, to the second) and a random suffix, sortable by time."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _now() -> datetime:
    return datetime.now(UTC)
