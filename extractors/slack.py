"""Slack workspace exports: one record per thread or standalone message.

Reads an unzipped Slack export folder [SL-HELP][SEV]: ``channels.json`` (plus ``groups.json``,
``dms.json``, ``mpims.json`` in "all conversations" exports), ``users.json`` (``org_users.json``
on Enterprise Grid), and one folder per conversation (named by channel name; DMs by their id)
holding one ``YYYY-MM-DD.json`` array of messages per day.

A thread (parent and every reply, in whichever day files they sit: a reply lands in the file of
its own day [SL-THR]) is one :class:`Record`, with ``native_id`` ``"{channel_id}:{thread_ts}"``;
a message outside any thread is one record with ``native_id`` ``"{channel_id}:{ts}"``.
``created_at`` is the parent's ``ts``; ``updated_at`` the latest ``ts`` (or ``edited.ts``) in the
thread, so a new reply makes the thread an update. Each message is one part.

Quirks:

* Text is mrkdwn [SL-FMT]: ``<@U123>`` mentions carry only the id and are resolved to
  ``@Real Name`` from ``users.json``; ``<#C1|name>``, ``<url|label>``, ``<!here>``,
  ``<!subteam^ID|@team>`` and ``&amp; &lt; &gt;`` are converted; ``*bold*`` style marks are
  dropped. Newer messages repeat their content as ``blocks`` (``rich_text``, ``section``,
  ``header``, ``table`` [ZU]), which are preferred. A ``bot_message`` with empty text keeps its
  content in ``attachments[].text|fallback`` [SEV]. Attachments' content (``pretext``,
  ``title``, ``text``, ``fields``) is added after the message's own text when it is a shared
  (forwarded) message or an integration's post (a feedback widget, a form): that is how
  customers' words relayed by staff reach Slack. Link previews (``from_url`` without
  ``is_msg_unfurl``) are left out unless the message has no text of its own.
* Roles: ``bot_message``, a ``bot_id`` or an ``is_bot`` user is a bot. A user whose team
  (``user_team``, else the user's ``team_id``) differs from the workspace's (the team most users
  in ``users.json`` belong to; on Enterprise Grid any team of the same enterprise) is a customer:
  that is how Slack Connect shared channels show external people (inference). Other users in
  ``users.json`` are internal; an id found nowhere is unknown.
* Join/leave/topic/purpose/rename/archive events, deletions and tombstones are skipped with
  their subtype as the reason [SL-TYPES]. A message with files but no text is skipped.
* File URLs embed ``?t=xoxe-...`` tokens [SEV][ZU]: file objects never reach the text (only
  their count goes to metadata), and tokens in links are cut.
* A day file that is not valid JSON keeps every message before and after the damage.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ConnectorError
from ._slack_text import (
    Directory,
    User,
    dict_or_empty,
    message_texts,
    str_or_none,
    user_name,
)
from ._slack_text import mrkdwn_to_text as mrkdwn_to_text  # re-exported
from .base import Part, Record, Rejected, Skipped, raw_json
from .files import (
    BadFile,
    clip_raw,
    guard_file,
    guard_record,
    iter_json_records,
    json_raw,
    read_text,
    undecodable_reason,
)
from .registry import connector
from .values import parse_timestamp

# Importable from here as before the text helpers moved to ._slack_text (the tests use them).
_Directory, _User = Directory, User

NOISE_SUBTYPES = frozenset(
    {
        "channel_join", "channel_leave", "channel_topic", "channel_purpose", "channel_name",
        "channel_archive", "channel_unarchive", "channel_convert_to_private",
        "channel_convert_to_public", "channel_posting_permissions", "group_join", "group_leave",
        "group_topic", "group_purpose", "group_name", "group_archive", "group_unarchive",
        "bot_add", "bot_remove", "bot_enable", "bot_disable", "app_conversation_join",
        "message_deleted", "message_changed", "message_replied", "tombstone", "pinned_item",
        "unpinned_item", "reminder_add", "joiner_notification", "sh_room_created",
        "ekm_access_denied", "huddle_thread",
    }
)  # fmt: skip
_CONVERSATION_FILES = ("channels.json", "groups.json", "mpims.json", "dms.json")
_TS = re.compile(r"^\d{1,12}(\.\d{1,9})?$")
_CONVERSION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)
_FIELD_NAME = re.compile(r"^[A-Za-z_][\w.]{0,40}$")


@dataclass
class _Message:
    ts: str
    thread_ts: str
    at: datetime
    updated: datetime
    parts: tuple[Part, ...]  # the message's own text, then what it passes on (``relayed``)
    path: str
    is_parent: bool
    files: int
    reactions: dict[str, int]
    reply_count: int
    raw: Any


@connector("slack", formats=("json",), layout="folder", channel="message")
def read_slack(
    path: Path,
    *,
    encoding: str = "utf-8",
    function_by_channel: dict[str, str] | None = None,
) -> Iterator[Record | Rejected | Skipped]:
    """Read a Slack workspace export folder into one record per thread or message.

    Args:
        path: The unzipped export folder (``channels.json``, ``users.json``, channel folders).
        encoding: Text encoding of the files.
        function_by_channel: Channel-name patterns (``fnmatch`` globs such as ``"sales-*"``) to
            the function their conversations belong to (``Product``, ``Marketing``, ``Sales``,
            ``Success``, ``Support``); the first matching pattern wins.

    Yields:
        A :class:`Record` per thread or standalone message, a :class:`Rejected` per bad message
        or unreadable file, a :class:`Skipped` per join/leave/topic event or file-only message.

    Raises:
        ConfigError: if ``path`` is not a folder or ``function_by_channel`` is not a mapping of
            names to names.
    """
    functions = _check_functions(function_by_channel)
    if not path.is_dir():
        raise ConfigError(
            f"The slack connector reads a whole export folder (channels.json, users.json, one "
            f"folder per channel); {str(path)!r} is not a folder. Unzip the export and point the "
            "source at the folder."
        )
    directory = Directory()
    folders: dict[str, tuple[str, str]] = {}  # folder name -> (channel id, channel name)
    yield from guard_file(str(path / "users.json"), _load_users(path, encoding, directory))
    conversations = _load_conversations(path, encoding, directory, folders)
    yield from guard_file(str(path / "channels.json"), conversations)

    for folder in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        days = sorted(p for p in folder.glob("*.json") if p.is_file() and p.name[0] != ".")
        if not days:
            continue
        channel_id, channel_name = folders.get(folder.name, (folder.name, folder.name))
        function = _function_for(channel_name, functions)
        yield from _read_channel(days, channel_id, channel_name, function, directory, encoding)


def _check_functions(mapping: Any) -> dict[str, str]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise ConfigError(
            "function_by_channel must map channel-name patterns to function names, "
            "for example {'sales-*' = 'Sales', 'support' = 'Support'}."
        )
    return mapping


def _function_for(channel: str, functions: dict[str, str]) -> str | None:
    for pattern, function in functions.items():
        if fnmatch.fnmatchcase(channel.lower(), pattern.lower()):
            return function
    return None


def _load_list(file: Path, encoding: str, label: str) -> Iterator[dict[str, Any] | Rejected]:
    """The objects of a top-level JSON array file; unreadable parts are rejected."""
    if not file.is_file():
        return
    where = str(file)
    try:
        text = read_text(file, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return
    for entry in iter_json_records(text, where, label=label):
        if isinstance(entry, Rejected):
            yield entry
        elif isinstance(entry[1], dict):
            yield entry[1]
        else:
            yield Rejected(
                where, entry[0], f"{label} is not an object", clip_raw(raw_json(entry[1]))
            )


def _load_users(path: Path, encoding: str, directory: Directory) -> Iterator[Rejected]:
    teams: Counter[str] = Counter()
    enterprises: Counter[str] = Counter()
    for name in ("users.json", "org_users.json"):
        for user in _load_list(path / name, encoding, "user"):
            if isinstance(user, Rejected):
                yield user
                continue
            user_id = user.get("id")
            if not isinstance(user_id, str) or not user_id:
                continue  # nobody can be resolved to it: nothing is lost
            profile = dict_or_empty(user.get("profile"))
            team = str_or_none(user.get("team_id")) or str_or_none(profile.get("team"))
            grid = user.get("enterprise_user")
            enterprise = str_or_none(grid.get("enterprise_id")) if isinstance(grid, dict) else None
            is_bot = user.get("is_bot") is True or user_id == "USLACKBOT"
            directory.users[user_id] = User(user_name(user, profile), is_bot, team, enterprise)
            if not is_bot:
                teams.update([team] if team else [])
                enterprises.update([enterprise] if enterprise else [])
    if teams:
        directory.home_teams.add(teams.most_common(1)[0][0])
    if enterprises:  # Enterprise Grid: every workspace of the same enterprise is internal
        home = enterprises.most_common(1)[0][0]
        directory.home_teams.add(home)
        directory.home_teams.update(
            u.team for u in directory.users.values() if u.enterprise == home and u.team
        )


def _load_conversations(
    path: Path, encoding: str, directory: Directory, folders: dict[str, tuple[str, str]]
) -> Iterator[Rejected]:
    for name in _CONVERSATION_FILES:
        for conversation in _load_list(path / name, encoding, "conversation"):
            if isinstance(conversation, Rejected):
                yield conversation
                continue
            channel_id = str_or_none(conversation.get("id"))
            if channel_id is None:
                continue
            channel_name = str_or_none(conversation.get("name")) or channel_id
            directory.channels[channel_id] = channel_name
            # Channel folders are named by channel name, DM folders by the DM's id.
            folders.setdefault(
                channel_id if name == "dms.json" else channel_name, (channel_id, channel_name)
            )


def _read_channel(
    days: list[Path],
    channel_id: str,
    channel_name: str,
    function: str | None,
    directory: Directory,
    encoding: str,
) -> Iterator[Record | Rejected | Skipped]:
    threads: dict[str, list[_Message]] = {}
    seen: set[str] = set()
    for day in days:
        prefix = f"channel {channel_name}, {day.name}, "
        read = _read_day(day, prefix, directory, encoding, threads, seen)
        yield from guard_file(str(day), read, prefix=prefix)

    for key in sorted(threads, key=lambda k: (float(k), k)):
        messages = threads[key]
        locator = f"channel {channel_name}, thread {key}"
        convert = partial(_to_record, key, messages, channel_id, channel_name, function)
        yield guard_record(messages[0].path, locator, convert, what="thread")


def _read_day(
    day: Path,
    prefix: str,
    directory: Directory,
    encoding: str,
    threads: dict[str, list[_Message]],
    seen: set[str],
) -> Iterator[Rejected | Skipped]:
    """Read one day file's messages into ``threads``; yield what is rejected or skipped."""
    where = str(day)
    try:
        text = read_text(day, encoding=encoding)
    except BadFile as e:
        yield dataclasses.replace(e.rejected, locator=prefix + e.rejected.locator)
        return
    for entry in iter_json_records(text, where, label="message"):
        if isinstance(entry, Rejected):
            yield dataclasses.replace(entry, locator=prefix + entry.locator)
            continue
        locator, msg = prefix + entry[0], entry[1]
        raw = json_raw(where, locator, msg, None)  # bad bytes: see _triage
        if isinstance(raw, Rejected):
            yield raw
            continue
        convert = partial(_message, msg, raw, where, locator, directory, encoding, seen)
        outcome = guard_record(where, locator, convert, raw, what="message")
        if isinstance(outcome, Rejected | Skipped):
            yield outcome
        else:
            seen.add(outcome.ts)
            threads.setdefault(outcome.thread_ts, []).append(outcome)


