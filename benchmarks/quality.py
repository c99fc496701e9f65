"""One quality benchmark over every labelled set of ``../shared/eval``, baselines in the same run.

Three tasks, every set each applies to (:mod:`eval_sets`), all on the same all-MiniLM-L6-v2
embeddings (cached in ``~/.cache/silobridge/embeddings``):

* **zero_shot**: classes known by their names only (``card_arrival`` -> "card arrival").
  Baseline ``label_cosine``: each text gets the class whose name's embedding is closest.
  The texts to label are also given unlabelled, as the pipeline has its units.
* **few_shot**: ``--shots`` labelled examples per class drawn from the train part (seeds
  ``--seeds``). Baseline ``logreg``: scikit-learn's logistic regression with its defaults on
  those examples' embeddings.
* **discover**: themes found without being told how many; single-label sets. Baselines
  ``kmeans_k`` (k-means told the true number of classes, 10 restarts) and ``bertopic``
  (BERTopic 0.17.4 defaults on the same embeddings, UMAP seeded; ``pip install -e '.[bench]'``).
  Scored: ARI, NMI, themes, unassigned share (counted as one group), run-to-run ARI (two seeds).

Classification is scored by macro-F1 over the test part's classes. Multi-label sets (app
reviews, MAMS, NLU++) are scored on the top class, counted right when it is one of the text's
gold labels (the gold label compared is then that one; otherwise the text's first label).

Every method's result per set (and seed) is a JSON file under ``--out`` (default
``benchmarks/out/quality/``); a rerun reuses what is there (``--fresh`` recomputes the named
methods), so an interrupted run resumes. The tables print per task: one row per set, a column per
method, the rank of silobridge's default among the methods, and the mean. Where a task has
more than one silobridge candidate (the default and the variants compared with it), they are
also compared **leave-one-set-out**: for each set, the candidate with the best mean over the
*other* sets is the one scored on it, and the mean of those scores is printed.

    .venv/bin/python benchmarks/quality.py                      # every task, every set
    .venv/bin/python benchmarks/quality.py --tasks discover --sets banking77 it_tickets
    .venv/bin/python benchmarks/quality.py --fresh silobridge   # after a change
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from eval_sets import CLASSIFY, SETS, ClassifySet, class_name, load_classify, load_set  # noqa: E402

OUT = HERE / "out" / "quality"
TASKS = ("zero_shot", "few_shot", "discover")
#: Methods of each task; the first is silobridge's default, then the plain baselines, then
#: candidates that were compared (``--choose``).
BASELINES = {
    "zero_shot": ("label_cosine",),
    "few_shot": ("logreg",),
    "discover": ("kmeans_k", "bertopic"),
}


class Embeddings:
    """Normalised embeddings through the evaluation cache, one model for the whole run."""

    def __init__(self) -> None:
        from silobridge.pipeline.embed import Embedder, EmbeddingCache
        from silobridge.pipeline.evaluate import default_cache_dir

        self.embedder = Embedder()
        self.cache = EmbeddingCache(default_cache_dir())

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        from silobridge.pipeline.embed import embed

        X = embed(list(texts), embedder=self.embedder, cache=self.cache).vectors
        return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


# ------------------------------------------------------------------------- classification


def names_of(labels: Sequence[str]) -> dict[str, list[str]]:
    """``{label: []}``: classes known by name only (the name is made of the id's words)."""
    return {lab: [] for lab in labels}


def zero_shot_methods() -> dict[str, Callable[..., np.ndarray]]:
    """``{method: fn(data, embed, X_test) -> scores (test rows x data.labels)}``."""
    from silobridge.classifiers.embedding import PrototypeClassifier
    from silobridge.pipeline.evaluate import build_classifier, known_vectors

    def label_cosine(data: ClassifySet, embed: Any, X: np.ndarray) -> np.ndarray:
        model = PrototypeClassifier().fit(
            embed([class_name(lab) for lab in data.labels]), np.asarray(data.labels)
        )
        return model.decision_function(X)

    def silobridge(data: ClassifySet, embed: Any, X: np.ndarray) -> np.ndarray:
        # as ``silobridge eval classify --labels --unlabelled`` and the pipeline: the texts to
        # label are there, unlabelled
        model, _ = build_classifier(
            known_vectors(embed, data.test_texts, X),
            descriptions=_described(data),
            unlabelled_texts=data.test_texts,
        )
        return _aligned(model, X, data.labels)

    def self_trained_and_cosine(data: ClassifySet, embed: Any, X: np.ndarray) -> np.ndarray:
        # the mean of the self-trained model's probabilities and the label cosine's softmax
        trained = silobridge(data, embed, X)
        cosine = PrototypeClassifier().fit(
            embed([class_name(lab) for lab in data.labels]), np.asarray(data.labels)
        )
        return (trained + _aligned(cosine, X, data.labels)) / 2

    def prototype(data: ClassifySet, embed: Any, X: np.ndarray) -> np.ndarray:
        model, _ = build_classifier(embed, descriptions=_described(data))
        return _aligned(model, X, data.labels)

    return {
        "silobridge": silobridge,
        "label_cosine": label_cosine,
        "prototype_templates": prototype,
        "self_trained_and_cosine": self_trained_and_cosine,
    }


def few_shot_methods() -> dict[str, Callable[..., np.ndarray]]:
    """``{method: fn(data, embed, X_test, train_texts, train_labels, seed) -> scores}``."""
    from silobridge.pipeline.evaluate import build_classifier
    from sklearn.linear_model import LogisticRegression

    def logreg(data: ClassifySet, embed: Any, X: np.ndarray, texts, labels, seed) -> np.ndarray:
        model = LogisticRegression(max_iter=2000).fit(embed(texts), labels)
        return _aligned(model, X, data.labels)

    def silobridge(data: ClassifySet, embed: Any, X: np.ndarray, texts, labels, seed) -> np.ndarray:
        # as ``silobridge eval classify --train --shots``
        model, _ = build_classifier(
            embed,
            descriptions=_described(data),
            train_texts=texts,
            train_labels=labels,
            random_state=seed,
        )
        return _aligned(model, X, data.labels)

    return {"silobridge": silobridge, "logreg": logreg}


def _described(data: ClassifySet) -> dict[str, list[str]]:
    return {lab: [class_name(lab)] for lab in data.labels}


def _aligned(model: Any, X: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """``model``'s probabilities (or scores) for ``X``, one column per label of ``labels``."""
    scores = (
        model.predict_proba(X) if hasattr(model, "predict_proba") else model.decision_function(X)
    )
    full = np.full((len(X), len(labels)), -np.inf)
    index = {lab: i for i, lab in enumerate(labels)}
    for j, c in enumerate(model.classes_):
        if str(c) in index:
            full[:, index[str(c)]] = scores[:, j]
    return full


def score_classification(data: ClassifySet, scores: np.ndarray) -> dict[str, Any]:
    """Macro-F1 and accuracy of the top class (multi-label: right when it is a gold label);
    ECE when the scores are probabilities."""
    from silobridge.classifiers.metrics import classification_report

    top = np.asarray(data.labels)[scores.argmax(axis=1)]
    gold = [p if p in labs else labs[0] for p, labs in zip(top, data.test_labels, strict=True)]
    proba = scores.max(axis=1) if np.all((scores >= 0) & (scores <= 1)) else None
    report = classification_report(gold, top.tolist(), proba)
    return {k: report[k] for k in ("n", "accuracy", "macro_f1", "ece")}


# ------------------------------------------------------------------------------ discovery


def discover_methods() -> dict[str, Callable[..., np.ndarray]]:
    """``{method: fn(texts, X, k, seed) -> cluster per text (-1: unassigned)}``."""

    def silobridge(texts: Sequence[str], X: np.ndarray, k: int, seed: int) -> np.ndarray:
        from silobridge.pipeline.discover import ACTIVE, DiscoverStage
        from silobridge.pipeline.evaluate import _eval_units
        from silobridge.pipeline.store.schema import DISCOVERED, THEMES

        units = _eval_units(texts)
        result = DiscoverStage(seed=seed, embedder=_EMBED[0].embedder).run(
            units,
            X,
            registry=THEMES.empty_table().to_pandas(),
            previous=DISCOVERED.empty_table().to_pandas(),
            model_id=_EMBED[0].embedder.model_id,
            cache=_EMBED[0].cache,
        )
        themes = result.themes[result.themes["status"] == ACTIVE]
        index = {t: i for i, t in enumerate(themes["theme_id"])}
        by_unit = result.assignments.set_index("unit_id")["theme_id"].reindex(units["unit_id"])
        return np.array([index.get(t, -1) if isinstance(t, str) else -1 for t in by_unit])

    def kmeans_k(texts: Sequence[str], X: np.ndarray, k: int, seed: int) -> np.ndarray:
        from sklearn.cluster import KMeans

        return KMeans(k, n_init=10, random_state=seed).fit_predict(X)

    def bertopic(texts: Sequence[str], X: np.ndarray, k: int, seed: int) -> np.ndarray:
        from bertopic import BERTopic
        from umap import UMAP

        umap = UMAP(
            n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed
        )
        topics, _ = BERTopic(umap_model=umap).fit_transform(list(texts), embeddings=X)
        return np.asarray(topics)

    return {"silobridge": silobridge, "kmeans_k": kmeans_k, "bertopic": bertopic}


_EMBED: list[Embeddings] = []


def score_clusters(gold: Sequence[str], runs: list[np.ndarray]) -> dict[str, Any]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    first = runs[0]
    out = {
        "ari": round(float(adjusted_rand_score(gold, first)), 4),
        "nmi": round(float(normalized_mutual_info_score(gold, first)), 4),
        "themes": len(set(first[first >= 0].tolist())),
        "classes": len(set(gold)),
        "unassigned": round(float(np.mean(first < 0)), 4),
    }
    if len(runs) > 1:
        out["run_to_run_ari"] = round(float(adjusted_rand_score(runs[0], runs[1])), 4)
    return out


# ---------------------------------------------------------------------------------- runs


def _path(out: Path, task: str, name: str, method: str, seed: int | None = None) -> Path:
    suffix = f".seed{seed}" if seed is not None else ""
    return out / task / name / f"{method}{suffix}.json"


def _cached(
    path: Path, fresh: set[str], method: str, compute: Callable[..., dict], *args: Any
) -> dict:
    """``compute(*args)``, or what an earlier run saved at ``path``."""
    if path.is_file() and method not in fresh and "all" not in fresh:
        return json.loads(path.read_text())
    t0 = time.perf_counter()
    result = compute(*args)
    result["seconds"] = round(time.perf_counter() - t0, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=1) + "\n")
    tmp.replace(path)
    return result


def run_classify_task(
    task: str, names: Sequence[str], methods: Sequence[str], args: argparse.Namespace
) -> dict[str, dict[str, dict]]:
    embed = _EMBED[0]
    table: dict[str, dict[str, dict]] = {}
    registry = zero_shot_methods() if task == "zero_shot" else few_shot_methods()
    for name in names:
        data = load_classify(name, args.eval, cap=args.cap, seed=0)
        X = embed(data.test_texts)
        row: dict[str, dict] = {}
        for method in methods:
            fn = registry[method]
            if task == "zero_shot":
                path = _path(args.out, task, name, method)
                row[method] = _cached(path, args.fresh, method, _zero_shot, fn, data, embed, X)
            else:
                per_seed = []
                for seed in args.seeds:
                    texts, labels = shots(data, args.shots, seed)

                    path = _path(args.out, task, name, method, seed)
                    args_ = (fn, data, embed, X, texts, labels, seed)
                    per_seed.append(_cached(path, args.fresh, method, _few_shot, *args_))
                row[method] = {
                    "macro_f1": round(float(np.mean([r["macro_f1"] for r in per_seed])), 4),
                    "ece": _mean([r.get("ece") for r in per_seed]),
                    "seconds": round(float(np.mean([r["seconds"] for r in per_seed])), 2),
                }
            print(f"  {task} {name} {method}: {row[method]['macro_f1']:.4f}", flush=True)
        table[name] = row
    return table


def _zero_shot(fn: Callable[..., np.ndarray], data: ClassifySet, embed: Any, X: np.ndarray) -> dict:
    return score_classification(data, fn(data, embed, X))


def _few_shot(fn: Callable[..., np.ndarray], data: ClassifySet, *args: Any) -> dict:
    return score_classification(data, fn(data, *args))


def _discover(fn: Callable[..., np.ndarray], data: Any, X: np.ndarray) -> dict:
    """Two runs (seeds 0 and 1): scores of the first, ARI between them."""
    k = len(set(data.labels))
    t0 = time.perf_counter()
    first = fn(data.texts, X, k, 0)
    seconds = time.perf_counter() - t0
    runs = [first, fn(data.texts, X, k, 1)]
    return {**score_clusters(data.labels, runs), "fit_seconds": round(seconds, 2)}


def _mean(values: list[Any]) -> float | None:
    values = [v for v in values if v is not None]
    return round(float(np.mean(values)), 4) if values else None


def shots(data: ClassifySet, per_label: int, seed: int) -> tuple[list[str], list[str]]:
    """``per_label`` train texts per label (fewer when it has fewer), drawn with ``seed``; a
    multi-label text counts for (and is labelled with) the label it was drawn for."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for lab in data.labels:
        rows = [i for i, labs in enumerate(data.train_labels) if lab in labs]
        for i in sorted(rng.choice(rows, size=min(per_label, len(rows)), replace=False)):
            texts.append(data.train_texts[i])
            labels.append(lab)
    return texts, labels


def run_discover_task(
    names: Sequence[str], methods: Sequence[str], args: argparse.Namespace
) -> dict[str, dict[str, dict]]:
    embed = _EMBED[0]
    registry = discover_methods()
    table: dict[str, dict[str, dict]] = {}
    for name in names:
        data = load_set(name, args.eval, cap=args.cap, seed=0)
        X = embed(data.texts)
        row = {}
        for method in methods:
            fn = registry[method]

            path = _path(args.out, "discover", name, method)
            row[method] = _cached(path, args.fresh, method, _discover, fn, data, X)
            print(f"  discover {name} {method}: ARI {row[method]['ari']:.4f}", flush=True)
        table[name] = row
    return table


# ------------------------------------------------------------------------------- tables


def leave_one_set_out(
    table: dict[str, dict[str, dict]], candidates: Sequence[str], key: str
) -> dict:
    """For each set, the candidate with the best mean ``key`` over the other sets, and its
    score on this set; the mean of those scores."""
    chosen, scores = {}, {}
    for held in table:
        others = [s for s in table if s != held]
        means = {c: np.mean([table[s][c][key] for s in others]) for c in candidates}
        best = max(candidates, key=lambda c: (means[c], -candidates.index(c)))
        chosen[held] = best
        scores[held] = table[held][best][key]
    full = {c: float(np.mean([table[s][c][key] for s in table])) for c in candidates}
    return {
        "chosen": chosen,
        "scores": scores,
        "mean": round(float(np.mean(list(scores.values()))), 4),
        "chosen_on_all": max(candidates, key=lambda c: (full[c], -candidates.index(c))),
    }


def markdown(task: str, table: dict[str, dict[str, dict]], methods: Sequence[str], key: str) -> str:
    baselines = BASELINES[task]
    head = ["set", *methods, "silobridge rank", "vs best baseline"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in table.items():
        values = {m: row[m][key] for m in methods}
        ours = values["silobridge"]
        rank = 1 + sum(v > ours for v in values.values())
        best = max(values[b] for b in baselines if b in values)
        cells = []
        for m in methods:
            extra = ""
            if task == "discover":
                extra = f" ({row[m]['themes']}/{row[m]['classes']}, {row[m]['unassigned']:.0%})"
            cells.append(f"{values[m]:.3f}{extra}")
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {rank} | {ours - best:+.3f} |")
    means = [np.mean([table[s][m][key] for s in table]) for m in methods]
    lines.append("| **mean** | " + " | ".join(f"**{v:.3f}**" for v in means) + " | | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--sets", nargs="+", default=None, help="default: every set of the task")
    parser.add_argument("--methods", nargs="+", default=None, help="default: every method")
    parser.add_argument("--cap", type=int, default=3000, help="most test texts per set")
    parser.add_argument("--shots", type=int, default=8)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--fresh", nargs="*", default=[], help="methods to recompute ('all')")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    args.fresh = set(args.fresh)
    _EMBED.append(Embeddings())
    summary: dict[str, Any] = {}
    for task in args.tasks:
        registry = {
            "zero_shot": zero_shot_methods,
            "few_shot": few_shot_methods,
            "discover": discover_methods,
        }[task]()
        methods = [m for m in registry if args.methods is None or m in args.methods]
        if "silobridge" not in methods:
            methods.insert(0, "silobridge")
        pool = SETS if task == "discover" else CLASSIFY
        names = [s for s in pool if args.sets is None or s in args.sets]
        if task == "discover":
            table = run_discover_task(names, methods, args)
        else:
            table = run_classify_task(task, names, methods, args)
        key = "ari" if task == "discover" else "macro_f1"
        print(f"\n## {task} ({key})\n\n" + markdown(task, table, methods, key) + "\n", flush=True)
        summary[task] = {"key": key, "table": table}
        candidates = [m for m in methods if m not in BASELINES[task]]
        if len(candidates) > 1 and len(table) > 1:
            loso = leave_one_set_out(table, candidates, key)
            summary[task]["leave_one_set_out"] = loso
            print(
                f"leave-one-set-out over {', '.join(candidates)}: mean {loso['mean']:.3f} "
                f"(chosen on all sets: {loso['chosen_on_all']}; per set: {loso['chosen']})\n",
                flush=True,
            )
    (args.out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")


if __name__ == "__main__":
    main()
