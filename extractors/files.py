"""Tolerant readers for the containers vendors export in: JSON documents, JSON Lines, CSV.

They never give up on a whole file because of one bad record. Each yields ``(locator, value)``
for every record it could parse and a :class:`~silobridge.extractors.base.Rejected` for every one
it could not, so the rest of the file still lands:

* a file that is binary (NUL bytes among many other control bytes), or empty, is one rejected
  record (``locator="file"``); a stray NUL byte in a text file only spoils the record it is in;
* bytes that are not valid in the file's encoding are kept as surrogate escapes, and only the
  records that contain them are rejected, naming the encoding option to set;
* a JSON document that is truncated or broken keeps every array element before and after the
  damage; the damaged element is rejected with its line;
* a record over one of the :class:`Limits` (nesting, digits, size) is rejected naming the limit;
* CSV: :mod:`.csv_rows` (lines end at ``\\n``, ``\\r\\n`` or ``\\r`` only; a runaway quoted
  field is one rejected row, not thousands of fragments).

**Structural failures.** When a file breaks off (a JSON array with no closing ``]``, a
document that does not parse outside its records, a CSV quote that never closes), the rejection
is a :class:`BrokenOff`: the records read before it are kept, and the ingest stage does not mark
the file as read, so the next run reads it again (its records dedupe as usual).

**Guards.** Connectors convert each record inside :func:`guard_record` (any exception is that
record's rejection, never the file's) and read each file of a folder inside :func:`guard_file`
(an exception that escapes a file's reader rejects the rest of that file only). Reasons never
quote record content, which may hold personal data: they say what is wrong and where.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from ..errors import ConfigError, ConnectorError
from .base import Rejected, Skipped, raw_json

_UNDECODABLE = re.compile(r"[\udc80-\udcff]")
_JSON_TOKEN = re.compile(r'["\[\]{},]')
_JSON_STRING = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
MAX_RAW = 1 << 20  # quarantine keeps at most 1 MiB of one bad record

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """How big and how deep one record may be before it is rejected, naming the limit.

    The defaults are far beyond any real export (a Zendesk ticket with its whole comment
    thread is well under a megabyte) and keep a hostile record from costing more than a bounded
    amount of memory and time, or from raising inside a parser.

    Attributes:
        max_depth: JSON arrays and objects nested deeper than this in one record (200). Python's
            own parser gives up near 1,000 with a ``RecursionError``, and any code that walks a
            record recursively would fail before that.
        max_digits: Digits of one JSON integer (1,000). Python refuses to convert integers of
            more than 4,300 digits, and converting long ones costs quadratic time; no id,
            count or timestamp has more than 20.
        max_field_chars: Characters of one CSV cell (10,000,000). A quote that opens a cell and
            closes megabytes later is one rejected row; ``csv.field_size_limit`` is raised to
            this so the ``csv`` module itself never stops at its 131,072 default.
        max_record_chars: Characters of one record: a JSON Lines line, a JSON record (as the
            export writes it) or a CSV row (20,000,000).
    """

    max_depth: int = 200
    max_digits: int = 1_000
    max_field_chars: int = 10_000_000
    max_record_chars: int = 20_000_000


LIMITS = Limits()
"""The default limits (a test may swap in smaller ones)."""

_ACTIVE: ContextVar[Limits | None] = ContextVar("silobridge_limits", default=None)


@contextmanager
def use_limits(limits: Limits | None) -> Iterator[None]:
    """Within the block, every reader that is not given limits applies ``limits`` (``None``:
    the defaults). The ingest stage reads a run's sources inside one (``[limits]`` in
    ``silobridge.toml``)."""
    token = _ACTIVE.set(limits)
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def _limits(limits: Limits | None) -> Limits:
    if limits is not None:
        return limits
    active = _ACTIVE.get()
    return active if active is not None else LIMITS


@dataclass(frozen=True)
class BrokenOff(Rejected):
    """A rejection that ends a file early: the file is structurally broken (truncated, not
    parseable outside its records), so it is not marked as read and the next run reads it again.
    """


class BadFile(Exception):
    """A whole file cannot be read as text; carries the :class:`Rejected` for it."""

    def __init__(self, rejected: Rejected):
        self.rejected = rejected
        super().__init__(str(rejected))


class LimitError(ValueError):
    """A JSON text breaks one of the :class:`Limits`; ``reason`` says which (no content)."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


