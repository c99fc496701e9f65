"""Which of the sample's planted themes that the taxonomy leaves out does discovery find?

Reads a store made from the bundled sample (``make demo`` writes ``.silobridge-demo``; this runs
``run_discover`` on a copy, so the store itself is not changed). For each planted theme missing
from ``data/taxonomy.yaml`` (competitor discounting, data residency), every discovered theme is
compared with it at item level (the items whose units the theme holds vs the items the ground
truth plants it in). The best match's label, precision, recall and F1 are reported; the theme
counts as *found as its own theme* when precision and recall are both at least 0.5. The themes
made of at least 80% of its items (its facets, when discovery splits it) are listed too, with the
share of its items they cover together.

    .venv/bin/python benchmarks/eval_discover_sample.py [--store .silobridge-demo]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / ".silobridge-demo")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "discover_sample.json")
    args = parser.parse_args()

    import silobridge
    from eval_classify_sample import planted_themes
    from silobridge.pipeline.discover import DiscoverStage, run_discover
    from silobridge.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(ROOT / "data/taxonomy.yaml")
    missing = sorted(
        {
            t["id"]
            for t in json.loads((ROOT / "data/sample/ground_truth.json").read_text())["themes"]
        }
        - {t.id for t in taxonomy.themes}
    )
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store"
        shutil.copytree(args.store, copy)
        result = run_discover(copy, stage=DiscoverStage(stop_words=taxonomy.company), rebuild=True)
        store = silobridge.open_store(copy)
        planted = planted_themes(store)
        assigned = store.read("discovered").to_pandas()
    items_of: dict[str, set[str]] = defaultdict(set)
    for item_id, theme_id in zip(assigned["item_id"], assigned["theme_id"], strict=True):
        if theme_id is not None:
            items_of[theme_id].add(item_id)
    labels = dict(zip(result.themes["theme_id"], result.themes["label"], strict=True))
    report = {"discover": result.stats, "planted_outside_taxonomy": {}}
    for theme in missing:
        gold = {i for i, ts in planted.items() if theme in ts}
        best = None
        for theme_id, items in items_of.items():
            tp = len(items & gold)
            if not tp:
                continue
            p, r = tp / len(items), tp / len(gold)
            f1 = 2 * p * r / (p + r)
            if best is None or f1 > best["f1"]:
                best = {"theme_id": theme_id, "label": labels.get(theme_id),
                        "precision": round(p, 3), "recall": round(r, 3), "f1": round(f1, 3),
                        "items": len(items)}  # fmt: skip
        found = best is not None and best["precision"] >= 0.5 and best["recall"] >= 0.5
        # themes made (almost) only of this planted theme's items: its facets, if it splits
        pure = sorted(
            (t for t, items in items_of.items() if len(items & gold) >= 0.8 * len(items)),
            key=lambda t: -len(items_of[t] & gold),
        )
        covered = set().union(*(items_of[t] & gold for t in pure)) if pure else set()
        report["planted_outside_taxonomy"][theme] = {
            "planted_items": len(gold),
            "best": best,
            "found_as_own_theme": found,
            "pure_themes": [
                {
                    "theme_id": t,
                    "label": labels.get(t),
                    "items": len(items_of[t]),
                    "planted_items": len(items_of[t] & gold),
                }
                for t in pure
            ],
            "pure_themes_recall": round(len(covered) / len(gold), 3) if gold else 0.0,
        }
        print(theme, json.dumps(report["planted_outside_taxonomy"][theme]))
    print(json.dumps(result.stats))
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
