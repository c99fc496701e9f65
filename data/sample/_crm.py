"""A generic CRM notes CSV export and a review-site JSON Lines export.

Neither has a vendor connector: both are read by the generic ``csv``/``jsonl`` connectors with a
``mapping`` (see ``silobridge.sample.toml``). The CRM's ``Team`` column names the function that
wrote each note ("Sales", "Customer Success", "Marketing").
"""

from __future__ import annotations

import csv
import io
import json

from _model import Bad, Job, SourceResult, rel, write
from _world import Calendar, iso_z

TEAMS = (
    ("Sales", "Sales", 0.4),
    ("Customer Success", "Success", 0.35),
    ("Marketing", "Marketing", 0.25),
)
NOTE_HEADS = {
    "Sales": ("Call recap", "Discovery notes", "Deal update", "Pricing call", "Next steps"),
    "Success": ("QBR notes", "Check-in", "Health check", "Renewal prep", "Escalation"),
    "Marketing": ("Webinar follow-up", "Event booth chat", "Case study interview", "NPS follow-up"),
}
REVIEW_Q = (
    "What do you like best about Lumora?",
    "What do you dislike about Lumora?",
    "What problems is Lumora solving and how is that benefiting you?",
)
INDUSTRIES = (
    "Computer Software",
    "Logistics and Supply Chain",
    "Financial Services",
    "Hospital & Health Care",
    "Retail",
    "Marketing and Advertising",
    "Insurance",
    "Education Management",
)


def write_crm_notes(job: Job) -> SourceResult:
    """``crm/account_notes.csv``: Id, Account, Owner, Team, Created, Note."""
    world, rng = job.world, job.rng
    cal = Calendar(weekend=0.05)
    items = []
    for team, function, share in TEAMS:
        for it in job.plan("crm_notes", function, "note", round(job.count * share), cal):
            it.extra["team"] = team
            items.append(it)
    items.sort(key=lambda it: it.when)
    rows, result = [], SourceResult()
    for k, item in enumerate(items):
        owner = rng.choice(world.staff[item.function])
        cust = rng.choice(item.account.contacts)
        ctx = item.ctx(rng, world, cust, owner)
        ctx.pii.add("name", owner.name, "column:Owner")
        head = rng.choice(NOTE_HEADS[item.function])
        if rng.random() < 0.5:
            lines = [f"{head} with {ctx.pii.add('name', cust.name)} ({cust.title}):"]
            lines += [
                "- " + ctx.typo(s, 0.08) for s in ctx.marks.split(ctx.internal_text(), ". ") if s
            ]
        else:
            lines = [f"{head}: " + ctx.internal_text()]
        if rng.random() < 0.4:
            lines.append(f'Customer quote: "{ctx.theme_sentences(item.themes[0], "customer")[0]}"')
        if rng.random() < 0.12:
            lines.append(f"Direct line: {ctx.pii.add('phone', cust.phone)}")
        note = "\n".join(lines)
        nid = f"N-{204100 + k * 3 + rng.randint(0, 2)}"
        rows.append(
            [
                nid,
                item.account.name,
                owner.name,
                item.extra["team"],
                f"{item.when:%Y-%m-%d %H:%M:%S}",
                note,
            ]
        )
        item.native_id, item.pii, item.text = nid, ctx.pii.found, note
        item.entities = ctx.marks.entities([note])
    path = job.out / "crm" / "account_notes.csv"
    n_short, n_quote = job.bad_count(1), 1
    victims = rng.sample(range(len(rows) - 1), n_short)
    for v in victims:
        rows[v] = rows[v][:4]  # lost its Created and Note cells
        result.bad.append(
            Bad(
                "crm_notes",
                rel(job, path),
                f"note {rows[v][0]}",
                "missing_columns",
                "row with 4 of 6 columns",
                rows[v][0],
                items[v].pii,
            )
        )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Id", "Account", "Owner", "Team", "Created", "Note"])
    w.writerows(rows[: len(rows) - n_quote])
    text = buf.getvalue()
    # The last row opens a quote in its Team cell that never closes: the rest of the file (the
    # row's last three cells) reads as one cell, so the row has 4 cells instead of 6.
    for v in range(len(rows) - n_quote, len(rows)):
        r = rows[v]
        text += f'{r[0]},{r[1]},{r[2]},"{r[3]},{r[4]},{r[5].replace(chr(34), "")}\r\n'
        result.bad.append(
            Bad(
                "crm_notes",
                rel(job, path),
                f"note {r[0]} (last row)",
                "unterminated_quote",
                "the Team cell opens a quote that never closes (4 cells read)",
                r[0],
                items[v].pii,
            )
        )
    write(path, text)
    bad = set(victims) | set(range(len(rows) - n_quote, len(rows)))
    for k, it in enumerate(items):
        if k not in bad:
            it.file = rel(job, path)
            it.extra = {}
            result.items.append(it)
    return result


