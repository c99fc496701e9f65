"""The main job: ``silobridge run`` (every stage, then the report) and ``silobridge demo`` (the
same on the bundled sample)."""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ..config import Config, load_config
from ..pipeline.engine import resolve
from ._app import (
    EXIT_QUARANTINED,
    ConfigOpt,
    EngineOpt,
    JsonOpt,
    StoreOpt,
    StrictOpt,
    _bar,
    _errors,
    _load,
    _progress,
    _resolve,
    app,
    out,
)
from ._print import (
    _print_classify,
    _print_discover,
    _print_entities,
    _print_ingest,
    _print_report,
    _print_understand,
)


@app.command()
def run(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    strict: StrictOpt = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-read every export and re-process every item."),
    ] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Cluster every unit again in the discover stage.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show what would be processed (export files new or changed, items to "
            "understand) and change nothing.",
        ),
    ] = False,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The main job: ingest, understand, classify, discover, then the report.

    One job: it holds the store from start to end and writes a job manifest to
    STORE/jobs/. With --engine ray, understand and classify run on Ray (docs/scale.md); the
    store and the report are the same. Exit codes: 0 ok, 3 finished with quarantined records,
    1 failed, 2 configuration error, 4 the store is in use by another job or run.
    """
    # deferred: keeps CLI start-up fast
    from ..pipeline.job import run_job

    with _errors():
        cfg = _load(config, required=True)
        assert cfg is not None
        resolve(cfg.execution, engine)  # a bad --engine, or no Ray, fails before anything runs
        _resolve(cfg, store)  # the store, for the messages of errors that name no path
        if dry_run:
            _dry_run(cfg, store, as_json)
            return
        tty = not as_json and sys.stderr.isatty()
        with _progress(tty) as progress, _bar(tty, "understand:") as bar:
            job = run_job(
                cfg,
                store,
                full=full,
                strict=strict,
                rebuild=rebuild,
                progress=progress,
                understand_progress=bar,
                engine=engine,
            )
        if as_json:
            print(json.dumps(_job_summary(job), default=str))
        else:
            _print_job(job)
        if job.quarantined:
            raise typer.Exit(EXIT_QUARANTINED)


def _dry_run(cfg: Config, store: Path | None, as_json: bool) -> None:
    """``run --dry-run``: what the job would read and understand."""
    # deferred: keeps CLI start-up fast
    from ..pipeline.job import plan_job

    plan = plan_job(cfg, store)
    if as_json:
        print(json.dumps(plan))
        return
    out.print(f"Dry run on {plan['store']}: nothing is written.")
    for name, source in plan["sources"].items():
        changed = source["new_or_changed"]
        listed = f": {', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}"
        out.print(
            f"  {name}: {len(changed)} of {source['files']} export files new or "
            f"changed{listed if changed else ''}"
        )
    out.print(
        f"{plan['files_to_read']} files to read; {plan['items_to_understand']} stored "
        "items to understand (plus the new and changed items those files hold)."
    )


def _job_summary(job: Any) -> dict[str, Any]:
    """``run --json``: the job's manifest and each stage's counts."""
    r = job.results
    classified = r.get("classify")
    return {
        "job": job.manifest,
        "ingest": r["ingest"].to_dict(),
        "understand": r["understand"].to_dict(),
        "classify": {"run_id": classified.run_id, **classified.stats} if classified else None,
        "discover": {"run_id": r["discover"].run_id, **r["discover"].stats},
        "report": {"path": str(r["report"].path), **r["report"].summary},
    }


def _print_job(job: Any) -> None:
    r = job.results
    _print_ingest(r["ingest"])
    _print_understand(r["understand"])
    if "classify" in r:
        _print_classify(r["classify"])
    _print_discover(r["discover"])
    _print_report(r["report"])
    out.print(
        f"Job {job.job_id}: {job.manifest['outcome']} in {job.manifest['seconds']:.1f} s; "
        f"manifest {job.store / 'jobs' / (job.job_id + '.json')}"
    )


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
    # deferred: keeps CLI start-up fast
    from ..pipeline.job import run_job
    from ..pipeline.store import Store

    with _errors():
        _resolve(None, store)
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
        _print_items(items)
        _print_entities(units)
        out.print(
            f"{len(items)} items and {len(units)} insight units in {result.store}. Read them "
            f"with `silobridge.open_store({str(result.store)!r}).units()`; "
            "see what was rejected with `silobridge quarantine --store "
            f"{store}`."
        )
        _print_report(reported)


def _print_items(items: Any) -> None:
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
