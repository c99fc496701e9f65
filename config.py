"""``silobridge.toml``: where the store lives and which sources feed it.

Example::

    [store]
    path = ".silobridge"        # relative to this file
    retention_days = 30         # versions older than this are vacuumed

    [taxonomy]
    path = "data/taxonomy.yaml" # themes, insight types, functions, company, gazetteer

    [embed]
    model = "all-MiniLM-L6-v2"  # or the folder of a sentence-transformers model
    batch_size = 64

    [discover]
    min_size = 5                # smallest discovered theme, in units
    match_threshold = 0.8       # centroid similarity: the same theme as last run's
    seed = 0

    [report]
    vote = "item"               # one item one vote in the blind-spot test, or "account"
    findings = 5                # findings per function in the summary and the digests
    min_items = 5               # votes a blind spot needs

    [execution]
    engine = "local"            # or "ray": see silobridge.pipeline.engine and docs/scale.md

    [sources.support_tickets]
    connector = "zendesk"
    path = "data/sample/zendesk"
    function = "Support"

    [sources.crm_notes]
    connector = "csv"
    path = "data/sample/crm/account_notes.csv"
    channel = "note"
    mapping = { native_id = "Id", text = "Note", created_at = "Created", function = "Team" }

A database source (connector ``sql``) names its database by ``url`` (a SQLAlchemy URL such as
``postgresql+psycopg://user@host:5432/crm``; a password in it is masked wherever it is shown) or,
for a SQLite file, by ``path``::

    [sources.crm_db]
    connector = "sql"
    url = "postgresql+psycopg://silobridge@localhost:5432/crm"
    table = "notes"             # or: query = "SELECT ..."
    cursor = "updated_at"       # optional: read only rows at or above the last run's mark
    channel = "note"
    mapping = { native_id = "id", text = "body", function = "team", created_at = "created" }

Every key of a source other than ``connector``, ``path``, ``url``, ``function``, ``channel`` and
``enabled`` is an option of its connector (they may also sit in a ``[sources.NAME.options]``
table) (``silobridge sources`` lists them). Errors name the
file, the key and what would be valid.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .errors import ConfigError
from .extractors.base import CHANNELS, FUNCTIONS, normalize_function
from .extractors.files import Limits
from .extractors.registry import get_connector
from .extractors.sql import check_database_url, mask_url, sqlite_url
from .extractors.values import check_zone

DEFAULT_CONFIG = "silobridge.toml"
DEFAULT_STORE = ".silobridge"
_SOURCE_KEYS = ("connector", "path", "url", "function", "channel", "enabled", "voice")
#: A source's ``voice``: ``auto`` (each unit's own, see docs/voice.md), ``customer`` (a feedback
#: channel: everything said there is a customer's, relayed when staff post it), ``internal``
#: (nothing said there is a customer's).
SOURCE_VOICES = ("auto", "customer", "internal")
_STORE_KEYS = ("path", "retention_days")
_UNDERSTAND_KEYS = ("taxonomy",)  # the older place of [taxonomy] path
_TAXONOMY_KEYS = ("path",)
_EMBED_KEYS = ("model", "batch_size")
_DISCOVER_KEYS = ("min_size", "match_threshold", "seed")
_VOICE_KEYS = ("count", "min_substance")
_REPORT_KEYS = ("vote", "findings", "min_items")
#: Whose words there are (``voice`` of a unit, docs/voice.md).
VOICES = ("customer", "relayed", "internal", "bot")
_TOP_KEYS = (
    "store",
    "understand",
    "embed",
    "discover",
    "execution",
    "limits",
    "report",
    "sources",
    "taxonomy",
    "voice",
)
DEFAULT_EMBED_MODEL = "all-MiniLM-L6-v2"


# ------------------------------------------------------------------------------ [execution]

ENGINES = ("local", "ray")
EXECUTION_KEYS = (
    "engine",
    "address",
    "workers",
    "cpus_per_worker",
    "batch_items",
    "object_store_mb",
)


@dataclass(frozen=True)
class Execution:
    """The ``[execution]`` settings: where the row-wise stages run (see
    :mod:`silobridge.pipeline.engine` and ``docs/scale.md``)."""

    engine: str = "local"
    address: str | None = None
    workers: int | None = None
    cpus_per_worker: float = 1.0
    batch_items: int = 2000
    object_store_mb: int | None = None

    @classmethod
    def from_table(cls, table: dict[str, Any], *, where: str | None = None) -> Execution:
        """Validate an ``[execution]`` table (keys as in :data:`EXECUTION_KEYS`)."""
        for key in table:
            if key not in EXECUTION_KEYS:
                raise ConfigError(
                    f"unknown key; expected one of {', '.join(EXECUTION_KEYS)}",
                    path=where,
                    key=f"execution.{key}",
                )
        engine = table.get("engine", "local")
        if engine not in ENGINES:
            raise ConfigError(
                f"must be one of {', '.join(ENGINES)}; got {engine!r}",
                path=where,
                key="execution.engine",
            )
        address = table.get("address")
        if address is not None and (not isinstance(address, str) or not address.strip()):
            raise ConfigError(
                f"must be a Ray address such as 'auto' or 'ray://head:10001'; got {address!r}",
                path=where,
                key="execution.address",
            )
        for key, low in (("workers", 1), ("batch_items", 1), ("object_store_mb", 64)):
            value = table.get(key)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < low
            ):
                raise ConfigError(
                    f"must be a whole number >= {low}; got {value!r}",
                    path=where,
                    key=f"execution.{key}",
                )
        cpus = table.get("cpus_per_worker", 1.0)
        if isinstance(cpus, bool) or not isinstance(cpus, int | float) or cpus <= 0:
            raise ConfigError(
                f"must be a number > 0; got {cpus!r}", path=where, key="execution.cpus_per_worker"
            )
        return cls(
            engine=engine,
            address=address,
            workers=table.get("workers"),
            cpus_per_worker=float(cpus),
            batch_items=table.get("batch_items", 2000),
            object_store_mb=table.get("object_store_mb"),
        )

    def with_engine(self, engine: str | None) -> Execution:
        """These settings with ``engine`` (``--engine``) instead, when given."""
        if engine is None:
            return self
        return Execution.from_table({**self.__dict__, "engine": engine})

    @property
    def is_ray(self) -> bool:
        return self.engine == "ray"


#: The default: this process, no Ray.
LOCAL = Execution()


@dataclass(frozen=True)
class SourceConfig:
    """One configured source.

    Attributes:
        name: The source's name (its key in ``[sources]``); part of every item's identity.
        connector: The connector's registered name.
        path: The export file or folder, absolute. For a database source, a pseudo path
            (``sql:<NAME>``) that names no file, under which the store keeps its cursor's mark:
            the database is ``url``.
        function: The function that hears this source, if it is one function.
        channel: The channel of its records, if not the connector's default.
        options: Keyword options for the connector.
        base_dir: Paths stored in items are relative to this folder where possible.
        enabled: Disabled sources are listed but not ingested.
        url: A database source's SQLAlchemy URL, password included: never log or store it,
            show :attr:`display_url`.
        config_path: The ``silobridge.toml`` it was read from (``None`` when it was given on
            the command line), for errors found later (a connector that refuses an option).
        voice: Whose words the source holds: ``auto`` (decided per unit), ``customer`` (a
            feedback channel) or ``internal`` (never customer voice).
    """

    name: str
    connector: str
    path: Path
    function: str | None = None
    channel: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)
    enabled: bool = True
    url: str | None = field(default=None, repr=False)
    config_path: str | None = field(default=None, compare=False)
    voice: str = "auto"

    @property
    def display_url(self) -> str | None:
        """The database URL with its password masked (``None`` for a file source)."""
        return mask_url(self.url) if self.url is not None else None

    def config_hash(self) -> str:
        """A hash of everything that changes how this source's files are read."""
        spec = get_connector(self.connector)
        payload = {
            "connector": self.connector,
            "function": self.function,
            "channel": self.channel,
            "options": self.options,
            "reader": spec.read.__module__,
        }
        if self.url is not None:  # which database; the password changes nothing read
            payload["url"] = self.display_url
        return _hash(payload)

    def display_path(self, path: Path) -> str:
        """``path`` relative to ``base_dir`` where it lies inside, POSIX style.

        For a database source, its own ``path`` shows as the masked URL and a record's ``sql:``
        pseudo path as it is.
        """
        if self.url is not None:
            return cast(str, self.display_url) if path == self.path else str(path)
        try:
            return path.resolve().relative_to(self.base_dir.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()


@dataclass(frozen=True)
class Config:
    """A loaded ``silobridge.toml``."""

    path: Path | None
    store_path: Path
    retention_days: int = 30
    sources: dict[str, SourceConfig] = field(default_factory=dict)
    taxonomy: Path | None = None
    embed_model: str = DEFAULT_EMBED_MODEL
    embed_batch_size: int = 64
    discover: dict[str, Any] = field(default_factory=dict)
    #: What counts as customer voice (``[voice]``): ``count`` (the voices) and
    #: ``min_substance`` (``None``: the substance model's threshold). docs/voice.md.
    voice: dict[str, Any] = field(default_factory=dict)
    #: How the report counts and shows findings (``[report]``: ``vote``, ``findings``,
    #: ``min_items``; docs/report.md). Not part of :meth:`config_hash` (no stored row depends
    #: on it).
    report: dict[str, Any] = field(default_factory=dict)
    #: Where the row-wise stages run; not part of :meth:`config_hash` (same results).
    execution: Execution = LOCAL
    #: How big and deep one record may be (``[limits]``): the readers reject larger ones.
    limits: Limits = field(default_factory=Limits)

    def config_hash(self) -> str:
        return _hash(
            {
                "retention_days": self.retention_days,
                "sources": {n: s.config_hash() for n, s in sorted(self.sources.items())},
                "taxonomy": str(self.taxonomy) if self.taxonomy else None,
                "embed": [self.embed_model, self.embed_batch_size],
                "discover": self.discover,
                "voice": self.voice,
                "limits": vars(self.limits),
            }
        )


def resolve_store(cfg: Config | None, store: str | Path | None = None) -> Path:
    """The store a command or job works on, as an absolute path: ``store`` (``--store``), else
    the config's ``[store] path``, else ``./.silobridge``. The one place this is decided."""
    chosen = store if store is not None else (cfg.store_path if cfg else DEFAULT_STORE)
    return Path(chosen).expanduser().resolve()


def load_config(path: str | Path) -> Config:
    """Load and validate a ``silobridge.toml``.

    Raises:
        ConfigError: naming the file and key for a missing file, invalid TOML, an unknown
            connector, option, function or channel, or a source path that does not exist.
    """
    path = Path(path)
    where = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "file not found; create it (see the README) or pass --config", path=where
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read: {e}", path=where) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"invalid TOML: {e}", path=where) from e
    base = path.resolve().parent
    _check_keys(data, _TOP_KEYS, where, "")
    store_path, retention = _store_settings(data, base, where)
    model, batch_size = _embed_settings(data, base, where)
    execution_table = data.get("execution", {})
    if not isinstance(execution_table, dict):
        raise ConfigError("must be a table", path=where, key="execution")
    return Config(
        path=path.resolve(),
        store_path=store_path,
        retention_days=retention,
        sources=_sources(data, base, where),
        taxonomy=_taxonomy_path(data, base, where),
        embed_model=model,
        embed_batch_size=batch_size,
        discover=_discover_settings(data, where),
        voice=_voice_settings(data, where),
        report=_report_settings(data, where),
        execution=Execution.from_table(execution_table, where=where),
        limits=_limits(data, where),
    )


def _limits(data: dict[str, Any], where: str) -> Limits:
    """``[limits]``: each key a whole number >= 1 (see :class:`~.extractors.files.Limits`)."""
    names = tuple(Limits.__dataclass_fields__)
    table = _table(data, "limits", names, where)
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"must be a whole number >= 1; got {value!r}", path=where, key=f"limits.{key}"
            )
    return Limits(**table)


