"""Tolerant readers for the containers vendors export in: JSON documents, JSON Lines, CSV.

They never give up on a whole file because of one bad record. Each yields ``(locator, value)``
for every record it could parse and a :class:`~silobridge.extractors.base.Rejected` for every one
it could not, so the rest of the file still lands:

* a file that is binary, or empty, is one rejected record (``locator="file"``);
* bytes that are not valid in the file's encoding are kept as surrogate escapes, and only the
  records that contain them are rejected, naming the encoding option to set;
* a JSON document that is truncated or broken keeps every array element before and after the
  damage; the damaged element is rejected with its line.
"""

from __future__ import annotations

import base64
import codecs
import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import Rejected

_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
_JSON_TOKEN = re.compile(r'["\[\]{},]')
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
MAX_RAW = 1 << 20  # quarantine keeps at most 1 MiB of one bad record


class BadFile(Exception):
    """A whole file cannot be read as text; carries the :class:`Rejected` for it."""

    def __init__(self, rejected: Rejected):
        self.rejected = rejected
        super().__init__(str(rejected))


def read_text(path: Path, *, encoding: str = "utf-8", display: str | None = None) -> str:
    """Read a text file, keeping undecodable bytes as surrogate escapes.

    A byte-order mark selects UTF-8 or UTF-16 whatever ``encoding`` says.

    Raises:
        BadFile: if the file is binary (NUL bytes), empty, or unreadable.
        ConfigError: if ``encoding`` is not a known codec.
    """
    where = display or str(path)
    try:
        codecs.lookup(encoding)
    except LookupError as e:
        raise ConfigError(f"Unknown encoding {encoding!r} (try 'utf-8' or 'cp1252').") from e
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BadFile(Rejected(where, "file", f"cannot read file: {e.strerror}")) from e
    if data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    if encoding != "utf-16" and b"\x00" in data[:8192]:
        raise BadFile(
            Rejected(where, "file", "binary file (NUL bytes), not a text export", raw_bytes(data))
        )
    if not data.strip():
        raise BadFile(Rejected(where, "file", "empty file"))
    return data.decode(encoding, errors="surrogateescape")


def raw_bytes(data: bytes) -> str:
    """Raw text for quarantine of something that is not text."""
    return "base64:" + base64.b64encode(data[:MAX_RAW]).decode("ascii")


def clip_raw(text: str) -> str:
    """Raw text for quarantine: at most ``MAX_RAW`` characters, undecodable bytes made visible."""
    text = text[:MAX_RAW]
    if _UNDECODABLE.search(text):
        text = text.encode("utf-8", errors="surrogateescape").decode(
            "utf-8", errors="backslashreplace"
        )
    return text


def undecodable_reason(text: str, encoding: str) -> str | None:
    """The reason to reject a record that holds bytes invalid in ``encoding``, else ``None``."""
    if _UNDECODABLE.search(text):
        return (
            f"bytes that are not valid {encoding}; set the source's encoding option "
            "(for example encoding = 'cp1252')"
        )
    return None


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def iter_json_records(
    text: str, path: str, *, array_key: str | None = None, label: str = "record"
) -> Iterator[tuple[str, Any] | Rejected]:
    """Yield the records of a JSON document.

    The records are the elements of the array at ``array_key`` (a dotted path such as
    ``"tickets"`` or ``"records.items"``), or of the top-level array; a top-level object without
    ``array_key`` is one record. Locators read ``"{label} 3 (line 17)"``, 1-based.

    When the document does not parse, the array is split at its top-level commas, each element is
    parsed on its own, and only the broken or truncated ones are rejected.
    """
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        yield from _salvage_json_array(text, path, array_key=array_key, label=label)
        return
    if array_key is None and isinstance(doc, dict):
        yield f"{label} 1", doc
        return
    records = _dig(doc, array_key) if array_key else doc
    if not isinstance(records, list):
        what = f"key {array_key!r}" if array_key else "the document"
        yield Rejected(path, "file", f"expected a JSON array at {what}", clip_raw(text))
        return
    for i, record in enumerate(records, 1):
        yield f"{label} {i}", record