def write_reviews(job: Job) -> SourceResult:
    """``crm/reviews.jsonl``: one review per line."""
    world, rng = job.world, job.rng
    items = job.plan("reviews", "Marketing", "review", job.count, Calendar(weekend=0.5))
    lines, result = [], SourceResult()
    for k, item in enumerate(items):
        cust = rng.choice(item.account.contacts)
        ctx = item.ctx(rng, world, cust)
        main = item.themes[0]
        positive = main == "praise_positive"
        rating = rng.choice((4.5, 5.0)) if positive else rng.choice((2.0, 2.5, 3.0, 3.5, 4.0))
        like = ctx.theme_sentences(
            "praise_positive", "customer" if rng.random() < 0.5 else "short"
        )[0]
        if not positive:
            dislike = " ".join(
                ctx.typo(s) for s in ctx.theme_sentences(main, "customer", rng.choice((1, 2)))
            )
        else:
            dislike = rng.choice(
                (
                    "Nothing major.",
                    "Honestly not much, maybe the learning curve.",
                    "Some reports could be faster.",
                )
            )
        dislike = " ".join(
            [dislike, *(ctx.theme_sentences(t, "short")[0] for t in item.themes[1:])]
        )
        solves = ctx.fill(
            rng.choice(
                (
                    "We use it to {benefit}.",
                    "It helps us {benefit}.",
                    "Mainly to {benefit}, which used to take hours.",
                )
            )
        )
        asked = [ctx.fill(q) for q in REVIEW_Q]  # no slots: marks their "Lumora"
        body = "\n\n".join(
            [f"{asked[0]}\n{like}", f"{asked[1]}\n{dislike}", f"{asked[2]}\n{solves}"]
        )
        title = ctx.theme_sentences(main, "short")[0].rstrip(".!")
        title = f"\u201c{title}\u201d" if rng.random() < 0.5 else title
        named = rng.random() < 0.3
        rec = {
            "id": f"rv_{88120 + k * 7 + rng.randint(0, 6)}",
            "reviewer_name": ctx.pii.add(
                "name", f"{cust.first} {cust.last[0]}.", "field:reviewer_name"
            )
            if named
            else "Verified User",
            "reviewer_title": cust.title,
            "reviewer_company": item.account.name if rng.random() < 0.7 else None,
            "company_size": {
                "SMB": "Small-Business (50 or fewer emp.)",
                "Mid-Market": "Mid-Market (51-1000 emp.)",
                "Enterprise": "Enterprise (> 1000 emp.)",
            }[item.account.size],
            "industry": rng.choice(INDUSTRIES),
            "rating": rating,
            "title": title,
            "body": body,
            "published_at": iso_z(item.when),
            "source": "review_site",
        }
        item.native_id, item.pii, item.text = rec["id"], ctx.pii.found, body
        item.entities = ctx.marks.entities([body])
        item.account_field = rec["reviewer_company"] is not None
        lines.append(json.dumps(rec, ensure_ascii=False))
    path = job.out / "crm" / "reviews.jsonl"
    victims = rng.sample(range(len(lines)), job.bad_count(1) + job.bad_count(1))
    for n, v in enumerate(victims):
        if n < job.bad_count(1):
            lines[v] = lines[v][: len(lines[v]) // 2]  # cut mid-line
            result.bad.append(
                Bad(
                    "reviews",
                    rel(job, path),
                    f"line {v + 1}",
                    "invalid_json",
                    "a line cut in half, not JSON",
                    items[v].native_id,
                    items[v].pii,
                )
            )
        else:
            rec = json.loads(lines[v])
            del rec["body"]
            lines[v] = json.dumps(rec, ensure_ascii=False)
            result.bad.append(
                Bad(
                    "reviews",
                    rel(job, path),
                    f"line {v + 1}",
                    "missing_text",
                    "review without a 'body'",
                    rec["id"],
                    [],
                )
            )
    write(path, "\n".join(lines) + "\n")
    bad = set(victims)
    for k, it in enumerate(items):
        if k not in bad:
            it.file = rel(job, path)
            result.items.append(it)
    return result
