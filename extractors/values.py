"""Parsing values the vendors spell many ways: timestamps, ids, booleans.

Every parser raises :class:`~silobridge.errors.ConnectorError` with a reason that names the
field and the kind of value, never the value itself when it could be personal data.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from ..errors import ConfigError, ConnectorError

_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
# Plausible range for feedback data; anything outside is a unit mix-up (ms vs s) or garbage.
_MIN = datetime(1990, 1, 1, tzinfo=UTC)
_MAX = datetime(2100, 1, 1, tzinfo=UTC)


def parse_timestamp(
    value: Any,
    *,
    field: str,
    tz: str = "UTC",
    dayfirst: bool = False,
    excel_serial: bool = False,
) -> datetime | None:
    """Parse a vendor timestamp into an aware UTC ``datetime``.

    Accepts ISO 8601 with ``Z`` or an offset (Zendesk, Gong, Typeform), epoch seconds or
    milliseconds as int, float or numeric string (Intercom, Slack ``ts``), Excel serial days when
    ``excel_serial`` is set (SurveyMonkey after an Excel round-trip), and free-form dates such as
    ``2026-09-01 14:03:00`` (Qualtrics) or ``09/01/2026 2:03:00 PM`` (SurveyMonkey). Values with
    no zone are read in ``tz``.

    Args:
        value: The raw value. ``None`` and empty strings give ``None``.
        field: The field's name, for the error message.
        tz: IANA zone for values that carry none.
        dayfirst: Read ``01/02/2026`` as 1 February.
        excel_serial: Read plain numbers as Excel serial days rather than epoch seconds.

    Returns:
        An aware UTC datetime, or ``None`` for an empty value.

    Raises:
        ConnectorError: if the value is not a timestamp or lies outside 1990-2100.

    Examples:
        >>> parse_timestamp("2026-09-01T10:00:00+02:00", field="created_at").isoformat()
        '2026-09-01T08:00:00+00:00'
        >>> parse_timestamp(1788264000, field="created_at").isoformat()
        '2026-09-01T12:00:00+00:00'
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ConnectorError(f"{field}: expected a timestamp, got a boolean")
    if isinstance(value, datetime):
        result = value if value.tzinfo else value.replace(tzinfo=_zone(tz))
    elif isinstance(value, int | float) or (
        isinstance(value, str) and _NUMERIC.match(value.strip())
    ):
        number = float(value)
        if not math.isfinite(number):
            raise ConnectorError(f"{field}: expected a timestamp, got a non-finite number")
        if excel_serial:  # serial days carry no zone: wall-clock time in `tz`
            naive = _EXCEL_EPOCH.replace(tzinfo=None) + timedelta(days=number)
            result = naive.replace(tzinfo=_zone(tz))
        else:
            if abs(number) > 1e11:  # epoch milliseconds
                number /= 1000.0
            try:
                result = datetime.fromtimestamp(number, tz=UTC)
            except (OverflowError, OSError, ValueError) as e:
                raise ConnectorError(f"{field}: epoch value out of range") from e
    elif isinstance(value, str):
        text = value.strip()
        try:
            result = datetime.fromisoformat(text)
        except ValueError:
            try:
                result = dateutil_parser.parse(text, dayfirst=dayfirst)
            except (ValueError, OverflowError) as e:
                raise ConnectorError(f"{field}: not a recognisable timestamp") from e
        if result.tzinfo is None:
            result = result.replace(tzinfo=_zone(tz))
    else:
        raise ConnectorError(f"{field}: expected a timestamp, got {type(value).__name__}")
    try:
        result = result.astimezone(UTC)
    except OverflowError as e:  # an offset at the edge of year 1 or 9999
        raise ConnectorError(f"{field}: timestamp out of range") from e
    if not _MIN <= result < _MAX:
        raise ConnectorError(f"{field}: timestamp {result.date()} is outside 1990-2100")
    return result


def as_id(value: Any, *, field: str) -> str:
    """A vendor id as a string (ids stay strings: Gong's have up to 20 digits).

    Raises:
        ConnectorError: if the value is missing, empty, or not a string or integer.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ConnectorError(f"missing required field {field!r}")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConnectorError(
            f"{field}: expected a string or integer id, got {type(value).__name__}"
        )
    return str(value).strip()


def as_text(value: Any, *, field: str) -> str:
    """A text field as ``str``; ``None`` gives ``""``.

    Raises:
        ConnectorError: if the value is a number, list or object where text belongs.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConnectorError(f"{field}: expected text, got {type(value).__name__}")
    return value


def kind_of(value: Any) -> str:
    """A value's JSON/YAML kind for an error message ("a number", "a list"), never the value."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, date):
        return "a date"
    return type(value).__name__


def check_zone(tz: str) -> str:
    """Validate an IANA zone name from configuration.

    Raises:
        ConfigError: if the zone is unknown.
    """
    _zone(tz)
    return tz


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ConfigError(
            f"Unknown time zone {tz!r}; use an IANA name like 'Europe/Berlin'."
        ) from e
