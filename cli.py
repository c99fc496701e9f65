"""The ``silobridge`` command line: a thin typer layer over the library.

This module holds the app, the shared options and error handling, and the ingest-side
commands; :mod:`silobridge.cli_stages` the later stages', :mod:`silobridge.cli_discover`
theme discovery's and :mod:`silobridge.cli_report` the report's. Only these modules print.
Diagnostics go to stderr; ``--json`` output goes to stdout alone.

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
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .config import DEFAULT_CONFIG, DEFAULT_STORE, Config, load_config, make_source
from .errors import ConfigError, SilobridgeError, StoreLockedError

EXIT_OK, EXIT_FAILED, EXIT_CONFIG, EXIT_QUARANTINED, EXIT_LOCKED = 0, 1, 2, 3, 4

app = typer.Typer(
    name="silobridge",
    help="Turn what every B2B function hears (tickets, calls, chats, surveys, notes) into "
    "structured, shared insight.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # call notes hold personal data
    add_completion=False,
)
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
    from .pipeline.ingest import ingest as run_ingest

    with _errors():
        cfg = _load(config, required=path is None)
        if path is not None:
            if not connector:
                raise ConfigError("PATH needs --connector (see `silobridge sources`).")
            body: dict[str, Any] = {"connector": connector, "path": str(path)}
            body.update({k: v for k, v in (("function", function), ("channel", channel)) if v})
            body.update(_parse_options(option or []))
            sources = [make_source(name or connector, body, base_dir=Path.cwd())]
        else:
            if connector or function or channel or name or option:
                raise ConfigError(
                    "--connector, --function, --channel, --name and --option go with PATH."
                )
            assert cfg is not None
            sources = _select(cfg, source)
        store_path = _store_of(cfg, store)
        with _progress(not as_json and sys.stderr.isatty()) as progress:
            result = run_ingest(
                sources,
                store_path,
                on_bad_record="raise" if strict else "quarantine",
                full=full,
                retention_days=cfg.retention_days if cfg else 30,
                config_hash=cfg.config_hash() if cfg else "",
                progress=progress,
            )
        if as_json:
            out.print_json(data=result.to_dict()) if sys.stdout.isatty() else print(
                json.dumps(result.to_dict())
            )
        else:
            _print_ingest(result)
        if result.totals.quarantined:
            raise typer.Exit(EXIT_QUARANTINED)


@app.command()
def sources(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """List the connectors (formats, options) and the sources configured in silobridge.toml."""
    from .extractors import all_connectors

    with _errors():
        cfg = _load(config, required=False)
        connectors = all_connectors()
        data: dict[str, dict[str, Any]] = {
            "connectors": {
                n: {
                    "formats": list(s.formats),
                    "layout": s.layout,
                    "channel": s.channel,
                    "options": {k: v for k, v in s.options.items()},
                    "description": s.description,
                }
                for n, s in connectors.items()
            },
            "sources": {
                n: {
                    "connector": s.connector,
                    "path": s.display_path(s.path),
                    "function": s.function,
                    "channel": s.channel,
                    "enabled": s.enabled,
                    "options": s.options,
                }
                for n, s in (cfg.sources.items() if cfg else [])
            },
        }
        if as_json:
            print(json.dumps(data, default=str))
            return
        table = Table(title="Connectors", title_justify="left")
        for col in ("name", "formats", "layout", "options", "reads"):
            table.add_column(col)
        for n, s in connectors.items():
            table.add_row(n, ", ".join(s.formats), s.layout, ", ".join(s.options), s.description)
        out.print(table)
        if cfg:
            table = Table(title=f"Sources in {cfg.path}", title_justify="left")
            for col in ("source", "connector", "path", "function", "channel", "enabled"):
                table.add_column(col)
            for n, s in data["sources"].items():
                table.add_row(
                    n,
                    s["connector"],
                    s["path"],
                    s["function"] or "-",
                    s["channel"] or "default",
                    str(s["enabled"]),
                )
            out.print(table)
        else:
            out.print(f"No {DEFAULT_CONFIG} here: no configured sources.")


@app.command()
def quarantine(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these sources. Repeatable.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Show at most this many records (0: all).")
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show what was rejected and why: path:locator: reason, newest first.

    The raw records are not printed (they may hold personal data); read them with
    `silobridge.open_store(PATH).quarantine()`.
    """
    from .pipeline.store import Store

    with _errors():
        cfg = _load(config, required=False)
        st = Store.open(_store_of(cfg, store))
        df = st.quarantine()
        if source:
            df = df[df["source_name"].isin(source)]
        df = df.sort_values(
            ["last_seen_at", "source_name", "source_path", "locator"],
            ascending=[False, True, True, True],
        )
        total = len(df)
        if limit:
            df = df.head(limit)
        rows = [
            {
                k: str(r[k])
                for k in (
                    "source_name",
                    "source_path",
                    "locator",
                    "reason",
                    "first_run_id",
                    "last_run_id",
                )
            }
            for r in df.to_dict("records")
        ]
        if as_json:
            print(json.dumps({"total": total, "records": rows}))
            return
        for r in rows:
            out.print(
                f"[{r['source_name']}] {r['source_path']}:{r['locator']}: {r['reason']}",
                markup=False,
            )
        shown = f"showing {len(rows)} of {total}" if total > len(rows) else f"{total}"
        err.print(f"{shown} quarantined records in {st.root}")


