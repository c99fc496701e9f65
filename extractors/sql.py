"""SQL databases through SQLAlchemy: one record per row of a table or a query.

A source names the database by its SQLAlchemy ``url`` (or, for a SQLite file, by ``path``) and
either a ``table`` or a ``query``; the same ``mapping`` as the ``csv``/``json`` connectors says
which column holds which canonical field::

    [sources.crm_db]
    connector = "sql"
    url = "postgresql+psycopg://silobridge@db.internal:5432/crm"   # or sqlite:///crm.db
    query = "SELECT id, body, team, created, updated_at FROM notes"  # or: table = "notes"
    cursor = "updated_at"          # optional: read only rows changed since the last run
    channel = "note"
    mapping = { native_id = "id", text = "body", function = "team", created_at = "created" }

* Drivers: ``postgresql+psycopg://`` (psycopg 3), ``sqlite:///relative/or/absolute.db``, and any
  dialect SQLAlchemy knows whose driver is installed. A relative SQLite path is relative to
  ``silobridge.toml``; a SQLite file that does not exist is a configuration error (SQLite would
  quietly create an empty one).
* Passwords: better left out of the URL (libpq reads ``PGPASSWORD`` and ``~/.pgpass``). One
  written in the URL is masked (``***``) wherever the URL is shown: logs, errors, ``silobridge
  sources``, and the store, which never holds the URL.
* Rows: the mapping is checked against the result's columns before any row is read (a missing
  column is a :class:`ConfigError` listing the columns found). A row that cannot be mapped
  (a missing id, a date that does not parse) is quarantined at
  ``sql:table=notes:row id=17`` (``sql:query:...`` for a query; ``row 5``, its position, when
  the id itself is missing). Values are read as the driver returns them: UUIDs and whole
  decimals become ids, dates and timestamps need no parsing (those without a zone are read in
  ``tz``). A row whose text is empty is skipped ("no text"), not quarantined.
* Incremental: without ``cursor`` every run reads every row, and deduplication makes it cheap
  (unchanged rows are counted ``unchanged``; a changed row replaces its old version). With
  ``cursor`` (a column of the result that grows when a row is written, such as ``updated_at``
  or a serial id), a run reads only the rows whose cursor is ``>=`` the highest value the last
  run stored (the rows at that value are read again, so a row written in the same second is not
  lost). The mark is kept in the store's ``files`` table under the ``sql:`` pseudo path and is
  reset by ``--full`` or by any change to the source's settings (URL, query, table, cursor,
  mapping). Rows whose cursor is ``NULL`` are read only by full reads; only rows that mapped to
  records move the mark.
* A database that cannot be reached, a query it refuses, or a read that breaks off (a damaged
  SQLite file) is quarantined as one bad record at ``database`` (``database, after row 40``)
  with the database's message, and logged with the masked URL: the rows read before it land,
  the other sources are read, and the cursor's mark stays where it was. A missing driver is a
  configuration error.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MASK, ConfigError, find_secrets, mask_secrets
from ._mapping import BAD_INPUT, FieldMapping, is_flat, reject_reason
from .base import Record, Rejected, Skipped, raw_json
from .files import clip_raw
from .registry import Checkpoint, connector
from .text import clean_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)
# A SQL text's ":name" that SQLAlchemy would take for a bind parameter: escaped so that a
# user's query is sent as written (PostgreSQL's "::" casts are left alone).
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)")
_SQLITE_MEMORY = ("", ":memory:")


def mask_url(url: str) -> str:
    """The URL (or connection string) with every password replaced by ``***``.

    Works on any text, whether it parses or not (one slash missing, an unescaped ``@`` in the
    password, an ODBC or libpq string): see :func:`~silobridge.errors.mask_secrets` for the rules.

    Examples:
        >>> mask_url("postgresql+psycopg://ana:s3cret@db:5432/crm")
        'postgresql+psycopg://ana:***@db:5432/crm'
        >>> mask_url("postgresql://ana:p@ss@db/crm")
        'postgresql://ana:***@db/crm'
    """
    return mask_secrets(url, whole=True)


def check_database_url(url: str, base_dir: Path) -> str:
    """Validate a configured database URL; resolve a relative SQLite file against ``base_dir``.

    Returns:
        The URL to connect with (password kept).

    Raises:
        ValueError: naming the masked URL, what is wrong and the fix.
    """
    from sqlalchemy.engine import make_url  # deferred: ~0.2 s; config loads import this module
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError  # deferred: as above

    shown = mask_url(url)
    example = "'postgresql+psycopg://user@host:5432/db' or 'sqlite:///path/to/file.db'"
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a bad port, which may be a password's tail
        raise ValueError(f"not a database URL: {shown!r}; expected e.g. {example}") from None
    if "@" in (parsed.host or ""):
        # "u:p@ss@host": SQLAlchemy would connect to host "ss@host" and the driver's error
        # would show it.
        raise ValueError(
            f"not a database URL: {shown!r}: the user name or password holds an '@'; write "
            "each '@' in them as %40, or leave the password out of the URL (libpq reads "
            "PGPASSWORD and ~/.pgpass)"
        )
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        hint = " (write 'postgresql', not 'postgres')" if parsed.drivername == "postgres" else ""
        raise ValueError(
            f"unknown database kind {parsed.drivername!r} in {shown!r}{hint}; expected e.g. "
            f"{example}"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in _SQLITE_MEMORY:
        database = str(parsed.database)
        if not database.startswith("file:"):
            file = (base_dir / database).resolve()
            if not file.is_file():
                raise ValueError(f"SQLite database file does not exist: {file}")
            url = parsed.set(database=str(file)).render_as_string(hide_password=False)
    return url


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path.resolve()}"


@connector("sql", formats=(), layout="database")
def read_sql(
    url: str,
    state: str | None = None,
    *,
    query: str | None = None,
    table: str | None = None,
    cursor: str | None = None,
    mapping: dict[str, str | list[str]] | None = None,
    metadata_columns: list[str] | None = None,
    tz: str = "UTC",
    dayfirst: bool = False,
    batch_size: int = 1000,
) -> Iterator[Record | Rejected | Skipped | Checkpoint]:
    """Read the rows of a SQL table or query, mapped to canonical fields by ``mapping``.

    Args:
        url: The SQLAlchemy database URL (password included where it has one).
        state: The :attr:`Checkpoint.token` of the last run; with ``cursor``, only rows at or
            above its mark are read.
        query: A ``SELECT`` whose rows are the records. Exactly one of ``query`` and ``table``.
        table: A table (or view) name, ``schema.table`` allowed.
        cursor: A column of the result that grows when a row is written (``updated_at``).
        mapping: Canonical field → column name (``text`` may be a list of columns); required.
        metadata_columns: Columns kept in ``metadata``; ``None`` for every unmapped column.
        tz: IANA zone of timestamps stored without one.
        dayfirst: Read ``01/02/2026`` as 1 February in text columns.
        batch_size: Rows fetched from the database at a time.

    Yields:
        A :class:`Record` or :class:`Rejected` per row, then one :class:`Checkpoint`.

    Raises:
        ConfigError: if the options are invalid or name columns the result lacks, the driver
            is not installed, or the cursor's values cannot be compared.

    Examples:
        >>> rows = read_sql("sqlite:///a.db", table="t", mapping={"text": "body"})  # doctest: +SKIP
    """
    spec = FieldMapping.from_options("sql", mapping, metadata_columns, tz, dayfirst)
    where = _check_options(query, table, cursor, batch_size)
    since = _decode(state, cursor) if cursor is not None and state else None

    import sqlalchemy as sa  # deferred: ~0.2 s; config loads import this module
    from sqlalchemy.exc import SQLAlchemyError  # deferred: as above

    engine = _create_engine(url)
    sql, params = _select(engine, query, table, cursor, since)
    id_column = spec.columns.get("native_id", (None,))[0]
    high = since
    position = 0
    try:
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=batch_size).execute(sa.text(sql), params)
            columns = list(result.keys())
            _check_columns(spec, cursor, columns, where)
            keep = _metadata_columns(spec, columns)
            for position, row in enumerate(result, 1):
                values = dict(row._mapping)
                item = _row_to_record(spec, values, id_column, position, keep, where)
                if isinstance(item, Record) and cursor is not None:
                    high = _higher(high, values[cursor], cursor, where)
                yield item
    except SQLAlchemyError as e:
        # Like a damaged file: the rows read so far land, the failure is quarantined, and with
        # no Checkpoint the next run starts from the last mark again.
        yield _database_failed(e, url, where, position)
        return
    finally:
        engine.dispose()
    yield Checkpoint(_encode(cursor, high) if cursor is not None and high is not None else None)


def _create_engine(url: str) -> Engine:
    """A SQLAlchemy engine for ``url``.

    Raises:
        ConfigError: if the URL's dialect or driver is not installed (the URL shown masked).
    """
    import sqlalchemy as sa  # deferred: ~0.2 s; config loads import this module
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError  # deferred: as above

    try:
        engine = sa.create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError) as e:
        raise ConfigError(
            f"cannot open {mask_url(url)}: {_message(e, url)}; is its driver installed "
            "(e.g. pip install 'psycopg[binary]')?",
            key="url",
        ) from None
    except ValueError:  # a port that is not a number: perhaps the tail of a password
        raise ConfigError(f"cannot open {mask_url(url)}: not a database URL", key="url") from None
    if "@" in (engine.url.host or ""):  # "u:p@ss@host": the driver's error would show "ss@host"
        engine.dispose()
        raise ConfigError(
            f"cannot open {mask_url(url)}: the user name or password holds an '@'; write it as %40",
            key="url",
        )
    return engine


def _select(
    engine: Engine, query: str | None, table: str | None, cursor: str | None, since: Any
) -> tuple[str, dict[str, Any]]:
    """The SQL text and bind parameters that read the rows (from the mark on, if one is set)."""
    quote = engine.dialect.identifier_preparer.quote
    if table is not None:
        source = f"SELECT * FROM {'.'.join(quote(part) for part in table.split('.'))}"
    else:
        source = _BIND_LIKE.sub(r"\\:", str(query).strip().rstrip(";"))
    if since is None:
        return source, {}
    sql = f"SELECT * FROM ({source}) AS silobridge_rows WHERE {quote(str(cursor))} >= :since"
    return sql, {"since": since}


def _metadata_columns(spec: FieldMapping, columns: list[str]) -> list[str]:
    """The columns kept in ``metadata``: those configured, else every unmapped one."""
    if spec.metadata_columns is None:
        return [c for c in columns if c not in spec.mapped]
    return list(spec.metadata_columns)


def _row_to_record(
    spec: FieldMapping,
    values: dict[str, Any],
    id_column: str | None,
    position: int,
    keep: list[str],
    where: str,
) -> Record | Rejected:
    """One row as a :class:`Record`, or rejected with the reason it cannot be mapped."""
    locator = _locator(values.get(id_column) if id_column else None, id_column, position)
    raw = raw_json(values)
    try:
        plain = {k: _plain(v) for k, v in values.items()}
        metadata = {c: _jsonable(plain[c]) for c in keep if _jsonable(plain[c]) is not None}
        return spec.to_record(
            partial(_lookup, plain),
            metadata,
            path=where,
            locator=locator,
            raw=raw,
        )
    except BAD_INPUT as e:
        return Rejected(where, locator, reject_reason(e), clip_raw(raw))


def _database_failed(error: Exception, url: str, where: str, position: int) -> Rejected:
    """Log a database failure (URL masked) and quarantine it as one bad record."""
    message = _message(error, url)
    log.warning(
        "sql: reading %s (%s) failed after %d rows: %s", mask_url(url), where, position, message
    )
    after = f", after row {position}" if position else ""
    return Rejected(
        where,
        f"database{after}",
        f"the database failed: {message}; the rest was not read (the next run tries again)",
    )


def _check_options(query: Any, table: Any, cursor: Any, batch_size: Any) -> str:
    """Validate the query options; return the records' pseudo path (``sql:table=notes``)."""
    if (query is None) == (table is None):
        raise ConfigError(
            "The sql connector needs exactly one of 'query' (a SELECT) or 'table' (a table "
            "name), e.g. table = 'notes'.",
            key="options.query",
        )
    for name, value in (("query", query), ("table", table), ("cursor", cursor)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(
                f"'{name}' must be a non-empty string; got {value!r}.", key=f"options.{name}"
            )
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"'batch_size' must be a whole number >= 1; got {batch_size!r}.",
            key="options.batch_size",
        )
    # Not "sql:notes": a terminal would show "sql:notes:row 3" as "sql🎶row 3" (rich emoji codes).
    return f"sql:table={table}" if table is not None else "sql:query"


