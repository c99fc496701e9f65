"""``silobridge ingest``: the configured sources (or one export) into the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config, make_source
from ..errors import ConfigError
from ._app import (
    EXIT_QUARANTINED,
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    StrictOpt,
    _errors,
    _load,
    _parse_options,
    _preflight,
    _progress,
    _resolve,
    _select,
    app,
    out,
)
from ._print import _print_ingest


@app.command()
def ingest(
    path: Annotated[
        Path | None,
        typer.Argument(help="Ingest this one export file or folder ad hoc (needs --connector)."),
    ] = None,
    connector: Annotated[
        str | None,
        typer.Option("--connector", help="Connector for PATH (see `silobridge sources`)."),
    ] = None,
    function: Annotated[
        str | None,
        typer.Option(
            "--function",
            help="Function that heard PATH: Product, Marketing, Sales, Success, Support.",
        ),
    ] = None,
    channel: Annotated[
        str | None,
        typer.Option(
            "--channel", help="Channel of PATH's records, if not the connector's default."
        ),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Source name for PATH (default: the connector's name)."),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="Connector option for PATH as KEY=VALUE, VALUE in TOML syntax "
            '(-o \'mapping={text="body", native_id="id"}\'). Repeatable.',
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option("--source", help="Only these configured sources. Repeatable."),
    ] = None,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    strict: StrictOpt = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-read export files even if unchanged since the last run."),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read the configured sources (or one PATH) into the store, incrementally.

    Prints per source: records read, new, updated, unchanged, duplicate, quarantined, skipped.
    Exit code 3 means the run finished but quarantined some records.
    """
    with _errors():
        cfg = _load(config, required=path is None)
        if path is not None:
            sources = [_ad_hoc(path, connector, function, channel, name, option)]
        else:
            if connector or function or channel or name or option:
                raise ConfigError(
                    "--connector, --function, --channel, --name and --option go with PATH."
                )
            assert cfg is not None
            sources = _select(cfg, source)
        store_path = _preflight(_resolve(cfg, store), create=True)
        result = _ingest(cfg, store_path, sources, strict, full, as_json)
        if as_json:
            out.print_json(data=result.to_dict()) if sys.stdout.isatty() else print(
                json.dumps(result.to_dict())
            )
        else:
            _print_ingest(result)
        if result.totals.quarantined:
            raise typer.Exit(EXIT_QUARANTINED)


def _ad_hoc(
    path: Path,
    connector: str | None,
    function: str | None,
    channel: str | None,
    name: str | None,
    option: list[str] | None,
) -> Any:
    """The source of ``silobridge ingest PATH --connector NAME ...``."""
    if not connector:
        raise ConfigError("PATH needs --connector (see `silobridge sources`).")
    body: dict[str, Any] = {"connector": connector, "path": str(path)}
    body.update({k: v for k, v in (("function", function), ("channel", channel)) if v})
    body.update(_parse_options(option or []))
    return make_source(name or connector, body, base_dir=Path.cwd())


def _ingest(
    cfg: Config | None,
    store_path: Path,
    sources: list[Any],
    strict: bool,
    full: bool,
    as_json: bool,
) -> Any:
    # deferred: keeps CLI start-up fast
    from ..pipeline.ingest import run_ingest

    with _progress(not as_json and sys.stderr.isatty()) as progress:
        return run_ingest(
            store_path,
            sources,
            on_bad_record="raise" if strict else "quarantine",
            full=full,
            retention_days=cfg.retention_days if cfg else 30,
            config_hash=cfg.config_hash() if cfg else "",
            progress=progress,
            limits=cfg.limits if cfg else None,
        )