@app.command()
def runs(config: ConfigOpt = None, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """List the finished runs of a store: id, kind, outcome, counts and table versions."""
    from .pipeline.store import Store

    with _errors():
        cfg = _load(config, required=False)
        st = Store.open(_store_of(cfg, store))
        manifests = st.manifests()
        if as_json:
            print(json.dumps([{"seq": m.seq, **m.data} for m in manifests], default=str))
            return
        table = Table(title=f"Runs in {st.root}", title_justify="left")
        for col in ("seq", "run id", "kind", "finished", "outcome", "what it did", "versions"):
            table.add_column(col)
        for m in manifests:
            counts = m.data.get("counts", {})
            kind = str(m.data.get("kind", "ingest"))
            if kind == "classify":
                done = (
                    f"{counts.get('units', 0)} units labelled, "
                    f"{counts.get('unassigned', 0)} unassigned"
                )
            elif kind == "understand":
                done = (
                    f"{counts.get('items_processed', 0)} items processed, "
                    f"{counts.get('units_written', 0)} units written, "
                    f"{counts.get('units_removed', 0)} removed"
                )
            else:
                total = counts.get("total", {})
                done = ", ".join(
                    f"{total.get(k, 0)} {k}" for k in ("new", "updated", "quarantined")
                )
            versions = " ".join(f"{k}={v}" for k, v in m.versions.items())
            cells = [str(m.seq), m.run_id, kind, str(m.data.get("finished_at", ""))[:19]]
            cells += [str(m.data.get("outcome")), done]
            table.add_row(*cells, versions)
        out.print(table)


@app.command()
def demo(
    store: Annotated[Path, typer.Option("--store", "-s", help="Store folder for the demo.")] = Path(
        ".silobridge-demo"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Run the main job on the bundled sample (a fictional B2B SaaS company) and summarise it.

    Ingests the sample's exports, splits them into insight units, redacts, tags and embeds them
    (the first run embeds about 4,500 distinct texts: a few minutes on 2 cores; a re-run only
    what changed).
    """
    from .cli_discover import _print_discover
    from .cli_report import _print_report
    from .cli_stages import _print_classify, _print_entities, _print_understand
    from .pipeline.job import run_job
    from .pipeline.store import Store

    with _errors():
        sample = resources.files("silobridge.data") / "sample"
        cfg = load_config(Path(str(sample)) / "silobridge.sample.toml")
        job = run_job(cfg, store)
        result, understood = job.results["ingest"], job.results["understand"]
        classified, discovered = job.results["classify"], job.results["discover"]
        reported = job.results["report"]
        opened = Store.open(store)
        items = opened.items(columns=["source_name", "function", "channel"])
        units = opened.units(columns=["function", "entities", "redacted"])
        if as_json:
            summary = result.to_dict()
            summary["items_by_function"] = (
                items["function"].fillna("unknown").value_counts().to_dict()
            )
            summary["understand"] = understood.to_dict()
            summary["classify"] = classified.stats
            summary["discover"] = discovered.stats
            summary["report"] = {"path": str(reported.path), **reported.summary}
            summary["units_by_function"] = (
                units["function"].fillna("unknown").value_counts().to_dict()
            )
            print(json.dumps(summary))
            return
        _print_ingest(result)
        _print_understand(understood)
        _print_classify(classified)
        _print_discover(discovered)
        table = Table(title="Items in the store by source and function", title_justify="left")
        pivot = items.fillna({"function": "unknown"}).pivot_table(
            index="source_name", columns="function", aggfunc="size", fill_value=0
        )
        table.add_column("source")
        for col in pivot.columns:
            table.add_column(str(col), justify="right")
        for source_name, row in pivot.iterrows():
            table.add_row(str(source_name), *(str(v) for v in row))
        out.print(table)
        _print_entities(units)
        out.print(
            f"{len(items)} items and {len(units)} insight units in {result.store}. Read them "
            f"with `silobridge.open_store({str(result.store)!r}).units()`; "
            "see what was rejected with `silobridge quarantine --store "
            f"{store}`."
        )
        _print_report(reported)


@app.command()
def redact(
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="Taxonomy YAML whose gazetteer names (products, features, competitors) are kept.",
        ),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="A name to keep (a company or account). Repeatable."),
    ] = None,
) -> None:
    """Redact personal data in lines of text: stdin to stdout, one line at a time.

    Names, emails, phone numbers, card numbers, IBANs, IP addresses and personal URLs become
    typed placeholders (<PERSON>, <EMAIL>, ...); company and product names stay. The same code
    path as the pipeline, for spot checks and scripts.
    """
    from .pipeline.entities import gazetteer_names, load_gazetteer
    from .pipeline.redact import Redactor, redact_lines

    with _errors():
        names = list(allow or [])
        if taxonomy is not None:
            names += gazetteer_names(load_gazetteer(taxonomy))
        for line in redact_lines(sys.stdin, redactor=Redactor(allow_list=names)):
            sys.stdout.write(line)
            sys.stdout.flush()


def _print_ingest(result: Any) -> None:
    table = Table(title=f"Run {result.run_id}", title_justify="left")
    cols = (
        "read",
        "new",
        "updated",
        "unchanged",
        "duplicate",
        "quarantined",
        "skipped",
        "files_read",
        "files_unchanged",
    )
    table.add_column("source")
    for col in cols:
        table.add_column(col.replace("_", " "), justify="right")
    for name, counts in result.sources.items():
        table.add_row(name, *(str(getattr(counts, c)) for c in cols))
    totals = result.totals
    table.add_row("total", *(str(getattr(totals, c)) for c in cols), style="bold")
    out.print(table)
    if result.rolled_back:
        notice(f"Recovered from an unfinished run: rolled back {result.rolled_back}.")
    if totals.quarantined:
        notice(
            f"{totals.quarantined} records quarantined ({result.quarantine_added} new); "
            "`silobridge quarantine` shows where and why."
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


def _store_of(cfg: Config | None, store: Path | None) -> Path:
    """``--store``, else the config's store, else ``./.silobridge``."""
    return store or (cfg.store_path if cfg else Path(DEFAULT_STORE))


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


# The later stages' commands (understand, classify, taxonomy, run, eval, label) register
# themselves on ``app``; imported last, when everything above exists.
from . import cli_discover, cli_report, cli_stages  # noqa: E402, F401


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
