"""Zendesk tickets (Support) and Intercom conversations (Success), in their API export shapes.

Zendesk: two cursor-based incremental export pages (formats.md §1, [ZD-INC]) with the users and
organizations side-loads, and each ticket's comments embedded as ``comments`` (the shape of
``/tickets/{id}/comments`` [ZD-COM]); the description is the first comment [WORKATO].
Intercom: a ``conversation.list`` (formats.md §2, [IC-OAS]) whose conversations carry their
``conversation_parts`` as ``GET /conversations/{id}`` returns them; times are epoch seconds.
"""

from __future__ import annotations

import html
from datetime import timedelta

from _model import Bad, Item, Job, SourceResult, alnum, dump, hexid, rel, write
from _world import (
    AUTO_REPLIES,
    EMOJI,
    FILLERS,
    TEST_CARDS,
    TEST_IBANS,
    Calendar,
    Ctx,
    Person,
    email_date,
    epoch,
    iso_z,
)

ZD = "https://lumora.zendesk.com/api/v2"
SUPPORT_EMAIL = "support@lumora.example.com"
CLOSERS = (
    "Glad that's sorted, I'll mark this ticket as solved.",
    "Thanks for confirming, closing this one out. Feel free to reply if anything comes back.",
    "Great news! I'll close the ticket, just reply here to reopen it.",
    "Thanks for your patience on this one, {contact}.",
    "Happy to help, have a good rest of your week!",
    "Perfect. I'll set this to solved for now.",
)
STILL_BROKEN = (
    "Unfortunately it's still happening on our side.",
    "We tried that but no luck.",
    "That didn't fix it, same error as before.",
    "It worked for a day and now it's back.",
    "Thanks, but this is still a problem for us.",
)
BOT_GREETINGS = (
    "Thanks for reaching out 👋 The team typically replies in under 2 hours.",
    "Hi there! A teammate will be with you shortly. In the meantime, our "
    '<a href="https://help.lumora.example.com">Help Center</a> has answers to common questions.',
    "Got it! We've passed your message to the Customer Success team.",
    "Thanks! We'll get back to you here and by email.",
)


def _html(body: str) -> str:
    """Zendesk-style HTML for a plain comment body: paragraphs, line breaks, quoted replies."""
    out, quote = [], []
    for para in body.split("\n\n"):
        lines = para.split("\n")
        if all(line.startswith(">") for line in lines):
            quote.append("<br>".join(html.escape(line[1:].strip(), quote=False) for line in lines))
            continue
        out.append("<p>" + "<br>".join(html.escape(line, quote=False) for line in lines) + "</p>")
    text = '<div class="zd-comment" dir="auto">' + "".join(out) + "</div>"
    if quote:
        text += '<div class="quotedReply"><blockquote>' + "<br>".join(quote) + "</blockquote></div>"
    return text


def _quote(body: str, who: Person, when_text: str) -> str:
    head = f"On {when_text} {who.name} <{who.email}> wrote:"
    return head + "\n\n" + "\n".join("> " + line if line else ">" for line in body.split("\n"))


