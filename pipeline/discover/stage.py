"""The discover stage's runs: clustering, ids kept across runs, groups, the registry.

See :mod:`silobridge.pipeline.discover` for what a run does; :mod:`.labels` labels themes and
groups.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.optimize import linear_sum_assignment

from ..._version import __version__
from ...classifiers.cluster import ThemeClusterer, assign, group_themes, normalize, theme_radius
from ..embed import embed
from ..store.cache import EmbeddingCache
from ..store.schema import DISCOVERED, THEME_EVENTS, THEME_GROUPS, THEMES
from ..store.store import Store, StoreWriter, new_run_id
from ..voice import DEFAULT_VOICES, customer_voice
from .labels import Themes, default_embedder, describe, describe_groups

log = logging.getLogger(__name__)

ACTIVE = "active"


def match_centroids(
    new: np.ndarray, old: np.ndarray, threshold: float
) -> list[tuple[int, int, float]]:
    """One-to-one pairs ``(new index, old index, similarity)`` maximising total cosine
    similarity (Hungarian algorithm), keeping pairs at or above ``threshold``."""
    if len(new) == 0 or len(old) == 0:
        return []
    sim = normalize(new) @ normalize(old).T
    rows, cols = linear_sum_assignment(-sim)
    return [
        (int(r), int(c), float(sim[r, c]))
        for r, c in zip(rows, cols, strict=True)
        if sim[r, c] >= threshold
    ]


@dataclass
class DiscoverResult:
    """What :func:`run_discover` returns."""

    assignments: pd.DataFrame
    themes: pd.DataFrame
    events: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str = ""
    groups: pd.DataFrame = field(default_factory=lambda: THEME_GROUPS.empty_table().to_pandas())


class DiscoverStage:
    """Theme discovery's settings.

    Args:
        min_size: Smallest discovered theme (units).
        match_threshold: Cosine similarity of centroids above which a cluster is the same
            theme as a registered one.
        seed: Random seed of the clustering.
        clusterer: The clustering estimator (default :class:`ThemeClusterer`).
        stop_words: Words that never start or end a label (the company's own names: every
            customer says them).
        voices: The voices discovery looks at (``[voice] count``, :func:`.voice.customer_voice`).
        min_substance: The least substance a unit needs (``None``: the substance model's).
        embedder: The model the units' vectors come from (:class:`~.embed.Embedder`; ``None``:
            the default model): labels are chosen by their similarity to the theme's centroid
            (:func:`describe`). Vectors of another model: labels by c-TF-IDF alone.
    """

    def __init__(
        self,
        *,
        min_size: int = 5,
        match_threshold: float = 0.8,
        seed: int = 0,
        clusterer: ThemeClusterer | None = None,
        stop_words: Sequence[str] = (),
        voices: Sequence[str] = DEFAULT_VOICES,
        min_substance: float | None = None,
        embedder: Any | None = None,
    ):
        self.embedder = embedder
        self.voices = tuple(voices)
        self.min_substance = min_substance
        self.min_size = min_size
        self.match_threshold = match_threshold
        self.seed = seed
        self.clusterer = clusterer
        self.stop_words = tuple(stop_words)

    def make_clusterer(self) -> ThemeClusterer:
        if self.clusterer is not None:
            return self.clusterer
        return ThemeClusterer(min_size=self.min_size, random_state=self.seed)

    def run(
        self,
        units: pd.DataFrame,
        vectors: np.ndarray,
        *,
        registry: pd.DataFrame,
        previous: pd.DataFrame,
        rebuild: bool = False,
        run_id: str = "",
        model_id: str = "",
        groups: pd.DataFrame | None = None,
        cache: EmbeddingCache | None = None,
    ) -> DiscoverResult:
        """Assign ``units`` (with their ``vectors``) to themes, updating the ``registry``.

        Args:
            units: Candidate units: ``unit_id``, ``item_id``, ``source_name``, ``text``, and
                optionally ``account`` (no label names one).
            vectors: Their embeddings.
            registry: The stored ``themes`` table (may be empty).
            previous: The stored ``discovered`` table: each unit's theme so far.
            rebuild: Cluster every unit again instead of adding to the themes.
            run_id: This run's id (recorded on new and updated themes).
            model_id: The embedding model (a change forces a rebuild).
            groups: The stored ``theme_groups`` table (may be empty or ``None``).
            cache: Where the vectors of label candidates persist between runs (the store's
                embedding cache: a nightly run with the same candidates loads no model).
        """
        # the clustering depends on the order of its input; the result must not (a store's file
        # layout, a shuffled DataFrame): units are taken in unit id order
        ids = units["unit_id"].to_numpy().astype(str)
        if len(ids) > 1 and not (ids[1:] >= ids[:-1]).all():  # a copy only when needed
            order = np.argsort(ids, kind="stable")
            units = units.iloc[order].reset_index(drop=True)
            vectors = np.asarray(vectors)[order]
        X = normalize(vectors) if len(units) else np.empty((0, 384), np.float32)
        plan = _Plan(self, registry.copy(), run_id, model_id, groups)
        plan.cache = cache
        active = plan.registry[plan.registry["status"] == ACTIVE]
        stale_model = bool(len(active)) and set(active["model_id"]) != {model_id}
        mode = "rebuild" if rebuild or not len(active) or stale_model else "incremental"
        if mode == "rebuild":
            labels, by = plan.rebuild(units, X, previous)
        else:
            labels, by = plan.incremental(units, X, previous)
        return plan.finish(units, X, labels, by, mode=mode, stale_model=stale_model)


class _Plan:
    """One run's changes to the registry (internal to :class:`DiscoverStage`)."""

    def __init__(
        self,
        stage: DiscoverStage,
        registry: pd.DataFrame,
        run_id: str,
        model_id: str,
        groups: pd.DataFrame | None = None,
    ):
        self.stage = stage
        self.cache: EmbeddingCache | None = None
        self.registry = registry.reset_index(drop=True)
        if "group_id" not in self.registry:
            self.registry["group_id"] = None
        self.groups = (
            groups.reset_index(drop=True)
            if groups is not None
            else THEME_GROUPS.empty_table().to_pandas()
        )
        self.run_id = run_id
        self.model_id = model_id
        self.events: list[dict[str, Any]] = []
        numbers = [int(t[1:]) for t in self.registry["theme_id"] if t[1:].isdigit()]
        self.next_number = max(numbers, default=0) + 1

    def new_id(self) -> str:
        theme_id = f"D{self.next_number:04d}"
        self.next_number += 1
        return theme_id

    def event(
        self, event: str, theme_id: str, others: Sequence[str] = (), detail: str = ""
    ) -> None:
        self.events.append(
            {"event": event, "theme_id": theme_id, "other_ids": list(others), "detail": detail}
        )

    def active(self) -> pd.DataFrame:
        return self.registry[self.registry["status"] == ACTIVE]

    # ------------------------------------------------------------------------------ modes

    def incremental(
        self, units: pd.DataFrame, X: np.ndarray, previous: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray]:
        """Keep assignments, add new units to themes they fall inside, cluster the rest."""
        active = self.active()
        ids = active["theme_id"].tolist()
        before = dict(zip(previous["unit_id"], previous["theme_id"], strict=True))
        theme_of = np.array([before.get(u) for u in units["unit_id"]], dtype=object)
        by = np.where(pd.notna(theme_of), "kept", "").astype(object)
        stale = np.array([t not in ids for t in theme_of], dtype=bool)
        theme_of[stale] = None
        by[stale] = ""
        todo = np.flatnonzero(pd.isna(theme_of))
        if len(todo) and ids:
            centers = np.stack([np.asarray(c, np.float32) for c in active["centroid"]])
            nearest, _ = assign(X[todo], centers, active["radius"].to_numpy())
            hit = nearest >= 0
            theme_of[todo[hit]] = np.asarray(ids, dtype=object)[nearest[hit]]
            by[todo[hit]] = "nearest"
        residue = np.flatnonzero(pd.isna(theme_of))
        if len(residue) >= 2 * self.stage.min_size:
            clusterer = self.stage.make_clusterer().fit(X[residue])
            found = clusterer.labels_
            centers_new = clusterer.cluster_centers_
            old_centers = (
                np.stack([np.asarray(c, np.float32) for c in active["centroid"]])
                if ids
                else np.empty((0, X.shape[1]), np.float32)
            )
            pairs = {
                n: ids[o]
                for n, o, _ in match_centroids(centers_new, old_centers, self.stage.match_threshold)
            }
            for c in range(len(centers_new)):
                members = residue[found == c]
                theme_id = pairs.get(c) or self._create(f"{len(members)} units")
                theme_of[members] = theme_id
                by[members] = "cluster"
        return theme_of, by

    def rebuild(
        self, units: pd.DataFrame, X: np.ndarray, previous: pd.DataFrame
    ) -> tuple[np.ndarray, np.ndarray]:
        """Cluster every unit, then give each cluster the id of the theme it continues."""
        theme_of = np.full(len(units), None, dtype=object)
        by = np.full(len(units), "", dtype=object)
        if len(units) < max(2, self.stage.min_size):
            self._retire_missing(set())
            return theme_of, by
        clusterer = self.stage.make_clusterer().fit(X)
        found, centers = clusterer.labels_, clusterer.cluster_centers_
        active = self.active()
        old_ids = active["theme_id"].tolist()
        same_model = set(active["model_id"]) == {self.model_id}
        old_centers = (
            np.stack([np.asarray(c, np.float32) for c in active["centroid"]])
            if old_ids and same_model
            else np.empty((0, X.shape[1]), np.float32)
        )
        match = {
            n: old_ids[o]
            for n, o, _ in match_centroids(centers, old_centers, self.stage.match_threshold)
        }
        # who each unit belonged to before: a second matching by shared units, and the record
        # of merges and splits
        before = dict(zip(previous["unit_id"], previous["theme_id"], strict=True))
        old_of = np.array([before.get(u) for u in units["unit_id"]], dtype=object)
        overlap: dict[int, Counter[str]] = {
            c: Counter(t for t in old_of[found == c] if t in old_ids) for c in range(len(centers))
        }
        old_sizes = Counter(t for t in old_of if t in old_ids)
        for c in range(len(centers)):
            if c in match or not overlap[c]:
                continue
            old, shared = overlap[c].most_common(1)[0]
            union = (found == c).sum() + old_sizes[old] - shared
            if old not in match.values() and shared / union >= 0.5:
                match[c] = old
        for c in range(len(centers)):
            members = np.flatnonzero(found == c)
            if c in match:
                theme_of[members] = match[c]
            else:
                parent = overlap[c].most_common(1)[0][0] if overlap[c] else ""
                share = overlap[c][parent] / len(members) if parent else 0.0
                if parent and parent in match.values() and share >= 0.5:
                    theme_id = self._create(f"{len(members)} units", split_from=parent)
                    self.event("split", parent, [theme_id], f"{overlap[c][parent]} units moved")
                else:
                    theme_id = self._create(f"{len(members)} units")
                theme_of[members] = theme_id
            by[members] = "cluster"
        kept = set(match.values())
        for old in old_ids:
            if old in kept:
                continue
            went = Counter(
                t for t, o in zip(theme_of, old_of, strict=True) if o == old and t is not None
            )
            target, n = went.most_common(1)[0] if went else (None, 0)
            if target is not None and n >= 0.5 * old_sizes[old] and target in kept:
                self._set(old, status="merged", merged_into=target)
                self.event("merged", target, [old], f"{n} of {old_sizes[old]} units")
        self._retire_missing(set(t for t in theme_of if t is not None))
        return theme_of, by

    # ---------------------------------------------------------------------------- helpers

    def _create(self, detail: str, *, split_from: str | None = None) -> str:
        theme_id = self.new_id()
        row = {
            "theme_id": theme_id,
            "label": "",
            "label_source": "auto",
            "terms": [],
            "representatives": [],
            "size": 0,
            "status": ACTIVE,
            "merged_into": None,
            "split_from": split_from,
            "promoted_to": None,
            "radius": 0.0,
            "centroid": [],
            "model_id": self.model_id,
            "first_run_id": self.run_id,
            "last_run_id": self.run_id,
        }
        self.registry = pd.concat([self.registry, pd.DataFrame([row])], ignore_index=True)
        self.event("created", theme_id, [split_from] if split_from else [], detail)
        return theme_id

    def _set(self, theme_id: str, **values: Any) -> None:
        (at,) = self.registry.index[self.registry["theme_id"] == theme_id]
        for key, value in {**values, "last_run_id": self.run_id}.items():
            if self.registry[key].dtype != object:
                self.registry[key] = self.registry[key].astype(object)
            self.registry.at[at, key] = value

    def _retire_missing(self, alive: set[str]) -> None:
        for theme_id in self.active()["theme_id"]:
            if theme_id not in alive:
                self._set(theme_id, status="retired")
                self.event("retired", theme_id, detail="no units left")

    def finish(
        self,
        units: pd.DataFrame,
        X: np.ndarray,
        theme_of: np.ndarray,
        by: np.ndarray,
        *,
        mode: str,
        stale_model: bool,
    ) -> DiscoverResult:
        """Centroids, radii, labels and representatives of the active themes; the tables."""
        self._retire_missing(set(t for t in theme_of if t is not None))
        active = self.active()
        ids = active["theme_id"].tolist()
        index = {t: i for i, t in enumerate(ids)}
        labels = np.array([index.get(t, -1) if t else -1 for t in theme_of], dtype=np.int64)
        clusterer = self.stage.make_clusterer()
        centers, radius = _centroids(X, labels, len(ids), clusterer)
        if len(ids):
            sim_to_own = np.where(
                labels >= 0, np.einsum("ij,ij->i", X, centers[np.maximum(labels, 0)]), np.nan
            )
        else:  # no theme yet (too few unassigned units to form one)
            sim_to_own = np.full(len(labels), np.nan)
        themes = self._describe(units, X, labels, centers, active, index)
        unit_ids = units["unit_id"].to_numpy()
        for i, theme_id in enumerate(ids):
            self._set(
                theme_id,
                label=themes.labels.get(i, theme_id),
                terms=themes.terms.get(i, []),
                representatives=[str(unit_ids[j]) for j in themes.representatives.get(i, [])],
                size=int((labels == i).sum()),
                radius=round(float(radius[i]), 6),
                centroid=centers[i].tolist(),
                model_id=self.model_id,
            )
        assignments = pd.DataFrame(
            {
                "unit_id": unit_ids,
                "item_id": units["item_id"].to_numpy(),
                "source_name": units["source_name"].to_numpy(),
                "theme_id": [t if t else None for t in theme_of],
                "similarity": np.round(sim_to_own, 4),
                "assigned_by": [b or "unassigned" for b in by],
                "algorithm": clusterer.algorithm,
                "run_id": self.run_id,
            }
        )
        stats = self._stats(
            assignments, n_units=len(units), n_themes=len(ids), mode=mode, stale_model=stale_model
        )
        self._group(units, labels, centers, ids, themes, mode)
        stats["groups"] = int((self.groups["status"] == ACTIVE).sum())
        events = pd.DataFrame(self.events, columns=["event", "theme_id", "other_ids", "detail"])
        return DiscoverResult(assignments, self.registry, events, stats, groups=self.groups)

    def _group(
        self,
        units: pd.DataFrame,
        labels: np.ndarray,
        centers: np.ndarray,
        ids: list[str],
        themes: Themes,
        mode: str,
    ) -> None:
        """Put the active themes in groups.

        A nightly run keeps each theme's group and puts a new theme in the group whose
        centroid (its themes' centroids weighted by units) is nearest, so group ids hold as
        theme ids do. A rebuild, or a registry without groups, groups every theme anew
        (:func:`~..classifiers.cluster.group_themes`); a group then keeps the id of the
        previous group it shares most units with (optimal one-to-one matching, at least half
        of the smaller of the two)."""
        sizes = np.bincount(labels[labels >= 0], minlength=len(ids)).astype(np.int64)
        groups = self.groups
        old_active = groups.loc[groups["status"] == ACTIVE, "group_id"].tolist()
        old_group = dict(zip(self.registry["theme_id"], self.registry["group_id"], strict=True))
        had = [old_group.get(t) if old_group.get(t) in old_active else None for t in ids]
        if mode == "incremental" and any(had):
            found, group_ids = self._keep_groups(centers, sizes, had)
        else:
            found, group_ids = self._regroup(centers, sizes, ids, old_active, old_group)
        new_size = np.array([sizes[found == k].sum() for k in range(len(group_ids))], float)
        for g in old_active:
            if g not in group_ids:
                self.event("group_retired", g, detail="its themes went to other groups")
        for i, theme_id in enumerate(ids):
            self._set(theme_id, group_id=group_ids[found[i]])
        names, terms = (
            describe_groups(
                units["text"].tolist(),
                np.where(labels >= 0, found[np.maximum(labels, 0)], -1),
                stop_words=self.stage.stop_words,
                accounts=_accounts(units),
                taken=list(themes.labels.values()),
            )
            if group_ids
            else ({}, {})
        )
        rows = []
        for k, g in enumerate(group_ids):
            rows.append(
                {
                    "group_id": g,
                    "label": names.get(k, g),
                    "terms": terms.get(k, []),
                    "themes": [ids[i] for i in np.flatnonzero(found == k)],
                    "size": int(new_size[k]),
                    "status": ACTIVE,
                    "first_run_id": self.run_id,
                    "last_run_id": self.run_id,
                }
            )
        kept = groups[~groups["group_id"].isin(group_ids)].copy()
        kept.loc[kept["status"] == ACTIVE, ["status", "last_run_id"]] = ["retired", self.run_id]
        first = dict(zip(groups["group_id"], groups["first_run_id"], strict=True))
        fresh = pd.DataFrame(rows, columns=THEME_GROUPS.names)
        fresh["first_run_id"] = [first.get(g, self.run_id) for g in fresh["group_id"]]
        self.groups = (
            pd.concat([kept, fresh], ignore_index=True)
            .sort_values("group_id", kind="stable")
            .reset_index(drop=True)
        )

    def _keep_groups(
        self, centers: np.ndarray, sizes: np.ndarray, had: list[str | None]
    ) -> tuple[np.ndarray, list[str]]:
        """A nightly run's groups: each theme's own, the nearest one for a new theme."""
        group_ids = sorted({g for g in had if g})
        index = {g: k for k, g in enumerate(group_ids)}
        found = np.array([index.get(g, -1) if g else -1 for g in had], dtype=np.int64)
        weighted = np.stack(
            [(sizes[found == k, None] * centers[found == k]).sum(axis=0) for k in index.values()]
        )
        nearest = normalize(centers) @ normalize(weighted).T
        for i in np.flatnonzero(found < 0):
            found[i] = int(np.argmax(nearest[i]))
        return found, group_ids

    def _regroup(
        self,
        centers: np.ndarray,
        sizes: np.ndarray,
        ids: list[str],
        old_active: list[str],
        old_group: dict[str, Any],
    ) -> tuple[np.ndarray, list[str]]:
        """Every theme grouped anew; groups matched to the previous ones by shared units."""
        found = group_themes(centers, sizes) if len(ids) else np.empty(0, np.int64)
        n_groups = int(found.max()) + 1 if len(found) else 0
        shared = np.zeros((n_groups, len(old_active)))
        old_size = np.zeros(len(old_active))
        for i, theme_id in enumerate(ids):
            g = old_group.get(theme_id)
            if g in old_active:
                j = old_active.index(g)
                shared[found[i], j] += sizes[i]
                old_size[j] += sizes[i]
        new_size = np.array([sizes[found == k].sum() for k in range(n_groups)], dtype=float)
        match: dict[int, str] = {}
        if n_groups and old_active:
            rows, cols = linear_sum_assignment(-shared)
            for r, c in zip(rows, cols, strict=True):
                # most of the smaller of the two is in the other: it continues it
                smaller = min(new_size[r], old_size[c])
                if smaller > 0 and shared[r, c] / smaller >= 0.5:
                    match[int(r)] = old_active[int(c)]
        numbers = [int(g[1:]) for g in self.groups["group_id"] if g[1:].isdigit()]
        next_number = max(numbers, default=0) + 1
        group_ids = []
        for k in range(n_groups):
            if k not in match:
                match[k] = f"G{next_number:04d}"
                next_number += 1
                self.event("group_created", match[k], detail=f"{int(new_size[k])} units")
            group_ids.append(match[k])
        return found, group_ids

    def _describe(
        self,
        units: pd.DataFrame,
        X: np.ndarray,
        labels: np.ndarray,
        centers: np.ndarray,
        active: pd.DataFrame,
        index: dict[str, int],
    ) -> Themes:
        """Labels, terms and representatives of the active themes (numbered as in ``index``),
        keeping automatic labels that still fit and every label people gave."""
        auto = active[active["label_source"] == "auto"]
        user = active[active["label_source"] == "user"]
        return describe(
            units["text"].tolist(),
            X,
            labels,
            centers,
            keep={index[t]: lab for t, lab in zip(auto["theme_id"], auto["label"], strict=True)},
            fixed={index[t]: lab for t, lab in zip(user["theme_id"], user["label"], strict=True)},
            stop_words=self.stage.stop_words,
            accounts=_accounts(units),
            embed=self._embed(),
        )

    def _embed(self) -> Callable[[list[str]], np.ndarray] | None:
        """The units' model, to embed label candidates: the stage's embedder (else the default
        model's) when it is the model the units' vectors come from."""
        embedder = self.stage.embedder or default_embedder()
        if embedder.model_id != self.model_id:
            return None
        cache = self.cache
        return lambda texts: embed(texts, embedder=embedder, cache=cache).vectors

    def _stats(
        self,
        assignments: pd.DataFrame,
        *,
        n_units: int,
        n_themes: int,
        mode: str,
        stale_model: bool,
    ) -> dict[str, Any]:
        """The run's counts: units assigned and not, themes, and this run's events."""
        n = n_units
        unassigned = int(assignments["theme_id"].isna().sum())
        counts = Counter(e["event"] for e in self.events)
        return {
            "mode": mode,
            "stale_model": stale_model,
            "units": n,
            "assigned": n - unassigned,
            "unassigned": unassigned,
            "unassigned_share": round(unassigned / n, 4) if n else 0.0,
            "themes": n_themes,
            "new_themes": counts["created"],
            "merged": counts["merged"],
            "split": counts["split"],
            "retired": counts["retired"],
            "assigned_by": dict(Counter(assignments["assigned_by"])),
        }


