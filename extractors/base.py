"""What every connector yields: canonical records, rejected records, skipped events.

A connector is a generator. For each record in the vendor's export it yields exactly one of:

* :class:`Record` - a good record, in the canonical shape (see ``docs/schema.md``);
* :class:`Rejected` - a bad record with its address (``path``, ``locator``), the reason, and the
  raw text, which the store keeps in quarantine;
* :class:`Skipped` - something in the export that is not a record at all (a Slack
  ``channel_join`` event, a Zendesk state change with no text). Skipped events are counted by
  reason in the run's result, never silently dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import mask_secrets

FUNCTIONS = ("Product", "Marketing", "Sales", "Success", "Support")
CHANNELS = ("ticket", "call", "chat", "survey", "note", "message", "review")
#: Who speaks in a part: a customer, the company's staff, a bot, or someone else's words that
#: the author passed on (``relayed``: a forwarded or shared message, an integration's post).
ROLES = ("customer", "internal", "bot", "relayed", "unknown")


@dataclass(frozen=True)
class Part:
    """One speaker turn or message of a conversation.

    Attributes:
        text: Plain text of the turn (HTML and mrkdwn already converted).
        speaker: Display name of the speaker where the export has it.
        role: ``customer``, ``internal``, ``bot``, ``relayed`` (words of someone else the
            message passes on: a forwarded or shared message, a widget's or forum's post) or
            ``unknown``.
        timestamp: When it was said or sent, timezone-aware UTC.
    """

    text: str
    speaker: str | None = None
    role: str = "unknown"
    timestamp: datetime | None = None


@dataclass
class Record:
    """A good record in the canonical shape.

    ``text`` may be left empty when ``parts`` are given: the ingest stage then joins the parts'
    texts, one per line. Connectors leave ``function`` and ``channel`` as ``None`` when the export
    does not say; the source's configuration fills them in.
    """

    native_id: str
    path: str
    locator: str
    text: str = ""
    parts: list[Part] = field(default_factory=list)
    title: str | None = None
    channel: str | None = None
    function: str | None = None
    account: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    raw: str = ""


@dataclass(frozen=True)
class Rejected:
    """A bad record: where it is, why it was rejected, and its raw text.

    ``str(rejected)`` reads ``path:locator: reason`` and never includes ``raw``, which may hold
    personal data.
    """

    path: str
    locator: str
    reason: str
    raw: str = ""

    def __post_init__(self) -> None:
        # What is shown and stored as the record's address and reason never holds a password
        # (a connection string in a driver's message); ``raw`` is the record as it was.
        for name in ("path", "locator", "reason"):
            value = getattr(self, name)
            if isinstance(value, str):
                object.__setattr__(self, name, mask_secrets(value))

    def __str__(self) -> str:
        return f"{self.path}:{self.locator}: {self.reason}"


@dataclass(frozen=True)
class Skipped:
    """Something in an export that is not a record (a join event, a status change)."""

    path: str
    locator: str
    reason: str


def raw_json(obj: Any) -> str:
    """Serialise a raw vendor record for the ``raw`` column, keys in their original order."""
    return json.dumps(obj, ensure_ascii=False, default=str)


_FUNCTION_ALIASES = {
    "product": "Product",
    "product management": "Product",
    "pm": "Product",
    "marketing": "Marketing",
    "sales": "Sales",
    "success": "Success",
    "customer success": "Success",
    "cs": "Success",
    "csm": "Success",
    "account management": "Success",
    "support": "Support",
    "customer support": "Support",
    "customer service": "Support",
    "help desk": "Support",
    "helpdesk": "Support",
}


def normalize_function(value: str | None) -> str | None:
    """The canonical function name for ``value`` (``"customer success"`` → ``"Success"``).

    Returns ``None`` for ``None`` or an empty string.

    Raises:
        ValueError: naming the known functions, if ``value`` is none of them. The message does
            not quote the value: it becomes a quarantined record's reason, and a record's
            function column may hold anything (a name, a card number).

    Examples:
        >>> normalize_function("Maria Gonzalez 4111 1111 1111 1111")
        Traceback (most recent call last):
        ...
        ValueError: unknown function (expected one of Product, Marketing, Sales, Success, Support)
    """
    if value is None or not str(value).strip():
        return None
    key = " ".join(str(value).replace("_", " ").replace("-", " ").lower().split())
    try:
        return _FUNCTION_ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown function (expected one of {', '.join(FUNCTIONS)})") from None
