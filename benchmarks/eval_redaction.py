"""Redaction quality and speed: recall per type, precision, names kept, texts/s.

Two test sets:

1. **sample**: the item texts of a store of the bundled sample (default ``.silobridge-demo``;
   ``silobridge demo`` creates it) against the personal data planted in them
   (``data/sample/ground_truth.json`` ``personal_data``, values with ``where: "text"``);
2. **tricky**: ``tests/fixtures/redaction_cases.jsonl``, hand-written hard cases (names that are
   also words, international phone formats, e-mails in angle brackets and mailto links,
   signatures, cards, IBANs, IPs, personal URLs), each with the values that must go and the
   names that must stay.

The redactor gets the allow list a run would give it: the taxonomy gazetteer's names and
synonyms (``data/taxonomy.yaml``), the company name and the store's account names.

Measures:

* **recall** per kind: an occurrence of a planted value counts as removed when every character
  of it lies in a redacted span; *typed* when those spans are also of the right placeholder
  type (``name`` -> ``<PERSON>``...). Counted per occurrence and per value (a value is removed
  when all its occurrences in its item are).
* **precision**: redacted spans that overlap a planted value, over all redacted spans. The
  generator did not list every name it wrote (Slack ``cc @Name`` mentions, "Name said ..."),
  so a second figure also counts PERSON spans made only of words of the sample's people
  (planted names, the gazetteer's employees) as right; ``--show-errors`` prints the rest.
* **names kept**: occurrences of the gazetteer's company, product, feature and competitor names
  and of account names (``ground_truth.json`` ``gazetteer``) that no redacted span touches.
* **throughput**: ``Redactor.redact_many`` on ``--throughput-texts`` item texts after the model
  is loaded, and spaCy's ``nlp.pipe`` alone (the same pipeline) on the same texts.
* **units**: the store's ``units`` (what the understand stage keeps): planted values still
  present in an item's unit texts, per kind; and ``redact_many`` with and without the gate
  (parsing only the texts that can name someone) on the sample's distinct unit texts: the
  number of texts whose redaction differs, and the time of each.

Prints a table and writes benchmarks/out/redaction.json.

    .venv/bin/python benchmarks/eval_redaction.py [--store .silobridge-demo] [--limit N]
        [--throughput-texts 500] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KIND_TYPE = {"name": "PERSON", "email": "EMAIL", "phone": "PHONE", "card": "CARD", "iban": "IBAN"}
TYPE_KIND = {v: k for k, v in KIND_TYPE.items()}


def occurrences(text: str, value: str) -> list[tuple[int, int]]:
    """Where ``value`` is written in ``text`` as a whole (not inside a longer word)."""
    pattern = r"(?<!\w)" + re.escape(value) + r"(?!\w)"
    return [m.span() for m in re.finditer(pattern, text)]


def coverage(spans, start: int, end: int) -> tuple[bool, set[str]]:
    """Whether ``[start, end)`` lies wholly in redacted spans, and those spans' types."""
    types, pos = set(), start
    for s, e, kind in spans:  # sorted, not overlapping
        if e <= start or s >= end:
            continue
        types.add(kind)
        if s > pos:
            return False, types
        pos = max(pos, e)
    return pos >= end, types


def touched(spans, start: int, end: int) -> bool:
    return any(s < end and start < e for s, e, _ in spans)


class Tally:
    """Counts of found / typed / total per kind."""

    def __init__(self) -> None:
        self.total: Counter[str] = Counter()
        self.removed: Counter[str] = Counter()
        self.typed: Counter[str] = Counter()

    def add(self, kind: str, removed: bool, typed: bool) -> None:
        self.total[kind] += 1
        self.removed[kind] += removed
        self.typed[kind] += typed

    def as_dict(self) -> dict:
        return {
            kind: {
                "total": self.total[kind],
                "removed": self.removed[kind],
                "typed": self.typed[kind],
                "recall": round(self.removed[kind] / self.total[kind], 4),
                "typed_recall": round(self.typed[kind] / self.total[kind], 4),
            }
            for kind in sorted(self.total)
        }


