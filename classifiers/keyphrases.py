"""Readable labels, top terms and representative units for clusters of texts.

* **Terms** are word n-grams (1 to 3 words) that neither start nor end with a stop word and
  hold no redaction placeholder (``<PERSON>``), scored by class-based TF-IDF (c-TF-IDF, as in
  BERTopic): a term's frequency in the cluster, normalised by the cluster's size, times
  ``log(1 + A / f)`` where ``A`` is the average number of words per cluster and ``f`` the term's
  frequency over all clusters. A term that every cluster uses scores low everywhere.
* **Label**: the best-scoring term of two or more words (a phrase reads better than a word),
  or the two best words. Labels are distinct: a cluster whose best phrase another, larger,
  cluster already carries takes its next best.
* **Representatives**: units close to the cluster's centroid and unlike each other (maximal
  marginal relevance), never two of the same text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]|[a-z]")
#: Where a phrase cannot continue: punctuation and redaction placeholders.
_BREAK = re.compile(r"<[A-Z_]+>|[.,;:!?()\[\]{}\"/|\u2014\u2013]|\s-\s")
#: Words that carry no theme: chat filler and the vocabulary of every customer conversation.
_FILLER = frozenset(
    """
    hi hello hey thanks thank thx pls please ok okay yes yeah yep sure just like really
    also actually basically hope good great know let let's get got go going want wanted
    need needs think say said told asked ask tell looking look team guys folks today
    tomorrow yesterday week weeks month months day days time lot bit way thing things
    something anything i'm we're you're it's don't can't doesn't isn't didn't we've i've
    i'd we'd that's there's
    """.split()  # noqa: SIM905
)
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | _FILLER


def candidate_terms(
    text: str, *, max_words: int = 3, stop_words: frozenset[str] = STOP_WORDS
) -> list[str]:
    """The n-grams of ``text`` that may name a theme (lower case), within clauses."""
    terms = []
    for clause in _BREAK.split(text.replace("\u2019", "'")):
        tokens = _WORD.findall(clause.lower())
        for n in range(1, max_words + 1):
            for i in range(len(tokens) - n + 1):
                gram = tokens[i : i + n]
                if gram[0] in stop_words or gram[-1] in stop_words:
                    continue
                if any(t.isdigit() for t in gram) or (n == 1 and len(gram[0]) < 3):
                    continue
                terms.append(" ".join(gram))
    return terms


def ctfidf_terms(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    *,
    top: int = 10,
    stop_words: Sequence[str] = (),
) -> dict[int, list[tuple[str, float]]]:
    """Each cluster's ``top`` terms with their c-TF-IDF score (clusters ``< 0`` are skipped).

    A term must occur in at least two of the cluster's texts (one customer's wording is not a
    theme's), unless the cluster has fewer than four texts or no term is shared.
    """
    labels = np.asarray(labels)
    stops = STOP_WORDS | {w.lower() for name in stop_words for w in name.split()}
    clusters = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
    counts: dict[int, Counter[str]] = {c: Counter() for c in clusters}
    docs: dict[int, Counter[str]] = {c: Counter() for c in clusters}
    words = dict.fromkeys(clusters, 0)
    for text, c in zip(texts, labels.tolist(), strict=True):
        if c < 0:
            continue
        terms = candidate_terms(text, stop_words=stops)
        counts[c].update(terms)
        docs[c].update(set(terms))
        words[c] += max(1, len(text.split()))
    if not clusters:
        return {}
    total: Counter[str] = Counter()
    for c in clusters:
        total.update(counts[c])
    average_words = sum(words.values()) / len(clusters)
    n_texts = Counter(labels.tolist())
    out = {}
    for c in clusters:
        size = max(1, words[c])
        need = 2 if n_texts[c] >= 4 and max(docs[c].values(), default=0) >= 2 else 1
        scored = [
            (term, (n / size) * np.log(1 + average_words / total[term]))
            for term, n in counts[c].items()
            if docs[c][term] >= need
        ]
        scored.sort(key=lambda kv: (-kv[1], -len(kv[0].split()), kv[0]))
        out[c] = [(t, float(s)) for t, s in scored[:top]]
    return out


_NOUNS = {"NOUN", "PROPN"}
_MODIFIERS = {"ADJ", "NOUN", "PROPN", "NUM"}
_LINKS = {"of", "for", "and", "or", "in", "with", "on"}


def noun_phrases(phrases: Sequence[str], nlp: Any) -> set[str]:
    """The ``phrases`` that read as noun phrases ("data residency", "plan or region"), by
    the tagger of the spaCy pipeline ``nlp``: adjectives and nouns ending in a noun, with at
    most a linking word ("of", "and", ...) inside."""
    keep = {"tok2vec", "tagger", "attribute_ruler"}
    disabled = [p for p in nlp.pipe_names if p not in keep]
    out = set()
    for doc in nlp.pipe(list(phrases), disable=disabled, batch_size=256):
        tokens = list(doc)
        if len(tokens) < 2 or tokens[-1].pos_ not in _NOUNS:
            continue
        inner = tokens[1:-1]
        if tokens[0].pos_ in _MODIFIERS and all(
            t.pos_ in _MODIFIERS or t.lower_ in _LINKS for t in inner
        ):
            out.add(doc.text)
    return out


def _label_candidates(terms: list[tuple[str, float]], nps: set[str] | None = None) -> list[str]:
    """Labels a cluster could carry, best first: its noun phrases, its other phrases, pairs of
    its words, then its words."""
    score = dict(terms)
    phrases = [t for t, _ in terms if len(t.split()) >= 2]
    # a phrase inside a longer one that scores nearly as well reads worse than the longer one
    ranked = []
    for t in phrases:
        longer = [
            p for p in phrases if p != t and f" {t} " in f" {p} " and score[p] >= 0.8 * score[t]
        ]
        ranked.append(longer[0] if longer else t)
    if nps is not None:
        ranked = [t for t in ranked if t in nps] + [t for t in ranked if t not in nps]
    words = [t for t, _ in terms if len(t.split()) == 1]
    pairs = [f"{a} {b}" for i, a in enumerate(words) for b in words[i + 1 :]]
    return list(dict.fromkeys([*ranked, *pairs, *words]))


def distinct_labels(
    terms: dict[int, list[tuple[str, float]]],
    sizes: dict[int, int],
    nps: set[str] | None = None,
    *,
    keep: dict[int, str] | None = None,
    fixed: dict[int, str] | None = None,
) -> dict[int, str]:
    """One label per cluster, no two alike; larger clusters choose first.

    Args:
        terms: Each cluster's scored terms (:func:`ctfidf_terms`).
        sizes: Each cluster's size.
        nps: Terms that are noun phrases (:func:`noun_phrases`): preferred as labels.
        keep: A cluster's previous label, kept while it is still among its five best
            candidates (labels do not flicker from run to run).
        fixed: Labels people gave: kept as they are, and no other cluster takes them.
    """
    keep, fixed = keep or {}, fixed or {}
    used = set(fixed.values())
    out = dict(fixed)
    for c in sorted(terms, key=lambda c: (-sizes.get(c, 0), c)):
        if c in fixed:
            continue
        candidates = _label_candidates(terms[c], nps)
        previous = keep.get(c)
        if previous is not None and previous in candidates[:5] and previous not in used:
            label = previous
        else:
            label = next((t for t in candidates if t not in used), "")
        if not label:
            base = candidates[0] if candidates else "theme"
            n = 2
            while f"{base} ({n})" in used:
                n += 1
            label = f"{base} ({n})"
        used.add(label)
        out[c] = label
    return out


def representatives(
    vectors: np.ndarray,
    texts: Sequence[str],
    centroid: np.ndarray,
    *,
    k: int = 5,
    diversity: float = 0.3,
    pool: int = 200,
) -> list[int]:
    """Indices of up to ``k`` texts that stand for a cluster: central and unlike each other.

    Maximal marginal relevance among the ``pool`` texts closest to the centroid: each pick
    maximises ``(1 - diversity) * similarity to centroid - diversity * similarity to the
    closest pick so far``; a text equal to one already picked (case and spaces aside) is
    skipped.
    """
    if len(texts) == 0:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    sim = vectors @ np.asarray(centroid, dtype=np.float32)
    order = np.argsort(-sim, kind="stable")[:pool]
    chosen: list[int] = []
    seen: set[str] = set()
    closest = np.full(len(order), -1.0, dtype=np.float32)
    candidates = vectors[order]
    for _ in range(min(k, len(order))):
        score = (1 - diversity) * sim[order] - diversity * closest
        for j in np.argsort(-score, kind="stable"):
            key = " ".join(texts[order[j]].lower().split())
            if key in seen or int(order[j]) in chosen:
                continue
            break
        else:
            break
        pick = int(order[j])
        chosen.append(pick)
        seen.add(key)
        closest = np.maximum(closest, candidates @ vectors[pick])
    return chosen