def _accounts(units: pd.DataFrame) -> list[str]:
    """The units' account names (no label may name one)."""
    return units["account"].dropna().unique().tolist() if "account" in units else []


def _centroids(
    X: np.ndarray, labels: np.ndarray, n_themes: int, clusterer: ThemeClusterer
) -> tuple[np.ndarray, np.ndarray]:
    """Each theme's normalised mean vector and its radius (``labels`` numbers the themes)."""
    centers = np.zeros((n_themes, X.shape[1] if X.ndim == 2 else 384), np.float32)
    radius = np.zeros(n_themes)
    for i in range(n_themes):
        members = X[labels == i]
        centers[i] = normalize(members.mean(axis=0, keepdims=True))[0]
        radius[i] = theme_radius(members @ centers[i], clusterer)
    return centers, radius


def append_events(writer: StoreWriter, events: pd.DataFrame, *, at: datetime) -> None:
    """Add ``events`` (``event``, ``theme_id``, ``other_ids``, ``detail``) of the writer's run
    to the ``theme_events`` table."""
    if not len(events):
        return
    new = events.assign(run_id=writer.run_id, at=at)[THEME_EVENTS.names]
    writer.replace_all(
        "theme_events",
        pa.concat_tables(
            [
                writer.read("theme_events").cast(THEME_EVENTS),
                pa.Table.from_pandas(new, preserve_index=False).cast(THEME_EVENTS),
            ]
        ),
    )


