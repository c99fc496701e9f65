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
import csv
import html
import io
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _p in (HERE, ROOT / "data" / "sample"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import _noise as N  # noqa: E402
from _model import dump, hexid, write  # noqa: E402  (the bundled sample's writers)
from _support import _html  # noqa: E402
from _texts import TEXT_SETS, TextSet, load, taxonomy_yaml  # noqa: E402
from _world import ACCOUNT_NAMES, FIRST_NAMES, LAST_NAMES, phone  # noqa: E402

START = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
WEEKS = 12
SPIKE_WEEK = 7  # index: the week starting 2026-09-21
SPIKE_FACTOR = 4.0
BLIND_SHARE = 0.7
FUNCTIONS = ("Support", "Success", "Sales", "Product", "Marketing")
# Where each function hears customers: (source key, share). slack:<channel> is a relay.
SOURCE_MIX = {
    "Support": (("zendesk", 0.85), ("slack:support-team", 0.15)),
    "Success": (("intercom", 0.75), ("slack:cs-escalations", 0.25)),
    "Sales": (("gong", 0.7), ("crm", 0.3)),
    "Product": (("surveymonkey", 0.7), ("slack:product-feedback", 0.3)),
    "Marketing": (("crm", 0.5), ("slack:marketing", 0.5)),
}
CHANNELS = {  # name: function (None: not a function's channel)
    "general": None,
    "random": None,
    "support-team": "Support",
    "cs-escalations": "Success",
    "sales-deals": "Sales",
    "product-feedback": "Product",
    "marketing": "Marketing",
}
CUSTOMER_KINDS = ("direct", "relayed")
SM_IMPROVE = "What is the one thing we should improve?"
SM_ELSE = "Anything else you would like to tell us?"
SM_NPS = "How likely are you to recommend us to a friend or colleague?"


@dataclass
class Person:
    """A customer contact or an employee."""

    first: str
    last: str
    email: str
    phone: str
    account: str | None  # None: an employee
    uid: str = ""

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first} {self.last}"


@dataclass
class Passage:
    """One stretch of text in an item: customer voice (direct, relayed) or not."""

    kind: str  # direct|relayed|greeting|signature|subject|staff|bot|auto_reply|filler|small_talk|
    # logistics|chatter
    text: str

    @property
    def customer(self) -> bool:
        """Whether the passage is what a customer said."""
        return self.kind in CUSTOMER_KINDS


@dataclass
class Entry:
    """One item as silobridge will see it (its native id is the connector's)."""

    source: str
    native_id: str
    function: str | None
    file: str
    created_at: datetime
    passages: list[Passage] = field(default_factory=list)
    theme: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        """JSON-ready truth entry."""
        customer = [p for p in self.passages if p.customer]
        return {
            "source": self.source,
            "native_id": self.native_id,
            "function": self.function,
            "file": self.file,
            "created_at": _iso(self.created_at),
            "week": _week(self.created_at),
            "customer_voice": customer[0].kind if customer else None,
            "theme": self.theme,
            "customer_text": customer[0].text if customer else None,
            "passages": [{"kind": p.kind, "text": p.text} for p in self.passages],
            **self.extra,
        }


@dataclass
class Planned:
    """A customer text planned into the company: theme, function, source, date."""

    text: str
    theme: str
    function: str
    source: str
    when: datetime


