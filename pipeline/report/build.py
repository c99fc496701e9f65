"""The report: who hears which theme, what one function hears and the others miss, trends and
spikes, with the customers' own (redacted) words as evidence.

Everything is computed from the store's last finished runs (``units``, ``classified``,
``discovered``, ``themes``, ``items``): a unit's themes are its taxonomy themes and its
discovered theme. Only what customers said counts: the company's own turns in tickets, calls
and chats and the form prompts of reviews and surveys are left out
(:func:`~.voice.customer_voice`); notes and messages count (their internal authors relay
what they heard). Counts are of **items** (a ticket, a call, a thread), not units, so a long
call does not outweigh ten tickets; an item is counted once per theme and function.

* **matrix**: per theme and function: items, units, accounts, the share of the function's
  items that mention the theme, and mean sentiment (optionally the ARR of those accounts);
* **blind spots**: per theme and function, the log-odds ratio of the theme in the function's
  items against all other functions' items, with an informative Dirichlet prior (Monroe, Colaresi
  and Quinn 2008: the prior is the theme's share over all functions, weight ``prior_weight``),
  its z-score, a two-sided p-value with Benjamini-Hochberg correction across all pairs, and a
  minimum support (``min_items`` items in the function). Positive: the function hears it far
  more than the others (they miss it); negative: it hears it far less. Significant ones are
  ranked by the log-odds ratio (how much more), not by z (which grows with volume). The same
  test between two functions gives the pairwise table ("what Sales hears that Product does
  not");
* **trends**: items per theme (and per theme and function) per week (``freq``, default weeks
  Monday to Sunday; ``M`` for months). A **spike** is a week whose count is at least
  ``spike_min_items``, at least twice the mean of the ``spike_window`` weeks before it, above
  that mean plus two standard deviations, and improbable under a Poisson law with that mean
  (p below ``alpha`` divided by the number of (theme, function, week) tested: Bonferroni).
  Weeks with fewer than ``spike_window`` weeks before them are never spikes. A theme is
  **new** when all its items fall in the last two weeks;
* **entities**: products, features and competitors mentioned, per function;
* **evidence**: for every finding, up to five quotes (redacted unit texts), central to the
  finding's units and unlike each other, each with its source record (connector, source,
  a safe reference to the record, date, function: :mod:`.safety`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import poisson

from ...classifiers.keyphrases import representatives
from ...errors import ConfigError
from ..store.store import Store
from ..understand.redact_accounts import pseudonym
from ..voice import DEFAULT_VOICES, customer_voice
from .changes import bh_adjust, changes
from .safety import safe_account, safe_reference

log = logging.getLogger(__name__)

#: Tables every report writes (as Parquet, CSV and JSON), documented in docs/report.md.
TABLES = ("themes", "groups", "matrix", "blind_spots", "findings", "pairwise", "changes", "trends",
          "spikes", "entities", "evidence")  # fmt: skip
#: Two-sided 95% normal quantile: the interval of every log-odds ratio.
Z95 = 1.959964


@dataclass
class ReportSettings:
    """What a report counts and flags (defaults documented in ``docs/report.md``)."""

    min_items: int = 5
    prior_weight: float = 100.0
    alpha: float = 0.05
    freq: str = "W-SUN"
    spike_window: int = 4
    spike_min_items: int = 10
    new_weeks: int = 2
    quotes: int = 5
    #: What one vote is in the blind-spot test: an ``item`` (a ticket, a call) or an
    #: ``account`` (items without an account vote on their own).
    vote: str = "item"
    #: Findings per function in the summary and the digests (the rest behind "n more").
    findings: int = 5
    #: The recent window of "what changed" when there is no previous report (weeks).
    change_weeks: int = 4
    min_arr: float | None = None
    #: What counts as customer voice (``[voice]``, :func:`~..voice.customer_voice`).
    voices: tuple[str, ...] = DEFAULT_VOICES
    min_substance: float | None = None


@dataclass
class Report:
    """The analyses of one report (DataFrames), and where they were written."""

    tables: dict[str, pd.DataFrame]
    summary: dict[str, Any]
    path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ facts


def read_accounts(path: str | Path) -> pd.DataFrame:
    """An accounts file (CSV or Parquet): ``account`` and ``arr``, optionally ``plan`` and
    ``segment``.

    Raises:
        ConfigError: naming the file, for a missing column or a non-numeric ARR (with the row).
    """
    path = Path(path)
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except (OSError, ValueError) as e:
        raise ConfigError(f"cannot read the accounts file: {e}", path=str(path)) from e
    missing = [c for c in ("account", "arr") if c not in frame.columns]
    if missing:
        raise ConfigError(
            f"needs columns account and arr; missing {', '.join(missing)} "
            f"(columns: {', '.join(map(str, frame.columns))})",
            path=str(path),
        )
    arr = pd.to_numeric(frame["arr"], errors="coerce")
    bad = arr.isna() & frame["arr"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # header is line 1
        raise ConfigError(
            f"line {row}: arr {frame['arr'][bad].iloc[0]!r} is not a number", path=str(path)
        )
    out = frame.assign(arr=arr.fillna(0.0), account=frame["account"].astype(str))
    for col in ("plan", "segment"):
        if col not in out.columns:
            out[col] = None
    return out[["account", "arr", "plan", "segment"]].drop_duplicates("account")


def read_units(store: Store) -> pd.DataFrame:
    """Every unit, once, with what the report needs of it and its labels: the function is the
    classify stage's (configured, mapped or inferred), else the unit's, else ``Unknown``."""
    units = store.units(
        columns=["unit_id", "item_id", "source", "source_name", "function", "account",
                 "created_at", "text", "role", "channel", "voice", "substance", "entities",
                 "embedding_key", "model_id"]
    )  # fmt: skip
    labels = store.read(
        "classified", columns=["unit_id", "themes", "function", "sentiment_score"]
    ).to_pandas()
    units = units.merge(labels, on="unit_id", how="left", suffixes=("_unit", ""))
    units["function"] = units["function"].fillna(units.pop("function_unit")).fillna("Unknown")
    # in unit-id order: the order Delta lists a table's files in is not the same in two stores
    # of the same rows, and quotes, ties and float sums must not depend on it
    return units.sort_values("unit_id", kind="stable").reset_index(drop=True)


def facts(
    store: Store,
    units: pd.DataFrame,
    *,
    accounts: pd.DataFrame | None = None,
    freq: str = "W-SUN",
    voices: Sequence[str] = DEFAULT_VOICES,
    min_substance: float | None = None,
) -> pd.DataFrame:
    """One row per unit and theme: the unit's function, item, account, period, sentiment.

    ``units`` are :func:`read_units`; only what customers said counts. ``week`` is the start of
    the unit's period (``freq``, a pandas period alias: ``W-SUN``, weeks Monday to Sunday, or
    ``M`` for months).

    Taxonomy themes are keyed by their id, discovered themes by ``D0001``...; ``theme_kind``
    says which.
    """
    counted = customer_voice(units, voices=voices, min_substance=min_substance)
    frame = units[counted].drop(
        columns=["role", "channel", "voice", "substance", "entities", "embedding_key", "model_id"]
    )
    found = store.read("discovered", columns=["unit_id", "theme_id"]).to_pandas()
    items = store.items(columns=["item_id", "native_id", "source_path", "created_at"])
    frame = frame.merge(
        items.rename(columns={"created_at": "item_created_at"}), on="item_id", how="left"
    )
    frame["created_at"] = frame["created_at"].fillna(frame.pop("item_created_at"))
    rows: list[tuple[str, str, str]] = []
    for unit_id, themes in zip(frame["unit_id"], frame["themes"], strict=True):
        if isinstance(themes, (list, np.ndarray)):
            rows.extend((unit_id, t["id"], "taxonomy") for t in themes)
    rows.extend(
        (u, t, "discovered")
        for u, t in zip(found["unit_id"], found["theme_id"], strict=True)
        if isinstance(t, str)
    )
    pairs = pd.DataFrame(rows, columns=["unit_id", "theme", "theme_kind"])
    # in (unit, theme) order, not the order Delta lists the discovered table's files in
    pairs = pairs.sort_values(["unit_id", "theme"], kind="stable")
    out = pairs.merge(frame.drop(columns=["themes"]), on="unit_id", how="inner")
    created = pd.to_datetime(out["created_at"], utc=True)
    out["week"] = created.dt.tz_localize(None).dt.to_period(freq).dt.start_time
    out["sentiment_score"] = out["sentiment_score"].astype(float)
    if accounts is not None:
        # units carry an account that is not a company as its pseudonym: join on both forms
        aliases = accounts.assign(account=accounts["account"].map(pseudonym))
        keyed = pd.concat([accounts, aliases]).drop_duplicates("account")
        out = out.merge(keyed, on="account", how="left")
        out["arr"] = out["arr"].fillna(0.0)
    return out


def theme_names(store: Store, taxonomy: Any | None) -> pd.DataFrame:
    """``theme``, ``name``, ``kind``, ``parent``, ``group``, ``group_name``: taxonomy themes
    (their group is their parent) and active discovered ones (their group from
    ``theme_groups``)."""
    rows = []
    if taxonomy is not None:
        by_id = {t.id: t for t in taxonomy.themes}
        for t in taxonomy.leaves:
            parent = by_id[t.parent].name if t.parent else None
            rows.append((t.id, t.name, "taxonomy", parent, t.parent or t.id, parent or t.name))
    registry = store.read("themes").to_pandas()
    groups = store.read("theme_groups").to_pandas()
    group_label = dict(zip(groups["group_id"], groups["label"], strict=True))
    group_of = registry["group_id"] if "group_id" in registry else [None] * len(registry)
    for theme_id, label, status, group in zip(
        registry["theme_id"], registry["label"], registry["status"], group_of, strict=True
    ):
        if status == "active":
            group = group if isinstance(group, str) else theme_id
            rows.append((theme_id, label, "discovered", "Discovered", group,
                         group_label.get(group, label)))  # fmt: skip
    return pd.DataFrame(rows, columns=["theme", "name", "kind", "parent", "group", "group_name"])


# --------------------------------------------------------------------------------- analyses


def item_counts(f: pd.DataFrame, all_items: pd.Series, by: str = "item_id") -> pd.DataFrame:
    """Votes (``by``: items, or accounts) per (theme, function), with the function's votes
    (``all_items``) beside them."""
    per = f.drop_duplicates(["theme", "function", by]).groupby(["theme", "function"])
    counts = per.size().rename("items").reset_index()
    counts["function_items"] = counts["function"].map(all_items).fillna(0).astype(int)
    return counts


def two_levels(
    f: pd.DataFrame, units: pd.DataFrame, names: pd.DataFrame, settings: ReportSettings
) -> pd.DataFrame:
    """Votes per (theme, function) and per (group, function), ``level`` saying which, for the
    blind-spot test: one vote per item, or per account (``settings.vote``; an item without an
    account votes on its own). Groups of one theme are the theme: not counted twice."""
    if settings.vote not in ("item", "account"):
        raise ConfigError(f"report vote must be 'item' or 'account', not {settings.vote!r}")

    def voters(frame: pd.DataFrame) -> pd.Series:
        if settings.vote == "item":
            return frame["item_id"]
        return frame["account"].where(frame["account"].notna(), "item:" + frame["item_id"])

    f = f.assign(voter=voters(f))
    every = units.assign(voter=voters(units))
    all_voters = every.drop_duplicates(["function", "voter"]).groupby("function").size()
    leaves = item_counts(f, all_voters, by="voter").assign(level="theme")
    group_of = dict(zip(names["theme"], names["group"], strict=True))
    size = names["group"].value_counts()
    grouped = f.assign(theme=f["theme"].map(group_of))
    grouped = grouped[grouped["theme"].map(size).fillna(0) > 1]
    groups = item_counts(grouped, all_voters, by="voter").assign(level="group")
    return pd.concat([leaves, groups], ignore_index=True)


def matrix(f: pd.DataFrame, all_items: pd.Series) -> pd.DataFrame:
    """Per theme and function: items, units, accounts, share of the function's items,
    mean sentiment, and ARR when accounts were given.

    Args:
        f: :func:`facts`.
        all_items: Items per function (every item with units, themed or not): the
            denominators of the shares.
    """
    grouped = f.groupby(["theme", "function"])
    out = pd.DataFrame(
        {
            "items": grouped["item_id"].nunique(),
            "units": grouped["unit_id"].nunique(),
            "accounts": grouped["account"].nunique(),
            "sentiment": grouped["sentiment_score"].mean().round(3),
        }
    ).reset_index()
    out["function_items"] = out["function"].map(all_items).fillna(0).astype(int)
    out["share"] = (out["items"] / out["function_items"].clip(lower=1)).round(4)
    if "arr" in f.columns:
        arr = f.drop_duplicates(["theme", "function", "account"]).groupby(["theme", "function"])
        out = out.merge(arr["arr"].sum().rename("arr").reset_index(), on=["theme", "function"])
    return out


def log_odds(y_a: np.ndarray, y_b: np.ndarray, prior: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds ratio of each word (here: theme) in corpus a vs b with an informative Dirichlet
    prior (Monroe et al. 2008, eq. 16-22): the difference and its z-score."""
    n_a, n_b, a0 = y_a.sum(), y_b.sum(), prior.sum()
    with np.errstate(divide="ignore", invalid="ignore"):  # one theme only: no contrast at all
        la = np.log(y_a + prior) - np.log(n_a + a0 - y_a - prior)
        lb = np.log(y_b + prior) - np.log(n_b + a0 - y_b - prior)
        delta = la - lb
        var = 1.0 / (y_a + prior) + 1.0 / (y_b + prior)
        z = delta / np.sqrt(var)
    finite = np.isfinite(delta) & np.isfinite(z)
    return np.where(finite, delta, 0.0), np.where(finite, z, 0.0)


