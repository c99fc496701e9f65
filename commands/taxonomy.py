"""The taxonomy: ``silobridge taxonomy`` (validate and print it) and ``silobridge label import``
(labelled units that teach its theme classifier)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..errors import ConfigError
from ._app import (
    ConfigOpt,
    JsonOpt,
    StoreOpt,
    TaxonomyOpt,
    _errors,
    _load,
    _preflight,
    _resolve,
    app,
    label_app,
    out,
)


@app.command()
def taxonomy(
    path: Annotated[
        Path | None,
        typer.Argument(help="The taxonomy file (default: \\[taxonomy] path of the config)."),
    ] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a taxonomy file and print its themes, insight types and functions.

    Errors name the file, the line and the entry. Exit code 2 when the file is invalid.
    """
    # deferred: keeps CLI start-up fast
    from ..taxonomy import load_taxonomy

    with _errors():
        if path is None:
            cfg = _load(config, required=True)
            if cfg is None or cfg.taxonomy is None:
                raise ConfigError("Pass a taxonomy FILE or set [taxonomy] path.")
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
    # deferred: keeps CLI start-up fast
    from ..pipeline.classify import import_theme_labels
    from ..taxonomy import load_taxonomy

    with _errors():
        cfg = _load(config, required=False)
        store_path = _resolve(cfg, store)
        tax_path = taxonomy or (cfg.taxonomy if cfg else None)
        if tax_path is None:
            raise ConfigError("Pass --taxonomy FILE or set [taxonomy] path.")
        _preflight(store_path, create=True)  # before the redactor loads its model
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
