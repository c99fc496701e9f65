"""Entity tagger quality on the bundled sample, against the entities the generator planted.

The ground truth is ``data/sample/ground_truth.json``: every item lists the gazetteer entities
the generator wrote into its text (``items[].entities``, see ``data/sample/README.md``). Slack
ground-truth items are messages (``<channel>:<ts>``) while the store holds one record per thread
(``<channel>:<thread_ts>``), so a thread's truth is the union of its messages'. The tagger
(:class:`silobridge.pipeline.understand.entities.EntityTagger` with ``data/taxonomy.yaml`` and the
sample's account names as known organisations) runs over each stored item's ``text``.

Scores are item-level: per item, the set of ``(type, id)`` the tagger found against the set
planted; precision, recall and F1 per type (product, feature, competitor) and micro-averaged over
the three. Also reported: per-id counts, the planted surfaces behind the misses, the tagger's
surfaces behind the false positives, planted surfaces that taxonomy.yaml lacks, and the
``candidate_competitor`` mentions (NER organisations outside the gazetteer), each of the most
frequent classified by what the generator writes: a third-party tool (a real organisation, not a
competitor), an account name the known-orgs filter missed, a person's name, or not an
organisation at all. The generator plants no competitor outside the gazetteer, so every
candidate in the sample is a false alarm as a competitor.

Results are printed and written to benchmarks/out/entities.json. The demo store is created with
``silobridge demo`` when it is missing.

    .venv/bin/python benchmarks/eval_entities.py [--store .silobridge-demo]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SAMPLE = ROOT / "data" / "sample"
TAXONOMY = ROOT / "data" / "taxonomy.yaml"
TYPES = ("product", "feature", "competitor")
TOP = 10

sys.path.insert(0, str(SAMPLE))  # the generator's vocabulary: what it writes as names
import _entities as sample_entities  # noqa: E402
import _world as sample_world  # noqa: E402

Key = tuple[str, str]  # (source name, native id) of a stored record
Ent = tuple[str, str]  # (type, id)


def ensure_store(store: Path) -> None:
    """Create the demo store with ``silobridge demo`` when it is missing."""
    if store.exists():
        return
    cli = Path(sys.executable).parent / "silobridge"
    subprocess.run([str(cli), "demo", "--store", str(store)], check=True, cwd=ROOT)


def truth_by_record(truth: dict[str, Any]) -> dict[Key, list[dict[str, str]]]:
    """Planted entities per stored record; Slack messages are gathered into their thread."""
    records: dict[Key, list[dict[str, str]]] = defaultdict(list)
    for item in truth["items"]:
        native_id = item["native_id"]
        if item["source"] == "slack":
            channel = native_id.split(":", 1)[0]
            native_id = f"{channel}:{item.get('thread_ts', item['ts'])}"
        records[(item["source"], native_id)].extend(item["entities"])
    return records


def scores(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def candidate_kind(text: str, accounts: list[str]) -> str:
    """What a ``candidate_competitor`` text is, by what the generator writes."""
    low = text.lower().strip()
    slots = sample_world.SLOTS
    tools = {v.lower() for key in ("idp", "tool", "browser", "device") for v in slots[key]}
    tools |= {"salesforce", "slack", "excel", "google"}
    if any(low == t or low == t.split()[0] for t in tools):
        return "real org, not a competitor: a third-party tool"
    if any(f" {t} " in f" {low} " for t in tools):
        return "real org, not a competitor: a third-party tool in a wider span"
    words = set(low.replace("'s", "").split())
    for name in accounts:
        parts = set(name.lower().split())
        if low in name.lower() or name.lower() in low or words & (parts - {"co", "group"}):
            return "NER false positive: account name variant"
    people = {n.lower() for n in sample_world.FIRST_NAMES + sample_world.LAST_NAMES}
    if words & people:
        return "NER false positive: person's name"
    return "NER false positive: not an organisation"


def taxonomy_phrases(gazetteer: dict[str, list[dict[str, Any]]]) -> dict[Ent, set[str]]:
    phrases: dict[Ent, set[str]] = {}
    for kind, entries in gazetteer.items():
        for entry in entries:
            names = [entry["name"], *(entry.get("synonyms") or [])]
            phrases[(kind, entry["id"])] = {str(n).lower() for n in names}
    return phrases


def covered(text: str, phrases: set[str]) -> bool:
    """Whether a taxonomy phrase matches ``text`` whole or as whole words inside it."""
    low = f" {text.lower()} "
    return any(f" {p} " in low for p in phrases)


def surface_kind(ent: Ent, text: str) -> str:
    """``template`` when the generator's vocabulary spells it so, else ``typo``."""
    for kind, eid, pattern in sample_entities.LEXICON:
        if (kind, eid) == ent and pattern.fullmatch(text):
            return "template"
    names = {**sample_entities.FEATURE_IDS, **sample_entities.COMPETITOR_IDS}
    return "template" if names.get(text) == ent[1] else "typo"


