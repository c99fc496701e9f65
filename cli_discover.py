"""The theme discovery commands: discover, themes (list, rename, merge, promote), eval cluster.

They register on :data:`silobridge.cli.app` (imported at the end of :mod:`silobridge.cli`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from .cli import ConfigOpt, JsonOpt, StoreOpt, _errors, _load, _store_of, app, out
from .cli_stages import eval_app
from .config import Config
from .errors import ConfigError

RebuildOpt = Annotated[
    bool,
    typer.Option(
        "--rebuild",
        help="Cluster every unit again (theme ids still carry over by matching), instead of "
        "adding new units to the themes and clustering only what is left.",
    ),
]


@app.command()
def discover(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    rebuild: RebuildOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Find themes nobody put in the taxonomy, among the units it left unassigned.

    Every unit when no taxonomy labelled them. Theme ids stay the same from run to run; new
    themes get new ids. Prints each theme's label, size and top terms.
    """
    with _errors():
        cfg = _load(config, required=False)
        store_path = _store_of(cfg, store)
        result = _discover(cfg, store_path, rebuild=rebuild)
        if as_json:
            print(json.dumps({"run_id": result.run_id, **result.stats}))
        else:
            _print_discover(result)


def _discover(cfg: Config | None, store_path: Path, *, rebuild: bool = False) -> Any:
    from .pipeline.cluster import update_themes
    from .pipeline.job import discover_stage

    return update_themes(
        store_path,
        stage=discover_stage(cfg),
        rebuild=rebuild,
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )


def _print_discover(result: Any, *, limit: int = 15) -> None:
    stats = result.stats
    if not stats.get("units"):
        out.print("No units to discover themes in: run `silobridge understand` first.")
        return
    out.print(
        f"Discover run {result.run_id} ({stats['mode']}): {stats['units']} units "
        f"({stats['scope']}), {stats['assigned']} in {stats['themes']} themes, "
        f"{stats['unassigned']} unassigned ({100 * stats['unassigned_share']:.1f}%). "
        f"New themes {stats['new_themes']}, merged {stats['merged']}, split {stats['split']}, "
        f"retired {stats['retired']}."
    )
    themes = result.themes[result.themes["status"] == "active"].sort_values(
        ["size", "theme_id"], ascending=[False, True]
    )
    _print_themes(themes.head(limit))
    if len(themes) > limit:
        out.print(f"... and {len(themes) - limit} more: `silobridge themes`.")


def _print_themes(themes: Any, *, show_status: bool = False) -> None:
    table = Table(title="Discovered themes", title_justify="left")
    for col in ("id", "label", "units", "top terms") + (("status",) if show_status else ()):
        table.add_column(col, justify="right" if col == "units" else "left")
    for _, row in themes.iterrows():
        cells = [row["theme_id"], row["label"], str(row["size"]), ", ".join(row["terms"][:5])]
        if show_status:
            status = row["status"]
            for key in ("merged_into", "promoted_to", "split_from"):
                if row.get(key):
                    status += f" ({key.replace('_', ' ')} {row[key]})"
            cells.append(status)
        table.add_row(*cells)
    out.print(table)


themes_app = typer.Typer(
    help="List discovered themes; rename, merge, or promote one into the taxonomy.",
    invoke_without_command=True,
)
app.add_typer(themes_app, name="themes")


