"""SurveyMonkey: the "All responses" CSV export, with its two header rows.

Format [SM-OSPO][SM-EDSL]:

* Row 1 names the respondent metadata columns (``Respondent ID``, ``Collector ID`` or
  ``Collector``, ``Start Date``, ``End Date``, ``IP Address``, ``Email Address``, ``First Name``,
  ``Last Name``, ``Custom Data 1``, as the survey's settings have them), then each question's
  text once, blank across the question's other columns: it is forward-filled.
* Row 2 holds each column's sub-header: a choice label (multiple answers, "expanded" format), a
  matrix row, ``Response``, ``Open-Ended Response`` or ``Other (please specify)``. In real exports
  it repeats the metadata names, and row 1 may be garbled there, so metadata columns are
  recognised by either row [SM-OSPO].
* After an Excel round-trip dates are Excel serial days (``43290.53487``); otherwise they read
  ``MM/DD/YYYY HH:MM:SS AM/PM``. Neither carries a zone: they are read in ``tz``, and
  ``dayfirst`` reads ``01/02/2026`` as 1 February. Cells hold U+00A0 and curly quotes, lines end
  CRLF, and a UTF-8 byte-order mark may lead [SM-OSPO]. A respondent id that Excel turned into
  ``1.0103E+10`` has lost digits: such rows are rejected.

What goes where:

* **Text** is the respondent's typed answers only, one per line (customer parts), without the
  question texts (see :mod:`.typeform` for why): columns whose sub-header is ``Open-Ended
  Response`` or ``Other (please ...)``, and ``Response`` (or blank or text-box) columns whose
  answers look typed rather than picked (mostly distinct, several words). The guess needs the
  whole column, so a file is read before its first record is yielded. ``text_columns`` (question
  texts) replaces the guess: then exactly the columns of those questions are text. The question
  each line answers is in ``metadata["text_fields"]``.
* **Other answers** go to ``metadata["answers"]`` keyed by question text: a single value, a list
  of the ticked choices, or ``{row: answer}`` for a matrix. Plain numbers become numbers.
* **Personal data** (``IP Address``, ``Email Address``, ``First Name``, ``Last Name``, and the
  name, address, email and phone boxes of a Contact Information question) stays out of text,
  metadata and account; the contact boxes answered are counted in ``metadata["contact_fields"]``.
  ``Custom Data`` values go to ``metadata["custom"]`` unless they hold an email address.
* **Account** is the column named by ``account_column`` (a metadata name such as ``Custom Data 1``,
  a question such as ``Company name``, or a sub-header such as ``Company``), when set.
"""

from __future__ import annotations

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
    key,
    looks_free_text,
    norm,
    read_csv_rows,
    scalar,
    survey_record,
    survey_timestamp,
)
from .base import Record, Rejected, Skipped
from .files import BadFile, clip_raw, guard_file, guard_record, read_text, undecodable_reason
from .registry import connector
from .text import clean_text
from .values import check_zone

# Metadata column names, folded, and what each is.
_META = {
    "respondent id": "id",
    "collector id": "collector_id",
    "collector": "collector",
    "start date": "start",
    "end date": "end",
    "date created": "start",
    "date modified": "end",
    "ip address": "personal",
    "email address": "personal",
    "first name": "personal",
    "last name": "personal",
}
_CUSTOM = re.compile(r"^custom (data|variable)\b")
# Sub-headers of a Contact Information question that hold personal data.
_CONTACT_BOXES = frozenset(
    ("name", "first name", "last name", "address", "address 2", "city/town", "zip/postal code",
     "email address", "email", "phone number", "phone")
)  # fmt: skip
_ANSWER_SUBS = frozenset(("response", "open-ended response", ""))
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?e\+?\d+$", re.IGNORECASE)
_INT_FLOAT = re.compile(r"^(\d+)\.0+$")
_PLAIN_LOCATOR = re.compile(r"^response [\w.:-]{1,64}$")


