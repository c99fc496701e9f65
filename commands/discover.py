"""Theme discovery: ``silobridge discover`` and ``silobridge themes`` (list, rename, merge,
promote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config
from ..errors import ConfigError
from ._app import (
    ConfigOpt,
    JsonOpt,
    RebuildOpt,
    StoreOpt,
    _errors,
    _load,
    _preflight,
    _resolve,
    _store_path,
    app,
    out,
    themes_app,
)
from ._print import _print_discover, _print_themes


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
        store_path = _preflight(_resolve(cfg, store))
        result = _discover(cfg, store_path, rebuild=rebuild)
        if as_json:
            print(json.dumps({"run_id": result.run_id, **result.stats}))
        else:
            _print_discover(result)


def _discover(cfg: Config | None, store_path: Path, *, rebuild: bool = False) -> Any:
    # deferred: keeps CLI start-up fast
    from ..pipeline.discover import run_discover
    from ..pipeline.job import discover_stage

    return run_discover(
        store_path,
        stage=discover_stage(cfg),
        rebuild=rebuild,
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )


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
    """List the discovered themes in their groups, largest first (or curate them)."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"config": config, "store": store}
        return
    # deferred: keeps CLI start-up fast
    from ..pipeline.curate import list_themes

    with _errors():
        themes = list_themes(_store_path(config, store), all_themes=all_themes)
        if as_json:
            print(themes.to_json(orient="records"))
            return
        if not len(themes):
            out.print("No discovered themes: run `silobridge discover`.")
            return
        _print_themes(themes, show_status=all_themes)


def _parent_store(ctx: typer.Context) -> Path:
    """The store of ``silobridge themes --config ... --store ... SUBCOMMAND``."""
    obj = ctx.obj or {}
    return _store_path(obj.get("config"), obj.get("store"))


@themes_app.command("rename")
def themes_rename(
    ctx: typer.Context,
    theme_id: Annotated[str, typer.Argument(help="The theme's id (D0001...).")],
    label: Annotated[str, typer.Argument(help="Its new label; later runs keep it.")],
) -> None:
    """Give a discovered theme a label of your own (its id stays)."""
    # deferred: keeps CLI start-up fast
    from ..pipeline.curate import rename_theme

    with _errors():
        done = rename_theme(_preflight(_parent_store(ctx)), theme_id, label)
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
    # deferred: keeps CLI start-up fast
    from ..pipeline.curate import merge_themes

    with _errors():
        done = merge_themes(_preflight(_parent_store(ctx)), theme_ids, into=into)
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
    # deferred: keeps CLI start-up fast
    from ..pipeline.curate import promote_theme

    with _errors():
        store_path = _preflight(_parent_store(ctx))
        obj = ctx.obj or {}
        cfg = _load(obj.get("config"), required=False)
        path = taxonomy or (cfg.taxonomy if cfg else None)
        if path is None:
            raise ConfigError("promote needs a taxonomy: pass --taxonomy or set one in the config.")
        added, done = promote_theme(
            store_path,
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