def write_zendesk(job: Job) -> SourceResult:
    """``zendesk/tickets-1.json`` and ``tickets-2.json``."""
    world, rng = job.world, job.rng
    cal = Calendar(weekend=0.25, week_weights={"2026-W38": 1.3})
    items = job.plan("zendesk", "Support", "ticket", job.count, cal)
    job.leak(items)
    agents = world.staff["Support"]
    for k, a in enumerate(agents):
        a.ids["zendesk"] = str(361000000000 + 1117 * k)
    users: dict[int, dict] = {}
    orgs: dict[int, dict] = {}
    result = SourceResult()
    cards = {
        i: TEST_CARDS[n % 3]
        for n, i in enumerate(
            [i for i, it in enumerate(items) if it.themes[0] == "billing_invoice_issues"][
                : job.bad_count(3)
            ]
        )
    }
    ibans = {
        i: TEST_IBANS[n % 2]
        for n, i in enumerate(
            [i for i, it in enumerate(items) if it.themes[0] == "billing_invoice_issues"][
                -job.bad_count(2) :
            ]
        )
    }
    tickets = []
    tid, cid = 18240, 40110000000
    for i, item in enumerate(items):
        tid += rng.choice((1, 1, 1, 2, 3))
        acct = item.account
        cust = rng.choice(acct.contacts)
        agent = rng.choice(agents)
        ctx = item.ctx(rng, world, cust, agent)
        org_id = acct.ids.setdefault(
            "zendesk", str(360020000000 + 7919 * world.accounts.index(acct))
        )
        orgs[int(org_id)] = _org(acct, org_id)
        uid = cust.ids.setdefault("zendesk", str(367000000000 + rng.randint(1, 899999) * 13))
        users[int(uid)] = _user(cust, uid, "end-user", org_id)
        users[int(agent.ids["zendesk"])] = _user(agent, agent.ids["zendesk"], "agent", None)
        channel = rng.choices(("email", "web", "api"), (0.6, 0.32, 0.08))[0]
        # 1. the customer's first message
        paras = ctx.customer_body()
        if i in cards:
            paras.insert(
                1,
                f"The card we used is {ctx.pii.add('card', cards[i])}, exp 09/28, "
                "in case you need it to find the charge.",
            )
        if i in ibans:
            paras.insert(
                1,
                f"Please refund to our bank account instead, IBAN {ctx.pii.add('iban', ibans[i])}.",
            )
        greet = ctx.greeting() if channel == "email" or rng.random() < 0.5 else ""
        sig = ctx.signature(cust, full=channel == "email")
        first = "\n\n".join(([greet] if greet else []) + paras + [sig])
        item.text = first
        t = item.when
        comments = [_comment(rng, cid, cust, first, True, t, channel)]
        # 2. the agent's reply, then maybe an auto-reply, a note, a follow-up, a close
        last_agent_text, last_agent_time = None, t
        if rng.random() < 0.93:
            t += timedelta(minutes=rng.randint(12, 1200))
            reply = [
                ctx.greeting(cust.first, agent=True),
                ctx.theme_sentences(item.themes[0], "reply")[0],
            ]
            if len(item.themes) > 1 and rng.random() < 0.5:
                reply.append(ctx.theme_sentences(item.themes[1], "reply")[0])
            reply.append(ctx.signature(agent, full=False) + "\nLumora Support")
            last_agent_text, last_agent_time = "\n\n".join(reply), t
            cid += rng.randint(3, 40)
            comments.append(_comment(rng, cid, agent, last_agent_text, True, t, "web"))
            if rng.random() < 0.05:
                other = rng.choice([c for c in acct.contacts if c is not cust] or [cust])
                back = t + timedelta(days=rng.randint(3, 12))
                template = rng.choice(AUTO_REPLIES)
                auto = template.format(
                    date=f"{back:%A %-d %B}", other=f"{other.name} ({other.email})"
                )
                if "{other}" in template:
                    ctx.pii.person(other, email=True)
                cid += rng.randint(3, 40)
                comments.append(
                    _comment(rng, cid, cust, auto, True, t + timedelta(minutes=1), "email")
                )
        if rng.random() < 0.3:
            t += timedelta(minutes=rng.randint(5, 300))
            note = ctx.internal_text()
            if rng.random() < 0.5:
                note = f"Escalated to engineering as LUM-{rng.randint(1000, 9999)}. " + note
            cid += rng.randint(3, 40)
            noter = rng.choice(agents)
            comments.append(_comment(rng, cid, noter, note, False, t, "web"))
            users[int(noter.ids["zendesk"])] = _user(noter, noter.ids["zendesk"], "agent", None)
        if last_agent_text and rng.random() < 0.5:
            t += timedelta(minutes=rng.randint(20, 2800))
            if rng.random() < 0.35:
                text = rng.choice(FILLERS)
            else:
                text = "\n\n".join(
                    [
                        ctx.greeting(agent.first),
                        ctx.typo(
                            rng.choice(STILL_BROKEN)
                            + " "
                            + ctx.theme_sentences(item.themes[0], "detail")[0]
                        ),
                        ctx.signature(cust, full=False),
                    ]
                )
            if channel == "email" and rng.random() < 0.7:
                ctx.pii.person(agent, email=True)
                text += "\n\n" + _quote(last_agent_text, agent, email_date(last_agent_time))
            cid += rng.randint(3, 40)
            comments.append(_comment(rng, cid, cust, text, True, t, channel))
            if rng.random() < 0.6:
                t += timedelta(minutes=rng.randint(10, 600))
                cid += rng.randint(3, 40)
                close = ctx.fill(rng.choice(CLOSERS)) + "\n\n" + ctx.signature(agent, full=False)
                comments.append(_comment(rng, cid, agent, close, True, t, "web"))
        cid += rng.randint(50, 400)
        item.native_id, item.pii = str(tid), ctx.pii.found
        item.entities = ctx.marks.entities([c["body"] for c in comments])
        tickets.append(_ticket(rng, item, ctx, tid, cust, agent, org_id, uid, channel, comments, t))
    # Bad records: a ticket without an id, a ticket whose created_at is not a date.
    victims = rng.sample(range(len(tickets)), job.bad_count(3) + job.bad_count(2))
    bad_at = {}
    for n, v in enumerate(victims):
        tk = tickets[v]
        if n < job.bad_count(3):
            del tk["id"], tk["url"]
            bad_at[v] = ("missing_id", "ticket without an 'id' field", None)
        else:
            tk["created_at"] = "not a date"
            bad_at[v] = (
                "bad_timestamp",
                "created_at is the string 'not a date'",
                str(items[v].native_id),
            )
    order = sorted(
        range(len(tickets)), key=lambda k: (tickets[k]["updated_at"], items[k].native_id)
    )
    half = (len(order) + 1) // 2
    for page, chunk in enumerate((order[:half], order[half:]), start=1):
        path = job.out / "zendesk" / f"tickets-{page}.json"
        for pos, k in enumerate(chunk):
            if k in bad_at:
                kind, desc, nid = bad_at[k]
                loc = (
                    f"ticket {nid}"
                    if nid
                    else f"tickets[{pos}] (subject {tickets[k]['subject']!r})"
                )
                result.bad.append(
                    Bad("zendesk", rel(job, path), loc, kind, desc, nid, items[k].pii)
                )
            else:
                items[k].file = rel(job, path)
                result.items.append(items[k])
        page_users = sorted(
            {c["author_id"] for k in chunk for c in tickets[k]["comments"]}
            | {tickets[k]["requester_id"] for k in chunk}
        )
        cursor = alnum(rng, 40)
        doc = {
            "tickets": [tickets[k] for k in chunk],
            "users": [users[u] for u in page_users],
            "organizations": [
                orgs[o] for o in sorted({tickets[k]["organization_id"] for k in chunk})
            ],
            "after_url": f"{ZD}/incremental/tickets/cursor.json?cursor={cursor}",
            "after_cursor": cursor,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": page == 2,
            "count": len(chunk),
        }
        write(path, dump(doc))
    return result


