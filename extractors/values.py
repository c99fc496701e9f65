"""Parsing values the vendors spell many ways: timestamps, ids, booleans.

Every parser raises :class:`~silobridge.errors.ConnectorError` with a reason that names the
field and the kind of value, never the value itself when it could be personal data.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from ..errors import ConfigError, ConnectorError

_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")
# Plausible range for feedback data; anything outside is a unit mix-up (ms vs s) or garbage.
_MIN = datetime(1990, 1, 1, tzinfo=UTC)
_MAX = datetime(2100, 1, 1, tzinfo=UTC)
# Free-form dates are parsed against these: a part the value lacks comes from the default, so
# it differs between the two (both leap years; January and March both have 31 days).
_DEFAULT_A = datetime(4, 1, 1)
_DEFAULT_B = datetime(8, 3, 3)


def _fixed(hours: int, minutes: int = 0) -> timezone:
    return timezone(timedelta(hours=hours, minutes=minutes if hours >= 0 else -minutes))


#: Zone abbreviations read in free-form dates. An abbreviation that names one offset maps to it;
#: a generic one (``PT``: PST or PDT by the date) to its IANA zone. Where one is used for several
#: zones the US or European one is meant (``CST`` is US Central, ``BST`` British Summer Time);
#: ambiguous ones with no such reading (``IST``: India, Ireland or Israel; ``AST``: Atlantic or
#: Arabia; ``SST``) and any other name are refused: never read as UTC or as the source's ``tz``.
ZONE_ABBREVIATIONS: dict[str, tzinfo | str] = {
    **dict.fromkeys(("UTC", "UT", "GMT", "Z", "ZULU"), UTC),
    # North America
    "EST": _fixed(-5), "EDT": _fixed(-4), "CST": _fixed(-6), "CDT": _fixed(-5),
    "MST": _fixed(-7), "MDT": _fixed(-6), "PST": _fixed(-8), "PDT": _fixed(-7),
    "AKST": _fixed(-9), "AKDT": _fixed(-8), "HST": _fixed(-10), "HDT": _fixed(-9),
    "ADT": _fixed(-3), "NST": _fixed(-3, 30), "NDT": _fixed(-2, 30),
    # IANA zones (loaded when first used): the offset depends on the date
    "ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
    "PT": "America/Los_Angeles", "AKT": "America/Anchorage",
    # Europe
    "WET": _fixed(0), "WEST": _fixed(1), "BST": _fixed(1),
    "CET": _fixed(1), "CEST": _fixed(2), "MET": _fixed(1), "MEST": _fixed(2),
    "EET": _fixed(2), "EEST": _fixed(3), "MSK": _fixed(3),
    # Asia and the Pacific
    "JST": _fixed(9), "KST": _fixed(9), "HKT": _fixed(8), "SGT": _fixed(8),
    "AWST": _fixed(8), "ACST": _fixed(9, 30), "ACDT": _fixed(10, 30),
    "AEST": _fixed(10), "AEDT": _fixed(11), "NZST": _fixed(12), "NZDT": _fixed(13),
}  # fmt: skip
# "UTC+2", "GMT-05:00": the offset as people mean it (dateutil reads it the POSIX way, inverted).
_UTC_PLUS = re.compile(r"(?<![A-Za-z])(?:UTC|GMT|UT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?(?!\d)")
# JavaScript's Date.toString(): "... GMT+0200 (Central European Summer Time)": the offset counts.
_ZONE_NAME_AFTER_OFFSET = re.compile(r"([+-]\d{2}:?\d{2})\s*\([A-Za-z][A-Za-z .'-]*\)\s*$")


class _ZoneRefused(Exception):
    """A zone abbreviation that is not in :data:`ZONE_ABBREVIATIONS` (or is ambiguous)."""


def _tzinfos(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's ``tzinfos`` hook: every zone name and offset it finds in a value."""
    if name is None:
        return None if offset is None else timezone(timedelta(seconds=offset))
    zone = ZONE_ABBREVIATIONS.get(name.upper())
    if zone is None:
        raise _ZoneRefused(name)
    if offset is not None and zone is not UTC:  # "PST-8": a name and an offset
        raise _ZoneRefused(name)
    return _zone(zone) if isinstance(zone, str) else zone


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

    A free-form value must carry a whole date: a bare time (``12:00``) or a date without its
    year or day is refused rather than completed with today's. Zone abbreviations are read from
    :data:`ZONE_ABBREVIATIONS` (``PST`` is -08:00, ``PDT`` -07:00, ``CEST`` +02:00, ``PT`` the
    Pacific zone on that date); ``UTC+2`` is +02:00. An abbreviation that is ambiguous (``IST``)
    or unknown is refused, never read as UTC.

    Args:
        value: The raw value. ``None`` and empty strings give ``None``.
        field: The field's name, for the error message.
        tz: IANA zone for values that carry none.
        dayfirst: Read ``01/02/2026`` as 1 February.
        excel_serial: Read plain numbers as Excel serial days rather than epoch seconds.

    Returns:
        An aware UTC datetime, or ``None`` for an empty value.

    Raises:
        ConnectorError: if the value is not a timestamp, has no (whole) date, names a zone that
            is unknown or ambiguous, or lies outside 1990-2100. The reason names ``field`` and
            what is wrong, never the value.

    Examples:
        >>> parse_timestamp("2026-09-01T10:00:00+02:00", field="created_at").isoformat()
        '2026-09-01T08:00:00+00:00'
        >>> parse_timestamp(1788264000, field="created_at").isoformat()
        '2026-09-01T12:00:00+00:00'
        >>> parse_timestamp("Sep 1, 2026 9:00 AM PDT", field="created_at").isoformat()
        '2026-09-01T16:00:00+00:00'
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
            result = _parse_free_form(text, field=field, dayfirst=dayfirst)
        if result.tzinfo is None:
            result = result.replace(tzinfo=_zone(tz))
    else:
        raise ConnectorError(f"{field}: expected a timestamp, got {type(value).__name__}")
    try:
        result = result.astimezone(UTC)
    except OverflowError as e:  # an offset at the edge of year 1 or 9999
        raise ConnectorError(f"{field}: timestamp out of range") from e
    if not _MIN <= result < _MAX:
        raise ConnectorError(f"{field}: timestamp is outside 1990-2100")
    return result


