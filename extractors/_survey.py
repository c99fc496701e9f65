"""Helpers shared by the survey connectors (Typeform, SurveyMonkey, Qualtrics).

Not a connector: the leading underscore keeps :mod:`silobridge.extractors` from importing it as
one. It holds what the three survey formats have in common: how the respondent's free-text
answers become the record's text, which fields are personal data, and how CSV exports with
several header rows are read with each row's raw lines kept for quarantine.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from .base import Part, Record, Rejected
from .csv_rows import CsvRow, iter_csv_rows
from .files import clip_raw
from .text import clean_text
from .values import parse_timestamp

log = logging.getLogger(__name__)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_INT = re.compile(r"^-?\d{1,15}$")
_FLOAT = re.compile(r"^-?\d{1,15}\.\d+$")
_SCALE_LABEL = re.compile(r"^\d{1,2}\s*[-–—=:]\s")  # "2 – Very critical", "10 = Very likely"
_EXCEL_SERIAL = re.compile(r"^\d{4,6}(\.\d+)?$")
_EXCEL_EPOCH = datetime(1899, 12, 30)
# Field names that hold contact data (email, phone, names, network location), compared after
# lower-casing and turning everything that is not a letter or digit into "_".
_PERSONAL_PARTS = ("mail", "phone", "mobile", "latitude", "longitude")
_PERSONAL_NAMES = frozenset(
    (
        "name", "first_name", "firstname", "last_name", "lastname", "full_name", "fullname",
        "user_name", "username", "ip", "ip_address", "ipaddress", "address", "address_2",
        "street", "zip", "zip_postal_code", "postal_code", "postcode", "city_town", "tel",
    )
)  # fmt: skip


def norm(value: str) -> str:
    """A header cell with non-breaking and repeated spaces collapsed, for display."""
    return _SPACES.sub(" ", value).strip()


def key(value: str) -> str:
    """A header cell folded for comparison (case, spacing)."""
    return norm(value).casefold()


def is_personal_name(name: str) -> bool:
    """Whether a field called ``name`` (a hidden field, embedded data) holds contact data."""
    folded = re.sub(r"[^0-9a-z]+", "_", name.casefold()).strip("_")
    return folded in _PERSONAL_NAMES or any(part in folded for part in _PERSONAL_PARTS)


def scalar(value: str) -> Any:
    """A CSV cell as int or float when it is a plain number, else the cleaned string."""
    text = clean_text(value)
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def customer_parts(
    answers: Iterable[tuple[str, str]], when: datetime | None
) -> tuple[list[Part], list[str]]:
    """The respondent's free-text answers as customer parts, and the field each one answers.

    Empty answers (after clean-up) are left out. Returns ``(parts, fields)`` in the same order.
    """
    parts: list[Part] = []
    fields: list[str] = []
    for name, answer in answers:
        text = clean_text(answer)
        if text:
            parts.append(Part(text=text, speaker=None, role="customer", timestamp=when))
            fields.append(name)
    return parts, fields


def survey_record(
    native_id: str,
    path: str,
    locator: str,
    parts: list[Part],
    account: str | None,
    created: datetime | None,
    metadata: dict[str, Any],
    raw: str,
) -> Record:
    """One response as a record: its free-text answers are its parts and, one per line, its text.

    Surveys have no later edits, so ``updated_at`` is ``created_at``.
    """
    return Record(
        native_id=native_id,
        path=path,
        locator=locator,
        text="\n".join(p.text for p in parts),
        parts=parts,
        account=account,
        created_at=created,
        updated_at=created,
        metadata=metadata,
        raw=clip_raw(raw),
    )


def column_list(value: str | Iterable[str] | None) -> list[str] | None:
    """A ``text_columns`` option as a list of names (one name may be given as a string)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(c) for c in value]


def looks_free_text(values: Iterable[str]) -> bool:
    """Guess whether a column of a CSV export holds typed answers rather than picked choices.

    Choice and rating columns repeat a small set of short labels or numbers; free text is mostly
    distinct and runs to several words. With very few answers the guess is weak, which is why the
    connectors take a ``text_columns`` option that overrides it.
    """
    answers = [clean_text(v) for v in values]
    answers = [a for a in answers if a]
    if not answers:
        return False
    numeric = sum(1 for a in answers if _INT.match(a) or _FLOAT.match(a) or _SCALE_LABEL.match(a))
    if numeric * 2 > len(answers):
        return False
    if len(answers) >= 3 and len(set(answers)) < 0.7 * len(answers):
        return False
    words = [len(a.split()) for a in answers]
    return max(words) >= 4 or sum(words) / len(words) >= 3


def survey_timestamp(value: str, *, field: str, tz: str, dayfirst: bool = False) -> datetime | None:
    """A CSV date cell: an Excel serial (``43290.53487``, after an Excel round-trip) or text.

    Both carry no zone and are read in ``tz`` (``parse_timestamp`` would read a serial as UTC).

    Raises:
        ConnectorError: if the value is neither.
    """
    text = norm(value)
    if _EXCEL_SERIAL.match(text):
        # Five decimals resolve about a second: round to whole seconds.
        local = _EXCEL_EPOCH + timedelta(seconds=round(float(text) * 86400))
        return parse_timestamp(local, field=field, tz=tz)
    return parse_timestamp(text, field=field, tz=tz, dayfirst=dayfirst)


def read_csv_rows(
    text: str, path: str, *, header_rows: int
) -> tuple[list[list[str]] | None, list[CsvRow | Rejected]]:
    """Read a CSV export with ``header_rows`` header rows, keeping each row's raw text.

    Returns the header rows (``None`` if the file has too few) and, in file order, a
    :class:`CsvRow` for each row of the right width and a :class:`Rejected` for the others.
    """
    header: list[list[str]] | None = None
    items: list[CsvRow | Rejected] = []
    for item in iter_csv_rows(text, path, header_rows=header_rows):
        if isinstance(item, CsvRow):
            items.append(CsvRow(item.locator, item.cells, item.raw.rstrip("\r\n")))
        elif isinstance(item, Rejected):
            items.append(item)
        else:
            header = item[1]
    return header, items


def check_columns(option: str, wanted: Iterable[str], available: Iterable[str], path: str) -> bool:
    """Whether any of the ``wanted`` columns is in the file; if none is, log a warning naming them.

    Not an error: a damaged header row must not stop the run, and the effect (no account, or
    every record skipped for having no text) shows in the run's result.
    """
    wanted = list(wanted)
    names = sorted({norm(a) for a in available if norm(a)})
    if not wanted or {key(w) for w in wanted} & {key(n) for n in names}:
        return True
    shown = ", ".join(repr(n) for n in names[:12]) + (", ..." if len(names) > 12 else "")
    log.warning(
        "%s: option %s names %s, but the file has no such column. Its columns: %s.",
        path,
        option,
        ", ".join(repr(w) for w in wanted),
        shown,
    )
    return False
