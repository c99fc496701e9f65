"""What every command shares: the app and its sub-apps, the options, the consoles, logging,
the error handling and exit codes, the config and store look-ups and the progress displays.

The command modules register on :data:`app` (or a sub-app) when :mod:`silobridge.commands`
imports them; this module imports none of them. Diagnostics go to stderr; ``--json`` output
goes to stdout alone.

Exit codes:
    0  finished, every record stored
    1  failed (a bad record under --strict, a damaged store, a store that is a file, read-only
       or on a full disk, another error of the operating system, an unexpected error)
    2  configuration or usage error
    3  finished, some records quarantined (``silobridge quarantine`` lists them)
    4  the store is being written by another job or run (the message names it)

Every error a user can cause ends in one ``Error:`` line (one JSON log line under
``--log-format json``) that names the path and never quotes a record, and its exit code: no
traceback. Only a bug shows one (in text logs; a JSON log gets one line naming where it broke).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
import tomllib
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import click
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
    help="List discovered themes in their groups; rename, merge, or promote one.",
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
        help="Taxonomy YAML whose gazetteer is tagged and kept (default: \\[taxonomy] path).",
    ),
]
EngineOpt = Annotated[
    str | None,
    typer.Option(
        "--engine",
        help="Where the row-wise stages run: local (this process) or ray (Ray Data actors; "
        "needs pip install 'silobridge\\[ray]'). Default: \\[execution] engine, else local.",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Embedding model: all-MiniLM-L6-v2 or a model folder (default: \\[embed] model).",
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
    """Turn errors into one clean ``Error:`` line and the documented exit code.

    Library errors keep their message: a locked store exits 4 (the message names the holder),
    a configuration error 2, any other silobridge error 1. An error of the operating system (a
    read-only or full disk, a path that is a file...) exits 1 with one line naming the path
    (:func:`~silobridge.pipeline.store.store.describe_os_error`). Anything else is a bug: its
    traceback shows, except under ``--log-format json``, where one line names the error's type
    and where it was raised (never its message: it might quote a record).
    """

    def __enter__(self) -> None:
        _CONTEXT["store"] = None
        return None

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(
            exc, typer.Exit | typer.Abort | KeyboardInterrupt | click.ClickException
        ):
            return False
        if isinstance(exc, StoreLockedError):
            code, message = EXIT_LOCKED, str(exc)
        elif isinstance(exc, ConfigError):
            code, message = EXIT_CONFIG, str(exc)
        elif isinstance(exc, SilobridgeError):
            code, message = EXIT_FAILED, str(exc)
        else:
            found = _os_message(exc)
            if found is None and not _LOGS["json"]:
                return False  # a bug: its traceback helps whoever reports it
            code, message = EXIT_FAILED, found or _unexpected(exc)
        notice(f"Error: {message}", level=logging.ERROR)
        raise typer.Exit(code) from None


#: What the running command works on (set as it resolves it), for errors that name no path.
_CONTEXT: dict[str, Path | None] = {"store": None}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _os_message(exc: BaseException) -> str | None:
    """One line for an error of the operating system, or one that Delta Lake wraps (a store's
    table on a read-only or full disk); ``None`` for any other error."""
    delta = sys.modules.get("deltalake.exceptions")  # loaded if a store was touched
    is_delta = delta is not None and isinstance(exc, delta.DeltaError)
    if not isinstance(exc, OSError) and not is_delta:
        return None
    # deferred: only on an error; keeps CLI start-up fast
    from ..pipeline.store.store import describe_os_error

    store = _CONTEXT["store"]
    message = describe_os_error(exc, store, writing=None)
    if message is None:  # no error code to explain: its words, on one line
        words = " ".join(_ANSI.sub("", str(exc)).split())
        message = f"{type(exc).__name__}: {words}" if words else type(exc).__name__
        if is_delta and store is not None:
            message = f"The store at {store}: {message}"
    return message


def _unexpected(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (
        f"unexpected {type(exc).__name__}{where}. This is a bug: run the command again without "
        "--log-format json to see its traceback, and report it."
    )


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
    return _resolve(_load(config, required=False), store)


def _resolve(cfg: Config | None, store: Path | None) -> Path:
    """The store of the config and ``--store`` (:func:`~silobridge.config.resolve_store`),
    remembered for the messages of errors that name no path."""
    path = resolve_store(cfg, store)
    _CONTEXT["store"] = path
    return path


def _preflight(path: Path, *, create: bool = False, write: bool = True) -> Path:
    """Fail now, before a writing command loads a model or reads an export, if it could not
    write the store: a file, no store, read-only, or held by a job or run of another process
    (:meth:`~silobridge.pipeline.store.Store.preflight`)."""
    # deferred: keeps CLI start-up fast
    from ..pipeline.store import Store

    return Store.preflight(path, create=create, write=write)


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