def _comment(rng, cid: int, author: Person, body: str, public: bool, t, channel: str) -> dict:
    return {
        "id": cid,
        "type": "Comment",
        "author_id": int(author.ids["zendesk"]),
        "body": body,
        "html_body": _html(body),
        "plain_body": body.replace("\n\n", "\n"),
        "public": public,
        "attachments": [],
        "audit_id": cid - rng.randint(1, 9),
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "metadata": {
            "system": {"ip_address": f"198.51.100.{rng.randint(2, 250)}"}
            if channel == "web" and "zendesk" in author.ids and author.function is None
            else {},
            "custom": {},
        },
        "created_at": iso_z(t),
    }


def _ticket(
    rng,
    item: Item,
    ctx: Ctx,
    tid: int,
    cust: Person,
    agent: Person,
    org_id: str,
    uid: str,
    channel: str,
    comments: list[dict],
    last,
) -> dict:
    theme = item.themes[0]
    subject = (
        ctx.theme_sentences(theme, "subjects")[0]
        if not ctx.spike or theme != "csv_export_failures"
        else rng.choice(
            (
                "CSV export broken after 4.2",
                "CSV export fails since update",
                "Export to CSV not working (4.2)",
            )
        )
    )
    if channel == "email" and rng.random() < 0.15:
        subject = rng.choice(("Re: ", "Fwd: ", "RE: ")) + subject
    late = item.when.month == 10 and item.when.day > 24
    status = (
        rng.choice(("open", "pending", "new"))
        if late
        else rng.choices(("solved", "closed", "open", "hold"), (6, 3, 1, 0.3))[0]
    )
    tags = sorted(
        set(ctx.rng.sample(sorted(_tags(item)), min(2, len(_tags(item)))))
        | {item.account.plan.lower()}
    )
    fields = [
        {"id": 360001122334, "value": theme.split("_")[0]},
        {"id": 360001122335, "value": rng.choice((None, "p2", "p3", "p1"))},
        {"id": 360001122336, "value": [item.account.plan.lower()]},
        {"id": 360001122337, "value": rng.random() < 0.2},
    ]
    via = {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}}
    if channel == "email":
        via["source"] = {
            "from": {"address": cust.email, "name": cust.name},
            "to": {"address": SUPPORT_EMAIL, "name": "Lumora Support"},
            "rel": None,
        }
    updated = max(last, item.when) + timedelta(minutes=rng.randint(1, 30))
    return {
        "url": f"{ZD}/tickets/{tid}.json",
        "id": tid,
        "external_id": None,
        "via": via,
        "created_at": iso_z(item.when),
        "updated_at": iso_z(updated),
        "generated_timestamp": epoch(updated),
        "type": rng.choice(("incident", "question", "problem", None)),
        "subject": subject,
        "raw_subject": subject,
        "description": comments[0]["body"],
        "priority": rng.choice(("low", "normal", "normal", "high", "urgent", None)),
        "status": status,
        "recipient": SUPPORT_EMAIL if channel == "email" else None,
        "requester_id": int(uid),
        "submitter_id": int(uid),
        "assignee_id": int(agent.ids["zendesk"]),
        "organization_id": int(org_id),
        "group_id": 360004455667,
        "collaborator_ids": [],
        "follower_ids": [],
        "email_cc_ids": [],
        "problem_id": None,
        "has_incidents": False,
        "is_public": True,
        "due_at": None,
        "tags": tags,
        "custom_fields": fields,
        "satisfaction_rating": {"score": rng.choice(("good", "good", "bad", "offered"))}
        if status in ("solved", "closed")
        else {"score": "unoffered"},
        "followup_ids": [],
        "ticket_form_id": 360000987654,
        "brand_id": 360000123456,
        "allow_channelback": False,
        "allow_attachments": True,
        "comments": comments,
    }


