"""The configured column mapping shared by the ``csv``, ``json``, ``jsonl`` and ``sql`` connectors.

A source's ``mapping`` option names the column of each canonical field; :class:`FieldMapping`
checks it (with ``metadata_columns``, ``tz`` and ``dayfirst``) and maps one record's columns to a
:class:`Record`. See :mod:`.generic` for what each key means.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError, ConnectorError
from .base import Part, Record
from .files import clip_raw
from .text import clean_text
from .values import as_id, check_zone, kind_of, parse_timestamp

MAPPING_KEYS = (
    "native_id", "text", "title", "created_at", "updated_at",
    "account", "function", "channel", "speaker", "role",
)  # fmt: skip
_ROLE_WORDS = {
    **dict.fromkeys(
        ("customer", "end-user", "end_user", "enduser", "user", "contact", "lead", "client",
         "prospect", "requester", "external"),
        "customer",
    ),
    **dict.fromkeys(
        ("internal", "agent", "admin", "staff", "employee", "team", "rep", "teammate",
         "operator", "support"),
        "internal",
    ),
    **dict.fromkeys(("bot", "automation", "system", "ai"), "bot"),
}  # fmt: skip
# What a malformed record can raise. OverflowError: parse_timestamp lets it through for
# timestamps at the edge of year 1 or 9999 with an offset.
BAD_INPUT = (
    ConnectorError, KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
)  # fmt: skip

# (found, value) for a column of the record at hand.
Lookup = Callable[[str], tuple[bool, Any]]


@dataclass(frozen=True)
class FieldMapping:
    """The validated ``mapping`` and companion options, shared by the mapped connectors."""

    columns: dict[str, tuple[str, ...]]
    metadata_columns: tuple[str, ...] | None
    tz: str
    dayfirst: bool

    @classmethod
    def from_options(
        cls,
        connector_name: str,
        mapping: Any,
        metadata_columns: Any,
        tz: str,
        dayfirst: bool,
    ) -> FieldMapping:
        """Check the options a user wrote in ``silobridge.toml``.

        Raises:
            ConfigError: naming the option, what is wrong, and an example of the fix.
        """
        example = "mapping = { text = 'Comment', native_id = 'ID', created_at = 'Date' }"
        if mapping is None:
            raise ConfigError(
                f"The {connector_name} connector needs a 'mapping' option naming the column of "
                f"each canonical field, e.g. {example}.",
                key="options.mapping",
            )
        if not isinstance(mapping, dict):
            raise ConfigError(
                f"'mapping' must be a table of canonical field = column name, e.g. {example}; "
                f"got {type(mapping).__name__}.",
                key="options.mapping",
            )
        unknown = sorted(str(k) for k in mapping if k not in MAPPING_KEYS)
        if unknown:
            raise ConfigError(
                f"Unknown mapping key(s) {', '.join(map(repr, unknown))}. "
                f"Known keys: {', '.join(MAPPING_KEYS)}.",
                key="options.mapping",
            )
        if "text" not in mapping:
            raise ConfigError(
                f"'mapping' has no 'text' key: name the column(s) that hold the feedback text, "
                f"e.g. {example}.",
                key="options.mapping",
            )
        columns: dict[str, tuple[str, ...]] = {}
        for key, value in mapping.items():
            if isinstance(value, str) and value.strip():
                columns[key] = (value,)
            elif (
                key == "text"
                and isinstance(value, list)
                and value
                and all(isinstance(v, str) and v.strip() for v in value)
            ):
                columns[key] = tuple(value)
            else:
                what = (
                    "a column name or a list of column names" if key == "text" else "a column name"
                )
                raise ConfigError(
                    f"mapping.{key} must be {what}; got {value!r}.", key=f"options.mapping.{key}"
                )
        if metadata_columns is not None and not (
            isinstance(metadata_columns, list) and all(isinstance(c, str) for c in metadata_columns)
        ):
            raise ConfigError(
                "'metadata_columns' must be a list of column names ([] for none), or unset for "
                f"every unmapped column; got {metadata_columns!r}.",
                key="options.metadata_columns",
            )
        if not isinstance(dayfirst, bool):
            raise ConfigError(f"'dayfirst' must be true or false; got {dayfirst!r}.")
        check_zone(tz)
        meta = tuple(metadata_columns) if metadata_columns is not None else None
        return cls(columns=columns, metadata_columns=meta, tz=tz, dayfirst=dayfirst)

    @property
    def mapped(self) -> set[str]:
        """Every column the mapping reads."""
        return {c for cols in self.columns.values() for c in cols}

    def to_record(
        self, get: Lookup, metadata: dict[str, Any], *, path: str, locator: str, raw: str
    ) -> Record:
        """Map one record's columns to a :class:`Record`.

        Raises:
            ConnectorError: if a required column is missing or a value has the wrong type or
                does not parse.
        """
        text_columns = self.columns["text"]
        pieces: list[str] = []
        found_text = False
        for column in text_columns:
            found, value = get(column)
            if found:
                found_text = True
                piece = clean_text(_text(value, column) or "")
                if piece:
                    pieces.append(piece)
        if not found_text:
            names = " or ".join(map(repr, text_columns))
            raise ConnectorError(f"missing required field {names}")
        text = "\n".join(pieces)

        created_at = self._timestamp(get, "created_at")
        updated_at = self._timestamp(get, "updated_at") or created_at
        if "native_id" in self.columns:
            column = self.columns["native_id"][0]
            found, value = get(column)
            if not found:
                raise ConnectorError(f"missing required field {column!r}")
            native_id = as_id(value, field=column)
        else:
            native_id = _content_id(text, created_at.isoformat() if created_at else None)

        parts: list[Part] = []
        if "speaker" in self.columns or "role" in self.columns:
            role_word = self._string(get, "role")
            role = _ROLE_WORDS.get(role_word.lower(), "unknown") if role_word else "unknown"
            parts = [Part(text, self._string(get, "speaker"), role, created_at)]
        return Record(
            native_id=native_id,
            path=path,
            locator=locator,
            text=text,
            parts=parts,
            title=self._string(get, "title"),
            channel=self._string(get, "channel"),
            function=self._string(get, "function"),
            account=self._string(get, "account"),
            created_at=created_at,
            updated_at=updated_at,
            metadata=metadata,
            raw=clip_raw(raw),
        )

    def _string(self, get: Lookup, key: str) -> str | None:
        if key not in self.columns:
            return None
        column = self.columns[key][0]
        found, value = get(column)
        if not found or value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        return clean_text(_text(value, column) or "") or None

    def _timestamp(self, get: Lookup, key: str) -> Any:
        if key not in self.columns:
            return None
        column = self.columns[key][0]
        found, value = get(column)
        if not found:
            return None
        return parse_timestamp(value, field=column, tz=self.tz, dayfirst=self.dayfirst)


def _text(value: Any, column: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ConnectorError(f"field {column!r}: expected text, got {kind_of(value)}")


def _content_id(text: str, created_at: str | None) -> str:
    """A stable id for records without one: the same text and date give the same id."""
    payload = json.dumps([text, created_at], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]


def reject_reason(error: Exception) -> str:
    """The quarantine reason for one of :data:`BAD_INPUT` raised while mapping a record."""
    if isinstance(error, ConnectorError):
        return error.reason
    if isinstance(error, OverflowError):
        return "a timestamp is out of range"
    return f"cannot read record ({type(error).__name__})"


def is_flat(value: Any) -> bool:
    """Whether a value is a scalar or a list of scalars (fit for ``metadata`` as it is)."""
    scalar = (str, int, float, bool)
    return isinstance(value, scalar) or (
        isinstance(value, list) and all(isinstance(v, scalar) for v in value)
    )
