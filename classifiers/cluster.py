"""Theme clustering of unit embeddings, as a scikit-learn estimator.

:class:`ThemeClusterer` finds themes in L2-normalised sentence embeddings without being told how
many there are. ``fit`` sets ``labels_`` (``-1`` for a unit far from every theme), unit-length
``cluster_centers_`` and each theme's ``radius_`` (how far its own members reach); ``predict``
assigns new units to the nearest theme that they fall inside, which is how a nightly run adds
units without clustering everything again.
"""

from __future__ import annotations

import random

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

ALGORITHM = "cluster.knn_leiden.v1"


def normalize(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1, norms)


class ThemeClusterer(ClusterMixin, BaseEstimator):
    """Themes in unit embeddings, their number found from the data.

    The vectors are mean-centred (what every unit shares says nothing about its theme), a
    cosine k-nearest-neighbour graph is built (exact below ``exact_below`` units, else an
    inverted-file search over k-means cells), and Leiden community detection (igraph's, the
    modularity objective) splits it, at a resolution scaled to the number of units
    (:func:`scale_resolution`). Communities smaller than ``min_size`` are dissolved into the
    nearest theme when their units fall inside its radius, otherwise left unassigned.

    Args:
        n_neighbors: Neighbours per unit in the graph (at most the square root of the number
            of units, at least 3).
        resolution: Leiden's modularity resolution at 3,000 units (:func:`scale_resolution`).
        min_size: Smallest theme.
        outlier_quantile: A theme's radius is this quantile of its members' similarity to its
            centroid (capped at ``min_similarity``): where a new unit must fall to join it.
        min_similarity: See ``outlier_quantile``.
        exact_below: Up to this many units the neighbours are exact.
        max_dust: Largest share of units in communities smaller than ``min_size``; a finer
            partition is redone at half the resolution. ``resolution_`` is the resolution used.
        random_state: Seed; the same data and seed give the same themes.
    """

    algorithm = ALGORITHM

    def __init__(
        self,
        *,
        n_neighbors: int = 20,
        resolution: float = 15.0,
        min_size: int = 5,
        outlier_quantile: float = 0.02,
        min_similarity: float = 0.3,
        exact_below: int = 20_000,
        max_dust: float = 0.2,
        random_state: int = 0,
    ):
        self.n_neighbors = n_neighbors
        self.resolution = resolution
        self.min_size = min_size
        self.outlier_quantile = outlier_quantile
        self.min_similarity = min_similarity
        self.exact_below = exact_below
        self.max_dust = max_dust
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: object = None) -> ThemeClusterer:
        X = normalize(X)
        n = len(X)
        if n < max(2, self.min_size):
            self.labels_ = np.full(n, -1, dtype=np.int64)
            self.cluster_centers_ = np.empty((0, X.shape[1] if X.ndim == 2 else 0), np.float32)
            self.radius_ = np.empty(0, np.float64)
            return self
        Z = normalize(X - X.mean(axis=0, keepdims=True))
        # a few dozen units: a graph of 20 neighbours each would join everything to everything
        k = min(self.n_neighbors, n - 1, max(3, round(np.sqrt(n))))
        if n <= self.exact_below:
            neighbors, similarity = knn_exact(Z, k)
        else:
            neighbors, similarity = knn_cells(Z, k, seed=self.random_state)
        resolution = self.resolution * scale_resolution(n)
        while True:
            labels = leiden(neighbors, similarity, resolution=resolution, seed=self.random_state)
            counts = np.bincount(labels)
            dust = counts[labels] < self.min_size
            # a partition that is mostly groups too small to be themes is too fine
            if dust.mean() <= self.max_dust or resolution <= 1.0:
                break
            resolution = max(1.0, resolution / 2)
        self.resolution_ = float(resolution)
        self._finish(X, labels)
        return self

    def _finish(self, X: np.ndarray, labels: np.ndarray) -> None:
        """Dissolve small communities, number themes by size, set centroids and radii."""
        labels = np.asarray(labels, dtype=np.int64).copy()
        ids, counts = np.unique(labels[labels >= 0], return_counts=True)
        big = ids[counts >= self.min_size]
        small = np.isin(labels, ids[counts < self.min_size])
        labels[small] = -1
        if len(big) and small.any():
            centers, radius = self._centers(X, labels, big)
            nearest, _ = assign(X[small], centers, radius)
            labels[small] = np.where(nearest >= 0, big[np.maximum(nearest, 0)], -1)
        # number themes by size (largest first), ties by first member: deterministic ids
        ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
        order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
        remap = np.full(int(labels.max(initial=-1)) + 2, -1, dtype=np.int64)
        for rank, i in enumerate(order):
            remap[ids[i]] = rank
        labels = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
        self.labels_ = labels
        self.cluster_centers_, self.radius_ = self._centers(X, labels, np.arange(len(order)))

    def _centers(
        self, X: np.ndarray, labels: np.ndarray, ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Unit-length centroids of themes ``ids`` and their radii."""
        if not len(ids):
            return np.empty((0, X.shape[1]), np.float32), np.empty(0)
        centers = normalize(np.stack([X[labels == c].mean(axis=0) for c in ids]))
        radius = np.array(
            [theme_radius(X[labels == c] @ centers[i], self) for i, c in enumerate(ids)]
        )
        return centers, radius

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The theme of each row: the nearest centroid whose radius it falls in, else ``-1``."""
        check_is_fitted(self, "cluster_centers_")
        return assign(normalize(X), self.cluster_centers_, self.radius_)[0]


def scale_resolution(n: int, reference: int = 3000) -> float:
    """The factor on the modularity resolution for a graph of ``n`` units.

    The expected weight between two communities grows with the graph, so at a fixed
    resolution a community of a given size splits less the more units there are. Above
    ``reference`` units the factor is ``sqrt(reference / n)``: the number of themes grows
    slowly with n (about 85 at 3,000 intent queries, 110 at 10,000, 250 at 100,000). Below,
    it is ``n / reference``: a theme keeps the size it has at ``reference`` units (a few
    dozen), instead of the same number of themes being cut out of fewer units.
    """
    return float(np.sqrt(reference / n)) if n >= reference else n / reference


def theme_radius(similarity: np.ndarray, model: ThemeClusterer) -> float:
    """How close to a theme's centroid a unit must be to join it: the ``outlier_quantile`` of
    its members' similarities, and never more than ``min_similarity``."""
    if not len(similarity):
        return model.min_similarity
    return min(float(np.quantile(similarity, model.outlier_quantile)), model.min_similarity)


def _top_k(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    top = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
    return top, np.take_along_axis(similarity, top, axis=1)


def knn_exact(Z: np.ndarray, k: int, *, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows by cosine (rows are unit length): indices, sims."""
    n = len(Z)
    neighbors = np.empty((n, k), np.int64)
    similarity = np.empty((n, k), np.float32)
    for start in range(0, n, chunk):
        block = Z[start : start + chunk] @ Z.T
        rows = np.arange(start, min(start + chunk, n))
        block[rows - start, rows] = -np.inf
        neighbors[rows], similarity[rows] = _top_k(block, k)
    return neighbors, similarity


def knn_cells(
    Z: np.ndarray, k: int, *, seed: int = 0, probe: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate :func:`knn_exact` for many rows: rows are put in ``sqrt(n)`` cells by
    spherical k-means; each cell's rows search the rows of its ``probe`` nearest cells."""
    n = len(Z)
    n_cells = int(np.sqrt(n))
    rng = np.random.RandomState(seed)
    sample = Z[rng.choice(n, min(n, 30 * n_cells), replace=False)]
    cells = sample[rng.choice(len(sample), n_cells, replace=False)].copy()
    for _ in range(10):
        nearest = (sample @ cells.T).argmax(axis=1)
        sums = np.zeros_like(cells)
        np.add.at(sums, nearest, sample)
        empty = np.bincount(nearest, minlength=n_cells) == 0
        sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
        cells = normalize(sums)
    cell_of = np.concatenate(
        [(Z[s : s + 8192] @ cells.T).argmax(axis=1) for s in range(0, n, 8192)]
    )
    order = np.argsort(cell_of, kind="stable")
    bounds = np.searchsorted(cell_of[order], np.arange(n_cells + 1))
    near = np.argsort(-(cells @ cells.T), axis=1)[:, :probe]
    neighbors = np.zeros((n, k), np.int64)
    similarity = np.full((n, k), -1.0, np.float32)
    for c in range(n_cells):
        rows = order[bounds[c] : bounds[c + 1]]
        if not len(rows):
            continue
        pool = np.concatenate([order[bounds[j] : bounds[j + 1]] for j in near[c]])
        block = Z[rows] @ Z[pool].T
        block[rows[:, None] == pool[None, :]] = -np.inf
        kk = min(k, len(pool) - 1)
        top, sims = _top_k(block, kk)
        neighbors[rows, :kk], similarity[rows, :kk] = pool[top], sims
    return neighbors, similarity


def leiden(
    neighbors: np.ndarray, similarity: np.ndarray, *, resolution: float, seed: int
) -> np.ndarray:
    """Leiden communities (modularity) of the undirected graph of kNN edges, weighted by
    cosine similarity (an edge found in both directions counts once)."""
    import igraph  # deferred: ~0.6 s; curate and the job import this module, only Leiden needs it

    n, k = neighbors.shape
    src = np.repeat(np.arange(n), k)
    dst = neighbors.ravel()
    weight = np.maximum(similarity.ravel(), 1e-3)
    valid = (dst != src) & np.isfinite(similarity.ravel()) & (similarity.ravel() > -1)
    src, dst, weight = src[valid], dst[valid], weight[valid]
    key = np.minimum(src, dst) * n + np.maximum(src, dst)
    order = np.lexsort((-weight, key))
    key, weight = key[order], weight[order]
    first = np.r_[True, key[1:] != key[:-1]]
    key, weight = key[first], weight[first]
    graph = igraph.Graph(n=n, edges=np.column_stack([key // n, key % n]).tolist())
    graph.es["weight"] = weight.astype(np.float64).tolist()
    state = random.getstate()
    random.seed(seed)  # igraph draws from Python's random module
    try:
        parts = graph.community_leiden(
            objective_function="modularity",
            weights="weight",
            resolution=resolution,
            n_iterations=-1,
        )
    finally:
        random.setstate(state)
    return np.asarray(parts.membership, dtype=np.int64)


def assign(X: np.ndarray, centers: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre (``-1`` when outside its radius) and its cosine similarity."""
    if len(centers) == 0 or len(X) == 0:
        return np.full(len(X), -1, dtype=np.int64), np.zeros(len(X))
    sim = X @ np.asarray(centers, dtype=np.float32).T
    best = sim.argmax(axis=1)
    best_sim = sim[np.arange(len(X)), best].astype(np.float64)
    return np.where(best_sim >= np.asarray(radius)[best], best, -1), best_sim


def group_themes(
    centers: np.ndarray,
    sizes: np.ndarray,
    *,
    groups: tuple[int, int] = (10, 30),
) -> np.ndarray:
    """The group of each theme: themes whose centroids are close, in as many groups as the
    data separates best within ``groups`` (a number a person scans).

    Centroids are centred on the units' mean (what every theme shares says nothing about how
    they differ) and joined by average-linkage agglomerative clustering on cosine distance;
    the cut is the number of groups, between ``min(groups[0], max(2, n // 6))`` and
    ``min(groups[1], n // 2)`` for ``n`` themes (a group holds two to six themes on average
    where the range allows), with the best silhouette (ties: fewer groups). Fewer than four
    themes are a group each. Deterministic; groups are numbered by units, largest first.
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import silhouette_score

    n = len(centers)
    if n < 4:
        return np.arange(n, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.float64)
    C = normalize(centers)
    mean = (sizes[:, None] * C).sum(axis=0) / max(sizes.sum(), 1.0)
    Z = normalize(C - mean)
    tree = linkage(Z.astype(np.float64), method="average", metric="cosine")
    hi = min(groups[1], n // 2)
    lo = min(groups[0], max(2, n // 6), hi)
    best, best_score = None, -np.inf
    for k in range(max(lo, 2), hi + 1):
        labels = fcluster(tree, t=k, criterion="maxclust")
        if len(set(labels.tolist())) < 2:
            continue
        score = float(silhouette_score(Z, labels, metric="cosine"))
        if score > best_score + 1e-9:
            best, best_score = labels, score
    if best is None:
        best = np.ones(n, dtype=np.int64)
    # number by units, largest first (ties: the group of the lower theme index)
    ids = sorted(set(best.tolist()))
    weight = {g: sizes[best == g].sum() for g in ids}
    first = {g: int(np.flatnonzero(best == g)[0]) for g in ids}
    order = sorted(ids, key=lambda g: (-weight[g], first[g]))
    rank = {g: i for i, g in enumerate(order)}
    return np.array([rank[g] for g in best.tolist()], dtype=np.int64)
