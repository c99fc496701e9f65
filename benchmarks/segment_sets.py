"""Units of every labelled set in ``../shared/eval``, as customer, unknown and staff turns; and
what changed against another version's run.

Draws the examples ``train_substance.load_sets`` reads (at most ``--cap`` per set and class,
seeded) plus QMSum and STAR user turns, segments each text as one turn of each role
(:func:`silobridge.pipeline.understand.segment.segment`) and writes the unit texts per example
to ``--out``. With ``--compare OLD.json`` (the same command run by another version, e.g. from a
worktree of an older commit), prints per set and role the units before and after and the share
of texts whose units changed: a segmentation change should move only what it means to.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/segment_sets.py --out /tmp/seg_after.json \
        [--compare /tmp/seg_before.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from train_substance import load_sets  # noqa: E402  (the same draw of every set)

ROLES = ("customer", "unknown", "internal")


def examples(eval_dir: Path, cap: int, seed: int) -> list[tuple[str, str]]:
    frame = load_sets(eval_dir, cap, seed)
    rows = list(zip(frame["set"], frame["text"], strict=True))
    qmsum = pd.read_csv(eval_dir / "qmsum_meetings/qmsum_turns.csv")["text"].dropna().astype(str)
    rows += [("qmsum_meetings", t) for t in qmsum.sample(cap, random_state=seed)]
    star = pd.read_csv(eval_dir / "star_dialogues/star_turns.csv")
    user = star[star["speaker"].eq("user")]["text"].dropna().astype(str)
    rows += [("star_dialogues", t) for t in user.sample(cap, random_state=seed)]
    return rows


def units_per_role(rows: list[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    from silobridge.pipeline.understand.segment import segment

    at = datetime(2026, 9, 3, tzinfo=UTC)
    out = {}
    for role in ROLES:
        items = pd.DataFrame(
            [
                {"item_id": f"i{k}", "text": t,
                 "parts": [{"speaker": "s", "role": role, "timestamp": at, "text": t}]}
                for k, (_, t) in enumerate(rows)
            ]
        )  # fmt: skip
        units = segment(items).units
        out[role] = units.groupby("item_id")["text"].apply(list).to_dict()
    return out


def compare(rows: list[tuple[str, str]], before: dict, after: dict) -> None:
    print("| set | role | texts | units before | units after | texts whose units changed |")
    print("|---|---|---|---|---|---|")
    for role in ROLES:
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for k, (name, _) in enumerate(rows):
            old, new = before[role].get(f"i{k}", []), after[role].get(f"i{k}", [])
            s = stats[name]
            s[0], s[1], s[2], s[3] = s[0] + 1, s[1] + len(old), s[2] + len(new), s[3] + (old != new)
        for name, (n, old, new, changed) in sorted(stats.items()):
            print(f"| {name} | {role} | {n} | {old} | {new} | {changed} ({changed / n:.1%}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval", type=Path, default=HERE.parent.parent / "shared" / "eval")
    parser.add_argument("--cap", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="the JSON another version wrote")
    args = parser.parse_args()
    if not (args.eval / "INDEX.md").exists():
        sys.exit(f"{args.eval}: no labelled sets there (../shared/eval)")
    rows = examples(args.eval, args.cap, args.seed)
    after = units_per_role(rows)
    args.out.write_text(json.dumps({"rows": rows, "units": after}) + "\n")
    if args.compare:
        compare(rows, json.loads(args.compare.read_text())["units"], after)


if __name__ == "__main__":
    main()
