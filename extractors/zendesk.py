"""Zendesk Support exports: API and incremental-export JSON pages, JSON Lines, the CSV export.

Three shapes are read, from one folder (``layout="folder"``) or a single file:

* **JSON pages** (``*.json``) as the ticket APIs return them: ``{"tickets": [...], "users": [...],
  "organizations": [...], "after_cursor": ..., "end_of_stream": ...}`` from the incremental export
  (cursor or time based, [ZD-INC]), ``{"ticket": {...}}`` from the show endpoint, or a bare array
  of tickets. Ticket fields as in formats.md §1 [GOZD][AB-ZD].
* **JSON Lines** (``*.jsonl``): Zendesk's full JSON export, one ticket object per line.
* **CSV export** (``*.csv``, Admin Center › Tools › Reports › Export [ZD-EXP]): columns are read
  by header name (``Id``, ``Subject``, ``Status``, ``Created at``, ...; the list is unverified, so
  extra and missing columns are fine). Custom fields are the columns suffixed by their type,
  ``Ticket Category [list]``. The real export has no description or comments [ZD-CSV]; a
  ``Description`` column added by an append tool is read when present.

Quirks handled:

* Comments are not part of the ticket export [ZD-COM]; a ticket may carry them embedded as
  ``comments`` (comment API objects [GOZD]), or the folder may hold the comment API's pages
  (``GET /tickets/{id}/comments``: ``{"comments": [...], "next_page": ...}``) saved one file per
  ticket with the ticket id in the file name (``comments/48213.json``, ``48213-comments.json``;
  else in its folder's name, ``48213/comments.json``): they are joined to their ticket (pages of
  the same ticket in file-name order). A comment file whose ticket is not in the export is
  skipped with that reason. Other API listings a folder may hold (``ticket_fields.json``,
  ``groups.json``, ``brands.json``, ``macros.json``...) are skipped as "not tickets", never
  quarantined. They become the record's parts, preferring
  ``plain_body``, then ``html_body`` (converted from HTML), then ``body``: the go-zendesk fixtures
  have ``plain_body`` and ``html_body`` empty where ``body`` is set. Comments with no text
  (attachments only) are left out. A ticket without comments gets its ``description`` (the first
  comment [WORKATO]) as one customer part.
* Comments carry only ``author_id``: the role is a join with the users (``role`` ``end-user`` is
  the customer, ``agent`` and ``admin`` are internal) [ZD-USR]; ``public: false`` is an internal
  note [ZD-COM]. Users and organizations come from ``users.json`` / ``organizations.json`` in the
  folder (or next to a single file) and from side-loads in each page, which apply to that page,
  later pages and the JSON Lines files (JSON pages are read first). An author who is not among
  the users is ``customer`` when they are the requester, else ``unknown``.
* ``custom_fields[].value`` is polymorphic (string, list, boolean, null) [GOZD]: kept as is in
  ``metadata["custom_fields"]`` keyed by field id, nulls left out.
* Incremental exports repeat a ticket that changed between pages [NIFI]: both copies are yielded;
  the store keeps the newest. Deleted tickets (``status: "deleted"``) are skipped [ZD-INC].
* JSON timestamps are ISO 8601 UTC; the CSV's carry no zone and are read in the ``tz`` option.
"""

from __future__ import annotations

import json
import re
from collections.abc import Generator, Iterable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConnectorError
from .base import Part, Record, Rejected, Skipped
from .csv_rows import CsvRow, iter_csv_rows
from .files import (
    BadFile,
    BrokenOff,
    LimitError,
    clip_raw,
    failure_text,
    guard_file,
    guard_record,
    iter_json_records,
    iter_jsonl,
    json_raw,
    parse_json,
    read_text,
    safe_raw,
    undecodable_reason,
)
from .registry import connector
from .text import clean_text, html_to_text
from .values import as_id, as_text, check_zone, parse_timestamp

Result = Record | Rejected | Skipped