def allow_list_for(store_items, taxonomy: Path, company: str) -> list[str]:
    from silobridge.taxonomy import gazetteer_names, load_gazetteer

    accounts = sorted({a for a in store_items["account"].dropna() if str(a).strip()})
    return [*gazetteer_names(load_gazetteer(taxonomy)), company, *accounts]


def evaluate_sample(items, truth: dict, redactor, *, limit: int | None, show: bool) -> dict:
    by_key = {(r.source_name, str(r.native_id)): r.text or "" for r in items.itertuples()}
    records = []
    for rec in truth["personal_data"]:
        values = [(k, v) for k, v, where in rec["values"] if where == "text"]
        key = (rec["source"], str(rec["native_id"]))
        if values and key in by_key:
            records.append((key, values))
    records = records[:limit] if limit else records
    # every item is redacted (also those without planted data) for precision and names kept
    keys = [k for k, _ in records]
    planted = set(keys)
    others = [k for k in by_key if k not in planted]
    if limit:
        others = others[: max(0, limit - len(keys))]
    keys += others
    texts = [by_key[k] for k in keys]
    t0 = time.perf_counter()
    redactions = redactor.redact_many(texts)
    seconds = time.perf_counter() - t0
    spans_of = {k: r.spans for k, r in zip(keys, redactions, strict=True)}

    occ, val = Tally(), Tally()
    planted_spans: dict[tuple, list[tuple[int, int]]] = defaultdict(list)
    missed = []
    for key, values in records:
        text, spans = by_key[key], spans_of[key]
        for kind, value in dict.fromkeys(values):
            found = occurrences(text, value)
            planted_spans[key].extend(found)
            results = [coverage(spans, s, e) for s, e in found]
            for (s, e), (removed, types) in zip(found, results, strict=True):
                occ.add(kind, removed, removed and types == {KIND_TYPE[kind]})
                if not removed:
                    missed.append((kind, text, s, e))
            if found:
                all_gone = all(r for r, _ in results)
                val.add(
                    kind, all_gone, all_gone and all(t == {KIND_TYPE[kind]} for _, t in results)
                )

    # words of the sample world's people: every planted name, every employee
    people = {
        w
        for r in truth["personal_data"]
        for k, v, _ in r["values"]
        if k == "name"
        for w in v.split()
    }
    people |= {w for emp in truth["gazetteer"].get("employees", []) for w in emp["name"].split()}
    n_spans, hits, other_people, by_type = 0, 0, 0, Counter()
    false_pos = []
    for key, spans in spans_of.items():
        for s, e, kind in spans:
            n_spans += 1
            by_type[kind] += 1
            words = re.findall(r"[^\W\d_][\w'’-]*", by_key[key][s:e])
            if any(a < e and s < b for a, b in planted_spans.get(key, ())):
                hits += 1
            elif kind == "PERSON" and words and all(w in people for w in words):
                other_people += 1  # a person of the sample, where nothing was listed
            else:
                false_pos.append((kind, by_key[key], s, e))
    fp_types = Counter(k for k, *_ in false_pos)
    fp_words = Counter(text[s:e] for _, text, s, e in false_pos)

    kept = names_kept(truth["gazetteer"], [(by_key[k], spans_of[k]) for k in keys])
    if show:
        print("\nmissed planted values (kind | context):")
        for kind, text, s, e in missed[:60]:
            print(f"  {kind:6} | {_context(text, s, e)}")
        print("\nspans over neither a planted value nor a person of the sample:")
        for kind, text, s, e in false_pos[:80]:
            print(f"  {kind:6} | {_context(text, s, e)}")
        print("\nnames redacted:", kept["redacted_examples"])
    return {
        "items": len(keys),
        "items_with_planted_values": len(records),
        "seconds": round(seconds, 2),
        "texts_per_s": round(len(keys) / seconds, 1),
        "recall_per_occurrence": occ.as_dict(),
        "recall_per_value": val.as_dict(),
        "spans": n_spans,
        "spans_by_type": dict(by_type),
        "spans_on_planted_values": hits,
        "spans_on_unlisted_sample_people": other_people,
        "precision": round(hits / n_spans, 4) if n_spans else None,
        "precision_with_unlisted_people": (
            round((hits + other_people) / n_spans, 4) if n_spans else None
        ),
        "false_positive_spans_by_type": dict(fp_types),
        "most_common_false_positive_count": fp_words.most_common(1)[0][1] if fp_words else 0,
        "names_kept": kept["groups"],
    }