class Company:
    """The generator's state: random streams, people, written entries and personal data."""

    def __init__(self, seed: int, text_set: TextSet, out: Path) -> None:
        self.seed, self.ts, self.out = seed, text_set, out
        self.entries: list[Entry] = []
        self.pii: list[dict[str, str]] = []
        rng = self.rng("world")
        self.accounts = rng.sample(list(ACCOUNT_NAMES), 30)
        used: set[str] = set()
        self.contacts: dict[str, list[Person]] = {}
        for acct in self.accounts:
            domain = "".join(c for c in acct.lower() if c.isalnum())[:18] + ".example.com"
            self.contacts[acct] = [self._person(rng, used, domain, acct) for _ in range(3)]
        self.staff: dict[str, list[Person]] = {}
        for f in FUNCTIONS:
            self.staff[f] = [
                self._person(rng, used, f"{text_set.company.lower()}.example.com", None)
                for _ in range(4)
            ]
        for k, p in enumerate(self.employees()):
            p.uid = "U0" + hexid(random.Random(f"{seed}/uid/{k}"), 8).upper()

    def rng(self, part: str) -> random.Random:
        """A random stream of its own for one part of the generator."""
        return random.Random(f"{self.seed}/{self.ts.key}/{part}")

    @staticmethod
    def _person(rng: random.Random, used: set[str], domain: str, account: str | None) -> Person:
        """A new person with a unique name, an e-mail at ``domain`` and a fictional phone."""
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used:
                used.add(f"{first} {last}")
                break
        email = rng.choice((f"{first}.{last}", f"{first[0]}{last}", first)).lower() + "@" + domain
        return Person(first, last, email, phone(rng, rng.choice(("US", "UK"))), account)

    def employees(self) -> list[Person]:
        """Every employee, in a fixed order."""
        return [p for f in FUNCTIONS for p in self.staff[f]]

    def add_pii(self, entry: Entry, kind: str, value: str, where: str) -> str:
        """Record one planted piece of personal data (``where``: text or field)."""
        self.pii.append(
            {
                "type": kind,
                "value": value,
                "source": entry.source,
                "native_id": entry.native_id,
                "where": where,
            }
        )
        return value


def _iso(dt: datetime) -> str:
    """An ISO 8601 UTC timestamp with a ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _week(dt: datetime) -> str:
    """The ISO date of the Monday of a date's week."""
    monday = (dt - timedelta(days=dt.weekday())).date()
    return monday.isoformat()


def _epoch(dt: datetime) -> int:
    """Epoch seconds."""
    return int(dt.timestamp())


# ---------------------------------------------------------------------------------------------
# Planning: which customer text goes where, when
# ---------------------------------------------------------------------------------------------


