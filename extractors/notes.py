"""A folder of call notes and meeting transcripts: Markdown, plain text and WebVTT files.

One file is one record. The ingest stage calls :func:`read_notes` once per ``.md``,
``.markdown``, ``.txt`` or ``.vtt`` file under the source's folder.

Markdown and text notes may open with YAML front matter::

    ---
    id: note-2026-0914-acme
    title: Acme discovery call
    date: 2026-09-14
    account: Acme Logistics
    function: Sales
    author: Dana Whitfield
    attendees: [Dana Whitfield, Raj Patel]
    tags: [discovery, sso]
    ---
    # Acme discovery call
    ...

* ``native_id``: the front matter ``id``, else the **file name** (``2026-09-14-acme.md``). The
  connector sees one file at a time, so two notes with the same file name in different
  sub-folders collide (give them an ``id``), and renaming a file without an ``id`` makes it a
  new record.
* ``created_at``: front matter ``date`` (or ``created``/``created_at``), else a ``YYYY-MM-DD``
  date that starts the file name (midnight in ``tz``), else ``None``: notes may be undated.
  ``updated_at``: front matter ``updated``/``updated_at``/``modified``, else ``created_at``.
* ``title``: front matter ``title``, else the first Markdown heading, else ``None``.
* ``account`` (or ``company``), ``function`` and ``channel`` come from the front matter; the
  channel defaults to ``note`` (a note written after a call may say ``channel: call``). Every
  other front matter key (``author``, ``attendees``, ``tags``...) goes to ``metadata``.
* Markdown becomes plain text: heading markers, emphasis, link and image syntax (the label is
  kept), block quotes, code fences (their content is kept), rules and table borders go; list
  items read ``- item``. ``.txt`` bodies are only cleaned.
* Front matter that is not valid YAML, or not ``key: value`` pairs, rejects the file
  (``invalid front matter: ... (line 3)``). An empty body gives a record with empty text (the
  ingest stage skips it: "no text"); an empty or binary file is rejected.
* A ``.txt`` file whose first line is a Zoom chat line (``HH:MM:SS<TAB>Name:<TAB>text``, formats.md
  §8 [ZGS]) is read as a chat: one part per message, channel ``chat``.

WebVTT transcripts (``.vtt``, Zoom style, formats.md §8 [ZGS]): a ``WEBVTT`` first line, cues
of an optional number, a ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` line and ``Speaker Name: text``
payload lines (the prefix may be missing; ``<v Name>`` voice tags are read too), CRLF line
ends. Consecutive cues of the same speaker are merged into one part. Roles come from the
``internal_speakers`` option: those names are internal, everyone else customer; without the
option every role is unknown. ``created_at`` comes from the file name (``2026-09-14-...`` or
Zoom's ``GMT20260914-100012_...``, which is UTC); each part's timestamp is ``created_at`` plus
the cue's start, or ``None`` when the file name has no date (a date-only name gives times
counted from midnight). The title is the first ``NOTE`` block, else made from the file name.
Cues with a broken timing line are left out and counted in ``metadata["invalid_cues"]``; a file
without the ``WEBVTT`` line or without any valid cue is rejected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ..errors import ConfigError, ConnectorError
from .base import Part, Record, Rejected, Skipped
from .files import BadFile, clip_raw, read_text, undecodable_reason
from .registry import connector
from .text import clean_text, load_yaml, yaml_error_reason
from .values import as_id, check_zone, kind_of, parse_timestamp

_CREATED_KEYS = ("date", "created", "created_at")
_UPDATED_KEYS = ("updated", "updated_at", "modified")
_ACCOUNT_KEYS = ("account", "company")
_CONSUMED = {"id", "title", "function", "channel", *_CREATED_KEYS, *_UPDATED_KEYS, *_ACCOUNT_KEYS}
#: The longest front matter read, in characters (a note's is a few hundred).
MAX_FRONT_MATTER = 64 * 1024

_NAME_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?!\d)")
_ZOOM_GMT = re.compile(r"GMT(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})")

# Markdown, line by line.
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_SETEXT = re.compile(r"^\s{0,3}(={2,}|-{2,})\s*$")
_ATX = re.compile(r"^\s{0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_BULLET = re.compile(r"^(\s*)[*+-]\s+(?:\[[ xX]\]\s+)?")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
# Markdown, inline. Order matters: images before links, bold before italics.
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"<((?:https?://|mailto:)[^>\s]+)>"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)

# WebVTT.
_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})[.,](\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s+-->\s+{_TIME}(?:\s.*)?$")
_VOICE = re.compile(r"^<v(?:\.[^\s>]*)?\s+([^>]+)>(.*)$", re.DOTALL)
_TAG = re.compile(r"</?[a-z][^>]*>|<\d[\d:.]*>", re.IGNORECASE)
_SPEAKER = re.compile(r"^([^\s:<>][^:<>]{0,79}?):\s+(.*)$", re.DOTALL)
_CHAT_LINE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})\t\s*(?:From\s+)?([^\t]+?)\s*:\s*\t(.*)$")


@connector("notes", formats=("txt", "md", "markdown", "vtt"), layout="files", channel="note")
def read_notes(
    path: Path,
    *,
    encoding: str = "utf-8",
    tz: str = "UTC",
    internal_speakers: list[str] | None = None,
) -> Iterator[Record | Rejected | Skipped]:
    """Read one call note (Markdown or text, optional YAML front matter) or WebVTT transcript.

    Args:
        path: The note or transcript file.
        encoding: The file's encoding when it has no byte-order mark.
        tz: IANA zone of dates written without one (front matter dates, dates in file names).
        internal_speakers: Names of your own people in transcripts and chats: their turns are
            internal, everyone else's customer. Unset: roles are unknown.

    Raises:
        ConfigError: if an option is invalid.

    Examples:
        >>> [r.title for r in read_notes(Path("notes/2026-09-14-acme.md"))]  # doctest: +SKIP
        ['Acme discovery call']
    """
    check_zone(tz)
    if internal_speakers is not None and not (
        isinstance(internal_speakers, list) and all(isinstance(n, str) for n in internal_speakers)
    ):
        raise ConfigError(
            "'internal_speakers' must be a list of names, e.g. ['Dana Whitfield', 'Raj Patel']; "
            f"got {type(internal_speakers).__name__}.",
            key="options.internal_speakers",
        )
    internal = (
        {n.strip().casefold() for n in internal_speakers} if internal_speakers is not None else None
    )
    where = str(path)
    try:
        text = read_text(path, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return
    reason = undecodable_reason(text, encoding)
    if reason:
        yield Rejected(where, "file", reason, clip_raw(text))
        return
    try:
        if path.suffix.lower() == ".vtt":
            yield _read_vtt(text, path, tz, internal)
        else:
            yield _read_note(text, path, tz, internal)
    except ConnectorError as e:
        yield Rejected(where, "file", e.reason, clip_raw(text))
    except OverflowError:  # parse_timestamp lets it through at the edge of year 1 or 9999
        yield Rejected(where, "file", "a timestamp is out of range", clip_raw(text))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        yield Rejected(where, "file", f"cannot read note ({type(e).__name__})", clip_raw(text))


# --- Markdown and text notes ---------------------------------------------------------------------


def _read_note(text: str, path: Path, tz: str, internal: set[str] | None) -> Record:
    front, body = split_front_matter(text)
    native_id = as_id(front["id"], field="id") if front.get("id") is not None else path.name
    created_at = _front_timestamp(front, _CREATED_KEYS, tz) or _name_timestamp(path.name, tz)
    updated_at = _front_timestamp(front, _UPDATED_KEYS, tz) or created_at
    title = _front_text(front, "title")
    metadata = {str(k): _jsonable(v) for k, v in front.items() if k not in _CONSUMED}
    parts: list[Part] = []
    channel = _front_text(front, "channel")
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        body_text, heading = markdown_to_text(body)
        title = title or heading
        metadata["format"] = "markdown"
    elif _CHAT_LINE.match(body.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")):
        parts = _chat_parts(body, created_at, internal)
        body_text = ""
        channel = channel or "chat"
        metadata["format"] = "zoom_chat"
    else:
        body_text = clean_text(body)
        metadata["format"] = "text"
    return Record(
        native_id=native_id,
        path=str(path),
        locator="file",
        text=body_text,
        parts=parts,
        title=title,
        channel=channel,
        function=_front_text(front, "function"),
        account=next((a for k in _ACCOUNT_KEYS if (a := _front_text(front, k))), None),
        created_at=created_at,
        updated_at=updated_at,
        metadata=metadata,
        raw=clip_raw(text),
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """Split a note into its YAML front matter (``{}`` when it has none) and its body.

    The front matter is read without YAML aliases (see
    :class:`~silobridge.extractors.text.SafeYAMLLoader`) and up to :data:`MAX_FRONT_MATTER`
    characters.

    Raises:
        ConnectorError: ``invalid front matter: ...`` with the line, never the content.

    Examples:
        >>> split_front_matter("---\\ntitle: Acme call\\n---\\nThey want SSO.\\n")
        ({'title': 'Acme call'}, 'They want SSO.\\n')
        >>> try:
        ...     split_front_matter("---\\na: &a [x, x]\\nb: [*a, *a]\\n---\\n")
        ... except ConnectorError as e:
        ...     e.reason
        'invalid front matter: YAML aliases are not allowed (line 3)'
    """
    if not text.startswith("---"):
        return {}, text
    head = text[: MAX_FRONT_MATTER + 1024]  # the front matter, its two lines, some slack
    lines = head.splitlines(keepends=True)
    cut = len(head) < len(text)
    if cut:
        lines.pop()  # its last line may be cut short
    if not lines or lines[0].rstrip() != "---":
        return {}, text
    size = end = 0
    for end in range(1, len(lines)):
        if lines[end].rstrip() in ("---", "..."):
            break
        size += len(lines[end])
    else:
        size += MAX_FRONT_MATTER if cut else 0
        if size <= MAX_FRONT_MATTER:
            raise ConnectorError("invalid front matter: no closing '---' line")
    if size > MAX_FRONT_MATTER:
        raise ConnectorError(
            f"invalid front matter: longer than {MAX_FRONT_MATTER // 1024} KB; keep the fields "
            "between the '---' lines short, the note's text goes below them"
        )
    try:
        front = load_yaml("".join(lines[1:end]))
    except yaml.YAMLError as e:  # the YAML starts on the file's second line
        raise ConnectorError(f"invalid front matter: {yaml_error_reason(e, first_line=2)}") from e
    except (ValueError, TypeError, RecursionError) as e:  # e.g. date: 2026-02-30
        raise ConnectorError("invalid front matter: a value is out of range") from e
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise ConnectorError(
            f"invalid front matter: expected 'key: value' lines, got {kind_of(front)}"
        )
    body_start = sum(len(line) for line in lines[: end + 1])
    return front, text[body_start:]


def markdown_to_text(markdown: str) -> tuple[str, str | None]:
    """Markdown to plain text, and its first heading.

    Examples:
        >>> markdown_to_text("# Acme call\\n\\n* **SSO** is a [blocker](https://x.example)")
        ('Acme call\\n\\n- SSO is a blocker', 'Acme call')
    """
    out: list[str] = []
    heading: str | None = None
    fence: str | None = None
    for line in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
            out.append(line)
            continue
        previous = out[-1].strip() if out else ""
        if _SETEXT.match(line) and previous and not previous.startswith("- "):
            # "Title\n=====" (or "---" under a text line) underlines a heading.
            heading = heading or _inline(previous)
            continue
        if _RULE.match(line) or _REF_DEF.match(line) or _TABLE_RULE.match(line):
            continue
        atx = _ATX.match(line)
        if atx:
            line = atx.group(1) or ""
            heading = heading or (_inline(line).strip() or None)
        else:
            line = _BULLET.sub(r"\1- ", _QUOTE.sub("", line))
            if line.lstrip().startswith("|") and line.rstrip().endswith("|"):
                line = " | ".join(cell.strip() for cell in line.strip()[1:-1].split("|"))
        out.append(_inline(line))
    return clean_text("\n".join(out)), heading


def _inline(line: str) -> str:
    for pattern, replacement in _INLINE:
        line = pattern.sub(replacement, line)
    return line


def _front_text(front: dict[str, Any], key: str) -> str | None:
    value = front.get(key)
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return clean_text(str(value)) or None
    raise ConnectorError(f"front matter {key!r}: expected text, got {kind_of(value)}")


def _front_timestamp(front: dict[str, Any], keys: tuple[str, ...], tz: str) -> datetime | None:
    for key in keys:
        value = front.get(key)
        if value is None:
            continue
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return parse_timestamp(value, field=f"front matter {key!r}", tz=tz)
    return None


def _name_timestamp(name: str, tz: str) -> datetime | None:
    """The date (or Zoom's UTC date and time) a file name carries, else ``None``."""
    try:
        gmt = _ZOOM_GMT.search(name)
        if gmt:
            year, month, day, hour, minute, second = map(int, gmt.groups())
            return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        match = _NAME_DATE.match(name)
        if match:
            year, month, day = map(int, match.groups())
            return datetime(year, month, day, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    except ValueError:  # 2026-13-45: not a date after all
        return None
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _role(speaker: str | None, internal: set[str] | None) -> str:
    if speaker is None or internal is None:
        return "unknown"
    return "internal" if speaker.casefold() in internal else "customer"


def _chat_parts(body: str, start: datetime | None, internal: set[str] | None) -> list[Part]:
    """Zoom chat: ``HH:MM:SS<TAB>Name:<TAB>text`` lines; other lines continue a message."""
    messages: list[tuple[float, str, list[str]]] = []
    for line in body.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _CHAT_LINE.match(line)
        if match:
            h, m, s, name, said = match.groups()
            messages.append((int(h) * 3600 + int(m) * 60 + int(s), name, [said]))
        elif messages and line.strip():
            messages[-1][2].append(line)
    return [
        Part(
            clean_text("\n".join(lines)),
            name,
            _role(name, internal),
            start + timedelta(seconds=offset) if start else None,
        )
        for offset, name, lines in messages
    ]


# --- WebVTT transcripts --------------------------------------------------------------------------


def _read_vtt(text: str, path: Path, tz: str, internal: set[str] | None) -> Record:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = lines[0].lstrip("\ufeff")
    if not (first.startswith("WEBVTT") and first[6:7] in ("", " ", "\t")):
        raise ConnectorError("not a WebVTT file: the first line is not 'WEBVTT'")
    blocks: list[list[str]] = [[]]
    for line in lines[1:]:
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    # The block right after the WEBVTT line, if not blank-separated, is header metadata.
    if lines[1:2] and lines[1].strip() and not any("-->" in line for line in blocks[0]):
        blocks.pop(0)

    note: str | None = None
    cues: list[tuple[float, float, str | None, str]] = []
    invalid = 0
    for block in filter(None, blocks):
        head = block[0]
        if head == "NOTE" or head.startswith(("NOTE ", "NOTE\t")):
            note = note or (clean_text(" ".join([head[4:], *block[1:]])) or None)
            continue
        if head in ("STYLE", "REGION"):
            continue
        timing_at = 0 if "-->" in head else 1
        timing = _TIMING.match(block[timing_at]) if len(block) > timing_at else None
        if timing is None:
            invalid += 1
            continue
        start, end = _seconds(timing.groups()[:4]), _seconds(timing.groups()[4:])
        speaker, said = _cue_payload(block[timing_at + 1 :])
        cues.append((start, end, speaker, said))
    if not cues:
        raise ConnectorError("no valid cue in WebVTT file")

    created_at = _name_timestamp(path.name, tz)
    parts: list[Part] = []
    merged: list[tuple[float, str | None, list[str]]] = []
    for start, _end, speaker, said in cues:
        if merged and merged[-1][1] == speaker:
            merged[-1][2].append(said)
        else:
            merged.append((start, speaker, [said]))
    for start, speaker, said_list in merged:
        said = clean_text(" ".join(s for s in said_list if s))
        if said:
            stamp = created_at + timedelta(seconds=start) if created_at else None
            parts.append(Part(said, speaker, _role(speaker, internal), stamp))
    speakers = sorted({s for _, _, s, _ in cues if s})
    metadata: dict[str, Any] = {
        "format": "vtt",
        "cues": len(cues),
        "speakers": speakers,
        "duration_s": round(max(end for _, end, _, _ in cues), 3),
    }
    if invalid:
        metadata["invalid_cues"] = invalid
    return Record(
        native_id=path.name,
        path=str(path),
        locator="file",
        parts=parts,
        title=note or _title_from_name(path),
        channel="call",
        created_at=created_at,
        updated_at=created_at,
        metadata=metadata,
        raw=clip_raw(text),
    )


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, millis = groups
    return (
        int(hours or 0) * 3600
        + int(minutes or 0) * 60
        + int(seconds or 0)
        + int(millis or 0) / 1000
    )


def _cue_payload(lines: list[str]) -> tuple[str | None, str]:
    """The speaker (``Name: text`` or ``<v Name>``) and the plain text of a cue."""
    payload = "\n".join(lines).strip()
    speaker: str | None = None
    voice = _VOICE.match(payload)
    if voice:
        speaker, payload = voice.group(1).strip(), voice.group(2)
    payload = _TAG.sub("", payload).strip()
    if speaker is None:
        match = _SPEAKER.match(payload)
        # A long "prefix" is a sentence with a colon, not a name.
        if match and len(match.group(1).split()) <= 5 and not match.group(1).isdigit():
            speaker, payload = match.group(1).strip(), match.group(2)
    return speaker, clean_text(payload.replace("\n", " "))


def _title_from_name(path: Path) -> str:
    stem = path.name.split(".", 1)[0]  # "acme.transcript.vtt" -> "acme"
    name = _ZOOM_GMT.sub("", _NAME_DATE.sub("", stem))
    name = re.sub(r"[-_\s]+", " ", name).strip()
    return name if name and name.lower() != "recording" else path.stem
