"""Classifier evaluations that need more than ``silobridge eval classify`` prints.

1. ``oos``: clinc150 (``../shared/eval/clinc150/clinc150_full.csv``): the classifier is trained
   on in-scope ``train`` rows, ``--shots`` per intent drawn with ``--seed`` (exactly as ``eval
   classify --shots`` draws them), then scores the ``test`` rows and the out-of-scope
   ``oos_test`` rows. Reported: in-scope accuracy, and the AUROC of the "unassigned" score
   (1 - the classifier's highest probability) separating out-of-scope from in-scope queries.
2. ``insight``: the insight-type classifier zero-shot on app reviews
   (``app_reviews_maalej_multilabel.csv``, single-label reviews, the test half of the same
   ``RandomState(12345)`` split as ``eval_sentiment.py``), from the label descriptions in
   ``benchmarks/app_review_types.yaml`` (Bug, Feature, UserExperience, Rating); also
   self-trained on the dev half's texts (unlabelled), as the pipeline self-trains on its units.

Results are printed and written to benchmarks/out/classify_<task>.json.

    .venv/bin/python benchmarks/eval_classify.py oos [--shots 8] [--seed 0]
    .venv/bin/python benchmarks/eval_classify.py insight
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _embedder():
    from silobridge.pipeline.embed import Embedder, EmbeddingCache, embed
    from silobridge.pipeline.evaluate import default_cache_dir

    embedder, cache = Embedder(), EmbeddingCache(default_cache_dir())
    return lambda texts: embed(list(texts), embedder=embedder, cache=cache).vectors


def oos(eval_dir: Path, shots: int, seed: int) -> dict:
    from silobridge.pipeline.evaluate import build_classifier, draw_shots
    from sklearn.metrics import roc_auc_score

    rows = list(csv.DictReader((eval_dir / "clinc150" / "clinc150_full.csv").open()))
    train = [r for r in rows if r["split"] == "train"]
    test = [r for r in rows if r["split"] in ("test", "oos_test")]
    picked = draw_shots([r["intent"] for r in train], shots, seed)
    embed = _embedder()
    model, algorithm = build_classifier(
        embed,
        train_texts=[train[i]["text"] for i in picked],
        train_labels=[train[i]["intent"] for i in picked],
        random_state=seed,
    )
    proba = model.predict_proba(embed([r["text"] for r in test]))
    is_oos = np.array([r["split"] == "oos_test" for r in test])
    unassigned = 1.0 - proba.max(axis=1)
    predicted = model.classes_[proba.argmax(axis=1)]
    gold = np.array([r["intent"] for r in test])
    return {
        "algorithm": algorithm,
        "train_rows": len(picked),
        "test_in_scope": int((~is_oos).sum()),
        "test_out_of_scope": int(is_oos.sum()),
        "in_scope_accuracy": round(float((predicted[~is_oos] == gold[~is_oos]).mean()), 4),
        "auroc_unassigned": round(float(roc_auc_score(is_oos, unassigned)), 4),
    }


def insight(eval_dir: Path) -> dict:
    sys.path.insert(0, str(HERE))
    from eval_sentiment import load, load_labels
    from silobridge.classifiers.metrics import classification_report
    from silobridge.extractors.labelled import read_descriptions
    from silobridge.pipeline.evaluate import build_classifier

    texts, gold = load_labels(eval_dir)
    dev_texts = load(eval_dir)[0]
    descriptions = read_descriptions(HERE / "app_review_types.yaml")
    embed = _embedder()
    out = {}
    for name, unlabelled in (("zero_shot", None), ("self_trained_on_dev_texts", dev_texts)):
        model, algorithm = build_classifier(
            embed, descriptions=descriptions, unlabelled_texts=unlabelled
        )
        proba = model.predict_proba(embed(texts))
        predicted = model.classes_[proba.argmax(axis=1)]
        out[name] = {
            "algorithm": algorithm,
            **classification_report(gold, predicted, proba.max(axis=1)),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["oos", "insight"])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--shots", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    result = oos(args.eval, args.shots, args.seed) if args.task == "oos" else insight(args.eval)
    print(json.dumps(result, indent=2))
    out = HERE / "out" / f"classify_{args.task}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