def theme_counts(pool: dict[str, list[str]], n: int) -> dict[str, int]:
    """As even as the pool allows: every theme ``n / themes``, capped by what the pool holds."""
    counts = dict.fromkeys(pool, 0)
    left = n
    while left > 0:
        room = [t for t in pool if counts[t] < len(pool[t])]
        if not room:
            break
        share = max(1, left // len(room))
        for t in room:
            add = min(share, len(pool[t]) - counts[t], left)
            counts[t] += add
            left -= add
    return counts


def plan(company: Company, pool: dict[str, list[str]], n: int) -> list[Planned]:
    """``n`` customer texts with theme, function, source and date (blind spots, spike planted)."""
    rng = company.rng("plan")
    blind = dict(company.ts.blind_spots)
    out: list[Planned] = []
    for theme, k in theme_counts(pool, n).items():
        texts = rng.sample(pool[theme], k)
        if theme in blind:
            owner = blind[theme]
            n_owner = round(BLIND_SHARE * k)
            others = [f for f in FUNCTIONS if f != owner]
            functions = [owner] * n_owner + [others[i % 4] for i in range(k - n_owner)]
        else:
            offset = rng.randrange(len(FUNCTIONS))
            functions = [FUNCTIONS[(i + offset) % len(FUNCTIONS)] for i in range(k)]
        rng.shuffle(functions)
        weights = [1.0] * WEEKS
        if theme == company.ts.spike:
            weights[SPIKE_WEEK] = SPIKE_FACTOR
        for text, function in zip(texts, functions, strict=True):
            sources, shares = zip(*SOURCE_MIX[function], strict=True)
            source = rng.choices(sources, shares)[0]
            out.append(Planned(text, theme, function, source, _when(rng, weights)))
    out.sort(key=lambda p: (p.when, p.text))
    return out


def _when(rng: random.Random, week_weights: list[float]) -> datetime:
    """A random date and time in a weighted week (weekdays likelier, office hours)."""
    week = rng.choices(range(WEEKS), week_weights)[0]
    day = rng.choices(range(7), (1, 1, 1, 1, 1, 0.15, 0.1))[0]
    secs = rng.randint(7 * 3600, 19 * 3600)
    return START + timedelta(days=7 * week + day, seconds=secs)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


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


def write_slack(company: Company, relays: list[Planned], n_noise: int) -> None:
    """An unzipped Slack export: relays in function channels, chatter, bots, threads."""
    rng = company.rng("slack")
    channel_ids = {c: "C0" + hexid(rng, 8).upper() for c in CHANNELS}
    staff = company.employees()
    messages: dict[str, list[dict]] = {c: [] for c in CHANNELS}
    used_ts: set[str] = set()

    def ts_of(t: datetime) -> str:
        """A unique Slack ``ts`` at ``t``."""
        while True:
            ts = f"{_epoch(t)}.{rng.randint(0, 999999):06d}"
            if ts not in used_ts:
                used_ts.add(ts)
                return ts

    def msg(user: Person, text: str, t: datetime, **more: Any) -> dict:
        """A Slack message by an employee."""
        return {
            "type": "message",
            "text": _mrkdwn(text),
            "user": user.uid,
            "ts": ts_of(t),
            "team": "T0COMPANY",
            "user_team": "T0COMPANY",
            **more,
        }

    def new_entry(channel: str, m: dict, t: datetime, theme: str | None = None) -> Entry:
        """Add a top-level message to a channel and its truth entry."""
        entry = Entry(
            "slack",
            f"{channel_ids[channel]}:{m['ts']}",
            CHANNELS[channel],
            f"slack/{channel}",
            t,
            theme=theme,
        )
        messages[channel].append(m)
        company.entries.append(entry)
        return entry

    for p in relays:
        channel = p.source.split(":", 1)[1]
        user = rng.choice(company.staff[p.function])
        acct = rng.choice(company.accounts)
        cust = rng.choice(company.contacts[acct])
        if rng.random() < 0.15:  # a forwarded widget / forum post as a Slack attachment
            head = f"New {rng.choice(N.ATTACHMENT_SOURCES)} post"
            m = msg(
                user,
                head,
                p.when,
                attachments=[
                    {
                        "fallback": _mrkdwn(p.text),
                        "text": _mrkdwn(p.text),
                        "author_name": cust.first,
                        "footer": acct,
                    }
                ],
            )
            entry = new_entry(channel, m, p.when, p.theme)
            entry.passages += [Passage("staff", head), Passage("relayed", p.text)]
            company.add_pii(entry, "first_name", cust.first, "field")
        else:
            frame = rng.choice(N.RELAY_FRAMES)
            vals = {"account": acct, "contact": cust.name, "email": cust.email, "phone": cust.phone}
            text = N.fill(
                rng,
                frame.replace("{before}", rng.choice(N.RELAY_BEFORE)).replace(
                    "{after}", rng.choice(N.RELAY_AFTER)
                ),
                text=p.text,
                **vals,
            )
            m = msg(user, text, p.when)
            entry = new_entry(channel, m, p.when, p.theme)
            entry.passages += [Passage("relayed", p.text)]
            frame_text = text.replace(p.text, " ").strip()
            if frame_text:
                entry.passages.append(Passage("staff", frame_text))
            for key, kind in (("contact", "name"), ("email", "email"), ("phone", "phone")):
                if "{" + key + "}" in frame:
                    company.add_pii(entry, kind, vals[key], "text")
            if rng.random() < 0.04:  # cross-posted: an exact duplicate in another channel
                other = rng.choice([c for c in CHANNELS if CHANNELS[c] and c != channel])
                t2 = p.when + timedelta(minutes=rng.randint(2, 90))
                dup = new_entry(other, msg(user, text, t2), t2, p.theme)
                dup.passages = [Passage(pp.kind, pp.text) for pp in entry.passages]
                dup.extra["duplicate_of"] = entry.native_id
                company.pii += [
                    dict(x, native_id=dup.native_id)
                    for x in company.pii
                    if x["native_id"] == entry.native_id
                ]
        if rng.random() < 0.25:  # a colleague replies in the thread
            m["thread_ts"] = m["ts"]
            replier = rng.choice(staff)
            reply = N.fill(rng, rng.choice(N.THREAD_REPLIES), account2=rng.choice(company.accounts))
            t = p.when + timedelta(minutes=rng.randint(1, 300))
            r = msg(replier, reply, t, thread_ts=m["ts"], parent_user_id=user.uid)
            messages[channel].append(r)
            entry.passages.append(Passage("staff", reply))
            m.update(reply_count=1, reply_users=[replier.uid], latest_reply=r["ts"])
    noise_rng = company.rng("slack-noise")
    for _ in range(n_noise):
        t = _when(noise_rng, [1.0] * WEEKS)
        roll = noise_rng.random()
        if roll < 0.55:
            channel = noise_rng.choice(("general", "general", "random"))
            user = noise_rng.choice(staff)
            text = N.chatter(noise_rng, noise_rng.choice(staff).first)
            new_entry(channel, msg(user, text, t), t).passages.append(Passage("chatter", text))
        elif roll < 0.8:
            channel = noise_rng.choice([c for c in CHANNELS if CHANNELS[c]])
            user = noise_rng.choice(company.staff[CHANNELS[channel] or "Support"])
            text = N.fill(
                noise_rng,
                noise_rng.choice(N.STAFF_CHATTER),
                colleague=noise_rng.choice(staff).first,
            )
            new_entry(channel, msg(user, text, t), t).passages.append(Passage("staff", text))
        else:
            channel = noise_rng.choice(list(CHANNELS))
            text = N.fill(noise_rng, noise_rng.choice(N.BOT_MESSAGES))
            m = {
                "type": "message",
                "subtype": "bot_message",
                "text": _mrkdwn(text),
                "bot_id": "B0" + hexid(noise_rng, 8).upper(),
                "username": "Workbot",
                "ts": ts_of(t),
            }
            new_entry(channel, m, t).passages.append(Passage("bot", text))
    # files: channels.json, users.json, one file per channel and day
    channels = [
        {
            "id": channel_ids[c],
            "name": c,
            "created": _epoch(START) - 86400 * 90,
            "creator": staff[0].uid,
            "is_archived": False,
            "is_general": c == "general",
            "members": [p.uid for p in staff],
            "topic": {"value": ""},
            "purpose": {"value": ""},
        }
        for c in CHANNELS
    ]
    users = [
        {
            "id": p.uid,
            "team_id": "T0COMPANY",
            "name": p.email.split("@")[0],
            "real_name": p.name,
            "deleted": False,
            "is_bot": False,
            "profile": {"real_name": p.name, "display_name": p.first, "email": p.email},
        }
        for p in staff
    ]
    write(company.out / "slack" / "channels.json", dump(channels, indent=4))
    write(company.out / "slack" / "users.json", dump(users, indent=4))
    for c, msgs in messages.items():
        by_day: dict[str, list[dict]] = {}
        for m in sorted(msgs, key=lambda m: m["ts"]):
            day = datetime.fromtimestamp(float(m["ts"]), UTC).date().isoformat()
            by_day.setdefault(day, []).append(m)
        for day, ms in by_day.items():
            write(company.out / "slack" / c / f"{day}.json", dump(ms, indent=4))


def _mrkdwn(text: str) -> str:
    """Slack's stored message text: ``&``, ``<`` and ``>`` escaped (a quote is ``&gt; ``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str) -> str:
    """An Intercom HTML body: one paragraph."""
    return "<p>" + html.escape(text, quote=False) + "</p>"


def write_surveymonkey(company: Company, items: list[Planned], n_noise: int) -> None:
    """``surveys/product_survey.csv``: SurveyMonkey's two-header-row CSV export."""
    rng = company.rng("surveymonkey")
    rows = [
        [
            "Respondent ID",
            "Collector ID",
            "Start Date",
            "End Date",
            "IP Address",
            "Email Address",
            "First Name",
            "Last Name",
            "Custom Data 1",
            SM_NPS,
            SM_IMPROVE,
            SM_ELSE,
        ],
        [
            "Respondent ID",
            "Collector ID",
            "Start Date",
            "End Date",
            "IP Address",
            "Email Address",
            "First Name",
            "Last Name",
            "Custom Data 1",
            "Response",
            "Open-Ended Response",
            "Open-Ended Response",
        ],
    ]
    planned: list[Planned | None] = [*items, *([None] * n_noise)]
    noise_when = {k: _when(rng, [1.0] * WEEKS) for k in range(len(items), len(planned))}
    order = sorted(
        range(len(planned)), key=lambda k: noise_when[k] if k in noise_when else items[k].when
    )
    rid = 114325600000
    for k in order:
        p = planned[k]
        when = p.when if p else noise_when[k]
        rid += rng.randint(500, 3000)
        acct = rng.choice(company.accounts)
        cust = rng.choice(company.contacts[acct])
        entry = Entry(
            "surveymonkey",
            str(rid),
            "Product",
            "surveys/product_survey.csv",
            when,
            theme=p.theme if p else None,
        )
        named = rng.random() < 0.5
        if named:
            company.add_pii(entry, "email", cust.email, "field")
        improve = p.text if p else ""
        if p:
            entry.passages.append(Passage("direct", p.text))
        other = rng.choice(N.SURVEY_FILLERS) if (not p or rng.random() < 0.5) else ""
        if other:
            entry.passages.append(Passage("filler", other))
        if not improve and not other:
            continue
        end = when + timedelta(seconds=rng.randint(40, 900))
        rows.append(
            [
                str(rid),
                "431298765",
                when.strftime("%m/%d/%Y %I:%M:%S %p"),
                end.strftime("%m/%d/%Y %I:%M:%S %p"),
                f"203.0.113.{rng.randint(2, 250)}",
                cust.email if named else "",
                cust.first if named else "",
                cust.last if named else "",
                acct,
                str(rng.randint(0, 10)),
                improve,
                other,
            ]
        )
        company.entries.append(entry)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    write(company.out / "surveys" / "product_survey.csv", buf.getvalue())


def write_crm(company: Company, items: list[Planned], n_noise: int) -> None:
    """``crm/account_notes.csv``: notes staff type into the CRM (the ``csv`` connector)."""
    rng = company.rng("crm")
    rows = [["Id", "Account", "Owner", "Team", "Created", "Note"]]
    planned: list[Planned | None] = [*items, *([None] * n_noise)]
    whens = [p.when if p else _when(rng, [1.0] * WEEKS) for p in planned]
    nid = 204100
    for k in sorted(range(len(planned)), key=lambda k: whens[k]):
        p = planned[k]
        function = p.function if p else rng.choice(("Sales", "Marketing"))
        nid += rng.randint(1, 9)
        acct = rng.choice(company.accounts)
        cust = rng.choice(company.contacts[acct])
        owner = rng.choice(company.staff[function])
        entry = Entry(
            "crm_notes",
            f"N-{nid}",
            function,
            "crm/account_notes.csv",
            whens[k],
            theme=p.theme if p else None,
        )
        vals = {
            "contact": cust.name,
            "email": cust.email,
            "phone": cust.phone,
            "account": acct,
            "title": rng.choice(("Head of Ops", "IT Manager", "CFO", "Admin", "Team lead")),
        }
        if p:
            frame = rng.choice(N.CRM_FRAMES)
            note = N.fill(rng, frame.replace("{next}", rng.choice(N.CRM_NEXT)), text=p.text, **vals)
            entry.passages.append(Passage("relayed", p.text))
            rest = note.replace(p.text, " ").strip()
            if rest:
                entry.passages.append(Passage("staff", rest))
            for key, kind in (("contact", "name"), ("email", "email"), ("phone", "phone")):
                if "{" + key + "}" in frame:
                    company.add_pii(entry, kind, vals[key], "text")
        else:
            tmpl = rng.choice(N.CRM_STAFF)
            note = N.fill(rng, tmpl, **vals)
            entry.passages.append(Passage("staff", note))
            if "{contact}" in tmpl:
                company.add_pii(entry, "name", cust.name, "text")
        team = {"Sales": "Sales", "Marketing": "Marketing"}[function]
        rows.append(
            [entry.native_id, acct, owner.name, team, whens[k].strftime("%Y-%m-%d %H:%M:%S"), note]
        )
        company.entries.append(entry)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    write(company.out / "crm" / "account_notes.csv", buf.getvalue())


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
