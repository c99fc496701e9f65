"""Gong calls (Sales) and the ``notes/`` folder of call notes and Zoom transcripts.

Gong: ``gong/calls.json`` as ``/v2/calls/extensive`` returns it (``metaData``, ``parties``,
Salesforce ``context``) and ``gong/transcripts.json`` as ``/v2/calls/transcript`` returns it
(monologues by ``speakerId``, sentences in ms from the call start); formats.md §3 [GONG-OAS].
Notes: Markdown with YAML front matter, plain ``.txt`` with the date in the file name, and
Zoom WebVTT transcripts with CRLF line ends (formats.md §8 [ZGS]).
"""

from __future__ import annotations

import random
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import yaml
from _model import Bad, Item, Job, SourceResult, alnum, dump, rel, write
from _phrases import THEME_BY_ID
from _world import Calendar, Ctx, Person, lower_first

SPOKEN = ("Yeah, ", "So, ", "Um, ", "I mean, ", "Right, so ", "Okay, so ", "Honestly, ", "", "", "")
SMALL_TALK = (
    ("Thanks for making the time today, {name}.", "Of course, happy to."),
    ("How's your week going so far?", "Busy, you know how it is, end of quarter."),
    ("Can everyone hear me okay?", "Yep, loud and clear."),
    ("Good to see you again, {name}.", "Likewise, thanks for sending the agenda."),
    ("Did you have a good weekend?", "I did, thanks, bit of a slow start this morning though."),
)
NEXT_STEPS = (
    (
        "So as next steps I'll send over a proposal and we can reconnect on {weekday}.",
        "Sounds good.",
    ),
    (
        "I'll loop in our solutions engineer and set up a technical deep dive.",
        "Great, that works for us.",
    ),
    ("Let me follow up by email with a summary and the security docs.", "Perfect, thanks."),
    ("I'll check with our team and get back to you before {deadline}.", "Okay, talk soon."),
)
TOPICS = {
    "competitor_discount": "Competition",
    "competitor_comparison": "Competition",
    "pricing_too_expensive": "Pricing",
    "confusing_pricing_page": "Pricing",
    "data_residency_gdpr": "Security",
    "sso_saml_login_failures": "Security",
}
AGENDA = (
    "I thought we'd start with a quick recap of where you are, then I'll show you a few things, "
    "and leave time for questions at the end.",
    "So the plan for today is to go through your requirements and then do a short demo.",
    "Before we dive in, is there anything specific you want to make sure we cover today?",
    "Last time we talked about your reporting setup, so today I'd like to go a bit deeper.",
)
DEMO = (
    "Let me share my screen real quick.",
    "So this is the {dashboard} dashboard, you can see the breakdown by plan here.",
    "If I click into any of these charts you get the underlying events.",
    "Here's where you'd set up {feature} for your team.",
    "This is a typical setup for a team like your {team}.",
    "You can filter everything by account, plan or region from this bar.",
    "And this is the admin area, where you manage users and roles.",
    "Can you see my screen okay?",
)
BACKCHANNEL = (
    "Got it.",
    "Makes sense.",
    "Mm-hmm.",
    "Yeah.",
    "Okay.",
    "Right.",
    "Interesting.",
    "That's helpful.",
    "Sure.",
    "Yep, that's right.",
)
ASIDES = (
    "We've got about {num} people who'd be using it day to day.",
    "Our fiscal year starts in January, so timing matters.",
    "I'd need to bring our {team} into the next conversation.",
    "We're currently doing most of this in {tool}.",
    "Security will want to see the paperwork before anything gets signed.",
)
CALL_KINDS = (
    "Discovery",
    "Demo",
    "Pricing discussion",
    "Security review",
    "Negotiation",
    "Follow-up",
    "Technical deep dive",
)
ZONES = ("America/Los_Angeles", "America/New_York", "Europe/London", "America/Chicago")


def _gid(rng: random.Random) -> str:
    return str(rng.randint(10**18, 9 * 10**18))


def _spoken(ctx: Ctx, s: str) -> str:
    pre = ctx.rng.choice(SPOKEN)
    return ctx.marks.derive(pre + (lower_first(s) if pre else s), s, len(pre))


def _dialogue(
    ctx: Ctx, rep: Person, guests: list[Person], script_topic, demo: Person | None = None
) -> list[tuple[Person, str, str | None]]:
    """(speaker, sentence, topic) turns of a sales conversation about the item's themes."""
    rng = ctx.rng
    turns: list[tuple[Person, str, str | None]] = []
    lead = guests[0]
    a, b = rng.choice(SMALL_TALK)
    if "{name}" in a:
        a = a.format(name=ctx.pii.add("name", lead.first))
    turns.append((rep, a, "Small Talk"))
    turns.append((lead, b, "Small Talk"))
    turns.append((rep, rng.choice(AGENDA), "Introduction"))
    turns.append((lead, rng.choice(BACKCHANNEL), "Introduction"))
    if rng.random() < 0.6:
        turns.append((rng.choice(guests), ctx.fill(rng.choice(ASIDES)), "Introduction"))
    for n, theme in enumerate(ctx.themes):
        t = THEME_BY_ID[theme]
        topic = script_topic(theme)
        turns.append((rep, ctx.fill(rng.choice(t.prompt)), topic))
        who = rng.choice(guests)
        for s in ctx.theme_sentences(theme, "customer", rng.choice((1, 2))):
            turns.append((who, _spoken(ctx, s), topic))
            if rng.random() < 0.4:
                turns.append((rep, rng.choice(BACKCHANNEL), topic))
        if rng.random() < 0.6:
            turns.append((who, _spoken(ctx, ctx.theme_sentences(theme, "detail")[0]), topic))
        if rng.random() < 0.7:
            turns.append((rep, ctx.theme_sentences(theme, "reply")[0], topic))
            turns.append((who, rng.choice(BACKCHANNEL), topic))
        if n == 0 and demo is not None:
            for s in rng.sample(DEMO, rng.randint(3, 6)):
                turns.append((demo, ctx.fill(s), "Product Demo"))
                if rng.random() < 0.3:
                    turns.append((rng.choice(guests), rng.choice(BACKCHANNEL), "Product Demo"))
    a, b = rng.choice(NEXT_STEPS)
    turns.append((rep, ctx.fill(a), "Next Steps"))
    turns.append((lead, b, "Next Steps"))
    return turns


