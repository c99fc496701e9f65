"""Theme discovery against BERTopic 0.17.4, on labelled data and at 100,000 units.

1. **Quality** on ``../shared/eval`` (same MiniLM embeddings for both): banking77 test (3,080,
   77 intents), clinc150 test in-scope (4,500, 150 intents), it_service_tickets (5,000 rows,
   ``DataFrame.sample(5000, random_state=0)``, 8 groups). silobridge runs through
   :func:`~silobridge.pipeline.discover.evaluate_cluster` (the pipeline's own stage, as
   ``silobridge eval cluster``), BERTopic with its defaults and precomputed embeddings, UMAP's
   ``random_state`` fixed. Seeds 0, 1, 2 for run-to-run ARI. Unassigned units (BERTopic's
   topic -1) count as one group in NMI and ARI. The derived CSVs are written to
   ``benchmarks/out/`` so that ``silobridge eval cluster --data ...`` gives the same numbers.
2. **Stability**: banking77 test, themes discovered on a random 95%, then the other 5% added:
   (a) by a nightly run, (b) by ``--rebuild``; the share of the first 95% keeping its theme id.
3. **Scale**: the ~100,000 units of the understand benchmark's store
   (``benchmarks/out/understand-store``, made by ``bench_understand.py``), clustered from their
   stored vectors in a fresh process: wall time including imports, peak RSS; BERTopic the same.

Results go to benchmarks/out/discover.json.

    .venv/bin/python benchmarks/bench_discover.py [--skip-bertopic] [--skip-scale]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def datasets(eval_dir: Path) -> dict[str, tuple[Path, str, str]]:
    """``{name: (csv, text column, label column)}``, writing the derived CSVs."""
    OUT.mkdir(exist_ok=True)
    clinc = pd.read_csv(eval_dir / "clinc150" / "clinc150_full.csv")
    clinc = clinc[(clinc["split"] == "test") & (clinc["intent"] != "oos")]
    clinc_path = OUT / "clinc150_test_inscope.csv"
    clinc[["text", "intent"]].to_csv(clinc_path, index=False)
    tickets = pd.read_csv(eval_dir / "it_service_tickets" / "all_tickets_processed_improved_v3.csv")
    tickets_path = OUT / "it_tickets_5000.csv"
    tickets.sample(5000, random_state=0)[["Document", "Topic_group"]].to_csv(
        tickets_path, index=False
    )
    return {
        "banking77": (eval_dir / "banking77" / "test.csv", "text", "category"),
        "clinc150": (clinc_path, "text", "intent"),
        "it_tickets": (tickets_path, "Document", "Topic_group"),
    }


def bertopic_labels(texts: list[str], X: np.ndarray, seed: int) -> np.ndarray:
    from bertopic import BERTopic
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
    )
    topics, _ = BERTopic(umap_model=umap_model).fit_transform(texts, X)
    return np.asarray(topics)


def score(truth: list[str], found: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 4),
        "ari": round(float(adjusted_rand_score(truth, found)), 4),
        "n_themes": len(set(found.tolist()) - {-1}),
        "outlier_share": round(float(np.mean(found == -1)), 4),
    }


def quality(eval_dir: Path, *, bertopic: bool) -> dict:
    from silobridge.extractors.labelled import read_labelled
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, embed
    from silobridge.pipeline.evaluate import default_cache_dir, evaluate_cluster
    from sklearn.metrics import adjusted_rand_score

    embedder, cache = Embedder(), EmbeddingCache(default_cache_dir())
    results = {}
    for name, (path, text_col, label_col) in datasets(eval_dir).items():
        data = read_labelled(path, text_col=text_col, label_col=label_col)
        ours = evaluate_cluster(data.texts, data.labels, runs=3, embedder=embedder, cache=cache)
        ours.pop("themes")
        row = {"silobridge": ours, "command": f"silobridge eval cluster --data {path} "
               f"--text-col {text_col} --label-col {label_col}"}  # fmt: skip
        if bertopic:
            X = embed(data.texts, embedder=embedder, cache=cache).vectors
            runs, seconds = [], []
            for seed in range(3):
                t0 = time.perf_counter()
                runs.append(bertopic_labels(data.texts, X, seed))
                seconds.append(time.perf_counter() - t0)
            row["bertopic"] = {
                **score(data.labels, runs[0]),
                "seconds_first_run_incl_jit": round(seconds[0], 1),
                "seconds": round(min(seconds[1:]), 1),
                "run_to_run_ari": round(
                    float(
                        np.mean(
                            [
                                adjusted_rand_score(runs[i], runs[j])
                                for i, j in ((0, 1), (0, 2), (1, 2))
                            ]
                        )
                    ),
                    4,
                ),
            }
        results[name] = row
        print(name, json.dumps(row), flush=True)
    return results


def stability(eval_dir: Path) -> dict:
    from silobridge.extractors.labelled import read_labelled
    from silobridge.pipeline.discover import DiscoverStage
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, embed
    from silobridge.pipeline.evaluate import default_cache_dir
    from silobridge.pipeline.store.schema import DISCOVERED, THEMES

    data = read_labelled(eval_dir / "banking77" / "test.csv", text_col="text", label_col="category")
    X = embed(data.texts, embedder=Embedder(), cache=EmbeddingCache(default_cache_dir())).vectors
    units = pd.DataFrame(
        {
            "unit_id": [f"u{i}" for i in range(len(X))],
            "item_id": [f"u{i}" for i in range(len(X))],
            "source_name": "eval",
            "text": data.texts,
        }
    )
    order = np.random.default_rng(0).permutation(len(X))
    old, new = order[: int(0.95 * len(X))], order[int(0.95 * len(X)) :]
    stage = DiscoverStage()
    first = stage.run(
        units.iloc[old].reset_index(drop=True),
        X[old],
        registry=THEMES.empty_table().to_pandas(),
        previous=DISCOVERED.empty_table().to_pandas(),
        run_id="r1",
        model_id="m",
    )
    before = first.assignments.set_index("unit_id")["theme_id"]
    out = {"old_units": len(old), "new_units": len(new)}
    for mode in ("nightly", "rebuild"):
        t0 = time.perf_counter()
        second = stage.run(
            units,
            X,
            registry=first.themes,
            previous=first.assignments,
            rebuild=mode == "rebuild",
            run_id="r2",
            model_id="m",
        )
        after = second.assignments.set_index("unit_id")["theme_id"].reindex(before.index)
        out[mode] = {
            "old_units_keeping_their_theme": round(float((after == before).mean()), 4),
            "new_themes": second.stats["new_themes"],
            "new_units_unassigned": int(
                second.assignments.set_index("unit_id")["theme_id"]
                .reindex(units["unit_id"].iloc[new])
                .isna()
                .sum()
            ),
            "seconds": round(time.perf_counter() - t0, 2),
        }
    return out


SCALE_CHILD = r"""
import json, os, resource, sys, time
t0 = time.perf_counter()
import numpy as np
from silobridge.pipeline.store import Store
store = Store.open(sys.argv[1])
cols = ["unit_id", "item_id", "source_name", "text", "embedding_key", "model_id"]
units = store.units(columns=cols).sort_values("unit_id")  # as pipeline.discover.candidates
X = store.vectors(units)
t_read = time.perf_counter() - t0
which = sys.argv[2]
t1 = time.perf_counter()
if which == "silobridge":
    from silobridge.pipeline.discover import DiscoverStage
    from silobridge.pipeline.store.schema import DISCOVERED, THEMES
    r = DiscoverStage().run(units, X, registry=THEMES.empty_table().to_pandas(),
                            previous=DISCOVERED.empty_table().to_pandas(), model_id="m")
    extra = {"themes": r.stats["themes"], "unassigned_share": r.stats["unassigned_share"]}