def _check_columns(spec: FieldMapping, cursor: str | None, columns: list[str], where: str) -> None:
    """Refuse options that name columns the result does not have, before any row is read."""
    present = set(columns)
    wanted = [(f"mapping.{key}", c) for key, cols in spec.columns.items() for c in cols]
    wanted += [("metadata_columns", c) for c in spec.metadata_columns or ()]
    wanted += [("cursor", cursor)] if cursor is not None else []
    for key, column in wanted:
        if column not in present:
            found = ", ".join(map(repr, columns)) or "none"
            raise ConfigError(
                f"{key} names column {column!r}, which is not in the result of {where}. "
                f"Columns found: {found}.",
                key=f"options.{key}",
            )


def _lookup(values: dict[str, Any], column: str) -> tuple[bool, Any]:
    return column in values, values.get(column)


def _locator(native_id: Any, column: str | None, position: int) -> str:
    """``row id=17`` where the row has a readable id, else ``row 5`` (its position)."""
    if column is not None and isinstance(native_id, str | int | uuid.UUID | Decimal):
        text = " ".join(clean_text(str(native_id)).split())
        if text and not isinstance(native_id, bool):
            return f"row {column}={text[:40]}"
    return f"row {position}"


def _plain(value: Any) -> Any:
    """A driver's value as the mapping reads it: ids as str/int, dates as datetimes."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        if value.is_finite() and value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, memoryview | bytearray):
        return bytes(value)
    return value


def _jsonable(value: Any) -> Any:
    """A value for ``metadata``: scalars and flat lists; timestamps as ISO text; else ``None``."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes) or not is_flat(value):
        return None
    return value