def _p_two_sided(z: np.ndarray) -> np.ndarray:
    return np.array([math.erfc(abs(v) / math.sqrt(2)) for v in z])


def _contrasts(counts: pd.DataFrame, settings: ReportSettings, pairwise: bool) -> pd.DataFrame:
    """The log-odds ratio and z of every theme of one level in every function, against the
    other functions together (or each other function)."""
    table = counts.pivot_table(index="theme", columns="function", values="items", fill_value=0)
    functions = [c for c in table.columns if c != "Unknown"]
    total = table[functions].sum(axis=1).to_numpy(dtype=float)
    prior = settings.prior_weight * total / max(total.sum(), 1.0)
    prior = np.maximum(prior, 1e-3)
    rows = []
    for f in functions:
        others = [g for g in functions if g != f]
        against = (
            [(g, table[g]) for g in others] if pairwise else [("others", table[others].sum(axis=1))]
        )
        y_a = table[f].to_numpy(dtype=float)
        for name, column in against:
            y_b = column.to_numpy(dtype=float)
            delta, z = log_odds(y_a, y_b, prior)
            for i, theme in enumerate(table.index):
                rows.append((theme, f, name, int(y_a[i]), int(y_b[i]), delta[i], z[i]))
    return pd.DataFrame(
        rows, columns=["theme", "function", "versus", "items", "items_versus", "log_odds", "z"]
    )


