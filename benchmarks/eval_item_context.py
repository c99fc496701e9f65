"""Units read with their item's context: per-item theme macro-F1 on sets with one label per item.

The classify stage labels each unit (a sentence of an item: a ticket, review, call, dialogue)
with taxonomy themes, zero-shot. An item's theme is the theme with the largest summed
probability over its units' kept themes (the rule of ``benchmarks/company/score.py``; an item
none of whose units gets a theme is wrong). This script scores, per set:

* **whole item**: the same zero-shot model on each item's whole text, its top theme (no
  threshold: the ceiling the per-item aggregation is compared with);
* **units, weight w**: each unit's themes read from ``w * unit + (1 - w) * item`` (normalised;
  the item's vector is the normalised mean of its units'; a one-unit item is read alone), as
  :class:`~silobridge.pipeline.classify.ClassifyStage` does with ``unit_weight = w``; ``w = 1``
  is units alone, ``w = 0`` every unit read as its item;

and chooses ``w`` by leave-one-set-out: for each set, the weight with the best mean macro-F1 on
the other sets, scored on the held-out one.

Sets (``../shared/eval``, at most ``--cap`` items each, a seeded sample):

* ``cfpb``: CFPB complaint narratives (long), label ``product`` (products with 10 items or more);
* ``star``: STAR dialogues, single-task, the user's turns one after the other, label = task;
* ``reviews``: Maalej et al.'s app reviews with one label (4 words or more), Bug / Feature /
  UserExperience / Rating;
* with ``--company DIR ...``: companies generated and run by ``benchmarks/company/score.py``
  (their taxonomy; an item's units are its customer-voice units, ``pipeline.voice``; the
  whole item is the gold item's ``customer_text``).

Items are split into units by the pipeline's segmenter (``pipeline.understand.segment``);
labels are zero-shot from the label names (``pipeline.evaluate.NAME_TEMPLATES``). Embeddings
are cached in ``pipeline.evaluate.default_cache_dir()``.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/eval_item_context.py [--cap 1500] \\
        [--company /tmp/company/reviews-s1-n1000 ...] [--out benchmarks/out/item_context.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from silobridge.pipeline.classify import ClassifyStage
from silobridge.pipeline.embed import Embedder, embed
from silobridge.pipeline.evaluate import NAME_TEMPLATES, default_cache_dir
from silobridge.pipeline.store.cache import EmbeddingCache
from silobridge.taxonomy import Taxonomy, Theme

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = (1.0, 0.75, 0.6, 0.5, 0.4, 0.25, 0.0)
NONE = "(none)"


# ------------------------------------------------------------------------------- the sets


def _cfpb(eval_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(eval_dir / "cfpb_complaints_sample" / "cfpb_narratives.csv")
    df = df[df["text"].notna() & df["product"].notna()]
    df = df[df["product"].map(df["product"].value_counts()) >= 10]
    return df["text"].astype(str).tolist(), df["product"].astype(str).tolist()


def _star(eval_dir: Path) -> tuple[list[str], list[str]]:
    folder = eval_dir / "star_dialogues"
    dialogues = pd.read_csv(folder / "star_conversations.csv")
    single = dialogues[(dialogues["multitask"] == 0) & dialogues["label"].notna()]
    turns = pd.read_csv(folder / "star_turns.csv", usecols=["conversation_id", "speaker", "text"])
    user = turns[(turns["speaker"] == "user") & turns["text"].notna()]
    joined = user.groupby("conversation_id", sort=True)["text"].agg(
        lambda t: "\n".join(s.strip() for s in t)  # one turn a line, as a chat export's
    )
    single = single.set_index("conversation_id").join(joined.rename("text"), how="inner")
    return single["text"].tolist(), single["label"].astype(str).tolist()


def _reviews(eval_dir: Path) -> tuple[list[str], list[str]]:
    df = pd.read_csv(eval_dir / "app_reviews_maalej" / "app_reviews_maalej_multilabel.csv")
    df = df[(df["n_labels"] == 1) & df["comment"].notna()]
    df = df[df["comment"].astype(str).str.split().str.len() >= 4]
    return df["comment"].astype(str).tolist(), df["labels"].astype(str).tolist()


SETS: dict[str, Callable[[Path], tuple[list[str], list[str]]]] = {
    "cfpb": _cfpb,
    "star": _star,
    "reviews": _reviews,
}


def class_name(label: str) -> str:
    """A label as lower-case words: ``bank_fraud_report`` -> "bank fraud report",
    ``UserExperience`` -> "user experience"."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", label)
    return " ".join(spaced.replace("_", " ").split()).lower()


