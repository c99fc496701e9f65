"""Substance of a unit: does it say something about a product, service, need or market?

A logistic regression on the unit's sentence embedding and its length, trained on public
labelled conversations (``benchmarks/train_substance.py``: app reviews, tickets, complaints,
customer intents and queries against STAR dialogues' greetings and goodbyes, assistant small
talk, NLU++ acknowledgements, meeting backchannels), never on silobridge's own sample. It gives
the probability that a unit has substance rather than being small talk (greetings, goodbyes,
thanks, acknowledgements, chit-chat).

The weights ship in ``data/models/substance.json`` with the id of the embedding model they were
trained on (vectors of another model cannot be scored: :meth:`SubstanceModel.applies_to`) and
the default threshold, chosen leave-one-set-out (the highest that keeps at least 90% of the
substance of each held-out set, on average).

Examples:
    >>> model = SubstanceModel.load()                   # doctest: +SKIP
    >>> model.predict_proba(vectors, texts) >= model.threshold  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

#: Where the trained weights ship.
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "models" / "substance.json"
#: The weight of the length feature (``log1p`` of the words) next to the unit-length vector.
LENGTH_SCALE = 0.3


def features(vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
    """What the model reads: the vector, and ``LENGTH_SCALE * log1p(words)``."""
    words = np.array([len(str(t).split()) for t in texts], dtype=np.float64)
    vectors = np.asarray(vectors, dtype=np.float64).reshape(len(words), -1)
    return np.hstack([vectors, LENGTH_SCALE * np.log1p(words)[:, None]])


@dataclass(frozen=True)
class SubstanceModel:
    """Trained weights (``coef`` over :func:`features`, ``intercept``) for vectors of
    ``model_id``; the default ``threshold`` (the highest keeping at least 90% of each held-out
    set's substance, on average) and ``relay_threshold`` (the best balanced accuracy held out:
    what a staff member's own words need to read as relaying a customer)."""

    coef: np.ndarray
    intercept: float
    threshold: float
    relay_threshold: float
    model_id: str
    algorithm: str
    digest: str

    @classmethod
    def load(cls, path: str | Path = DEFAULT_PATH) -> SubstanceModel:
        """The model saved at ``path`` (default: the one silobridge ships)."""
        return _load(str(path))

    def applies_to(self, model_id: str | None) -> bool:
        """Whether vectors of embedding model ``model_id`` can be scored."""
        return model_id == self.model_id

    def predict_proba(self, vectors: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """The probability that each text (of L2-normalised ``vectors``) has substance."""
        x = features(vectors, texts)
        if x.shape[1] != self.coef.shape[0]:
            raise ValueError(
                f"vectors of dimension {x.shape[1] - 1}: the substance model takes "
                f"{self.coef.shape[0] - 1}-dimensional vectors of {self.model_id}"
            )
        return 1.0 / (1.0 + np.exp(-(x @ self.coef + self.intercept)))


@lru_cache(maxsize=4)
def _load(path: str) -> SubstanceModel:
    raw = Path(path).read_bytes()
    data = json.loads(raw)
    if data.get("classes") != ["small_talk", "substance"]:
        raise ValueError(f"{path}: classes {data.get('classes')}, expected small_talk, substance")
    return SubstanceModel(
        coef=np.asarray(data["coef"], dtype=np.float64),
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        relay_threshold=float(data.get("relay_threshold", data["threshold"])),
        model_id=str(data["model_id"]),
        algorithm=str(data.get("algorithm", "substance")),
        digest=hashlib.sha256(raw).hexdigest()[:12],
    )
