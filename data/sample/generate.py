"""Generate silobridge's bundled sample data: a quarter of a fictional B2B SaaS company's feedback.

Lumora sells a product-analytics platform. Its five functions hear customers through ten
exports, each written in the vendor's real export format (see ``/work/shared/formats.md`` and
``README.md`` next to this file): Zendesk, Intercom, Gong, Slack, Typeform, SurveyMonkey,
Qualtrics, a CRM notes CSV, review-site JSON Lines and a folder of call notes. The planted
structure (themes per function, blind spots, a spike, personal data, bad records) is written to
``ground_truth.json`` so a report can be checked against it.

Usage::

    .venv/bin/python data/sample/generate.py                 # the bundled sample, seed 7
    .venv/bin/python data/sample/generate.py --items 100000 --out /tmp/big   # benchmark size

Same seed and arguments give byte-identical output: every random choice comes from
``random.Random`` streams derived from the seed, nothing reads the clock, JSON is dumped with
fixed settings.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from _calls import write_gong, write_notes
from _crm import write_crm_notes, write_reviews
from _model import Job, SourceResult, write
from _phrases import THEMES
from _plan import BLIND_SPOTS, FUNCTION_SHARES, SPIKE
from _slack import write_slack
from _support import write_intercom, write_zendesk
from _surveys import write_qualtrics, write_surveymonkey, write_typeform
from _world import COMPANY, COMPETITORS, FEATURES, PRODUCTS, START, World

HERE = Path(__file__).resolve().parent
# name: (writer, items at the default size, folder or file under the output folder)
SOURCES = {
    "zendesk": (write_zendesk, 650, "zendesk"),
    "intercom": (write_intercom, 280, "intercom/conversations.json"),
    "gong": (write_gong, 150, "gong"),
    "slack": (write_slack, 460, "slack"),
    "typeform": (write_typeform, 200, "surveys/typeform"),
    "surveymonkey": (write_surveymonkey, 150, "surveys/surveymonkey/product_survey.csv"),
    "qualtrics": (write_qualtrics, 130, "surveys/qualtrics/onboarding_csat.csv"),
    "crm_notes": (write_crm_notes, 150, "crm/account_notes.csv"),
    "reviews": (write_reviews, 80, "crm/reviews.jsonl"),
    "notes": (write_notes, 64, "notes"),
}
DEFAULT_ITEMS = sum(n for _, n, _ in SOURCES.values())
# One stray mention of each blind spot outside its function, in these sources.
LEAKS = {
    "intercom": ["sso_saml_login_failures", "competitor_discount"],
    "zendesk": ["onboarding_training_gaps"],
    "gong": ["confusing_pricing_page"],
}
OUTPUTS = ("zendesk", "intercom", "gong", "slack", "surveys", "crm", "notes", "ground_truth.json")


def generate(out: Path, seed: int = 7, items: int | None = None) -> dict[str, Any]:
    """Write the sample into ``out`` and return the ground truth.

    Args:
        out: Output folder; the generated sub-folders in it are replaced.
        seed: Seed of every random stream.
        items: Total number of items; ``None`` for the default sample size. Every source
            scales proportionally.
    """
    total = items or DEFAULT_ITEMS
    scale = total / DEFAULT_ITEMS
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    world = World(seed)
    results: dict[str, SourceResult] = {}
    for name, (writer, base, _) in SOURCES.items():
        job = Job(
            world,
            random.Random(f"{seed}/{name}"),
            max(3, round(base * scale)),
            scale,
            out,
            list(LEAKS.get(name, [])),
        )
        results[name] = writer(job)
    truth = ground_truth(world, results, seed, items)
    write(out / "ground_truth.json", _dump_truth(truth))
    return truth


def _ratio(value: float, base: float) -> float | None:
    return round(value / base, 2) if base else None


def ground_truth(
    world: World, results: dict[str, SourceResult], seed: int, items: int | None
) -> dict[str, Any]:
    """The planted structure, and what was actually written, as one JSON-ready dict."""
    all_items = [it for r in results.values() for it in r.items]
    by_function: dict[str, list] = defaultdict(list)
    for it in all_items:
        by_function[it.function].append(it)
    share = {
        f: {t.id: round(sum(t.id in it.themes for it in its) / len(its), 4) for t in THEMES}
        for f, its in sorted(by_function.items())
    }
    themes = []
    for t in THEMES:
        planned = {
            f: round(w.get(t.id, 0) / sum(w.values()), 4) for f, w in FUNCTION_SHARES.items()
        }
        themes.append(
            {
                "id": t.id,
                "name": t.name,
                "description": t.description,
                "planned_main_share": planned,
                "observed_share": {f: share[f][t.id] for f in share},
            }
        )
    blind = []
    for theme, function in BLIND_SPOTS:
        others = {f: share[f][theme] for f in share if f != function}
        blind.append(
            {
                "theme": theme,
                "function": function,
                "description": f"{function} hears it; the other functions almost never do",
                "observed_share": share[function][theme],
                "max_share_elsewhere": max(others.values()),
                "share_elsewhere": others,
            }
        )
    weekly = Counter(it.when.strftime("%G-W%V") for it in all_items if SPIKE["theme"] in it.themes)
    weeks = sorted({it.when.strftime("%G-W%V") for it in all_items})
    before = [weekly[w] for w in weeks if w < SPIKE["week"]]
    trailing4 = before[-4:]
    spike = {
        "theme": SPIKE["theme"],
        "week": SPIKE["week"],
        "cause": f"release {SPIKE['release']}",
        "release_date": SPIKE["release_date"],
        "planned_weight_factor": SPIKE["weight_factor"],
        "observed_count": weekly[SPIKE["week"]],
        "trailing_mean_4w": round(sum(trailing4) / len(trailing4), 2),
        # None where the prior weeks are empty (tiny --items)
        "factor_vs_trailing_4w": _ratio(weekly[SPIKE["week"]], sum(trailing4) / len(trailing4)),
        "factor_vs_all_prior_weeks": _ratio(weekly[SPIKE["week"]], sum(before) / len(before)),
        "weekly_counts": {w: weekly[w] for w in weeks},
    }
    counts = {
        n: {"good": len(r.items), "bad": len(r.bad), "skipped_events": r.skipped, **r.notes}
        for n, r in results.items()
    }
    total = {k: sum(c[k] for c in counts.values()) for k in ("good", "bad", "skipped_events")}
    texts = [it.text for it in all_items]
    personal = []
    for name, r in results.items():
        personal += [_pii(name, it.file, it.native_id, it.pii) for it in r.items if it.pii]
        personal += [_pii(name, b.file, b.native_id, b.pii, bad=True) for b in r.bad if b.pii]
    return {
        "generator": {
            "command": "python data/sample/generate.py --seed {}{}".format(
                seed, f" --items {items}" if items else ""
            ),
            "seed": seed,
            "period": {"start": START.date().isoformat(), "end": "2026-10-30"},
        },
        "gazetteer": {
            "company": COMPANY,
            "products": list(PRODUCTS),
            "features": list(FEATURES),
            "competitors": list(COMPETITORS),
            "accounts": [
                {
                    "name": a.name,
                    "domain": a.domain,
                    "size": a.size,
                    "plan": a.plan,
                    "region": a.region,
                    "employees": a.employees,
                }
                for a in world.accounts
            ],
            "employees": [
                {"name": p.name, "function": f, "title": p.title, "email": p.email}
                for f, ps in world.staff.items()
                for p in ps
            ],
        },
        "sources": {
            n: {"path": SOURCES[n][2], "function": _functions(r)} for n, r in results.items()
        },
        "counts": counts,
        "counts_total": total,
        "items_by_function": {f: len(v) for f, v in sorted(by_function.items())},
        "distinct_text_share": round(len(set(texts)) / len(texts), 4),
        "themes": themes,
        "blind_spots": blind,
        "spikes": [spike],
        "bad_records": [b.ground_truth() for r in results.values() for b in r.bad],
        "personal_data": personal,
        "items": [
            it.ground_truth()
            for it in sorted(all_items, key=lambda i: (i.source, i.file, i.native_id))
        ],
    }


def _functions(r: SourceResult) -> dict[str, int]:
    return dict(sorted(Counter(it.function for it in r.items).items()))


def _pii(source: str, file: str, native_id: str | None, pii: list, bad: bool = False) -> dict:
    """One item's planted personal data: ``values`` are ``[kind, value, where]`` triples."""
    entry = {"source": source, "file": file, "native_id": native_id}
    if bad:
        entry["in_bad_record"] = True
    entry["values"] = [list(p) for p in pii]
    return entry


