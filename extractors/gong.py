"""Gong call transcripts, joined to their call metadata (Gong API v2).

Reads a folder of saved Gong API responses [GONG-OAS][GONG-HELP], any file names, several pages
of each kind:

* transcript pages from ``POST /v2/calls/transcript``: ``{"requestId", "records",
  "callTranscripts": [{"callId", "transcript": [{"speakerId", "topic", "sentences":
  [{"start", "end", "text"}]}]}]}``;
* call pages from ``POST /v2/calls/extensive``: ``{"requestId", "records", "calls":
  [{"metaData": {"id", "title", "started", "duration", "scope", "direction", "language", "url",
  ...}, "parties": [...], "context": [...]}]}``.

A file is recognised by its top-level keys, not its name; a bare saved array of either kind of
item is read too. Each call becomes one :class:`Record`: the monologues are its parts, joined to
the call's ``parties[]`` on ``speakerId`` for the speaker's name and role (``affiliation``
``Internal`` -> internal, ``External`` -> customer, ``Unknown`` -> unknown; a party with a Gong
``userId`` is internal).

Quirks:

* Transcripts carry no clock time: sentence ``start`` is **milliseconds from the start of the
  call**, while ``duration`` is seconds [GONG-OAS][GONG-RS]. A part's timestamp is
  ``metaData.started`` plus its first sentence's ``start``. A transcript whose call metadata is
  not in the folder cannot be dated and is rejected, naming the export to add.
* Gong has no ``updated_at``: ``updated_at`` is ``started``. A transcript that changes (Gong
  re-transcribed it) arrives with the same timestamps and new text.
* Ids have up to 20 digits [GONG-OAS]: they stay strings (a JSON number is converted exactly).
* ``account`` is the CRM ``Account`` (or ``Company``) name from the call's ``context[]``
  [GONG-TAP], else that object's id.
* Call metadata without a transcript (not recorded, still processing) is skipped; an API error
  page (``{"requestId", "errors"}``) is rejected as a whole file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConnectorError
from .base import Part, Record, Rejected, Skipped, raw_json
from .files import (
    BadFile,
    BrokenOff,
    LimitError,
    clip_raw,
    failure_text,
    guard_file,
    guard_record,
    iter_json_records,
    json_raw,
    parse_json,
    read_text,
    undecodable_reason,
)
from .registry import connector
from .text import clean_text
from .values import as_id, as_text, parse_timestamp

_ROLES = {"internal": "internal", "external": "customer", "unknown": "unknown"}
_ACCOUNT_TYPES = ("account", "company")
# Which array of a page holds which kind of item, and the label of its locators.
_PAGES = {"callTranscripts": "transcript", "calls": "call metadata"}
_CONVERSION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_PLAIN_ID = re.compile(r"^[\w.:-]{1,64}$")
_FIELD_NAME = re.compile(r"^[A-Za-z_][\w.]{0,40}$")


@connector("gong", formats=("json",), layout="folder", channel="call")
def read_gong(path: Path, *, encoding: str = "utf-8") -> Iterator[Record | Rejected | Skipped]:
    """Read Gong call transcripts and call metadata pages into one record per call.

    Args:
        path: The folder holding the saved API pages (or a single page file).
        encoding: Text encoding of the files.

    Yields:
        A :class:`Record` per transcribed call, a :class:`Rejected` per bad transcript or page,
        a :class:`Skipped` per call that has metadata but no transcript.
    """
    transcripts: list[tuple[str, str, Any, str]] = []  # (path, locator, item, raw)
    calls: dict[str, tuple[str, str, dict[str, Any]]] = {}  # call id -> (path, locator, item)
    for file in _json_files(path):
        for entry in guard_file(str(file), _read_page(file, encoding)):
            if isinstance(entry, Rejected):  # the rest of the file broke off
                yield entry
                continue
            kind, where, locator, item = entry
            if kind == "rejected":
                yield item
                continue
            # Limits now; bad bytes once the transcript is joined to its call (below).
            raw = json_raw(where, locator, item, None)
            if isinstance(raw, Rejected):
                yield raw
            elif kind == "transcript":
                transcripts.append((where, locator, item, raw))
            else:
                outcome = guard_record(
                    where, locator, partial(_add_call, calls, where, locator, item, raw), raw
                )
                if outcome is not None:
                    yield outcome

    seen: set[str] = set()
    for where, locator, item, raw in transcripts:
        convert = partial(_transcript, item, where, locator, raw, calls, seen, encoding)
        yield guard_record(where, locator, convert, raw, what="transcript")

    for call_id, (where, locator, _) in calls.items():
        yield Skipped(where, _call_locator(call_id, locator), "call has no transcript")


def _call_locator(call_id: str, fallback: str) -> str:
    """``call 7782342274025937895`` when the id is a plain one, else the reader's locator."""
    return f"call {call_id}" if _PLAIN_ID.match(call_id) else fallback


