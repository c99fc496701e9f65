"""How well do discovered themes' labels name what the themes are about?

For every single-label set in ``../shared/eval`` the texts are embedded (all-MiniLM-L6-v2
through the embedding cache) and themes are discovered as the pipeline does (a fresh
:class:`~silobridge.pipeline.discover.DiscoverStage` run, as ``silobridge eval cluster``). Each
active theme's *class* is its majority gold label, written as words (``card_arrival`` -> "card
arrival", ``GetQuote`` -> "get quote"). Two labels per theme are compared with it:

* **silobridge**: the theme's ``label``;
* **top terms**: what a plain topic model shows, the theme's three best single words by c-TF-IDF
  (``ctfidf_terms(texts, clusters, top=30)`` on the same assignment, words only), so it does not
  depend on how the label code picks phrases.

Labels and class names are embedded with the same model; the score of a label is its cosine
similarity to its theme's class name. Per set: themes, mean similarity of each label kind (plain
and weighted by theme size), the share of themes where silobridge's label is closer than the top
terms, and flags on silobridge's labels: duplicates (the same text twice, case-insensitive),
words wordfreq does not know (Zipf frequency 0, and not a word of any class name; likely
misspellings or names), misspelt-looking words (rare, one typo away from a common word:
``withdrawl``; wordfreq knows common misspellings, so Zipf 0 misses them), redaction
placeholders (``<PERSON>``, CFPB's ``XXXX``), labels made only of stop words, and (in the JSON
only) fragments of questions or chat (``long does``, ``ur item``) and repeated words.

Sets (each a seeded random sample of at most ``--cap`` texts):

* banking77 test (``category``); clinc150 test, in scope (``intent``);
* bitext_customer_support, train + validation + test (``intent``);
* it_service_tickets (``Topic_group``, text ``Document``);
* dstc11_intent_induction, per domain (insurance, banking, finance; ``label``);
* cfpb_complaints_sample narratives, by ``product`` and by ``issue`` (one discovery run, scored
  against each);
* star_dialogues, single-task dialogues, one text per dialogue (its user turns joined), labelled
  by the dialogue's task.

Left out: multi-label sets (nlupp, mams_acsa, app_reviews_maalej) have no single class per text,
and qmsum_meetings has free-text topics, not classes.

Results go to ``--out`` (default benchmarks/out/label_quality.json), every theme's two labels,
class name and similarities included; a Markdown table is printed.

    .venv/bin/python benchmarks/label_quality.py [--eval ../shared/eval] [--cap 3000] [--seed 0]
        [--sets a b ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from eval_sets import SETS, EvalSet, class_name, load_set  # noqa: E402

OUT = HERE / "out"
os.environ.setdefault("HF_HUB_OFFLINE", "1")

#: Number of single words the top-terms label joins.
TOP_WORDS = 3
#: Redaction placeholders: silobridge's ``<PERSON>``, CFPB's ``XXXX``.
_PLACEHOLDER = re.compile(r"<[A-Za-z_]+>|\bx{2,}\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z][a-z'\-]*[a-z]|[a-z]")
#: Chat filler counted as stop words (with scikit-learn's English list), fixed here so the
#: flag does not move with the package's own list.
_FILLER = frozenset(
    """
    hi hello hey thanks thank please ok okay yes yeah sure just like really also actually good
    great know let get got go going want wanted need think say said told ask tell look looking
    today time thing things lot bit way i'm it's don't can't
    """.split()  # noqa: SIM905
)


#: Words that mark a label cut out of a question or chat (``long does``, ``wanna report``, ``ur
#: item``) rather than naming a topic.
_FRAGMENT = frozenset({"do", "does", "did", "doing", "wanna", "gonna", "gotta", "ur", "u", "pls"})


# ------------------------------------------------------------------------------ labels


def top_term_labels(texts: Sequence[str], clusters: np.ndarray, n_themes: int) -> list[str]:
    """Each cluster's best ``TOP_WORDS`` single words by c-TF-IDF, joined by spaces."""
    from silobridge.classifiers.keyphrases import ctfidf_terms

    scored = ctfidf_terms(list(texts), clusters, top=30)
    out = []
    for c in range(n_themes):
        words = [t for t, _ in scored.get(c, []) if " " not in t]
        out.append(" ".join(words[:TOP_WORDS]))
    return out


