"""Intercom conversations as the REST API returns them (2.x, and 1.x payloads).

One file (``layout="files"``) holds any of:

* a ``conversation.list`` page ``{"type": "conversation.list", "pages": {...},
  "conversations": [...]}`` (list and search endpoints) [IC-OAS];
* a bare array of conversations, or one conversation object (``GET /conversations/{id}``);
* JSON Lines (``*.jsonl``), one conversation (or one page) per line.

A conversation is one record, ``native_id`` its ``id``. Its parts are message 0, the ``source``
(1.x: ``conversation_message`` [IC-GO][IC-JAVA]), which is not repeated among the parts, then
``conversation_parts.conversation_parts[]`` in order [IC-OAS]. Roles come from ``author.type``:
``user``/``lead``/``contact`` are the customer, ``admin``/``team`` internal, ``bot`` the bot; a
``note`` is internal whoever wrote it. Text is HTML, converted to plain text.

Quirks handled:

* State changes (``assignment``, ``open``, ``close``, ``snoozed``...) have ``body: null`` [IC-OAS]:
  they are events inside a good record, left out of its parts, not records of their own. A part
  of another type that does carry a body (an admin who replies while assigning) is kept, so no
  text is lost.
* All times are epoch seconds [IC-OAS]; ``updated_at`` falls back to ``created_at``.
* The list endpoint leaves ``conversation_parts`` out: such a record holds the source only.
* Speakers are the author's ``name`` only; e-mail addresses stay in ``raw``. 1.x authors carry
  only ids, so their parts have no speaker.
* ``account`` is the company of a contact when the export embeds one (``company`` or
  ``companies``), else a ``custom_attributes`` entry named Company or Account; otherwise
  ``None`` (the plain API gives contact ids only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConnectorError
from .base import Part, Record, Rejected, Skipped
from .files import (
    BadFile,
    LimitError,
    clip_raw,
    guard_file,
    guard_record,
    iter_json_records,
    iter_jsonl,
    json_raw,
    parse_json,
    read_text,
    safe_raw,
)
from .registry import connector
from .text import clean_text, html_to_text
from .values import as_id, as_text, parse_timestamp

_ROLES = {
    "user": "customer",
    "lead": "customer",
    "contact": "customer",
    "admin": "internal",
    "team": "internal",
    "bot": "bot",
}
_PLAIN_ID = re.compile(r"^[\w.:-]{1,64}$")


@connector("intercom", formats=("json", "jsonl"), layout="files", channel="chat")
def read_intercom(path: Path, *, encoding: str = "utf-8") -> Iterator[Record | Rejected | Skipped]:
    """Read Intercom conversations (list page, array, single object or JSON Lines).

    Args:
        path: One export file.
        encoding: Encoding of a file without a byte-order mark.

    Yields:
        One :class:`Record` per conversation and a :class:`Rejected` per bad conversation or
        unreadable file.

    Raises:
        ConfigError: if ``encoding`` is unknown.

    Examples:
        >>> path = Path("tests/fixtures/intercom/v1/conversations.json")
        >>> records = list(read_intercom(path))  # doctest: +SKIP
    """
    path = Path(path)
    where = str(path)
    try:
        text = read_text(path, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return
    if path.suffix.lower() == ".jsonl":
        items = _jsonl_items(text, where)
    else:
        items = _json_items(text, where)
    for item in guard_file(where, items):
        if isinstance(item, Rejected):
            yield item
        else:
            yield _conversation(item[1], where, item[0], encoding)


def _json_items(text: str, where: str) -> Iterator[tuple[str, Any] | Rejected]:
    try:
        doc = parse_json(text)
    except (json.JSONDecodeError, LimitError) as e:
        # Truncated or damaged: keep every conversation that still parses.
        key = None if text.lstrip().startswith("[") else "conversations"
        yield from iter_json_records(text, where, array_key=key, label="record", failure=e)
        return
    yield from _page_items(doc, where, "record {}", "file", text)


def _jsonl_items(text: str, where: str) -> Iterator[tuple[str, Any] | Rejected]:
    for item in iter_jsonl(text, where):
        if isinstance(item, Rejected):
            yield item
        elif isinstance(item[1], dict) and "conversations" in item[1]:
            locator = f"{item[0]}, record {{}}"
            yield from _page_items(item[1], where, locator, item[0], safe_raw(item[1]))
        else:
            yield item


def _page_items(
    doc: Any, where: str, locator: str, whole: str, text: str
) -> Iterator[tuple[str, Any] | Rejected]:
    """The conversations of a parsed document: a list page, an array, or one conversation.

    Args:
        doc: The parsed document.
        where: The file's path, for rejections.
        locator: Template of a conversation's fallback locator, ``{}`` its 1-based index.
        whole: The locator of the document itself (``file``, or its JSON Lines line).
        text: The document's text, for the quarantine when all of it is rejected.
    """
    if isinstance(doc, dict):
        if "conversations" in doc:
            conversations = doc["conversations"]
        elif doc.get("type") == "conversation" or "id" in doc:
            conversations = [doc]
        else:
            reason = "no 'conversations' array: not an Intercom conversation export"
            yield Rejected(where, whole, reason, clip_raw(text))
            return
    elif isinstance(doc, list):
        conversations = doc
    else:
        reason = f"expected a JSON object or array, got {type(doc).__name__}"
        yield Rejected(where, whole, reason, clip_raw(text))
        return
    if not isinstance(conversations, list):
        yield Rejected(where, whole, "field 'conversations' is not a list", clip_raw(text))
        return
    for index, conversation in enumerate(conversations, 1):
        yield locator.format(index), conversation


def _conversation(obj: Any, where: str, fallback: str, encoding: str) -> Record | Rejected:
    locator = _locator(obj.get("id") if isinstance(obj, dict) else None, fallback)
    raw = json_raw(where, locator, obj, encoding)
    if isinstance(raw, Rejected):
        return raw
    convert = partial(_guarded_record, obj, where, locator, raw)
    return guard_record(where, locator, convert, raw, what="conversation")


def _guarded_record(obj: Any, where: str, locator: str, raw: str) -> Record | Rejected:
    try:
        return _record(obj, where, locator, raw)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        return Rejected(
            where, locator, f"malformed conversation ({type(e).__name__})", clip_raw(raw)
        )


def _record(conversation: Any, where: str, locator: str, raw: str) -> Record:
    if not isinstance(conversation, dict):
        raise ConnectorError(
            f"conversation is not a JSON object (got {type(conversation).__name__})"
        )
    native_id = as_id(conversation.get("id"), field="id")
    created_at = parse_timestamp(conversation.get("created_at"), field="created_at")
    if created_at is None:
        raise ConnectorError("missing required field 'created_at'")
    updated_at = parse_timestamp(conversation.get("updated_at"), field="updated_at")
    source = conversation.get("source")
    if source is None:
        source = conversation.get("conversation_message")  # 1.x
    if source is not None and not isinstance(source, dict):
        raise ConnectorError("field 'source' is not an object")
    parts: list[Part] = []
    subject = ""
    if source:
        try:
            subject = html_to_text(as_text(source.get("subject"), field="subject"))
            body = html_to_text(as_text(source.get("body"), field="body"))
            speaker, role = _author(source.get("author"))
        except ConnectorError as e:
            raise ConnectorError(f"source: {e.reason}") from e
        if body:
            parts.append(Part(body, speaker=speaker, role=role, timestamp=created_at))
    for number, part in enumerate(_parts(conversation.get("conversation_parts")), 1):
        try:
            turn = _part(part)
        except ConnectorError as e:
            raise ConnectorError(f"part {number}: {e.reason}") from e
        if turn is not None:
            parts.append(turn)
    title = subject or clean_text(as_text(conversation.get("title"), field="title"))
    return Record(
        native_id=native_id,
        path=where,
        locator=locator,
        parts=parts,
        title=title or None,
        account=_account(conversation),
        created_at=created_at,
        updated_at=updated_at or created_at,
        metadata=_metadata(conversation, source or {}),
        raw=clip_raw(raw),
    )


def _parts(container: Any) -> list[Any]:
    """The parts list of ``conversation_parts`` (a ``conversation_part.list``, or a bare list)."""
    if container is None:
        return []
    if isinstance(container, dict):
        container = container.get("conversation_parts")
        if container is None:
            return []
    if not isinstance(container, list):
        raise ConnectorError("field 'conversation_parts' is not a list")
    return container


def _part(part: Any) -> Part | None:
    """One conversation part as a turn; ``None`` for events without text."""
    if not isinstance(part, dict):
        raise ConnectorError("not a JSON object")
    body = html_to_text(as_text(part.get("body"), field="body"))
    timestamp = parse_timestamp(part.get("created_at"), field="created_at")
    if not body:
        return None
    speaker, role = _author(part.get("author"))
    if part.get("part_type") == "note":
        role = "internal"
    return Part(body, speaker=speaker, role=role, timestamp=timestamp)


def _author(author: Any) -> tuple[str | None, str]:
    """``(speaker, role)`` of an author object; the speaker is its name, never its e-mail."""
    if author is None:
        return None, "unknown"
    if not isinstance(author, dict):
        raise ConnectorError("field 'author' is not an object")
    kind = author.get("type")
    role = _ROLES.get(kind, "unknown") if isinstance(kind, str) else "unknown"
    name = author.get("name")
    speaker = clean_text(name) if isinstance(name, str) else ""
    return speaker or None, role


def _account(conversation: dict[str, Any]) -> str | None:
    """The company of the first contact that names one (only enriched exports carry it)."""
    contacts = conversation.get("contacts")
    if isinstance(contacts, dict):
        contacts = contacts.get("contacts")
    people = list(contacts) if isinstance(contacts, list) else []
    people.append(conversation.get("user"))  # 1.x
    for person in people:
        if not isinstance(person, dict):
            continue
        company = person.get("company")
        if isinstance(company, dict):
            company = company.get("name")
        if isinstance(company, str) and company.strip():
            return clean_text(company)
        companies = person.get("companies")
        if isinstance(companies, dict):
            companies = companies.get("companies", companies.get("data"))
        for item in companies if isinstance(companies, list) else ():
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name.strip():
                return clean_text(name)
    # Workspaces often keep the account as a conversation attribute ("Company", "Account").
    attributes = conversation.get("custom_attributes")
    if isinstance(attributes, dict):
        for key, value in attributes.items():
            name = str(key).strip().lower()
            if name in _ACCOUNT_ATTRIBUTES and isinstance(value, str) and value.strip():
                return clean_text(value)
    return None


_ACCOUNT_ATTRIBUTES = {"company", "company name", "company_name", "account", "account name"}


def _metadata(conversation: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """Small, useful vendor fields; values of unexpected types are left out, not rejected."""
    metadata: dict[str, Any] = {}
    state = conversation.get("state")
    if isinstance(state, str) and state:
        metadata["state"] = state
    elif isinstance(conversation.get("open"), bool):  # 1.x
        metadata["state"] = "open" if conversation["open"] else "closed"
    tags = conversation.get("tags")
    if isinstance(tags, dict):
        tags = tags.get("tags")
    if isinstance(tags, list):
        names = [t.get("name") if isinstance(t, dict) else t for t in tags]
        metadata["tags"] = [name for name in names if isinstance(name, str) and name]
    rating = conversation.get("conversation_rating")
    if isinstance(rating, dict):
        if isinstance(rating.get("rating"), int) and not isinstance(rating["rating"], bool):
            metadata["rating"] = rating["rating"]
        if isinstance(rating.get("remark"), str) and rating["remark"].strip():
            metadata["remark"] = clean_text(rating["remark"])
    kind = source.get("type")
    if isinstance(kind, str) and kind and kind != "conversation_message":
        metadata["source_type"] = kind
    delivered_as = source.get("delivered_as")
    if isinstance(delivered_as, str) and delivered_as:
        metadata["delivered_as"] = delivered_as
    priority = conversation.get("priority")
    if isinstance(priority, str) and priority:
        metadata["priority"] = priority
    return metadata


def _locator(value: Any, fallback: str) -> str:
    """``conversation 367`` when the id is usable, else the reader's locator."""
    if isinstance(value, int | str) and not isinstance(value, bool):
        key = str(value).strip()
        if _PLAIN_ID.match(key):
            return f"conversation {key}"
    return fallback
