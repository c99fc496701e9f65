"""Slack text: the export's user directory, and mrkdwn and blocks rendered as plain text.

Used by the ``slack`` connector (:mod:`.slack`), which documents the quirks handled here: mentions
resolved to names, tokens and style marks converted, ``blocks`` preferred to ``text``, and the
content of attachments (shared messages, integrations' posts) added; link previews only when the
message says nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .text import clean_text
from .values import as_text

_TOKEN = re.compile(r"<([^<>\n]*)>")
_URL_TOKEN = re.compile(r"([?&])t=xox[a-z]-[^&\s|>]*&?")
_BOLD = re.compile(r"(?<![\w*])\*(?![\s*])([^*\n]+?)(?<![\s*])\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?![\s_])([^_\n]+?)(?<![\s_])_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?![\s~])([^~\n]+?)(?<![\s~])~(?![\w~])")
_CODE = re.compile(r"```|`")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")


@dataclass
class User:
    """A person or bot of ``users.json``: display name, and the team that tells internal apart."""

    name: str | None
    is_bot: bool
    team: str | None
    enterprise: str | None


@dataclass
class Directory:
    """What the export knows about people and conversations, to resolve ids."""

    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)  # channel id -> name
    home_teams: set[str] = field(default_factory=set)


def user_name(user: dict[str, Any], profile: dict[str, Any]) -> str | None:
    """The name to show for a user: real name, else display name, else handle."""
    for value in (
        user.get("real_name"),
        profile.get("real_name"),
        profile.get("display_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return clean_text(value)
    return None


def message_texts(msg: dict[str, Any], directory: Directory) -> tuple[str, str]:
    """``(own, attached)``: the message's own text (its ``blocks``, else its ``text``) and its
    attachments' content (a shared message, an integration's post and its fields; link previews
    only when the message has no text of its own), ``""`` where there is none."""
    text = ""
    blocks = msg.get("blocks")
    if isinstance(blocks, list) and blocks:
        text = clean_text(_blocks_text(blocks, directory))
    if not text:
        text = clean_text(mrkdwn_to_text(as_text(msg.get("text"), field="text"), directory))
    attached = _attachments_text(msg.get("attachments"), directory, alone=not text)
    if attached and attached in text:
        attached = ""
    return text, attached


def _attachments_text(attachments: Any, directory: Directory, *, alone: bool) -> str:
    """The text of a message's attachments. A shared (forwarded) message, or an integration's
    post (a widget's form, a survey tool), carries what someone else wrote: its pretext, title,
    text and fields are kept. A link preview (``from_url`` without ``is_msg_unfurl``) is the
    linked page's blurb: kept only when the message has no text of its own."""
    lines: list[str] = []
    for attachment in attachments if isinstance(attachments, list) else []:
        if not isinstance(attachment, dict):
            continue
        shared = bool(attachment.get("is_share") or attachment.get("is_msg_unfurl"))
        preview = bool(attachment.get("from_url") or attachment.get("original_url"))
        if preview and not shared and not alone:
            continue
        body = str_or_none(attachment.get("text")) or (
            str_or_none(attachment.get("fallback")) if alone else None
        )
        values = [
            str_or_none(attachment.get("pretext")),
            str_or_none(attachment.get("title")),
            body,
        ]
        fields = attachment.get("fields")
        for item in fields if isinstance(fields, list) else []:
            if isinstance(item, dict) and str_or_none(item.get("value")):
                title = str_or_none(item.get("title"))
                value = str(item["value"])
                values.append(f"{title}: {value}" if title else value)
        lines.extend(mrkdwn_to_text(v, directory) for v in values if v)
    return clean_text("\n".join(lines))


def mrkdwn_to_text(text: str, directory: Directory | None = None) -> str:
    """Convert Slack mrkdwn to plain text, resolving mentions through ``directory``.

    Examples:
        >>> mrkdwn_to_text("*Export* fails &amp; <https://status.example.com|status page>")
        'Export fails & status page'
    """
    directory = directory or Directory()
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


def _token(body: str, directory: Directory) -> str:
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


def _blocks_text(blocks: list[Any], directory: Directory) -> str:
    chunks = [_block_text(block, directory) for block in blocks if isinstance(block, dict)]
    return "\n".join(chunk for chunk in chunks if chunk)


def _block_text(block: dict[str, Any], directory: Directory) -> str:
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


def _text_object(obj: Any, directory: Directory) -> str:
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_text(obj["text"], directory)
    return obj["text"]


def _cell_text(cell: Any, directory: Directory) -> str:
    if not isinstance(cell, dict):
        return ""
    if cell.get("type") == "rich_text":
        return _rich_text(cell.get("elements"), directory).replace("\n", " ")
    return str_or_none(cell.get("text")) or ""


def _rich_text(elements: Any, directory: Directory) -> str:
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


def _inline(elements: Any, directory: Directory) -> str:
    out: list[str] = []
    for element in elements if isinstance(elements, list) else []:
        if not isinstance(element, dict):
            continue
        kind = element.get("type")
        if kind == "text":
            out.append(str_or_none(element.get("text"), strip=False) or "")
        elif kind == "link":
            out.append(
                str_or_none(element.get("text")) or _redact(str_or_none(element.get("url")) or "")
            )
        elif kind == "user":
            user_id = str_or_none(element.get("user_id")) or ""
            user = directory.users.get(user_id)
            out.append(f"@{user.name if user and user.name else user_id}")
        elif kind == "usergroup":
            out.append(f"@{str_or_none(element.get('usergroup_id')) or ''}")
        elif kind == "channel":
            channel_id = str_or_none(element.get("channel_id")) or ""
            out.append(f"#{directory.channels.get(channel_id, channel_id)}")
        elif kind == "broadcast":
            out.append(f"@{str_or_none(element.get('range')) or ''}")
        elif kind == "emoji":
            out.append(f":{str_or_none(element.get('name')) or ''}:")
        elif kind == "date":
            out.append(str_or_none(element.get("fallback")) or "")
        elif kind == "team":
            out.append(f"@{str_or_none(element.get('team_id')) or ''}")
        elif kind == "color":
            out.append(str_or_none(element.get("value")) or "")
    return "".join(out)


def dict_or_empty(value: Any) -> dict[str, Any]:
    """``value`` if it is an object, else an empty one."""
    return value if isinstance(value, dict) else {}


def str_or_none(value: Any, *, strip: bool = True) -> str | None:
    """``value`` if it is non-empty text (stripped unless ``strip`` is false), else ``None``."""
    if not isinstance(value, str):
        return None
    return (value.strip() if strip else value) or None