def _message(
    msg: Any,
    raw: str,
    where: str,
    locator: str,
    directory: Directory,
    encoding: str,
    seen: set[str],
) -> _Message | Rejected | Skipped:
    """One message, ready to join its thread; or why it is skipped or rejected."""
    try:
        outcome = _triage(msg, raw, encoding, seen)
        if isinstance(outcome, str):
            return Skipped(where, locator, outcome)
        ts, thread_ts = outcome
        return _to_message(msg, ts, thread_ts, where, directory)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    except _CONVERSION_ERRORS as e:
        return Rejected(where, locator, _problem(e), clip_raw(raw))


def _triage(msg: Any, raw: str, encoding: str, seen: set[str]) -> tuple[str, str] | str:
    """``(ts, thread_ts)`` of a message to keep, or the reason to skip it.

    Raises:
        ConnectorError: if the message cannot be read.
    """
    if not isinstance(msg, dict):
        raise ConnectorError("message is not an object")
    bad_bytes = undecodable_reason(raw, encoding)
    if bad_bytes:
        raise ConnectorError(bad_bytes)
    ts = _ts(msg.get("ts"), "ts")
    if ts is None:
        raise ConnectorError("missing required field 'ts'")
    subtype = msg.get("subtype")
    if subtype is not None and not isinstance(subtype, str):
        raise ConnectorError("field 'subtype' is not text")
    if subtype in NOISE_SUBTYPES:
        return subtype
    if msg.get("type", "message") != "message":
        return "not a message (field 'type' is not 'message')"
    if ts in seen:
        return "duplicate of a message already read (same ts)"
    thread_ts = _ts(msg.get("thread_ts"), "thread_ts") or ts
    return ts, thread_ts