def blind_spots(
    counts: pd.DataFrame, settings: ReportSettings, *, pairwise: bool = False
) -> pd.DataFrame:
    """The log-odds test of every theme in every function against the others (or, with
    ``pairwise``, against each other function), at each ``level`` of ``counts`` (themes and
    their groups, tested apart, adjusted together), ranked within each function and level by
    the effect a reader can count on (the interval's bound nearest zero)."""
    if "level" not in counts:
        counts = counts.assign(level="theme")
    functions = sorted(set(counts["function"]) - {"Unknown"})
    parts = [
        _contrasts(part, settings, pairwise).assign(level=level)
        for level, part in counts.groupby("level", sort=True)
    ]
    out = (
        pd.concat(parts, ignore_index=True)
        if parts  # no counts at all: an empty table of the same columns
        else _contrasts(counts, settings, pairwise).assign(level="theme")
    )
    out["p_value"] = _p_two_sided(out["z"].to_numpy())
    out["p_adjusted"] = bh_adjust(out["p_value"].to_numpy())
    totals = counts.drop_duplicates("function").set_index("function")["function_items"]
    out["share"] = (out["items"] / out["function"].map(totals).clip(lower=1)).round(4)
    if pairwise:
        out["share_versus"] = (out["items_versus"] / out["versus"].map(totals).clip(lower=1)).round(
            4
        )
    else:
        rest = {
            f: totals.drop(f, errors="ignore").drop("Unknown", errors="ignore").sum()
            for f in functions
        }
        out["share_versus"] = (out["items_versus"] / out["function"].map(rest).clip(lower=1)).round(
            4
        )
    out["direction"] = np.where(out["z"] > 0, "hears more", "hears less")
    supported = np.where(out["z"] > 0, out["items"], out["items_versus"]) >= settings.min_items
    out["significant"] = supported & (out["p_adjusted"] < settings.alpha)
    # the interval of the log-odds ratio, and the effect a reader can count on: its bound
    # nearest zero (how much more, or less, at least)
    se = np.where(out["z"] != 0, out["log_odds"] / out["z"].where(out["z"] != 0, 1.0), np.inf)
    out["ci_low"] = (out["log_odds"] - Z95 * se).round(4)
    out["ci_high"] = (out["log_odds"] + Z95 * se).round(4)
    out["effect"] = np.where(out["z"] > 0, out["ci_low"], -out["ci_high"]).clip(min=0).round(4)
    out["log_odds"] = out["log_odds"].round(4)
    out["z"] = out["z"].round(3)
    out = out[supported].sort_values(
        ["function", "versus", "level", "significant", "effect", "log_odds", "theme"],
        ascending=[True, True, False, False, False, False, True],
    )
    out["rank"] = out.groupby(["function", "versus", "level"]).cumcount() + 1
    return out.reset_index(drop=True)