_SUFFIXES = (".json", ".jsonl", ".csv")
_SIDE_FILES = ("users", "organizations")
#: Top-level keys of Zendesk API listings that are not tickets: such a file is skipped.
_NOT_TICKETS = (
    "ticket_fields",
    "ticket_forms",
    "custom_statuses",
    "groups",
    "group_memberships",
    "brands",
    "macros",
    "views",
    "triggers",
    "automations",
    "sla_policies",
    "tags",
    "ticket_metrics",
    "satisfaction_ratings",
    "audits",
    "ticket_audits",
)
_DIGITS = re.compile(r"\d+")
_PEEK = 4096  # characters read to tell a comment page from a ticket page
_ROLES = {"end-user": "customer", "agent": "internal", "admin": "internal"}
_PLAIN_ID = re.compile(r"^[\w.:-]{1,64}$")
_CUSTOM_COLUMN = re.compile(r"^(?P<name>.+?)\s*\[\w+\]$")
_TAG_SPLIT = re.compile(r"[\s,]+")


@connector("zendesk", formats=("json", "jsonl", "csv"), layout="folder", channel="ticket")
def read_zendesk(
    path: Path, *, encoding: str = "utf-8", tz: str = "UTC"
) -> Iterator[Record | Rejected | Skipped]:
    """Read a Zendesk Support export (JSON pages, JSON Lines, CSV) into ticket records.

    Args:
        path: The export folder, or one export file.
        encoding: Encoding of the files without a byte-order mark.
        tz: IANA zone of the CSV export's timestamps, which carry none.

    Yields:
        One :class:`Record` per ticket, a :class:`Rejected` per bad ticket or unreadable file, and
        a :class:`Skipped` per deleted ticket.

    Raises:
        ConfigError: if ``encoding`` or ``tz`` is unknown.

    Examples:
        >>> records = list(read_zendesk(Path("tests/fixtures/zendesk/v1/export")))  # doctest: +SKIP
    """
    check_zone(tz)
    path = Path(path)
    if path.is_dir():
        files = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in _SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        side_files = [p for p in files if _is_side_file(p)]
    else:
        files = [path]
        # A single ticket file still resolves authors from the users next to it.
        side_files = [p for p in sorted(path.parent.glob("*")) if p.is_file() and _is_side_file(p)]
        if _is_side_file(path) and path not in side_files:
            side_files.append(path)
    directory = _Directory()
    for side in side_files:
        yield from guard_file(str(side), directory.load_file(side, encoding))
    comment_files = [p for p in files if p not in side_files and _is_comment_page(p, encoding)]
    for page in comment_files:
        yield from guard_file(str(page), directory.load_comments(page, encoding))
    # JSON pages first: their side-loaded users and organizations also serve the JSON Lines.
    order = {".json": 0, ".jsonl": 1, ".csv": 2}
    for file in sorted(files, key=lambda p: order.get(p.suffix.lower(), 0)):
        if file in side_files or file in comment_files:
            continue
        reader = _Reader(str(file), directory, encoding=encoding, tz=tz)
        yield from guard_file(str(file), reader.read(file))
    for ticket_id, where in sorted(directory.unclaimed_comments().items()):
        yield Skipped(where, "file", f"comments of ticket {ticket_id}, which is not in the export")


def _is_comment_page(path: Path, encoding: str) -> bool:
    """Whether ``path`` is a saved page of the comment API (``{"comments": [...]}``, no
    tickets): its start names ``"comments"`` as a key and no ticket."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open(encoding=encoding, errors="replace") as f:
            head = f.read(_PEEK)
    except (OSError, LookupError):
        return False
    head = head.lstrip("\ufeff")
    if re.match(r'\s*\{\s*"comments"\s*:', head):
        return True
    ticket_keys = ('"tickets"', '"ticket"', '"subject"', '"requester_id"')
    return (
        head.lstrip().startswith("{")
        and '"comments"' in head
        and not any(k in head for k in ticket_keys)
    )


def _json_file(path: Path, encoding: str) -> Generator[Rejected, None, tuple[str | None, Any]]:
    """Read and parse a whole side file (users, organizations, a comment page): ``(text, doc)``,
    or ``(None, None)`` after yielding why not. A side file that does not parse is a
    :class:`BrokenOff`: not one entry of it can be trusted, so it is read again next run."""
    try:
        text = read_text(path, encoding=encoding)
    except BadFile as e:
        yield e.rejected
        return None, None
    try:
        return text, parse_json(text)
    except (json.JSONDecodeError, LimitError) as e:
        reason = f"invalid JSON: {failure_text(e, text)}"
        yield BrokenOff(str(path), "file", reason, clip_raw(text))
        return None, None


def _ticket_id_of(path: Path) -> str | None:
    """The ticket id in a comment file's name (its longest run of digits), else in its
    folder's name."""
    for name in (path.stem, path.parent.name):
        runs = _DIGITS.findall(name)
        if runs:
            return max(runs, key=len).lstrip("0") or "0"
    return None