def evaluate_units(store: Path, planted: dict, items: Any) -> dict[str, Any]:
    """The same item-level scores from what the understand stage stored: each item's set is
    the union of its units' entities (signatures and other dropped boilerplate excluded)."""
    import silobridge

    units = silobridge.open_store(store).units(columns=["item_id", "entities"])
    if units.empty:
        return {}
    item_of = {(r.source_name, r.native_id): r.item_id for r in items.itertuples()}
    found: dict[str, set[Ent]] = defaultdict(set)
    for item_id, ents in zip(units["item_id"], units["entities"], strict=True):
        found[item_id].update((e["type"], e["id"]) for e in ents if e["type"] in TYPES)
    counts = {t: Counter() for t in TYPES}
    for key, ents in planted.items():
        if key not in item_of:
            continue
        gold = {(e["type"], e["id"]) for e in ents}
        pred = found.get(item_of[key], set())
        for ent in gold | pred:
            counts[ent[0]][
                "tp" if ent in gold and ent in pred else "fn" if ent in gold else "fp"
            ] += 1
    per_type = {t: scores(counts[t]["tp"], counts[t]["fp"], counts[t]["fn"]) for t in TYPES}
    micro = scores(*(sum(counts[t][k] for t in TYPES) for k in ("tp", "fp", "fn")))
    return {"per_type": per_type, "micro": micro}


def evaluate(store: Path) -> dict[str, Any]:
    import silobridge
    from silobridge.pipeline.understand.entities import CANDIDATE, EntityTagger
    from silobridge.taxonomy import load_gazetteer

    truth = json.loads((SAMPLE / "ground_truth.json").read_text(encoding="utf-8"))
    planted = truth_by_record(truth)
    items = silobridge.open_store(store).items()
    texts = {(r.source_name, r.native_id): r.text or "" for r in items.itertuples()}
    keys = sorted(set(texts) & set(planted))
    gazetteer = load_gazetteer(TAXONOMY)
    phrases = taxonomy_phrases(gazetteer)
    unknown_ids = sorted(
        {(e["type"], e["id"]) for ents in planted.values() for e in ents} - set(phrases)
    )
    accounts = [a["name"] for a in truth["gazetteer"]["accounts"]]
    tagger = EntityTagger(gazetteer=gazetteer, known_orgs=accounts)
    started = time.perf_counter()
    tagged = tagger.tag([texts[k] for k in keys])
    seconds = time.perf_counter() - started

    counts = {t: Counter() for t in TYPES}
    per_id: dict[Ent, Counter] = defaultdict(Counter)
    missed: dict[Ent, Counter] = defaultdict(Counter)
    wrong: dict[Ent, Counter] = defaultdict(Counter)
    examples: dict[Ent, list[str]] = defaultdict(list)
    candidates: Counter = Counter()
    items_with_candidates = 0
    for key, found in zip(keys, tagged, strict=True):
        gold = {(e["type"], e["id"]) for e in planted[key]}
        pred = {(e.type, e.id) for e in found if e.type in TYPES}
        for ent in gold | pred:
            outcome = "tp" if ent in gold and ent in pred else "fn" if ent in gold else "fp"
            counts[ent[0]][outcome] += 1
            per_id[ent][outcome] += 1
            if outcome == "fn":
                missed[ent].update({e["text"] for e in planted[key] if (e["type"], e["id"]) == ent})
            elif outcome == "fp":
                hits = [e for e in found if (e.type, e.id) == ent]
                wrong[ent].update({e.text for e in hits})
                if len(examples[ent]) < 3:
                    text, e = texts[key], hits[0]
                    snippet = text[max(0, e.start - 40) : e.end + 40].replace("\n", " / ")
                    examples[ent].append(f"{key[0]} {key[1]}: ...{snippet}...")
        cands = [e.text for e in found if e.type == CANDIDATE]
        candidates.update(cands)
        items_with_candidates += bool(cands)

    per_type = {t: scores(counts[t]["tp"], counts[t]["fp"], counts[t]["fn"]) for t in TYPES}
    micro = scores(*(sum(counts[t][k] for t in TYPES) for k in ("tp", "fp", "fn")))
    surfaces: Counter = Counter()  # (type, id, lower-cased text) -> records
    spelt: dict[tuple[str, str, str], Counter] = defaultdict(Counter)
    for ents in planted.values():
        seen = {(e["type"], e["id"], e["text"].lower()) for e in ents}
        surfaces.update(seen)
        for e in ents:
            spelt[(e["type"], e["id"], e["text"].lower())][e["text"]] += 1
    lacking = []
    for (t, i, low), n in surfaces.most_common():
        if covered(low, phrases.get((t, i), set())):
            continue
        text = spelt[(t, i, low)].most_common(1)[0][0]
        lacking.append(
            {"type": t, "id": i, "text": text, "records": n, "kind": surface_kind((t, i), text)}
        )
    return {
        "command": "python benchmarks/eval_entities.py",
        "store": str(store),
        "units": evaluate_units(store, planted, items),
        "records": {
            "evaluated": len(keys),
            "in_store_only": len(set(texts) - set(planted)),
            "in_truth_only": len(set(planted) - set(texts)),
            "with_planted_entities": sum(bool(planted[k]) for k in keys),
        },
        "tagger_seconds": round(seconds, 1),
        "per_type": per_type,
        "micro": micro,
        "per_id": {
            f"{t}:{i}": scores(c["tp"], c["fp"], c["fn"]) for (t, i), c in sorted(per_id.items())
        },
        "false_negative_surfaces": {
            f"{t}:{i}": dict(c.most_common(TOP)) for (t, i), c in sorted(missed.items())
        },
        "false_positive_surfaces": {
            f"{t}:{i}": dict(c.most_common(TOP)) for (t, i), c in sorted(wrong.items())
        },
        "false_positive_examples": {f"{t}:{i}": v for (t, i), v in sorted(examples.items())},
        "truth_ids_missing_from_taxonomy": [f"{t}:{i}" for t, i in unknown_ids],
        "truth_surfaces_missing_from_taxonomy": lacking,
        "candidates": {
            "mentions": sum(candidates.values()),
            "distinct": len(candidates),
            "records_with_candidates": items_with_candidates,
            "top": [
                {"text": text, "mentions": n, "kind": candidate_kind(text, accounts)}
                for text, n in candidates.most_common(TOP)
            ],
        },
    }


