"""What changed since the previous report: new themes, rising and falling themes, new and
resolved blind spots (:func:`changes`; ``docs/report.md``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control

if TYPE_CHECKING:
    from .build import ReportSettings


def bh_adjust(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (scipy's ``false_discovery_control``)."""
    return false_discovery_control(p) if len(p) else np.asarray(p, dtype=float)


def read_previous(root: Path) -> dict[str, Any] | None:
    """What "what changed" compares with: the ``themes`` and ``findings`` tables, the
    ``summary`` (as a one-column frame) and the ``id`` of the report ``root/latest`` points at;
    ``None`` when there is none or it cannot be read (a report of an older silobridge, without
    findings: "what changed" then starts afresh)."""
    latest = root / "latest"
    try:
        folder = latest.resolve(strict=True)
        out: dict[str, Any] = {
            name: pd.read_parquet(folder / "tables" / f"{name}.parquet")
            for name in ("themes", "findings")
        }
        out["summary"] = pd.read_json(folder / "summary.json", typ="series").to_frame("value")
    except (OSError, ValueError, ImportError):
        return None
    out["id"] = folder.name
    return out


def changes(
    f: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    previous: dict[str, Any] | None,
    settings: ReportSettings,
) -> pd.DataFrame:
    """What changed: new themes, rising and falling themes, new and resolved blind spots.

    * **new theme**: a theme with items now that the previous report did not have (without a
      previous report: one whose items all fall in the last ``new_weeks`` weeks);
    * **rising / falling**: a theme whose items in the recent window (the weeks after the
      previous report's last week, else the last ``change_weeks`` weeks) are a larger or
      smaller share of all themed items than in the weeks before, by a two-sided binomial
      test of its recent items among all its items (Benjamini-Hochberg over the themes
      tested, ``alpha``), with at least ``min_items`` items in the window that grew or shrank;
    * **new / resolved blind spot**: a finding (:func:`findings`) the previous report did not
      have, or one it had that is gone (each with its counts then and now).
    """
    columns = ["change", "theme", "function", "items_before", "items_after", "share_before",
               "share_after", "p_adjusted", "detail"]  # fmt: skip
    rows: list[dict[str, Any]] = []
    themes = tables["themes"]
    live = themes[themes["items"] > 0]
    if previous is not None:
        old = previous["themes"]
        had = set(old.loc[old["items"] > 0, "theme"])
        fresh = live[~live["theme"].isin(had)]
        detail = "not in the previous report"
    else:
        fresh = live[live["new"]]
        detail = f"all its items in the last {settings.new_weeks} weeks"
    for r in fresh.itertuples():
        rows.append({"change": "new theme", "theme": r.theme, "items_after": r.items,
                     "detail": detail})  # fmt: skip
    rows += _rising_falling(f, previous, settings)
    now = tables["findings"]
    key_now = {(r.theme, r.function): r for r in now.itertuples()}
    before = previous["findings"] if previous is not None else None
    if before is not None and len(before):
        key_before = {(r.theme, r.function): r for r in before.itertuples()}
        for k, r in key_now.items():
            if k not in key_before:
                rows.append({"change": "new blind spot", "theme": r.theme, "function": r.function,
                             "items_after": r.items, "share_after": r.share,
                             "detail": "not a finding in the previous report"})  # fmt: skip
        for k, r in key_before.items():
            if k not in key_now:
                rows.append({"change": "resolved blind spot", "theme": r.theme,
                             "function": r.function, "items_before": r.items,
                             "share_before": r.share,
                             "detail": "a finding in the previous report, not now"})  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _rising_falling(
    f: pd.DataFrame, previous: dict[str, Any] | None, settings: ReportSettings
) -> list[dict[str, Any]]:
    """The rising and falling themes of :func:`changes`."""
    weeks = f.dropna(subset=["week"])
    if not len(weeks):
        return []
    last = weeks["week"].max()
    start = last - pd.Timedelta(weeks=settings.change_weeks - 1)
    if previous is not None:
        summary = previous["summary"]["value"]
        prev_last = summary.get("last_week")
        if isinstance(prev_last, str) and pd.Timestamp(prev_last) < last:
            start = pd.Timestamp(prev_last) + pd.Timedelta(weeks=1)
    recent = weeks["week"] >= start
    if recent.all() or not recent.any():
        return []
    items = weeks.drop_duplicates(["item_id"])
    p = float((items["week"] >= start).mean())
    per = weeks.drop_duplicates(["theme", "item_id"]).assign(recent=recent)
    counts = per.groupby("theme")["recent"].agg(["sum", "size"])
    tested = []
    for theme, k, n in zip(counts.index, counts["sum"], counts["size"], strict=True):
        k, n = int(k), int(n)
        if max(k, n - k) < settings.min_items:
            continue
        tested.append((theme, k, n, binomtest(k, n, p).pvalue))
    if not tested:
        return []
    adjusted = bh_adjust(np.array([t[3] for t in tested]))
    n_recent = int((items["week"] >= start).sum())
    n_before = len(items) - n_recent
    out = []
    for (theme, k, n, _), q in zip(tested, adjusted, strict=True):
        share_after, share_before = k / max(n_recent, 1), (n - k) / max(n_before, 1)
        rising = k / n > p
        if q >= settings.alpha or (k if rising else n - k) < settings.min_items:
            continue
        out.append({"change": "rising" if rising else "falling", "theme": theme,
                    "items_before": n - k, "items_after": k,
                    "share_before": round(share_before, 4), "share_after": round(share_after, 4),
                    "p_adjusted": float(q),
                    "detail": f"since {start.date()} vs before"})  # fmt: skip
    return sorted(out, key=lambda r: (r["p_adjusted"], r["theme"]))