def candidates(
    store: Store, *, voices: Sequence[str] = DEFAULT_VOICES, min_substance: float | None = None
) -> tuple[pd.DataFrame, str]:
    """The units theme discovery looks at, and why: the classify stage's unassigned units when
    a taxonomy labelled them, every unit otherwise; never the company's own turns in
    conversations (:func:`~.voice.customer_voice`)."""
    columns = ["unit_id", "item_id", "source_name", "account", "text", "embedding_key", "model_id"]
    voice = ["role", "channel", "voice", "substance", "function"]
    units = store.units(columns=[*columns, *voice])
    counted = customer_voice(units, voices=voices, min_substance=min_substance)
    units = units[counted].drop(columns=voice)
    units = units.sort_values("unit_id", kind="stable")  # the order the stage takes them in
    labelled = store.read("classified", columns=["unit_id", "theme"]).to_pandas()
    if len(labelled):
        open_ids = set(labelled.loc[labelled["theme"].isna(), "unit_id"])
        unlabelled = ~units["unit_id"].isin(set(labelled["unit_id"]))
        units = units[units["unit_id"].isin(open_ids) | unlabelled]
        return units.reset_index(drop=True), "unassigned by the taxonomy"
    return units.reset_index(drop=True), "all units (no taxonomy labels)"


