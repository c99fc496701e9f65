"""Labels of discovered themes and of their groups, in the customers' words.

A theme's label is the candidate (of its :data:`LABEL_CANDIDATES` best by c-TF-IDF,
:mod:`~silobridge.classifiers.keyphrases`) whose embedding is closest to the theme's centroid,
phrases that end in a noun first; never a misspelt word, a first name, an account's name, a
placeholder or a repeated word; distinct across themes and groups (``docs/discover.md``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from ...classifiers.cluster import normalize
from ...classifiers.keyphrases import (
    ctfidf_terms,
    distinct_labels,
    ending_in_a_noun,
    label_candidates,
    misspelt_words,
    noun_phrases,
    representatives,
    short_text,
    surface_form,
    word_forms,
)
from ..embed import Embedder
from ..nlp import load_pipeline
from ..understand.redact_words import census_names


@dataclass
class Themes:
    """Clusters of some texts described for people: what :func:`describe` returns."""

    labels: dict[int, str]
    terms: dict[int, list[str]]
    representatives: dict[int, list[int]]


def describe(
    texts: Sequence[str],
    vectors: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    *,
    keep: dict[int, str] | None = None,
    fixed: dict[int, str] | None = None,
    n_representatives: int = 5,
    stop_words: Sequence[str] = (),
    accounts: Sequence[str] = (),
    embed: Callable[[list[str]], np.ndarray] | None = None,
) -> Themes:
    """Label, top terms and representatives of each cluster ``>= 0`` of ``labels``.

    Args:
        keep: A cluster's previous automatic label, kept while it is still among the cluster's
            five best candidates (labels do not flicker from run to run).
        fixed: Labels people gave (renamed themes): kept as they are, and no other theme
            takes them.
        stop_words: More words no term starts or ends with (the company's own name).
        accounts: Account names no label may name.
        embed: The model the ``vectors`` come from (texts to unit vectors): a cluster's label
            is then the candidate (of its :data:`LABEL_CANDIDATES` best by c-TF-IDF) whose
            embedding is closest to the cluster's centroid (as KeyBERT does for a document).
    """
    scored = ctfidf_terms(texts, labels, top=15, stop_words=stop_words, max_words=4)
    sizes = Counter(int(c) for c in labels if c >= 0)
    phrases = sorted({t for terms in scored.values() for t, _ in terms if " " in t})
    nlp = load_pipeline()
    nps = noun_phrases(phrases, nlp)
    forms, misspelt, exclude, avoid = wording(texts, scored, accounts)
    reps = {}
    texts = list(texts)
    for c in scored:
        members = np.flatnonzero(labels == c)
        picked = representatives(
            vectors[members], [texts[i] for i in members], centers[c], k=n_representatives
        )
        reps[c] = [int(members[i]) for i in picked]
    scores = (
        centroid_scores(scored, nps, centers, embed, exclude=exclude, avoid=avoid)
        if embed is not None
        else None
    )
    names = distinct_labels(
        scored,
        sizes,
        nps,
        keep=keep,
        fixed=fixed,
        exclude=exclude,
        avoid=avoid,
        fallback={c: short_text(texts[r[0]], misspelt) for c, r in reps.items() if r},
        scores=scores,
        prefer=readable(sorted({t for ts in (scores or {}).values() for t in ts}), nlp),
    )
    fixed = fixed or {}
    names = {c: v if c in fixed else surface_form(v, forms) for c, v in names.items()}
    return Themes(
        labels=names,
        terms={c: [t for t, _ in scored[c][:10]] for c in scored},
        representatives=reps,
    )


@lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The default model (loaded only when a label candidate is embedded)."""
    return Embedder()


def readable(terms: Sequence[str], nlp: Any) -> set[str]:
    """The ``terms`` that read as a whole: a word, or a phrase ending in a noun (not one cut
    short, "sorry for the long", "paying per seat gets")."""
    phrases = [t for t in terms if " " in t]
    return {t for t in terms if " " not in t} | ending_in_a_noun(phrases, nlp)


def people_words(words: Sequence[str], forms: dict[str, Counter[str]]) -> set[str]:
    """The ``words`` that are people's given names: written with a capital inside sentences
    (``forms``: :func:`~..classifiers.keyphrases.word_forms`) and on the US Census given-name
    lists. A label never holds one."""
    given, _ = census_names()
    out = set()
    for word in words:
        seen = forms.get(word)
        if word in given and seen and seen.most_common(1)[0][0][:1].isupper():
            out.add(word)
    return out


#: How many of a cluster's best candidates (by c-TF-IDF) are embedded to choose its label.
LABEL_CANDIDATES = 8


def centroid_scores(
    scored: dict[int, list[tuple[str, float]]],
    nps: set[str],
    centers: np.ndarray,
    embed: Callable[[list[str]], np.ndarray],
    *,
    exclude: dict[str, str],
    avoid: Sequence[str],
) -> dict[int, dict[str, float]]:
    """The cosine similarity of each cluster's best label candidates to its centroid.

    Measured on every labelled clustering set (``benchmarks/label_quality.py``) against
    centred vectors (the units' mean taken out of both) and against a contrast with the
    nearest other centroid: the plain similarity named the sets' classes best."""
    candidates = {
        c: label_candidates(terms, nps, exclude=exclude, avoid=avoid)[:LABEL_CANDIDATES]
        for c, terms in scored.items()
    }
    phrases = sorted({t for ts in candidates.values() for t in ts})
    if not phrases:
        return {}
    vectors = dict(zip(phrases, normalize(np.asarray(embed(phrases))), strict=True))
    return {
        c: {t: float(vectors[t] @ centers[c]) for t in ts} for c, ts in candidates.items() if ts
    }


def wording(
    texts: Sequence[str], scored: dict[int, list[tuple[str, float]]], accounts: Sequence[str]
) -> tuple[dict[str, Counter[str]], dict[str, str], dict[str, str], list[str]]:
    """What labels of clusters of ``texts`` (their ``scored`` terms) go by: how the texts spell
    each word, the misspelt words (each with its correction), every word no label may hold
    (the misspelt ones and first names the redaction let through, "Olivia fixed our issue"),
    and the account names no label may name (lower case)."""
    forms = word_forms(texts)
    words = sorted({w for terms in scored.values() for t, _ in terms for w in t.split()})
    misspelt = misspelt_words(words, forms)
    exclude = {**misspelt, **dict.fromkeys(people_words(words, forms), "")}
    avoid = sorted({" ".join(a.lower().split()) for a in accounts if isinstance(a, str)} - {""})
    return forms, misspelt, exclude, avoid


def describe_groups(
    texts: Sequence[str],
    groups: np.ndarray,
    *,
    stop_words: Sequence[str] = (),
    accounts: Sequence[str] = (),
    taken: Sequence[str] = (),
) -> tuple[dict[int, str], dict[int, list[str]]]:
    """Each group's label (distinct from the others' and from ``taken``, the themes' labels)
    and top terms, from the ``texts`` of its units (``groups``: each text's group, ``-1``
    none)."""
    scored = ctfidf_terms(texts, groups, top=15, stop_words=stop_words)
    sizes = Counter(int(c) for c in groups if c >= 0)
    phrases = sorted({t for terms in scored.values() for t, _ in terms if " " in t})
    forms, _, exclude, avoid = wording(texts, scored, accounts)
    names = distinct_labels(
        scored,
        sizes,
        noun_phrases(phrases, load_pipeline()),
        exclude=exclude,
        avoid=avoid,
        taken=taken,
    )
    return (
        {c: surface_form(v, forms) for c, v in names.items()},
        {c: [t for t, _ in scored[c][:10]] for c in scored},
    )
