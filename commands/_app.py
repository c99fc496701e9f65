"""What every command shares: the app and its sub-apps, the options, the consoles, logging,
the error handling and exit codes, the config and store look-ups and the progress displays.

The command modules register on :data:`app` (or a sub-app) when :mod:`silobridge.commands`
imports them; this module imports none of them. Diagnostics go to stderr; ``--json`` output
goes to stdout alone.

Exit codes:
    0  finished, every record stored
    1  failed (a bad record under --strict, a damaged store, an unexpected error)
    2  configuration or usage error
    3  finished, some records quarantined (``silobridge quarantine`` lists them)
    4  the store is being written by another run
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from .._version import __version__
from ..config import DEFAULT_CONFIG, DEFAULT_STORE, Config, load_config, resolve_store
from ..errors import ConfigError, SilobridgeError, StoreLockedError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_QUARANTINED, EXIT_LOCKED = 0, 1, 2, 3, 4

app = typer.Typer(
    name="silobridge",
    help="Turn what every B2B function hears (tickets, calls, chats, surveys, notes) into "
    "structured, shared insight.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # call notes hold personal data
    add_completion=False,
)
# The sub-apps, added in the order `silobridge --help` lists them.
eval_app = typer.Typer(
    help="Measure quality on labelled data (the same code paths as the pipeline).",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")
label_app = typer.Typer(
    help="Labelled units that teach the theme classifier.", no_args_is_help=True
)
app.add_typer(label_app, name="label")
themes_app = typer.Typer(
    help="List discovered themes; rename, merge, or promote one into the taxonomy.",
    invoke_without_command=True,
)
app.add_typer(themes_app, name="themes")

# Off a terminal (cron, CI, a pipe) rich would wrap tables at 80 columns; give them room.
# emoji off: a path or locator holding ":name:" must print as it is
out = Console(
    highlight=False, emoji=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160
)
err = Console(
    stderr=True,
    highlight=False,
    emoji=False,
    soft_wrap=True,
    width=None if sys.stderr.isatty() else 160,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help=f"Configuration file (default: ./{DEFAULT_CONFIG} if present)."
    ),
]
StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store", "-s", help=f"Store folder (default: from the config, else ./{DEFAULT_STORE})."
    ),
]
JsonOpt = Annotated[
    bool, typer.Option("--json", help="Print one JSON object on stdout instead of tables.")
]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict", help="Stop at the first bad record instead of quarantining it; commit nothing."
    ),
]
TaxonomyOpt = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy",
        help="Taxonomy YAML whose gazetteer is tagged and kept (default: [taxonomy] path).",
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where the row-wise stages run: local (this process) or ray (Ray Data actors; "
        "needs pip install 'silobridge[ray]'). Default: [execution] engine, else local.",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Embedding model: all-MiniLM-L6-v2 or a model folder (default: [embed] model).",
    ),
]
RebuildOpt = Annotated[
    bool,
    typer.Option(
        "--rebuild",
        help="Cluster every unit again (theme ids still carry over by matching), instead of "
        "adding new units to the themes and clustering only what is left.",
    ),
]


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress and details to stderr.")
    ] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.")] = False,
    log_format: Annotated[
        str,
        typer.Option(
            "--log-format",
            help="Logs on stderr as 'text' or 'json' (one object per line, for schedulers; "
            "implies --verbose).",
        ),
    ] = "text",
) -> None:
    if version:
        out.print(__version__)
        raise typer.Exit()
    if log_format not in ("text", "json"):
        err.print(f"Error: --log-format must be text or json; got {log_format!r}.", markup=False)
        raise typer.Exit(EXIT_CONFIG)
    _LOGS["json"] = log_format == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonFormatter()
        if log_format == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(
        level=logging.INFO if verbose or log_format == "json" else logging.WARNING,
        handlers=[handler],
        force=True,
    )


_LOGS = {"json": False}


def notice(message: str, *, level: int = logging.WARNING) -> None:
    """A message for the person running the command, on stderr; a log record (one JSON line)
    under ``--log-format json``, so that a scheduler's log stays machine-readable."""
    if _LOGS["json"]:
        logging.getLogger("silobridge.cli").log(level, message)
    else:
        err.print(message, markup=False)


class _JsonFormatter(logging.Formatter):
    """One JSON object per log record: ``ts``, ``level``, ``logger``, ``message``."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = repr(record.exc_info[1])
        return json.dumps(entry)


class _errors:
    """Turn library errors into one clean ``Error:`` line and the documented exit code."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, typer.Exit | typer.Abort | KeyboardInterrupt):
            return False
        if isinstance(exc, StoreLockedError):
            code = EXIT_LOCKED
        elif isinstance(exc, ConfigError):
            code = EXIT_CONFIG
        elif isinstance(exc, SilobridgeError):
            code = EXIT_FAILED
        else:
            return False
        notice(f"Error: {exc}", level=logging.ERROR)
        raise typer.Exit(code) from None


def _load(config: Path | None, *, required: bool) -> Config | None:
    if config is not None:
        return load_config(config)
    default = Path(DEFAULT_CONFIG)
    if default.exists():
        return load_config(default)
    if required:
        raise ConfigError(
            f"No {DEFAULT_CONFIG} in {Path.cwd()}. Pass --config FILE, or ingest one export with "
            "`silobridge ingest PATH --connector NAME`."
        )
    return None


def _store_path(config: Path | None, store: Path | None) -> Path:
    """The store of ``--config`` and ``--store`` (:func:`~silobridge.config.resolve_store`)."""
    return resolve_store(_load(config, required=False), store)


def _select(cfg: Config, names: list[str] | None) -> list[Any]:
    if not names:
        if not cfg.sources:
            raise ConfigError("no [sources.NAME] tables: nothing to ingest", path=str(cfg.path))
        return list(cfg.sources.values())
    unknown = [n for n in names if n not in cfg.sources]
    if unknown:
        raise ConfigError(
            f"unknown source(s) {', '.join(unknown)}; configured: {', '.join(cfg.sources)}"
        )
    return [cfg.sources[n] for n in names]


def _parse_options(pairs: list[str]) -> dict[str, Any]:
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--option takes KEY=VALUE; got {pair!r}.")
        try:
            options[key.strip()] = tomllib.loads(f"v = {value}")["v"]
        except tomllib.TOMLDecodeError:
            options[key.strip()] = value  # a bare word is a string
    return options


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int], None] | None]:
    """A live "records read" line per source on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    # deferred: only a terminal shows progress; keeps CLI start-up fast
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    tasks: dict[str, Any] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:

        def update(source: str, read: int) -> None:
            if source not in tasks:
                tasks[source] = progress.add_task(source)
            progress.update(tasks[source], description=f"{source}: {read} records read")

        yield update


@contextlib.contextmanager
def _bar(enabled: bool, title: str) -> Iterator[Callable[[str, int, int], None] | None]:
    """A progress bar (done of total) on a terminal; nothing otherwise."""
    if not enabled:
        yield None
        return
    # deferred: only a terminal shows progress; keeps CLI start-up fast
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn(title + " {task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("", total=None)

        def update(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        yield update
