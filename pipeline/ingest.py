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
are not read again (``full=True`` reads everything). A database source (layout ``database``) is
read from where its last run left off: its connector gets the state stored in ``files`` under the
source's ``sql:`` pseudo path (with unchanged settings, and unless ``full``) and yields the new
state last.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..config import SourceConfig
from ..errors import ConfigError, ConnectorError
from ..extractors.base import CHANNELS, ROLES, Part, Record, Rejected, Skipped, normalize_function
from ..extractors.files import clip_raw
from ..extractors.registry import Checkpoint, ConnectorSpec, get_connector, iter_input_files
from ..extractors.text import clean_text
from . import schema
from .store import Store, StoreWriter, new_run_id

log = logging.getLogger(__name__)

OnBadRecord = Literal["quarantine", "raise"]
_UNDECODABLE = re.compile(r"[\ud800-\udfff]")
_CHUNK = 5000  # rows buffered as Python dicts before they become an Arrow table


@dataclass
class SourceCounts:
    """What happened to one source's records in one run."""

    read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicate: int = 0
    quarantined: int = 0
    skipped: int = 0
    files_read: int = 0
    files_unchanged: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, other: SourceCounts) -> None:
        for name, value in asdict(other).items():
            if name == "skipped_reasons":
                self.skipped_reasons = dict(Counter(self.skipped_reasons) + Counter(value))
            else:
                setattr(self, name, getattr(self, name) + value)


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


ProgressFn = Callable[[str, int], None]