def _transcript(
    item: Any,
    where: str,
    locator: str,
    raw: str,
    calls: dict[str, tuple[str, str, dict[str, Any]]],
    seen: set[str],
    encoding: str,
) -> Record | Rejected | Skipped:
    """One transcript joined to its call's metadata, as a record."""
    try:
        call_id = as_id(item.get("callId") if isinstance(item, dict) else None, field="callId")
    except ConnectorError as e:
        reason = e.reason if isinstance(item, dict) else "transcript is not an object"
        return Rejected(where, locator, reason, clip_raw(raw))
    locator = _call_locator(call_id, locator)
    if call_id in seen:
        return Skipped(where, locator, "duplicate transcript of a call already read")
    seen.add(call_id)
    call = calls.pop(call_id, None)
    if call is None:
        which = f"call {call_id}" if _PLAIN_ID.match(call_id) else "this call"
        reason = (
            f"no call metadata for {which}: created_at unknown; add the /v2/calls/extensive export"
        )
        return Rejected(where, locator, reason, clip_raw(raw))
    raw = raw_json({"call": call[2], "transcript": item})
    bad_bytes = undecodable_reason(raw, encoding)
    if bad_bytes:
        return Rejected(where, locator, bad_bytes, clip_raw(raw))
    try:
        return _to_record(call_id, item, call[2], where, locator, raw)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    except _CONVERSION_ERRORS as e:
        return Rejected(where, locator, _problem(e), clip_raw(raw))


def _json_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*.json")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def _read_page(file: Path, encoding: str) -> Iterator[tuple[str, str, str, Any]]:
    """Yield ``(kind, path, locator, item)``; kind is transcript, call or rejected."""
    where = str(file)
    try:
        text = read_text(file, encoding=encoding)
    except BadFile as e:
        yield "rejected", where, "file", e.rejected
        return
    try:
        doc = parse_json(text)
    except (json.JSONDecodeError, LimitError) as e:
        # A broken page: recover the items of whichever array it holds.
        keys = [key for key in _PAGES if re.search(rf'"{key}"\s*:\s*\[', text)]
        if not keys:
            reason = (
                f"invalid JSON ({failure_text(e, text)}) and no 'callTranscripts' or 'calls' "
                "array to recover from"
            )
            yield "rejected", where, "file", BrokenOff(where, "file", reason, clip_raw(text))
        for key in keys:
            entries = iter_json_records(text, where, array_key=key, label=_PAGES[key], failure=e)
            for entry in entries:
                yield _classify(entry, key, where)
        return
    if isinstance(doc, list):  # a saved bare array of items
        for i, item in enumerate(doc, 1):
            key = "calls" if isinstance(item, dict) and "metaData" in item else "callTranscripts"
            yield _classify((f"{_PAGES[key]} {i}", item), key, where)
        return
    keys = [key for key in _PAGES if isinstance(doc, dict) and key in doc]
    if not keys:
        if isinstance(doc, dict) and "errors" in doc:
            reason = "Gong API error response, not a page of calls or transcripts"
        else:
            reason = "not a Gong page: expected a 'callTranscripts' or 'calls' array"
        yield "rejected", where, "file", Rejected(where, "file", reason, clip_raw(text))
        return
    for key in keys:
        items = doc[key]
        if not isinstance(items, list):
            reason = f"field {key!r} is not an array"
            yield "rejected", where, "file", Rejected(where, "file", reason, clip_raw(text))
            continue
        for i, item in enumerate(items, 1):
            yield _classify((f"{_PAGES[key]} {i}", item), key, where)


