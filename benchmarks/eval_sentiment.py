"""Sentiment against app-review star ratings: silobridge's scorer against VADER alone.

Data: ``../shared/eval/app_reviews_maalej/app_reviews_maalej_multilabel.csv`` (real App Store
and Google Play reviews, Maalej et al. 2016), the single-label reviews (``n_labels == 1``, 2,854).
Text: ``title + ". " + comment`` (the comment alone when there is no title). Gold: rating 1-2
negative, 3 neutral, 4-5 positive. A fixed split (``numpy.random.RandomState(12345)``
permutation: first half dev, second half test) keeps the half the scorer's biases were chosen
on (dev) apart; numbers are reported on the test half only.

Prints macro-F1, accuracy and per-class F1 of VADER (compound >= 0.05 positive, <= -0.05
negative) and of :class:`silobridge.classifiers.sentiment.SentimentScorer`, and writes
benchmarks/out/sentiment.json.

    .venv/bin/python benchmarks/eval_sentiment.py [--eval ../shared/eval]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _rows(eval_dir: Path) -> list[dict[str, str]]:
    path = eval_dir / "app_reviews_maalej" / "app_reviews_maalej_multilabel.csv"
    return [r for r in csv.DictReader(path.open(encoding="utf-8")) if r["n_labels"] == "1"]


def _text(row: dict[str, str]) -> str:
    title, comment = (row["title"] or "").strip(), (row["comment"] or "").strip()
    return f"{title}. {comment}" if title else comment


def load_labels(eval_dir: Path) -> tuple[list[str], list[str]]:
    """The test half's texts and their review type (Bug, Feature, UserExperience, Rating)."""
    rows = _rows(eval_dir)
    test = np.random.RandomState(12345).permutation(len(rows))[len(rows) // 2 :]
    return [_text(rows[i]) for i in test], [rows[i]["labels"] for i in test]


def load(eval_dir: Path) -> tuple[list[str], list[str], list[str], list[str]]:
    rows = _rows(eval_dir)
    texts, gold = [], []
    for r in rows:
        texts.append(_text(r))
        rating = int(float(r["rating"]))
        gold.append("negative" if rating <= 2 else "neutral" if rating == 3 else "positive")
    order = np.random.RandomState(12345).permutation(len(rows))
    test = order[len(rows) // 2 :]
    dev = order[: len(rows) // 2]
    return (
        [texts[i] for i in dev],
        [gold[i] for i in dev],
        [texts[i] for i in test],
        [gold[i] for i in test],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "sentiment.json")
    args = parser.parse_args()

    from silobridge.classifiers.metrics import classification_report
    from silobridge.classifiers.sentiment import SentimentScorer
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, embed
    from silobridge.pipeline.evaluate import default_cache_dir
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    dev_texts, _, texts, gold = load(args.eval)
    vader = SentimentIntensityAnalyzer()
    t0 = time.perf_counter()
    compound = [vader.polarity_scores(t)["compound"] for t in texts]
    vader_s = time.perf_counter() - t0
    vader_pred = [
        "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral" for c in compound
    ]
    embedder = Embedder()
    cache = EmbeddingCache(default_cache_dir())

    def vectors(batch: list[str]) -> np.ndarray:
        return embed(batch, embedder=embedder, cache=cache).vectors

    scorer = SentimentScorer(embed=vectors)
    t0 = time.perf_counter()
    test_vectors = vectors(texts)
    embed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    zero_shot, _ = scorer.score(texts, test_vectors)
    score_s = time.perf_counter() - t0
    # self-trained on the dev half's texts, unlabelled (the pipeline does it on its units)
    t0 = time.perf_counter()
    scorer.fit(dev_texts, vectors(dev_texts))
    fit_s = time.perf_counter() - t0
    ours, _ = scorer.score(texts, test_vectors)
    result = {
        "data": "app_reviews_maalej single-label, test half (RandomState(12345) permutation)",
        "n": len(texts),
        "vader": classification_report(gold, vader_pred),
        "silobridge_zero_shot": classification_report(gold, zero_shot),
        "silobridge": classification_report(gold, ours),
        "algorithm": scorer.algorithm_,
        "seconds": {
            "vader": round(vader_s, 2),
            "embed": round(embed_s, 1),
            "score": round(score_s, 2),
            "self_train": round(fit_s, 2),
        },
    }
    result["gain_macro_f1_points"] = round(
        100 * (result["silobridge"]["macro_f1"] - result["vader"]["macro_f1"]), 1
    )
    for name in ("vader", "silobridge_zero_shot", "silobridge"):
        r = result[name]
        per = ", ".join(f"{k} {v['f1']:.3f}" for k, v in r["per_label"].items())
        print(f"{name:<21} macro-F1 {r['macro_f1']:.3f}  accuracy {r['accuracy']:.3f}  ({per})")
    print(f"gain: {result['gain_macro_f1_points']} macro-F1 points")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