def _is_side_file(path: Path) -> bool:
    """``users.json``, ``organizations.jsonl``...: lookups for the tickets, not tickets."""
    return path.stem.lower() in _SIDE_FILES and path.suffix.lower() in (".json", ".jsonl")


class _Directory:
    """Users and organizations, for authors' names and roles and the ticket's account."""

    def __init__(self) -> None:
        self.users: dict[str, tuple[str | None, str | None]] = {}
        self.organizations: dict[str, str] = {}
        #: Comments from comment API pages, by ticket id; and the first file of each.
        self.comments: dict[str, list[Any]] = {}
        self._comment_files: dict[str, str] = {}
        self._claimed: set[str] = set()

    def load_comments(self, path: Path, encoding: str) -> Iterator[Rejected]:
        """Add the comments of one saved comment page, keyed by the ticket id in its name."""
        where = str(path)
        ticket_id = _ticket_id_of(path)
        if ticket_id is None:
            reason = "a comment page without a ticket id in its file or folder name"
            yield Rejected(where, "file", reason)
            return
        text, doc = yield from _json_file(path, encoding)
        if text is None:
            return
        comments = doc.get("comments") if isinstance(doc, dict) else None
        if not isinstance(comments, list):
            yield Rejected(where, "file", "field 'comments' is not a list", clip_raw(text))
            return
        self.add(doc)  # a page may side-load its authors
        self.comments.setdefault(ticket_id, []).extend(comments)
        self._comment_files.setdefault(ticket_id, where)

    def claim_comments(self, ticket_id: Any) -> list[Any] | None:
        """The comments saved for ``ticket_id``, if any (marked as joined)."""
        key = _key(ticket_id)
        if key is None or key not in self.comments:
            return None
        self._claimed.add(key)
        return self.comments[key]

    def unclaimed_comments(self) -> dict[str, str]:
        """``{ticket id: file}`` of comment pages whose ticket was not in the export."""
        return {k: w for k, w in self._comment_files.items() if k not in self._claimed}

    def load_file(self, path: Path, encoding: str) -> Iterator[Rejected]:
        """Add the users or organizations of a side file; yield :class:`Rejected` if unreadable."""
        where = str(path)
        kind = path.stem.lower()
        if path.suffix.lower() == ".jsonl":
            try:
                lines = read_text(path, encoding=encoding)
            except BadFile as e:
                yield e.rejected
                return
            for item in iter_jsonl(lines, where):
                if isinstance(item, Rejected):
                    yield item
                else:
                    self.add({kind: [item[1]]})
            return
        text, doc = yield from _json_file(path, encoding)
        if text is not None:
            self.add({kind: doc} if isinstance(doc, list) else doc)

    def add(self, doc: Any) -> None:
        """Add the ``users`` and ``organizations`` side-loaded in a page (bad entries ignored)."""
        if not isinstance(doc, dict):
            return
        for user in _objects(doc.get("users")):
            key = _key(user.get("id"))
            if key is not None:
                self.users[key] = (_opt_text(user.get("name")), _opt_text(user.get("role")))
        for org in _objects(doc.get("organizations")):
            key, name = _key(org.get("id")), _opt_text(org.get("name"))
            if key is not None and name:
                self.organizations[key] = name

    def name(self, user_id: Any) -> str | None:
        key = _key(user_id)
        return self.users.get(key, (None, None))[0] if key is not None else None

    def role(self, user_id: Any) -> str | None:
        key = _key(user_id)
        role = self.users.get(key, (None, None))[1] if key is not None else None
        return _ROLES.get(role) if role else None

    def account(self, organization_id: Any) -> str | None:
        key = _key(organization_id)
        if key is None:
            return None
        return self.organizations.get(key, key)