# --- text --------------------------------------------------------------------------------------

# C0 control bytes other than tab, line feed, vertical tab, form feed and carriage return; DEL.
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + bytes(range(0x0E, 0x20)) + b"\x7f"
_SNIFF = 8192


def looks_binary(data: bytes) -> bool:
    """Whether a file's first 8 KiB say it is binary rather than a text export.

    Binary formats (images, archives, UTF-16 without a byte-order mark) are full of NUL and other
    control bytes: about one byte in nine of compressed data. A text export with a stray NUL (one
    damaged record) has a handful: it is read, and only the records holding them are rejected.
    So a file is binary when its first 8 KiB hold a NUL and at least 3% control bytes.
    """
    sample = data[:_SNIFF]
    if b"\x00" not in sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls * 100 >= len(sample) * 3


def read_text(path: Path, *, encoding: str = "utf-8", display: str | None = None) -> str:
    """Read a text file, keeping undecodable bytes as surrogate escapes.

    A byte-order mark selects UTF-8 or UTF-16 whatever ``encoding`` says.

    Raises:
        BadFile: if the file is binary (see :func:`looks_binary`), empty, or unreadable.
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
    if encoding != "utf-16" and looks_binary(data):
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


# --- guards ------------------------------------------------------------------------------------


def failure_reason(error: BaseException, what: str = "record") -> str:
    """The reason for an exception no reader expected, naming its type but no content."""
    if isinstance(error, RecursionError):
        return f"{what} nested too deeply to read (RecursionError)"
    if isinstance(error, MemoryError):
        return f"{what} too large to read (MemoryError)"
    return f"cannot read {what}: unexpected {type(error).__name__} (a bug: please report it)"


def guard_record(
    where: str, locator: str, convert: Callable[[], T], raw: str = "", *, what: str = "record"
) -> T | Rejected:
    """``convert()``, or the record's rejection if it raises anything.

    A :class:`ConnectorError` gives its reason; any other exception (a connector bug, a record
    shaped like nothing the connector expects) is named by type. :class:`ConfigError` is about
    the source's settings, not the record: it propagates.
    """
    try:
        return convert()
    except ConfigError:
        raise
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    except Exception as e:  # one record must never lose the rest of the file
        return Rejected(where, locator, failure_reason(e, what), clip_raw(raw))


def guard_file(
    where: str, items: Iterable[T], *, what: str = "file", prefix: str = ""
) -> Iterator[T | BrokenOff]:
    """Yield ``items`` (one file's results); an exception ends them with one :class:`BrokenOff`.

    The records yielded before it are kept; the rest of the file is quarantined as one record
    (its locator starts with ``prefix``) and the file is read again next run.
    :class:`ConfigError` propagates.
    """
    done = 0
    try:
        for item in items:
            if not isinstance(item, Skipped):
                done += 1
            yield item
    except ConfigError:
        raise
    except Exception as e:  # the other files of the source are still read
        yield BrokenOff(
            where,
            f"{prefix}{what}, after {done} records",
            f"the rest of the {what} was not read: {failure_reason(e, what)}",
        )


# --- JSON --------------------------------------------------------------------------------------


def parse_json(text: str, *, limits: Limits | None = None) -> Any:
    """``json.loads`` that reports what Python's parser cannot take as a :class:`LimitError`.

    Raises:
        json.JSONDecodeError: if ``text`` is not valid JSON.
        LimitError: if it nests too deeply for the parser, or holds an integer too long to
            convert.
    """
    limits = _limits(limits)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise LimitError(_depth_reason(limits)) from None
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        raise LimitError(_digits_reason(limits)) from None


def _depth_reason(limits: Limits) -> str:
    return f"nested deeper than {limits.max_depth:,} levels ([limits] max_depth)"


def _digits_reason(limits: Limits) -> str:
    return f"a number of more than {limits.max_digits:,} digits ([limits] max_digits)"


def _size_reason(what: str, size: int, limit: int) -> str:
    key = "max_field_chars" if what == "a field" else "max_record_chars"
    return f"{what} of {size:,} characters (limit {limit:,}: [limits] {key})"


@cache
def _digits_bound(digits: int) -> tuple[int, int]:
    """``(bit length, value)`` of ``10**digits``, the smallest integer with one digit more."""
    bound = 10**digits
    return bound.bit_length(), bound


def record_problem(value: Any, *, limits: Limits | None = None) -> str | None:
    """Why a parsed JSON record breaks the nesting or digit limit, else ``None``.

    Walks the record level by level (no recursion, so any depth is safe to check).
    """
    limits = _limits(limits)
    bits, bound = _digits_bound(limits.max_digits)
    level, depth = [value], 0
    while level:
        below: list[Any] = []
        for node in level:
            kind = type(node)
            if kind is dict:
                children: Iterable[Any] = node.values()
            elif kind is list:
                children = node
            else:
                if kind is int and node.bit_length() >= bits and abs(node) >= bound:
                    return _digits_reason(limits)
                continue
            if depth >= limits.max_depth:
                return _depth_reason(limits)
            for child in children:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is int and child.bit_length() >= bits and abs(child) >= bound:
                    return _digits_reason(limits)
        level, depth = below, depth + 1
    return None


def safe_raw(value: Any) -> str:
    """A parsed JSON value as text for quarantine, or ``""`` if it cannot be written back."""
    try:
        return raw_json(value)
    except Exception:  # too deep to write back: the quarantine row then holds no raw text
        return ""


def json_raw(
    where: str, locator: str, value: Any, encoding: str | None, *, limits: Limits | None = None
) -> str | Rejected:
    """A parsed JSON record's raw text for the store, or its rejection.

    Rejects a record nested too deeply, holding a too-long number (:func:`record_problem`),
    too large (``max_record_chars``, measured on the raw text), or holding bytes not valid in
    ``encoding`` (not checked when it is ``None``).
    """
    limits = _limits(limits)
    problem = record_problem(value, limits=limits)
    try:
        raw = raw_json(value)
    except Exception as e:  # a record that cannot be written back is rejected
        return Rejected(where, locator, problem or failure_reason(e))
    if problem is not None:
        return Rejected(where, locator, problem, clip_raw(raw))
    if len(raw) > limits.max_record_chars:
        reason = _size_reason("a record", len(raw), limits.max_record_chars)
        return Rejected(where, locator, reason, clip_raw(raw))
    bad = undecodable_reason(raw, encoding) if encoding is not None else None
    if bad:
        return Rejected(where, locator, bad, clip_raw(raw))
    return raw


_UNSET: Any = object()


def iter_json_records(
    text: str,
    path: str,
    *,
    array_key: str | None = None,
    label: str = "record",
    limits: Limits | None = None,
    doc: Any = _UNSET,
    failure: Exception | None = None,
) -> Iterator[tuple[str, Any] | Rejected]:
    """Yield the records of a JSON document.

    The records are the elements of the array at ``array_key`` (a dotted path such as
    ``"tickets"`` or ``"records.items"``), or of the top-level array; a top-level object without
    ``array_key`` is one record. Locators read ``"{label} 3 (line 17)"``, 1-based.

    When the document does not parse, the array is split at its top-level commas, each element is
    parsed on its own, and only the broken or truncated ones are rejected. A file that breaks off
    (truncated inside a record, or after one with no closing ``]``), or that is damaged outside
    its records, ends with a :class:`BrokenOff`.

    The records yielded are parsed but not checked against the limits: connectors check each one
    with :func:`json_raw` as they convert it.

    Args:
        doc: The document, when the caller already parsed ``text``.
        failure: Why ``text`` does not parse, when the caller already tried: the records are
            then recovered one by one at once.
    """
    if doc is _UNSET and failure is None:
        try:
            doc = parse_json(text, limits=limits)
        except (json.JSONDecodeError, LimitError) as e:
            failure = e
    if failure is not None:
        yield from _salvage_json_array(
            text, path, array_key=array_key, label=label, failure=failure, limits=limits
        )
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


def failure_text(failure: Exception, text: str) -> str:
    """What is wrong with a JSON text, and where, without quoting it."""
    if isinstance(failure, json.JSONDecodeError):
        return f"{failure.msg} (line {line_of(text, failure.pos)})"
    if isinstance(failure, LimitError):
        return failure.reason
    return type(failure).__name__


class _LineCounter:
    """1-based line numbers of increasing offsets in one text, counted incrementally."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        if offset < self.pos:
            return line_of(self.text, offset)
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


