"""Theme clustering of unit embeddings, as a scikit-learn estimator.

:class:`ThemeClusterer` finds themes in L2-normalised sentence embeddings without being told how
many there are. ``fit`` sets ``labels_`` (``-1`` for a unit far from every theme), unit-length
``cluster_centers_`` and each theme's ``radius_`` (how far its own members reach); ``predict``
assigns new units to the nearest theme that they fall inside, which is how a nightly run adds
units without clustering everything again.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.decomposition import PCA
from sklearn.utils.validation import check_is_fitted

ALGORITHM = "cluster.kmeans_merge.v1"


def normalize(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1, norms)


class ThemeClusterer(ClusterMixin, BaseEstimator):
    """Themes in unit embeddings, their number found from the data.

    Args:
        min_size: Smallest theme; smaller groups are folded into the nearest theme or left
            unassigned.
        merge_threshold: Cosine distance under which two fine clusters' centroids are merged
            into one theme.
        outlier_quantile: A unit is unassigned when its similarity to its theme's centroid is
            below this quantile of the theme members' similarities, and below ``min_similarity``.
        min_similarity: See ``outlier_quantile``.
        n_components: PCA dimensions the clustering works in (``None``: the raw vectors).
        random_state: Seed; the same data and seed give the same themes.
    """

    algorithm = ALGORITHM

    def __init__(
        self,
        *,
        min_size: int = 5,
        merge_threshold: float = 0.35,
        outlier_quantile: float = 0.02,
        min_similarity: float = 0.3,
        n_components: int | None = 64,
        random_state: int = 0,
    ):
        self.min_size = min_size
        self.merge_threshold = merge_threshold
        self.outlier_quantile = outlier_quantile
        self.min_similarity = min_similarity
        self.n_components = n_components
        self.random_state = random_state

    def fit(self, X: np.ndarray, y: object = None) -> ThemeClusterer:
        X = normalize(X)
        n = len(X)
        if n < max(2, self.min_size):
            self.labels_ = np.full(n, -1, dtype=np.int64)
            self.cluster_centers_ = np.empty((0, X.shape[1] if X.ndim == 2 else 0), np.float32)
            self.radius_ = np.empty(0, np.float64)
            return self
        Z = X
        if self.n_components and X.shape[1] > self.n_components and n > self.n_components:
            Z = normalize(
                PCA(self.n_components, random_state=self.random_state).fit_transform(
                    X - X.mean(axis=0)
                )
            )
        k = int(min(n // 2, max(2, round(n / 15))))
        fine = KMeans(k, n_init=1, random_state=self.random_state).fit(Z)
        centers = normalize(fine.cluster_centers_)
        if len(centers) > 1:
            merged = AgglomerativeClustering(
                n_clusters=None,
                metric="cosine",
                linkage="average",
                distance_threshold=self.merge_threshold,
            ).fit_predict(centers)
        else:
            merged = np.zeros(1, dtype=np.int64)
        labels = merged[fine.labels_]
        self._finish(X, labels)
        return self

    def _finish(self, X: np.ndarray, labels: np.ndarray) -> None:
        """Fold small groups away, number themes by size, set centroids, radii and outliers."""
        labels = np.asarray(labels, dtype=np.int64).copy()
        for _ in range(3):
            ids, counts = np.unique(labels[labels >= 0], return_counts=True)
            big = ids[counts >= self.min_size]
            if len(big) == len(ids):
                break
            small = np.isin(labels, ids[counts < self.min_size])
            labels[small] = -1
            if len(big) == 0:
                break
            centers = normalize(np.stack([X[labels == c].mean(axis=0) for c in big]))
            sim = X[small] @ centers.T
            labels[small] = np.where(
                sim.max(axis=1) >= self.min_similarity, big[sim.argmax(axis=1)], -1
            )
        # number themes by size (largest first), ties by first member: deterministic ids
        ids, first, counts = np.unique(labels[labels >= 0], return_index=True, return_counts=True)
        order = sorted(range(len(ids)), key=lambda i: (-counts[i], first[i]))
        remap = {int(ids[i]): rank for rank, i in enumerate(order)}
        labels = np.array([remap.get(int(c), -1) for c in labels], dtype=np.int64)
        centers = (
            normalize(np.stack([X[labels == c].mean(axis=0) for c in range(len(order))]))
            if order
            else np.empty((0, X.shape[1]), np.float32)
        )
        radius = np.zeros(len(order))
        for c in range(len(order)):
            sim = X[labels == c] @ centers[c]
            radius[c] = min(float(np.quantile(sim, self.outlier_quantile)), self.min_similarity)
        self.labels_ = labels
        self.cluster_centers_ = centers
        self.radius_ = radius

    def predict(self, X: np.ndarray) -> np.ndarray:
        """The theme of each row: the nearest centroid whose radius it falls in, else ``-1``."""
        check_is_fitted(self, "cluster_centers_")
        return assign(normalize(X), self.cluster_centers_, self.radius_)[0]


def assign(X: np.ndarray, centers: np.ndarray, radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre (``-1`` when outside its radius) and its cosine similarity."""
    if len(centers) == 0 or len(X) == 0:
        return np.full(len(X), -1, dtype=np.int64), np.zeros(len(X))
    sim = X @ np.asarray(centers, dtype=np.float32).T
    best = sim.argmax(axis=1)
    best_sim = sim[np.arange(len(X)), best].astype(np.float64)
    return np.where(best_sim >= np.asarray(radius)[best], best, -1), best_sim