@dataclass
class _Column:
    index: int
    question: str  # row 1, forward-filled (or the metadata name)
    sub: str  # row 2
    role: str  # id, collector, collector_id, start, end, personal, custom, contact, text,
    # answer, account


@connector("surveymonkey", formats=("csv",), layout="files", channel="survey")
def read_surveymonkey(
    path: Path,
    *,
    encoding: str = "utf-8",
    tz: str = "UTC",
    dayfirst: bool = False,
    text_columns: list[str] | None = None,
    account_column: str | None = None,
) -> Iterator[Record | Rejected | Skipped]:
    """Read a SurveyMonkey CSV export (two header rows) into one record per respondent.

    Args:
        path: The CSV file.
        encoding: Encoding of the file (a byte-order mark overrides it).
        tz: IANA zone of the zone-less dates.
        dayfirst: Read ``01/02/2026`` as 1 February.
        text_columns: Question texts (row 1) whose answers are the text; ``None`` guesses.
        account_column: Column holding the respondent's company (metadata name, question text
            or sub-header); ``None`` or ``""`` leaves ``account`` empty.

    Yields:
        A :class:`Record` per respondent and a :class:`Rejected` per bad row or unreadable file.

    Raises:
        ConfigError: if ``tz`` is unknown. A ``text_columns`` or ``account_column`` that names no
            column of the file is logged as a warning.
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
    rows = _read_file(text, where, encoding, tz, dayfirst, text_columns, account_column)
    yield from guard_file(where, rows)


def _read_file(
    text: str,
    where: str,
    encoding: str,
    tz: str,
    dayfirst: bool,
    text_columns: list[str] | None,
    account_column: str | None,
) -> Iterator[Record | Rejected]:
    """The records of one export, each row converted behind its own guard."""
    header, rows = read_csv_rows(text, where, header_rows=2)
    columns: list[_Column] = []
    if header is not None:
        columns = _columns(header, rows, text_columns, account_column, where)
    for row in rows:
        if isinstance(row, Rejected):
            yield row
        else:
            convert = partial(_read_row, row, columns, where, encoding, tz, dayfirst)
            yield guard_record(where, row.locator, convert, row.raw)


def _columns(
    header: list[list[str]],
    rows: list[CsvRow | Rejected],
    text_columns: list[str] | None,
    account_column: str | None,
    where: str,
) -> list[_Column]:
    """Classify each column by the two header rows (and, for the text guess, its answers)."""
    first, second = header[0], header[1] + [""] * (len(header[0]) - len(header[1]))
    columns: list[_Column] = []
    question = ""
    in_meta = True
    for i, (top, sub) in enumerate(zip(first, second, strict=False)):
        top, sub = norm(top), norm(sub)
        meta = _meta_name(top, sub) if in_meta else None
        if meta is not None:
            role = _META.get(key(meta), "custom")
            columns.append(_Column(i, meta, "", role))
            continue
        in_meta = False
        question = top or question
        columns.append(_Column(i, question, sub, "answer"))

    if text_columns is not None:
        check_columns("text_columns", text_columns, (c.question for c in columns), where)
    wanted = {key(name) for name in text_columns or ()}
    cells = [row.cells for row in rows if isinstance(row, CsvRow)]
    for column in columns:
        if column.role != "answer":
            continue
        sub = key(column.sub)
        if sub in _CONTACT_BOXES:
            column.role = "contact"
        elif text_columns is not None:
            column.role = "text" if key(column.question) in wanted else "answer"
        elif sub == "open-ended response" or sub.startswith("other ("):
            column.role = "text"
        else:
            values = [c[column.index] for c in cells]
            picked = any(clean_text(v) == column.sub for v in values if v.strip())
            if not picked and looks_free_text(values):
                column.role = "text"

    if account_column:
        names = [n for c in columns for n in (c.question, c.sub)]
        check_columns("account_column", [account_column], names, where)
        for column in columns:
            if key(account_column) in (key(column.question), key(column.sub)):
                column.role = "account"
    return columns


def _meta_name(top: str, sub: str) -> str | None:
    """The metadata name of a leading column, from row 2 (real exports) or row 1."""
    for name in (sub, top):
        folded = key(name)
        if folded in _META or _CUSTOM.match(folded):
            return name
    return None


def _read_row(
    row: CsvRow, columns: list[_Column], where: str, encoding: str, tz: str, dayfirst: bool
) -> Record | Rejected:
    ident = next((row.cells[c.index] for c in columns if c.role == "id"), "")
    try:
        locator = f"response {_respondent_id(ident)}"
    except ConnectorError:
        locator = row.locator
    if not _PLAIN_LOCATOR.match(locator):  # an id cell holding anything else is content
        locator = row.locator
    bad_bytes = undecodable_reason(row.raw, encoding)
    if bad_bytes:
        return Rejected(where, locator, bad_bytes, clip_raw(row.raw))
    try:
        return _convert(row, columns, where, locator, tz, dayfirst)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(row.raw))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        return Rejected(where, locator, f"malformed row ({type(e).__name__})", clip_raw(row.raw))


def _convert(
    row: CsvRow, columns: list[_Column], where: str, locator: str, tz: str, dayfirst: bool
) -> Record:
    by_role: dict[str, list[_Column]] = {}
    for column in columns:
        by_role.setdefault(column.role, []).append(column)

    def cell(column: _Column) -> str:
        return row.cells[column.index]

    native_id = _respondent_id(cell(by_role["id"][0]) if "id" in by_role else "")
    dates = {}
    for role, field in (("end", "End Date"), ("start", "Start Date")):
        if role in by_role:
            dates[role] = survey_timestamp(
                cell(by_role[role][0]), field=field, tz=tz, dayfirst=dayfirst
            )
    created = dates.get("end") or dates.get("start")
    if dates and created is None:
        raise ConnectorError("missing required field 'End Date'")

    answers: dict[str, Any] = {}
    texts: list[tuple[str, str]] = []
    for column in by_role.get("answer", []):
        value = clean_text(cell(column))
        if value:
            answers.setdefault(column.question, {})[column.sub] = value
    for column in by_role.get("text", []):
        sub = key(column.sub)
        name = column.question if sub in _ANSWER_SUBS else f"{column.question} - {column.sub}"
        texts.append((name, cell(column)))
    parts, text_fields = customer_parts(texts, created)

    metadata: dict[str, Any] = {}
    for role in ("collector", "collector_id"):
        if role in by_role and clean_text(cell(by_role[role][0])):
            metadata[role] = clean_text(cell(by_role[role][0]))
    custom = {
        c.question: clean_text(cell(c))
        for c in by_role.get("custom", [])
        if clean_text(cell(c)) and not EMAIL.search(cell(c))
    }
    if custom:
        metadata["custom"] = custom
    if answers:
        metadata["answers"] = {q: _answer_value(subs) for q, subs in answers.items()}
    if text_fields:
        metadata["text_fields"] = text_fields
    contact = sum(1 for c in by_role.get("contact", []) if clean_text(cell(c)))
    if contact:
        metadata["contact_fields"] = contact

    account = None
    for column in by_role.get("account", []):
        value = clean_text(cell(column))
        if value and not EMAIL.search(value):
            account = value
            break
    return survey_record(native_id, where, locator, parts, account, created, metadata, row.raw)


def _respondent_id(value: str) -> str:
    ident = norm(value)
    if not ident:
        raise ConnectorError("missing required field 'Respondent ID'")
    if _SCIENTIFIC.match(ident):
        raise ConnectorError(
            "Respondent ID: in scientific notation (digits lost in Excel); re-export the CSV"
        )
    match = _INT_FLOAT.match(ident)
    return match.group(1) if match else ident


def _answer_value(subs: dict[str, str]) -> Any:
    """One question's answer: a value, the ticked choices, or a matrix's ``{row: answer}``."""
    if len(subs) == 1 and key(next(iter(subs))) in _ANSWER_SUBS:
        return scalar(next(iter(subs.values())))
    if all(value == sub for sub, value in subs.items()):
        return list(subs)
    return {sub: scalar(value) for sub, value in subs.items()}
