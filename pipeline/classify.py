"""The classify stage: every unit labelled by theme, insight type, sentiment and function.

From the units' stored vectors (no text is encoded again) and the taxonomy:

* **themes** (multi-label): the taxonomy's leaf themes, zero-shot from their names, descriptions,
  examples and keywords (:class:`~silobridge.classifiers.embedding.PrototypeClassifier`), or
  few-shot when labelled units are given. Every theme whose probability reaches
  ``theme_threshold`` is kept (a unit can carry several); a unit with none is *unassigned*
  and is what theme discovery looks at.
* **insight type**: zero-shot from the taxonomy's ``insight_types`` descriptions.
* **sentiment**: negative / neutral / positive with a score in [-1, 1]
  (:mod:`silobridge.classifiers.sentiment`).
* **function**: ``configured`` when the source's config names it, ``mapped`` when the connector
  read it from the record (a Slack channel mapping, a CRM team column), else ``inferred`` by a
  classifier trained on the units whose function is known, with its probability.

Labels are recomputed for every unit on each run (cheap next to embedding) and written with
the algorithm that made them (``theme.zero_shot.v1``...) and the taxonomy's hash; earlier runs'
labels stay readable by time travel (``store.read("classified", run=...)``).
"""

from __future__ import annotations

import difflib
import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from threadpoolctl import threadpool_limits

from .._version import __version__
from ..classifiers.embedding import FewShotClassifier, PrototypeClassifier, softmax
from ..classifiers.sentiment import SentimentScorer
from ..errors import ConfigError
from ..extractors.labelled import read_labelled
from ..taxonomy import Taxonomy, gazetteer_names, load_taxonomy
from .embed import Embedder, embed
from .engine import LOCAL, Execution, label_blocks
from .store.labels import add_theme_labels
from .store.schema import CLASSIFIED
from .store.store import Store, new_run_id
from .understand.redact import Redactor

log = logging.getLogger(__name__)

THEME_ZERO_SHOT = "theme.zero_shot.v1"
#: The background class's label in few-shot training (never a theme id: ids are lower case).
NONE = "_none"
#: What a unit about no theme in particular sounds like: the reference each theme must beat.
BACKGROUND = (
    "Thanks, talk soon.",
    "I wanted to check in with you.",
    "Sounds good, let me know.",
    "Following up on my previous message.",
    "Can we schedule a call next week?",
    "I have a question about our account.",
    "Hello, hope you are well.",
    "We had a meeting with the team today.",
)
THEME_FEW_SHOT = "theme.few_shot.v1"
INSIGHT_ZERO_SHOT = "insight_type.zero_shot.v1"
FUNCTION_INFERRED = "function.logreg.v1"
#: Units labelled per :meth:`ClassifyStage.predict` call (see there).
LABEL_BLOCK = 4096


@dataclass
class ClassifyResult:
    """What :func:`classify_units` and :func:`run_classify` return."""

    labels: pd.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    run_id: str = ""