def _salvage_json_array(
    text: str,
    path: str,
    *,
    array_key: str | None,
    label: str,
    failure: Exception,
    limits: Limits | None,
) -> Iterator[tuple[str, Any] | Rejected]:
    limits = _limits(limits)
    start = _find_array(text, array_key)
    if start is None:
        where = f"array {array_key!r}" if array_key else "a top-level array"
        yield BrokenOff(
            path,
            "file",
            f"invalid JSON ({failure_text(failure, text)}) and no {where} to recover records from",
            clip_raw(text),
        )
        return
    # Where the whole document stopped parsing: damage inside a rejected record explains it.
    error_at = failure.pos if isinstance(failure, json.JSONDecodeError) else None
    explained = False
    lines = _LineCounter(text)
    n = len(text)
    index = 0
    pos = _SPACE.match(text, start).end()  # type: ignore[union-attr]
    while True:
        if pos >= n:  # the text ran out with no record open: the closing ] is missing
            where = f"after {label} {index}" if index else "before any record"
            yield BrokenOff(
                path,
                f"end of file (line {lines.at(n)})",
                f"file truncated {where} (no closing ])",
            )
            return
        if text[pos] == "]":
            break
        index += 1
        begin = pos
        locator = f"{label} {index} (line {lines.at(begin)})"
        # Fast: parse the element where it stands and find the comma or ] after it.
        try:
            value, end = _DECODER.raw_decode(text, begin)
        except (ValueError, RecursionError):
            end = -1
        if end >= 0:
            after = _SPACE.match(text, end).end()  # type: ignore[union-attr]
            if after >= n or text[after] in ",]":
                if end - begin > limits.max_record_chars:
                    too_big = _size_reason("a record", end - begin, limits.max_record_chars)
                    explained = explained or error_at is None or begin <= error_at <= end
                    yield Rejected(path, locator, too_big, clip_raw(text[begin : begin + MAX_RAW]))
                else:
                    yield locator, value
                if after < n and text[after] == ",":
                    after = _SPACE.match(text, after + 1).end()  # type: ignore[union-attr]
                pos = after
                continue
        # Slow: the element is damaged (or too deep to parse): find where it ends, then why.
        begin, end, state = _scan_element(text, begin)
        reason: str | None = None
        if end - begin > limits.max_record_chars:
            reason = _size_reason("a record", end - begin, limits.max_record_chars)
            explained = explained or error_at is None or begin <= error_at <= end
        else:
            chunk = text[begin:end]
            try:
                value = parse_json(chunk, limits=limits)
            except json.JSONDecodeError as e:
                if state == "open":  # the text ends inside this record
                    reason = "truncated JSON: the file ends inside this record"
                else:
                    line = lines.at(begin) + chunk.count("\n", 0, e.pos)
                    reason = f"invalid JSON: {e.msg} (line {line})"
                    explained = explained or (error_at is not None and begin <= error_at <= end)
            except LimitError as e:
                reason = e.reason
                explained = explained or error_at is None or begin <= error_at <= end
            else:
                yield locator, value
        raw = clip_raw(text[begin : begin + MAX_RAW])
        if state == "open":
            if reason is not None:
                yield BrokenOff(path, locator, reason, raw)
                return
            pos = n
            continue
        if reason is not None:
            yield Rejected(path, locator, reason, raw)
        pos = end
        if text[pos] == ",":
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    # The records array closed at ``pos``.
    if explained:
        return
    if array_key is None:
        tail = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
        if tail < n:
            yield BrokenOff(
                path,
                f"file (line {lines.at(tail)})",
                "invalid JSON after the closing ] of the records array",
                clip_raw(text[tail : tail + MAX_RAW]),
            )
            return
    yield BrokenOff(
        path,
        "file",
        f"invalid JSON outside the records ({failure_text(failure, text)})",
        clip_raw(text),
    )


