"""What keeps the report's outputs from acting on their readers or naming people.

* **CSV** (:func:`csv_safe`, :func:`csv_formula_cells`): a text cell that starts with ``=``,
  ``+``, ``-``, ``@``, a tab or a carriage return is a formula to a spreadsheet
  (``=HYPERLINK(...)``, ``=cmd|...``); the CSV files get it with a ``'`` in front (OWASP's
  advice), and every cell holding a line break is quoted. Parquet and JSON keep the true
  values; numbers stay numbers.
* **Digests** (:func:`neutralise_mentions`, :func:`split_urls`): the Markdown digests go to Slack,
  where ``@here``, ``<!channel>`` or ``<@U123>`` ping people and a URL unfurls. Every ``@`` of the
  data becomes the full-width ``＠`` (U+FF20), ``<!`` and ``<#`` become ``<！`` and ``<＃``, and
  URLs and domain names are set as inline code, which neither Slack nor Markdown links.
* **Ids and file names** (:func:`safe_reference`, :func:`safe_account`): a native id is shown
  only when it is an opaque token (digits, a vendor id such as ``R_1abcDEF234`` or
  ``C0123ABC:1694712345.000100``); one that could hold an e-mail, a name, a phone number or a
  file name is shown as ``item:`` and the first 12 characters of the item id (the store's key:
  ``store.items()`` finds the record). An account shaped like an e-mail or a phone number is
  shown as ``account:`` and a hash. Source file paths are never shown.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from ..understand.redact_accounts import pseudonym

# ------------------------------------------------------------------------------------- CSV

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$|^-?inf$|^nan$")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would run as a formula gets a ``'``
    in front; everything else (numbers included) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` for CSV: every text cell through :func:`csv_cell`."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(csv_cell)
    return out


def csv_formula_cells(path: str | Path) -> list[tuple[int, str, str]]:
    """The cells of a CSV file that a spreadsheet would run as formulas: ``(row, column,
    value)`` of each cell that starts with one of :data:`FORMULA_START` and is not a plain
    number (``-0.52``). The header is row 1. A line break left unquoted inside a cell starts a
    row here, as it does in a spreadsheet, so a formula after it is found too."""
    found = []
    with open(path, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        for line, row in enumerate(rows, start=2):
            for name, cell in zip(header, row, strict=False):
                if cell.startswith(FORMULA_START) and not _NUMBER.match(cell):
                    found.append((line, name, cell))
    return found


# ---------------------------------------------------------------------------------- digests

_MENTION_SWAPS = str.maketrans({"@": "\uff20"})
_SLACK_CONTROL = re.compile(r"<([!#])")
_FULL_WIDTH = {"!": "\uff01", "#": "\uff03"}
#: A URL (a scheme, ``www.``, ``mailto:``) or a domain name (``evil.example``, ``x.io/path``).
_URL = re.compile(
    r"(?:\b[A-Za-z][A-Za-z0-9+.-]{1,15}://|\bwww\.|\bmailto:)[^\s<>\"'`]+"
    r"|\b(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b(?:/[^\s<>\"'`]*)?"
)
_TRAILING = ".,;:!?'\""


def neutralise_mentions(text: str) -> str:
    """``text`` that pings no one in Slack: every ``@`` becomes ``＠`` (``@here``, ``@channel``,
    ``@everyone``, ``@handle``, ``<@U123>``), and ``<!`` / ``<#`` (``<!here>``,
    ``<!subteam^S1>``, ``<#C123>``) become ``<！`` / ``<＃``. It reads the same to people."""
    text = text.translate(_MENTION_SWAPS)
    return _SLACK_CONTROL.sub(lambda m: "<" + _FULL_WIDTH[m.group(1)], text)


def split_urls(text: str) -> Iterator[tuple[str, bool]]:
    """``(segment, is_url)`` in order: the URLs and domain names of ``text`` and what lies
    between them. A URL's trailing punctuation (and a closing bracket it did not open) stays
    outside it."""
    at = 0
    for m in _URL.finditer(text):
        url = m.group(0)
        while url and (
            url[-1] in _TRAILING
            or (url[-1] == ")" and url.count("(") < url.count(")"))
            or (url[-1] == "]" and url.count("[") < url.count("]"))
        ):
            url = url[:-1]
        if not url:
            continue
        start, end = m.start(), m.start() + len(url)
        if start < at:
            continue
        if start > at:
            yield text[at:start], False
        yield url, True
        at = end
    if at < len(text):
        yield text[at:], False


