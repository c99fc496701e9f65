"""``silobridge eval classify``: a classifier's quality on labelled CSV data.

The classifier is built exactly as the classify stage builds it (:func:`build_classifier`):
zero-shot from label descriptions, or few-shot from labelled examples (``--shots`` per label
drawn with ``--seed``, or every row), on the same embeddings (all-MiniLM-L6-v2 through the
embedding cache).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .embedding import (
    UNLABELLED,
    FewShotClassifier,
    PrototypeClassifier,
    SelfTrainedClassifier,
)
from .metrics import classification_report

#: Algorithm names stored with labels and printed by the evaluation.
ZERO_SHOT = "zero_shot.prototype.v1"
FEW_SHOT = "few_shot.logreg.v1"
ZERO_SHOT_SELF_TRAINED = "zero_shot.self_trained.v1"
FEW_SHOT_SELF_TRAINED = "few_shot.self_trained.v1"
#: How a label's name is put to the embedder (averaged): the name alone and two requests.
NAME_TEMPLATES = ("{}", "a question about {}", "I need help with {}")


@dataclass
class Labelled:
    """Texts and their labels, read from a file."""

    texts: list[str]
    labels: list[str]
    path: Path


def read_labelled(path: str | Path, *, text_col: str, label_col: str) -> Labelled:
    """Rows of a CSV file with a text and a label column; empty texts or labels are errors.

    Raises:
        ConfigError: naming the file, the missing column, or the row of an empty value.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            columns = reader.fieldnames or []
            for col in (text_col, label_col):
                if col not in columns:
                    raise ConfigError(
                        f"{path}: no column {col!r}; columns: {', '.join(columns) or 'none'}"
                    )
            texts, labels = [], []
            for n, row in enumerate(reader, start=2):
                text, label = (row.get(text_col) or "").strip(), (row.get(label_col) or "").strip()
                if not text or not label:
                    raise ConfigError(
                        f"{path}: line {n}: empty {text_col if not text else label_col}"
                    )
                texts.append(text)
                labels.append(label)
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e
    if not texts:
        raise ConfigError(f"{path}: no rows")
    return Labelled(texts, labels, path)


def read_texts(path: str | Path, *, text_col: str) -> list[str]:
    """The non-empty texts of a CSV column (for self-training; any label column is ignored)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if text_col not in (reader.fieldnames or []):
                raise ConfigError(
                    f"{path}: no column {text_col!r}; columns: {', '.join(reader.fieldnames or [])}"
                )
            return [t.strip() for row in reader if (t := row.get(text_col) or "").strip()]
    except OSError as e:
        raise ConfigError(f"cannot read {path}: {e}") from e


def read_descriptions(path: str | Path) -> dict[str, list[str]]:
    """A mapping label -> description (or a list of descriptions), from JSON or YAML."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the label descriptions {path}: {e}") from e
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{path}: must map each label to a description")
    out: dict[str, list[str]] = {}
    for label, value in data.items():
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{path}: {label}: the description must be a string or a list")
        out[str(label)] = [v for v in values if v.strip()]
    return out


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
    from ..pipeline.embed import Embedder, embed

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
        cached = dict(zip(train_texts, train_vectors, strict=True))

        def embed_fn(texts: list[str]) -> np.ndarray:
            missing = [t for t in texts if t not in cached]
            if missing:
                cached.update(zip(missing, vectors(missing), strict=True))
            return np.stack([cached[t] for t in texts])
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