def ingest(
    sources: Sequence[SourceConfig],
    store: Store | str | Path,
    *,
    on_bad_record: OnBadRecord = "quarantine",
    full: bool = False,
    retention_days: int = 30,
    config_hash: str = "",
    run_id: str | None = None,
    progress: ProgressFn | None = None,
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

    Returns:
        The run's counts.

    Raises:
        StoreLockedError: if another run is writing the store.
        ConnectorError: with ``on_bad_record="raise"``, naming the first bad record.
        ConfigError: if a connector rejects its options.

    Examples:
        >>> from silobridge.config import load_config
        >>> config = load_config("silobridge.toml")                        # doctest: +SKIP
        >>> result = ingest(list(config.sources.values()), config.store_path)  # doctest: +SKIP
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
        files_state = _files_state(store)
        existing: dict[str, dict[str, tuple[datetime | None, str]]] | None = None
        results: dict[str, SourceCounts] = {}
        item_tables: list[pa.Table] = []
        quarantine_rows: list[dict[str, Any]] = []
        file_rows: list[dict[str, Any]] = []
        for source in sources:
            if not source.enabled:
                continue
            t0 = time.perf_counter()
            reader = _SourceRun(source, run_id, now, on_bad_record, progress)
            reader.run(files_state, full=full)
            if reader.has_records:
                if existing is None:  # read once, and only when some export changed
                    existing = _existing_items(store)
                item_tables.extend(reader.rows_to_write(existing.get(source.name, {})))
            quarantine_rows.extend(reader.quarantine_rows)
            file_rows.extend(reader.file_rows)
            reader.counts.seconds = round(time.perf_counter() - t0, 3)
            results[source.name] = reader.counts
            log.info("source %s: %s", source.name, _summary(reader.counts))
        result = IngestResult(run_id=run_id, store=store.root, sources=results)
        result.rolled_back = writer.rolled_back
        timings = _commit(writer, item_tables, quarantine_rows, file_rows, result)
        writer.vacuum(retention_days)
        result.seconds = time.perf_counter() - started
        totals = result.totals
        manifest = writer.commit(
            {
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
        )
        result.manifest_seq = manifest.seq
    return result


class _SourceRun:
    """Reads one source in one run and classifies its records against the store."""

    def __init__(
        self,
        source: SourceConfig,
        run_id: str,
        now: datetime,
        on_bad_record: OnBadRecord,
        progress: ProgressFn | None,
    ):
        self.source = source
        self.spec: ConnectorSpec = get_connector(source.connector)
        self.run_id = run_id
        self.now = now
        self.on_bad_record = on_bad_record
        self.progress = progress
        self.counts = SourceCounts()
        self.quarantine_rows: list[dict[str, Any]] = []
        self.file_rows: list[dict[str, Any]] = []
        # Rows are buffered in Arrow chunks; only (native_id, updated_at, hash) stay in Python.
        self._chunks: list[pa.Table] = []
        self._buffer: list[dict[str, Any]] = []
        self._keys: list[tuple[str, datetime | None, str]] = []
        self._skipped: Counter[str] = Counter()

    # ------------------------------------------------------------------------------ reading

    def run(self, files_state: dict[tuple[str, str], dict[str, Any]], *, full: bool) -> None:
        source = self.source
        if self.spec.layout == "database":
            self._run_database(files_state, full=full)
            self.counts.skipped_reasons = dict(sorted(self._skipped.items()))
            return
        if self.spec.layout == "files":
            units = iter_input_files(self.spec, source.path)
        else:
            units = [source.path]
        config_hash = source.config_hash()
        for unit in units:
            display = source.display_path(unit)
            fingerprint = _fingerprint(unit, self.spec)
            previous = files_state.get((source.name, display))
            if (
                not full
                and previous is not None
                and previous["config_hash"] == config_hash
                and previous["sha256"] == fingerprint["sha256"]
            ):
                self.counts.files_unchanged += 1
                continue
            records_before = self.counts.read
            self._read_unit((unit,), str(unit))
            self.counts.files_read += 1
            self.file_rows.append(
                {
                    "source_name": source.name,
                    "source_path": display,
                    **fingerprint,
                    "config_hash": config_hash,
                    "records": self.counts.read - records_before,
                    "run_id": self.run_id,
                    "read_at": self.now,
                }
            )
        self.counts.skipped_reasons = dict(sorted(self._skipped.items()))

    def _run_database(
        self, files_state: dict[tuple[str, str], dict[str, Any]], *, full: bool
    ) -> None:
        """Read a database source, from the state its last run stored (everything with ``full``)."""
        source = self.source
        where = str(source.path)  # a sql: pseudo path; the URL, password and all, stays out
        config_hash = source.config_hash()
        previous = files_state.get((source.name, where))
        state = None
        if not full and previous is not None and previous["config_hash"] == config_hash:
            state = previous["sha256"] or None
        records_before = self.counts.read
        checkpoint = self._read_unit((source.url, state), where)
        self.counts.files_read += 1
        if checkpoint is None:  # the read broke off: keep the last run's state
            return
        self.file_rows.append(
            {
                "source_name": source.name,
                "source_path": where,
                "size": 0,
                "mtime_ns": 0,
                "sha256": checkpoint.token or "",  # the cursor's high-water mark
                "config_hash": config_hash,
                "records": self.counts.read - records_before,
                "run_id": self.run_id,
                "read_at": self.now,
            }
        )

    def _read_unit(self, args: tuple[Any, ...], path: str) -> Checkpoint | None:
        """Run the connector on ``args``; ``path`` names what it reads in errors and logs."""
        options = self.source.options
        produced = 0
        checkpoint = None
        try:
            for out in self.spec.read(*args, **options):
                produced += 1
                if isinstance(out, Checkpoint):
                    checkpoint = out
                    continue
                if isinstance(out, Skipped):
                    self.counts.skipped += 1
                    self._skipped[out.reason] += 1
                    continue
                self.counts.read += 1
                if isinstance(out, Record):
                    row = _to_row(out, self.source, self.spec, self.run_id, self.now)
                    if isinstance(row, Rejected):
                        self._reject(row)
                    else:
                        self._add(row)
                elif isinstance(out, Rejected):
                    self._reject(out)
                else:
                    raise TypeError(f"connector yielded {type(out).__name__}")
                if self.progress and self.counts.read % 500 == 0:
                    self.progress(self.source.name, self.counts.read)
        except ConfigError as e:  # say which source's settings are wrong
            raise ConfigError(str(e), key=f"sources.{self.source.name}") from e
        except ConnectorError:
            raise
        except Exception as e:  # a connector bug must not lose the rest of the run
            # No traceback: exception messages can quote record content (personal data).
            # The raw records stay reproducible from the export and the quarantine row.
            log.error(
                "connector %s failed on %s (%s) after %d records",
                self.spec.name,
                self.source.display_path(Path(path)),
                type(e).__name__,
                produced,
            )
            self.counts.read += 1
            checkpoint = None
            unit = "rows" if self.spec.layout == "database" else "file"
            self._reject(
                Rejected(
                    path,
                    f"{unit}, after {produced} records",
                    f"connector {self.spec.name!r} failed ({type(e).__name__}); the rest of "
                    f"this {'read' if unit == 'rows' else 'file'} was not read. This is a bug: "
                    "please report it",
                )
            )
        if self.progress:
            self.progress(self.source.name, self.counts.read)
        return checkpoint

    def _reject(self, rejected: Rejected) -> None:
        path = self.source.display_path(Path(rejected.path)) if rejected.path else ""
        if self.on_bad_record == "raise":
            raise ConnectorError(rejected.reason, path=path, locator=rejected.locator)
        self.counts.quarantined += 1
        raw = clip_raw(rejected.raw or "")
        self.quarantine_rows.append(
            {
                "quarantine_id": _hash(
                    [self.source.name, path, rejected.locator, rejected.reason, raw]
                ),
                "source": self.spec.name,
                "source_name": self.source.name,
                "source_path": path,
                "locator": rejected.locator,
                "reason": rejected.reason,
                "raw": raw,
                "first_run_id": self.run_id,
                "last_run_id": self.run_id,
                "first_seen_at": self.now,
                "last_seen_at": self.now,
            }
        )

    def _add(self, row: dict[str, Any]) -> None:
        self._keys.append((row["native_id"], row["updated_at"], row["record_hash"]))
        self._buffer.append(row)
        if len(self._buffer) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self._chunks.append(pa.Table.from_pylist(self._buffer, schema=schema.ITEMS))
            self._buffer = []

    # ---------------------------------------------------------------------------- deciding

    @property
    def has_records(self) -> bool:
        return bool(self._keys)

    def rows_to_write(self, existing: dict[str, tuple[datetime | None, str]]) -> list[pa.Table]:
        """Classify the run's records against the stored ones; return the rows to write."""
        self._flush()
        # The newest occurrence of each native id in this run wins; ties go to the later one.
        winner: dict[str, int] = {}
        for position, (native_id, updated_at, _) in enumerate(self._keys):
            best = winner.get(native_id)
            if best is None or _ts(updated_at) >= _ts(self._keys[best][1]):
                winner[native_id] = position
        self.counts.duplicate += len(self._keys) - len(winner)
        keep = [False] * len(self._keys)
        for native_id, position in winner.items():
            _, updated_at, record_hash = self._keys[position]
            stored = existing.get(native_id)
            if stored is None:
                self.counts.new += 1
                keep[position] = True
            elif stored[1] == record_hash or _ts(updated_at) < _ts(stored[0]):
                self.counts.unchanged += 1  # identical, or an older version of a stored record
            else:
                self.counts.updated += 1
                keep[position] = True
        tables, offset = [], 0
        for chunk in self._chunks:
            mask = pa.array(keep[offset : offset + chunk.num_rows], type=pa.bool_())
            offset += chunk.num_rows
            if pc.any(mask).as_py():
                tables.append(chunk.filter(mask))
        self._chunks = []
        return tables


def _to_row(
    record: Record, source: SourceConfig, spec: ConnectorSpec, run_id: str, now: datetime
) -> dict[str, Any] | Rejected:
    """Validate and normalise a connector's record into an ``items`` row."""
    path = record.path

    def reject(reason: str) -> Rejected:
        return Rejected(path, record.locator, reason, record.raw)

    native_id = str(record.native_id or "").strip()
    if not native_id:
        return reject("missing native id")
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(record.parts or []):
        if not isinstance(part, Part):
            return reject(f"part {i + 1} is not a Part")
        if part.role not in ROLES:
            return reject(f"part {i + 1}: role {part.role!r} is not one of {', '.join(ROLES)}")
        if part.timestamp is not None and part.timestamp.tzinfo is None:
            return reject(f"part {i + 1}: timestamp has no time zone")
        text = clean_text(part.text or "")
        if text:
            parts.append(
                {
                    "speaker": part.speaker,
                    "role": part.role,
                    "timestamp": part.timestamp,
                    "text": text,
                }
            )
    text = clean_text(record.text or "") or "\n".join(p["text"] for p in parts)
    if not text:
        return reject("empty text")
    title = clean_text(record.title or "") or None
    try:
        function = normalize_function(record.function) or source.function
    except ValueError as e:
        return reject(str(e))
    channel = record.channel or source.channel or spec.channel
    if channel is None:
        return reject("no channel: set `channel` in the source's config or map a channel column")
    if channel not in CHANNELS:
        return reject(f"unknown channel {channel[:40]!r}; expected one of {', '.join(CHANNELS)}")
    for name in ("created_at", "updated_at"):
        value = getattr(record, name)
        if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
            return reject(f"{name}: not a timezone-aware timestamp")
    created_at = record.created_at.astimezone(UTC) if record.created_at else None
    updated_at = record.updated_at.astimezone(UTC) if record.updated_at else created_at
    account = str(record.account).strip() or None if record.account is not None else None
    try:
        metadata = json.dumps(
            record.metadata or {}, sort_keys=True, ensure_ascii=False, default=str
        )
    except (TypeError, ValueError):
        return reject("metadata is not JSON-serialisable")
    if any(_UNDECODABLE.search(s) for s in (text, title or "", account or "", metadata, native_id)):
        return reject("text holds bytes that are not valid in the file's encoding; set `encoding`")
    content = {
        "title": title,
        "text": text,
        "parts": parts,
        "account": account,
        "function": function,
        "channel": channel,
        "created_at": created_at,
        "updated_at": updated_at,
        "metadata": metadata,
    }
    return {
        "item_id": item_id(source.name, native_id),
        "source": spec.name,
        "source_name": source.name,
        "source_path": source.display_path(Path(path)) if path else "",
        "native_id": native_id,
        **content,
        "raw": clip_raw(record.raw or ""),
        "record_hash": _hash(content),
        "ingested_at": now,
        "run_id": run_id,
    }


def _commit(
    writer: StoreWriter,
    item_tables: list[pa.Table],
    quarantine_rows: list[dict[str, Any]],
    file_rows: list[dict[str, Any]],
    result: IngestResult,
) -> dict[str, float]:
    timings = {}
    t0 = time.perf_counter()
    if item_tables:
        writer.upsert("items", pa.concat_tables(item_tables))
    timings["commit_items"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    if quarantine_rows:
        rows = _unique(quarantine_rows, "quarantine_id")
        # A bad record met again keeps when it was first seen.
        seen = {
            (r["source_name"], r["quarantine_id"]): r
            for r in writer.store.read(
                "quarantine",
                columns=["source_name", "quarantine_id", "first_run_id", "first_seen_at"],
            ).to_pylist()
        }
        for row in rows:
            first = seen.get((row["source_name"], row["quarantine_id"]))
            if first is not None:
                row["first_run_id"], row["first_seen_at"] = (
                    first["first_run_id"],
                    first["first_seen_at"],
                )
        metrics = writer.upsert("quarantine", pa.Table.from_pylist(rows, schema=schema.QUARANTINE))
        result.quarantine_added = metrics["inserted"]
    timings["commit_quarantine"] = round(time.perf_counter() - t0, 3)
    if file_rows:
        rows = _unique(file_rows, "source_path")
        writer.upsert("files", pa.Table.from_pylist(rows, schema=schema.FILES))
    return timings


def _unique(rows: Iterable[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Last row per key: one row per key in a write."""
    by_key: dict[Any, dict[str, Any]] = {}
    for row in rows:
        by_key[(row.get("source_name"), row[key])] = row
    return list(by_key.values())


def _existing_items(store: Store) -> dict[str, dict[str, tuple[datetime | None, str]]]:
    """``{source_name: {native_id: (updated_at, record_hash)}}`` of the stored items."""
    table = store.read("items", columns=["source_name", "native_id", "updated_at", "record_hash"])
    existing: dict[str, dict[str, tuple[datetime | None, str]]] = {}
    for source_name, native_id, updated_at, record_hash in zip(
        table.column("source_name").to_pylist(),
        table.column("native_id").to_pylist(),
        table.column("updated_at").to_pylist(),
        table.column("record_hash").to_pylist(),
        strict=True,
    ):
        existing.setdefault(source_name, {})[native_id] = (updated_at, record_hash)
    return existing


def _files_state(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    table = store.read("files")
    return {(row["source_name"], row["source_path"]): row for row in table.to_pylist()}


def _fingerprint(unit: Path, spec: ConnectorSpec) -> dict[str, Any]:
    """Size, newest mtime and content hash of a file, or of all files under a folder.

    A database has none (its state is the cursor's mark): zeros and an empty hash.
    """
    if spec.layout == "database":
        return {"size": 0, "mtime_ns": 0, "sha256": ""}
    files = [unit] if unit.is_file() else sorted(p for p in unit.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    size = mtime = 0
    for path in files:
        stat = path.stat()
        size += stat.st_size
        mtime = max(mtime, stat.st_mtime_ns)
        if unit.is_dir():
            digest.update(path.relative_to(unit).as_posix().encode() + b"\0")
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
    return {"size": size, "mtime_ns": mtime, "sha256": digest.hexdigest()}


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("-inf")


def item_id(source_name: str, native_id: str) -> str:
    """An item's id: the same for the same record of the same source, whatever its content."""
    return _hash([source_name, native_id], 32)


def _hash(payload: Any, length: int = 32) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=_json_default)
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()[:length]


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _summary(counts: SourceCounts) -> str:
    return (
        f"read {counts.read}, new {counts.new}, updated {counts.updated}, unchanged "
        f"{counts.unchanged}, duplicate {counts.duplicate}, quarantined {counts.quarantined}, "
        f"skipped {counts.skipped}"
    )
