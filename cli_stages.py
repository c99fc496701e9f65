"""The commands of the stages after ingest: understand, classify, taxonomy, run, eval, label.

They register on :data:`silobridge.cli.app` (imported at the end of :mod:`silobridge.cli`) and
share its options, consoles and error handling.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli import (
    EXIT_QUARANTINED,
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    StrictOpt,
    _bar,
    _errors,
    _load,
    _print_ingest,
    _progress,
    _store_of,
    app,
    out,
)
from .config import Config
from .errors import ConfigError
from .pipeline.engine import resolve

TaxonomyOpt = Annotated[
    Path | None,
    typer.Option(
        "--taxonomy",
        help="Taxonomy YAML whose gazetteer is tagged and kept (default: [understand] taxonomy).",
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


@app.command()
def understand(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    taxonomy: TaxonomyOpt = None,
    model: ModelOpt = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Process every item again, not only new and changed ones."),
    ] = False,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Split the store's items into insight units; redact, tag and embed them, incrementally.

    Only new and changed items are processed (a changed taxonomy redoes all; a changed model
    re-embeds). Prints items processed, units written and removed, redactions and entities by
    type, and seconds per step.
    """
    with _errors():
        cfg = _load(config, required=False)
        store_path = _store_of(cfg, store)
        result = _understand(
            cfg, store_path, taxonomy=taxonomy, model=model, full=full, engine=engine
        )
        if as_json:
            print(json.dumps(result.to_dict()))
        else:
            _print_understand(result)