def inert_url(url: str) -> str:
    """A URL as inline code: shown, never linked nor unfurled (backticks, which would end the
    code, are percent-encoded)."""
    return "`" + url.replace("`", "%60") + "`"


# ---------------------------------------------------------------------------- ids and paths

_ID_CHARS = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_ID_PIECE = re.compile(r"[_.:-]+")
_HEX = re.compile(r"^[0-9a-f]{16,64}$")
#: A lower-case run of five letters or a capitalised word: a name or a word, not a vendor id.
_WORDISH = re.compile(r"[a-z]{5,}|[A-Z][a-z]{3,}")
_PHONE_SHAPE = re.compile(r"^\+?[\d\s().-]+$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_FILE_EXT = re.compile(
    r"\.(?:md|markdown|txt|text|vtt|srt|pdf|docx?|odt|rtf|html?|eml|msg|jsonl?|csv|tsv|"
    r"xlsx?|pptx?|png|jpe?g|gif|mp3|mp4|m4a|wav|zip)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[A-Za-z]{2,}")
_PHONE_IN = re.compile(r"\+?\d[\d\s().-]{5,}\d")


def _phone_like(value: str) -> bool:
    """Digits shaped like a phone number: 7 to 15 of them with separators or a ``+``, or 10 to
    15 digits in a row."""
    if not _PHONE_SHAPE.match(value):
        return False
    digits = sum(c.isdigit() for c in value)
    if not 7 <= digits <= 15:
        return False
    return not value.isdigit() or digits >= 10


def _name_like_piece(piece: str) -> bool:
    if piece.isdigit():
        return False
    if piece.isalpha():
        return len(piece) > 2 and not (piece.isupper() and len(piece) <= 4)
    if re.fullmatch(r"[A-Za-z]{3,}\d+|\d+[A-Za-z]{3,}", piece):  # jsmith42, 1985maria
        return True
    return bool(_WORDISH.search(piece))


def is_opaque_id(native_id: str) -> bool:
    """Whether a native id is an opaque token, safe to show: digits, a hash, or a vendor id of
    letters, digits and ``_ . : -``, with no ``@``, no word or name, and not shaped like a
    phone number, an IP address, an IBAN or a file name."""
    value = native_id.strip()
    if not _ID_CHARS.match(value) or _FILE_EXT.search(value):
        return False
    if _HEX.match(value):
        return True
    if _phone_like(value) or _IPV4.match(value) or _IBAN.match(value):
        return False
    return not any(_name_like_piece(p) for p in _ID_PIECE.split(value) if p)


def _short_hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", errors="surrogatepass")).hexdigest()[:12]


def safe_reference(native_id: Any, item_id: Any = None, source_path: Any = None) -> str:
    """How the report shows a source record: its native id when that is an opaque token (see
    :func:`is_opaque_id`) and not the name of its file, else ``item:`` and the first 12
    characters of its item id (``store.items()`` finds it by that prefix). A source path is
    never shown: it only tells that the native id is a file name.

    Examples:
        >>> safe_reference("48213", "9f2c...")
        '48213'
        >>> safe_reference("maria.gonzalez@example.com", "9f2c41d07ab3e5f6")
        'item:9f2c41d07ab3'
    """
    nid = "" if _missing(native_id) else str(native_id).strip()
    if nid and is_opaque_id(nid) and not _is_file_name(nid, source_path):
        return nid
    if not _missing(item_id) and str(item_id):
        return f"item:{str(item_id)[:12]}"
    return f"item:{_short_hash(nid)}"


def _is_file_name(native_id: str, source_path: Any) -> bool:
    if _missing(source_path) or not str(source_path):
        return False
    path = PurePath(str(source_path))
    return native_id in (path.name, path.stem)


def safe_account(account: Any) -> Any:
    """An account as the report shows it: unchanged, unless it holds an e-mail address or a
    phone number (a consumer's account), then its pseudonym. The units already carry an account
    that is not a company as its pseudonym (:func:`.redact_accounts.pseudonym`)."""
    if _missing(account):
        return None
    text = str(account)
    if _EMAIL.search(text) or any(_phone_like(m) for m in _PHONE_IN.findall(text)):
        return pseudonym(text)
    return text


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------- stale folders


def stale_entries(root: Path) -> list[Path]:
    """What a report that did not finish left in a reports folder: its ``.tmp-<id>`` folder
    and ``.latest-<id>`` link."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.name.startswith((".tmp-", ".latest-")))