@themes_app.callback()
def themes_list(
    ctx: typer.Context,
    config: ConfigOpt = None,
    store: StoreOpt = None,
    all_themes: Annotated[
        bool, typer.Option("--all", help="Also merged, retired and promoted themes.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """List the discovered themes, largest first (with a sub-command: curate them)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "store": store}
        return
    from .pipeline.themes import list_themes

    with _errors():
        themes = list_themes(_store_path(config, store), all_themes=all_themes)
        if as_json:
            print(themes.to_json(orient="records"))
            return
        if not len(themes):
            out.print("No discovered themes: run `silobridge discover`.")
            return
        _print_themes(themes, show_status=all_themes)


def _store_path(config: Path | None, store: Path | None) -> Path:
    return _store_of(_load(config, required=False), store)


def _parent_store(ctx: typer.Context) -> Path:
    obj = ctx.obj or {}
    return _store_path(obj.get("config"), obj.get("store"))


@themes_app.command("rename")
def themes_rename(
    ctx: typer.Context,
    theme_id: Annotated[str, typer.Argument(help="The theme's id (D0001...).")],
    label: Annotated[str, typer.Argument(help="Its new label; later runs keep it.")],
) -> None:
    """Give a discovered theme a label of your own (its id stays)."""
    from .pipeline.themes import rename_theme

    with _errors():
        done = rename_theme(_parent_store(ctx), theme_id, label)
        out.print(f"{theme_id} is now labelled {label!r} (run {done['run_id']}).")


@themes_app.command("merge")
def themes_merge(
    ctx: typer.Context,
    theme_ids: Annotated[list[str], typer.Argument(help="Two or more theme ids.")],
    into: Annotated[
        str | None,
        typer.Option("--into", help="The theme that remains (default: the largest)."),
    ] = None,
) -> None:
    """Merge discovered themes into one; the others stay in the registry as merged."""
    from .pipeline.themes import merge_themes

    with _errors():
        done = merge_themes(_parent_store(ctx), theme_ids, into=into)
        event = done["events"][0]
        out.print(
            f"Merged {', '.join(event['other_ids'])} into {event['theme_id']}: {event['detail']} "
            f"(run {done['run_id']})."
        )


@themes_app.command("promote")
def themes_promote(
    ctx: typer.Context,
    theme_id: Annotated[str, typer.Argument(help="The discovered theme's id.")],
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="Top-level taxonomy theme to add it under (default: top)."),
    ] = None,
    new_id: Annotated[
        str | None,
        typer.Option("--id", help="Its taxonomy id (default: from its label)."),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Its name (default: its label).")
    ] = None,
    description: Annotated[
        str | None,
        typer.Option("--description", help="One line saying what belongs to it."),
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option("--taxonomy", help="The taxonomy file to write (default: the config's)."),
    ] = None,
) -> None:
    """Write a discovered theme into the taxonomy YAML, with examples and keywords.

    The next `silobridge classify` labels its units directly.
    """
    from .pipeline.themes import promote_theme

    with _errors():
        obj = ctx.obj or {}
        cfg = _load(obj.get("config"), required=False)
        path = taxonomy or (cfg.taxonomy if cfg else None)
        if path is None:
            raise ConfigError("promote needs a taxonomy: pass --taxonomy or set one in the config.")
        added, done = promote_theme(
            _parent_store(ctx),
            theme_id,
            taxonomy=path,
            parent=parent,
            new_id=new_id,
            name=name,
            description=description,
        )
        out.print(
            f"{theme_id} is now taxonomy theme {added.id!r} ({added.name}) at {path}:{added.line}, "
            f"with {len(added.examples)} examples (run {done['run_id']}). Review the description, "
            "then run `silobridge classify`."
        )


@eval_app.command("cluster")
def eval_cluster(
    data: Annotated[Path, typer.Option("--data", help="CSV: a text and a label column.")],
    text_col: Annotated[str, typer.Option("--text-col", help="The text column.")] = "text",
    label_col: Annotated[str, typer.Option("--label-col", help="The label column.")] = "label",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the first run.")] = 0,
    runs: Annotated[
        int,
        typer.Option("--runs", help="Runs with seeds seed, seed+1...: run-to-run ARI."),
    ] = 3,
    min_size: Annotated[
        int, typer.Option("--min-size", help="Smallest theme, in texts (as [discover]).")
    ] = 5,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", help="Embedding cache folder (default: ~/.cache/silobridge/embeddings)."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """NMI, ARI, themes found, outlier share and run-to-run ARI of theme discovery.

    The labels are only used to score; the number of classes is not given to the clustering.
    """
    from .classifiers.evaluate import default_cache_dir, read_labelled
    from .pipeline.cluster import DiscoverStage, evaluate_cluster
    from .pipeline.embed import EmbeddingCache

    with _errors():
        if runs < 1 or min_size < 2:
            raise ConfigError("--runs must be >= 1 and --min-size >= 2.")
        labelled = read_labelled(data, text_col=text_col, label_col=label_col)
        result = evaluate_cluster(
            labelled.texts,
            labelled.labels,
            seed=seed,
            runs=runs,
            stage=DiscoverStage(min_size=min_size, seed=seed),
            cache=EmbeddingCache(cache or default_cache_dir()),
        )
        if as_json:
            print(json.dumps(result))
            return
        out.print(
            f"{result['algorithm']}: {result['n']} texts, {result['n_classes']} classes; "
            f"{result['n_themes']} themes found, {100 * result['outlier_share']:.1f}% unassigned"
        )
        out.print(
            f"NMI {result['nmi']:.4f}  ARI {result['ari']:.4f}  AMI {result['ami']:.4f}  "
            f"run-to-run ARI {result['run_to_run_ari']}  ({result['runs']} runs)"
        )
        out.print(
            f"Seconds: clustering and labelling {result['seconds']}, "
            f"embedding {result['embed_seconds']}"
        )
        table = Table(title="Largest themes", title_justify="left")
        for col in ("id", "label", "texts", "top terms"):
            table.add_column(col, justify="right" if col == "texts" else "left")
        for theme in result["themes"][:15]:
            table.add_row(
                theme["id"], theme["label"], str(theme["size"]), ", ".join(theme["terms"])
            )
        out.print(table)