def _tags(item: Item) -> set[str]:
    from _phrases import THEME_BY_ID

    return {tag for th in item.themes for tag in THEME_BY_ID[th].tags}


def _user(p: Person, uid: str, role: str, org_id: str | None) -> dict:
    return {
        "id": int(uid),
        "url": f"{ZD}/users/{uid}.json",
        "name": p.name,
        "email": p.email,
        "phone": p.phone if role == "end-user" else None,
        "role": role,
        "organization_id": int(org_id) if org_id else None,
        "time_zone": "Eastern Time (US & Canada)"
        if "+1" in p.phone or p.phone.startswith("555")
        else "London",
        "locale": "en-US",
        "verified": True,
        "active": True,
        "suspended": False,
        "tags": [],
        "user_fields": {"title": p.title},
        "created_at": "2025-11-04T09:12:44Z" if role != "end-user" else "2026-01-15T16:20:05Z",
    }


def _org(acct, org_id: str) -> dict:
    return {
        "id": int(org_id),
        "url": f"{ZD}/organizations/{org_id}.json",
        "name": acct.name,
        "domain_names": [acct.domain],
        "details": f"{acct.size}, {acct.employees} employees",
        "tags": [acct.plan.lower(), acct.size.lower().replace("-", "_")],
        "organization_fields": {"plan": acct.plan, "region": acct.region},
        "created_at": "2025-06-02T12:00:00Z",
        "updated_at": "2026-07-30T08:15:00Z",
    }


