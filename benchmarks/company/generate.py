"""Generate a realistic B2B company's feedback exports from real labelled customer texts.

Every customer text is a real labelled text (``--texts reviews``: app reviews of Maalej et al.;
``--texts tickets``: Endava IT helpdesk tickets; see ``_texts.py``), its gold theme the data set's
label. Around them the generator writes what real exports carry: greetings, signatures,
auto-replies and agent replies in tickets, bots and small talk in chats and calls, staff relaying
customers in Slack in many ways, office chatter, other languages, duplicates and a changed
record, personal data. Formats (vendor export shapes silobridge's connectors read): Zendesk
incremental-export pages, Intercom ``conversation.list``, Gong calls + transcripts, a Slack
export folder, a SurveyMonkey CSV and a CRM notes CSV.

Planted: blind spots (a theme 70% heard by one function), shared themes (spread evenly) and one
spike (a theme whose weekly volume jumps x4 in one week), over 12 weeks. Everything is written to
``truth.json``: one entry per item with its passages (customer voice or not) and gold theme.

    .venv/bin/python benchmarks/company/generate.py --seed 1 --texts reviews --out /tmp/co1
    .venv/bin/python benchmarks/company/generate.py --texts tickets --items 1000 --no-taxonomy

Same seed and arguments give byte-identical output.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (HERE, ROOT / "data" / "sample"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _channels import write_crm, write_slack, write_surveymonkey  # noqa: E402
from _company import (  # noqa: E402
    FUNCTIONS,
    SM_ELSE,
    SM_IMPROVE,
    SPIKE_FACTOR,
    SPIKE_WEEK,
    START,
    WEEKS,
    Company,
    Planned,
    _week,
    plan,
)
from _conversations import write_gong, write_intercom, write_zendesk  # noqa: E402
from _model import write  # noqa: E402  (the bundled sample's writers)
from _texts import TEXT_SETS, load, taxonomy_yaml  # noqa: E402

CONFIG = """# silobridge configuration of a generated company (benchmarks/company/generate.py).
[store]
path = ".silobridge"
{taxonomy}
[embed]
model = "all-MiniLM-L6-v2"

[sources.zendesk]
connector = "zendesk"
path = "zendesk"
function = "Support"

[sources.intercom]
connector = "intercom"
path = "intercom"
function = "Success"

[sources.gong]
connector = "gong"
path = "gong"
function = "Sales"

[sources.slack]
connector = "slack"
path = "slack"
function_by_channel = {{ "support-*" = "Support", "cs-*" = "Success", "sales-*" = "Sales", \
"product-*" = "Product", "marketing" = "Marketing" }}

[sources.surveymonkey]
connector = "surveymonkey"
path = "surveys"
function = "Product"
account_column = "Custom Data 1"
text_columns = ["{improve}", "{other}"]