class _Reader:
    """Converts the tickets of one export file."""

    def __init__(self, where: str, directory: _Directory, *, encoding: str, tz: str):
        self.where = where
        self.directory = directory
        self.encoding = encoding
        self.tz = tz

    def read(self, file: Path) -> Iterator[Result]:
        """The tickets of one export file."""
        try:
            text = read_text(file, encoding=self.encoding)
        except BadFile as e:
            yield e.rejected
            return
        suffix = file.suffix.lower()
        if suffix == ".csv":
            yield from self.csv_rows(text)
        elif suffix == ".jsonl":
            yield from self.jsonl_lines(text)
        else:
            yield from self.json_document(text)

    # --- JSON pages and JSON Lines ------------------------------------------------------------

    def json_document(self, text: str) -> Iterator[Result]:
        try:
            doc = parse_json(text)
        except (json.JSONDecodeError, LimitError) as e:
            # Truncated or damaged: keep every ticket that still parses.
            key = "tickets" if text.lstrip().startswith("{") else None
            items = iter_json_records(text, self.where, array_key=key, label="record", failure=e)
            for item in items:
                yield item if isinstance(item, Rejected) else self.ticket(item[1], item[0])
            return
        yield from self.page(doc, "record {}", "file", text)

    def jsonl_lines(self, text: str) -> Iterator[Result]:
        for item in iter_jsonl(text, self.where):
            if isinstance(item, Rejected):
                yield item
                continue
            locator, value = item
            if isinstance(value, dict) and "tickets" in value:
                yield from self.page(value, f"{locator}, record {{}}", locator, safe_raw(value))
            else:
                yield self.ticket(value, locator)

    def page(self, doc: Any, locator: str, whole: str, text: str) -> Iterator[Result]:
        """The tickets of one parsed page, after adding its side-loaded users.

        Args:
            doc: The parsed page.
            locator: Template of a ticket's fallback locator, ``{}`` its 1-based index.
            whole: The locator of the page itself (``file``, or its JSON Lines line).
            text: The page's text, for the quarantine when the whole page is rejected.
        """
        if isinstance(doc, list):
            tickets = doc
        elif isinstance(doc, dict):
            self.directory.add(doc)
            if "tickets" in doc:
                tickets = doc["tickets"]
            elif isinstance(doc.get("ticket"), dict):  # GET /tickets/{id}
                tickets = [doc["ticket"]]
            elif "id" in doc:  # a bare ticket object
                tickets = [doc]
            elif "users" in doc or "organizations" in doc:  # a side-load page: no tickets
                return
            elif listing := next((k for k in _NOT_TICKETS if k in doc), None):
                yield Skipped(self.where, whole, f"{listing}: not tickets")
                return
            else:
                reason = "no 'tickets' array: not a Zendesk ticket export"
                yield Rejected(self.where, whole, reason, clip_raw(text))
                return
        else:
            reason = f"expected a JSON object or array, got {type(doc).__name__}"
            yield Rejected(self.where, whole, reason, clip_raw(text))
            return
        if not isinstance(tickets, list):
            reason = "field 'tickets' is not a list"
            yield Rejected(self.where, whole, reason, clip_raw(text))
            return
        for index, ticket in enumerate(tickets, 1):
            yield self.ticket(ticket, locator.format(index))

    def ticket(self, obj: Any, fallback: str) -> Result:
        """One JSON ticket as a record, or rejected, or skipped when deleted."""
        locator = _locator(obj.get("id") if isinstance(obj, dict) else None, fallback)
        raw = json_raw(self.where, locator, obj, self.encoding)
        if isinstance(raw, Rejected):
            return raw
        convert = partial(self._guarded_ticket, obj, locator, raw)
        return guard_record(self.where, locator, convert, raw, what="ticket")

    def _guarded_ticket(self, obj: Any, locator: str, raw: str) -> Result:
        try:
            return self._ticket(obj, locator, raw)
        except ConnectorError as e:
            return Rejected(self.where, locator, e.reason, clip_raw(raw))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            reason = f"malformed ticket ({type(e).__name__})"
            return Rejected(self.where, locator, reason, clip_raw(raw))

    def _ticket(self, ticket: Any, locator: str, raw: str) -> Record | Skipped:
        if not isinstance(ticket, dict):
            raise ConnectorError(f"ticket is not a JSON object (got {type(ticket).__name__})")
        if ticket.get("status") == "deleted":
            return Skipped(self.where, locator, "deleted ticket")
        native_id = as_id(ticket.get("id"), field="id")
        created_at = _required_time(ticket.get("created_at"), "created_at", self.tz)
        updated_at = parse_timestamp(ticket.get("updated_at"), field="updated_at", tz=self.tz)
        subject = clean_text(as_text(ticket.get("subject"), field="subject"))
        requester_id = ticket.get("requester_id")
        comments = ticket.get("comments")
        saved = self.directory.claim_comments(ticket.get("id"))
        if comments is None and saved is not None:
            comments = saved
        parts = self._comments(comments, requester_id)
        if not parts:
            description = clean_text(as_text(ticket.get("description"), field="description"))
            if description:
                speaker = self.directory.name(requester_id)
                parts = [Part(description, speaker=speaker, role="customer", timestamp=created_at)]
        return Record(
            native_id=native_id,
            path=self.where,
            locator=locator,
            # A ticket with neither comments nor description still says something in its subject.
            text="" if parts else subject,
            parts=parts,
            title=subject or None,
            account=self.directory.account(ticket.get("organization_id")),
            created_at=created_at,
            updated_at=updated_at or created_at,
            metadata=_metadata(ticket),
            raw=clip_raw(raw),
        )

    def _comments(self, comments: Any, requester_id: Any) -> list[Part]:
        if comments is None:
            return []
        if not isinstance(comments, list):
            raise ConnectorError("field 'comments' is not a list")
        parts = []
        for number, comment in enumerate(comments, 1):
            if not isinstance(comment, dict):
                raise ConnectorError(f"comment {number} is not a JSON object")
            try:
                part = self._comment(comment, requester_id)
            except ConnectorError as e:
                raise ConnectorError(f"comment {number}: {e.reason}") from e
            if part is not None:
                parts.append(part)
        return parts

    def _comment(self, comment: dict[str, Any], requester_id: Any) -> Part | None:
        text = clean_text(as_text(comment.get("plain_body"), field="plain_body"))
        if not text:
            text = html_to_text(as_text(comment.get("html_body"), field="html_body"))
        if not text:
            text = clean_text(as_text(comment.get("body"), field="body"))
        timestamp = parse_timestamp(comment.get("created_at"), field="created_at", tz=self.tz)
        if not text:
            return None
        author_id = comment.get("author_id")
        if comment.get("public") is False:
            role = "internal"
        else:
            role = self.directory.role(author_id) or (
                "customer"
                if _key(author_id) is not None and author_id == requester_id
                else "unknown"
            )
        return Part(text, speaker=self.directory.name(author_id), role=role, timestamp=timestamp)

    # --- CSV export ---------------------------------------------------------------------------

    def csv_rows(self, text: str) -> Iterator[Result]:
        columns: list[str] = []
        for item in iter_csv_rows(text, self.where):
            if isinstance(item, Rejected):
                yield item
            elif isinstance(item, CsvRow):
                convert = partial(self.csv_row, columns, item.cells, item.locator, item.raw)
                yield guard_record(self.where, item.locator, convert, item.raw, what="ticket")
            else:
                _, header, header_text = item
                columns = [clean_text(name) for name in header[0]]
                if "id" not in (name.lower() for name in columns):
                    reason = "CSV header has no 'Id' column: not a Zendesk ticket export"
                    yield Rejected(self.where, "file", reason, clip_raw(header_text))
                    return

    def csv_row(self, columns: list[str], cells: list[str], fallback: str, raw: str) -> Result:
        row = {name.lower(): cell for name, cell in zip(columns, cells, strict=False)}
        locator = _locator(row.get("id", "").strip(), fallback)
        bad = undecodable_reason(raw, self.encoding)
        if bad:
            return Rejected(self.where, locator, bad, clip_raw(raw))
        try:
            return self._csv_row(columns, cells, row, locator, raw)
        except ConnectorError as e:
            return Rejected(self.where, locator, e.reason, clip_raw(raw))
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
            reason = f"malformed row ({type(e).__name__})"
            return Rejected(self.where, locator, reason, clip_raw(raw))

    def _csv_row(
        self, columns: list[str], cells: list[str], row: dict[str, str], locator: str, raw: str
    ) -> Record | Skipped:
        status = row.get("status", "").strip().lower()
        if status == "deleted":
            return Skipped(self.where, locator, "deleted ticket")
        native_id = as_id(row.get("id"), field="Id")
        if "created at" in row:
            created_at = _required_time(row["created at"], "Created at", self.tz)
        else:
            created_at = None
        updated_at = parse_timestamp(row.get("updated at"), field="Updated at", tz=self.tz)
        subject = clean_text(row.get("subject", ""))
        description = clean_text(row.get("description", ""))
        metadata: dict[str, Any] = {}
        for key, column in (
            ("status", "status"),
            ("priority", "priority"),
            ("type", "ticket type"),
            ("via", "via"),
            ("group", "group"),
            ("satisfaction", "satisfaction score"),
        ):
            value = clean_text(row.get(column, ""))
            if value and value != "-":
                metadata[key] = value.lower() if key in ("status", "priority", "type") else value
        tags = [t for t in _TAG_SPLIT.split(row.get("tags", "")) if t]
        if tags:
            metadata["tags"] = tags
        custom = {}
        for name, cell in zip(columns, cells, strict=False):
            match = _CUSTOM_COLUMN.match(name)
            if match and clean_text(cell) and clean_text(cell) != "-":
                custom[match["name"]] = clean_text(cell)
        if custom:
            metadata["custom_fields"] = custom
        return Record(
            native_id=native_id,
            path=self.where,
            locator=locator,
            text="\n".join(t for t in (subject, description) if t),
            title=subject or None,
            account=clean_text(row.get("organization", "")) or None,
            created_at=created_at,
            updated_at=updated_at or created_at,
            metadata=metadata,
            raw=clip_raw(raw),
        )