def label_words(label: str) -> list[str]:
    """The words of a label, lower case (digits, punctuation and a possessive 's dropped)."""
    return [re.sub(r"'s$", "", w) for w in _WORD.findall(label.lower())]


def unknown_words(label: str, known: set[str]) -> list[str]:
    """Words of ``label`` wordfreq has never seen (Zipf 0) that no class name uses."""
    from wordfreq import zipf_frequency

    return [w for w in label_words(label) if w not in known and zipf_frequency(w, "en") == 0]


def _typo_fixes(word: str) -> set[str]:
    """The words ``word`` would be after fixing one common typo: a dropped letter, two letters
    swapped, a letter doubled by mistake."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return (
        {a + c + b for a, b in splits for c in letters}
        | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
        | {a + b[1:] for a, b in splits if len(b) > 1 and b[0] == b[1]}
    ) - {word}


def misspelt_words(label: str, known: set[str]) -> list[tuple[str, str]]:
    """Rare words of ``label`` (Zipf < 3) one typo away from a far commoner word (Zipf at least
    1.5 higher and 3.5): ``withdrawl`` -> ``withdrawal``. A wider net than Zipf 0, since wordfreq
    knows common misspellings."""
    from wordfreq import zipf_frequency

    out = []
    for w in label_words(label):
        z = zipf_frequency(w, "en")
        if w in known or len(w) < 5 or z >= 3:
            continue
        near = max(sorted(_typo_fixes(w)), key=lambda e: zipf_frequency(e, "en"))
        plural = near + "s" == w or w + "s" == near
        if zipf_frequency(near, "en") >= max(z + 1.5, 3.5) and not plural:
            out.append((w, near))
    return out


def is_stop_words_only(label: str) -> bool:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = label_words(label)
    return bool(words) and all(w in ENGLISH_STOP_WORDS or w in _FILLER for w in words)


def label_flags(labels: Sequence[str], class_names: Sequence[str]) -> dict[str, Any]:
    """Duplicates, unknown words, placeholders and stop-word-only labels among ``labels``."""
    counts = Counter(lab.strip().lower() for lab in labels)
    known = {w for name in class_names for w in label_words(name)}
    unknown = [(lab, unknown_words(lab, known)) for lab in labels]
    unknown = [(lab, words) for lab, words in unknown if words]
    numbered = [lab for lab in labels if re.search(r"\(\d+\)\s*$", lab)]
    misspelt = [(lab, misspelt_words(lab, known)) for lab in labels]
    misspelt = [(lab, pairs) for lab, pairs in misspelt if pairs]
    return {
        "duplicates": sum(1 for lab in labels if counts[lab.strip().lower()] > 1),
        "duplicate_labels": sorted({lab for lab in labels if counts[lab.strip().lower()] > 1}),
        "numbered": len(numbered),
        "numbered_labels": numbered,
        "unknown_word_labels": len(unknown),
        "unknown_word_examples": [{"label": lab, "words": words} for lab, words in unknown],
        "misspelt_labels": len(misspelt),
        "misspelt_examples": [
            {"label": lab, "words": {w: near for w, near in pairs}} for lab, pairs in misspelt
        ],
        "placeholder_labels": [lab for lab in labels if _PLACEHOLDER.search(lab)],
        "stop_word_only_labels": [lab for lab in labels if is_stop_words_only(lab)],
        "fragment_labels": [lab for lab in labels if _FRAGMENT & set(label_words(lab))],
        "repeated_word_labels": [
            lab for lab in labels if len(set(label_words(lab))) < len(label_words(lab))
        ],
        "empty_labels": sum(1 for lab in labels if not lab.strip()),
    }


# ------------------------------------------------------------------------------ scoring


def unit_vectors(texts: Sequence[str], embedder: Any, cache: Any) -> np.ndarray:
    """Normalised embeddings of ``texts``; an empty text gets a zero vector."""
    from silobridge.pipeline.embed import embed

    rows = [i for i, t in enumerate(texts) if t.strip()]
    X = embed([texts[i] for i in rows] or ["-"], embedder=embedder, cache=cache).vectors
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    out = np.zeros((len(texts), X.shape[1]), dtype=np.float32)
    out[rows] = X[: len(rows)]
    return out


def discover(texts: Sequence[str], X: np.ndarray, embedder: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The active themes of a fresh discovery run, and each text's theme index (-1: none).

    The stage gets the embedder, as the pipeline's does (``job.discover_stage``), where it
    takes one (a silobridge before labels were chosen by embedding does not)."""
    import inspect

    from silobridge.pipeline.discover import ACTIVE, DiscoverStage
    from silobridge.pipeline.evaluate import _eval_units
    from silobridge.pipeline.store.schema import DISCOVERED, THEMES

    units = _eval_units(texts)
    takes = "embedder" in inspect.signature(DiscoverStage).parameters
    stage = DiscoverStage(embedder=embedder) if takes else DiscoverStage()
    result = stage.run(
        units,
        X,
        registry=THEMES.empty_table().to_pandas(),
        previous=DISCOVERED.empty_table().to_pandas(),
        model_id=embedder.model_id,
    )
    themes = result.themes[result.themes["status"] == ACTIVE].reset_index(drop=True)
    index = {t: i for i, t in enumerate(themes["theme_id"])}
    by_unit = result.assignments.set_index("unit_id")["theme_id"].reindex(units["unit_id"])
    clusters = np.array([index.get(t, -1) if isinstance(t, str) else -1 for t in by_unit])
    return themes, clusters