def names_kept(gazetteer: dict, texts_spans) -> dict:
    groups = {
        "company": [gazetteer["company"]["name"]],
        "products": gazetteer["products"],
        "features": gazetteer["features"],
        "competitors": gazetteer["competitors"],
        "accounts": [a["name"] for a in gazetteer["accounts"]],
    }
    group_of = {name.lower(): g for g, names in groups.items() for name in names}
    terms = sorted(group_of, key=len, reverse=True)
    # as a name, not inside an address or a domain ("dana@lumora.example.com")
    pattern = re.compile(
        r"(?<![\w@.\-])(?:" + "|".join(map(re.escape, terms)) + r")(?![\w\-]|[.@]\w)", re.I
    )
    total, kept, redacted = Counter(), Counter(), Counter()
    for text, spans in texts_spans:
        for m in pattern.finditer(text):
            group = group_of[m.group().lower()]
            total[group] += 1
            if touched(spans, *m.span()):
                redacted[m.group()] += 1
            else:
                kept[group] += 1
    out = {
        g: {"total": total[g], "kept": kept[g], "kept_share": round(kept[g] / total[g], 4)}
        for g in groups
        if total[g]
    }
    all_total = sum(total.values())
    out["all"] = {
        "total": all_total,
        "kept": sum(kept.values()),
        "kept_share": round(sum(kept.values()) / all_total, 4) if all_total else None,
    }
    return {"groups": out, "redacted_examples": dict(redacted.most_common(10))}


def evaluate_tricky(path: Path, redactor, *, show: bool) -> dict:
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    redactions = redactor.redact_many([c["text"] for c in cases])
    occ = Tally()
    keep_total = keep_ok = 0
    failures = []
    for n, (case, red) in enumerate(zip(cases, redactions, strict=True), 1):
        text = case["text"]
        for exp in case.get("expected", []):
            kind = TYPE_KIND.get(exp["type"], exp["type"].lower())
            found = occurrences(text, exp["value"])
            if not found:
                raise SystemExit(f"{path}:{n}: expected value not in the text: {exp['value']!r}")
            for s, e in found:
                removed, types = coverage(red.spans, s, e)
                typed = removed and types == {exp["type"]}
                occ.add(kind, removed, typed)
                if not typed:
                    failures.append(f"line {n}: {exp['type']} {exp['value']!r} -> {red.text!r}")
        for name in case.get("keep", []):
            for s, e in occurrences(text, name) or [(-1, -1)]:
                keep_total += 1
                ok = s >= 0 and not touched(red.spans, s, e)
                keep_ok += ok
                if not ok:
                    failures.append(f"line {n}: keep {name!r} -> {red.text!r}")
    if show:
        print("\ntricky-set failures:")
        for f in failures:
            print("  " + f)
    return {
        "cases": len(cases),
        "recall": occ.as_dict(),
        "keep": {"total": keep_total, "kept": keep_ok},
        "failures": len(failures),
    }