else:
    sys.path.insert(0, os.path.dirname(sys.argv[3]))
    from bench_discover import bertopic_labels
    topics = bertopic_labels(units["text"].tolist(), X, 0)
    extra = {"themes": int(len(set(topics.tolist()) - {-1})),
             "unassigned_share": float(np.mean(topics == -1))}
print(json.dumps({"units": len(units), "read_s": round(t_read, 1),
                  "cluster_s": round(time.perf_counter() - t1, 1),
                  "total_s_incl_imports": round(time.perf_counter() - t0, 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  **extra}))
"""


def scale(*, bertopic: bool, timeout: int) -> dict:
    store = OUT / "understand-store"
    if not store.exists():
        return {"skipped": f"{store} is missing: run benchmarks/bench_understand.py first"}
    out = {}
    for which in ("silobridge", "bertopic") if bertopic else ("silobridge",):
        try:
            done = subprocess.run(
                [sys.executable, "-c", SCALE_CHILD, str(store), which, __file__],
                capture_output=True,
                text=True,
                timeout=timeout,
                env={**os.environ, "OMP_NUM_THREADS": "2"},
            )
            lines = done.stdout.strip().splitlines()
            out[which] = (
                json.loads(lines[-1]) if done.returncode == 0 else {"error": done.stderr[-2000:]}
            )
        except subprocess.TimeoutExpired:
            out[which] = {"error": f"did not finish in {timeout} s"}
        print(which, json.dumps(out[which]), flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--timeout", type=int, default=900, help="Per scale run, seconds.")
    args = parser.parse_args()
    result: dict = {"machine": f"{os.cpu_count()} cores"}
    if not args.skip_quality:
        result["quality"] = quality(args.eval, bertopic=not args.skip_bertopic)
        result["stability"] = stability(args.eval)
        print("stability", json.dumps(result["stability"]), flush=True)
    if not args.skip_scale:
        result["scale"] = scale(bertopic=not args.skip_bertopic, timeout=args.timeout)
    path = OUT / "discover.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **result}, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
