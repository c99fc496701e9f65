"""Curating discovered themes: list, rename, merge, and promote one into the taxonomy.

Each change is a run of its own (the store's lock, a manifest, an event in ``theme_events``),
so it is atomic and shows in ``silobridge runs``. Theme ids never change: a renamed theme keeps
its id, a merged theme stays in the registry as ``merged`` (pointing to the theme it went into),
a promoted one as ``promoted`` (pointing to its taxonomy id).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .._version import __version__
from ..classifiers.cluster import normalize
from ..errors import ConfigError
from ..taxonomy import Theme, add_theme
from .discover import ACTIVE, append_events
from .store.schema import DISCOVERED, THEMES
from .store.store import Store, StoreWriter, new_run_id


def list_themes(store: Store | str | Path, *, all_themes: bool = False) -> pd.DataFrame:
    """The registry's themes in their groups (``group_id``, ``group_label``, ``group_size``),
    largest group first and largest theme first within it (only active themes unless
    ``all_themes``; a theme without a group, as an older store's, is its own)."""
    store = store if isinstance(store, Store) else Store.open(store)
    themes = store.read("themes").to_pandas().drop(columns=["centroid"])
    if not all_themes:
        themes = themes[themes["status"] == ACTIVE]
    groups = store.read("theme_groups", columns=["group_id", "label", "size"]).to_pandas()
    themes = themes.merge(
        groups.rename(columns={"label": "group_label", "size": "group_size"}),
        on="group_id",
        how="left",
    )
    themes["group_label"] = themes["group_label"].fillna("")
    themes["group_size"] = themes["group_size"].fillna(themes["size"]).astype(int)
    return themes.sort_values(
        ["group_size", "group_id", "size", "theme_id"], ascending=[False, True, False, True]
    ).reset_index(drop=True)


def _curate(store: Store | str | Path, action: str, change: Any, **details: Any) -> dict[str, Any]:
    """Run ``change(writer, themes, now)`` under the store's lock and commit it as a run."""
    store = store if isinstance(store, Store) else Store.open(store)
    now = datetime.now(UTC)
    run_id = new_run_id(now)
    with store.writing(run_id) as writer:
        themes = writer.read("themes").to_pandas()
        events = change(writer, themes)
        writer.replace_all(
            "themes", pa.Table.from_pandas(themes[THEMES.names], preserve_index=False)
        )
        append_events(writer, pd.DataFrame(events), at=now)
        writer.commit(
            {
                "kind": "curate",
                "action": action,
                "silobridge_version": __version__,
                "started_at": now.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "outcome": "ok",
                "counts": {"events": len(events)},
                "details": details,
            }
        )
    return {"run_id": run_id, "events": events}


def _row(themes: pd.DataFrame, theme_id: str, *, active: bool = True) -> int:
    hits = themes.index[themes["theme_id"] == theme_id]
    if not len(hits):
        known = ", ".join(themes.loc[themes["status"] == ACTIVE, "theme_id"].head(20))
        raise ConfigError(f"No discovered theme {theme_id!r}. Active themes: {known or 'none'}.")
    if active and themes.at[hits[0], "status"] != ACTIVE:
        raise ConfigError(
            f"Theme {theme_id} is {themes.at[hits[0], 'status']}, not active; "
            "`silobridge themes --all` shows what became of it."
        )
    return int(hits[0])


def _event(event: str, theme_id: str, others: Sequence[str] = (), detail: str = "") -> dict:
    return {"event": event, "theme_id": theme_id, "other_ids": list(others), "detail": detail}


def rename_theme(store: Store | str | Path, theme_id: str, label: str) -> dict[str, Any]:
    """Give a theme a label of your own; later runs keep it (and no other theme takes it)."""
    label = " ".join(label.split())
    if not label:
        raise ConfigError("The new label is empty.")

    def change(writer: StoreWriter, themes: pd.DataFrame) -> list[dict]:
        row = _row(themes, theme_id)
        others = themes[(themes["status"] == ACTIVE) & (themes["theme_id"] != theme_id)]
        if label.lower() in set(others["label"].str.lower()):
            raise ConfigError(f"Another active theme is labelled {label!r}; labels are distinct.")
        old = themes.at[row, "label"]
        themes.at[row, "label"] = label
        themes.at[row, "label_source"] = "user"
        return [_event("renamed", theme_id, detail=f"{old} -> {label}")]

    return _curate(store, "rename", change, theme_id=theme_id)


def merge_themes(
    store: Store | str | Path, theme_ids: Sequence[str], *, into: str | None = None
) -> dict[str, Any]:
    """Merge themes into one (``into``, default the largest); the others keep their ids as
    ``merged`` and their units move to ``into``."""
    ids = list(dict.fromkeys(theme_ids))
    if len(ids) < 2:
        raise ConfigError("Name at least two themes to merge.")

    def change(writer: StoreWriter, themes: pd.DataFrame) -> list[dict]:
        rows = [_row(themes, t) for t in ids]
        target = into or max(ids, key=lambda t: (themes.at[_row(themes, t), "size"], t))
        if target not in ids:
            raise ConfigError(f"--into {target} must be one of the merged themes.")
        target_row = _row(themes, target)
        sizes = np.array([themes.at[r, "size"] for r in rows], dtype=np.float64)
        centroids = np.stack([np.asarray(themes.at[r, "centroid"], np.float32) for r in rows])
        themes.at[target_row, "centroid"] = normalize(
            (sizes[:, None] * centroids).sum(axis=0, keepdims=True)
        )[0].tolist()
        themes.at[target_row, "size"] = int(sizes.sum())
        themes.at[target_row, "radius"] = float(min(themes.at[r, "radius"] for r in rows))
        gone = [t for t in ids if t != target]
        for t in gone:
            r = _row(themes, t)
            themes.at[r, "status"] = "merged"
            themes.at[r, "merged_into"] = target
        assigned = writer.read("discovered").to_pandas()
        moved = assigned["theme_id"].isin(gone)
        assigned.loc[moved, "theme_id"] = target
        assigned.loc[moved, "assigned_by"] = "curated"
        writer.replace_all(
            "discovered", pa.Table.from_pandas(assigned, preserve_index=False).cast(DISCOVERED)
        )
        return [_event("merged", target, gone, f"{int(moved.sum())} units moved by hand")]

    return _curate(store, "merge", change, theme_ids=ids)


def suggest_id(label: str) -> str:
    """A taxonomy id from a label: ``"Data residency (EU)"`` gives ``data_residency_eu``."""
    slug = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")
    return slug if slug[:1].isalpha() else f"theme_{slug}"


def promote_theme(
    store: Store | str | Path,
    theme_id: str,
    *,
    taxonomy: str | Path,
    parent: str | None = None,
    new_id: str | None = None,
    name: str | None = None,
    description: str | None = None,
    n_examples: int = 3,
) -> tuple[Theme, dict[str, Any]]:
    """Write a discovered theme into the taxonomy file, with its representatives as examples
    and its top terms as keywords, so the next classify run labels its units directly."""
    store = store if isinstance(store, Store) else Store.open(store)
    themes = store.read("themes").to_pandas()
    row = _row(themes, theme_id)
    label = str(themes.at[row, "label"])
    terms = list(themes.at[row, "terms"])
    reps = list(themes.at[row, "representatives"])
    units = store.units(columns=["unit_id", "text"])
    by_id = dict(zip(units["unit_id"], units["text"], strict=True))
    examples = [by_id[u] for u in reps if u in by_id][:n_examples]
    new_id = new_id or suggest_id(name or label)
    added = add_theme(
        taxonomy,
        theme_id=new_id,
        name=name or label[:1].upper() + label[1:],
        description=description
        or f"Discovered theme {theme_id}: customers mention {', '.join(terms[:5])}.",
        parent=parent,
        examples=examples,
        keywords=[t for t in terms if len(t.split()) >= 2][:3],
    )

    def change(writer: StoreWriter, current: pd.DataFrame) -> list[dict]:
        r = _row(current, theme_id)
        current.at[r, "status"] = "promoted"
        current.at[r, "promoted_to"] = added.id
        return [_event("promoted", theme_id, [added.id], f"into {taxonomy}")]

    return added, _curate(store, "promote", change, theme_id=theme_id, taxonomy_id=added.id)
