"""``silobridge understand``: the store's items into insight units, redacted, tagged, embedded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config
from ..pipeline.engine import resolve
from ._app import (
    ConfigOpt,
    EngineOpt,
    JsonOpt,
    ModelOpt,
    StoreOpt,
    TaxonomyOpt,
    _errors,
    _load,
    _preflight,
    _resolve,
    app,
)
from ._print import _print_understand


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
        store_path = _preflight(_resolve(cfg, store))
        result = _understand(
            cfg, store_path, taxonomy=taxonomy, model=model, full=full, engine=engine
        )
        if as_json:
            print(json.dumps(result.to_dict()))
        else:
            _print_understand(result)


def _understand(
    cfg: Config | None,
    store_path: Path,
    *,
    taxonomy: Path | None = None,
    model: str | None = None,
    full: bool = False,
    engine: str | None = None,
) -> Any:
    # deferred: keeps CLI start-up fast
    from ..pipeline.job import understand_stage
    from ..pipeline.understand import run_understand

    return run_understand(
        store_path,
        stage=understand_stage(cfg, taxonomy=taxonomy, model=model),
        full=full,
        execution=resolve(cfg.execution if cfg else None, engine),
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )
