"""Readable labels, top terms and representative units for clusters of texts.

* **Terms** are word n-grams (1 to 3 words; up to 4 for labels) that neither start nor end
  with a stop word or a contraction and hold no redaction placeholder (``<PERSON>``), scored by
  class-based TF-IDF (c-TF-IDF, as in BERTopic): a term's frequency in the cluster, normalised
  by the cluster's size, times ``log(1 + A / f)`` where ``A`` is the average number of words
  per cluster and ``f`` the term's frequency over all clusters. A term that every cluster
  uses scores low everywhere.
* **Label candidates** (:func:`label_candidates`): the cluster's noun phrases of two or more
  words, its other phrases, then its words, by c-TF-IDF; never a term with a misspelt word
  (:func:`misspelt_words`: a lower-case word rare in English, one or two edits from a word the
  same texts use at least twice as often and English ten times as often: "abot" beside
  "about"), nor one naming an account (:func:`names_account`). The caller may order them by
  another score (the discover stage: similarity of each candidate's embedding to the
  cluster's centroid).
* **Labels** (:func:`distinct_labels`) are distinct (case and a plural ``s`` aside): a
  cluster whose best candidate another, larger, cluster already carries takes its next best;
  a cluster with no candidate left takes a short form of its most central text. A label is
  shown in its most frequent spelling in the texts ("SSO login", not "sso login":
  :func:`surface_form`).
* **Representatives**: units close to the cluster's centroid and unlike each other (maximal
  marginal relevance), never two of the same text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from wordfreq import zipf_frequency

_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]|[a-z]")
_SURFACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*[A-Za-z0-9]|[A-Za-z]")
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
#: Below this Zipf frequency a word is rare in English (less than once per million words).
RARE_ZIPF = 3.0


def _is_stop(token: str, stop_words: frozenset[str]) -> bool:
    """A stop word, or a contraction ("it'd", "who'd", "we'll"): no term starts or ends with
    one."""
    return token in stop_words or ("'" in token and not token.endswith("'s"))


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
                if _is_stop(gram[0], stop_words) or _is_stop(gram[-1], stop_words):
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
    max_words: int = 3,
) -> dict[int, list[tuple[str, float]]]:
    """Each cluster's ``top`` terms of up to ``max_words`` words with their c-TF-IDF score
    (clusters ``< 0`` are skipped).

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
        terms = candidate_terms(text, stop_words=stops, max_words=max_words)
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


def ending_in_a_noun(terms: Sequence[str], nlp: Any) -> set[str]:
    """The ``terms`` (words or phrases) whose last word the tagger of ``nlp`` reads as a noun:
    what a label names ("report a billing issue", "dashboards"; not "paying per seat gets",
    "sorry for the long", "follow")."""
    keep = {"tok2vec", "tagger", "attribute_ruler"}
    disabled = [p for p in nlp.pipe_names if p not in keep]
    return {
        doc.text
        for doc in nlp.pipe(list(terms), disable=disabled, batch_size=256)
        if len(doc) and doc[-1].pos_ in _NOUNS
    }


def word_forms(texts: Sequence[str]) -> dict[str, Counter[str]]:
    """How the ``texts`` spell each word: ``{lower-case word: Counter of its spellings}``, a
    text's first word left out (a capital there says nothing about the word)."""
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        words = _SURFACE.findall(text.replace("\u2019", "'"))
        for word in words[1:]:
            forms.setdefault(word.lower(), Counter())[word] += 1
    return forms


def surface_form(term: str, forms: dict[str, Counter[str]]) -> str:
    """``term`` in its words' most frequent spellings ("sso login" -> "SSO login")."""
    out = []
    for word in term.split():
        seen = forms.get(word)
        out.append(seen.most_common(1)[0][0] if seen else word)
    return " ".join(out)


def misspelt_words(
    words: Sequence[str], forms: dict[str, Counter[str]], *, ratio: float = 2.0
) -> dict[str, str]:
    """The ``words`` that are misspellings of another word the texts use (``forms``:
    :func:`word_forms`), each with that word.

    A word is misspelt when it is written in lower case (a name or an acronym is not), has at
    least four letters, is rare in English (Zipf frequency below 3, :mod:`wordfreq`: less than
    once in a million words), and a word one edit away (two for words of eight letters or
    more: optimal string alignment, so a swap of two letters is one edit) is used at least
    ``ratio`` times as often in the texts and ten times as often in English (Zipf at least one
    higher): "abot" and "abotu" beside "about", "messgae" beside "message". Statistics of the
    texts and of the language, no word list.
    """
    totals = {w: sum(c.values()) for w, c in forms.items()}
    vocabulary = [w for w, n in totals.items() if n >= ratio]
    out: dict[str, str] = {}
    for word in dict.fromkeys(words):
        seen = forms.get(word)
        if len(word) < 4 or not seen or not seen.most_common(1)[0][0].islower():
            continue
        zipf = zipf_frequency(word, "en")
        if zipf >= RARE_ZIPF:
            continue
        limit = 2 if len(word) >= 8 else 1
        own = totals.get(word, 0)
        found = [
            (totals[other], other)
            for other, _, _ in extract(
                word, vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None
            )
            if other != word
            and totals[other] >= ratio * max(own, 1)
            and zipf_frequency(other, "en") >= zipf + 1.0
        ]
        if found:
            out[word] = max(found)[1]
    return out