def write_intercom(job: Job) -> SourceResult:
    """``intercom/conversations.json``: the customer success team's chat."""
    world, rng = job.world, job.rng
    items = job.plan(
        "intercom",
        "Success",
        "chat",
        job.count,
        Calendar(weekend=0.15, week_weights={"2026-W38": 1.2}),
    )
    job.leak(items)
    admins = world.staff["Success"]
    for k, a in enumerate(admins):
        a.ids["intercom"] = str(5106000 + 347 * k)
    bot = {
        "type": "bot",
        "id": "6113285",
        "name": "Operator",
        "email": "operator+lm4x2k9@intercom.io",
    }
    result, convs = SourceResult(), []
    conv_id = 215470000000
    for item in items:
        conv_id += rng.randint(1, 9)
        acct = item.account
        cust = rng.choice(acct.contacts)
        admin = rng.choice(admins)
        ctx = item.ctx(rng, world, cust, admin)
        cust.ids.setdefault("intercom", hexid(rng, 24))
        lead = rng.random() < 0.12
        author = {
            "type": "lead" if lead else "user",
            "id": cust.ids["intercom"],
            "name": None if lead else cust.name,
            "email": cust.email,
        }
        paras = ctx.customer_body(long=rng.random() < 0.5)
        if rng.random() < 0.6:
            paras.insert(
                0, rng.choice(("hi!", "Hey there,", "Hello 👋", "hi team", "Good morning!"))
            )
        item.text = "\n".join(paras)
        said = list(paras)  # the plain text of every part, for the entities
        t = item.when
        parts: list[dict] = []
        part_id = conv_id * 10

        def part(kind, who, body, when, assigned=None):
            nonlocal part_id
            part_id += rng.randint(1, 50)
            return {
                "type": "conversation_part",
                "id": str(part_id),
                "part_type": kind,
                "body": body,
                "created_at": epoch(when),
                "updated_at": epoch(when),
                "notified_at": epoch(when),
                "assigned_to": assigned,
                "author": who,
                "attachments": [],
                "external_id": None,
                "redacted": False,
            }

        adm = {
            "type": "admin",
            "id": admin.ids["intercom"],
            "name": admin.name,
            "email": admin.email,
        }
        if rng.random() < 0.5:
            parts.append(
                part(
                    "comment",
                    bot,
                    "<p>" + rng.choice(BOT_GREETINGS) + "</p>",
                    t + timedelta(seconds=4),
                )
            )
        parts.append(
            part(
                rng.choice(("assignment", "default_assignment")),
                bot,
                None,
                t + timedelta(seconds=9),
                {"type": "admin", "id": admin.ids["intercom"]},
            )
        )
        t += timedelta(minutes=rng.randint(2, 240))
        reply = [
            ctx.greeting(cust.first, agent=True),
            " ".join(ctx.theme_sentences(item.themes[0], "reply")),
        ]
        said += reply
        parts.append(
            part("comment", adm, "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in reply), t)
        )
        if rng.random() < 0.6:
            t += timedelta(minutes=rng.randint(1, 90))
            text = (
                rng.choice(FILLERS)
                if rng.random() < 0.4
                else ctx.typo(" ".join(ctx.theme_sentences(item.themes[-1], "detail")), 0.2)
            )
            parts.append(part("comment", author, f"<p>{html.escape(text, quote=False)}</p>", t))
            said.append(text)
        if rng.random() < 0.25:
            t += timedelta(minutes=rng.randint(1, 60))
            note = ctx.internal_text()
            said.append(note)
            parts.append(part("note", adm, f"<p>{html.escape(note, quote=False)}</p>", t))
        closed = rng.random() < 0.8 and not (item.when.month == 10 and item.when.day > 27)
        if closed:
            t += timedelta(minutes=rng.randint(1, 30))
            if rng.random() < 0.5:
                bye = rng.choice(
                    (
                        "Anything else I can help with?",
                        "Let me know if that helps!",
                        "Closing this for now, just reply to reopen.",
                        "Glad we got there!",
                    )
                )
                bye += " " + rng.choice(EMOJI) if rng.random() < 0.3 else ""
                parts.append(part("comment", adm, f"<p>{bye}</p>", t))
            parts.append(part("close", adm, None, t + timedelta(seconds=30)))
        rating = None
        if closed and rng.random() < 0.15:
            rating = {
                "rating": rng.choice((3, 4, 5, 5, 2)),
                "remark": rng.choice(("", "Quick and helpful", "Thanks!", "")),
                "created_at": epoch(t + timedelta(hours=1)),
                "contact": {"type": "contact", "id": cust.ids["intercom"]},
                "teammate": {"type": "admin", "id": admin.ids["intercom"]},
            }
        item.native_id, item.pii = str(conv_id), ctx.pii.found
        item.entities = ctx.marks.entities(said)
        convs.append(
            {
                "type": "conversation",
                "id": str(conv_id),
                "title": None,
                "created_at": epoch(item.when),
                "updated_at": epoch(t),
                "waiting_since": None,
                "snoozed_until": None,
                "open": not closed,
                "state": "closed" if closed else "open",
                "read": True,
                "priority": "not_priority",
                "admin_assignee_id": int(admin.ids["intercom"]),
                "team_assignee_id": "6450118",
                "tags": {
                    "type": "tag.list",
                    "tags": [
                        {"type": "tag", "id": str(80000 + len(tg)), "name": tg}
                        for tg in sorted(_tags(item))[:2]
                    ],
                },
                "conversation_rating": rating,
                "source": {
                    "type": "conversation",
                    "id": str(part_id + 7),
                    "delivered_as": "customer_initiated",
                    "subject": "",
                    "body": "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paras),
                    "author": author,
                    "attachments": [],
                    "url": None,
                    "redacted": False,
                },
                "contacts": {
                    "type": "contact.list",
                    "contacts": [
                        {"type": "contact", "id": cust.ids["intercom"], "external_id": None}
                    ],
                },
                "teammates": {
                    "type": "admin.list",
                    "admins": [{"type": "admin", "id": admin.ids["intercom"]}],
                },
                "custom_attributes": {"Company": acct.name, "Plan": acct.plan},
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": parts,
                    "total_count": len(parts),
                },
            }
        )
    path = job.out / "intercom" / "conversations.json"
    victims = rng.sample(range(len(convs)), job.bad_count(2) + job.bad_count(1))
    for n, v in enumerate(victims):
        if n < job.bad_count(2):
            convs[v]["created_at"] = rng.choice(("yesterday", "abcdefgh", "unknown"))
            result.bad.append(
                Bad(
                    "intercom",
                    rel(job, path),
                    f"conversation {convs[v]['id']}",
                    "bad_timestamp",
                    "created_at is a string of letters",
                    convs[v]["id"],
                    items[v].pii,
                )
            )
        else:
            del convs[v]["id"]
            result.bad.append(
                Bad(
                    "intercom",
                    rel(job, path),
                    f"conversations[{v}]",
                    "missing_id",
                    "conversation without an 'id' field",
                    None,
                    items[v].pii,
                )
            )
    bad = set(victims)
    for k, item in enumerate(items):
        if k not in bad:
            item.file = rel(job, path)
            result.items.append(item)
    result.notes["state_change_parts"] = sum(
        1 for c in convs for p in c["conversation_parts"]["conversation_parts"] if p["body"] is None
    )
    doc = {
        "type": "conversation.list",
        "pages": {"type": "pages", "page": 1, "per_page": len(convs), "total_pages": 1},
        "total_count": len(convs),
        "conversations": convs,
    }
    write(path, dump(doc))
    return result