def _store_settings(data: dict[str, Any], base: Path, where: str) -> tuple[Path, int]:
    store = data.get("store", {})
    if not isinstance(store, dict):
        raise ConfigError("must be a table", path=where, key="store")
    _check_keys(store, _STORE_KEYS, where, "store.")
    store_path = base / _str(store.get("path", DEFAULT_STORE), where, "store.path")
    retention = store.get("retention_days", 30)
    if isinstance(retention, bool) or not isinstance(retention, int) or retention < 0:
        raise ConfigError(
            f"must be a whole number of days >= 0; got {retention!r}",
            path=where,
            key="store.retention_days",
        )
    return store_path, retention


def _taxonomy_path(data: dict[str, Any], base: Path, where: str) -> Path | None:
    """``[taxonomy] path`` (read by every stage), or the older ``[understand] taxonomy``."""
    table = _table(data, "taxonomy", _TAXONOMY_KEYS, where)
    understand = _table(data, "understand", _UNDERSTAND_KEYS, where)
    if "path" in table and "taxonomy" in understand:
        raise ConfigError(
            "the taxonomy is set twice; keep [taxonomy] path and remove [understand] taxonomy",
            path=where,
            key="understand.taxonomy",
        )
    key = "taxonomy.path" if "path" in table else "understand.taxonomy"
    value = table.get("path", understand.get("taxonomy"))
    if value is None:
        return None
    taxonomy = _resolve(base, _str(value, where, key), where, key)
    if not taxonomy.is_file():
        raise ConfigError(f"file does not exist: {taxonomy}", path=where, key=key)
    return taxonomy