def theme_rows(
    data: EvalSet,
    themes: pd.DataFrame,
    clusters: np.ndarray,
    plain: list[str],
    embedder: Any,
    cache: Any,
) -> list[dict[str, Any]]:
    """Per theme: size, majority class, both labels and their similarity to the class name."""
    gold = np.asarray(data.labels)
    ours = [str(lab) for lab in themes["label"]]
    majority, purity, sizes = [], [], []
    for c in range(len(themes)):
        members = gold[clusters == c]
        top, n = Counter(members.tolist()).most_common(1)[0] if len(members) else ("", 0)
        majority.append(top)
        purity.append(n / max(1, len(members)))
        sizes.append(len(members))
    names = [class_name(m) for m in majority]
    L = unit_vectors(ours + plain, embedder, cache)
    C = unit_vectors(names, embedder, cache)
    n = len(themes)
    sim_ours = np.einsum("ij,ij->i", L[:n], C)
    sim_plain = np.einsum("ij,ij->i", L[n:], C)
    return [
        {
            "theme_id": str(themes["theme_id"].iloc[c]),
            "size": sizes[c],
            "class": majority[c],
            "class_name": names[c],
            "purity": round(purity[c], 3),
            "silobridge": ours[c],
            "top_terms": plain[c],
            "terms": list(themes["terms"].iloc[c])[:5],
            "sim_silobridge": round(float(sim_ours[c]), 4),
            "sim_top_terms": round(float(sim_plain[c]), 4),
        }
        for c in range(n)
    ]


def summarise(data: EvalSet, rows: list[dict[str, Any]], clusters: np.ndarray) -> dict[str, Any]:
    """A set's means, wins and label flags."""
    ours = np.array([r["sim_silobridge"] for r in rows])
    plain = np.array([r["sim_top_terms"] for r in rows])
    w = np.array([r["size"] for r in rows], dtype=float)
    names = [class_name(lab) for lab in sorted(set(data.labels))]
    return {
        "texts": len(data.texts),
        "classes": len(set(data.labels)),
        "themes": len(rows),
        "unassigned_share": round(float(np.mean(clusters < 0)), 4),
        "silobridge_mean": round(float(ours.mean()), 4) if len(rows) else None,
        "top_terms_mean": round(float(plain.mean()), 4) if len(rows) else None,
        "silobridge_weighted": round(float(np.average(ours, weights=w)), 4) if w.sum() else None,
        "top_terms_weighted": round(float(np.average(plain, weights=w)), 4) if w.sum() else None,
        "wins_share": round(float(np.mean(ours > plain)), 4) if len(rows) else None,
        "ties_share": round(float(np.mean(ours == plain)), 4) if len(rows) else None,
        "flags": label_flags([r["silobridge"] for r in rows], names),
    }


