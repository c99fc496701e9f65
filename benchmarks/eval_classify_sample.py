"""Theme recovery on the bundled sample: per-theme precision and recall against the planted themes.

The sample generator writes each item from one to four themes of its bank
(``data/sample/ground_truth.json`` ``items[].themes``). The classify stage labels units; an
item's predicted themes are the union of its units' themes. Per theme of the taxonomy, item-level
precision and recall; themes the taxonomy leaves out (for discovery) are reported apart. Also:
the share of unassigned units, insight types and sentiment per planted theme.

The demo store must have been classified (``silobridge demo`` does it). Prints a table and writes
benchmarks/out/classify_sample.json.

    .venv/bin/python benchmarks/eval_classify_sample.py [--store .silobridge-demo]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def infer_functions(store) -> dict:
    """The function classifier, trained on the units of sources whose config names the function,
    scored on the units whose function the connector read from the record (Slack channels, CRM
    team columns, note front matter): the units the stage would infer for, had they no mapping."""
    from silobridge.classifiers.embedding import FewShotClassifier
    from silobridge.config import load_config

    config = load_config(ROOT / "data/sample/silobridge.sample.toml")
    configured = {n: s.function for n, s in config.sources.items() if s.function}
    units = store.units(columns=["unit_id", "source_name", "function", "embedding_key", "model_id"])
    units = units[units["function"].notna()].reset_index(drop=True)
    vectors = store.vectors(units)
    train = units["source_name"].map(configured).eq(units["function"]).to_numpy()
    model = FewShotClassifier(C=1.0, cv=3).fit(vectors[train], units["function"][train].to_numpy())
    predicted = model.predict(vectors[~train])
    gold = units["function"][~train].to_numpy()
    majority = max((gold == f).mean() for f in set(gold))
    return {
        "train_units": int(train.sum()),
        "test_units": int((~train).sum()),
        "accuracy": round(float((predicted == gold).mean()), 3),
        "majority_accuracy": round(float(majority), 3),
        "per_function_recall": {
            f: round(float((predicted[gold == f] == f).mean()), 3) for f in sorted(set(gold))
        },
    }


def per_theme_ids(counts: dict, taxonomy_ids: set[str]) -> list[str]:
    return sorted(t for t in counts if t in taxonomy_ids)


def planted_themes(store) -> dict[str, set[str]]:
    """``{item_id: planted theme ids}`` of the sample's ground truth, by the store's item ids.

    Slack truth is per message; the store holds threads: a thread's truth is the union.
    """
    items = store.items(columns=["item_id", "source_name", "native_id"])
    truth = json.loads((ROOT / "data/sample/ground_truth.json").read_text())
    item_of = {(r.source_name, r.native_id): r.item_id for r in items.itertuples()}
    planted: dict[str, set[str]] = defaultdict(set)
    for entry in truth["items"]:
        key = (entry["source"], entry["native_id"])
        if key not in item_of and "thread_ts" in entry:
            key = (entry["source"], f"{entry['native_id'].split(':')[0]}:{entry['thread_ts']}")
        if key in item_of:
            planted[item_of[key]].update(entry["themes"])
    return planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / ".silobridge-demo")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "classify_sample.json")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also label in memory at other theme thresholds and print macro P/R/F1 for each",
    )
    args = parser.parse_args()

    import silobridge
    from silobridge.taxonomy import load_taxonomy

    store = silobridge.open_store(args.store)
    labels = store.read("classified").to_pandas()
    taxonomy_ids = {t.id for t in load_taxonomy(ROOT / "data/taxonomy.yaml").leaves}
    planted = planted_themes(store)

    def item_counts(labels) -> dict[str, Counter]:
        predicted: dict[str, set[str]] = defaultdict(set)
        for item_id, themes in zip(labels["item_id"], labels["themes"], strict=True):
            predicted[item_id].update(t["id"] for t in themes)
        counts: dict[str, Counter] = defaultdict(Counter)
        for item_id in planted.keys() | predicted.keys():
            gold, pred = planted.get(item_id, set()), predicted.get(item_id, set())
            for theme in gold | pred:
                kind = "tp" if theme in gold and theme in pred else "fn" if theme in gold else "fp"
                counts[theme][kind] += 1
        return counts

    counts = item_counts(labels)

    def scores(c: Counter) -> dict[str, float]:
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"tp": c["tp"], "fp": c["fp"], "fn": c["fn"], "precision": round(p, 3),
                "recall": round(r, 3), "f1": round(f, 3)}  # fmt: skip

    per_theme = {t: scores(counts[t]) for t in sorted(counts) if t in taxonomy_ids}
    outside = {t: scores(counts[t]) for t in sorted(counts) if t not in taxonomy_ids}
    macro = {
        k: round(sum(s[k] for s in per_theme.values()) / len(per_theme), 3)
        for k in ("precision", "recall", "f1")
    }
    sweep = {}
    if args.sweep:
        from silobridge.pipeline.classify import ClassifyStage

        units = store.units(
            columns=["unit_id", "item_id", "source_name", "function", "text", "embedding_key",
                     "model_id"]
        )  # fmt: skip
        vectors = store.vectors(units)
        stage = ClassifyStage(taxonomy=ROOT / "data/taxonomy.yaml")
        for threshold, second in ((0.4, 0.25), (0.5, 0.25), (0.6, 0.2), (0.6, 0.25), (0.6, 0.3),
                                  (0.7, 0.25), (0.6, 1.0)):  # fmt: skip
            stage.theme_threshold, stage.second_theme_margin = threshold, second
            threshold = f"{threshold}/{second}"
            swept = item_counts(stage.run(units, vectors).labels)
            rows = [scores(swept[t]) for t in per_theme_ids(swept, taxonomy_ids)]
            sweep[threshold] = {
                k: round(sum(r[k] for r in rows) / len(rows), 3)
                for k in ("precision", "recall", "f1")
            }
            print(f"threshold {threshold}: macro {sweep[threshold]}")

    function_check = infer_functions(store)
    print(
        f"function inference: trained on {function_check['train_units']} units of configured "
        f"sources, {function_check['accuracy']:.3f} accuracy on {function_check['test_units']} "
        f"units whose function the connector mapped (majority class: "
        f"{function_check['majority_accuracy']:.3f})"
    )

    result = {
        "store": str(args.store),
        "function_inference": function_check,
        "sweep": sweep,
        "items_with_planted_themes": len(planted),
        "units": len(labels),
        "unassigned_units": int(labels["theme"].isna().sum()),
        "theme_algorithm": sorted(set(labels["theme_algorithm"])),
        "per_theme": per_theme,
        "macro": macro,
        "planted_themes_outside_taxonomy": outside,
    }
    print(f"{'theme':<34}{'tp':>6}{'fp':>6}{'fn':>6}{'P':>7}{'R':>7}{'F1':>7}")
    for theme, s in per_theme.items():
        print(f"{theme:<34}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
              f"{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}")  # fmt: skip
    print(f"{'macro':<52}{macro['precision']:>7.3f}{macro['recall']:>7.3f}{macro['f1']:>7.3f}")
    print(f"unassigned units: {result['unassigned_units']} of {result['units']}")
    print("planted themes outside the taxonomy (for discovery):", ", ".join(outside))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