def _embed_settings(data: dict[str, Any], base: Path, where: str) -> tuple[str, int]:
    embed = _table(data, "embed", _EMBED_KEYS, where)
    model = _str(embed.get("model", DEFAULT_EMBED_MODEL), where, "embed.model")
    if (base / model).is_dir():  # a model folder relative to this file
        model = str((base / model).resolve())
    batch_size = embed.get("batch_size", 64)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(
            f"must be a whole number >= 1; got {batch_size!r}", path=where, key="embed.batch_size"
        )
    return model, batch_size


def _discover_settings(data: dict[str, Any], where: str) -> dict[str, Any]:
    discover = _table(data, "discover", _DISCOVER_KEYS, where)
    for key, low, high, kind in (
        ("min_size", 2, None, int),
        ("seed", 0, None, int),
        ("match_threshold", 0.0, 1.0, float),
    ):
        value = discover.get(key)
        if value is None:
            continue
        ok = not isinstance(value, bool) and isinstance(
            value, (int, float) if kind is float else int
        )
        if not ok or value < low or (high is not None and value > high):
            bounds = f"between {low} and {high}" if high is not None else f">= {low}"
            raise ConfigError(
                f"must be a {'number' if kind is float else 'whole number'} {bounds}; "
                f"got {value!r}",
                path=where,
                key=f"discover.{key}",
            )
    return discover