class ClassifyStage:
    """The classify stage's models, built from a taxonomy.

    Args:
        taxonomy: A taxonomy file or a loaded :class:`Taxonomy`.
        embedder: The embedding model of the units' vectors (default: all-MiniLM-L6-v2).
        theme_threshold: Minimum probability of a unit's first theme; below it the unit is
            unassigned.
        second_theme_margin: A further theme of an assigned unit is kept when its cosine
            similarity beats the background's by this much (the softmax that picks the first
            theme would hide a second one: a unit about two themes is close to both).
        configured_functions: ``{source_name: function}`` from the sources' config.
        theme_examples: Labelled units (``text``, ``theme``; from ``silobridge label import``):
            themes become few-shot, the taxonomy's prompts joining the examples.
    """

    def __init__(
        self,
        *,
        taxonomy: str | Path | Taxonomy,
        embedder: Embedder | None = None,
        theme_threshold: float = 0.6,
        second_theme_margin: float = 0.25,
        configured_functions: Mapping[str, str | None] | None = None,
        theme_examples: pd.DataFrame | None = None,
    ):
        self.taxonomy = taxonomy
        self.embedder = embedder
        self.theme_threshold = theme_threshold
        self.second_theme_margin = second_theme_margin
        self.configured_functions = dict(configured_functions or {})
        self.theme_examples = theme_examples

    @property
    def taxonomy_(self) -> Taxonomy:
        if not isinstance(self.taxonomy, Taxonomy):
            self.taxonomy = load_taxonomy(self.taxonomy)
        return self.taxonomy

    @property
    def embedder_(self) -> Embedder:
        if self.embedder is None:
            self.embedder = Embedder()
        return self.embedder

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        return embed(list(texts), embedder=self.embedder_).vectors

    def _theme_prompts(self) -> tuple[list[str], list[str]]:
        """Each leaf theme's name, description, examples and keywords, with its id."""
        texts, labels = [], []
        for theme in self.taxonomy_.leaves:
            prompts = theme.prompts() + [f"{theme.name}: {k}" for k in theme.keywords]
            texts.extend(prompts)
            labels.extend([theme.id] * len(prompts))
        return texts, labels

    def theme_model(self) -> PrototypeClassifier:
        if getattr(self, "theme_model_", None) is None:
            texts, labels = self._theme_prompts()
            model = PrototypeClassifier().fit(self._embed(texts), np.asarray(labels))
            self.theme_model_ = model
        return self.theme_model_

    def theme_probabilities(self, vectors: np.ndarray) -> np.ndarray:
        """Per unit and theme, the probability that the unit is about the theme (multi-label).

        A softmax over the themes' cosine similarities and that of a background of generic
        sentences (greetings, follow-ups, scheduling), the "none of these" class. A unit close to
        two themes splits the mass between them, so both can pass the threshold; one closer to
        the background than to any theme passes none.
        """
        themes = self.theme_model()
        background = self._background()
        model = self._few_shot()
        if model is not None:
            proba = model.predict_proba(vectors)
            keep = [list(model.classes_).index(t) for t in themes.classes_]
            return proba[:, keep]
        cos = themes.decision_function(vectors)
        cos_bg = np.asarray(vectors, dtype=np.float32) @ background
        proba = softmax(np.column_stack([cos, cos_bg]), float(themes.temperature))
        return proba[:, :-1]

    def _few_shot(self) -> FewShotClassifier | None:
        """With labelled examples: a calibrated logistic regression over the themes and a
        background class, the taxonomy's prompts and the background sentences as extra examples."""
        examples = self.theme_examples
        if examples is None or not len(examples):
            return None
        if getattr(self, "few_shot_", None) is None:
            texts, labels = self._theme_prompts()
            texts.extend(BACKGROUND)
            labels.extend([NONE] * len(BACKGROUND))
            model = FewShotClassifier(
                C=30.0, prior_X=self._embed(texts), prior_y=np.asarray(labels)
            )
            self.few_shot_ = model.fit(
                self._embed(examples["text"].tolist()), examples["theme"].to_numpy()
            )
        return self.few_shot_

    @property
    def theme_algorithm(self) -> str:
        return THEME_FEW_SHOT if self._few_shot() is not None else THEME_ZERO_SHOT

    def insight_model(self) -> PrototypeClassifier:
        if getattr(self, "insight_model_", None) is None:
            texts, labels = [], []
            for kind in self.taxonomy_.insight_types:
                texts.extend(kind.prompts())
                labels.extend([kind.id] * len(kind.prompts()))
            self.insight_model_ = PrototypeClassifier().fit(self._embed(texts), np.asarray(labels))
        return self.insight_model_

    def sentiment_model(self) -> SentimentScorer:
        if getattr(self, "sentiment_model_", None) is None:
            self.sentiment_model_ = SentimentScorer(embed=self._embed)
        return self.sentiment_model_

    def fit(self, units: pd.DataFrame, vectors: np.ndarray) -> ClassifyStage:
        """Fit what depends on all the units, once, before :meth:`predict` labels them.

        The theme, insight-type and background prototypes (and the few-shot model), the
        sentiment scorer's self-training on the units, and the function classifier on the units
        whose function is known. After it the stage encodes nothing more, so it can be shipped
        to workers that label blocks of units (the ``ray`` engine).
        """
        self.theme_model()
        self._background()
        self._few_shot()
        self.insight_model()
        self.sentiment_model().fit(units["text"].tolist(), vectors)
        self._fit_functions(units, vectors)
        return self

    def predict(self, units: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
        """Label a block of ``units`` (after :meth:`fit`), one row per unit.

        Each unit's labels depend only on the unit, the fitted models and the block's size
        (matrix products round the last bits differently for other shapes), so the pipeline
        always labels blocks of :data:`LABEL_BLOCK` units in ``unit_id`` order, whichever
        engine runs them. The BLAS runs on one thread here, as in a one-CPU Ray actor: its
        results also depend on its thread count.
        """
        with threadpool_limits(1, user_api="blas"):
            return self._predict(units, vectors)

    def _predict(self, units: pd.DataFrame, vectors: np.ndarray) -> pd.DataFrame:
        themes = self.theme_model()
        proba = self.theme_probabilities(vectors)
        over_background = (
            themes.decision_function(vectors)
            - (np.asarray(vectors, dtype=np.float32) @ self._background())[:, None]
        )
        theme_lists = []
        best, best_p = [], []
        for row, margin in zip(proba, over_background, strict=True):
            order = np.argsort(-row)
            kept = []
            if row[order[0]] >= self.theme_threshold:
                kept = [
                    {"id": str(themes.classes_[j]), "probability": round(float(row[j]), 4)}
                    for j in order
                    if j == order[0] or margin[j] >= self.second_theme_margin
                ]
            theme_lists.append(kept)
            best.append(kept[0]["id"] if kept else None)
            best_p.append(float(row[order[0]]))
        insight = self.insight_model()
        insight_p = insight.predict_proba(vectors)
        insight_type = insight.classes_[insight_p.argmax(axis=1)]
        sentiment, score = self.sentiment_model().score(units["text"].tolist(), vectors)
        function, function_source, function_p = self._functions(units, vectors)
        return pd.DataFrame(
            {
                "unit_id": units["unit_id"].to_numpy(),
                "item_id": units["item_id"].to_numpy(),
                "source_name": units["source_name"].to_numpy(),
                "themes": theme_lists,
                "theme": best,
                "theme_probability": np.round(best_p, 4),
                "insight_type": insight_type.astype(str),
                "insight_probability": np.round(insight_p.max(axis=1), 4),
                "sentiment": sentiment,
                "sentiment_score": np.round(score, 4),
                "function": function,
                "function_source": function_source,
                "function_probability": np.round(function_p, 4),
                "theme_algorithm": self.theme_algorithm,
                "insight_algorithm": INSIGHT_ZERO_SHOT,
                "sentiment_algorithm": self.sentiment_model().algorithm_,
                "function_algorithm": [
                    FUNCTION_INFERRED if s == "inferred" else s for s in function_source
                ],
                "taxonomy_hash": self.taxonomy_.themes_hash(),
            }
        )

    def run(self, units: pd.DataFrame, vectors: np.ndarray) -> ClassifyResult:
        """Label ``units`` (rows of ``store.units()``) whose embeddings are ``vectors``.

        :meth:`fit` on all of them, then :meth:`predict` block by block.
        """
        t0 = time.perf_counter()
        self.fit(units, vectors)
        timings = {"fit": time.perf_counter() - t0}
        t0 = time.perf_counter()
        blocks = [
            self.predict(units.iloc[i : i + LABEL_BLOCK], vectors[i : i + LABEL_BLOCK])
            for i in range(0, len(units), LABEL_BLOCK)
        ]
        labels = pd.concat(blocks, ignore_index=True) if blocks else self.predict(units, vectors)
        timings["predict"] = time.perf_counter() - t0
        return ClassifyResult(labels, label_stats(labels), timings)

    def _background(self) -> np.ndarray:
        if getattr(self, "background_", None) is None:
            bg = self._embed(list(BACKGROUND)).mean(axis=0)
            self.background_ = bg / np.linalg.norm(bg)
        return self.background_

    def _fit_functions(self, units: pd.DataFrame, vectors: np.ndarray) -> None:
        """The function classifier, on the units whose function is known (``None``: too few)."""
        known = units["function"].notna().to_numpy()
        train_labels = units["function"][known].astype(str).to_numpy()
        self.function_model_ = None
        if len(set(train_labels)) >= 2 and not known.all():
            self.function_model_ = FewShotClassifier(C=1.0, cv=3).fit(vectors[known], train_labels)

    def _functions(
        self, units: pd.DataFrame, vectors: np.ndarray
    ) -> tuple[list[str | None], list[str], np.ndarray]:
        known = units["function"].notna().to_numpy()
        configured = np.array(
            [
                self.configured_functions.get(s) is not None and f == self.configured_functions[s]
                for s, f in zip(units["source_name"], units["function"], strict=True)
            ],
            dtype=bool,
        )
        function = units["function"].astype(object).where(known, None).tolist()
        source = np.where(configured, "configured", np.where(known, "mapped", "inferred"))
        probability = np.where(known, 1.0, 0.0)
        todo = np.flatnonzero(~known)
        model = getattr(self, "function_model_", None)
        if todo.size and model is not None:
            p = model.predict_proba(vectors[todo])
            for i, row in zip(todo, p, strict=True):
                function[i] = str(model.classes_[row.argmax()])
                probability[i] = float(row.max())
        elif todo.size:
            source[todo] = "unknown"
        return function, source.tolist(), probability


def label_stats(labels: pd.DataFrame) -> dict[str, Any]:
    """Counts of a labels table: units, unassigned, and per theme, type, sentiment, source."""
    if not len(labels):
        return {"units": 0}
    return {
        "units": len(labels),
        "unassigned": int(labels["theme"].isna().sum()),
        "themes": dict(Counter(t["id"] for ts in labels["themes"] for t in ts)),
        "insight_types": dict(Counter(labels["insight_type"])),
        "sentiment": dict(Counter(labels["sentiment"])),
        "function_source": dict(Counter(labels["function_source"])),
    }


def run_classify(
    store: Store | str | Path,
    *,
    stage: ClassifyStage,
    retention_days: int = 30,
    config_hash: str = "",
    run_id: str | None = None,
    execution: Execution = LOCAL,
) -> ClassifyResult:
    """Label every unit of the store, as one run (the ``classified`` table is rewritten).

    With a ``ray`` ``execution`` (:mod:`.engine`), the stage is fitted here and the blocks of
    units are labelled by a pool of Ray actors; the labels are the same.
    """
    started = time.perf_counter()
    now = datetime.now(UTC)
    run_id = run_id or new_run_id(now)
    if not isinstance(store, Store):
        store = Store.open(store)
    with store.writing(run_id) as writer:
        columns = ["unit_id", "item_id", "source_name", "function", "text"]
        units = store.units(columns=[*columns, "embedding_key", "model_id"])
        # self-training fits on all units: their order must not depend on the file layout
        units = units.sort_values("unit_id", kind="stable").reset_index(drop=True)
        t0 = time.perf_counter()
        vectors = store.vectors(units) if len(units) else np.empty((0, 384), np.float32)
        read_s = time.perf_counter() - t0
        if not len(units):
            result = ClassifyResult(pd.DataFrame())
        elif execution.is_ray:
            t0 = time.perf_counter()
            stage.fit(units, vectors)
            fit_s = time.perf_counter() - t0
            labels = label_blocks(stage, units, vectors, block=LABEL_BLOCK, execution=execution)
            result = ClassifyResult(labels, label_stats(labels), {"fit": fit_s})
            result.timings["predict"] = time.perf_counter() - t0 - fit_s
        else:
            result = stage.run(units, vectors)
        result.timings["read_vectors"] = read_s
        if len(units):
            frame = result.labels.assign(run_id=run_id)[CLASSIFIED.names]
            table = pa.Table.from_pandas(frame, preserve_index=False).cast(CLASSIFIED)
        else:
            table = CLASSIFIED.empty_table()
        writer.replace_all("classified", table)
        writer.vacuum(retention_days)
        result.timings["total"] = time.perf_counter() - started
        result.run_id = run_id
        writer.commit(
            {
                "kind": "classify",
                "silobridge_version": __version__,
                "started_at": now.isoformat(),
                "finished_at": datetime.now(UTC).isoformat(),
                "outcome": "ok",
                "config_hash": config_hash,
                "taxonomy_hash": stage.taxonomy_.themes_hash(),
                "counts": {k: v for k, v in result.stats.items() if not isinstance(v, dict)},
                "stats": result.stats,
                "timings": {k: round(v, 3) for k, v in result.timings.items()},
            }
        )
    return result


# ---------------------------------------------------------------------------- label import


def import_theme_labels(
    store: Store | str | Path,
    path: str | Path,
    *,
    taxonomy: Taxonomy,
    text_col: str = "text",
    label_col: str = "theme",
    redactor: Any = None,
) -> dict[str, int]:
    """``silobridge label import``: check labelled texts against the taxonomy, redact them as
    units are redacted (the file may hold personal data; the store keeps only redacted text) and
    add them to the store's labels (:func:`~.store.labels.add_theme_labels`), which the theme
    classifier trains on. Returns ``{"added", "already", "total"}``.

    Raises:
        ConfigError: naming the file and line of a label that is not a leaf theme id.
    """
    data = read_labelled(path, text_col=text_col, label_col=label_col)
    leaves = [t.id for t in taxonomy.leaves]
    for line, label in enumerate(data.labels, start=2):
        if label not in leaves:
            close = difflib.get_close_matches(label, leaves, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ConfigError(
                f"{data.path}: line {line}: {label!r} is not a theme id of {taxonomy.path}{hint}"
            )
    redactor = redactor or Redactor(
        allow_list=[*gazetteer_names(taxonomy.gazetteer), *taxonomy.company]
    )
    texts = [r.text for r in redactor.redact_many(data.texts)]
    new = pd.DataFrame(
        {
            "text": texts,
            "theme": data.labels,
            "source_file": Path(path).name,
        }
    )
    return add_theme_labels(store, new)