def findings(spots: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """What each function hears that the others miss, one finding per group of themes: the
    significant "hears more" rows of ``spots`` (:func:`blind_spots`, against the others), at
    the level with the clearest signal: a group when its effect is at least that of its best
    theme, else that theme (``themes``: :func:`theme_names`, with ``group``). Ranked by effect
    within each function (``finding_rank``), with the group's significant themes beside it."""
    columns = [*spots.columns, "group", "members", "finding_rank"]
    mine = spots[spots["significant"] & (spots["z"] > 0) & (spots["versus"] == "others")]
    if not len(mine):
        return pd.DataFrame(columns=columns)
    group_of = dict(zip(themes["theme"], themes["group"], strict=True))
    size = themes["group"].value_counts().to_dict()
    leaves = mine[mine["level"] == "theme"].assign(group=lambda d: d["theme"].map(group_of))
    groups = mine[mine["level"] == "group"].assign(group=lambda d: d["theme"])
    rows = []
    for function in sorted(set(mine["function"])):
        f_leaves = leaves[leaves["function"] == function]
        f_groups = groups[groups["function"] == function].set_index("group")
        for group, part in f_leaves.groupby("group", sort=True):
            best = part.sort_values(["effect", "theme"], ascending=[False, True]).iloc[0]
            members = part.sort_values("effect", ascending=False)["theme"].tolist()
            if group in f_groups.index and size.get(group, 1) > 1:
                g = f_groups.loc[group]
                if g["effect"] >= best["effect"]:
                    rows.append({**g.to_dict(), "theme": group, "group": group,
                                 "members": members})  # fmt: skip
                    continue
            rows.append({**best.to_dict(), "members": members})
        # a group significant though none of its themes is (many small signals)
        for group, g in f_groups.iterrows():
            if group not in set(f_leaves["group"]):
                rows.append({**g.to_dict(), "theme": group, "group": group, "members": []})
    out = pd.DataFrame(rows)
    out = out.sort_values(["function", "effect", "theme"], ascending=[True, False, True])
    out["finding_rank"] = out.groupby("function").cumcount() + 1
    return out[columns].reset_index(drop=True)


def trends(f: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """Items per theme and period (``function`` = ``All``) and per theme, function and period;
    every period of the data's range is present, zeros included."""
    f = f.dropna(subset=["week"])
    columns = ["theme", "function", "week", "items"]
    if not len(f):
        return pd.DataFrame(columns=columns)
    periods = pd.period_range(f["week"].min(), f["week"].max(), freq=settings.freq)
    grid_weeks = pd.DataFrame({"week": periods.start_time})
    frames = []
    for by in (["theme"], ["theme", "function"]):
        counts = (
            f.drop_duplicates([*by, "week", "item_id"])
            .groupby([*by, "week"])
            .size()
            .rename("items")
            .reset_index()
        )
        grid = counts[by].drop_duplicates().merge(grid_weeks, how="cross")
        long = grid.merge(counts, on=[*by, "week"], how="left").fillna({"items": 0})
        if "function" not in long.columns:
            long["function"] = "All"
        frames.append(long[columns])
    out = pd.concat(frames, ignore_index=True)
    out["items"] = out["items"].astype(int)
    return out


def spikes(trend: pd.DataFrame, settings: ReportSettings) -> pd.DataFrame:
    """The weeks that are spikes (see the module docstring), per theme and per theme and
    function, with the trailing mean and the ratio."""
    rows = []
    w = settings.spike_window
    n_weeks = trend["week"].nunique()
    tests = trend.groupby(["theme", "function"]).ngroups * max(n_weeks - w, 1)
    threshold = settings.alpha / max(tests, 1)
    for (theme, function), group in trend.groupby(["theme", "function"], sort=True):
        counts = group.sort_values("week")["items"].to_numpy(dtype=float)
        weeks = group.sort_values("week")["week"].to_numpy()
        for i in range(w, len(counts)):
            window = counts[i - w : i]
            mean, sd, c = window.mean(), window.std(), counts[i]
            if c < settings.spike_min_items or c < 2 * mean or c <= mean + 2 * sd:
                continue
            p = float(poisson.sf(c - 1, max(mean, 1.0)))
            if p < threshold:
                rows.append(
                    (
                        theme,
                        function,
                        weeks[i],
                        int(c),
                        round(mean, 2),
                        round(c / max(mean, 1.0), 2),
                        p,
                    )
                )
    return pd.DataFrame(
        rows, columns=["theme", "function", "week", "items", "trailing_mean", "ratio", "p_value"]
    )


def entities_by_function(units: pd.DataFrame) -> pd.DataFrame:
    """Mentions (items) of each product, feature and competitor per function (``units``:
    :func:`read_units`)."""
    rows = [
        (e["type"], e["id"], function, item_id)
        for ents, function, item_id in zip(
            units["entities"], units["function"], units["item_id"], strict=True
        )
        if isinstance(ents, (list, np.ndarray))
        for e in ents
    ]
    frame = pd.DataFrame(rows, columns=["type", "entity", "function", "item_id"]).drop_duplicates()
    out = frame.groupby(["type", "entity", "function"]).size().rename("items").reset_index()
    return out.sort_values(["type", "items"], ascending=[True, False]).reset_index(drop=True)


def quotes(
    f: pd.DataFrame, vectors: dict[str, np.ndarray], mask: pd.Series, k: int
) -> list[dict[str, Any]]:
    """Up to ``k`` quotes among the units of ``f[mask]``: central and unlike each other, one
    per item."""
    rows = f[mask].drop_duplicates("unit_id")
    if not len(rows):
        return []
    X = np.stack([vectors[u] for u in rows["unit_id"]])
    center = X.mean(axis=0)
    center /= max(float(np.linalg.norm(center)), 1e-12)
    picked = representatives(X, rows["text"].tolist(), center, k=3 * k)
    out, seen_items = [], set()
    for i in picked:
        row = rows.iloc[i]
        if row["item_id"] in seen_items:
            continue
        seen_items.add(row["item_id"])
        out.append(
            {
                "unit_id": row["unit_id"],
                "item_id": row["item_id"],
                "text": row["text"],
                "connector": row["source"],
                "source_name": row["source_name"],
                # never the file name nor an id that could name someone (.safety)
                "native_id": safe_reference(row["native_id"], row["item_id"], row["source_path"]),
                "date": pd.Timestamp(row["created_at"]).strftime("%Y-%m-%d")
                if pd.notna(row["created_at"])
                else None,
                "function": row["function"],
                "account": safe_account(row["account"]),
            }
        )
        if len(out) == k:
            break
    return out


# ----------------------------------------------------------------------------------- build


def build_report(
    store: Store | str | Path,
    *,
    taxonomy: Any | None = None,
    accounts: pd.DataFrame | None = None,
    settings: ReportSettings | None = None,
    previous: dict[str, Any] | None = None,
) -> Report:
    """Compute every analysis of the report (nothing written: :func:`write_report`).

    Args:
        previous: The previous report's tables (:func:`read_previous`): what changed since.
    """
    settings = settings or ReportSettings()
    store = store if isinstance(store, Store) else Store.open(store)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    units = read_units(store)
    f = facts(
        store,
        units,
        accounts=accounts,
        freq=settings.freq,
        voices=settings.voices,
        min_substance=settings.min_substance,
    )
    if settings.min_arr is not None:
        if accounts is None:
            raise ConfigError("--min-arr needs an accounts file (--accounts FILE).")
        f = f[f["arr"] >= settings.min_arr]
    names = theme_names(store, taxonomy)
    f = f[f["theme"].isin(set(names["theme"]))]
    all_items = units.drop_duplicates(["function", "item_id"]).groupby("function").size()
    timings["read"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    counts = two_levels(f, units, names, settings)
    tables: dict[str, pd.DataFrame] = {}
    tables["matrix"] = matrix(f, all_items)
    tables["blind_spots"] = blind_spots(counts, settings)
    tables["findings"] = findings(tables["blind_spots"], names)
    tables["pairwise"] = blind_spots(counts[counts["level"] == "theme"], settings, pairwise=True)
    trend = trends(f, settings)
    tables["trends"] = trend
    tables["spikes"] = spikes(trend, settings)
    tables["entities"] = entities_by_function(units)
    last_week = f["week"].max() if len(f) else None
    first_seen = f.groupby("theme")["week"].min()
    new = (
        set(first_seen[first_seen > last_week - pd.Timedelta(weeks=settings.new_weeks)].index)
        if last_week is not None
        else set()
    )
    totals = f.groupby("theme").agg(items=("item_id", "nunique"), units=("unit_id", "nunique"),
                                    sentiment=("sentiment_score", "mean"))  # fmt: skip
    themes = names.merge(totals.reset_index(), on="theme", how="left").fillna(
        {"items": 0, "units": 0}
    )
    themes["items"] = themes["items"].astype(int)
    themes["units"] = themes["units"].astype(int)
    themes["sentiment"] = themes["sentiment"].round(3)
    themes["new"] = themes["theme"].isin(new)
    themes = themes.sort_values(["items", "theme"], ascending=[False, True])
    tables["themes"] = themes.reset_index(drop=True)
    tables["groups"] = group_table(f, tables["themes"])
    tables["changes"] = changes(f, tables, previous, settings)
    timings["analyses"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    wanted = units[units["unit_id"].isin(set(f["unit_id"]))].drop_duplicates("unit_id")
    vectors = (
        dict(zip(wanted["unit_id"], store.vectors(wanted), strict=True)) if len(wanted) else {}
    )
    tables["evidence"] = evidence(f, tables, vectors, settings)
    timings["evidence"] = time.perf_counter() - t0
    summary = {
        "items": int(units["item_id"].nunique()),
        "units": len(units),
        "themes": int((themes["items"] > 0).sum()),
        "functions": sorted(set(all_items.index) - {"Unknown"}),
        "period": [
            str(f["week"].min().date()) if len(f) else None,
            str(last_week.date()) if last_week is not None else None,
        ],
        "last_week": str(last_week.date()) if last_week is not None else None,
        "blind_spots": int(tables["blind_spots"]["significant"].sum()),
        "findings": len(tables["findings"]),
        "findings_shown": settings.findings,
        "groups": int((tables["groups"]["kind"] == "discovered").sum()),
        "previous_report": (previous or {}).get("id"),
        "vote": settings.vote,
        "spikes": len(tables["spikes"]),
        "new_themes": sorted(new),
        "accounts_file": accounts is not None,
        "min_arr": settings.min_arr,
        "min_items": settings.min_items,
    }
    return Report(tables, summary, timings=timings)


def group_table(f: pd.DataFrame, themes: pd.DataFrame) -> pd.DataFrame:
    """One row per group of themes: ``group``, ``name``, ``kind``, ``themes`` (how many),
    ``items``, ``units``, largest first."""
    columns = ["group", "name", "kind", "themes", "items", "units"]
    if not len(themes):
        return pd.DataFrame(columns=columns)
    group_of = dict(zip(themes["theme"], themes["group"], strict=True))
    g = f.assign(group=f["theme"].map(group_of))
    totals = g.groupby("group").agg(items=("item_id", "nunique"), units=("unit_id", "nunique"))
    out = (
        themes.groupby("group", sort=True)
        .agg(name=("group_name", "first"), kind=("kind", "first"), themes=("theme", "size"))
        .join(totals)
        .fillna({"items": 0, "units": 0})
        .reset_index()
    )
    out[["items", "units"]] = out[["items", "units"]].astype(int)
    return out.sort_values(["items", "group"], ascending=[False, True])[columns].reset_index(
        drop=True
    )


def evidence(
    f: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    vectors: dict[str, np.ndarray],
    settings: ReportSettings,
) -> pd.DataFrame:
    """Quotes for each finding: every theme, each significant blind spot, each spike."""
    rows = []
    k = settings.quotes

    def add(kind: str, key: str, theme: str, function: str | None, mask: pd.Series) -> None:
        for rank, q in enumerate(quotes(f, vectors, mask, k), start=1):
            rows.append({"finding": kind, "finding_key": key, "theme": theme,
                         "finding_function": function, "rank": rank, **q})  # fmt: skip

    for theme in tables["themes"].loc[tables["themes"]["items"] > 0, "theme"]:
        add("theme", theme, theme, None, f["theme"] == theme)
    group_of = dict(zip(tables["themes"]["theme"], tables["themes"]["group"], strict=True))
    for _, s in tables["findings"].iterrows():
        key = f"{s['theme']}|{s['function']}|{s['direction']}"
        in_function = f["function"] == s["function"]
        about = (
            f["theme"].map(group_of) == s["theme"]
            if s["level"] == "group"
            else f["theme"] == s["theme"]
        )
        add("blind_spot", key, s["theme"], s["function"], about & in_function)
    for _, s in tables["spikes"].iterrows():
        key = f"{s['theme']}|{s['function']}|{pd.Timestamp(s['week']).date()}"
        mask = (f["theme"] == s["theme"]) & (f["week"] == s["week"])
        if s["function"] != "All":
            mask &= f["function"] == s["function"]
        add("spike", key, s["theme"], s["function"], mask)
    columns = ["finding", "finding_key", "theme", "finding_function", "rank", "unit_id", "item_id",
               "text", "connector", "source_name", "native_id", "date", "function",
               "account"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def theme_label(themes: pd.DataFrame) -> dict[str, str]:
    """``{theme key: readable name}``."""
    return dict(zip(themes["theme"], themes["name"], strict=True))


def ordered_functions(report: Report) -> Sequence[str]:
    return [f for f in report.summary["functions"] if f != "Unknown"]