def _dump_truth(truth: dict[str, Any]) -> str:
    """Indented JSON, except that the long lists hold one compact object per line."""
    long = {"personal_data", "items", "bad_records"}
    out = ["{"]
    keys = list(truth)
    for i, key in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        if key in long:
            rows = [json.dumps(v, ensure_ascii=False) for v in truth[key]]
            body = ",\n".join("    " + r for r in rows)
            out.append(f'  "{key}": [\n{body}\n  ]{comma}')
        else:
            text = json.dumps(truth[key], ensure_ascii=False, indent=2).replace("\n", "\n  ")
            out.append(f'  "{key}": {text}{comma}')
    out.append("}")
    return "\n".join(out) + "\n"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="output folder (default: next to this script)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    parser.add_argument(
        "--items",
        type=int,
        default=None,
        help=f"total items, all sources scaled (default: {DEFAULT_ITEMS})",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    truth = generate(args.out, args.seed, args.items)
    took = time.perf_counter() - started
    c = truth["counts"]
    size = sum(_size(args.out / o) for o in OUTPUTS if (args.out / o).exists())
    print(f"wrote {args.out} in {took:.1f} s, {size / 1e6:.2f} MB")
    for name in SOURCES:
        n = c[name]
        print(
            f"  {name:<13} good {n['good']:>6}  bad {n['bad']:>4}  skipped {n['skipped_events']:>5}"
        )
    total = truth["counts_total"]
    print(f"  {'total':<13} good {total['good']:>6}  bad {total['bad']:>4}")
    print(f"items by function: {truth['items_by_function']}")
    print(f"distinct item texts: {truth['distinct_text_share']:.1%}")
    for b in truth["blind_spots"]:
        print(
            f"blind spot {b['theme']}: {b['observed_share']:.1%} of {b['function']}, "
            f"at most {b['max_share_elsewhere']:.1%} elsewhere"
        )
    s = truth["spikes"][0]
    print(
        f"spike {s['theme']} {s['week']}: {s['observed_count']} items, "
        f"{s['factor_vs_trailing_4w']}x the trailing 4-week mean"
    )
    planted = sum(len(p["values"]) for p in truth["personal_data"])
    print(f"personal data planted: {planted} values in {len(truth['personal_data'])} records")
    return 0


if __name__ == "__main__":
    sys.exit(main())
