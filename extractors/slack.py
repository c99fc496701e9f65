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
  content in ``attachments[].text|fallback`` [SEV].
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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ConnectorError
from .base import Part, Record, Rejected, Skipped, raw_json
from .files import BadFile, clip_raw, iter_json_records, read_text, undecodable_reason
from .registry import connector
from .text import clean_text
from .values import as_text, parse_timestamp

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
_TOKEN = re.compile(r"<([^<>\n]*)>")
_URL_TOKEN = re.compile(r"([?&])t=xox[a-z]-[^&\s|>]*&?")
_BOLD = re.compile(r"(?<![\w*])\*(?![\s*])([^*\n]+?)(?<![\s*])\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?![\s_])([^_\n]+?)(?<![\s_])_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?![\s~])([^~\n]+?)(?<![\s~])~(?![\w~])")
_CODE = re.compile(r"```|`")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_CONVERSION_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError)


@dataclass
class _User:
    name: str | None
    is_bot: bool
    team: str | None
    enterprise: str | None


@dataclass
class _Directory:
    """What the export knows about people and conversations, to resolve ids."""

    users: dict[str, _User] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name
    home_teams: set[str] = field(default_factory=set)


@dataclass
class _Message:
    ts: str
    at: datetime
    updated: datetime
    part: Part
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
    directory = _Directory()
    folders: dict[str, tuple[str, str]] = {}  # folder name -> (channel id, channel name)
    yield from _load_users(path, encoding, directory)
    yield from _load_conversations(path, encoding, directory, folders)

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


def _load_users(path: Path, encoding: str, directory: _Directory) -> Iterator[Rejected]:
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
            profile = _obj(user.get("profile"))
            team = _str(user.get("team_id")) or _str(profile.get("team"))
            grid = user.get("enterprise_user")
            enterprise = _str(grid.get("enterprise_id")) if isinstance(grid, dict) else None
            is_bot = user.get("is_bot") is True or user_id == "USLACKBOT"
            directory.users[user_id] = _User(_user_name(user, profile), is_bot, team, enterprise)
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


def _user_name(user: dict[str, Any], profile: dict[str, Any]) -> str | None:
    for value in (
        user.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return clean_text(value)
    return None


def _load_conversations(
    path: Path, encoding: str, directory: _Directory, folders: dict[str, tuple[str, str]]
) -> Iterator[Rejected]:
    for name in _CONVERSATION_FILES:
        for conversation in _load_list(path / name, encoding, "conversation"):
            if isinstance(conversation, Rejected):
                yield conversation
                continue
            channel_id = _str(conversation.get("id"))
            if channel_id is None:
                continue
            channel_name = _str(conversation.get("name")) or channel_id
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
    directory: _Directory,
    encoding: str,
) -> Iterator[Record | Rejected | Skipped]:
    threads: dict[str, list[_Message]] = {}
    seen: set[str] = set()
    for day in days:
        where = str(day)
        prefix = f"channel {channel_name}, {day.name}, "
        try:
            text = read_text(day, encoding=encoding)
        except BadFile as e:
            yield dataclasses.replace(e.rejected, locator=prefix + e.rejected.locator)
            continue
        for entry in iter_json_records(text, where, label="message"):
            if isinstance(entry, Rejected):
                yield dataclasses.replace(entry, locator=prefix + entry.locator)
                continue
            locator, msg = prefix + entry[0], entry[1]
            raw = raw_json(msg)
            try:
                outcome = _triage(msg, raw, encoding, seen)
                if isinstance(outcome, str):
                    yield Skipped(where, locator, outcome)
                    continue
                ts, thread_ts = outcome
                message = _to_message(msg, ts, thread_ts, where, directory)
            except ConnectorError as e:
                yield Rejected(where, locator, e.reason, clip_raw(raw))
                continue
            except _CONVERSION_ERRORS as e:
                yield Rejected(where, locator, _problem(e), clip_raw(raw))
                continue
            seen.add(ts)
            threads.setdefault(thread_ts, []).append(message)

    for key in sorted(threads, key=lambda k: (float(k), k)):
        yield _to_record(key, threads[key], channel_id, channel_name, function)


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
    msg: dict[str, Any], ts: str, thread_ts: str, where: str, directory: _Directory
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
        at=at,
        updated=updated,
        part=Part(text=_message_text(msg, directory), speaker=speaker, role=role, timestamp=at),
        path=where,
        is_parent=ts == thread_ts,
        files=n_files,
        reactions=_reactions(msg.get("reactions")),
        reply_count=reply_count
        if isinstance(reply_count, int) and not isinstance(reply_count, bool)
        else 0,
        raw=msg,
    )