def throughput(items, redactor, n: int) -> dict:
    texts = [t for t in items.sort_values("item_id")["text"].fillna("") if t.strip()][:n]
    t0 = time.perf_counter()
    redactor.redact_many(texts)
    redact_s = time.perf_counter() - t0
    nlp = redactor.analyzer_.nlp_engine.get_nlp("en")
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=redactor.batch_size):
        pass
    spacy_s = time.perf_counter() - t0
    return {
        "texts": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1),
        "batch_size": redactor.batch_size,
        "redact_many_s": round(redact_s, 2),
        "texts_per_s": round(len(texts) / redact_s, 1),
        "spacy_pipe_only_s": round(spacy_s, 2),
        "spacy_texts_per_s": round(len(texts) / spacy_s, 1),
        "spacy_share_of_time": round(spacy_s / redact_s, 3),
    }


def evaluate_units(store: Path, items, truth: dict, redactor, *, show: bool) -> dict:
    """What the understand stage stored: planted values still in the units' text, and the
    gated parse (:meth:`Redactor.parse_many`) against parsing every distinct unit text whole."""
    import silobridge
    from silobridge.pipeline.understand.segment import segment

    units = silobridge.open_store(store).units(columns=["item_id", "text"])
    if units.empty:
        return {}
    item_of = {(r.source_name, r.native_id): r.item_id for r in items.itertuples()}
    kept = units.groupby("item_id")["text"].agg("\n".join).to_dict()
    totals: Counter[str] = Counter()
    leaked: Counter[str] = Counter()
    for entry in truth["personal_data"]:
        item_id = item_of.get((entry["source"], entry["native_id"]))
        if item_id is None:
            continue
        text = kept.get(item_id, "")
        for kind, value, where in entry["values"]:
            if where != "text":
                continue
            totals[kind] += 1
            if occurrences(text, value):
                leaked[kind] += 1
                if show:
                    print(f"  unit leak {kind}: {value!r} in {item_id}")
    texts = list(dict.fromkeys(segment(items).units["text"]))
    t0 = time.perf_counter()
    full = redactor.redact_many(texts, gate=False)
    full_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    gated = redactor.redact_many(texts, gate=True)
    gated_s = time.perf_counter() - t0
    return {
        "planted_values": dict(totals),
        "left_in_units": dict(leaked),
        "recall": {k: round(1 - leaked[k] / n, 4) for k, n in totals.items()},
        "distinct_unit_texts": len(texts),
        "gate_differences": sum(a != b for a, b in zip(full, gated, strict=True)),
        "parse_all_s": round(full_s, 2),
        "gated_s": round(gated_s, 2),
        "gated_texts_per_s": round(len(texts) / gated_s, 1),
    }


def _context(text: str, s: int, e: int, width: int = 40) -> str:
    left = text[max(0, s - width) : s].replace("\n", "⏎")
    right = text[e : e + width].replace("\n", "⏎")
    return f"{left}[{text[s:e]}]{right}"


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def print_units(units: dict) -> None:
    if not units:
        print("\nunits: the store has none (run `silobridge understand`)")
        return
    print("\nunits (the understand stage's stored text): planted values left")
    for kind, n in units["planted_values"].items():
        left = units["left_in_units"].get(kind, 0)
        print(f"  {kind:8}{left:>4}/{n:<5} left, recall {_pct(units['recall'][kind])}")
    print(
        f"  gated parse vs parsing all {units['distinct_unit_texts']} distinct unit texts: "
        f"{units['gate_differences']} differences; {units['parse_all_s']}s -> "
        f"{units['gated_s']}s ({units['gated_texts_per_s']} texts/s)"
    )


