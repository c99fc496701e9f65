"""The one registry of connectors.

Each connector is one module in ``extractors/`` with one decorated function::

    @connector("zendesk", formats=("json", "jsonl", "csv"), channel="ticket")
    def read_zendesk(path: Path, *, encoding: str = "utf-8") -> Iterator[Record | Rejected]:
        ...

The function's keyword-only parameters are the connector's options: a source in
``silobridge.toml`` may set them under ``[sources.NAME.options]``, and an unknown option is a
configuration error that lists the known ones.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .base import CHANNELS, Record, Rejected, Skipped


@dataclass(frozen=True)
class Checkpoint:
    """Yielded last by a ``database`` connector that read to the end: its state for the next run.

    Attributes:
        token: The state as text (for ``sql``, the cursor's high-water mark as JSON), passed back
            as the connector's ``state`` argument next run; ``None`` when there is none.
    """

    token: str | None


ReadFn = Callable[..., Iterator[Record | Rejected | Skipped | Checkpoint]]


@dataclass(frozen=True)
class ConnectorSpec:
    """A registered connector.

    Attributes:
        name: The snake_case name used in configuration (``zendesk``).
        read: The generator function.
        formats: File suffixes it reads, without the dot.
        layout: ``"files"``: called once per matching file (so unchanged files are skipped);
            ``"folder"``: called once with the whole folder (the export's files belong together,
            e.g. Slack's ``users.json`` with the channel folders); ``"database"``: called once
            with the source's database URL and the state its last run left (a cursor's mark),
            and yields a ``Checkpoint`` with the state for the next run after its last record.
        channel: The default channel of its records.
        description: One line for ``silobridge sources``.
        options: The keyword options the function accepts, with their defaults.
    """

    name: str
    read: ReadFn
    formats: tuple[str, ...]
    layout: str
    channel: str | None
    description: str
    options: dict[str, Any]


CONNECTORS: dict[str, ConnectorSpec] = {}
LAYOUTS = ("files", "folder", "database")


def connector(
    name: str,
    *,
    formats: tuple[str, ...],
    layout: str = "files",
    channel: str | None = None,
    description: str | None = None,
) -> Callable[[ReadFn], ReadFn]:
    """Register a connector function under ``name``.

    Registering a name twice raises, unless it is the same function again (a notebook
    re-importing a module).

    Raises:
        ValueError: if the name is taken by another function, is not snake_case, or the layout
            or channel is unknown.
    """
    if not name.replace("_", "").isalnum() or name.lower() != name:
        raise ValueError(f"Connector names are snake_case; got {name!r}.")
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}; got {layout!r}.")
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}; got {channel!r}.")

    def register(func: ReadFn) -> ReadFn:
        existing = CONNECTORS.get(name)
        if existing is not None and _qualname(existing.read) != _qualname(func):
            raise ValueError(
                f"Connector {name!r} is already registered by {_qualname(existing.read)}."
            )
        params = inspect.signature(func).parameters
        options = {
            p.name: p.default for p in params.values() if p.kind is inspect.Parameter.KEYWORD_ONLY
        }
        doc = (description or (func.__doc__ or "").strip().splitlines()[0]).strip()
        CONNECTORS[name] = ConnectorSpec(
            name=name,
            read=func,
            formats=tuple(f.lstrip(".").lower() for f in formats),
            layout=layout,
            channel=channel,
            description=doc,
            options=options,
        )
        return func

    return register


def get_connector(name: str) -> ConnectorSpec:
    """Return the connector registered as ``name``.

    Raises:
        ConfigError: naming the known connectors (and the closest match) if there is none.
    """
    _load_builtin()
    try:
        return CONNECTORS[name]
    except KeyError:
        close = difflib.get_close_matches(name, CONNECTORS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"Unknown connector {name!r}.{hint} Available: {', '.join(sorted(CONNECTORS))}."
        ) from None


def all_connectors() -> dict[str, ConnectorSpec]:
    """All registered connectors, by name, sorted."""
    _load_builtin()
    return dict(sorted(CONNECTORS.items()))


def iter_input_files(spec: ConnectorSpec, path: Path) -> list[Path]:
    """The files a ``files``-layout connector reads under ``path``, sorted, hidden ones left out."""
    if path.is_file():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lstrip(".").lower() in spec.formats
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )


def _qualname(func: Callable[..., Any]) -> str:
    return f"{func.__module__}.{func.__qualname__}"


def _load_builtin() -> None:
    # Importing the package registers every built-in connector.
    from .. import extractors  # noqa: F401