def _report_settings(data: dict[str, Any], where: str) -> dict[str, Any]:
    report = dict(_table(data, "report", _REPORT_KEYS, where))
    vote = report.get("vote")
    if vote is not None and vote not in ("item", "account"):
        raise ConfigError(
            f'must be "item" or "account"; got {vote!r}', path=where, key="report.vote"
        )
    for key in ("findings", "min_items"):
        value = report.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ConfigError(
                f"must be a whole number >= 1; got {value!r}", path=where, key=f"report.{key}"
            )
    return report


def _voice_settings(data: dict[str, Any], where: str) -> dict[str, Any]:
    voice = dict(_table(data, "voice", _VOICE_KEYS, where))
    count = voice.get("count")
    if count is not None:
        if not isinstance(count, list) or not count or any(v not in VOICES for v in count):
            raise ConfigError(
                f"must be a list of some of {', '.join(VOICES)}; got {str(count)[:60]}",
                path=where,
                key="voice.count",
            )
        voice["count"] = tuple(dict.fromkeys(count))
    floor = voice.get("min_substance")
    if floor is not None and (
        isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 <= floor <= 1
    ):
        raise ConfigError(
            f"must be a number between 0 and 1; got {str(floor)[:40]}",
            path=where,
            key="voice.min_substance",
        )
    return voice


