"""The report stage's entry point: build the report from the store and write it, atomically.

:func:`run_report` builds the tables (:mod:`.build`), renders the HTML and the digests
(:mod:`.html`) and writes them under ``STORE/reports/<id>/``, then points ``latest`` at them.
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..store.store import Store, new_run_id
from .build import Report, ReportSettings, build_report, read_accounts
from .html import render_digests, render_html


def write_report(report: Report, root: Path, *, report_id: str | None = None) -> Path:
    """Write the report under ``root/<report_id>/`` (atomically: built in a temporary folder,
    then renamed) and point ``root/latest`` at it. Returns the report's folder."""
    report_id = report_id or new_run_id(datetime.now(UTC))
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{report_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "tables").mkdir(parents=True)
    for name, frame in report.tables.items():
        out = frame.copy()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
        out.to_csv(tmp / "tables" / f"{name}.csv", index=False)
        out.to_json(tmp / "tables" / f"{name}.json", orient="records", indent=1)
    (tmp / "summary.json").write_text(pd.Series(report.summary).to_json(indent=1), encoding="utf-8")
    (tmp / "report.html").write_text(render_html(report), encoding="utf-8")
    (tmp / "digest").mkdir()
    for function, text in render_digests(report).items():
        (tmp / "digest" / f"{function}.md").write_text(text, encoding="utf-8")
    final = root / report_id
    os.replace(tmp, final)
    link = root / f".latest-{report_id}"
    link.unlink(missing_ok=True)
    link.symlink_to(report_id)
    os.replace(link, root / "latest")
    report.path = final
    return final


def run_report(
    store: Store | str | Path,
    *,
    taxonomy: Any | None = None,
    accounts: str | Path | None = None,
    settings: ReportSettings | None = None,
    out: Path | None = None,
) -> Report:
    """Build the report from the store and write it to ``STORE/reports/<id>/`` (or ``out``)."""
    store = store if isinstance(store, Store) else Store.open(store)
    started = time.perf_counter()
    report = build_report(
        store,
        taxonomy=taxonomy,
        accounts=read_accounts(accounts) if accounts else None,
        settings=settings,
    )
    t0 = time.perf_counter()
    write_report(report, out or store.root / "reports")
    report.timings["write"] = time.perf_counter() - t0
    report.timings["total"] = time.perf_counter() - started
    return report