def _find_array(text: str, array_key: str | None) -> int | None:
    """Offset just past the ``[`` that opens the records array."""
    if array_key is None:
        stripped = len(text) - len(text.lstrip())
        return stripped + 1 if text[stripped : stripped + 1] == "[" else None
    key = array_key.split(".")[-1]
    match = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
    return match.end() if match else None


def _scan_element(text: str, pos: int) -> tuple[int, int, str]:
    """``(begin, end, state)`` of the array element that starts at ``pos``.

    The element ends at the comma or ``]`` that closes it at depth 0 (``state`` is
    ``"closed"``, ``text[end]`` that character), or the text ends inside it (``"open"``,
    ``end == len(text)``). Strings are skipped whole, so brackets inside them do not count.
    """
    depth, begin, n = 0, pos, len(text)
    while pos < n:
        match = _JSON_TOKEN.search(text, pos)
        if match is None:
            break
        ch, at = match.group(), match.start()
        if ch == '"':
            string = _JSON_STRING.match(text, at)
            if string is None:  # unterminated string: the text ends inside it
                break
            pos = string.end()
            continue
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                if ch == "]":
                    return begin, at, "closed"
                # a stray } at depth 0 is damage inside this element, not its end
            else:
                depth -= 1
        elif depth == 0:  # a comma
            return begin, at, "closed"
        pos = at + 1
    return begin, n, "open"


