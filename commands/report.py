"""``silobridge report``: who hears which theme, blind spots, trends and spikes, with quotes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import Config
from ._app import ConfigOpt, JsonOpt, StoreOpt, _errors, _load, _preflight, _resolve, app
from ._print import _print_report


@app.command()
def report(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help="CSV or Parquet of accounts (account, arr, optional plan and segment): "
            "findings carry the ARR of the accounts behind them.",
        ),
    ] = None,
    min_arr: Annotated[
        float | None,
        typer.Option("--min-arr", help="Only items of accounts with at least this ARR."),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Reports folder (default: STORE/reports)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Build the report: what changed, findings per function, who hears which theme, trends
    and spikes, themes in their groups, with quotes.

    Writes STORE/reports/<id>/ (report.html, tables as Parquet/CSV/JSON, a Markdown digest per
    function) and points STORE/reports/latest at it; what changed is measured against the
    report latest pointed at before. [report] in the config: vote, findings, min_items.
    """
    with _errors():
        cfg = _load(config, required=False)
        # the report is written into the store unless --out puts it elsewhere
        store_path = _preflight(_resolve(cfg, store), write=out_dir is None)
        result = _report(cfg, store_path, accounts=accounts, min_arr=min_arr, out_dir=out_dir)
        if as_json:
            print(json.dumps({"path": str(result.path), **result.summary}, default=str))
        else:
            _print_report(result)


def _report(
    cfg: Config | None,
    store_path: Path,
    *,
    accounts: Path | None = None,
    min_arr: float | None = None,
    out_dir: Path | None = None,
) -> Any:
    # deferred: keeps CLI start-up fast
    from ..pipeline.job import report as build

    return build(cfg, store_path, accounts=accounts, min_arr=min_arr, out=out_dir)
