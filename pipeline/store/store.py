"""The silobridge store: Delta Lake tables plus run manifests, in one folder.

Layout::

    STORE/
      silobridge-store.json   format marker
      items/                  Delta table: one row per source record (docs/schema.md)
      quarantine/             Delta table: every rejected record, with path:locator: reason
      files/                  Delta table: which export files were read, by content hash
      runs/000007-<run_id>.json   one manifest per finished run, written last
      .lock                   held (flock) by the run that is writing; names it while held
      .job.lock               held by a job (``silobridge run``) for its whole length, or
                              shared by a single-stage run; a job names itself in it

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
import errno
import fcntl
import json
import logging
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads
from deltalake import CommitProperties, DeltaTable, Field
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
RUN_LOCK, JOB_LOCK = ".lock", ".job.lock"
#: How long a refused run waits for the lock's holder to have written its name (a holder
#: writes it right after taking the lock, and clears it right before letting go).
_HOLDER_WAIT_S = 1.0
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
            StoreError: if there is no store at ``path`` (and ``create`` is false), ``path`` is a
                file or the folder holds something else, or (``create``) the store cannot be
                written: read-only, no space left (the message names the path).
        """
        root = cls.check_folder(path)
        marker = root / MARKER
        try:
            if not marker.exists():
                if not create:
                    raise StoreError(_missing(root))
                _check_empty(root)
                root.mkdir(parents=True, exist_ok=True)
            store = cls(root)
            if create:
                store._create_missing()
            else:
                store._check_format()
        except OSError as e:
            raise store_error(e, root, writing=create) from e
        return store

    @staticmethod
    def check_folder(path: str | os.PathLike[str]) -> Path:
        """``path`` as a store's folder (absolute), whether or not a store is there yet.

        Raises:
            StoreError: if ``path``, or a folder above it, is a file.
        """
        root = Path(path).expanduser().resolve()
        blocker = _file_in_the_way(root)
        if blocker == root:
            raise StoreError(f"{root} is a file, not a store folder. Pass a folder as the store.")
        if blocker is not None:
            raise StoreError(f"{blocker} is a file, so {root} cannot be a store folder.")
        return root

    @classmethod
    def preflight(
        cls, path: str | os.PathLike[str], *, create: bool = False, write: bool = True
    ) -> Path:
        """Fail now, before any slow work, where a run could not write the store at ``path``.

        A command calls this before it loads models or reads exports; the run itself checks
        the same again when it takes the lock (nothing is held between the two).

        Args:
            path: The store's folder.
            create: The run creates the store when there is none (``ingest``, ``label import``).
            write: The run writes the store's folder (``False``: it only needs that no job or
                run of another process writes it, as a report written elsewhere).

        Returns:
            The store's folder, absolute.

        Raises:
            StoreError: if ``path`` is a file, there is no store there (and not ``create``), or
                it cannot be written (read-only, permission denied).
            StoreLockedError: if a job or a run of another process holds the store (named).
        """
        root = cls.check_folder(path)
        if not create:
            cls.open(root)
        if not root.exists():
            if write:
                above = next(p for p in root.parents if p.exists())
                if not os.access(above, os.W_OK | os.X_OK):
                    raise StoreError(
                        f"Cannot create the store at {root}: {above} is read-only "
                        f"({_why_read_only(above)})."
                    )
            return root
        _check_empty(root)
        store = cls(root)
        if root in _JOBS:  # this process's job holds the store: its runs may write
            return root
        with (
            store._hold(JOB_LOCK, shared=True, busy=_job_busy(root), probe=not write),
            store._hold(RUN_LOCK, shared=True, busy=_run_busy(root), probe=not write),
        ):
            pass
        return root

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
        try:
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
        except (OSError, DeltaError) as e:
            if os_errno(e) is None:
                raise
            raise store_error(e, self.root) from e

    def _add_new_columns(self) -> None:
        """Give the tables of a store written by an older silobridge the columns added since
        (nullable, ``null`` in the old rows): one Delta commit per table that lacks some. Runs
        after :meth:`recover` under the write lock; a crashed run's additions are rolled back
        and made again by the next writer."""
        for name, table_schema in schema.TABLES.items():
            path = str(self.table_path(name))
            if not DeltaTable.is_deltatable(path):
                continue
            table = DeltaTable(path)
            have = {f.name for f in table.schema().fields}
            missing = [f for f in table_schema if f.name not in have]
            if missing:
                table.alter.add_columns([Field.from_arrow(f.with_nullable(True)) for f in missing])
                log.info("%s: added the column(s) %s", name, ", ".join(f.name for f in missing))

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
        # columns added by a newer silobridge than wrote this version read as nulls
        have = {f.name for f in table.schema().fields}
        added = [c for c in columns or () if c not in have and c in schema.TABLES[name].names]
        try:
            read = table.to_pyarrow_table(
                columns=[c for c in columns if c not in added] if columns else None
            )
        except (OSError, DeltaError) as e:  # data files of a vacuumed version are gone
            raise StoreError(
                f"Cannot read version {table.version()} of {name}: its data files were vacuumed "
                "(they are kept for [store] retention_days after they stop being current)."
            ) from e
        if not added:
            return read
        target = schema.TABLES[name]
        for column in added:
            field = target.field(column)
            read = read.append_column(
                field.with_nullable(True), pa.nulls(read.num_rows, field.type)
            )
        return read.select(columns)

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

    def holder(self) -> str | None:
        """Who holds the store now, in the words of the lock files ("job J, pid P on host H,
        since T" or "run R, ..."), or ``None`` when no job or run of any process holds it."""
        for name in (JOB_LOCK, RUN_LOCK):
            try:
                with self._hold(name, shared=True, busy="{holder}", probe=True):
                    pass
            except StoreLockedError as e:
                return str(e)
        return None

    def _open_lock(self, name: str, *, probe: bool) -> int | None:
        """The lock file ``name`` opened for a hold (created), or for a probe (read only;
        ``None`` when there is no such file: nothing holds it)."""
        path = self.root / name
        try:
            if probe:
                return os.open(path, os.O_RDONLY)
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except FileNotFoundError:
            if probe:
                return None
            raise StoreError(f"{self.root} does not exist (it was removed?).") from None
        except OSError as e:
            raise store_error(e, self.root, writing=not probe) from e

    @contextlib.contextmanager
    def _hold(
        self,
        name: str,
        *,
        shared: bool = False,
        holder: str = "",
        busy: str,
        unnamed: str = "holder unknown",
        probe: bool = False,
    ) -> Iterator[None]:
        """An ``flock`` on the store's file ``name`` for the ``with`` block.

        An exclusive holder writes who it is into the file (``holder``, pid, host, since) right
        after taking it and clears it right before letting go; a shared holder writes nothing
        (it clears what a killed exclusive holder left). A refused caller reads the holder's
        words, waiting up to a second for them; for the job lock held shared (a single-stage
        run), it names the run that holds the run lock.

        Args:
            name: The lock file (``.lock``, ``.job.lock``).
            shared: A shared hold (several at once) instead of an exclusive one.
            holder: Who holds it ("run X"), written into the file for the next one to read.
            busy: The error when it is held elsewhere; ``{holder}`` becomes the holder's words,
                or ``unnamed`` when the holder wrote none.
            probe: Only check that nobody else holds it (read only: a read-only store can be
                probed; no file, no holder).

        Raises:
            StoreLockedError: if another process holds it.
            StoreError: if the lock file cannot be written (read-only store, no space left).
        """
        fd = self._open_lock(name, probe=probe)
        if fd is None:
            yield
            return
        wrote = False
        try:
            self._flock(fd, name, shared=shared, busy=busy, unnamed=unnamed)
            try:
                if holder:
                    info = (
                        f"{holder}, pid {os.getpid()} on host {socket.gethostname()}, "
                        f"since {_now():%Y-%m-%d %H:%M:%SZ}"
                    ).encode()
                    os.pwrite(fd, info, 0)  # over what a killed holder left, then cut to size
                    os.ftruncate(fd, len(info))
                    wrote = True
                elif not probe and os.fstat(fd).st_size:
                    os.ftruncate(fd, 0)  # held shared: no exclusive holder, the words are stale
            except OSError as e:
                raise store_error(e, self.root) from e
            yield
        finally:
            if wrote:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
            os.close(fd)  # closing releases the flock; a killed process releases it too

    def _flock(self, fd: int, name: str, *, shared: bool, busy: str, unnamed: str) -> None:
        deadline = time.monotonic() + _HOLDER_WAIT_S
        while True:
            try:
                fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                held = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
                if not held and name == JOB_LOCK:
                    held = self._run_holder()  # a single-stage run holds the job lock shared
                if held or time.monotonic() >= deadline:
                    raise StoreLockedError(busy.format(holder=held or unnamed)) from None
                time.sleep(0.02)  # its holder is writing (or clearing) its name

    def _run_holder(self) -> str:
        """The words of the run that holds the run lock now ("" when none holds it)."""
        try:
            fd = os.open(self.root / RUN_LOCK, os.O_RDONLY)
        except OSError:
            return ""
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return os.pread(fd, 4096, 0).decode("utf-8", "replace").strip()
            return ""  # nobody holds it: what the file says is stale
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def job(self, job_id: str) -> Iterator[None]:
        """Hold the store for a whole job (``silobridge run``: every stage in turn).

        While it is held, no other process can write the store, not even between the job's
        stages; a job does not start while another process writes. The lock file names the
        job ("job J, pid P on host H, since T") for whoever is refused.

        Raises:
            StoreLockedError: if another job or run holds the store (who, in the message).
            StoreError: if the store's folder is a file or cannot be written.
        """
        self.root = self.check_folder(self.root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise store_error(e, self.root) from e
        with self._hold(
            JOB_LOCK,
            holder=f"job {job_id}",
            busy=_job_refused(self.root),
            unnamed="a single-stage run",
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
        job starts or runs while it writes. An OS error of the store's files in the ``with``
        block (read-only, no space left on device) comes out as a :class:`StoreError` that
        names the store.

        Raises:
            StoreLockedError: if another process is writing (its run id and pid in the message),
                or a job (:meth:`job`) of another process holds the store (its job id and pid).
            StoreError: if the store cannot be written.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise store_error(e, self.root) from e
        in_job = (
            contextlib.nullcontext()
            if self.root in _JOBS
            else self._hold(JOB_LOCK, shared=True, busy=_job_busy(self.root))
        )
        try:
            with in_job, self._hold(RUN_LOCK, holder=f"run {run_id}", busy=_run_busy(self.root)):
                self._create_missing()
                self._check_format()
                writer = StoreWriter(self, run_id)
                writer.rolled_back = self.recover()
                self._add_new_columns()
                yield writer
        except (OSError, DeltaError) as e:
            if not _concerns(e, self.root):
                raise
            raise store_error(e, self.root) from e

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


# --------------------------------------------------------------------------------- errors

_READ_ONLY = {
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
_NO_SPACE = {errno.ENOSPC: "No space left on device", errno.EDQUOT: "Disk quota exceeded"}
#: How Delta Lake (Rust) words the OS error under its own: "... (os error 28)".
_RUST_OS_ERROR = re.compile(r"\(os error (\d+)\)")


def _missing(root: Path) -> str:
    return (
        f"No silobridge store at {root}. Run `silobridge ingest` to create one, or pass "
        "create=True."
    )


def _check_empty(root: Path) -> None:
    """Refuse to make a store of a folder that holds something else."""
    if (root / MARKER).exists() or not root.exists():
        return
    if any(p.name not in (RUN_LOCK, JOB_LOCK) for p in root.iterdir()):
        raise StoreError(f"{root} exists and is not a silobridge store; choose an empty folder.")


def _job_busy(root: Path) -> str:
    """A run refused by a job of another process (``{holder}``: the job's words)."""
    return (
        f"The store {root} is being written by a silobridge job ({{holder}}). Wait for it to "
        "finish."
    )


def _job_refused(root: Path) -> str:
    """A job refused by another job or run."""
    return (
        f"The store {root} is in use by another silobridge job or run ({{holder}}). Wait for it "
        "to finish; jobs never share a store."
    )


def _run_busy(root: Path) -> str:
    """A run refused by another run."""
    return (
        f"The store {root} is being written by another run ({{holder}}). Wait for it to finish; "
        "runs never write a store at the same time."
    )


def _file_in_the_way(path: Path) -> Path | None:
    """``path`` or the folder above it that is a file, if one is (nothing that does not exist)."""
    for p in (path, *path.parents):
        try:
            if p.exists():
                return None if p.is_dir() else p
        except OSError:  # not even allowed to look: not a file in the way
            return None
    return None


def _why_read_only(path: Path) -> str:
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return _READ_ONLY[errno.EROFS]
    except OSError:
        pass
    return _READ_ONLY[errno.EACCES]


def os_errno(error: BaseException) -> int | None:
    """The ``errno`` of an OS error, also of one that Delta Lake wraps ("... (os error 13)")."""
    if isinstance(error, OSError) and error.errno is not None:
        return error.errno
    found = _RUST_OS_ERROR.search(str(error))
    return int(found.group(1)) if found else None


def _filename(error: BaseException) -> Path | None:
    name = getattr(error, "filename", None)
    return Path(os.fsdecode(name)) if isinstance(name, str | bytes) and name else None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _concerns(error: BaseException, root: Path) -> bool:
    """Whether an OS error met during a run is one of the store's files failing to be written
    (not, say, an export that cannot be read): read-only, permission denied or no space."""
    code = os_errno(error)
    if code not in _READ_ONLY and code not in _NO_SPACE:
        return False
    path = _filename(error)
    if path is not None:
        return _inside(path, root)
    # Delta Lake's errors (the store's tables) and a full disk name no file of their own
    return isinstance(error, DeltaError) or code in _NO_SPACE or str(root) in str(error)


def describe_os_error(
    error: BaseException, store: Path | None = None, *, writing: bool | None = True
) -> str | None:
    """One line that says what an OS error means for the user, naming the path and no
    content: ``None`` when ``error`` is no OS error (nor one that Delta Lake wraps).

    Args:
        error: The error.
        store: The store being used, if any: errors of its files name the store.
        writing: The error was met writing (``False``: reading; ``None``: not known).
    """
    code = os_errno(error)
    if code is None:
        return None
    path = _filename(error)
    in_store = store is not None and (path is None or _inside(path, store))
    target = path or store
    where = f" {target}" if target is not None else ""
    if code in _READ_ONLY:
        why = _READ_ONLY[code]
        if in_store and (writing or code == errno.EROFS):
            return f"Cannot write the store at {store}: it is read-only ({why})."
        verb = {True: "write", False: "read", None: "read or write"}[writing]
        return f"Cannot {verb}{where}: {why}."
    if code in _NO_SPACE:
        return f"{_NO_SPACE[code]} while writing{where}."
    if code == errno.ENOTDIR and target is not None:
        blocker = _file_in_the_way(target)
        if blocker is not None and blocker == store:
            return f"{store} is a file, not a store folder."
        if blocker is not None:
            return f"{blocker} is a file, not a folder."
    if code == errno.EISDIR:
        return f"{target} is a folder, not a file."
    if code == errno.ENOENT:
        return f"{target} does not exist." if target else "A file or folder does not exist."
    return f"{os.strerror(code)}:{where}." if where else f"{os.strerror(code)}."


def store_error(error: BaseException, root: Path, *, writing: bool = True) -> StoreError:
    """The :class:`StoreError` for an OS error of the store's files (its message names the
    store, never content); raise it ``from error``."""
    message = describe_os_error(error, root, writing=writing)
    return StoreError(message or f"The store at {root} failed: {type(error).__name__}.")