def report(result: dict[str, Any]) -> None:
    r = result["records"]
    print(
        f"{r['evaluated']} records ({r['with_planted_entities']} with planted entities), "
        f"tagged in {result['tagger_seconds']} s; store-only {r['in_store_only']}, "
        f"truth-only {r['in_truth_only']}"
    )
    print(f"\n{'type':<12}{'tp':>6}{'fp':>6}{'fn':>6}{'precision':>11}{'recall':>8}{'F1':>8}")
    for name, s in [*result["per_type"].items(), ("micro", result["micro"])]:
        print(
            f"{name:<12}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
            f"{s['precision']:>11.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
        )
    if result["units"]:
        print("\nfrom the stored units (boilerplate dropped), item level:")
        units = result["units"]
        for name, s in [*units["per_type"].items(), ("micro", units["micro"])]:
            print(
                f"{name:<12}{s['tp']:>6}{s['fp']:>6}{s['fn']:>6}"
                f"{s['precision']:>11.3f}{s['recall']:>8.3f}{s['f1']:>8.3f}"
            )
    print("\nper id, most errors first (fp: tagger surfaces; fn: planted surfaces)")
    worst = sorted(result["per_id"].items(), key=lambda kv: -(kv[1]["fp"] + kv[1]["fn"]))
    for name, s in worst[:12]:
        fps = result["false_positive_surfaces"].get(name, {})
        fns = result["false_negative_surfaces"].get(name, {})
        print(f"  {name:<35} tp {s['tp']:>4} fp {s['fp']:>4} fn {s['fn']:>4}")
        if fps:
            print("      fp: " + ", ".join(f"{k!r} {v}" for k, v in list(fps.items())[:5]))
        if fns:
            print("      fn: " + ", ".join(f"{k!r} {v}" for k, v in list(fns.items())[:5]))
    lacking = [s for s in result["truth_surfaces_missing_from_taxonomy"] if s["kind"] == "template"]
    typos = [s for s in result["truth_surfaces_missing_from_taxonomy"] if s["kind"] == "typo"]
    print(
        f"\nplanted surfaces no taxonomy.yaml phrase matches: {len(lacking)} written by the "
        "templates (case ignored)"
    )
    for s in lacking:
        print(f"  {s['id']:<24} {s['text']!r:<28} {s['records']:>4} records")
    print(f"  and {len(typos)} typo variants in {sum(s['records'] for s in typos)} records")
    c = result["candidates"]
    print(
        f"\ncandidate_competitor: {c['mentions']} mentions, {c['distinct']} distinct, "
        f"in {c['records_with_candidates']} records; most frequent:"
    )
    for t in c["top"]:
        print(f"  {t['text']!r:<28} {t['mentions']:>4}  {t['kind']}")
    if result["truth_ids_missing_from_taxonomy"]:
        print(
            f"\nground-truth ids not in taxonomy.yaml: {result['truth_ids_missing_from_taxonomy']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=Path(".silobridge-demo"))
    parser.add_argument("--out", type=Path, default=HERE / "out" / "entities.json")
    args = parser.parse_args(argv)
    store = args.store.resolve()
    ensure_store(store)
    result = evaluate(store)
    report(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