def _sources(data: dict[str, Any], base: Path, where: str) -> dict[str, SourceConfig]:
    sources_data = data.get("sources", {})
    if not isinstance(sources_data, dict):
        raise ConfigError("must be a table of [sources.NAME] tables", path=where, key="sources")
    sources = {}
    for name, body in sources_data.items():
        if not isinstance(body, dict):
            raise ConfigError("must be a table", path=where, key=f"sources.{name}")
        sources[name] = make_source(name, body, base_dir=base, config_path=where)
    return sources


def make_source(
    name: str, body: dict[str, Any], *, base_dir: Path, config_path: str | None = None
) -> SourceConfig:
    """Validate one source's settings (from a config file or from CLI arguments).

    Raises:
        ConfigError: with ``path=config_path`` and the source's key, whatever is wrong.
    """
    key = f"sources.{name}"
    if not name or not all(c.isalnum() or c in "_-" for c in name):
        raise ConfigError(
            "source names use letters, digits, '_' and '-' only", path=config_path, key=key
        )
    if "connector" not in body:
        raise ConfigError("missing 'connector'", path=config_path, key=key)
    connector = _str(body["connector"], config_path, f"{key}.connector")
    try:
        spec = get_connector(connector)
    except ConfigError as e:
        raise ConfigError(str(e), path=config_path, key=f"{key}.connector") from None
    url = None
    if spec.layout == "database":
        source_path, url = _database(body, spec.name, base_dir, config_path, key)
    elif "url" in body:
        raise ConfigError(
            f"'url' is for database connectors (sql); connector {spec.name!r} reads a 'path' "
            "(the export file or folder)",
            path=config_path,
            key=f"{key}.url",
        )
    elif "path" not in body:
        raise ConfigError("missing 'path' (the export file or folder)", path=config_path, key=key)
    else:
        source_path = _existing(body, base_dir, config_path, key)
    try:
        function = normalize_function(body.get("function"))
    except ValueError:  # the record-safe message leaves the value out; a config's may show it
        raise ConfigError(
            f"unknown function {str(body['function'])[:40]!r}; expected one of "
            f"{', '.join(FUNCTIONS)}",
            path=config_path,
            key=f"{key}.function",
        ) from None
    channel = body.get("channel")
    if channel is not None and channel not in CHANNELS:
        raise ConfigError(
            f"unknown channel {str(channel)[:40]!r}; expected one of {', '.join(CHANNELS)}",
            path=config_path,
            key=f"{key}.channel",
        )
    enabled = body.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError("must be true or false", path=config_path, key=f"{key}.enabled")
    voice = body.get("voice", "auto")
    if voice not in SOURCE_VOICES:
        raise ConfigError(
            f"unknown voice {str(voice)[:40]!r}; expected one of {', '.join(SOURCE_VOICES)}",
            path=config_path,
            key=f"{key}.voice",
        )
    options = {k: v for k, v in body.items() if k not in _SOURCE_KEYS and k != "options"}
    # Options may also sit in a [sources.NAME.options] sub-table.
    nested = body.get("options", {})
    if not isinstance(nested, dict):
        raise ConfigError(
            "must be a table of connector options", path=config_path, key=f"{key}.options"
        )
    for option in nested.keys() & options.keys():
        raise ConfigError("set both here and in .options", path=config_path, key=f"{key}.{option}")
    options.update(nested)
    for option, value in options.items():
        if option not in spec.options:
            known = ", ".join(sorted(spec.options)) or "none"
            raise ConfigError(
                f"unknown option {option!r} for connector {spec.name!r}; its options: {known}",
                path=config_path,
                key=f"{key}.{option}",
            )
        default = spec.options[option]
        if default is not None and not _same_kind(value, default):
            raise ConfigError(
                f"expected {type(default).__name__}, got {type(value).__name__}",
                path=config_path,
                key=f"{key}.{option}",
            )
    _check_common_options(options, config_path, key)
    return SourceConfig(
        name=name,
        connector=spec.name,
        path=source_path,
        function=function,
        channel=channel,
        options=options,
        base_dir=base_dir,
        enabled=enabled,
        url=url,
        config_path=config_path,
        voice=voice,
    )


