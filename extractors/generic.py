"""Generic CSV, JSON and JSON Lines exports, mapped to canonical records by configuration.

For the exports no vendor connector covers (a feedback form's CSV, an in-house tool's JSON
dump), the source's ``mapping`` option says which column holds which canonical field::

    [sources.feedback_form]
    connector = "csv"
    channel = "survey"
    [sources.feedback_form.options]
    mapping = { native_id = "Response ID", text = ["Subject", "Comment"], created_at = "Date" }

Three connectors share one record mapping:

* ``csv``: one record per data row after a single header row. The mapping is checked against the
  header before any row is read: a column that is not there is a :class:`ConfigError` listing the
  columns found, unless the header itself is damaged (bad bytes, a width that differs from the
  first row's, no row after it): then the file is one rejected record. Rows with the wrong
  number of cells are rejected (``row 4 (line 6)``). ``.tsv`` files need ``delimiter = "\\t"``.
* ``json``: the elements of the top-level array, or of the array at ``records_path``
  (``"data.items"``); a top-level object without ``records_path`` is one record. A truncated or
  broken document keeps every record but the damaged ones (``record 3 (line 17)``).
* ``jsonl``: one JSON object per line (``line 5``).

Mapping keys are ``native_id``, ``text`` (a column, or a list of columns joined with newlines),
``title``, ``created_at``, ``updated_at``, ``account``, ``function``, ``channel``, ``speaker`` and
``role``; only ``text`` is required. In JSON a dotted value addresses a nested field
(``"author.name"``); a key that itself contains the dots wins. A JSON record that lacks the
mapped ``text`` (all of its columns) or ``native_id`` field is rejected, the other fields are
then ``None``. Quirks:

* ``native_id`` unmapped: the id is a hash of the record's cleaned text and ``created_at``, so a
  re-export of the same row is the same record, but a row whose text was edited counts as a new
  record (and the old one stays).
* ``function`` and ``channel`` values pass through as written; the ingest stage validates and
  normalises them. Without a ``channel`` column the source's ``channel`` setting applies.
* ``speaker``/``role`` mapped: the record also gets one :class:`Part` with that speaker; role
  words such as ``agent``/``admin`` read as internal, ``end-user``/``contact`` as customer.
* ``metadata_columns=None`` puts every unmapped column in ``metadata`` (CSV: the non-empty ones;
  JSON: the top-level fields with a scalar or list-of-scalars value that no mapping reaches
  into); a list names exactly the columns to keep (dotted paths allowed in JSON), ``[]`` none.
* Text is cleaned (:func:`clean_text`), not converted from HTML or Markdown.

Timestamps go through :func:`parse_timestamp` (ISO 8601, epoch seconds/ms, free-form dates read
in ``tz``, ``dayfirst`` for ``01/02/2026`` = 1 February). The container quirks (invalid bytes,
truncated JSON) are those of :mod:`.files`; see formats.md §0 for why timestamps and ids are
never assumed to have one type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ._mapping import BAD_INPUT, FieldMapping, Lookup, is_flat, reject_reason
from ._mapping import MAPPING_KEYS as MAPPING_KEYS  # re-exported
from .base import Record, Rejected, Skipped
from .csv_rows import CsvRow, iter_csv_rows, read_row_at
from .files import (
    BadFile,
    clip_raw,
    guard_file,
    guard_record,
    iter_json_records,
    iter_jsonl,
    json_raw,
    read_text,
    undecodable_reason,
)
from .registry import connector
from .values import kind_of

# --- CSV ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CsvFile:
    """One CSV file being read: where it is, its text, and how to read it."""

    where: str
    text: str
    encoding: str
    delimiter: str


@connector("csv", formats=("csv", "tsv"), layout="files")
def read_csv(
    path: Path,
    *,
    mapping: dict[str, str | list[str]] | None = None,
    metadata_columns: list[str] | None = None,
    tz: str = "UTC",
    dayfirst: bool = False,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Iterator[Record | Rejected | Skipped]:
    """Read any CSV export, one record per row, mapped to canonical fields by ``mapping``.

    Args:
        path: The CSV file.
        mapping: Canonical field → column name (``text`` may be a list of columns); required.
        metadata_columns: Columns kept in ``metadata``; ``None`` for every unmapped column.
        tz: IANA zone of timestamps written without one.
        dayfirst: Read ``01/02/2026`` as 1 February.
        encoding: The file's encoding when it has no byte-order mark.
        delimiter: The cell separator (``"\\t"`` for TSV, ``";"`` for European Excel).

    Raises:
        ConfigError: if the options are invalid, or the mapping names a column the header lacks.

    Examples:
        >>> records = read_csv(Path("feedback.csv"), mapping={"text": "Comment"})  # doctest: +SKIP
    """
    spec = FieldMapping.from_options("csv", mapping, metadata_columns, tz, dayfirst)
    _check_delimiter(delimiter)
    where = str(path)
    try:
        text = read_text(path, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return
    file = _CsvFile(where, text, encoding, delimiter)
    yield from guard_file(where, _csv_records(spec, file))


def _csv_records(spec: FieldMapping, file: _CsvFile) -> Iterator[Record | Rejected]:
    """The records of one CSV file, each row converted behind its own guard."""
    index: dict[str, int] = {}
    keep: list[str] = []
    for item in iter_csv_rows(file.text, file.where, delimiter=file.delimiter):
        if isinstance(item, Rejected):
            yield item
        elif isinstance(item, CsvRow):
            yield guard_record(
                file.where,
                item.locator,
                partial(_csv_row, spec, item, index, keep, file),
                item.raw,
            )
        else:
            _, rows, header_text = item
            header = [h.strip() for h in rows[0]]
            damage = _check_header(spec, header, header_text, file)
            if damage is not None:
                # A damaged header is a bad file, not a wrong mapping: reject the file (its
                # rows cannot be mapped) rather than stop the run.
                yield Rejected(file.where, "file", damage, clip_raw(file.text))
                return
            index.update(_header_index(header))
            keep.extend(_csv_metadata_columns(spec, index))


def _check_delimiter(delimiter: Any) -> None:
    """Refuse a ``delimiter`` option that is not one character."""
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ConfigError(
            f"'delimiter' must be one character (',', ';' or '\\t'); got {delimiter!r}.",
            key="options.delimiter",
        )


def _check_header(
    spec: FieldMapping, header: list[str], header_text: str, file: _CsvFile
) -> str | None:
    """Check the header against the options before any row is read.

    Returns:
        ``None`` if every column the options name is there; else why the header looks damaged
        (the file is then one rejected record).

    Raises:
        ConfigError: if the header looks sound but lacks a column the options name.
    """
    missing = _missing_column(spec, header)
    if missing is None:
        return None
    damage = _header_damage(file, header, header_text, missing[1])
    if damage is None:
        raise _header_error(missing, header, file.where, file.delimiter)
    return damage


def _header_index(header: list[str]) -> dict[str, int]:
    """Column name → position of its first occurrence in the header."""
    index: dict[str, int] = {}
    for i, name in enumerate(header):
        index.setdefault(name, i)
    return index


def _csv_metadata_columns(spec: FieldMapping, index: dict[str, int]) -> list[str]:
    """The columns kept in ``metadata``: those configured, else every named unmapped one."""
    if spec.metadata_columns is None:
        return [h for h in index if h and h not in spec.mapped]
    return list(spec.metadata_columns)


def _csv_row(
    spec: FieldMapping,
    row: CsvRow,
    index: dict[str, int],
    keep: list[str],
    file: _CsvFile,
) -> Record | Rejected:
    """One data row as a :class:`Record`, or rejected with the reason it cannot be mapped."""
    cells, locator, raw = row.cells, row.locator, row.raw
    reason = undecodable_reason(raw, file.encoding)
    if reason:
        return Rejected(file.where, locator, reason, clip_raw(raw))
    try:
        metadata = {c: cells[index[c]].strip() for c in keep if cells[index[c]].strip()}
        return spec.to_record(
            _row_lookup(index, cells),
            metadata,
            path=file.where,
            locator=locator,
            raw=raw,
        )
    except BAD_INPUT as e:
        return Rejected(file.where, locator, reject_reason(e), clip_raw(raw))


def _row_lookup(index: dict[str, int], cells: list[str]) -> Lookup:
    # The header was checked against the mapping, so every mapped column is in the row.
    return lambda column: (True, cells[index[column]])


def _missing_column(spec: FieldMapping, header: list[str]) -> tuple[str, str] | None:
    """The first ``(option, column)`` the options name that the header lacks."""
    present = set(header)
    wanted = [(f"mapping.{key}", c) for key, cols in spec.columns.items() for c in cols]
    wanted += [("metadata_columns", c) for c in spec.metadata_columns or ()]
    return next(((key, column) for key, column in wanted if column not in present), None)


def _header_damage(file: _CsvFile, header: list[str], header_text: str, column: str) -> str | None:
    """Why a header that lacks a mapped column looks damaged rather than mis-mapped, if it does."""
    bad_bytes = undecodable_reason(header_text, file.encoding)
    if bad_bytes:
        return f"header row: {bad_bytes}"
    first_row = read_row_at(file.text, len(header_text), file.delimiter)
    if first_row is None:
        return f"header has no column {column!r} and no row follows it"
    if len(first_row) != len(header):
        return (
            f"damaged header: {len(header)} columns, but the first row has {len(first_row)} cells"
        )
    return None


def _header_error(
    missing: tuple[str, str], header: list[str], path: str, delimiter: str
) -> ConfigError:
    key, column = missing
    found = ", ".join(repr(h) for h in header if h) or "none"
    hint = ""
    if len(header) == 1 and any(d in header[0] for d in ",;\t|" if d != delimiter):
        hint = " Only one column was found: is the 'delimiter' option right?"
    return ConfigError(
        f"{key} names column {column!r}, which is not in the header of {path}. "
        f"Columns found: {found}.{hint}",
        key=f"options.{key}",
    )


# --- JSON and JSON Lines -----------------------------------------------------------------------


@connector("json", formats=("json",), layout="files")
def read_json(
    path: Path,
    *,
    mapping: dict[str, str | list[str]] | None = None,
    metadata_columns: list[str] | None = None,
    tz: str = "UTC",
    dayfirst: bool = False,
    encoding: str = "utf-8",
    records_path: str | None = None,
) -> Iterator[Record | Rejected | Skipped]:
    """Read any JSON export (an array of objects), mapped to canonical fields by ``mapping``.

    Args:
        path: The JSON file.
        mapping: Canonical field → field name, dotted for nested fields (``"author.name"``);
            ``text`` may be a list. Required.
        metadata_columns: Fields kept in ``metadata``; ``None`` for every unmapped top-level
            field with a scalar or list-of-scalars value.
        tz: IANA zone of timestamps written without one.
        dayfirst: Read ``01/02/2026`` as 1 February.
        encoding: The file's encoding when it has no byte-order mark.
        records_path: Dotted path to the records array (``"data.items"``); ``None`` for a
            top-level array.

    Raises:
        ConfigError: if the options are invalid.
    """
    spec = FieldMapping.from_options("json", mapping, metadata_columns, tz, dayfirst)
    if records_path is not None and (not isinstance(records_path, str) or not records_path):
        raise ConfigError(
            f"'records_path' must be a dotted path such as 'data.items'; got {records_path!r}.",
            key="options.records_path",
        )
    yield from _read_json_like(path, spec, encoding, records_path, lines=False)


@connector("jsonl", formats=("jsonl", "ndjson"), layout="files")
def read_jsonl(
    path: Path,
    *,
    mapping: dict[str, str | list[str]] | None = None,
    metadata_columns: list[str] | None = None,
    tz: str = "UTC",
    dayfirst: bool = False,
    encoding: str = "utf-8",
) -> Iterator[Record | Rejected | Skipped]:
    """Read any JSON Lines export (one object per line), mapped to canonical fields by ``mapping``.

    Args:
        path: The JSON Lines file.
        mapping: Canonical field → field name, dotted for nested fields; required.
        metadata_columns: Fields kept in ``metadata``; ``None`` for every unmapped top-level
            field with a scalar or list-of-scalars value.
        tz: IANA zone of timestamps written without one.
        dayfirst: Read ``01/02/2026`` as 1 February.
        encoding: The file's encoding when it has no byte-order mark.

    Raises:
        ConfigError: if the options are invalid.
    """
    spec = FieldMapping.from_options("jsonl", mapping, metadata_columns, tz, dayfirst)
    yield from _read_json_like(path, spec, encoding, None, lines=True)


def _read_json_like(
    path: Path, spec: FieldMapping, encoding: str, records_path: str | None, *, lines: bool
) -> Iterator[Record | Rejected | Skipped]:
    where = str(path)
    try:
        text = read_text(path, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return
    items = (
        iter_jsonl(text, where) if lines else iter_json_records(text, where, array_key=records_path)
    )
    # Top-level fields a mapping reads or reaches into stay out of the catch-all metadata.
    tops = spec.mapped | {c.split(".", 1)[0] for c in spec.mapped}
    for item in guard_file(where, items):
        if isinstance(item, Rejected):
            yield item
            continue
        locator, obj = item
        raw = json_raw(where, locator, obj, encoding)
        if isinstance(raw, Rejected):
            yield raw
            continue
        if not isinstance(obj, dict):
            yield Rejected(
                where, locator, f"record is not a JSON object (got {kind_of(obj)})", clip_raw(raw)
            )
            continue
        yield guard_record(
            where, locator, partial(_json_record, spec, obj, where, locator, raw, tops), raw
        )


def _json_record(
    spec: FieldMapping, obj: dict[str, Any], where: str, locator: str, raw: str, tops: set[str]
) -> Record | Rejected:
    """One JSON record as a :class:`Record`, or rejected with the reason it cannot be mapped."""
    try:
        metadata = _json_metadata(obj, spec.metadata_columns, tops)
        return spec.to_record(partial(_dig, obj), metadata, path=where, locator=locator, raw=raw)
    except BAD_INPUT as e:
        return Rejected(where, locator, reject_reason(e), clip_raw(raw))


def _dig(obj: dict[str, Any], column: str) -> tuple[bool, Any]:
    """``(found, value)`` of a field; a literal key wins over a dotted path."""
    if column in obj:
        return True, obj[column]
    value: Any = obj
    for key in column.split("."):
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def _json_metadata(
    obj: dict[str, Any], columns: tuple[str, ...] | None, mapped_tops: set[str]
) -> dict[str, Any]:
    if columns is not None:
        metadata = {}
        for column in columns:
            found, value = _dig(obj, column)
            if found and value is not None:
                metadata[column] = value
        return metadata
    return {
        key: value
        for key, value in obj.items()
        if key not in mapped_tops and value is not None and is_flat(value)
    }