def _parse_free_form(text: str, *, field: str, dayfirst: bool) -> datetime:
    """A free-form date (dateutil), refusing a missing date part and unknown zone names."""
    text = _UTC_PLUS.sub(lambda m: f"{m[1]}{int(m[2]):02d}:{m[3] or '00'}", text)
    text = _ZONE_NAME_AFTER_OFFSET.sub(r"\1", text)

    def parse(default: datetime) -> datetime:
        try:
            return dateutil_parser.parse(text, dayfirst=dayfirst, default=default, tzinfos=_tzinfos)
        except _ZoneRefused:
            raise ConnectorError(
                f"{field}: unknown or ambiguous time zone name; write an offset such as "
                "-08:00, or a known abbreviation (PST, CET, JST...)"
            ) from None
        except (ValueError, OverflowError) as e:
            raise ConnectorError(f"{field}: not a recognisable timestamp") from e

    result = parse(_DEFAULT_A)
    if result.year == _DEFAULT_A.year or result.month == 1 or result.day == 1:
        other = parse(_DEFAULT_B)
        missing = [
            name
            for name in ("year", "month", "day")
            if getattr(result, name) != getattr(other, name)
        ]
        if len(missing) == 3:
            raise ConnectorError(f"{field}: no date in the value (only a time)")
        if missing:
            raise ConnectorError(f"{field}: incomplete date (no {' or '.join(missing)})")
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