def _ts(value: Any, name: str) -> str | None:
    """A Slack timestamp (``"1454884927.000002"``) as its exact string, validated."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _TS.match(value.strip()):
        raise ConnectorError(f"field {name!r} is not a Slack timestamp string")
    parse_timestamp(value, field=name)  # range check
    return value.strip()


def _to_message(
    msg: dict[str, Any], ts: str, thread_ts: str, where: str, directory: Directory
) -> _Message:
    at = parse_timestamp(ts, field="ts")
    if at is None:
        raise ConnectorError("missing required field 'ts'")
    updated = at
    edited = msg.get("edited")
    if isinstance(edited, dict) and edited.get("ts") is not None:
        edited_at = parse_timestamp(_ts(edited.get("ts"), "edited.ts"), field="edited.ts")
        updated = max(updated, edited_at) if edited_at else updated
    speaker, role = _author(msg, directory)
    files = msg.get("files")
    n_files = (
        len(files) if isinstance(files, list) else (1 if isinstance(msg.get("file"), dict) else 0)
    )
    reply_count = msg.get("reply_count")
    return _Message(
        ts=ts,
        thread_ts=thread_ts,
        at=at,
        updated=updated,
        parts=_parts(msg, directory, speaker, role, at),
        path=where,
        is_parent=ts == thread_ts,
        files=n_files,
        reactions=_reactions(msg.get("reactions")),
        reply_count=reply_count
        if isinstance(reply_count, int) and not isinstance(reply_count, bool)
        else 0,
        raw=msg,
    )


def _parts(
    msg: dict[str, Any], directory: Directory, speaker: str | None, role: str, at: datetime
) -> tuple[Part, ...]:
    """A message's own text as one part, and its attachments' content as a second part of role
    ``relayed`` (someone else's words: a shared message, a widget's or forum's post under the
    poster's own words). A message whose attachments are all it says (an integration's
    notification) speaks for its author: one part of the author's role."""
    own, attached = message_texts(msg, directory)
    shared = any(
        isinstance(a, dict) and (a.get("is_share") or a.get("is_msg_unfurl"))
        for a in msg.get("attachments") or ()
    )
    if attached and not own and not shared:
        return (Part(text=attached, speaker=speaker, role=role, timestamp=at),)
    parts = [Part(text=own, speaker=speaker, role=role, timestamp=at)] if own else []
    if attached:
        parts.append(Part(text=attached, speaker=None, role="relayed", timestamp=at))
    return tuple(parts)


