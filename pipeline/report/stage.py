"""The report stage's entry point: build the report from the store and write it, atomically.

:func:`run_report` holds the store's write lock (like every writer: no job or run of another
process changes the store while the report reads it, and the report waits for none), builds the
tables (:mod:`.build`), renders the HTML and the digests (:mod:`.html`) and writes them under
``STORE/reports/<id>/``, then points ``latest`` at them. A write that fails (a full disk) leaves
no temporary folder and ``latest`` where it was; what an earlier crashed report left is removed
first.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ...errors import StoreError
from ..store.store import Store, new_run_id
from .build import Report, ReportSettings, build_report, read_accounts
from .changes import read_previous
from .html import render_digests, render_html
from .safety import csv_safe, stale_entries


def write_report(report: Report, root: Path, *, report_id: str | None = None) -> Path:
    """Write the report under ``root/<report_id>/`` (atomically: built in a temporary folder,
    then renamed) and point ``root/latest`` at it. Returns the report's folder.

    The caller holds the store's lock (:func:`run_report` does): the folder's leftovers of a
    report that did not finish (``.tmp-*``, ``.latest-*``) are removed first.

    Raises:
        StoreError: if the report cannot be written (the disk is full...); nothing of it is
            left behind and ``latest`` is unchanged.
    """
    report_id = report_id or new_run_id(datetime.now(UTC))
    try:
        root.mkdir(parents=True, exist_ok=True)
        for stale in stale_entries(root):
            _remove(stale)
        final = root / report_id
        tmp = root / f".tmp-{report_id}"
        try:
            _write_files(report, tmp)
            os.replace(tmp, final)
        finally:
            _remove(tmp)
        link = root / f".latest-{report_id}"
        try:
            link.symlink_to(report_id)
            os.replace(link, root / "latest")
        except BaseException:
            _remove(link)
            _remove(final)  # a report that is not ``latest`` was not written
            raise
    except OSError as e:
        raise StoreError(f"cannot write the report to {root}: {e.strerror or e}") from e
    report.path = final
    return final


def _write_files(report: Report, tmp: Path) -> None:
    """Every file of the report, into the folder ``tmp`` (made here)."""
    (tmp / "tables").mkdir(parents=True)
    for name, frame in report.tables.items():
        out = frame.copy()
        for col in out.columns:
            if pd.api.types.is_datetime64_any_dtype(out[col]):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_parquet(tmp / "tables" / f"{name}.parquet", index=False)
        # only the CSV files are read by spreadsheets: formulas made inert there (.safety);
        # CRLF line ends (RFC 4180) make the writer quote a cell holding a CR as well as an
        # LF, so that no line break inside a cell starts a row of its own
        csv_safe(out).to_csv(tmp / "tables" / f"{name}.csv", index=False, lineterminator="\r\n")
        out.to_json(tmp / "tables" / f"{name}.json", orient="records", indent=1)
    (tmp / "summary.json").write_text(pd.Series(report.summary).to_json(indent=1), encoding="utf-8")
    shown = int(report.summary.get("findings_shown", 5))
    (tmp / "report.html").write_text(render_html(report, top_spots=shown), encoding="utf-8")
    (tmp / "digest").mkdir()
    for function, text in render_digests(report, per_function=shown).items():
        (tmp / "digest" / f"{function}.md").write_text(text, encoding="utf-8")


def _remove(path: Path) -> None:
    """Remove a file, link or folder if it is there (never following a link)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def run_report(
    store: Store | str | Path,
    *,
    taxonomy: Any | None = None,
    accounts: str | Path | None = None,
    settings: ReportSettings | None = None,
    out: Path | None = None,
) -> Report:
    """Build the report from the store and write it to ``STORE/reports/<id>/`` (or ``out``),
    holding the store's write lock throughout. What changed is measured against the report
    ``latest`` pointed at before (:func:`.changes.read_previous`).

    Nothing is committed to the store (no run manifest: ``silobridge runs`` lists the runs that
    changed it); the lock only keeps writers out while the report reads the store and writes.

    Raises:
        StoreLockedError: if a job or a run of another process holds the store (who, in the
            message).
        StoreError: if the report cannot be written.
    """
    store = store if isinstance(store, Store) else Store.open(store)
    started = time.perf_counter()
    report_id = new_run_id(datetime.now(UTC))
    # accounts first: a bad file fails before the store is locked
    table = read_accounts(accounts) if accounts else None
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(store.writing(f"report-{report_id}"))
        except OSError as e:  # a read-only store: no lock file can be made
            raise StoreError(f"cannot lock the store {store.root}: {e.strerror or e}") from e
        root = out or store.root / "reports"
        report = build_report(
            store,
            taxonomy=taxonomy,
            accounts=table,
            settings=settings,
            previous=read_previous(root),
        )
        t0 = time.perf_counter()
        write_report(report, root, report_id=report_id)
    report.timings["write"] = time.perf_counter() - t0
    report.timings["total"] = time.perf_counter() - started
    return report