def _metadata(ticket: dict[str, Any]) -> dict[str, Any]:
    """Small, useful vendor fields; values of unexpected types are left out, not rejected."""
    metadata: dict[str, Any] = {}
    for key in ("status", "priority", "type"):
        value = _opt_text(ticket.get(key))
        if value:
            metadata[key] = value
    tags = ticket.get("tags")
    if isinstance(tags, list):
        metadata["tags"] = [tag for tag in tags if isinstance(tag, str)]
    via = ticket.get("via")
    if isinstance(via, dict) and _opt_text(via.get("channel")):
        metadata["via"] = via["channel"]
    group = _key(ticket.get("group_id"))
    if group is not None:
        metadata["group_id"] = group
    rating = ticket.get("satisfaction_rating")
    if isinstance(rating, dict) and _opt_text(rating.get("score")):
        metadata["satisfaction"] = rating["score"]
    custom = {}
    for field in _objects(ticket.get("custom_fields")):
        field_id = _key(field.get("id"))
        if field_id is not None and field.get("value") is not None:
            custom[field_id] = field["value"]
    if custom:
        metadata["custom_fields"] = custom
    return metadata


def _required_time(value: Any, field: str, tz: str) -> datetime:
    timestamp = parse_timestamp(value, field=field, tz=tz)
    if timestamp is None:
        raise ConnectorError(f"missing required field {field!r}")
    return timestamp


def _locator(value: Any, fallback: str) -> str:
    """``ticket 8812`` when the id is usable, else the reader's locator."""
    key = _key(value)
    return f"ticket {key}" if key is not None and _PLAIN_ID.match(key) else fallback


def _key(value: Any) -> str | None:
    """An id (int or non-empty string) as a lookup key, else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text or None


def _opt_text(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _objects(value: Any) -> Iterable[dict[str, Any]]:
    return (item for item in value if isinstance(item, dict)) if isinstance(value, list) else ()
