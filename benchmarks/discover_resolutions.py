"""How many themes does each labelled set want? Leiden at fixed resolutions, against k-means.

For every single-label set of ``../shared/eval`` (``eval_sets.SETS``, at most ``--cap`` texts),
the discover stage's graph is built (centred MiniLM vectors, exact 20-nearest-neighbour cosine
graph) and split by Leiden at resolutions 0.125 to 64 (doubling), seeds 0 and 1. Per
resolution: themes, ARI against the gold classes, ARI between the two seeds, the silhouette of
the partition (cosine, centred vectors, 2,000 sampled texts), Calinski-Harabasz, Davies-Bouldin
and the share of the graph's edge weight inside themes; with k-means told the true number of
classes as the reference. The question it answers: which criterion, computed without labels,
picks a resolution at or above k-means on every set.

    .venv/bin/python benchmarks/discover_resolutions.py [--cap 3000] [--sets a b ...]

Writes ``out/discover_resolutions.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval_sets import SETS, load_set  # noqa: E402

GRID = (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)


def scan(texts: list[str], gold: list[str], X: np.ndarray) -> dict:
    from silobridge.classifiers.cluster import knn_exact, leiden, normalize
    from sklearn.cluster import KMeans
    from sklearn.metrics import (
        adjusted_rand_score,
        calinski_harabasz_score,
        davies_bouldin_score,
        silhouette_score,
    )

    X = normalize(X)
    n = len(X)
    Z = normalize(X - X.mean(axis=0))
    nb, sim = knn_exact(Z, min(20, n - 1))
    k = len(set(gold))
    km = KMeans(k, n_init=10, random_state=0).fit_predict(X)
    sample = np.random.default_rng(0).choice(n, min(n, 2000), replace=False)
    rows = []
    for g in GRID:
        p, q = (leiden(nb, sim, resolution=g, seed=s) for s in (0, 1))
        m = len(set(p.tolist()))
        several = 1 < len(set(p[sample].tolist())) < len(sample)
        rows.append(
            {
                "resolution": g,
                "themes": m,
                "ari": round(float(adjusted_rand_score(gold, p)), 4),
                "seed_ari": round(float(adjusted_rand_score(p, q)), 4),
                "silhouette": round(
                    float(silhouette_score(Z[sample], p[sample], metric="cosine")), 4
                )
                if several
                else None,
                "calinski_harabasz": round(float(calinski_harabasz_score(Z, p)), 1)
                if m > 1
                else None,
                "davies_bouldin": round(float(davies_bouldin_score(Z, p)), 3) if m > 1 else None,
                "inside_weight": round(float((sim * (p[nb] == p[:, None])).sum() / sim.sum()), 3),
            }
        )
    return {
        "classes": k,
        "kmeans_k_ari": round(float(adjusted_rand_score(gold, km)), 4),
        "rows": rows,
    }


def main() -> None:
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, embed
    from silobridge.pipeline.evaluate import default_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--cap", type=int, default=3000)
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    args = parser.parse_args()
    embedder, cache = Embedder(), EmbeddingCache(default_cache_dir())
    out: dict[str, dict] = {}
    head = ["set", "classes", "KMeans told k", "best resolution", "silhouette's", "resolution 1"]
    print("| " + " | ".join(head) + " |")
    print("|---|---|---|---|---|---|")
    for name in args.sets:
        data = load_set(name, args.eval, cap=args.cap, seed=0)
        X = embed(data.texts, embedder=embedder, cache=cache).vectors
        r = out[name] = scan(data.texts, data.labels, X)
        best = max(r["rows"], key=lambda x: x["ari"])
        sil = max(r["rows"], key=lambda x: x["silhouette"] if x["silhouette"] is not None else -1)
        one = next(x for x in r["rows"] if x["resolution"] == 1)
        print(
            f"| {name} | {r['classes']} | {r['kmeans_k_ari']:.3f} | "
            f"{best['ari']:.3f} ({best['themes']}, at {best['resolution']:g}) | "
            f"{sil['ari']:.3f} ({sil['themes']}) | {one['ari']:.3f} ({one['themes']}) |",
            flush=True,
        )
    path = HERE / "out" / "discover_resolutions.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