def _dig(doc: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        if not isinstance(doc, dict) or key not in doc:
            return None
        doc = doc[key]
    return doc


def _salvage_json_array(
    text: str, path: str, *, array_key: str | None, label: str
) -> Iterator[tuple[str, Any] | Rejected]:
    start = _find_array(text, array_key)
    if start is None:
        where = f"array {array_key!r}" if array_key else "a top-level array"
        yield Rejected(
            path, "file", f"invalid JSON and no {where} to recover records from", clip_raw(text)
        )
        return
    for index, (begin, end, closed) in enumerate(_split_array(text, start), 1):
        chunk = text[begin:end]
        locator = f"{label} {index} (line {line_of(text, begin)})"
        if not closed:
            yield Rejected(
                path, locator, "truncated JSON: the file ends inside this record", clip_raw(chunk)
            )
            return
        try:
            yield locator, json.loads(chunk)
        except json.JSONDecodeError as e:
            yield Rejected(
                path,
                locator,
                f"invalid JSON: {e.msg} (line {line_of(text, begin + e.pos)})",
                clip_raw(chunk),
            )


def _find_array(text: str, array_key: str | None) -> int | None:
    """Offset just past the ``[`` that opens the records array."""
    if array_key is None:
        stripped = len(text) - len(text.lstrip())
        return stripped + 1 if text[stripped : stripped + 1] == "[" else None
    key = array_key.split(".")[-1]
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    return match.end() if match else None


def _split_array(text: str, pos: int) -> Iterator[tuple[int, int, bool]]:
    """Spans ``(begin, end, closed)`` of the top-level elements of the array starting at ``pos``."""
    depth = 0
    begin: int | None = None
    n = len(text)
    while pos < n:
        match = _JSON_TOKEN.search(text, pos)
        if match is None:
            break
        ch, at = match.group(), match.start()
        if begin is None and text[pos:at].strip():
            begin = pos + (len(text[pos:at]) - len(text[pos:at].lstrip()))
        if ch == '"':
            if begin is None:
                begin = at
            string = _JSON_STRING.match(text, at)
            if string is None:  # unterminated string: the file ends inside it
                break
            pos = string.end()
            continue
        if ch in "[{":
            if begin is None:
                begin = at
            depth += 1
        elif ch in "]}":
            if depth == 0:  # the records array closes
                if begin is not None:
                    yield begin, at, True
                return
            depth -= 1
        elif ch == "," and depth == 0:
            if begin is not None:
                yield begin, at, True
            begin = None
        pos = at + 1
    if begin is not None:
        yield begin, n, False


def iter_jsonl(text: str, path: str) -> Iterator[tuple[str, Any] | Rejected]:
    """Yield ``("line N", record)`` for each JSON Lines record; bad lines are rejected."""
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        locator = f"line {number}"
        try:
            yield locator, json.loads(line)
        except json.JSONDecodeError as e:
            yield Rejected(
                path, locator, f"invalid JSON: {e.msg} (column {e.colno})", clip_raw(line)
            )


def iter_csv(
    text: str, path: str, *, header_rows: int = 1, delimiter: str = ","
) -> Iterator[tuple[str, list[str]] | tuple[str, list[list[str]]] | Rejected]:
    """Yield ``("header", rows)`` once, then ``("row N (line L)", cells)`` for each data row.

    Rows whose number of cells differs from the header's are rejected, as are rows the csv module
    cannot parse (an unterminated quote swallows the rest of the file: it is rejected as one).
    """
    lines = text.splitlines(keepends=True)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    header: list[list[str]] = []
    row_number = 0
    last_line = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            start = last_line + 1
            yield Rejected(
                path,
                f"line {start}",
                f"unreadable CSV: {e}",
                clip_raw("".join(lines[last_line : start + 1])),
            )
            last_line = reader.line_num
            continue
        start, last_line = last_line + 1, reader.line_num
        if len(header) < header_rows:
            header.append(cells)
            if len(header) == header_rows:
                yield "header", header
            continue
        if not any(c.strip() for c in cells):
            continue
        row_number += 1
        locator = f"row {row_number} (line {start})"
        width = len(header[0])
        if len(cells) != width and not (
            len(cells) > width and not any(c.strip() for c in cells[width:])
        ):
            yield Rejected(
                path,
                locator,
                f"expected {width} columns, found {len(cells)}",
                clip_raw("".join(lines[start - 1 : last_line])),
            )
            continue
        yield locator, cells[:width] + [""] * (width - len(cells))
    if len(header) < header_rows:
        yield Rejected(
            path,
            "file",
            f"expected {header_rows} header row(s), found {len(header)}",
            clip_raw(text),
        )