def score_set(data: EvalSet, embedder: Any, cache: Any, memo: dict[str, Any]) -> dict[str, Any]:
    """Embed, discover (once per distinct text list) and score one set."""
    t0 = time.perf_counter()
    key = hashlib.sha256("\x00".join(data.texts).encode()).hexdigest()
    reused = key in memo
    if not reused:
        X = unit_vectors(data.texts, embedder, cache)
        t1 = time.perf_counter()
        themes, clusters = discover(data.texts, X, embedder)
        t2 = time.perf_counter()
        plain = top_term_labels(data.texts, clusters, len(themes))
        memo[key] = (themes, clusters, plain, {"embed": t1 - t0, "discover": t2 - t1})
    themes, clusters, plain, seconds = memo[key]
    # the same texts as an earlier set (another label column): its themes, timed there
    seconds = {} if reused else seconds
    rows = theme_rows(data, themes, clusters, plain, embedder, cache)
    return {
        "source": data.source,
        "discovery_reused": reused,
        **summarise(data, rows, clusters),
        "seconds": {
            **{k: round(v, 1) for k, v in seconds.items()},
            "total": round(time.perf_counter() - t0, 1),
        },
        "theme_labels": rows,
    }


# ------------------------------------------------------------------------------ output

COLUMNS = (
    ("texts", "texts"),
    ("themes", "themes"),
    ("silobridge mean", "silobridge_mean"),
    ("top terms mean", "top_terms_mean"),
    ("silobridge weighted", "silobridge_weighted"),
    ("top terms weighted", "top_terms_weighted"),
    ("wins share", "wins_share"),
    ("duplicates", "duplicates"),
    ("unknown-word labels", "unknown_word_labels"),
    ("misspelt-looking labels", "misspelt_labels"),
)


def table_row(result: dict[str, Any]) -> dict[str, Any]:
    flags = ("duplicates", "unknown_word_labels", "misspelt_labels")
    return {**result, **{k: result["flags"][k] for k in flags}}


def cell(value: Any, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if key.endswith(("_mean", "_weighted", "_share")) else f"{value:.1f}"
    return str(value)


def markdown_table(results: dict[str, dict[str, Any]]) -> str:
    """One row per set and a row of means."""
    rows = {name: table_row(r) for name, r in results.items()}
    lines = [
        "| set | " + " | ".join(title for title, _ in COLUMNS) + " |",
        "|---|" + "---:|" * len(COLUMNS),
    ]
    for name, row in rows.items():
        lines.append(f"| {name} | " + " | ".join(cell(row[key], key) for _, key in COLUMNS) + " |")
    means = {
        key: float(np.mean([r[key] for r in rows.values() if r[key] is not None]))
        for _, key in COLUMNS
    }
    lines.append("| **mean** | " + " | ".join(cell(means[key], key) for _, key in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--cap", type=int, default=3000, help="Most texts per set.")
    parser.add_argument("--seed", type=int, default=0, help="Seed of the sample.")
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--out", type=Path, default=OUT / "label_quality.json")
    parser.add_argument(
        "--cache", type=Path, default=None, help="Embedding cache (default: default_cache_dir())."
    )
    args = parser.parse_args()

    import silobridge
    from silobridge.pipeline.embed import Embedder, EmbeddingCache
    from silobridge.pipeline.evaluate import default_cache_dir

    t0 = time.perf_counter()
    embedder = Embedder()
    cache = EmbeddingCache(args.cache or default_cache_dir())
    memo: dict[str, Any] = {}
    results = {}
    for name in args.sets:
        data = load_set(name, args.eval, cap=args.cap, seed=args.seed)
        results[name] = score_set(data, embedder, cache, memo)
        summary = {k: v for k, v in results[name].items() if k not in ("theme_labels", "flags")}
        print(name, json.dumps(summary), flush=True)
    table = markdown_table(results)
    print(table)
    report = {
        "package": str(Path(silobridge.__file__).parent),
        "model_id": embedder.model_id,
        "cap": args.cap,
        "seed": args.seed,
        "machine": f"{os.cpu_count()} cores",
        "seconds": round(time.perf_counter() - t0, 1),
        "table": table,
        "sets": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out} ({report['seconds']} s)")


if __name__ == "__main__":
    main()