def write_gong(job: Job) -> SourceResult:
    """``gong/calls.json`` and ``gong/transcripts.json``."""
    world, rng = job.world, job.rng
    items = job.plan("gong", "Sales", "call", job.count, Calendar(weekend=0.0))
    job.leak(items)
    reps = world.staff["Sales"]
    for r in reps:
        r.ids["gong"] = _gid(rng)
    result = SourceResult()
    calls, transcripts = [], []
    for item in items:
        acct = item.account
        rep = rng.choice(reps[:4])
        guests = rng.sample(acct.contacts, min(len(acct.contacts), rng.choice((1, 1, 2, 3))))
        ctx = item.ctx(rng, world, guests[0], rep)
        call_id = _gid(rng)
        zone = ZoneInfo(rng.choice(ZONES))
        start = item.when.astimezone(zone).replace(second=0, microsecond=0)
        start = start.replace(minute=(start.minute // 15) * 15)
        started = start + timedelta(seconds=rng.randint(0, 240))
        item.when = started.astimezone(UTC)  # the export's own timestamp is the truth
        internal = [rep] + (
            [rng.choice([r for r in reps if r is not rep])] if rng.random() < 0.4 else []
        )
        topic_of = lambda th: TOPICS.get(th, "Product Demo") if rng.random() < 0.8 else None  # noqa: E731
        turns = _dialogue(
            ctx, rep, guests, topic_of, demo=internal[-1] if rng.random() < 0.7 else None
        )
        speakers = {p.name: _gid(rng) for p in internal + guests}
        dialer = rng.random() < 0.08
        monologues, clock = [], rng.randint(2000, 9000)
        for who, sentence, topic in turns:
            ms = max(1200, len(sentence) * 62 + rng.randint(-300, 600))
            sent = {"start": clock, "end": clock + ms, "text": sentence}
            clock += ms + rng.randint(250, 1800)
            sid = speakers[who.name]
            if monologues and monologues[-1]["speakerId"] == sid:
                monologues[-1]["sentences"].append(sent)
                continue
            mono = {"speakerId": sid, "topic": topic, "sentences": [sent]}
            if topic is None:
                del mono["topic"]
            monologues.append(mono)
            clock += (
                rng.randint(60_000, 240_000) if rng.random() < 0.15 else 0
            )  # unrecorded stretch
        item.text = "\n".join(s for _, s, _ in turns)
        duration = clock // 1000 + rng.randint(5, 90)
        parties = []
        for p in internal:
            parties.append(
                {
                    "id": _gid(rng),
                    "emailAddress": p.email,
                    "name": p.name,
                    "title": p.title,
                    "userId": p.ids["gong"],
                    "speakerId": speakers[p.name],
                    "context": [],
                    "affiliation": "Internal",
                    "methods": ["Invitee"],
                }
            )
        for p in guests:
            party = {
                "id": _gid(rng),
                "emailAddress": p.email,
                "name": p.name,
                "title": p.title,
                "speakerId": speakers[p.name],
                "context": [],
                "affiliation": "External",
                "methods": ["Invitee"],
            }
            if dialer:
                party.update(
                    name="Phone Caller #1",
                    emailAddress=None,
                    title=None,
                    phoneNumber=p.phone,
                    affiliation="External",
                    methods=["Attendee"],
                )
            parties.append(party)
        if len(acct.contacts) > len(guests) and rng.random() < 0.3:
            silent = next(c for c in acct.contacts if c not in guests)
            parties.append(
                {
                    "id": _gid(rng),
                    "emailAddress": silent.email,
                    "name": silent.name,
                    "title": silent.title,
                    "context": [],
                    "affiliation": "External",
                    "methods": ["Invitee"],
                }
            )
        kind = rng.choice(CALL_KINDS)
        system = "Dialer" if dialer else rng.choice(("Zoom", "Google Meet", "Microsoft Teams"))
        opp = f"{acct.name} - {'Renewal' if rng.random() < 0.3 else 'New Business'}"
        item.native_id, item.pii = call_id, ctx.pii.found
        item.entities = ctx.marks.entities([item.text])
        calls.append(
            {
                "metaData": {
                    "id": call_id,
                    "url": f"https://us-49713.app.gong.io/call?id={call_id}",
                    "title": f"{acct.name} + Lumora | {kind}"
                    if not dialer
                    else f"Outbound call to {acct.name}",
                    "scheduled": start.isoformat(),
                    "started": started.isoformat(),
                    "duration": duration,
                    "primaryUserId": rep.ids["gong"],
                    "direction": "Outbound" if dialer else "Conference",
                    "system": system,
                    "scope": "Unknown" if dialer else "External",
                    "media": "Audio" if dialer else "Video",
                    "language": "eng",
                    "workspaceId": "623457276584334",
                    "sdrDisposition": None,
                    "clientUniqueId": None,
                    "customData": None,
                    "purpose": None,
                    "meetingUrl": None if dialer else _meeting_url(rng, system),
                    "isPrivate": False,
                    "calendarEventId": None if dialer else alnum(rng, 26).lower(),
                },
                "context": [
                    {
                        "system": "Salesforce",
                        "objects": [
                            {
                                "objectType": "Account",
                                "objectId": acct.ids["salesforce"],
                                "fields": [
                                    {"name": "Name", "value": acct.name},
                                    {
                                        "name": "Type",
                                        "value": "Customer" if "Renewal" in opp else "Prospect",
                                    },
                                ],
                            },
                            {
                                "objectType": "Opportunity",
                                "objectId": "0063t0000" + alnum(rng, 6) + "AAG",
                                "fields": [
                                    {"name": "Name", "value": opp},
                                    {"name": "StageName", "value": kind},
                                ],
                            },
                        ],
                    }
                ],
                "parties": parties,
            }
        )
        transcripts.append({"callId": call_id, "transcript": monologues})
    # Bad records: transcripts without call metadata, and a transcript without a callId.
    victims = rng.sample(range(len(items)), job.bad_count(2) + job.bad_count(1))
    tpath, cpath = job.out / "gong" / "transcripts.json", job.out / "gong" / "calls.json"
    for n, v in enumerate(victims):
        if n < job.bad_count(2):
            calls[v] = None
            result.bad.append(
                Bad(
                    "gong",
                    rel(job, tpath),
                    f"call {items[v].native_id}",
                    "no_call_metadata",
                    "transcript whose callId has no entry in calls.json",
                    items[v].native_id,
                    items[v].pii,
                )
            )
        else:
            del transcripts[v]["callId"]
            result.skipped += 1  # its call metadata now has no transcript
            result.bad.append(
                Bad(
                    "gong",
                    rel(job, tpath),
                    f"callTranscripts[{v}]",
                    "missing_id",
                    "transcript without a 'callId'",
                    None,
                    items[v].pii,
                )
            )
    bad = set(victims)
    for k, item in enumerate(items):
        if k not in bad:
            item.file = rel(job, tpath)
            result.items.append(item)
    good_calls = [c for c in calls if c is not None]
    cursor = alnum(rng, 48)
    write(
        cpath,
        dump(
            {
                "requestId": alnum(rng, 22).lower(),
                "records": {
                    "totalRecords": len(good_calls),
                    "currentPageSize": len(good_calls),
                    "currentPageNumber": 0,
                },
                "calls": good_calls,
            }
        ),
    )
    write(
        tpath,
        dump(
            {
                "requestId": alnum(rng, 22).lower(),
                "records": {
                    "totalRecords": len(transcripts),
                    "currentPageSize": len(transcripts),
                    "currentPageNumber": 0,
                    "cursor": cursor,
                },
                "callTranscripts": transcripts,
            }
        ),
    )
    return result


def _meeting_url(rng: random.Random, system: str) -> str:
    if system == "Zoom":
        return f"https://lumora.zoom.example.com/j/{rng.randint(10**9, 10**10 - 1)}"
    if system == "Google Meet":
        code = alnum(rng, 10).lower()
        return f"https://meet.example.com/{code[:3]}-{code[3:7]}-{code[7:]}"
    return f"https://teams.example.com/l/meetup-join/19%3ameeting_{alnum(rng, 24)}%40thread.v2/0"


ACTIONS = (
    "send {guest} the {doc} link",
    "share these notes with the product team",
    "follow up on {ticket} by {weekday}",
    "book a working session with their {team}",
    "check usage numbers before the next call",
    "loop in the account executive",
    "send a recap email to {guest}",
    "add the request to the roadmap board",
    "set up a call with their {team} before {deadline}",
    "ask engineering for an ETA on {ticket}",
)
NOTE_KINDS = {
    "Sales": ("Discovery call", "Demo debrief", "Pricing call", "Champion sync"),
    "Success": ("QBR", "Check-in", "Renewal prep", "Escalation call", "Health review"),
    "Product": ("User interview", "Customer feedback session", "Usability test"),
}


def write_notes(job: Job) -> SourceResult:
    """``notes/*.md`` (front matter), ``notes/*.txt`` and ``notes/*.vtt`` (no front matter)."""
    world, rng = job.world, job.rng
    n = job.count
    n_txt, n_vtt = max(1, round(n * 0.13)), max(1, round(n * 0.1))
    n_md = n - n_txt - n_vtt
    cal = Calendar(weekend=0.0)
    items: list[Item] = []
    per = {"Sales": round(n_md * 0.34), "Success": round(n_md * 0.34)}
    per["Product"] = n_md - per["Sales"] - per["Success"]
    for function, count in per.items():
        items += [i for i in job.plan("notes", function, "note", count, cal)]
    for it in job.plan("notes", "Success", "note", n_txt + n_vtt, cal):
        it.extra["format"] = "txt"
        items.append(it)
    for it in items[-n_vtt:]:
        it.extra["format"] = "vtt"
        it.channel = "call"
    job.leak(items[:n_md])
    result, used = SourceResult(), set()
    folder = job.out / "notes"
    for item in items:
        acct = item.account
        staff = rng.choice(world.staff[item.function])
        guest = rng.choice(acct.contacts)
        ctx = item.ctx(rng, world, guest, staff)
        fmt = item.extra.get("format", "md")
        kind = rng.choice(NOTE_KINDS[item.function])
        kebab = "-".join(acct.name.lower().split()[:2])
        stem = f"{item.when:%Y-%m-%d}-{kebab}-{kind.lower().replace(' ', '-')}"
        name = stem + "." + fmt
        k = 2
        while name in used:
            name, k = f"{stem}-{k}.{fmt}", k + 1
        used.add(name)
        if fmt == "md":
            text = _markdown(ctx, item, kind, staff, guest)
        elif fmt == "txt":
            item.when = item.when.replace(hour=0, minute=0, second=0, microsecond=0)
            text = _plain(ctx, item, kind, staff, guest)
        else:
            item.when = item.when.replace(hour=0, minute=0, second=0, microsecond=0)
            text = _vtt(ctx, staff, guest)
        path = folder / name
        write(path, text, newline="\r\n" if fmt == "vtt" else "\n")
        item.native_id, item.file, item.pii, item.text = name, rel(job, path), ctx.pii.found, text
        item.account_field = fmt == "md"
        item.entities = ctx.marks.entities([text])
        result.items.append(item)
    for k in range(job.bad_count(1)):
        d = cal.sample(rng, 1)[0]
        empty = folder / f"{d:%Y-%m-%d}-call-notes{'-' + str(k + 1) if k else ''}.md"
        write(empty, b"")
        result.bad.append(
            Bad("notes", rel(job, empty), "file", "empty_file", "a zero-byte Markdown note")
        )
        scan = folder / f"{d:%Y-%m-%d}-scan{'-' + str(k + 1) if k else ''}.txt"
        write(scan, _png(rng))
        result.bad.append(
            Bad("notes", rel(job, scan), "file", "binary_file", "PNG image bytes in a .txt note")
        )
    return result


def _markdown(ctx: Ctx, item: Item, kind: str, staff: Person, guest: Person) -> str:
    rng, acct = ctx.rng, item.account
    for p in (staff, guest):
        ctx.pii.add("name", p.name, "front_matter")  # attendees
        ctx.pii.add("name", p.first)  # the body uses first names
    if kind == "User interview":
        ctx.pii.add("name", guest.name)  # in the title, repeated as the heading
    title = (
        f"{kind} — {acct.name}"
        if kind != "User interview"
        else f"User interview: {guest.name} ({acct.name})"
    )
    front = {
        "title": title,
        "date": item.when.date(),
        "account": acct.name,
        "function": item.function,
        "attendees": [f"{staff.name} (Lumora)", f"{guest.name} ({acct.name})"],
    }
    if rng.random() < 0.2:
        item.when = item.when.replace(second=0, microsecond=0)
        front["date"] = item.when.strftime("%Y-%m-%dT%H:%M:00Z")
    else:
        item.when = item.when.replace(hour=0, minute=0, second=0, microsecond=0)
    if rng.random() < 0.4:
        front["tags"] = sorted({tg for th in item.themes for tg in THEME_BY_ID[th].tags})[:3]
    lines = [
        "---",
        yaml.safe_dump(front, sort_keys=False, allow_unicode=True).strip(),
        "---",
        "",
        f"# {title}",
        "",
    ]
    lines += [
        "## Context",
        f"{acct.name}: {acct.size}, ~{acct.employees} employees, on {acct.plan}. "
        f"{guest.first} is {guest.title}.",
        "",
    ]
    lines += ["## What we heard"]
    for theme in item.themes:
        lines.append("- " + ctx.theme_sentences(theme, "internal")[0])
        if rng.random() < 0.6:
            lines.append(
                f"  - {guest.first}: “{ctx.typo(ctx.theme_sentences(theme, 'customer')[0], 0.05)}”"
            )
    if item.function == "Product":
        lines += ["", "## Quotes", "", "> " + ctx.theme_sentences(item.themes[0], "detail")[0]]
    lines += ["", "## Next steps"]
    for action in rng.sample(ACTIONS, rng.randint(1, 3)):
        lines.append(f"- [ ] {staff.first}: " + ctx.fill(action.replace("{guest}", guest.first)))
    return "\n".join(lines) + "\n"


def _plain(ctx: Ctx, item: Item, kind: str, staff: Person, guest: Person) -> str:
    rng, acct = ctx.rng, item.account
    ctx.pii.person(staff)
    ctx.pii.person(guest)
    head = f"{kind} - {acct.name} - {item.when:%b} {item.when.day}"
    body = [head, f"Attendees: {staff.name}, {guest.name}", ""]
    for theme in item.themes:
        body.append("* " + ctx.typo(ctx.theme_sentences(theme, "internal")[0], 0.15))
        if rng.random() < 0.5:
            said = ctx.theme_sentences(theme, "customer")[0]
            body.append("  " + guest.first + " said " + ctx.marks.derive(said.lower(), said))
    todo = ctx.fill(rng.choice(ACTIONS).replace("{guest}", guest.first))
    body += ["", "todo: " + ctx.marks.derive(todo.lower(), todo)]
    if rng.random() < 0.3:
        body.append(f"call back on {ctx.pii.add('phone', guest.phone)}")
    return "\n".join(body) + "\n"


def _vtt(ctx: Ctx, staff: Person, guest: Person) -> str:
    rng = ctx.rng
    turns = _dialogue(ctx, staff, [guest], lambda th: None)
    ctx.pii.add("name", staff.name, "speaker")
    ctx.pii.add("name", guest.name, "speaker")
    out, clock = ["WEBVTT", ""], rng.uniform(1, 8)
    for n, (who, text, _) in enumerate(turns, start=1):
        dur = max(1.5, len(text) / 15)
        prefix = "" if n > 1 and rng.random() < 0.1 else f"{who.name}: "
        out += [str(n), f"{_ts(clock)} --> {_ts(clock + dur)}", prefix + text, ""]
        clock += dur + rng.uniform(0.2, 2.0)
    return "\n".join(out)


def _ts(sec: float) -> str:
    ms = round(sec * 1000)
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _png(rng: random.Random) -> bytes:
    """A small PNG-like file: the real signature and IHDR chunk, then noise."""
    head = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0\x08\x06\x00\x00\x00"
    )
    return head + bytes(rng.randrange(256) for _ in range(600))