@app.command()
def classify(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    taxonomy: TaxonomyOpt = None,
    engine: EngineOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Label every insight unit: themes, insight type, sentiment and function.

    Themes and insight types come from the taxonomy (zero-shot from names, descriptions and
    examples); a unit below the theme threshold is unassigned. Prints counts per label.
    """
    with _errors():
        cfg = _load(config, required=False)
        store_path = _store_of(cfg, store)
        result = _classify(cfg, store_path, taxonomy=taxonomy, engine=engine)
        if as_json:
            print(json.dumps({"run_id": result.run_id, **result.stats}))
        else:
            _print_classify(result)


@app.command()
def taxonomy(
    path: Annotated[
        Path | None,
        typer.Argument(help="The taxonomy file (default: [understand] taxonomy of the config)."),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a taxonomy file and print its themes, insight types and functions.

    Errors name the file, the line and the entry. Exit code 2 when the file is invalid.
    """
    from .classifiers.taxonomy import load_taxonomy

    with _errors():
        if path is None:
            cfg = _load(config, required=True)
            if cfg is None or cfg.taxonomy is None:
                raise ConfigError("Pass a taxonomy FILE or set [understand] taxonomy.")
            path = cfg.taxonomy
        tax = load_taxonomy(path)
        if as_json:
            print(
                json.dumps(
                    {
                        "themes": [t.__dict__ for t in tax.themes],
                        "insight_types": [t.__dict__ for t in tax.insight_types],
                        "functions": [t.__dict__ for t in tax.functions],
                        "company": list(tax.company),
                        "gazetteer": {k: len(v) for k, v in tax.gazetteer.items()},
                    }
                )
            )
            return
        table = Table(title=f"Themes in {path}", title_justify="left")
        for col in ("id", "name", "description"):
            table.add_column(col)
        for t in tax.themes:
            table.add_row(("  " if t.parent else "") + t.id, t.name, t.description)
        out.print(table)
        out.print("Insight types: " + ", ".join(t.id for t in tax.insight_types))
        out.print("Functions: " + ", ".join(t.id for t in tax.functions))
        out.print(
            f"Gazetteer: {', '.join(f'{len(v)} {k}s' for k, v in tax.gazetteer.items())}; "
            f"company: {', '.join(tax.company) or '-'}. Valid."
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
    from .cli_discover import _print_discover
    from .cli_report import _print_report
    from .pipeline.job import plan_job, run_job

    with _errors():
        cfg = _load(config, required=True)
        assert cfg is not None
        resolve(cfg.execution, engine)  # a bad --engine, or no Ray, fails before anything runs
        if dry_run:
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
        r = job.results
        if as_json:
            classified = r.get("classify")
            print(
                json.dumps(
                    {
                        "job": job.manifest,
                        "ingest": r["ingest"].to_dict(),
                        "understand": r["understand"].to_dict(),
                        "classify": {"run_id": classified.run_id, **classified.stats}
                        if classified
                        else None,
                        "discover": {"run_id": r["discover"].run_id, **r["discover"].stats},
                        "report": {"path": str(r["report"].path), **r["report"].summary},
                    },
                    default=str,
                )
            )
        else:
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
        if job.quarantined:
            raise typer.Exit(EXIT_QUARANTINED)


eval_app = typer.Typer(
    help="Measure quality on labelled data (the same code paths as the pipeline).",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")


@eval_app.command("classify")
def eval_classify(
    data: Annotated[Path, typer.Option("--data", help="Test CSV: a text and a label column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="The text column.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="The label column.")] = "label",
    train: Annotated[
        Path | None,
        typer.Option("--train", help="Training CSV (same columns): few-shot from its rows."),
    ] = None,
    shots: Annotated[
        int | None,
        typer.Option("--shots", help="Examples per label drawn from --train (default: all rows)."),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for drawing the shots.")] = 0,
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="Zero-shot: a JSON or YAML file mapping each label to a description.",
        ),
    ] = None,
    unlabelled: Annotated[
        Path | None,
        typer.Option(
            "--unlabelled",
            help="CSV whose --text-col texts (labels ignored) the classifier self-trains on, "
            "as the pipeline does on the units it labels.",
        ),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", help="Embedding cache folder (default: ~/.cache/silobridge/embeddings)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Accuracy, macro-F1, per-label F1 and calibration error of the theme classifier.

    Few-shot with --train (and --shots N --seed S), or zero-shot with --labels.
    """
    from .classifiers.evaluate import (
        default_cache_dir,
        evaluate_classify,
        read_descriptions,
        read_labelled,
        read_texts,
    )
    from .pipeline.embed import EmbeddingCache

    with _errors():
        if (train is None) == (labels is None):
            raise ConfigError("Pass --train TRAIN.csv (few-shot) or --labels FILE (zero-shot).")
        if shots is not None and (train is None or shots < 1):
            raise ConfigError("--shots N (N >= 1) goes with --train.")
        test = read_labelled(data, text_col=text_col, label_col=label_col)
        train_data = read_labelled(train, text_col=text_col, label_col=label_col) if train else None
        result = evaluate_classify(
            test,
            train=train_data,
            shots=shots,
            seed=seed,
            descriptions=read_descriptions(labels) if labels else None,
            unlabelled=read_texts(unlabelled, text_col=text_col) if unlabelled else None,
            cache=EmbeddingCache(cache or default_cache_dir()),
        )
        if as_json:
            print(json.dumps(result))
            return
        out.print(
            f"{result['algorithm']}: {result['labels']} labels, {result['train_rows']} training "
            f"rows; {result['n']} test rows"
        )
        out.print(
            f"accuracy {result['accuracy']:.4f}  macro-F1 {result['macro_f1']:.4f}  "
            f"ECE {result['ece']:.4f}"
        )
        table = Table(title="Per label", title_justify="left")
        for col in ("label", "precision", "recall", "F1", "support"):
            table.add_column(col, justify="left" if col == "label" else "right")
        for label, row in result["per_label"].items():
            table.add_row(
                label,
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"{row['f1']:.3f}",
                str(row["support"]),
            )
        out.print(table)
        out.print("Seconds: " + ", ".join(f"{k} {v}" for k, v in result["seconds"].items()))


label_app = typer.Typer(
    help="Labelled units that teach the theme classifier.", no_args_is_help=True
)
app.add_typer(label_app, name="label")


@label_app.command("import")
def label_import(
    path: Annotated[Path, typer.Argument(help="CSV of labelled texts: a text and a theme column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="The text column.")] = "text",
    label_col: Annotated[
        str, typer.Option("--label-col", help="The theme column (leaf theme ids).")
    ] = "theme",
    config: ConfigOpt = None,
    store: StoreOpt = None,
    taxonomy: TaxonomyOpt = None,
) -> None:
    """Add labelled units (text, theme id): the next classify run learns from them (few-shot).

    Labels are checked against the taxonomy (errors name the line), texts are redacted before
    they are stored, and a text already labelled with the same theme is kept once.
    """
    from .classifiers.labels import import_theme_labels
    from .classifiers.taxonomy import load_taxonomy

    with _errors():
        cfg = _load(config, required=False)
        store_path = _store_of(cfg, store)
        tax_path = taxonomy or (cfg.taxonomy if cfg else None)
        if tax_path is None:
            raise ConfigError("Pass --taxonomy FILE or set [understand] taxonomy.")
        counts = import_theme_labels(
            store_path,
            path,
            taxonomy=load_taxonomy(tax_path),
            text_col=text_col,
            label_col=label_col,
        )
        out.print(
            f"{counts['added']} labelled units added ({counts['already']} already there); "
            f"{counts['total']} in {store_path}. Run `silobridge classify` to use them."
        )


def _understand(
    cfg: Config | None,
    store_path: Path,
    *,
    taxonomy: Path | None = None,
    model: str | None = None,
    full: bool = False,
    engine: str | None = None,
) -> Any:
    from .pipeline.job import understand_stage
    from .pipeline.understand import update_units

    return update_units(
        store_path,
        stage=understand_stage(cfg, taxonomy=taxonomy, model=model),
        full=full,
        execution=resolve(cfg.execution if cfg else None, engine),
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )


def _classify(
    cfg: Config | None,
    store_path: Path,
    *,
    taxonomy: Path | None = None,
    engine: str | None = None,
) -> Any:
    from .pipeline.classify import update_labels
    from .pipeline.job import classify_stage

    return update_labels(
        store_path,
        stage=classify_stage(cfg, store_path, taxonomy=taxonomy),
        execution=resolve(cfg.execution if cfg else None, engine),
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )


def _print_classify(result: Any) -> None:
    stats = result.stats
    if not stats:
        out.print("No units to classify: run `silobridge understand` first.")
        return
    out.print(
        f"Classify run {result.run_id}: {stats['units']} units labelled, "
        f"{stats['unassigned']} without a theme (left to theme discovery)."
    )
    table = Table(title="Units per theme (a unit can have several)", title_justify="left")
    table.add_column("theme")
    table.add_column("units", justify="right")
    for theme, n in sorted(stats["themes"].items(), key=lambda kv: -kv[1]):
        table.add_row(theme, str(n))
    out.print(table)
    for key in ("insight_types", "sentiment", "function_source"):
        values = ", ".join(f"{k} {v}" for k, v in sorted(stats[key].items(), key=lambda kv: -kv[1]))
        out.print(f"{key.replace('_', ' ').capitalize()}: {values}.")


def _print_understand(result: Any) -> None:
    stats = result.stats
    table = Table(title=f"Understand run {result.run_id}", title_justify="left")
    for col in ("items", "processed", "units written", "removed", "re-embedded", "units"):
        table.add_column(col, justify="right")
    table.add_row(
        str(result.items_total),
        str(result.items_processed),
        str(result.units_written),
        str(result.units_removed),
        str(result.units_reembedded),
        str(result.units_total),
    )
    out.print(table)
    redacted = {k[len("redacted_") :]: v for k, v in stats.items() if k.startswith("redacted_")}
    entities = {k[len("entities_") :]: v for k, v in stats.items() if k.startswith("entities_")}
    if result.items_processed:
        out.print(
            f"{stats.get('analyzed_texts', 0)} distinct unit texts redacted and tagged; "
            f"{stats.get('encoded', 0)} embedded, {stats.get('cache_hits', 0)} vectors from the "
            "cache. Redacted: "
            + (", ".join(f"{v} {k}" for k, v in sorted(redacted.items())) or "nothing")
            + ". Entities: "
            + (", ".join(f"{v} {k}" for k, v in sorted(entities.items())) or "none")
            + "."
        )
    steps = ("segment", "analyze", "embed", "write", "total")
    out.print(
        "Seconds: "
        + ", ".join(f"{k} {result.timings[k]:.1f}" for k in steps if k in result.timings)
    )


def _print_entities(units: Any) -> None:
    from collections import Counter

    counts: Counter[tuple[str, str]] = Counter()
    for ents in units["entities"]:
        for e in ents if ents is not None else ():
            counts[(e["type"], e["id"])] += 1
    if not counts:
        return
    table = Table(title="Most mentioned products, features and competitors", title_justify="left")
    for col in ("type", "id", "units"):
        table.add_column(col, justify="right" if col == "units" else "left")
    for (kind, entity_id), n in counts.most_common(12):
        table.add_row(kind, entity_id, str(n))
    out.print(table)