[sources.crm_notes]
connector = "csv"
path = "crm/account_notes.csv"
channel = "note"
mapping = {{ native_id = "Id", text = "Note", created_at = "Created", account = "Account", \
function = "Team" }}
"""
OUTPUTS = (
    "zendesk",
    "intercom",
    "gong",
    "slack",
    "surveys",
    "crm",
    "taxonomy.yaml",
    "silobridge.toml",
    "truth.json",
)


def generate(
    out: Path, *, seed: int = 1, texts: str = "reviews", items: int = 1000, taxonomy: bool = True
) -> dict[str, Any]:
    """Write one company into ``out`` and return its truth.

    Args:
        out: Output folder; the generated files in it are replaced (a store folder is kept).
        seed: Seed of every random stream.
        texts: Which labelled texts: ``reviews`` or ``tickets``.
        items: Number of customer texts (the labelled items); noise items come on top.
        taxonomy: Write ``taxonomy.yaml`` and name it in the config; else run without one.
    """
    text_set = TEXT_SETS[texts]
    out.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    halves = load(texts)
    company = Company(seed, text_set, out)
    planned = plan(company, halves["pool"], items)
    by_source: dict[str, list[Planned]] = {}
    for p in planned:
        key = "slack" if p.source.startswith("slack:") else p.source
        by_source.setdefault(key, []).append(p)
    write_zendesk(company, by_source.get("zendesk", []))
    write_intercom(company, by_source.get("intercom", []))
    write_gong(company, by_source.get("gong", []))
    write_slack(company, by_source.get("slack", []), max(4, round(0.35 * items)))
    write_surveymonkey(company, by_source.get("surveymonkey", []), max(2, round(0.03 * items)))
    write_crm(company, by_source.get("crm", []), max(2, round(0.04 * items)))
    tax_line = ""
    if taxonomy:
        write(out / "taxonomy.yaml", taxonomy_yaml(text_set, halves["train"]))
        tax_line = '\n[taxonomy]\npath = "taxonomy.yaml"\n'
    write(
        out / "silobridge.toml",
        CONFIG.format(taxonomy=tax_line, improve=SM_IMPROVE, other=SM_ELSE),
    )
    truth = _truth(company, planned, items, taxonomy)
    write(out / "truth.json", json.dumps(truth, ensure_ascii=False, indent=1) + "\n")
    return truth


def _truth(company: Company, planned: list[Planned], items: int, taxonomy: bool) -> dict[str, Any]:
    """The JSON-ready truth: planted structure, counts, personal data and every item."""
    ts = company.ts
    entries = sorted(company.entries, key=lambda e: (e.source, e.native_id))
    customer = [e for e in entries if e.theme]
    by_fn: dict[str, dict[str, int]] = {f: {} for f in FUNCTIONS}
    for e in customer:
        if e.function:
            theme = e.theme or ""
            by_fn[e.function][theme] = by_fn[e.function].get(theme, 0) + 1
    spike_weekly: dict[str, int] = {}
    for w in range(WEEKS):
        spike_weekly[(START + timedelta(weeks=w)).date().isoformat()] = 0
    for e in customer:
        if e.theme == ts.spike:
            spike_weekly[_week(e.created_at)] += 1
    blind = []
    for theme, function in ts.blind_spots:
        total = sum(by_fn[f].get(theme, 0) for f in FUNCTIONS)
        blind.append(
            {
                "theme": theme,
                "function": function,
                "share_of_theme_in_function": round(
                    by_fn[function].get(theme, 0) / max(total, 1), 3
                ),
            }
        )
    kinds: dict[str, int] = {}
    for e in entries:
        for p in e.passages:
            kinds[p.kind] = kinds.get(p.kind, 0) + 1
    return {
        "generator": {
            "command": f"python benchmarks/company/generate.py --seed {company.seed} --texts "
            f"{ts.key} --items {items}" + ("" if taxonomy else " --no-taxonomy"),
            "seed": company.seed,
            "texts": ts.key,
            "dataset": ts.dataset,
            "items": items,
            "taxonomy": taxonomy,
            "period": {"start": START.date().isoformat(), "weeks": WEEKS},
        },
        "company": ts.company,
        "themes": [{"id": t.id, "label": t.label, "name": t.name} for t in ts.themes],
        "functions": list(FUNCTIONS),
        "blind_spots": blind,
        "shared_themes": [t.id for t in ts.themes if t.id not in dict(ts.blind_spots)],
        "spike": {
            "theme": ts.spike,
            "week": (START + timedelta(weeks=SPIKE_WEEK)).date().isoformat(),
            "factor": SPIKE_FACTOR,
            "weekly_counts": spike_weekly,
        },
        "counts": {
            "entries": len(entries),
            "customer_items": len(customer),
            "passages_by_kind": dict(sorted(kinds.items())),
            "items_by_function_theme": by_fn,
        },
        "personal_data": sorted(
            company.pii, key=lambda x: (x["source"], x["native_id"], x["type"], x["value"])
        ),
        "items": [e.truth() for e in entries],
    }


def main(argv: list[str] | None = None) -> None:
    """Command line: generate one company."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--texts", choices=sorted(TEXT_SETS), default="reviews")
    parser.add_argument("--items", type=int, default=1000, help="customer texts (labelled)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--no-taxonomy", action="store_true", help="run without a taxonomy")
    args = parser.parse_args(argv)
    truth = generate(
        args.out, seed=args.seed, texts=args.texts, items=args.items, taxonomy=not args.no_taxonomy
    )
    c = truth["counts"]
    print(f"{args.out}: {c['entries']} items ({c['customer_items']} with a customer text)")


if __name__ == "__main__":
    main()
