"""Conversation exports of the generated company: Zendesk tickets, Intercom chats, Gong calls."""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (HERE, ROOT / "data" / "sample"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import _noise as N  # noqa: E402
from _company import Company, Entry, Passage, Person, Planned, _epoch, _iso, _p  # noqa: E402
from _model import dump, hexid, write  # noqa: E402  (the bundled sample's writers)
from _support import _html  # noqa: E402


def _greeting(rng: random.Random, company: Company, agent: Person) -> str:
    """A ticket greeting, sometimes in another language."""
    return N.fill(rng, rng.choice(N.GREETINGS), company=company.ts.company, agent=agent.first)


def _signature(rng: random.Random, company: Company, entry: Entry, who: Person) -> str:
    """A sign-off with the customer's name and maybe a phone or e-mail (planted PII)."""
    signoff = rng.choice(N.SIGNOFFS)
    if signoff.startswith("Sent from"):
        return signoff
    lines = [signoff, company.add_pii(entry, "name", who.name, "text")]
    roll = rng.random()
    if roll < 0.35:
        lines.append(company.add_pii(entry, "phone", who.phone, "text"))
    elif roll < 0.55:
        lines.append(company.add_pii(entry, "email", who.email, "text"))
    if rng.random() < 0.5:
        lines.append(who.account or "")
    return "\n".join(line for line in lines if line)


def write_zendesk(company: Company, items: list[Planned]) -> None:
    """``zendesk/tickets-1.json`` and ``tickets-2.json``: incremental-export pages."""
    rng = company.rng("zendesk")
    agents = company.staff["Support"]
    users: dict[int, dict] = {}
    for k, a in enumerate(agents):
        users[361000000000 + k] = _zd_user(361000000000 + k, a, "agent")
    tickets: list[tuple[dict, Entry]] = []
    tid, cid = 52000, 70000000000
    extra = [(p, False) for p in items]
    dups = rng.sample(range(len(items)), max(1, len(items) // 40)) if items else []
    extra += [(items[i], True) for i in dups]
    for p, duplicate in extra:
        tid += rng.choice((1, 1, 2, 3))
        acct = rng.choice(company.accounts)
        cust = rng.choice(company.contacts[acct])
        agent = rng.choice(agents)
        when = p.when + timedelta(hours=rng.randint(1, 30)) if duplicate else p.when
        entry = Entry("zendesk", str(tid), "Support", "", when, theme=p.theme)
        uid = 367000000000 + company.contacts[acct].index(cust) + 10 * company.accounts.index(acct)
        users[uid] = _zd_user(uid, cust, "end-user")
        company.add_pii(entry, "email", cust.email, "field")
        subject = N.fill(rng, rng.choice(N.SUBJECTS), company=company.ts.company)
        entry.passages.append(Passage("subject", subject))
        body: list[str] = []
        if rng.random() < 0.75:
            g = _greeting(rng, company, agent)
            entry.passages.append(Passage("greeting", g))
            body.append(g)
        entry.passages.append(Passage("direct", p.text))
        body.append(p.text)
        if rng.random() < 0.8:
            s = _signature(rng, company, entry, cust)
            entry.passages.append(Passage("signature", s))
            body.append(s)
        t = when
        comments = [_zd_comment(rng, cid, uid, "\n\n".join(body), True, t)]
        if rng.random() < 0.9:
            t += timedelta(minutes=rng.randint(10, 900))
            reply = "\n\n".join(
                [
                    N.fill(rng, rng.choice(N.AGENT_OPENERS), name=cust.first),
                    N.fill(rng, rng.choice(N.AGENT_BODIES)),
                    N.fill(
                        rng,
                        rng.choice(N.AGENT_SIGNOFFS),
                        agent=agent.first,
                        company=company.ts.company,
                    ),
                ]
            )
            entry.passages.append(Passage("staff", reply))
            cid += rng.randint(3, 40)
            comments.append(
                _zd_comment(rng, cid, 361000000000 + agents.index(agent), reply, True, t)
            )
            if rng.random() < 0.08:
                auto = N.fill(rng, rng.choice(N.AUTO_REPLIES))
                entry.passages.append(Passage("auto_reply", auto))
                cid += rng.randint(3, 40)
                comments.append(_zd_comment(rng, cid, uid, auto, True, t + timedelta(minutes=1)))
        if rng.random() < 0.25:
            t += timedelta(minutes=rng.randint(5, 300))
            note = N.fill(rng, rng.choice(N.INTERNAL_NOTES))
            entry.passages.append(Passage("staff", note))
            cid += rng.randint(3, 40)
            comments.append(
                _zd_comment(rng, cid, 361000000000 + agents.index(agent), note, False, t)
            )
        if rng.random() < 0.35:
            t += timedelta(minutes=rng.randint(20, 2000))
            filler = rng.choice(N.FILLERS)
            entry.passages.append(Passage("filler", filler))
            cid += rng.randint(3, 40)
            comments.append(_zd_comment(rng, cid, uid, filler, True, t))
        cid += rng.randint(50, 400)
        if duplicate:
            entry.extra["duplicate_text_of"] = "a ticket with the same customer text"
        tickets.append(
            (_zd_ticket(tid, subject, cust, uid, agents.index(agent), when, t, comments), entry)
        )
    # a changed record: the same ticket again, updated later with one more comment
    changed = rng.sample(range(len(tickets)), max(1, len(tickets) // 30)) if tickets else []
    pages: list[list[tuple[dict, Entry]]] = [[], []]
    half = (len(tickets) + 1) // 2
    for k, (ticket, entry) in enumerate(sorted(tickets, key=lambda x: x[0]["updated_at"])):
        page = 0 if k < half else 1
        if k in changed:
            pages[0].append((ticket, entry))
            newer = json.loads(json.dumps(ticket))
            t = datetime.fromisoformat(ticket["updated_at"].replace("Z", "+00:00"))
            t += timedelta(days=rng.randint(2, 9))
            filler = rng.choice(
                (
                    "Any update on this?",
                    "Still waiting on this one.",
                    "Following up, is there any news?",
                )
            )
            newer["comments"].append(
                _zd_comment(rng, 79000000000 + k, ticket["requester_id"], filler, True, t)
            )
            newer["updated_at"], newer["status"] = _iso(t), "open"
            entry.passages.append(Passage("filler", filler))
            entry.extra["changed_record"] = True
            pages[1].append((newer, entry))
        else:
            pages[page].append((ticket, entry))
    for n, page in enumerate(pages, start=1):
        rel = f"zendesk/tickets-{n}.json"
        page_users = sorted({c["author_id"] for t, _ in page for c in t["comments"]})
        doc = {
            "tickets": [t for t, _ in page],
            "users": [users[u] for u in page_users],
            "organizations": [],
            "after_cursor": hexid(rng, 24),
            "before_cursor": None,
            "end_of_stream": n == 2,
            "count": len(page),
        }
        write(company.out / rel, dump(doc))
        for _, entry in page:
            if not entry.file:
                entry.file = rel
                company.entries.append(entry)


def _zd_user(uid: int, p: Person, role: str) -> dict:
    """A Zendesk user object."""
    return {
        "id": uid,
        "name": p.name,
        "email": p.email,
        "phone": p.phone if p.account else None,
        "role": role,
        "organization_id": None,
        "active": True,
    }


def _zd_comment(
    rng: random.Random, cid: int, author: int, body: str, public: bool, t: datetime
) -> dict:
    """A Zendesk comment object (body, HTML and plain)."""
    return {
        "id": cid,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": _html(body),
        "plain_body": body.replace("\n\n", "\n"),
        "public": public,
        "attachments": [],
        "created_at": _iso(t),
    }


def _zd_ticket(
    tid: int,
    subject: str,
    cust: Person,
    uid: int,
    agent: int,
    created: datetime,
    updated: datetime,
    comments: list[dict],
) -> dict:
    """A Zendesk ticket object with its comments embedded."""
    return {
        "url": f"https://example.zendesk.com/api/v2/tickets/{tid}.json",
        "id": tid,
        "via": {"channel": "email", "source": {"from": {"address": cust.email}}},
        "created_at": _iso(created),
        "updated_at": _iso(updated),
        "subject": subject,
        "description": comments[0]["body"],
        "status": "solved",
        "requester_id": uid,
        "submitter_id": uid,
        "assignee_id": 361000000000 + agent,
        "organization_id": None,
        "tags": [],
        "custom_fields": [],
        "comments": comments,
    }


def write_intercom(company: Company, items: list[Planned]) -> None:
    """``intercom/conversations.json``: a ``conversation.list`` with conversation parts."""
    rng = company.rng("intercom")
    admins = company.staff["Success"]
    convs = []
    pid = 9100000000
    for k, p in enumerate(items):
        acct = rng.choice(company.accounts)
        cust = rng.choice(company.contacts[acct])
        admin = rng.choice(admins)
        entry = Entry(
            "intercom",
            str(215470000000 + 7 * k),
            "Success",
            "intercom/conversations.json",
            p.when,
            theme=p.theme,
        )
        company.add_pii(entry, "email", cust.email, "field")
        author = {"type": "user", "id": hexid(rng, 24), "name": cust.name, "email": cust.email}
        parts: list[dict] = []
        t = p.when

        def part(kind: str, who: dict, text: str, at: datetime, parts: list[dict] = parts) -> None:
            """Append one Intercom conversation part."""
            nonlocal pid
            pid += rng.randint(1, 30)
            parts.append(
                {
                    "type": "conversation_part",
                    "id": str(pid),
                    "part_type": kind,
                    "body": _p(text),
                    "created_at": _epoch(at),
                    "updated_at": _epoch(at),
                    "author": who,
                    "attachments": [],
                }
            )

        bot = {"type": "bot", "id": "6113285", "name": "Operator"}
        adm = {
            "type": "admin",
            "id": str(5106000 + admins.index(admin)),
            "name": admin.name,
            "email": admin.email,
        }
        if rng.random() < 0.4:
            opener = rng.choice(N.CHAT_OPENERS)
            entry.passages.append(Passage("small_talk", opener))
            source_body = opener
            bot_text = rng.choice(N.CHAT_BOTS)
            entry.passages.append(Passage("bot", bot_text))
            part("comment", bot, bot_text, t + timedelta(seconds=5))
            entry.passages.append(Passage("direct", p.text))
            part("comment", author, p.text, t + timedelta(seconds=rng.randint(20, 200)))
        else:
            entry.passages.append(Passage("direct", p.text))
            source_body = p.text
            if rng.random() < 0.6:
                bot_text = rng.choice(N.CHAT_BOTS)
                entry.passages.append(Passage("bot", bot_text))
                part("comment", bot, bot_text, t + timedelta(seconds=5))
        t += timedelta(minutes=rng.randint(3, 240))
        reply = (
            N.fill(rng, rng.choice(N.AGENT_OPENERS), name=cust.first)
            + " "
            + N.fill(rng, rng.choice(N.AGENT_BODIES))
        )
        entry.passages.append(Passage("staff", reply))
        part("comment", adm, reply, t)
        if rng.random() < 0.4:
            filler = rng.choice(N.FILLERS)
            entry.passages.append(Passage("filler", filler))
            part("comment", author, filler, t + timedelta(minutes=rng.randint(1, 60)))
        convs.append(
            {
                "type": "conversation",
                "id": entry.native_id,
                "created_at": _epoch(p.when),
                "updated_at": parts[-1]["updated_at"],
                "state": "closed",
                "source": {
                    "type": "conversation",
                    "id": str(pid + 1),
                    "delivered_as": "customer_initiated",
                    "subject": "",
                    "body": _p(source_body),
                    "author": author,
                    "attachments": [],
                },
                "contacts": {
                    "type": "contact.list",
                    "contacts": [{"type": "contact", "id": author["id"]}],
                },
                "custom_attributes": {"Company": acct},
                "conversation_parts": {
                    "type": "conversation_part.list",
                    "conversation_parts": parts,
                },
            }
        )
        company.entries.append(entry)
    doc = {
        "type": "conversation.list",
        "pages": {"type": "pages", "page": 1, "per_page": 150, "total_pages": 1},
        "total_count": len(convs),
        "conversations": convs,
    }
    write(company.out / "intercom" / "conversations.json", dump(doc))


def write_gong(company: Company, items: list[Planned]) -> None:
    """``gong/calls.json`` (extensive call data) and ``gong/transcripts.json``."""
    rng = company.rng("gong")
    reps = company.staff["Sales"]
    calls, transcripts = [], []
    for k, p in enumerate(items):
        acct = rng.choice(company.accounts)
        cust, other = rng.sample(company.contacts[acct], 2)
        rep = rng.choice(reps)
        call_id = str(7782715034156290000 + 977 * k)
        entry = Entry("gong", call_id, "Sales", "gong/transcripts.json", p.when, theme=p.theme)
        company.add_pii(entry, "email", cust.email, "field")
        company.add_pii(entry, "name", cust.name, "field")
        sp_rep, sp_cust = str(6353971406000001000 + k), str(2659737590026557000 + k)
        turns: list[tuple[str, str, str]] = []  # speaker, topic, text
        vals = {"name": cust.first, "name2": other.first, "city": rng.choice(N.SLOTS["city"])}
        for _ in range(rng.randint(2, 5)):
            speaker = rng.choice((sp_rep, sp_cust))
            text = N.fill(rng, rng.choice(N.SMALL_TALK), **vals)
            entry.passages.append(Passage("small_talk", text))
            turns.append((speaker, "Small Talk", text))
        agenda = rng.choice(N.AGENDA)
        entry.passages.append(Passage("staff", agenda))
        turns.append((sp_rep, "Introduction", agenda))
        said = rng.choice(N.SPOKEN) + p.text
        entry.passages.append(Passage("direct", p.text))
        turns.append((sp_cust, "Discussion", said))
        for _ in range(rng.randint(1, 2)):
            text = rng.choice(N.PITCH)
            entry.passages.append(Passage("staff", text))
            turns.append((sp_rep, "Discussion", text))
        for _ in range(rng.randint(1, 3)):
            tmpl = rng.choice(N.LOGISTICS)
            if "{email}" in tmpl:
                company.add_pii(entry, "email", cust.email, "text")
            if "{phone}" in tmpl:
                tmpl = tmpl.replace("{phone}", rep.phone)  # the rep's own number: not customer PII
            text = N.fill(rng, tmpl, email=cust.email, **vals)
            entry.passages.append(Passage("logistics", text))
            turns.append((rng.choice((sp_rep, sp_cust)), "Next Steps", text))
        ms, mono = 4000, []
        for speaker, topic, text in turns:
            end = ms + 60 * len(text)
            mono.append(
                {
                    "speakerId": speaker,
                    "topic": topic,
                    "sentences": [{"start": ms, "end": end, "text": text}],
                }
            )
            ms = end + rng.randint(300, 2500)
        transcripts.append({"callId": call_id, "transcript": mono})
        calls.append(
            {
                "metaData": {
                    "id": call_id,
                    "title": f"{acct} + {company.ts.company} | "
                    + rng.choice(("Discovery", "Demo", "QBR", "Check-in", "Pricing call")),
                    "scheduled": _iso(p.when),
                    "started": _iso(p.when + timedelta(minutes=rng.randint(0, 4))),
                    "duration": ms // 1000,
                    "direction": "Conference",
                    "system": rng.choice(("Zoom", "Microsoft Teams", "Google Meet")),
                    "scope": "External",
                    "media": "Video",
                    "language": "eng",
                },
                "parties": [
                    {
                        "id": str(1 + k),
                        "emailAddress": rep.email,
                        "name": rep.name,
                        "userId": str(2017833191059299000 + reps.index(rep)),
                        "speakerId": sp_rep,
                        "affiliation": "Internal",
                        "methods": ["Invitee"],
                    },
                    {
                        "id": str(2 + k),
                        "emailAddress": cust.email,
                        "name": cust.name,
                        "speakerId": sp_cust,
                        "affiliation": "External",
                        "methods": ["Invitee"],
                    },
                ],
            }
        )
        company.entries.append(entry)
    meta = {
        "requestId": hexid(rng, 16),
        "records": {
            "totalRecords": len(calls),
            "currentPageSize": len(calls),
            "currentPageNumber": 0,
        },
    }
    write(company.out / "gong" / "calls.json", dump({**meta, "calls": calls}, indent=2))
    write(
        company.out / "gong" / "transcripts.json",
        dump({**meta, "callTranscripts": transcripts}, indent=2),
    )
