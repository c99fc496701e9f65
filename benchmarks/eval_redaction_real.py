"""Person redaction on real texts: how often a ``<PERSON>`` lands on a word that names no one.

Draws a seeded sample of real customer texts from ``../shared/eval`` (see its INDEX.md and each
folder's SOURCE.md), splits them into insight units as the understand stage does
(:func:`silobridge.pipeline.understand.segment.segment`), and redacts the units with the
redactor and allow list the stage uses (:class:`~silobridge.pipeline.understand.redact.Redactor`
with the bundled taxonomy's gazetteer names). Sets and the text taken from each:

================= ====================================================================
set               text
================= ====================================================================
app_reviews       ``app_reviews_maalej_multilabel.csv`` ``comment`` (distinct reviews)
it_tickets        ``all_tickets_processed_improved_v3.csv`` ``Document`` (lower-cased)
cfpb              ``cfpb_narratives.csv`` ``text`` (complaint narratives)
dstc11            ``dstc11_intents.csv`` ``text`` (customer turns)
mams              ``mams_acsa.csv`` ``text`` (restaurant review sentences)
star_user         ``star_turns.csv`` ``text`` where ``speaker == "user"``
================= ====================================================================

Per set it takes texts in a seeded random order until it has ``--units`` units, and prints the
units, the units with a ``<PERSON>``, and each PERSON span in its context for a person to
check.

Hand-checked verdicts live in ``benchmarks/redaction_real_checked.json``: per unit its text's
hash (sha1 of the unit text, first 16 hex digits), the set, the text and its PERSON spans, each
with a verdict ``true_name`` or ``false``. Its ``sample`` units are a fixed seeded draw of 100
units that got a PERSON span before the fix (seed 0 over seeds 1 and 2, see
``--draw-checked``); its ``extra`` units are the other checked ones (every other flagged unit
of the seed 1 and seed 2 samples). A span marked ``"found_before": false`` was found only by
the redactor after the evidence fix and checked then. Measures:

* **false PERSON rate** per set and overall: units with a PERSON span judged ``false`` over all
  units sampled. A span no verdict covers is counted apart (``unchecked``) and as false in the
  upper bound ``false_rate_max``; ``--show`` prints it to check.
* **precision on the checked sample**: PERSON spans on true names over PERSON spans, on the 100
  sampled units, redacted again now; and **names kept redacted**: the true names of all checked
  units still inside a PERSON span now.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/eval_redaction_real.py [--seed 1] [--units 400]
        [--show] [--draw-checked]

Writes benchmarks/out/redaction_real_seed{SEED}.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVAL = ROOT.parent / "shared" / "eval"
CHECKED = HERE / "redaction_real_checked.json"
csv.field_size_limit(10**8)


def _column(path: Path, column: str, keep=lambda row: True) -> list[str]:
    with path.open(encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f) if keep(row) and row[column].strip()]


#: set -> (file under ../shared/eval, column, row filter)
SETS = {
    "app_reviews": ("app_reviews_maalej/app_reviews_maalej_multilabel.csv", "comment", None),
    "it_tickets": ("it_service_tickets/all_tickets_processed_improved_v3.csv", "Document", None),
    "cfpb": ("cfpb_complaints_sample/cfpb_narratives.csv", "text", None),
    "dstc11": ("dstc11_intent_induction/dstc11_intents.csv", "text", None),
    "mams": ("mams_acsa/mams_acsa.csv", "text", None),
    "star_user": ("star_dialogues/star_turns.csv", "text", lambda row: row["speaker"] == "user"),
}


def unit_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def load_texts(name: str) -> list[str]:
    path, column, keep = SETS[name]
    texts = _column(EVAL / path, column, keep or (lambda row: True))
    return list(dict.fromkeys(texts))


def sample_units(name: str, n_units: int, seed: int) -> list[str]:
    """The first ``n_units`` units of the set's texts in a seeded random order."""
    import pandas as pd
    from silobridge.pipeline.understand.segment import segment

    texts = load_texts(name)
    random.Random(f"{name}:{seed}").shuffle(texts)
    units: list[str] = []
    pos = 0
    while len(units) < n_units and pos < len(texts):
        chunk = texts[pos : pos + 200]
        items = pd.DataFrame(
            {"item_id": [f"{name}-{pos + i}" for i in range(len(chunk))], "text": chunk}
        )
        done = segment(items).units
        done = done.assign(order=done["item_id"].str.rsplit("-", n=1).str[1].astype(int))
        done = done.sort_values(["order", "start"], kind="stable")
        units.extend(done["text"].tolist())
        pos += len(chunk)
    return units[:n_units]


def load_checked() -> dict:
    if not CHECKED.exists():
        return {"sample": [], "extra": []}
    return json.loads(CHECKED.read_text(encoding="utf-8"))