# --- the cursor's high-water mark ----------------------------------------------------------------

_KINDS: dict[str, tuple[type, ...]] = {
    "datetime": (datetime,),
    "date": (date,),
    "int": (int,),
    "float": (float,),
    "decimal": (Decimal,),
    "str": (str,),
}


def _higher(high: Any, value: Any, cursor: str, where: str) -> Any:
    if value is None:
        return high
    if high is None:
        _kind(value, cursor)
        return value
    try:
        return value if value > high else high
    except TypeError:
        raise ConfigError(
            f"{where}: cursor column {cursor!r} holds values that cannot be compared "
            f"({type(high).__name__} and {type(value).__name__}); use a column of one type.",
            key="options.cursor",
        ) from None


def _kind(value: Any, cursor: str) -> str:
    for kind, types in _KINDS.items():  # datetime before date: a datetime is a date
        if isinstance(value, types) and not isinstance(value, bool):
            return kind
    raise ConfigError(
        f"cursor column {cursor!r} holds {type(value).__name__} values; a cursor must be a "
        "timestamp, date, number or text column that grows when a row is written.",
        key="options.cursor",
    )


def _encode(cursor: str, value: Any) -> str:
    kind = _kind(value, cursor)
    text = value.isoformat() if isinstance(value, date) else value
    if kind == "decimal":
        text = str(value)
    return json.dumps({"cursor": cursor, "type": kind, "value": text}, sort_keys=True)