def _author(msg: dict[str, Any], directory: _Directory) -> tuple[str | None, str]:
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
        bot = _obj(msg.get("bot_profile"))
        name = _str(bot.get("name")) or _str(msg.get("username")) or (user.name if user else None)
        return name or _str(msg.get("bot_id")) or user_id, "bot"
    profile = _obj(msg.get("user_profile"))
    name = user.name if user and user.name else _user_name({}, profile) or user_id
    team = _str(msg.get("user_team")) or (user.team if user else None) or _str(profile.get("team"))
    if team and directory.home_teams and team not in directory.home_teams:
        return name, "customer"
    if user or (team and team in directory.home_teams):
        return name, "internal"
    return name, "unknown"


def _message_text(msg: dict[str, Any], directory: _Directory) -> str:
    text = ""
    blocks = msg.get("blocks")
    if isinstance(blocks, list) and blocks:
        text = clean_text(_blocks_text(blocks, directory))
    if not text:
        text = clean_text(mrkdwn_to_text(as_text(msg.get("text"), field="text"), directory))
    if not text:
        attachments = msg.get("attachments")
        lines = []
        for attachment in attachments if isinstance(attachments, list) else []:
            if not isinstance(attachment, dict):
                continue
            body = _str(attachment.get("text")) or _str(attachment.get("fallback"))
            for value in (_str(attachment.get("pretext")), _str(attachment.get("title")), body):
                if value:
                    lines.append(mrkdwn_to_text(value, directory))
        text = clean_text("\n".join(lines))
    return text


def mrkdwn_to_text(text: str, directory: _Directory | None = None) -> str:
    """Convert Slack mrkdwn to plain text, resolving mentions through ``directory``.

    Examples:
        >>> mrkdwn_to_text("*Export* fails &amp; <https://status.example.com|status page>")
        'Export fails & status page'
    """
    directory = directory or _Directory()
    # Tokens are set aside first so that style marks are never looked for inside URLs.
    tokens: list[str] = []

    def keep(match: re.Match[str]) -> str:
        tokens.append(_unescape(_token(match.group(1), directory)))
        return f"\ue000{len(tokens) - 1}\ue001"

    text = text.replace("\ue000", "").replace("\ue001", "").replace("\\/", "/")
    text = _TOKEN.sub(keep, text)
    text = _CODE.sub("", text)
    for pattern in (_BOLD, _ITALIC, _STRIKE):
        text = pattern.sub(r"\1", text)
    return _PLACEHOLDER.sub(lambda m: tokens[int(m.group(1))], _unescape(text))


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(body: str, directory: _Directory) -> str:
    """One ``<...>`` mrkdwn token as plain text."""
    target, _, label = body.partition("|")
    if target.startswith("@"):
        user = directory.users.get(target[1:])
        name = user.name if user and user.name else label.lstrip("@") or target[1:]
        return f"@{name}"
    if target.startswith("#"):
        return f"#{label or directory.channels.get(target[1:], target[1:])}"
    if target.startswith("!"):
        command = target[1:]
        if command in ("here", "channel", "everyone"):
            return f"@{command}"
        if command.startswith("subteam^"):
            return label if label.startswith("@") else f"@{label or command[8:]}"
        return label or f"@{command.split('^')[0]}"
    return label or _redact(target)


def _redact(url: str) -> str:
    """A URL without the ``t=xox?-`` token Slack adds to private file links."""
    return _URL_TOKEN.sub(r"\1", url).rstrip("?&")


def _blocks_text(blocks: list[Any], directory: _Directory) -> str:
    chunks = [_block_text(block, directory) for block in blocks if isinstance(block, dict)]
    return "\n".join(chunk for chunk in chunks if chunk)


