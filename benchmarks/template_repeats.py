"""How often real customers repeat a sentence word for word: the basis of the template rule.

:func:`silobridge.pipeline.voice.customer_voice` leaves out a text repeated word for word in at
least ``k`` items and ``share`` of the items of one source, for any of its ``templates``
settings (a form's prompt, a canned follow-up, a staff member's formula). This measures what
such a rule would cost on real customer texts from the labelled public sets in
``../shared/eval``: for sources of 300 to 10,000 items drawn from each set (``--draws`` times,
the worst draw counted), the share of their sentences (compared as the rule compares units)
that each setting of a grid would drop. The default is the most inclusive rule that drops at
most ``--budget`` (0.1%) of every set's sentences at every size: at each measured size, the
setting within budget that asks for the fewest repeats, a text being a template when any of
those holds (:func:`most_inclusive`).

    .venv/bin/python benchmarks/template_repeats.py [--eval ../shared/eval] [--seed 0]

Prints the table and the chosen setting; writes ``benchmarks/out/template_repeats.json``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from train_substance import _sentences  # noqa: E402  (the same sentence split)

SIZES = (300, 1_000, 3_000, 10_000)
GRID = [(k, share) for share in (0.005, 0.01, 0.02, 0.05) for k in (3, 5, 10, 20)]


def customer_texts(eval_dir: Path) -> dict[str, list[str]]:
    """Real customer texts of each set: reviews, tickets, complaints, queries, dialogue turns."""
    turns = pd.read_csv(eval_dir / "star_dialogues/star_turns.csv")
    tickets = pd.read_csv(eval_dir / "it_service_tickets/all_tickets_processed_improved_v3.csv")
    reviews = pd.read_csv(eval_dir / "app_reviews_maalej/app_reviews_maalej.csv")
    return {
        "app_reviews_maalej": reviews["comment"].dropna().drop_duplicates().tolist(),
        "it_service_tickets": tickets["Document"].dropna().astype(str).tolist(),
        "cfpb_complaints_sample": pd.read_csv(
            eval_dir / "cfpb_complaints_sample/cfpb_narratives.csv"
        )["text"]
        .dropna()
        .tolist(),
        "banking77": pd.read_csv(eval_dir / "banking77/train.csv")["text"].tolist(),
        "mams_acsa": pd.read_csv(eval_dir / "mams_acsa/mams_acsa.csv")["text"].tolist(),
        "star_dialogues (user turns)": turns[turns["speaker"].eq("user")]["text"]
        .dropna()
        .astype(str)
        .tolist(),
    }


def repeats(texts: list[str]) -> list[list[int]]:
    """For each item of one source, in how many of its items each of its sentences occurs
    (compared as the rule compares them: :func:`silobridge.pipeline.voice.template_key`)."""
    from silobridge.pipeline.voice import template_key

    per_item = [set(template_key(pd.Series(_sentences(t), dtype=object))) for t in texts]
    counts = Counter(s for sentences in per_item for s in sentences)
    return [[counts[s] for s in sentences] for sentences in per_item]


def dropped(counts: list[list[int]], k: int, share: float) -> float:
    """Share of a source's sentences (``counts`` from :func:`repeats`) repeated in at least
    max(k, share * items) items."""
    cut = max(k, share * len(counts))
    total = sum(len(c) for c in counts)
    return sum(c >= cut for item in counts for c in item) / max(total, 1)


def most_inclusive(ok: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """The settings within budget that ask for the fewest repeats at some measured size.

    A text is a template when any of them holds (their union): at each source size the union
    asks for the fewest repeats any setting within budget asks for, and drops what that
    setting drops (each is a threshold on the same count). Sizes below the smallest measured
    are not extrapolated: the union is taken over the measured sizes only.
    """
    chosen: list[tuple[int, float]] = []
    for n in SIZES:
        if not ok:
            break
        best = min(ok, key=lambda ks: (max(ks[0], ks[1] * n), ks[1], ks[0]))
        if best not in chosen:
            chosen.append(best)
    return sorted(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=0.001)
    parser.add_argument("--draws", type=int, default=3)
    args = parser.parse_args()
    if not (args.eval / "INDEX.md").exists():
        sys.exit(f"{args.eval}: no labelled sets there (../shared/eval)")
    rng = random.Random(args.seed)
    table: dict[str, dict[str, float]] = {}
    for name, texts in customer_texts(args.eval).items():
        for n in SIZES:
            if n > len(texts):
                continue
            samples = [rng.sample(texts, n) for _ in range(args.draws if n < len(texts) else 1)]
            draws = [repeats(sample) for sample in samples]
            row = {
                f"{k} items, {share:.1%}": round(max(dropped(d, k, share) for d in draws), 4)
                for k, share in GRID
            }
            table[f"{name} n={n}"] = row
    worst = {key: max(row[key] for row in table.values()) for key in next(iter(table.values()))}
    ok = [(k, share) for k, share in GRID if worst[f"{k} items, {share:.1%}"] <= args.budget]
    chosen = most_inclusive(ok)
    union = {  # the union's cut is its lowest: it drops what its worst setting drops
        key: max(row[f"{k} items, {share:.1%}"] for k, share in chosen) if chosen else None
        for key, row in table.items()
    }
    frame = pd.DataFrame(table).T
    print("share of real customer sentences the template rule would drop")
    print(frame.to_string())
    print(f"\nworst over sets and sizes: {json.dumps(worst)}")
    rule = " or ".join(f"{k} items and {share:.1%}" for k, share in chosen)
    print(f"chosen (most inclusive with <= {args.budget:.1%} dropped everywhere): {rule}")
    print(
        f"  repeats it asks for at {', '.join(map(str, SIZES))} items: "
        f"{[min(max(k, share * n) for k, share in chosen) for n in SIZES]}; "
        f"worst drop of the union: {max(union.values())}"
    )
    (HERE / "out").mkdir(exist_ok=True)
    out = {
        "table": table,
        "worst": worst,
        "budget": args.budget,
        "chosen": [{"items": k, "share": share} for k, share in chosen],
        "union_dropped": union,
    }
    (HERE / "out" / "template_repeats.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