def _decode(token: str, cursor: str) -> Any:
    """The mark in ``token`` as the driver compares it, or ``None`` if it is not this cursor's."""
    try:
        data = json.loads(token)
        if data.get("cursor") != cursor:
            return None
        kind, value = data["type"], data["value"]
        if kind == "datetime":
            return datetime.fromisoformat(value)
        if kind == "date":
            return date.fromisoformat(value)
        if kind == "decimal":
            return Decimal(value)
        if kind in ("int", "float", "str"):
            return {"int": int, "float": float, "str": str}[kind](value)
    except (ValueError, TypeError, KeyError, AttributeError):
        pass
    return None  # an unreadable mark: read everything, which is safe


def _message(error: Exception, url: str) -> str:
    """The first line of a driver's message, without the URL's passwords or the rows' values.

    The passwords the URL holds (as written, and decoded) are replaced wherever they appear, then
    :func:`mask_url`'s rules apply to what is left. A driver's error about a value (a cast that
    fails, a duplicate key) quotes that value: quoted text is left out of those.
    """
    from sqlalchemy.exc import DataError, IntegrityError  # deferred: as in read_sql

    orig = getattr(error, "orig", None) or error
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    text = text.replace(url, mask_url(url))
    for secret in sorted(_secrets(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = mask_secrets(text)
    if isinstance(error, DataError | IntegrityError):
        text = _QUOTED_VALUE.sub(r"\1...\1", text)
    return text[:300]


_QUOTED_VALUE = re.compile(r"(\"|')(?:(?!\1).)*\1")


def _secrets(url: str) -> set[str]:
    """The passwords ``url`` holds, as written and percent-decoded (two characters or more)."""
    from urllib.parse import unquote

    found: set[str] = set()
    for piece in find_secrets(url):
        found |= {piece, unquote(piece), piece.strip("{}'\"")}
    from sqlalchemy.engine import make_url  # deferred: as in read_sql
    from sqlalchemy.exc import ArgumentError  # deferred: as above

    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):  # an unparseable URL has no parsed password
        password = None
    if password:
        found.add(str(password))
    return {s for s in found if len(s) >= 2}