def verdicts(checked: dict) -> dict[tuple[str, str, int], str]:
    """(unit hash, span text, start) -> verdict, for every checked span."""
    out = {}
    for entry in [*checked.get("sample", []), *checked.get("extra", [])]:
        for span in entry["spans"]:
            out[(entry["hash"], span["text"], span["start"])] = span["verdict"]
    return out


def true_names(checked: dict) -> list[tuple[str, str, int, int]]:
    """(set, text, start, end) of every checked true name (also those only found after the
    fix or by no redactor)."""
    return [
        (e["set"], e["text"], s["start"], s["end"])
        for e in [*checked.get("sample", []), *checked.get("extra", [])]
        for s in e["spans"]
        if s["verdict"] == "true_name"
    ]


def _context(text: str, s: int, e: int, width: int = 50) -> str:
    left = text[max(0, s - width) : s].replace("\n", "⏎")
    right = text[e : e + width].replace("\n", "⏎")
    return f"{left}[{text[s:e]}]{right}"


def person_spans(redaction) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in redaction.spans if s.type == "PERSON"]


def evaluate_set(name: str, units: list[str], redactor, known: dict, show: bool) -> dict:
    t0 = time.perf_counter()
    distinct = list(dict.fromkeys(units))
    done = dict(zip(distinct, redactor.redact_many(distinct), strict=True))
    seconds = time.perf_counter() - t0
    flagged = false_units = unchecked_units = 0
    spans_total = spans_false = spans_true = spans_unchecked = 0
    rows = []
    for text in units:
        spans = person_spans(done[text])
        if not spans:
            continue
        flagged += 1
        h = unit_hash(text)
        kinds = [known.get((h, text[s:e], s)) for s, e in spans]
        spans_total += len(spans)
        spans_false += kinds.count("false")
        spans_true += kinds.count("true_name")
        spans_unchecked += kinds.count(None)
        false_units += "false" in kinds
        unchecked_units += "false" not in kinds and None in kinds
        rows.append((h, text, spans, kinds))
    n = len(units)
    if show:
        print(f"\n== {name}: PERSON spans (verdict | hash | context)")
        for h, text, spans, kinds in rows:
            for (s, e), kind in zip(spans, kinds, strict=True):
                print(f"  {kind or 'UNCHECKED':9} | {h} | {s}:{e} | {_context(text, s, e)}")
    return {
        "units": n,
        "distinct_units": len(distinct),
        "units_with_person": flagged,
        "units_with_false_person": false_units,
        "units_with_unchecked_person": unchecked_units,
        "person_spans": spans_total,
        "spans_true": spans_true,
        "spans_false": spans_false,
        "spans_unchecked": spans_unchecked,
        "false_rate": round(false_units / n, 4) if n else None,
        "false_rate_max": round((false_units + unchecked_units) / n, 4) if n else None,
        "seconds": round(seconds, 2),
        "flagged": [
            {
                "hash": h,
                "text": text,
                "spans": [
                    {"start": s, "end": e, "text": text[s:e], "verdict": k}
                    for (s, e), k in zip(spans, kinds, strict=True)
                ],
            }
            for h, text, spans, kinds in rows
        ],
    }


def evaluate_checked(checked: dict, redactor) -> dict:
    """Precision on the 100 sampled units redacted now; checked true names still redacted."""
    sample = checked.get("sample", [])
    redactions = redactor.redact_many([e["text"] for e in sample])
    n_spans = n_true = 0
    errors = []
    for entry, red in zip(sample, redactions, strict=True):
        truth = {(s["start"], s["end"]): s["verdict"] for s in entry["spans"]}
        for s, e in person_spans(red):
            n_spans += 1
            verdict = truth.get((s, e))
            if verdict is None:  # a span not checked as such: true when it is inside a true name
                inside = [
                    v for (a, b), v in truth.items() if v == "true_name" and a <= s and e <= b
                ]
                verdict = "true_name" if inside else "false"
            n_true += verdict == "true_name"
            if verdict != "true_name":
                errors.append(_context(entry["text"], s, e))
    names = true_names(checked)
    texts = list(dict.fromkeys(t for _, t, _, _ in names))
    now = dict(zip(texts, redactor.redact_many(texts), strict=True))
    kept = 0
    missed = []
    for _set, text, s, e in names:
        spans = person_spans(now[text])
        if any(a <= s and e <= b for a, b in spans):
            kept += 1
        else:
            missed.append(_context(text, s, e))
    # the spans the redactor found before the fix (the fixture's first verdicts)
    before = [s for e in sample for s in e["spans"] if s.get("found_before", True)]
    before_spans = len(before)
    before_true = sum(s["verdict"] == "true_name" for s in before)
    return {
        "sample_units": len(sample),
        "before": {
            "person_spans": before_spans,
            "true": before_true,
            "precision": round(before_true / before_spans, 4) if before_spans else None,
        },
        "now": {
            "person_spans": n_spans,
            "true": n_true,
            "precision": round(n_true / n_spans, 4) if n_spans else None,
            "false_examples": errors[:40],
        },
        "true_names": len(names),
        "true_names_redacted_before": sum(
            s["verdict"] == "true_name" and s.get("found_before", True)
            for e in [*sample, *checked.get("extra", [])]
            for s in e["spans"]
        ),
        "true_names_redacted": kept,
        "true_names_recall": round(kept / len(names), 4) if names else None,
        "true_names_missed": missed,
    }