def _check_common_options(options: dict[str, Any], config_path: str | None, key: str) -> None:
    """Options many connectors share, checked now so that the error names this file (the
    connector would find them only when it runs)."""
    tz = options.get("tz")
    if isinstance(tz, str):
        try:
            check_zone(tz)
        except ConfigError as e:
            raise ConfigError(str(e), path=config_path, key=f"{key}.tz") from None
    encoding = options.get("encoding")
    if isinstance(encoding, str):
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"unknown encoding {encoding[:40]!r}; use a Python codec name such as 'utf-8', "
                "'utf-8-sig', 'cp1252' or 'latin-1'",
                path=config_path,
                key=f"{key}.encoding",
            ) from None


def _existing(body: dict[str, Any], base_dir: Path, config_path: str | None, key: str) -> Path:
    source_path = _resolve(
        base_dir, _str(body["path"], config_path, f"{key}.path"), config_path, f"{key}.path"
    )
    if not source_path.exists():
        raise ConfigError(
            f"path does not exist: {source_path}", path=config_path, key=f"{key}.path"
        )
    return source_path


def _database(
    body: dict[str, Any], connector: str, base_dir: Path, config_path: str | None, key: str
) -> tuple[Path, str]:
    """A database source's ``(path, url)``: from ``url``, or from ``path`` for a SQLite file."""
    if "url" in body and "path" in body:
        raise ConfigError(
            "set 'url' (the database URL) or 'path' (a SQLite file), not both",
            path=config_path,
            key=f"{key}.path",
        )
    if "path" in body:
        source_path = _existing(body, base_dir, config_path, key)
        if not source_path.is_file():
            raise ConfigError(
                f"not a SQLite database file: {source_path}", path=config_path, key=f"{key}.path"
            )
        return Path(f"sql:<{key.split('.', 1)[-1]}>"), sqlite_url(source_path)
    if "url" not in body:
        raise ConfigError(
            f"missing 'url' (the database URL, e.g. 'postgresql+psycopg://user@host:5432/db') "
            f"or 'path' (a SQLite file) for connector {connector!r}",
            path=config_path,
            key=key,
        )
    value = body["url"]
    if not isinstance(value, str) or not value.strip():
        shown = mask_url(value) if isinstance(value, str) else value
        raise ConfigError(
            f"must be a non-empty string; got {shown!r}", path=config_path, key=f"{key}.url"
        )
    try:
        url = check_database_url(value.strip(), base_dir)
    except ValueError as e:
        raise ConfigError(str(e), path=config_path, key=f"{key}.url") from None
    name = key.split(".", 1)[-1]
    return Path(f"sql:<{name}>"), url


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int | float):
        return isinstance(value, int | float)
    if isinstance(default, list | tuple):
        return isinstance(value, list | tuple)
    return isinstance(value, type(default))


def _table(data: dict[str, Any], name: str, known: tuple[str, ...], where: str) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise ConfigError("must be a table", path=where, key=name)
    _check_keys(table, known, where, f"{name}.")
    return table


def _check_keys(data: dict[str, Any], known: tuple[str, ...], where: str, prefix: str) -> None:
    for k in data:
        if k not in known:
            raise ConfigError(
                f"unknown key; expected one of {', '.join(known)}", path=where, key=f"{prefix}{k}"
            )


def _resolve(base: Path, value: str, where: str | None, key: str) -> Path:
    """``value`` as an absolute path (relative to ``base``)."""
    try:
        return (base / value).resolve()
    except (OSError, ValueError, RuntimeError) as e:  # a NUL byte, a symlink loop
        raise ConfigError(f"not a usable path ({e})", path=where, key=key) from None


def _str(value: Any, where: str | None, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"must be a non-empty string; got {value!r}", path=where, key=key)
    if "\0" in value:
        raise ConfigError("must not contain a NUL character", path=where, key=key)
    return value


def _hash(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