def print_table(result: dict) -> None:
    sample, tricky = result["sample"], result["tricky"]
    print(f"\nsample: {sample['items']} items, {sample['items_with_planted_values']} with values")
    print(f"{'kind':8}{'occurrences':>12}{'recall':>9}{'typed':>9}{'values':>8}{'recall':>9}")
    per_value = sample["recall_per_value"]
    for kind, row in sample["recall_per_occurrence"].items():
        v = per_value.get(kind, {})
        print(
            f"{kind:8}{row['total']:>12}{_pct(row['recall']):>9}{_pct(row['typed_recall']):>9}"
            f"{v.get('total', 0):>8}{_pct(v.get('recall')):>9}"
        )
    print(
        f"precision: {_pct(sample['precision'])} "
        f"({sample['spans_on_planted_values']}/{sample['spans']} spans on planted values); "
        f"{_pct(sample['precision_with_unlisted_people'])} counting "
        f"{sample['spans_on_unlisted_sample_people']} more spans on names of the sample's people "
        f"where the ground truth lists none (Slack mentions, 'X said')"
    )
    print(f"spans on neither, by type: {sample['false_positive_spans_by_type']}")
    print("names kept:")
    for group, row in sample["names_kept"].items():
        print(f"  {group:12}{row['kept']:>6}/{row['total']:<6}{_pct(row['kept_share']):>8}")
    print(f"\ntricky set: {tricky['cases']} cases, {tricky['failures']} failures")
    for kind, row in tricky["recall"].items():
        print(f"  {kind:8}{row['removed']:>4}/{row['total']:<4} removed, {row['typed']} typed")
    print(f"  keep names: {tricky['keep']['kept']}/{tricky['keep']['total']}")
    tp = result["throughput"]
    print(
        f"\nthroughput: {tp['texts_per_s']} texts/s on {tp['texts']} item texts "
        f"(mean {tp['mean_chars']} chars); spaCy nlp.pipe alone {tp['spacy_texts_per_s']}/s "
        f"= {_pct(tp['spacy_share_of_time'])} of the time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=ROOT / ".silobridge-demo")
    parser.add_argument("--ground-truth", type=Path, default=ROOT / "data/sample/ground_truth.json")
    parser.add_argument("--taxonomy", type=Path, default=ROOT / "data/taxonomy.yaml")
    parser.add_argument("--cases", type=Path, default=ROOT / "tests/fixtures/redaction_cases.jsonl")
    parser.add_argument("--limit", type=int, default=None, help="items of the sample (all)")
    parser.add_argument("--throughput-texts", type=int, default=500)
    parser.add_argument("--out", type=Path, default=HERE / "out" / "redaction.json")
    parser.add_argument("--show-errors", action="store_true", help="print misses and extras")
    args = parser.parse_args()

    import silobridge
    from silobridge.pipeline.understand.redact import Redactor

    if not args.store.exists():
        sys.exit(f"Error: no store at {args.store}; create it with: .venv/bin/silobridge demo")
    items = silobridge.open_store(args.store).items()
    truth = json.loads(args.ground_truth.read_text(encoding="utf-8"))
    allow = allow_list_for(items, args.taxonomy, truth["gazetteer"]["company"]["name"])
    redactor = Redactor(allow_list=allow)
    t0 = time.perf_counter()
    redactor.redact("warm-up: Hi Nadia, call +1 720 555 0102.")
    load_s = time.perf_counter() - t0

    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "store": str(args.store),
        "allow_list_size": len(allow),
        "redactor": {
            "entities": list(redactor.entities),
            "score_threshold": redactor.score_threshold,
            "phone_regions": list(redactor.phone_regions),
            "model": redactor.model,
        },
        "load_s": round(load_s, 2),
        "tricky": evaluate_tricky(args.cases, redactor, show=args.show_errors),
        "sample": evaluate_sample(items, truth, redactor, limit=args.limit, show=args.show_errors),
        "throughput": throughput(items, redactor, args.throughput_texts),
        "units": evaluate_units(args.store, items, truth, redactor, show=args.show_errors),
    }
    print_table(result)
    print_units(result["units"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"\nwritten: {args.out}")


if __name__ == "__main__":
    main()