def run_discover(
    store: Store | str | Path,
    *,
    stage: DiscoverStage | None = None,
    rebuild: bool = False,
    retention_days: int = 30,
    config_hash: str = "",
    run_id: str | None = None,
) -> DiscoverResult:
    """Discover themes among the store's units, as one run (see the module's docstring)."""
    stage = stage or DiscoverStage()
    started = time.perf_counter()
    now = datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    if not isinstance(store, Store):
        store = Store.open(store)
    with store.writing(run_id) as writer:
        t0 = time.perf_counter()
        units, scope = candidates(store, voices=stage.voices, min_substance=stage.min_substance)
        vectors = store.vectors(units) if len(units) else np.empty((0, 384), np.float32)
        registry = store.read("themes").to_pandas()
        groups = store.read("theme_groups").to_pandas()
        previous = store.read("discovered", columns=["unit_id", "theme_id"]).to_pandas()
        model_ids = sorted(set(units["model_id"])) if len(units) else []
        read_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        result = stage.run(
            units,
            vectors,
            registry=registry,
            previous=previous,
            rebuild=rebuild,
            run_id=run_id,
            model_id=",".join(model_ids),
            groups=groups,
            cache=EmbeddingCache(store.embeddings_path),
        )
        result.timings.update(read=read_s, discover=time.perf_counter() - t0)
        result.stats["scope"] = scope
        writer.replace_all(
            "discovered",
            pa.Table.from_pandas(result.assignments, preserve_index=False).cast(DISCOVERED)
            if len(result.assignments)
            else DISCOVERED.empty_table(),
        )
        writer.replace_all(
            "themes", pa.Table.from_pandas(result.themes[THEMES.names], preserve_index=False)
        )
        writer.replace_all(
            "theme_groups",
            pa.Table.from_pandas(result.groups[THEME_GROUPS.names], preserve_index=False).cast(
                THEME_GROUPS
            ),
        )
        append_events(writer, result.events, at=now)
        writer.vacuum(retention_days)
        result.timings["total"] = time.perf_counter() - started
        result.run_id = run_id
        writer.commit(
            {
                "kind": "discover",
                "silobridge_version": __version__,
                "started_at": now.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "outcome": "ok",
                "config_hash": config_hash,
                "counts": {k: v for k, v in result.stats.items() if not isinstance(v, dict)},
                "stats": result.stats,
                "timings": {k: round(v, 3) for k, v in result.timings.items()},
            }
        )
    return result
