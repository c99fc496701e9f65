"""``silobridge classify``: themes, insight type, sentiment and function of every unit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import Config
from ..pipeline.engine import resolve
from ._app import (
    ConfigOpt,
    EngineOpt,
    JsonOpt,
    StoreOpt,
    TaxonomyOpt,
    _errors,
    _load,
    _preflight,
    _resolve,
    app,
)
from ._print import _print_classify


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
        store_path = _preflight(_resolve(cfg, store))
        result = _classify(cfg, store_path, taxonomy=taxonomy, engine=engine)
        if as_json:
            print(json.dumps({"run_id": result.run_id, **result.stats}))
        else:
            _print_classify(result)


def _classify(
    cfg: Config | None,
    store_path: Path,
    *,
    taxonomy: Path | None = None,
    engine: str | None = None,
) -> Any:
    # deferred: keeps CLI start-up fast
    from ..pipeline.classify import run_classify
    from ..pipeline.job import classify_stage

    return run_classify(
        store_path,
        stage=classify_stage(cfg, store_path, taxonomy=taxonomy),
        execution=resolve(cfg.execution if cfg else None, engine),
        retention_days=cfg.retention_days if cfg else 30,
        config_hash=cfg.config_hash() if cfg else "",
    )
