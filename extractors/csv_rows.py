"""The tolerant CSV reader of :mod:`.files`: rows as the ``csv`` module reads them, each with its
text as written, a bad row rejected on its own and reading going on after it.

* CSV lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only (U+2028, ``\\x0b``, ``\\x0c``... inside
  a cell are text);
* a row over the :class:`~.files.Limits` (a cell or a row too long) is one rejected row;
* a runaway quoted field is one rejected row, not thousands of fragments, when the next line
  reads as a row; otherwise the rest of the file is one :class:`~.files.BrokenOff` record.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, islice

from .base import Rejected
from .files import MAX_RAW, BrokenOff, Limits, _limits, _size_reason, clip_raw

_QUOTED_BODY = re.compile(r'[^"]*+(?:""[^"]*+)*+')


_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+")


def head_lines(text: str, count: int) -> list[str]:
    """The first ``count`` lines of ``text``, ends kept, split as a CSV file is (``\\n``,
    ``\\r\\n``, ``\\r`` only: ``str.splitlines`` would also split at U+2028 and friends)."""
    return [match.group() for match in islice(_LINE.finditer(text), count)]


@cache
def _unquoted(delimiter: str) -> re.Pattern[str]:
    return re.compile(f"[^{re.escape(delimiter)}\r\n]*+")


def _record_end(text: str, start: int, delimiter: str) -> tuple[int | None, int]:
    """Where the CSV row starting at ``start`` ends, and its largest cell (characters as
    written); ``None`` for the end if a quoted cell never closes.

    Follows the ``csv`` module's reading (``strict=False``, ``doublequote``): a quote opens a
    quoted cell only as its first character, ``""`` inside one is a quote, and text after the
    closing quote up to the next delimiter belongs to the cell.
    """
    n, pos, largest = len(text), start, 0
    unquoted = _unquoted(delimiter)
    while True:
        cell_start = pos
        if pos < n and text[pos] == '"':
            pos = _QUOTED_BODY.match(text, pos + 1).end()  # type: ignore[union-attr]
            if pos >= n:
                return None, max(largest, n - cell_start)
            pos += 1  # the closing quote
        pos = unquoted.match(text, pos).end()  # type: ignore[union-attr]
        largest = max(largest, pos - cell_start)
        if pos >= n:
            return n, largest
        if text[pos] == delimiter:
            pos += 1
            continue
        return (pos + 2 if text.startswith("\r\n", pos) else pos + 1), largest


@dataclass(slots=True)
class CsvRow:
    """One data row of a CSV file: its locator, its cells, and its text as written."""

    locator: str
    cells: list[str]
    raw: str


def iter_csv(
    text: str,
    path: str,
    *,
    header_rows: int = 1,
    delimiter: str = ",",
    limits: Limits | None = None,
) -> Iterator[tuple[str, list[str]] | tuple[str, list[list[str]]] | Rejected]:
    """Yield ``("header", rows)`` once, then ``("row N (line L)", cells)`` for each data row.

    See :func:`iter_csv_rows`, which also gives each row's text.
    """
    for item in iter_csv_rows(
        text, path, header_rows=header_rows, delimiter=delimiter, limits=limits
    ):
        if isinstance(item, Rejected):
            yield item
        elif isinstance(item, CsvRow):
            yield item.locator, item.cells
        else:
            yield "header", item[1]


def iter_csv_rows(
    text: str,
    path: str,
    *,
    header_rows: int = 1,
    delimiter: str = ",",
    limits: Limits | None = None,
) -> Iterator[tuple[str, list[list[str]], str] | CsvRow | Rejected]:
    """Yield ``("header", rows, header_text)`` once, then a :class:`CsvRow` per data row.

    Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only, as in a file opened with ``newline=""``.
    Rows whose number of cells differs from the header's are rejected, as are rows the csv module
    cannot parse. A row over the limits (a cell of more than ``max_field_chars``, a row of more
    than ``max_record_chars``) is one rejected row, and reading goes on after it. A quoted cell
    that never closes is rejected with its line, and reading goes on with the next line when
    that line reads as a row of the header's width; otherwise the rest of the file is one
    :class:`BrokenOff` record.
    """
    return _CsvReader(text, path, header_rows, delimiter, _limits(limits)).rows()


class _CsvReader:
    """The state of :func:`iter_csv_rows` over one text."""

    def __init__(
        self, text: str, path: str, header_rows: int, delimiter: str, limits: Limits
    ) -> None:
        self.text, self.path, self.delimiter, self.limits = text, path, delimiter, limits
        self.header_rows = header_rows
        self.lines = io.StringIO(text, newline="").readlines()
        self._offsets: list[int] | None = None
        self.header: list[list[str]] = []
        self.width = 0
        self.row_number = 0
        self._goto(0)

    def offset(self, line: int) -> int:
        """Offset in the text of the start of 0-based ``line``."""
        if self._offsets is None:
            self._offsets = list(accumulate(map(len, self.lines), initial=0))
        return self._offsets[line]

    def line_at(self, offset: int) -> int:
        """The 0-based line that starts at ``offset`` (a line start, or the text's end)."""
        self.offset(0)
        assert self._offsets is not None
        return bisect.bisect_left(self._offsets, offset)

    def _goto(self, line: int) -> None:
        """Read on from 0-based ``line``."""
        self.iterator = iter(self.lines)
        deque(islice(self.iterator, line), maxlen=0)
        self.base = line
        self.reader = csv.reader(self.iterator, delimiter=self.delimiter, strict=False)

    @property
    def consumed(self) -> int:
        """Lines handed to the csv module so far."""
        return self.base + self.reader.line_num

    def rows(self) -> Iterator[tuple[str, list[list[str]], str] | CsvRow | Rejected]:
        previous = csv.field_size_limit(self.limits.max_field_chars)
        try:
            yield from self._rows()
        finally:
            csv.field_size_limit(previous)

    def _rows(self) -> Iterator[tuple[str, list[list[str]], str] | CsvRow | Rejected]:
        text, lines, path, header = self.text, self.lines, self.path, self.header
        max_row = self.limits.max_record_chars
        total = len(lines)
        while True:
            reader = self.reader
            first = self.base + reader.line_num
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                result: list[Rejected] | None = self._after_error(first, e)
            else:
                consumed = self.base + reader.line_num
                result = None
                if (
                    consumed >= total
                    and _record_end(text, self.offset(first), self.delimiter)[0] is None
                ):
                    result = self._unterminated(first)  # the text ends inside a quoted cell
            if result is not None:
                yield from result
                if isinstance(result[-1], BrokenOff):
                    return
                continue
            raw = lines[first] if consumed == first + 1 else "".join(lines[first:consumed])
            if len(header) < self.header_rows:
                if len(raw) > max_row:
                    reason = f"header row: {_size_reason('a row', len(raw), max_row)}"
                    yield BrokenOff(path, "file", reason, clip_raw(raw))
                    return
                header.append(cells)
                if len(header) == self.header_rows:
                    self.width = len(header[0])
                    yield "header", header, "".join(lines[:consumed])
                continue
            if not any(c.strip() for c in cells):
                continue
            self.row_number += 1
            locator = f"row {self.row_number} (line {first + 1})"
            width = self.width
            if len(raw) > max_row:
                yield Rejected(
                    path, locator, _size_reason("a row", len(raw), max_row), clip_raw(raw)
                )
            elif len(cells) == width:
                yield CsvRow(locator, cells, raw)
            elif len(cells) > width and not any(c.strip() for c in cells[width:]):
                yield CsvRow(locator, cells[:width], raw)
            else:
                reason = f"expected {width} columns, found {len(cells)}"
                yield Rejected(path, locator, reason, clip_raw(raw))
        if len(header) < self.header_rows:
            yield Rejected(
                path,
                "file",
                f"expected {self.header_rows} header row(s), found {len(header)}",
                clip_raw(text),
            )

    def _after_error(self, first: int, error: csv.Error) -> list[Rejected]:
        """The rejection of a row the csv module stopped on (a cell over the field limit).

        Finds where the row really ends and reads on from there; a :class:`BrokenOff` when the
        file broke off.
        """
        text, limits = self.text, self.limits
        start = self.offset(first)
        end, largest = _record_end(text, start, self.delimiter)
        if end is None:
            return self._unterminated(first)
        if largest > limits.max_field_chars:
            reason = _size_reason("a field", largest, limits.max_field_chars)
        elif end - start > limits.max_record_chars:
            reason = _size_reason("a row", end - start, limits.max_record_chars)
        else:
            reason = f"unreadable CSV: {error}"
        resume = self.line_at(end)
        if resume >= self.consumed:
            deque(islice(self.iterator, resume - self.consumed), maxlen=0)
            self.base += resume - self.consumed
        else:
            self._goto(resume)
        raw = clip_raw(text[start : start + MAX_RAW])
        if len(self.header) < self.header_rows:
            return [BrokenOff(self.path, "file", f"header row: {reason}", raw)]
        self.row_number += 1
        return [Rejected(self.path, f"row {self.row_number} (line {first + 1})", reason, raw)]

    def _unterminated(self, first: int) -> list[Rejected]:
        """A quote opened in the row at 0-based line ``first`` never closes: reject that line and
        read on from the next one if it reads as a row, else reject the rest of the file."""
        text = self.text
        start = self.offset(first)
        in_header = len(self.header) < self.header_rows
        locator = "file" if in_header else f"row {self.row_number + 1} (line {first + 1})"
        if (
            not in_header
            and first + 1 < len(self.lines)
            and _reads_as_row(text, self.offset(first + 1), self.delimiter, self.width)
        ):
            self.row_number += 1
            self._goto(first + 1)
            reason = (
                f"unterminated quoted field (the quote opened on line {first + 1} never "
                "closes); reading goes on with the next line"
            )
            return [Rejected(self.path, locator, reason, clip_raw(self.lines[first]))]
        rest = len(self.lines) - first
        if first + 1 >= len(self.lines):
            reason = "truncated CSV: the file ends inside a quoted field of this row"
        else:
            reason = (
                f"unterminated quoted field: the quote opened on line {first + 1} never closes, "
                f"so the rest of the file ({rest:,} lines) is one rejected record"
            )
        if in_header:
            reason = f"header row: {reason}"
        return [BrokenOff(self.path, locator, reason, clip_raw(text[start : start + MAX_RAW]))]


def read_row_at(text: str, offset: int, delimiter: str = ",") -> list[str] | None:
    """The cells of the CSV row that starts at ``offset``; ``None`` if the text ends there."""
    if offset >= len(text):
        return None
    end, _ = _record_end(text, offset, delimiter)
    stop = len(text) if end is None else end
    return next(csv.reader(io.StringIO(text[offset:stop], newline=""), delimiter=delimiter), [])


def _reads_as_row(text: str, pos: int, delimiter: str, width: int) -> bool:
    """Whether the line at ``pos`` reads on its own as a complete row of ``width`` cells."""
    end, _ = _record_end(text, pos, delimiter)
    if end is None or end - pos > MAX_RAW:
        return False
    cells = next(csv.reader(io.StringIO(text[pos:end], newline=""), delimiter=delimiter), [])
    return len(cells) == width