def iter_jsonl(
    text: str, path: str, *, limits: Limits | None = None
) -> Iterator[tuple[str, Any] | Rejected]:
    """Yield ``("line N", record)`` for each JSON Lines record; bad lines are rejected.

    Lines end at ``\\n`` only, so a NUL byte or an undecodable byte spoils only its own line.
    A line longer than ``max_record_chars`` is rejected unparsed. A last line that does not
    parse and has no line end is where the file was cut: a :class:`BrokenOff`.
    """
    limits = _limits(limits)
    pos, number, n = 0, 0, len(text)
    while pos < n:
        number += 1
        end = text.find("\n", pos)
        if end < 0:
            end = n
        line_start, pos = pos, end + 1
        if end - line_start > limits.max_record_chars:
            reason = _size_reason("a line", end - line_start, limits.max_record_chars)
            yield Rejected(
                path, f"line {number}", reason, clip_raw(text[line_start : line_start + MAX_RAW])
            )
            continue
        line = text[line_start:end]
        if not line.strip():
            continue
        locator = f"line {number}"
        try:
            yield locator, parse_json(line, limits=limits)
        except json.JSONDecodeError as e:
            if end == n:  # no line end after it: the file was cut inside this line
                reason = (
                    f"invalid JSON: {e.msg} (column {e.colno}); the file ends inside this line "
                    "(truncated)"
                )
                yield BrokenOff(path, locator, reason, clip_raw(line))
            else:
                reason = f"invalid JSON: {e.msg} (column {e.colno})"
                yield Rejected(path, locator, reason, clip_raw(line))
        except LimitError as e:
            yield Rejected(path, locator, e.reason, clip_raw(line))