def _classify(entry: tuple[str, Any] | Rejected, key: str, where: str) -> tuple[str, str, str, Any]:
    if isinstance(entry, Rejected):
        return "rejected", where, entry.locator, entry
    locator, item = entry
    return ("transcript" if key == "callTranscripts" else "call"), where, locator, item


def _add_call(
    calls: dict[str, tuple[str, str, dict[str, Any]]],
    where: str,
    locator: str,
    item: Any,
    raw: str,
) -> Rejected | Skipped | None:
    """File one call-metadata item under its id, or reject it if it has none."""
    if not isinstance(item, dict):
        return Rejected(where, locator, "call is not an object", clip_raw(raw))
    meta = item.get("metaData")
    if not isinstance(meta, dict):
        reason = (
            "missing required field 'metaData'"
            if meta is None
            else "field 'metaData' is not an object"
        )
        return Rejected(where, locator, reason, clip_raw(raw))
    try:
        call_id = as_id(meta.get("id"), field="metaData.id")
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    if call_id in calls:
        locator = _call_locator(call_id, locator)
        return Skipped(where, locator, "duplicate metadata of a call already read")
    calls[call_id] = (where, locator, item)
    return None


def _to_record(
    call_id: str, item: dict[str, Any], call: dict[str, Any], where: str, locator: str, raw: str
) -> Record:
    meta = call["metaData"]
    started = parse_timestamp(meta.get("started"), field="metaData.started")
    if started is None:
        raise ConnectorError("missing required field 'metaData.started'")
    speakers = _speakers(call.get("parties"))

    monologues = item.get("transcript")
    if monologues is None:
        monologues = []
    if not isinstance(monologues, list):
        raise ConnectorError("field 'transcript' is not an array")
    parts: list[Part] = []
    topics: list[str] = []
    for n, monologue in enumerate(monologues, 1):
        if not isinstance(monologue, dict):
            raise ConnectorError(f"transcript monologue {n} is not an object")
        topic = as_text(monologue.get("topic"), field=f"monologue {n} topic").strip()
        if topic and topic not in topics:
            topics.append(topic)
        part = _part(monologue, n, speakers, started)
        if part is not None:
            parts.append(part)

    duration = meta.get("duration")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int | float)
    ):
        raise ConnectorError("field 'metaData.duration' is not a number of seconds")
    metadata = {
        "duration_s": duration,
        "scope": _opt_text(meta, "scope"),
        "direction": _opt_text(meta, "direction"),
        "language": _opt_text(meta, "language"),
        "topics": topics,
        "parties": len(call["parties"]) if isinstance(call.get("parties"), list) else 0,
        "url": _opt_text(meta, "url"),
    }
    return Record(
        native_id=call_id,
        path=where,
        locator=locator,
        parts=parts,
        title=clean_text(as_text(meta.get("title"), field="metaData.title")) or None,
        account=_account(call.get("context")),
        created_at=started,
        updated_at=started,
        metadata={k: v for k, v in metadata.items() if v is not None},
        raw=clip_raw(raw),
    )