def _block_text(block: dict[str, Any], directory: _Directory) -> str:
    kind = block.get("type")
    if kind == "rich_text":
        return _rich_text(block.get("elements"), directory)
    if kind in ("section", "header"):
        texts = [block.get("text")]
        fields = block.get("fields")
        texts += fields if isinstance(fields, list) else []
        return "\n".join(t for t in (_text_object(o, directory) for o in texts) if t)
    if kind == "context":
        elements = block.get("elements")
        items = elements if isinstance(elements, list) else []
        return " ".join(t for t in (_text_object(o, directory) for o in items) if t)
    if kind == "table":
        rows = block.get("rows")
        lines = []
        for row in rows if isinstance(rows, list) else []:
            cells = row if isinstance(row, list) else []
            lines.append(" | ".join(_cell_text(cell, directory) for cell in cells))
        return "\n".join(lines)
    return ""  # divider, image, actions, file, ...: no text


def _text_object(obj: Any, directory: _Directory) -> str:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(obj["text"], directory)
    return obj["text"]


def _cell_text(cell: Any, directory: _Directory) -> str:
    if not isinstance(cell, dict):
        return ""
    if cell.get("type") == "rich_text":
        return _rich_text(cell.get("elements"), directory).replace("\n", " ")
    return _str(cell.get("text")) or ""


def _rich_text(elements: Any, directory: _Directory) -> str:
    """Text of a ``rich_text`` block's sections, lists, quotes and code blocks."""
    chunks: list[str] = []
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        if element.get("type") == "rich_text_list":
            indent = element.get("indent")
            indent = indent if isinstance(indent, int) and 0 <= indent < 10 else 0
            ordered = element.get("style") == "ordered"
            items = element.get("elements")
            for n, item in enumerate(items if isinstance(items, list) else [], 1):
                marker = f"{n}." if ordered else "-"
                line = _inline(item.get("elements") if isinstance(item, dict) else None, directory)
                chunks.append(f"{'  ' * indent}{marker} {line.strip()}")
        else:  # rich_text_section, rich_text_quote, rich_text_preformatted
            chunks.append(_inline(element.get("elements"), directory).rstrip("\n"))
    return "\n".join(chunks)


def _inline(elements: Any, directory: _Directory) -> str:
    out: list[str] = []
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "text":
            out.append(_str(element.get("text"), strip=False) or "")
        elif kind == "link":
            out.append(_str(element.get("text")) or _redact(_str(element.get("url")) or ""))
        elif kind == "user":
            user_id = _str(element.get("user_id")) or ""
            user = directory.users.get(user_id)
            out.append(f"@{user.name if user and user.name else user_id}")
        elif kind == "usergroup":
            out.append(f"@{_str(element.get('usergroup_id')) or ''}")
        elif kind == "channel":
            channel_id = _str(element.get("channel_id")) or ""
            out.append(f"#{directory.channels.get(channel_id, channel_id)}")
        elif kind == "broadcast":
            out.append(f"@{_str(element.get('range')) or ''}")
        elif kind == "emoji":
            out.append(f":{_str(element.get('name')) or ''}:")
        elif kind == "date":
            out.append(_str(element.get("fallback")) or "")
        elif kind == "team":
            out.append(f"@{_str(element.get('team_id')) or ''}")
        elif kind == "color":
            out.append(_str(element.get("value")) or "")
    return "".join(out)


def _reactions(reactions: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reaction in reactions if isinstance(reactions, list) else []:
        if not isinstance(reaction, dict) or not _str(reaction.get("name")):
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
    parts = [m.part for m in messages if m.part.text]
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


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any, *, strip: bool = True) -> str | None:
    if not isinstance(value, str):
        return None
    return (value.strip() if strip else value) or None


def _problem(e: Exception) -> str:
    """A reason for an unexpected shape, naming the kind of problem but no content."""
    if isinstance(e, KeyError):
        return f"missing required field {e.args[0]!r}"
    if isinstance(e, AttributeError | TypeError):
        return "a field has the wrong type (expected an object, array or text)"
    return f"unreadable value ({type(e).__name__})"
