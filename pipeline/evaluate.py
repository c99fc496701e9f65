"""``silobridge eval classify``: a classifier's quality on labelled CSV data.

The classifier is built exactly as the classify stage builds it (:func:`build_classifier`):
zero-shot from label descriptions, or few-shot from labelled examples (``--shots`` per label
drawn with ``--seed``, or every row), on the same embeddings (all-MiniLM-L6-v2 through the
embedding cache).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import (
    adjusted_mutual_info_score,
    adjusted_rand_score,
    normalized_mutual_info_score,
)

from ..classifiers.embedding import (
    UNLABELLED,
    FewShotClassifier,
    PrototypeClassifier,
    SelfTrainedClassifier,
)
from ..classifiers.metrics import classification_report
from ..errors import ConfigError
from ..extractors.labelled import Labelled
from .discover import ACTIVE, DiscoverResult, DiscoverStage
from .embed import Embedder, embed
from .store.schema import DISCOVERED, THEMES

#: Algorithm names stored with labels and printed by the evaluation.
ZERO_SHOT = "zero_shot.prototype.v1"
FEW_SHOT = "few_shot.logreg.v1"
ZERO_SHOT_SELF_TRAINED = "zero_shot.self_trained.v1"
FEW_SHOT_SELF_TRAINED = "few_shot.self_trained.v1"
#: How a label's name is put to the embedder (averaged): the name alone and two requests.
NAME_TEMPLATES = ("{}", "a question about {}", "I need help with {}")


def label_name(label: str) -> str:
    """A label id as words: ``card_arrival`` -> ``card arrival``."""
    return label.replace("_", " ").replace("-", " ").strip()


def label_prompts(
    descriptions: Mapping[str, Sequence[str]], templates: Sequence[str] = ("{}",)
) -> tuple[list[str], list[str]]:
    """The texts a classifier embeds for its labels: each label's name in every template
    (``card_arrival`` -> "card arrival", "a question about card arrival"...), then its
    descriptions; with the label of each."""
    texts, labels = [], []
    for label, values in descriptions.items():
        for text in [*(t.format(label_name(label)) for t in templates), *values]:
            if text.strip():
                texts.append(text)
                labels.append(label)
    return texts, labels


def draw_shots(labels: Sequence[str], shots: int, seed: int) -> np.ndarray:
    """Indices of ``shots`` rows per label (all of a label's rows when it has fewer)."""
    rng = np.random.default_rng(seed)
    labels_arr = np.asarray(labels)
    picked = []
    for label in sorted(set(labels)):
        rows = np.flatnonzero(labels_arr == label)
        picked.extend(rng.choice(rows, size=min(shots, len(rows)), replace=False).tolist())
    return np.sort(np.asarray(picked, dtype=int))


def build_classifier(
    embed: Any,
    *,
    descriptions: Mapping[str, Sequence[str]] | None = None,
    train_texts: Sequence[str] | None = None,
    train_labels: Sequence[str] | None = None,
    unlabelled_texts: Sequence[str] | None = None,
    random_state: int = 0,
) -> tuple[Any, str]:
    """The classifier the classify stage uses, fitted; and its algorithm name.

    * Few-shot when labelled examples are given: a logistic regression on them plus each
      label's name (and description, when given) as extra examples.
    * Zero-shot from the descriptions alone: prototypes of each label's name (in
      :data:`NAME_TEMPLATES`) and descriptions.
    * With unlabelled texts (the units to label, or texts like them), either is refined by
      self-training on them (:class:`~.embedding.SelfTrainedClassifier`).

    Args:
        embed: A function from a list of texts to their embeddings.
    """
    # the labels' names (and descriptions) are extra examples that cost no labelling
    names = descriptions or {label: [] for label in sorted(set(train_labels or []))}
    prompts, prompt_labels = label_prompts(names, NAME_TEMPLATES)
    if not train_texts and not prompts:
        raise ConfigError("a classifier needs label descriptions or labelled examples")
    texts = [*(train_texts or []), *prompts]
    labels = [*(train_labels or []), *prompt_labels]
    X = embed(texts)
    y = np.asarray(labels)
    if unlabelled_texts:
        U = embed(list(unlabelled_texts))
        model = SelfTrainedClassifier(
            C=30.0 if train_texts else 10.0,
            seed="logreg" if train_texts else "prototype",
            rounds=3 if train_texts else 5,
            per_class=20,
            random_state=random_state,
        )
        model.fit(np.vstack([X, U]), np.concatenate([y, np.full(len(U), UNLABELLED)]))
        return model, FEW_SHOT_SELF_TRAINED if train_texts else ZERO_SHOT_SELF_TRAINED
    if train_texts:
        model = FewShotClassifier(
            C=30.0,
            prior_X=X[len(train_texts) :],
            prior_y=y[len(train_texts) :],
            random_state=random_state,
        )
        return model.fit(X[: len(train_texts)], y[: len(train_texts)]), FEW_SHOT
    return PrototypeClassifier().fit(X, y), ZERO_SHOT


def known_vectors(
    embed: Callable[[list[str]], np.ndarray], texts: Sequence[str], vectors: np.ndarray
) -> Callable[[list[str]], np.ndarray]:
    """An embedding function that already knows ``texts``' ``vectors`` and calls ``embed``
    only for texts it has not seen (each once)."""
    known = dict(zip(texts, vectors, strict=True))

    def fn(batch: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(batch) if t not in known]
        if missing:
            known.update(zip(missing, embed(missing), strict=True))
        return np.stack([known[t] for t in batch])

    return fn


def default_cache_dir() -> Path:
    """Where evaluations keep embeddings between runs: ``$XDG_CACHE_HOME/silobridge``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "silobridge" / "embeddings"


def evaluate_classify(
    data: Labelled,
    *,
    train: Labelled | None = None,
    shots: int | None = None,
    seed: int = 0,
    descriptions: dict[str, list[str]] | None = None,
    unlabelled: Sequence[str] | None = None,
    embedder: Any = None,
    cache: Any = None,
) -> dict[str, Any]:
    """Build the classifier from ``train`` or ``descriptions`` and score it on ``data``.

    Returns:
        :func:`~.metrics.classification_report` plus ``algorithm``, ``train_rows``,
        ``labels``, and ``seconds`` (``embed_train``, ``fit``, ``embed_test``, ``predict``).
    """
    if (train is None) == (descriptions is None):
        raise ConfigError("pass training data (--train) or label descriptions (--labels)")
    embedder = embedder or Embedder()
    seconds: dict[str, float] = {}

    def vectors(texts: list[str]) -> np.ndarray:
        return embed(texts, embedder=embedder, cache=cache).vectors

    train_texts = train_labels = None
    if train is not None:
        rows = draw_shots(train.labels, shots, seed) if shots else np.arange(len(train.texts))
        train_texts = [train.texts[i] for i in rows]
        train_labels = [train.labels[i] for i in rows]
        t0 = time.perf_counter()
        train_vectors = vectors(train_texts)
        seconds["embed_train"] = time.perf_counter() - t0
        embed_fn = known_vectors(vectors, train_texts, train_vectors)
    else:
        embed_fn = vectors
    t0 = time.perf_counter()
    model, algorithm = build_classifier(
        embed_fn,
        descriptions=descriptions,
        train_texts=train_texts,
        train_labels=train_labels,
        unlabelled_texts=list(unlabelled) if unlabelled else None,
        random_state=seed,
    )
    seconds["fit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    test_vectors = vectors(data.texts)
    seconds["embed_test"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    proba = model.predict_proba(test_vectors)
    seconds["predict"] = time.perf_counter() - t0
    predicted = model.classes_[proba.argmax(axis=1)]
    report = classification_report(data.labels, predicted, proba.max(axis=1))
    unknown = sorted(set(data.labels) - {str(c) for c in model.classes_})
    return {
        "algorithm": algorithm,
        "train_rows": len(train_texts) if train_texts else 0,
        "unlabelled_rows": len(unlabelled) if unlabelled else 0,
        "labels": len(model.classes_),
        "labels_without_training": unknown,
        **report,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
    }


# ------------------------------------------------------------------------------ discovery


def evaluate_cluster(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    seed: int = 0,
    runs: int = 3,
    stage: DiscoverStage | None = None,
    embedder: Any = None,
    cache: Any = None,
) -> dict[str, Any]:
    """Discover themes in labelled ``texts`` as the pipeline does and score them.

    The same :class:`DiscoverStage` run as ``silobridge discover`` on a fresh registry (seeds
    ``seed`` to ``seed + runs - 1``). Unassigned texts count as one group of their own in NMI
    and ARI.

    Returns:
        ``nmi``, ``ari``, ``ami``, ``n_themes``, ``n_classes``, ``outlier_share``, ``seconds``
        (the first run's clustering, labelling included), ``run_to_run_ari`` (mean over pairs
        of runs), ``embed_seconds``, and the themes found (label, size, top terms).
    """
    embedder = embedder or Embedder()
    t0 = time.perf_counter()
    X = embed(list(texts), embedder=embedder, cache=cache).vectors
    embed_s = time.perf_counter() - t0
    units = _eval_units(texts)
    found, seconds, first = _discover_runs(
        units,
        X,
        _seeded_stage(stage or DiscoverStage(), seed, embedder),
        seed=seed,
        runs=runs,
        model_id=embedder.model_id,
        cache=cache,
    )
    predicted = found[0]
    scores = _cluster_scores(labels, found)
    themes = first.themes[first.themes["status"] == ACTIVE]
    return {
        "nmi": scores["nmi"],
        "ari": scores["ari"],
        "ami": scores["ami"],
        "n_themes": len(themes),
        "n_classes": len(set(labels)),
        "outlier_share": round(float(np.mean(predicted == "-")), 4),
        "seconds": round(seconds[0], 2),
        "run_to_run_ari": scores["run_to_run_ari"],
        "runs": len(found),
        "embed_seconds": round(embed_s, 2),
        "algorithm": str(first.assignments["algorithm"].iloc[0]) if len(units) else "",
        "n": len(texts),
        "themes": _themes_found(themes),
    }


def _eval_units(texts: Sequence[str]) -> pd.DataFrame:
    """``texts`` as the discover stage's units (ids ``row0``, ``row1``...)."""
    return pd.DataFrame(
        {
            "unit_id": [f"row{i}" for i in range(len(texts))],
            "item_id": [f"row{i}" for i in range(len(texts))],
            "source_name": "eval",
            "text": list(texts),
        }
    )


def _seeded_stage(base: DiscoverStage, seed: int, embedder: Any = None) -> DiscoverStage:
    """A copy of ``base`` whose clustering uses ``seed`` (and that labels with ``embedder``
    when ``base`` has none)."""
    return DiscoverStage(
        min_size=base.min_size,
        match_threshold=base.match_threshold,
        seed=seed,
        stop_words=base.stop_words,
        embedder=base.embedder if base.embedder is not None else embedder,
        clusterer=clone(base.clusterer).set_params(random_state=seed)
        if base.clusterer is not None
        else None,
    )


def _discover_runs(
    units: pd.DataFrame,
    X: np.ndarray,
    base: DiscoverStage,
    *,
    seed: int,
    runs: int,
    model_id: str,
    cache: Any = None,
) -> tuple[list[np.ndarray], list[float], DiscoverResult]:
    """Run discovery on a fresh registry with seeds ``seed`` to ``seed + runs - 1`` (at least
    one run): each run's theme per unit (``"-"``: unassigned), its seconds, and the first
    run's result."""
    empty_registry = THEMES.empty_table().to_pandas()
    empty_previous = DISCOVERED.empty_table().to_pandas()
    found, seconds, first = [], [], None
    for r in range(max(1, runs)):
        run_stage = _seeded_stage(base, seed + r)
        t0 = time.perf_counter()
        result = run_stage.run(
            units,
            X,
            registry=empty_registry,
            previous=empty_previous,
            model_id=model_id,
            cache=cache,
        )
        seconds.append(time.perf_counter() - t0)
        by_unit = result.assignments.set_index("unit_id")["theme_id"]
        found.append(by_unit.reindex(units["unit_id"]).fillna("-").to_numpy())
        first = first or result
    assert first is not None
    return found, seconds, first


def _cluster_scores(labels: Sequence[str], found: list[np.ndarray]) -> dict[str, float | None]:
    """NMI, ARI and AMI of the first run against ``labels``; the mean ARI between runs
    (``None`` with one run)."""
    predicted = found[0]
    pairs = [(i, j) for i in range(len(found)) for j in range(i + 1, len(found))]
    return {
        "nmi": round(float(normalized_mutual_info_score(labels, predicted)), 4),
        "ari": round(float(adjusted_rand_score(labels, predicted)), 4),
        "ami": round(float(adjusted_mutual_info_score(labels, predicted)), 4),
        "run_to_run_ari": round(
            float(np.mean([adjusted_rand_score(found[i], found[j]) for i, j in pairs])), 4
        )
        if pairs
        else None,
    }


def _themes_found(themes: pd.DataFrame) -> list[dict[str, Any]]:
    """Id, label, size and top five terms of each theme."""
    return [
        {"id": t, "label": lab, "size": int(s), "terms": list(terms)[:5]}
        for t, lab, s, terms in zip(
            themes["theme_id"], themes["label"], themes["size"], themes["terms"], strict=True
        )
    ]