def _part(
    monologue: dict[str, Any],
    n: int,
    speakers: dict[str, tuple[str | None, str]],
    started: datetime,
) -> Part | None:
    sentences = monologue.get("sentences")
    if sentences is None:
        sentences = []
    if not isinstance(sentences, list):
        raise ConnectorError(f"monologue {n}: field 'sentences' is not an array")
    texts: list[str] = []
    offset_ms: float | None = None
    for sentence in sentences:
        if not isinstance(sentence, dict):
            raise ConnectorError(f"monologue {n}: a sentence is not an object")
        texts.append(as_text(sentence.get("text"), field=f"monologue {n} sentence text"))
        start = _ms(sentence.get("start"), n)
        if offset_ms is None:
            offset_ms = start
    text = clean_text(" ".join(t.strip() for t in texts if t.strip()))
    if not text:
        return None
    speaker_id = monologue.get("speakerId")
    speaker, role = (None, "unknown")
    if speaker_id is not None:
        speaker, role = speakers.get(as_id(speaker_id, field="speakerId"), (None, "unknown"))
    timestamp = started + timedelta(milliseconds=offset_ms) if offset_ms is not None else None
    return Part(text=text, speaker=speaker, role=role, timestamp=timestamp)


def _ms(value: Any, n: int) -> float | None:
    """A sentence offset in milliseconds from the call's start."""
    if value is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?", value.strip()):
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e9:
        raise ConnectorError(f"monologue {n}: sentence 'start' is not milliseconds from call start")
    return float(value)


def _speakers(parties: Any) -> dict[str, tuple[str | None, str]]:
    """``speakerId`` -> (name, role) from the call's ``parties[]``."""
    if parties is None:
        return {}
    if not isinstance(parties, list):
        raise ConnectorError("field 'parties' is not an array")
    speakers: dict[str, tuple[str | None, str]] = {}
    for party in parties:
        if not isinstance(party, dict):
            raise ConnectorError("a party in 'parties' is not an object")
        if party.get("speakerId") is None:  # silent parties have no speakerId
            continue
        speaker_id = as_id(party["speakerId"], field="parties.speakerId")
        name = clean_text(as_text(party.get("name"), field="parties.name")) or None
        affiliation = as_text(party.get("affiliation"), field="parties.affiliation").lower()
        role = _ROLES.get(affiliation, "unknown")
        if role == "unknown" and party.get("userId"):  # a Gong user is someone internal
            role = "internal"
        speakers[speaker_id] = (name, role)
    return speakers


def _account(context: Any) -> str | None:
    """The CRM account's name (else id) from a call's ``context[]``."""
    if not isinstance(context, list):
        return None
    for system in context:
        objects = system.get("objects") if isinstance(system, dict) else None
        for obj in objects if isinstance(objects, list) else []:
            if not isinstance(obj, dict) or str(obj.get("objectType", "")).lower() not in (
                _ACCOUNT_TYPES
            ):
                continue
            fields = obj.get("fields")
            for field in fields if isinstance(fields, list) else []:
                if isinstance(field, dict) and field.get("name") == "Name":
                    value = field.get("value")
                    if isinstance(value, str) and value.strip():
                        return clean_text(value)
            object_id = obj.get("objectId")
            if isinstance(object_id, str | int) and not isinstance(object_id, bool):
                return str(object_id)
    return None


def _opt_text(meta: dict[str, Any], key: str) -> str | None:
    return as_text(meta.get(key), field=f"metaData.{key}").strip() or None


def _problem(e: Exception) -> str:
    """A reason for an unexpected shape, naming the kind of problem but no content."""
    if isinstance(e, KeyError):
        # Only a field name is named: a key looked up from the record's own values is content.
        name = e.args[0] if e.args else None
        if isinstance(name, str) and _FIELD_NAME.match(name):
            return f"missing required field {name!r}"
        return "a required field is missing"
    if isinstance(e, AttributeError | TypeError):
        return "a field has the wrong type (expected an object, array or text)"
    return f"unreadable value ({type(e).__name__})"