def draw_checked(results: dict[int, dict], n: int = 100, seed: int = 0) -> list[dict]:
    """A seeded draw of ``n`` units with a PERSON span, over the given seeds' samples."""
    pool = {}
    for result in results.values():
        for name, row in result["sets"].items():
            for entry in row["flagged"]:
                pool.setdefault(entry["hash"], {"set": name, **entry})
    keys = sorted(pool)
    random.Random(seed).shuffle(keys)
    return [pool[k] for k in sorted(keys[:n])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, nargs="+", default=[1])
    parser.add_argument("--units", type=int, default=400, help="units per set")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "data/taxonomy.yaml")
    parser.add_argument("--show", action="store_true", help="print every PERSON span")
    parser.add_argument(
        "--draw-checked",
        action="store_true",
        help="print a seeded draw of 100 flagged units (JSON) to hand-check",
    )
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()

    if not EVAL.exists():
        sys.exit(f"Error: no evaluation data at {EVAL}")
    from silobridge.pipeline.understand.redact import Redactor
    from silobridge.taxonomy import gazetteer_names, load_gazetteer

    redactor = Redactor(allow_list=gazetteer_names(load_gazetteer(args.taxonomy)))
    redactor.redact("warm-up: Hi Nadia, call +1 720 555 0102.")
    checked = load_checked()
    known = verdicts(checked)
    results: dict[int, dict] = {}
    for seed in args.seed:
        sets = {}
        for name in args.sets:
            units = sample_units(name, args.units, seed)
            sets[name] = evaluate_set(name, units, redactor, known, args.show)
        n = sum(r["units"] for r in sets.values())
        false_units = sum(r["units_with_false_person"] for r in sets.values())
        unchecked = sum(r["units_with_unchecked_person"] for r in sets.values())
        overall = {
            "units": n,
            "units_with_person": sum(r["units_with_person"] for r in sets.values()),
            "units_with_false_person": false_units,
            "units_with_unchecked_person": unchecked,
            "false_rate": round(false_units / n, 4),
            "false_rate_max": round((false_units + unchecked) / n, 4),
            "seconds": round(sum(r["seconds"] for r in sets.values()), 2),
        }
        results[seed] = {"seed": seed, "units_per_set": args.units, "sets": sets, "all": overall}
        print(f"\nseed {seed}: {args.units} units per set")
        print(
            f"{'set':12}{'units':>7}{'w/PERSON':>10}{'false':>7}{'unchk':>7}"
            f"{'false rate':>12}{'max':>8}{'s':>7}"
        )
        for name, r in [*sets.items(), ("all", overall)]:
            print(
                f"{name:12}{r['units']:>7}{r['units_with_person']:>10}"
                f"{r['units_with_false_person']:>7}{r['units_with_unchecked_person']:>7}"
                f"{100 * r['false_rate']:>11.2f}%{100 * r['false_rate_max']:>7.2f}%"
                f"{r['seconds']:>7}"
            )
        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / f"redaction_real_seed{seed}.json"
        path.write_text(json.dumps(results[seed], indent=1) + "\n", encoding="utf-8")
        print(f"written: {path}")
    if args.draw_checked:
        print(json.dumps(draw_checked(results), indent=1, ensure_ascii=False))
    if checked.get("sample"):
        c = evaluate_checked(checked, redactor)
        print(
            f"\nchecked sample: {c['sample_units']} units; PERSON precision before "
            f"{c['before']['true']}/{c['before']['person_spans']} = {c['before']['precision']}, "
            f"now {c['now']['true']}/{c['now']['person_spans']} = {c['now']['precision']}"
        )
        print(
            f"checked true names (all units of the fixture): redacted before "
            f"{c['true_names_redacted_before']}/{c['true_names']}, now "
            f"{c['true_names_redacted']}/{c['true_names']} = {c['true_names_recall']}"
        )
        if args.show:
            for ctx in c["now"]["false_examples"]:
                print(f"  false now | {ctx}")
            for ctx in c["true_names_missed"]:
                print(f"  missed    | {ctx}")
        (args.out / "redaction_real_checked.json").write_text(
            json.dumps(c, indent=1) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
