"""Ingest, one source: run its connector and turn each record into an ``items`` row, a
quarantine row or a count (see :mod:`.stage` for the run around it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ...config import SourceConfig
from ...errors import ConfigError, ConnectorError, mask_personal
from ...extractors.base import CHANNELS, ROLES, Part, Record, Rejected, Skipped, normalize_function
from ...extractors.files import BrokenOff, clip_raw
from ...extractors.registry import Checkpoint, ConnectorSpec, get_connector, iter_input_files
from ...extractors.text import clean_text
from ..store import schema

log = logging.getLogger(__name__)

OnBadRecord = Literal["quarantine", "raise"]
ProgressFn = Callable[[str, int], None]
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


class SourceRun:
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
        # Quarantine rows are buffered like items: a file of a million bad records must not
        # hold a million Python dicts.
        self._quarantine_buffer: list[dict[str, Any]] = []
        self._quarantine_chunks: list[pa.Table] = []
        self.file_rows: list[dict[str, Any]] = []
        # Rows are buffered in Arrow chunks; only (native_id, updated_at, hash) stay in Python.
        self._chunks: list[pa.Table] = []
        self._buffer: list[dict[str, Any]] = []
        self._rows = 0  # records buffered (rows of _buffer and _chunks)
        self._skipped: Counter[str] = Counter()
        self._broken = False  # the unit being read broke off (see _read_unit)
        self._shown: dict[str, str] = {}  # record path -> display path (resolving costs)

    def _display(self, path: str) -> str:
        """The display path of a record's ``path``: resolved once per file, not per record."""
        shown = self._shown.get(path)
        if shown is None:
            if len(self._shown) > 4096:
                self._shown.clear()
            shown = self._shown[path] = self.source.display_path(Path(path))
        return shown

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
            fingerprint = file_fingerprint(unit, self.spec)
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
            if self._broken:
                # Not marked as read: the next run reads it again (its records dedupe).
                log.warning(
                    "source %s: %s broke off; it will be read again next run",
                    source.name,
                    mask_personal(display),
                )
                continue
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
        """Run the connector on ``args``; ``path`` names what it reads in errors and logs.

        Sets ``_broken`` when the unit did not read to its end (a :class:`BrokenOff` rejection,
        or the connector raised): a file is then not marked as read.
        """
        options = self.source.options
        produced = 0
        checkpoint = None
        self._broken = False
        try:
            for yielded in self.spec.read(*args, **options):
                produced += 1
                if isinstance(yielded, Checkpoint):
                    checkpoint = yielded
                    continue
                out: dict[str, Any] | Rejected | Skipped | Record = (
                    self._row(yielded) if isinstance(yielded, Record) else yielded
                )  # a record becomes its items row, or why it is rejected or skipped
                if isinstance(out, Skipped):
                    self.counts.skipped += 1
                    self._skipped[out.reason] += 1
                    continue
                self.counts.read += 1
                if isinstance(out, dict):
                    self._add(out)
                elif isinstance(out, Rejected):  # from the connector or from _row
                    if isinstance(out, BrokenOff):
                        self._broken = True
                    self._reject(out)
                else:
                    raise TypeError(f"connector yielded {type(out).__name__}")
                if self.progress and self.counts.read % 500 == 0:
                    self.progress(self.source.name, self.counts.read)
        except ConfigError as e:  # say which source's settings are wrong
            if e.path:  # it already names its file
                raise
            raise ConfigError(
                str(e), path=self.source.config_path, key=f"sources.{self.source.name}"
            ) from e
        except ConnectorError:
            raise
        except Exception as e:  # a connector bug must not lose the rest of the run
            # No traceback: exception messages can quote record content (personal data).
            # The raw records stay reproducible from the export and the quarantine row.
            log.error(
                "connector %s failed on %s (%s) after %d records",
                self.spec.name,
                mask_personal(self.source.display_path(Path(path))),
                type(e).__name__,
                produced,
            )
            self.counts.read += 1
            checkpoint = None
            self._broken = True
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

    def _row(self, record: Record) -> dict[str, Any] | Rejected | Skipped:
        """The record's ``items`` row, its rejection, or why it is skipped (no text): one record
        never stops the file."""
        try:
            return _to_row(record, self.source, self.spec, self.run_id, self.now, self._display)
        except Exception as e:  # a record shaped like nothing _to_row expects
            path, locator = getattr(record, "path", ""), getattr(record, "locator", "")
            raw = record.raw if isinstance(getattr(record, "raw", None), str) else ""
            reason = f"cannot store record: unexpected {type(e).__name__} (a bug: please report it)"
            return Rejected(path if isinstance(path, str) else "", str(locator), reason, raw)

    def _reject(self, rejected: Rejected) -> None:
        path = self._display(rejected.path) if rejected.path else ""
        if self.on_bad_record == "raise":
            raise ConnectorError(rejected.reason, path=path, locator=rejected.locator)
        self.counts.quarantined += 1
        raw = clip_raw(rejected.raw or "")
        self._quarantine_buffer.append(
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
        if len(self._quarantine_buffer) >= _CHUNK:
            self._flush_quarantine()

    def _flush_quarantine(self) -> None:
        if self._quarantine_buffer:
            table = pa.Table.from_pylist(self._quarantine_buffer, schema=schema.QUARANTINE)
            self._quarantine_chunks.append(table)
            self._quarantine_buffer = []

    def quarantine_tables(self) -> list[pa.Table]:
        """The run's quarantine rows (possibly repeating a ``quarantine_id``), then forgets them."""
        self._flush_quarantine()
        tables, self._quarantine_chunks = self._quarantine_chunks, []
        return tables

    def _add(self, row: dict[str, Any]) -> None:
        self._rows += 1
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
        return self._rows > 0

    def native_ids(self) -> pa.Array:
        """The distinct native ids this run read (to look up only those in the store)."""
        self._flush()
        ids = [chunk for c in self._chunks for chunk in c.column("native_id").chunks]
        return pc.unique(pa.chunked_array(ids, type=pa.string()))

    def rows_to_write(self, existing: pa.Table) -> list[pa.Table]:
        """Classify the run's records against the stored ones; return the rows to write.

        ``existing`` holds the stored ``native_id``, ``updated_at`` and ``record_hash`` of (at
        least) the ids this run read. Decided in Arrow and pandas, not per record in Python:
        a file of 400,000 records costs a few columns, not 400,000 tuples and a dict.
        """
        self._flush()
        chunks, self._chunks = self._chunks, []
        if not chunks:
            return []
        columns = ["native_id", "updated_at", "record_hash"]
        run = pa.concat_tables([c.select(columns) for c in chunks]).to_pandas()
        run["position"] = np.arange(len(run))
        # the newest occurrence of each native id in this run wins; ties go to the later one
        run["ts"] = _micros(run["updated_at"])
        run = run.sort_values(["native_id", "ts", "position"], kind="stable")
        winners = run.drop_duplicates("native_id", keep="last")
        self.counts.duplicate += len(run) - len(winners)
        del run
        stored = existing.select(columns).to_pandas()
        stored = stored.rename(columns={"updated_at": "stored_at", "record_hash": "stored_hash"})
        decided = winners.merge(stored, on="native_id", how="left")
        new = decided["stored_hash"].isna().to_numpy()
        same = (decided["stored_hash"] == decided["record_hash"]).fillna(False).to_numpy()
        older = (decided["ts"] < _micros(decided["stored_at"])).to_numpy() & ~new
        unchanged = ~new & (same | older)  # identical, or an older version of a stored record
        self.counts.new += int(new.sum())
        self.counts.unchanged += int(unchanged.sum())
        self.counts.updated += int((~new & ~unchanged).sum())
        keep = np.zeros(sum(c.num_rows for c in chunks), dtype=bool)
        keep[decided["position"].to_numpy()[~unchanged]] = True
        del decided, winners, stored
        tables, offset = [], 0
        for chunk in chunks:
            part = keep[offset : offset + chunk.num_rows]
            offset += chunk.num_rows
            if part.all():
                tables.append(chunk)  # every row is written: no copy
            elif part.any():
                tables.append(chunk.filter(pa.array(part, type=pa.bool_())))
        self._rows = 0
        return tables


def _micros(values: pd.Series) -> np.ndarray:
    """Timestamps as integer microseconds since the epoch; a missing one as the smallest."""
    stamps = pd.to_datetime(values, utc=True).dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[us]").view(np.int64)  # NaT is int64's minimum


def _parts(record: Record) -> list[dict[str, Any]] | str:
    """The record's non-empty parts as ``items.parts`` rows, or why one is invalid."""
    parts: list[dict[str, Any]] = []
    for i, part in enumerate(record.parts or []):
        if not isinstance(part, Part):
            return f"part {i + 1} is not a Part"
        if part.role not in ROLES:
            return f"part {i + 1}: unknown role (expected one of {', '.join(ROLES)})"
        if part.timestamp is not None and part.timestamp.tzinfo is None:
            return f"part {i + 1}: timestamp has no time zone"
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
    return parts


#: Why a record with no text is skipped (not quarantined: nothing is wrong with it).
NO_TEXT = "no text (nothing to analyse)"


def _to_row(
    record: Record,
    source: SourceConfig,
    spec: ConnectorSpec,
    run_id: str,
    now: datetime,
    display: Callable[[str], str] | None = None,
) -> dict[str, Any] | Rejected | Skipped:
    """Validate and normalise a connector's record into an ``items`` row."""
    path = record.path

    def reject(reason: str) -> Rejected:
        return Rejected(path, record.locator, reason, record.raw)

    native_id = str(record.native_id or "").strip()
    if not native_id:
        return reject("missing native id")
    parts = _parts(record)
    if isinstance(parts, str):
        return reject(parts)
    text = clean_text(record.text or "") or "\n".join(p["text"] for p in parts)
    if not text:  # a survey answered with scores only, a note with no body: not an error
        return Skipped(path, record.locator, NO_TEXT)
    title = clean_text(record.title or "") or None
    try:
        function = normalize_function(record.function) or source.function
    except ValueError as e:
        return reject(str(e))
    channel = record.channel or source.channel or spec.channel
    if channel is None:
        return reject("no channel: set `channel` in the source's config or map a channel column")
    if channel not in CHANNELS:
        # The value is not quoted: a mapped channel column may hold anything (personal data).
        return reject(f"unknown channel (expected one of {', '.join(CHANNELS)})")
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
        "source_path": (display(path) if display else source.display_path(Path(path)))
        if path
        else "",
        "native_id": native_id,
        **content,
        "raw": clip_raw(record.raw or ""),
        "record_hash": _hash(content),
        "ingested_at": now,
        "run_id": run_id,
    }


def file_fingerprint(unit: Path, spec: ConnectorSpec) -> dict[str, Any]:
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