def _author(msg: dict[str, Any], directory: Directory) -> tuple[str | None, str]:
    """(speaker, role) of a message."""
    user_id = msg.get("user")
    if user_id is not None and not isinstance(user_id, str):
        raise ConnectorError("field 'user' is not a user id")
    user = directory.users.get(user_id) if user_id else None
    if (
        msg.get("subtype") == "bot_message"
        or msg.get("bot_id")
        or (user and user.is_bot)
        or user_id == "USLACKBOT"
    ):
        bot = dict_or_empty(msg.get("bot_profile"))
        name = (
            str_or_none(bot.get("name"))
            or str_or_none(msg.get("username"))
            or (user.name if user else None)
        )
        return name or str_or_none(msg.get("bot_id")) or user_id, "bot"
    profile = dict_or_empty(msg.get("user_profile"))
    name = user.name if user and user.name else user_name({}, profile) or user_id
    team = (
        str_or_none(msg.get("user_team"))
        or (user.team if user else None)
        or str_or_none(profile.get("team"))
    )
    if team and directory.home_teams and team not in directory.home_teams:
        return name, "customer"
    if user or (team and team in directory.home_teams):
        return name, "internal"
    return name, "unknown"


def _reactions(reactions: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reaction in reactions if isinstance(reactions, list) else []:
        if not isinstance(reaction, dict) or not str_or_none(reaction.get("name")):
            continue
        count = reaction.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            users = reaction.get("users")
            count = len(users) if isinstance(users, list) else 1
        name = reaction["name"].strip()
        counts[name] = counts.get(name, 0) + count
    return counts


def _to_record(
    key: str, messages: list[_Message], channel_id: str, channel_name: str, function: str | None
) -> Record | Skipped:
    messages.sort(key=lambda m: (m.at, m.ts))
    parent = next((m for m in messages if m.is_parent), None)
    replies = len(messages) - (1 if parent else 0)
    is_thread = replies > 0 or (parent is not None and parent.reply_count > 0)
    locator = f"channel {channel_name}, {'thread' if is_thread else 'message'} {key}"
    first = parent or messages[0]
    parts = [p for m in messages for p in m.parts]
    files = sum(m.files for m in messages)
    if not parts and files:
        return Skipped(first.path, locator, "no text, only files")
    reactions: dict[str, int] = {}
    for message in messages:
        for name, count in message.reactions.items():
            reactions[name] = reactions.get(name, 0) + count
    return Record(
        native_id=f"{channel_id}:{key}",
        path=first.path,
        locator=locator,
        parts=parts,
        function=function,
        created_at=parse_timestamp(key, field="thread_ts"),
        updated_at=max(m.updated for m in messages),
        metadata={
            "channel": channel_name,
            "channel_id": channel_id,
            "is_thread": is_thread,
            "reply_count": replies,
            "reactions": reactions,
            "files": files,
        },
        raw=clip_raw(raw_json([m.raw for m in messages])),
    )


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