def name_taxonomy(labels: Sequence[str]) -> Taxonomy:
    """A taxonomy of one leaf theme per label, zero-shot from its name alone: the name, and
    the name in :data:`NAME_TEMPLATES` as the theme's description and examples."""
    themes = []
    for label in sorted(set(labels)):
        name = class_name(label)
        phrased = [t.format(name) for t in NAME_TEMPLATES if t != "{}"]
        themes.append(Theme(id=label, name=name, description=phrased[0], examples=tuple(phrased)))
    return Taxonomy(path=None, themes=tuple(themes))


def split_units(name: str, texts: Sequence[str], cache: Path) -> pd.DataFrame:
    """The pipeline's units of each text (``item`` = the text's index, ``text``), cached."""
    key = hashlib.sha256(json.dumps(list(texts)).encode()).hexdigest()[:16]
    path = cache / f"{name}-{key}.parquet"
    if path.is_file():
        return pd.read_parquet(path)
    from silobridge.pipeline.understand.segment import segment

    items = pd.DataFrame({"item_id": [f"i{k:06d}" for k in range(len(texts))], "text": texts})
    units = segment(items).units
    out = pd.DataFrame(
        {"item": units["item_id"].str[1:].astype(int).to_numpy(), "text": units["text"].to_numpy()}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_parquet(path)
    return out


# ----------------------------------------------------------------------------- the scoring


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Macro-F1 over ``labels`` (predictions outside them, ``(none)``, count as wrong)."""
    g, p = np.asarray(gold), np.asarray(pred)
    scores = []
    for label in labels:
        tp = int(((g == label) & (p == label)).sum())
        fp = int(((g != label) & (p == label)).sum())
        fn = int(((g == label) & (p != label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores)) if scores else 0.0


def item_themes(
    stage: ClassifyStage, units: pd.DataFrame, vectors: np.ndarray, item: np.ndarray, n_items: int
) -> list[str]:
    """Each item's theme: the largest summed probability of its units' kept themes (ties by
    id), ``(none)`` when no unit has one. ``item``: each unit's item (0..n_items-1; -1: none)."""
    lists, _ = stage.themes_of(units, vectors)
    weight: dict[int, Counter[str]] = defaultdict(Counter)
    for k, kept in zip(item, lists, strict=True):
        for t in kept if k >= 0 else []:
            weight[int(k)][t["id"]] += float(t["probability"])
    out = []
    for k in range(n_items):
        w = weight.get(k)
        out.append(sorted(w.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if w else NONE)
    return out


def score_set(
    name: str,
    stage: ClassifyStage,
    units: pd.DataFrame,
    vectors: np.ndarray,
    whole: np.ndarray,
    gold: Sequence[str],
    *,
    counted: np.ndarray | None = None,
) -> dict[str, Any]:
    """Whole-item and per-weight per-item macro-F1 of one set."""
    labels = sorted(set(gold))
    classes = stage.theme_model().classes_
    whole_pred = [str(classes[j]) for j in stage.theme_probabilities(whole).argmax(axis=1)]
    frame = units.assign(item_id=units["item"].astype(str))
    row: dict[str, Any] = {
        "set": name,
        "items": len(gold),
        "units": len(units),
        "multi_unit_items": int((units.groupby("item").size() >= 2).sum()),
        "whole_item": round(macro_f1(gold, whole_pred, labels), 4),
        "weights": {},
    }
    keep = np.ones(len(units), bool) if counted is None else counted
    for w in WEIGHTS:
        stage.unit_weight = w
        stage.fit_items(frame, vectors, counted=counted)
        pred = item_themes(
            stage, frame[keep], vectors[keep], units["item"].to_numpy()[keep], len(gold)
        )
        row["weights"][str(w)] = round(macro_f1(gold, pred, labels), 4)
    return row


def run_set(name: str, eval_dir: Path, embedder: Embedder, cache: EmbeddingCache, cap: int,
            seed: int) -> dict[str, Any]:  # fmt: skip
    texts, gold = SETS[name](eval_dir)
    if len(texts) > cap:
        rows = np.sort(np.random.default_rng(seed).choice(len(texts), size=cap, replace=False))
        texts, gold = [texts[i] for i in rows], [gold[i] for i in rows]
    t0 = time.perf_counter()
    units = split_units(name, texts, default_cache_dir().parent / "item_context")
    seg_s = time.perf_counter() - t0
    vectors = embed(units["text"].tolist(), embedder=embedder, cache=cache).vectors
    whole = embed(texts, embedder=embedder, cache=cache).vectors
    stage = ClassifyStage(taxonomy=name_taxonomy(gold), embedder=embedder)
    row = score_set(name, stage, units, vectors, whole, gold)
    row["segment_s"] = round(seg_s, 1)
    return row


def run_company(folder: Path, embedder: Embedder, cache: EmbeddingCache) -> dict[str, Any]:
    """A company run by ``benchmarks/company/score.py``: its gold items' customer-voice units,
    read with item vectors of the item's customer-voice units (``weights``) or of all its
    units (``weights_all_units``)."""
    import silobridge
    from silobridge.pipeline.voice import customer_voice

    truth = json.loads((folder / "truth.json").read_text("utf-8"))
    store = silobridge.open_store(folder / ".silobridge")
    items = store.items(columns=["item_id", "source_name", "native_id"])
    units = store.units(
        columns=["unit_id", "item_id", "source_name", "channel", "role", "text", "function",
                 "voice", "substance", "embedding_key", "model_id"]
    )  # fmt: skip
    units = units.sort_values("unit_id", kind="stable").reset_index(drop=True)
    counted = customer_voice(units).to_numpy()
    vectors = store.vectors(units)
    item_of = {(r.source_name, r.native_id): r.item_id for r in items.itertuples()}
    gold_items = [e for e in truth["items"] if e["theme"]]
    keys = [item_of.get((e["source"], e["native_id"])) for e in gold_items]
    index = {k: i for i, k in enumerate(keys) if k is not None}
    # every unit of the store counts for the item vectors; gold items' voice units are scored
    item = units["item_id"].map(index)
    stage = ClassifyStage(taxonomy=folder / "taxonomy.yaml", embedder=embedder)
    gold = [e["theme"] for e in gold_items]
    whole = embed([e["customer_text"] for e in gold_items], embedder=embedder, cache=cache).vectors
    classes = stage.theme_model().classes_
    labels = [t["id"] for t in truth["themes"]]
    whole_pred = [str(classes[j]) for j in stage.theme_probabilities(whole).argmax(axis=1)]
    row: dict[str, Any] = {
        "set": f"company {truth['generator']['texts']} s{truth['generator']['seed']}",
        "items": len(gold),
        "units": int(counted.sum()),
        "whole_item": round(macro_f1(gold, whole_pred, labels), 4),
        "weights": {},
    }
    scored = counted & item.notna().to_numpy()
    item_no = item.fillna(-1).astype(int).to_numpy()[scored]
    for key, context in (("weights", counted), ("weights_all_units", None)):
        row[key] = {}
        for w in WEIGHTS:
            stage.unit_weight = w
            stage.fit_items(units, vectors, counted=context)
            pred = item_themes(stage, units[scored], vectors[scored], item_no, len(gold))
            row[key][str(w)] = round(macro_f1(gold, pred, labels), 4)
    return row


def leave_one_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per held-out set: the weight best on the others (mean macro-F1), its held-out score."""
    out = []
    for held in rows:
        others = [r for r in rows if r is not held]
        mean = {w: np.mean([r["weights"][w] for r in others]) for w in held["weights"]}
        best = max(mean, key=lambda w: (round(mean[w], 4), float(w)))
        out.append(
            {
                "held_out": held["set"],
                "weight": float(best),
                "held_out_f1": held["weights"][best],
                "units_alone": held["weights"]["1.0"],
                "whole_item": held["whole_item"],
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--cap", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--company", type=Path, nargs="*", default=[])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "benchmarks" / "out" / "item_context.json"
    )
    args = parser.parse_args(argv)
    embedder = Embedder()
    cache = EmbeddingCache(default_cache_dir())
    rows = []
    for name in args.sets:
        rows.append(run_set(name, args.eval, embedder, cache, args.cap, args.seed))
        print(json.dumps(rows[-1]), flush=True)
    for folder in args.company:
        rows.append(run_company(folder, embedder, cache))
        print(json.dumps(rows[-1]), flush=True)
    loo = leave_one_out(rows) if len(rows) > 1 else []
    head = ["set", "items", "whole item", *(f"w={w}" for w in WEIGHTS)]
    print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
    for r in rows:
        cells = [r["set"], str(r["items"]), f"{r['whole_item']:.3f}"]
        cells += [f"{r['weights'][str(w)]:.3f}" for w in WEIGHTS]
        print("| " + " | ".join(cells) + " |")
    if loo:
        print(
            "\nleave-one-set-out:\n| held out | weight | held-out F1 | units alone | whole item |"
        )
        print("|---|---|---|---|---|")
        for r in loo:
            print(
                f"| {r['held_out']} | {r['weight']} | {r['held_out_f1']:.3f} | "
                f"{r['units_alone']:.3f} | {r['whole_item']:.3f} |"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"sets": rows, "leave_one_out": loo}, indent=1) + "\n")
    print(f"(details: {args.out})")


if __name__ == "__main__":
    main()
