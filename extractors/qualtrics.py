"""Qualtrics: the response CSV export, current (three header rows) or legacy (two).

Format [QX]:

* **Current** exports have three header rows. Row 1 names each column: the response fields
  ``StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds), Finished,
  RecordedDate, ResponseId, RecipientLastName, RecipientFirstName, RecipientEmail,
  ExternalReference, LocationLatitude, LocationLongitude, DistributionChannel, UserLanguage``,
  then question tags (``Q1``, ``Q2``, ``Q2 - Topics``) and embedded data. Row 2 holds the question
  texts in the account's language (German in the sample). Row 3 holds each column's stable key as
  JSON, ``{"ImportId":"QID2_TEXT"}``.
* **Legacy** exports have two: ``V1``...``V10`` plus tags, then labels (``ResponseID``,
  ``ResponseSet``, ``Name``, ``ExternalDataReference``, ``EmailAddress``, ``IPAddress``,
  ``Status``, ``StartDate``, ``EndDate``, ``Finished`` for ``V1``...``V10``), a trailing empty
  column and a UTF-8 byte-order mark. The reader tells the two apart by row 3 (ImportId JSON) and
  by ``V1``; a file whose second row is already a response (header rows deleted by hand) is read
  with one header row rather than losing that response.
* Dates read ``YYYY-MM-DD HH:MM:SS`` with no zone: they are read in ``tz``. ``Finished`` is 1/0
  (or True/False in choice-text exports); unfinished responses are kept with
  ``metadata["finished"] = False``. ``Status`` is kept as exported (its code table is
  unverified).

What goes where:

* **Text** is the respondent's typed answers only, one per line (customer parts), without the
  question texts (see :mod:`.typeform` for why): the columns whose ImportId ends in ``_TEXT``
  (text entry questions, and the text typed into "Other" choices). Legacy exports have no
  ImportIds: there ``Q`` columns ending in ``_TEXT`` or whose answers look typed rather than
  coded (mostly distinct, several words) are text. ``text_columns`` (row-1 tags such as ``Q2``)
  replaces both rules. Text-analytics columns (``Q2 - Topics``, ``Q2 - Sentiment``...) are
  ignored; a typed answer of ``-99`` (Qualtrics' "seen but unanswered" code) is no text.
  ``metadata["text_fields"]`` names the tag each line answers and ``metadata["questions"]`` its
  question text.
* **Other answers** (choices, ratings, matrix rows) go to ``metadata["answers"]`` by tag; other
  columns (embedded data) to ``metadata["embedded"]``, except names that say email, phone or name.
* **Personal data** (``IPAddress``, ``Recipient*``, ``Location*``, legacy ``Name`` and
  ``EmailAddress``) stays out of text, metadata and account.
* **Account** is the column named by ``account_column`` (``ExternalReference`` by default; an
  embedded-data field such as ``Company`` works too), unless it holds an email address.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConnectorError
from ._survey import (
    EMAIL,
    CsvRow,
    check_columns,
    column_list,
    customer_parts,
    is_personal_name,
    key,
    looks_free_text,
    norm,
    read_csv_rows,
    scalar,
    survey_record,
    survey_timestamp,
)
from .base import Record, Rejected, Skipped
from .csv_rows import head_lines
from .files import BadFile, clip_raw, guard_file, guard_record, read_text, undecodable_reason
from .registry import connector
from .text import clean_text
from .values import as_id, check_zone

# Response fields by folded name (current and legacy spellings) and what each becomes.
_FIELDS = {
    "responseid": "id",
    "startdate": "start",
    "enddate": "end",
    "recordeddate": "recorded",
    "status": "status",
    "progress": "progress",
    "duration(inseconds)": "duration",
    "finished": "finished",
    "distributionchannel": "distribution_channel",
    "userlanguage": "language",
    "externalreference": "external_reference",
    "externaldatareference": "external_reference",
    "responseset": "response_set",
    "ipaddress": "personal",
    "recipientlastname": "personal",
    "recipientfirstname": "personal",
    "recipientemail": "personal",
    "emailaddress": "personal",
    "name": "personal",
    "locationlatitude": "personal",
    "locationlongitude": "personal",
    "locationaccuracy": "personal",
}
_LEGACY_V = re.compile(r"^V\d+$")
_QUESTION_TAG = re.compile(r"^Q", re.IGNORECASE)
_ANALYTICS = re.compile(
    r" - (parent topics|topics|topic sentiment (label|score)|sentiment( polarity| score)?|"
    r"actionability|effort|emotion( intensity)?)$",
    re.IGNORECASE,
)
_PLAIN_ID = re.compile(r"^[\w.:-]{1,64}$")
_TRUE = frozenset(("1", "true"))
_FALSE = frozenset(("0", "false"))


@dataclass
class _Column:
    index: int
    tag: str  # row 1 (legacy V columns: their label)
    label: str  # row 2
    import_id: str | None  # row 3
    role: str  # a _FIELDS value, text, answer, embedded, ignore, account


@connector("qualtrics", formats=("csv",), layout="files", channel="survey")
def read_qualtrics(
    path: Path,
    *,
    encoding: str = "utf-8",
    tz: str = "UTC",
    text_columns: list[str] | None = None,
    account_column: str | None = "ExternalReference",
) -> Iterator[Record | Rejected | Skipped]:
    """Read a Qualtrics response CSV (three header rows, or legacy two) into one record each.

    Args:
        path: The CSV file.
        encoding: Encoding of the file (a byte-order mark overrides it).
        tz: IANA zone of the zone-less dates.
        text_columns: Row-1 tags (``Q2``, ``Q5_4_TEXT``) whose answers are the text; ``None``
            uses the ImportIds (or, in legacy exports, a guess).
        account_column: Row-1 name of the column holding the respondent's company or customer
            id; ``None`` or ``""`` leaves ``account`` empty.

    Yields:
        A :class:`Record` per response and a :class:`Rejected` per bad row or unreadable file.

    Raises:
        ConfigError: if ``tz`` is unknown. A ``text_columns`` that names no column of the file,
            or an ``account_column`` other than the default that is not in it, is logged as a
            warning.
    """
    check_zone(tz)
    text_columns = column_list(text_columns)
    account_column = str(account_column) if account_column else None
    where = str(path)
    try:
        text = read_text(path, encoding=encoding, display=where)
    except BadFile as e:
        yield e.rejected
        return
    yield from guard_file(
        where, _read_file(text, where, encoding, tz, text_columns, account_column)
    )


def _read_file(
    text: str,
    where: str,
    encoding: str,
    tz: str,
    text_columns: list[str] | None,
    account_column: str | None,
) -> Iterator[Record | Rejected]:
    """The records of one export, each row converted behind its own guard."""
    header, rows = read_csv_rows(text, where, header_rows=_header_rows(text))
    columns: list[_Column] = []
    if header is not None:
        columns = _columns(header, rows, text_columns, account_column, where)
    for row in rows:
        if isinstance(row, Rejected):
            yield row
        else:
            convert = partial(_read_row, row, columns, where, encoding, tz)
            yield guard_record(where, row.locator, convert, row.raw)


def _header_rows(text: str) -> int:
    """3 for current exports (row 3 holds ImportIds), 2 for legacy ones, 1 if rows were cut."""
    reader = csv.reader(head_lines(text, 200), strict=False)
    head: list[list[str]] = []
    try:
        for cells in reader:
            head.append(cells)
            if len(head) == 3:
                break
    except csv.Error:
        pass
    if len(head) >= 3 and any(_import_id(c) for c in head[2]):
        return 3
    if len(head) >= 2 and head[0] and not _LEGACY_V.match(norm(head[0][0])):
        names = [key(c) for c in head[0]]
        at = names.index("responseid") if "responseid" in names else len(head[1])
        if at < len(head[1]) and re.match(r"^R_\w+$", norm(head[1][at])):
            return 1
    return 2


def _import_id(cell: str) -> str | None:
    try:
        value = json.loads(cell)
    except (json.JSONDecodeError, ValueError):
        return None
    if isinstance(value, dict) and isinstance(value.get("ImportId"), str):
        return value["ImportId"]
    return None


def _columns(
    header: list[list[str]],
    rows: list[CsvRow | Rejected],
    text_columns: list[str] | None,
    account_column: str | None,
    where: str,
) -> list[_Column]:
    """Classify each column by its tag, label and ImportId (and, in legacy files, its answers)."""
    width = len(header[0])
    padded = [r + [""] * (width - len(r)) for r in header]
    labels = padded[1] if len(padded) > 1 else [""] * width
    ids = padded[2] if len(padded) > 2 else [""] * width
    columns: list[_Column] = []
    for i in range(width):
        tag, label = norm(padded[0][i]), norm(labels[i])
        if _LEGACY_V.match(tag) and label:
            tag = label  # legacy: V1 is ResponseID, V8 StartDate...
        import_id = _import_id(ids[i]) if len(padded) > 2 else None
        role = _FIELDS.get(key(tag).replace(" ", ""), "")
        columns.append(_Column(i, tag, label, import_id, role))

    tags = {c.tag.casefold() for c in columns}
    legacy = len(header) < 3
    if text_columns is not None:
        check_columns("text_columns", text_columns, (c.tag for c in columns), where)
    wanted = {key(name) for name in text_columns or ()}
    cells = [row.cells for row in rows if isinstance(row, CsvRow)]
    for column in columns:
        if column.role:
            continue
        base, _, _ = column.tag.partition(" - ")
        import_id = column.import_id or ""
        if (
            not column.tag
            or (_ANALYTICS.search(column.tag) or (" - " in column.tag and base.casefold() in tags))
            or re.search(r"_TEXT_.", import_id)
        ):
            column.role = "ignore"  # trailing empty column, text analytics
        elif text_columns is not None:
            column.role = "text" if key(column.tag) in wanted else _plain_role(column)
        elif import_id.endswith("_TEXT"):
            column.role = "text"
        elif legacy and _QUESTION_TAG.match(column.tag):
            values = [c[column.index] for c in cells]
            text = column.tag.upper().endswith("_TEXT") or looks_free_text(values)
            column.role = "text" if text else "answer"
        else:
            column.role = _plain_role(column)

    if account_column:
        aliases = {key(account_column)}
        if key(account_column) in ("externalreference", "externaldatareference"):
            aliases |= {"externalreference", "externaldatareference"}
        matches = [c for c in columns if key(c.tag) in aliases]
        if not matches and account_column != "ExternalReference":
            check_columns("account_column", [account_column], (c.tag for c in columns), where)
        for column in matches:
            column.role = "account"
    return columns


def _plain_role(column: _Column) -> str:
    """``answer`` for questions, ``embedded`` for embedded data, ``personal`` for contact data."""
    if column.import_id is not None:
        question = column.import_id.startswith("QID")
    else:
        question = bool(_QUESTION_TAG.match(column.tag))
    if question:
        return "answer"
    return "personal" if is_personal_name(column.tag) else "embedded"


def _read_row(
    row: CsvRow, columns: list[_Column], where: str, encoding: str, tz: str
) -> Record | Rejected:
    ident = next((norm(row.cells[c.index]) for c in columns if c.role == "id"), "")
    # An id cell holding anything but an id is content: the row's position names it then.
    locator = f"response {ident}" if _PLAIN_ID.match(ident) else row.locator
    bad_bytes = undecodable_reason(row.raw, encoding)
    if bad_bytes:
        return Rejected(where, locator, bad_bytes, clip_raw(row.raw))
    try:
        return _convert(row, columns, where, locator, tz)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(row.raw))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        return Rejected(where, locator, f"malformed row ({type(e).__name__})", clip_raw(row.raw))


def _convert(row: CsvRow, columns: list[_Column], where: str, locator: str, tz: str) -> Record:
    first: dict[str, _Column] = {}
    for column in columns:
        first.setdefault(column.role, column)

    def cell(role: str) -> str:
        return clean_text(row.cells[first[role].index]) if role in first else ""

    if "id" not in first:
        raise ConnectorError("missing required column 'ResponseId'")
    native_id = as_id(cell("id"), field="ResponseId")
    dates = {}
    for role, field in (("recorded", "RecordedDate"), ("end", "EndDate"), ("start", "StartDate")):
        if role in first:
            dates[role] = survey_timestamp(cell(role), field=field, tz=tz)
    created = dates.get("recorded") or dates.get("end")
    if created is None and ("recorded" in dates or "end" in dates):
        raise ConnectorError("missing required field 'RecordedDate'")

    texts: list[tuple[str, str]] = []
    answers: dict[str, Any] = {}
    embedded: dict[str, Any] = {}
    questions: dict[str, str] = {}
    for column in columns:
        value = row.cells[column.index]
        if column.role == "text" and clean_text(value) != "-99":
            texts.append((column.tag, value))
        elif column.role == "answer" and clean_text(value):
            answers[column.tag] = scalar(value)
        elif column.role == "embedded" and clean_text(value) and not EMAIL.search(value):
            embedded[column.tag] = scalar(value)
        else:
            continue
        if column.label and column.label != column.tag:
            questions[column.tag] = column.label
    parts, text_fields = customer_parts(texts, created)

    metadata: dict[str, Any] = {}
    if cell("status"):
        metadata["status"] = scalar(cell("status"))
    for role, name in (("progress", "progress"), ("duration", "duration_s")):
        if cell(role):
            metadata[name] = scalar(cell(role))
    if cell("finished"):
        finished = cell("finished").casefold()
        if finished not in _TRUE | _FALSE:
            raise ConnectorError("Finished: expected 1 or 0")
        metadata["finished"] = finished in _TRUE
    for role in ("distribution_channel", "language", "response_set"):
        if cell(role):
            metadata[role] = cell(role)
    if cell("external_reference") and not EMAIL.search(cell("external_reference")):
        metadata["external_reference"] = cell("external_reference")
    if answers:
        metadata["answers"] = answers
    if text_fields:
        metadata["text_fields"] = text_fields
    shown = {tag: questions[tag] for tag in [*text_fields, *answers] if tag in questions}
    if shown:
        metadata["questions"] = shown
    if embedded:
        metadata["embedded"] = embedded

    account = cell("account") or None
    if account and EMAIL.search(account):
        account = None
    return survey_record(native_id, where, locator, parts, account, created, metadata, row.raw)