def short_text(text: str, corrections: dict[str, str] | None = None, words: int = 6) -> str:
    """A label made of a text itself (the first clause, at most ``words`` words, lower case,
    misspelt words corrected: ``corrections``, :func:`misspelt_words`), for a cluster none of
    whose terms may be one."""
    corrections = corrections or {}
    clause = _BREAK.split(text.replace("\u2019", "'"))[0]
    tokens = [corrections.get(t, t) for t in _WORD.findall(clause.lower())][:words]
    return " ".join(tokens)


def names_account(term: str, accounts: Sequence[str]) -> bool:
    """Whether ``term`` names one of the ``accounts`` (lower case): holds a whole account
    name, or is made only of words of one ("acme logistics", "maplewood")."""
    words = set(term.split())
    padded = f" {term} "
    for account in accounts:
        name = account.split()
        if f" {account} " in padded or (name and words <= set(name)):
            return True
    return False


def label_key(label: str) -> str:
    """What makes two labels the same: case, spacing and a plural ``s`` aside."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") else w for w in label.lower().split())


def _label_candidates(terms: list[tuple[str, float]], nps: set[str] | None = None) -> list[str]:
    """Labels a cluster could carry, best first: its noun phrases, its other phrases, then its
    words."""
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
    return list(dict.fromkeys([*ranked, *words]))


def label_candidates(
    terms: list[tuple[str, float]],
    nps: set[str] | None = None,
    *,
    exclude: set[str] | dict[str, str] | None = None,
    avoid: Sequence[str] = (),
) -> list[str]:
    """A cluster's possible labels, best first (:func:`_label_candidates`), without those
    holding a misspelt word (``exclude``), naming an account (``avoid``) or repeating a word."""
    exclude = set(exclude or ())
    return [
        t
        for t in _label_candidates(terms, nps)
        if not exclude.intersection(t.split())
        and not names_account(t, avoid)
        and len(set(t.split())) == len(t.split())  # "profile profile" says it once too many
    ]


def distinct_labels(
    terms: dict[int, list[tuple[str, float]]],
    sizes: dict[int, int],
    nps: set[str] | None = None,
    *,
    keep: dict[int, str] | None = None,
    fixed: dict[int, str] | None = None,
    exclude: set[str] | dict[str, str] | None = None,
    avoid: Sequence[str] = (),
    fallback: dict[int, str] | None = None,
    taken: Sequence[str] = (),
    scores: dict[int, dict[str, float]] | None = None,
    prefer: set[str] | None = None,
) -> dict[int, str]:
    """One label per cluster, no two alike (:func:`label_key`); larger clusters choose first.

    Args:
        terms: Each cluster's scored terms (:func:`ctfidf_terms`).
        sizes: Each cluster's size.
        nps: Terms that are noun phrases (:func:`noun_phrases`): preferred as labels.
        keep: A cluster's previous label, kept while it is still among its five best
            candidates (labels do not flicker from run to run).
        fixed: Labels people gave: kept as they are, and no other cluster takes them.
        exclude: Words no label may hold (misspellings: :func:`misspelt_words`).
        avoid: Names no label may name (accounts, lower case: :func:`names_account`).
        fallback: A cluster's label when none of its terms may be one (its most central
            text, say).
        taken: Labels others carry already (a group's themes): none is given again.
        scores: A score per candidate of a cluster (the similarity of its embedding to the
            cluster's centroid, say): scored candidates come first, best first.
        prefer: Candidates that come before the others of the same standing (those ending in
            a noun, say: :func:`ending_in_a_noun`).
    """
    keep, fixed, fallback = keep or {}, fixed or {}, fallback or {}
    exclude = set(exclude or ())
    used = {label_key(v) for v in [*fixed.values(), *taken]}
    out = dict(fixed)
    for c in sorted(terms, key=lambda c: (-sizes.get(c, 0), c)):
        if c in fixed:
            continue
        candidates = label_candidates(terms[c], nps, exclude=exclude, avoid=avoid)
        if scores and c in scores:
            mine, liked = scores[c], prefer or set()
            candidates = sorted(
                candidates,
                key=lambda t: (
                    t not in mine,
                    t not in liked,
                    -mine.get(t, 0.0),
                    candidates.index(t),
                ),
            )
        previous = keep.get(c)
        if previous is not None:
            previous = previous.lower()
        if previous is not None and previous in candidates[:5] and label_key(previous) not in used:
            label = previous
        else:
            label = next((t for t in candidates if label_key(t) not in used), "")
        if not label and c in fallback and label_key(fallback[c]) not in used:
            label = fallback[c]
        if not label:
            base = candidates[0] if candidates else fallback.get(c, "theme")
            n = 2
            while label_key(f"{base} ({n})") in used:
                n += 1
            label = f"{base} ({n})"
        used.add(label_key(label))
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
