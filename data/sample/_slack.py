"""A Slack workspace export: ``channels.json``, ``users.json`` and ``<channel>/<YYYY-MM-DD>.json``.

Follows formats.md §4 [SEV][ZU]: ``ts`` strings, mrkdwn with ``<@U…>`` mentions, ``<url|label>``
links and ``&amp;`` escapes, the same content repeated as ``rich_text`` blocks, threads by
``thread_ts`` (replies may sit in a later day file), ``channel_join`` noise, a ``bot_message`` with
its content in ``attachments``, and a shared channel ``ext-acme`` whose customer-side members
carry a foreign ``user_team``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from _model import Bad, Item, Job, SourceResult, alnum, dump, hexid, rel, uuid4, write
from _world import SLACK_EMOJI, Calendar, Person, epoch

TEAM, EXT_TEAM = "T05LUM0RA", "T07ACMELG"
EXT_ACCOUNT = "Acme Logistics"
CHANNELS = (  # name, function, share of messages, purpose
    (
        "product-feedback",
        "Product",
        110,
        "Customer feedback and feature requests for the product team",
    ),
    ("sales-deals", "Sales", 80, "Deal updates, competitive intel, pricing questions"),
    ("cs-escalations", "Success", 80, "Escalations and at-risk accounts"),
    ("marketing", "Marketing", 60, "Campaigns, NPS, reviews, website"),
    ("support-team", "Support", 75, "Support team chatter, bugs, hand-offs"),
    ("ext-acme", "Success", 55, "Shared channel with Acme Logistics"),
)
ACKS = (
    "on it",
    "looking now",
    "thanks for flagging!",
    "I'll raise it in triage tomorrow",
    "ack, will update the ticket",
    "noted, adding to the board",
    "checking with eng",
    "good catch",
    "can you add the details to the doc?",
    "ty, following up today",
)
AMP = (
    " (raised during the Q&A)",
    " (their R&D lead flagged it)",
    " (came up in their P&L review)",
    " (Ops & Finance both on the call)",
    " (they want it before the S&OP meeting)",
)
LINKS = {
    "support-team": ("https://lumora.zendesk.com/agent/tickets/{n}", "#{n}"),
    "cs-escalations": ("https://app.lumora.example.com/accounts/{n}/health", "health score"),
    "sales-deals": ("https://us-49713.app.gong.io/call?id={n}", "call recording"),
    "product-feedback": ("https://tracker.lumora.example.com/browse/LUM-{n}", "LUM-{n}"),
    "marketing": (
        "https://www.lumora.example.com/pricing?utm_source=nps&utm_medium={n}",
        "pricing",
    ),
    "ext-acme": ("https://help.lumora.example.com/articles/{n}", "this article"),
}


def _uid(rng: random.Random) -> str:
    return "U0" + alnum(rng, 8).upper()


def _render(segs: list[tuple]) -> tuple[str, list[dict]]:
    """mrkdwn text and the equivalent rich_text elements for a list of segments."""
    text, elements = [], []
    for seg in segs:
        kind = seg[0]
        if kind == "text":
            text.append(seg[1].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
            elements.append({"type": "text", "text": seg[1]})
        elif kind == "user":
            text.append(f"<@{seg[1]}>")
            elements.append({"type": "user", "user_id": seg[1]})
        elif kind == "link":
            text.append(f"<{seg[1]}|{seg[2]}>")
            elements.append({"type": "link", "url": seg[1], "text": seg[2]})
        elif kind == "emoji":
            text.append(f":{seg[1]}:")
            elements.append({"type": "emoji", "name": seg[1]})
        else:  # broadcast
            text.append(f"<!{seg[1]}>")
            elements.append({"type": "broadcast", "range": seg[1]})
    return "".join(text), elements


def _user(p: Person, uid: str, team: str, rng: random.Random, *, admin: bool = False) -> dict:
    uk = p.phone.startswith(("+44", "020"))
    name = (p.first + "." + p.last).lower()
    return {
        "id": uid,
        "team_id": team,
        "name": name,
        "deleted": False,
        "color": hexid(rng, 6),
        "real_name": p.name,
        "tz": "Europe/London" if uk else "America/New_York",
        "tz_label": "British Summer Time" if uk else "Eastern Daylight Time",
        "tz_offset": 3600 if uk else -14400,
        "profile": {
            "title": p.title,
            "phone": p.phone,
            "skype": "",
            "real_name": p.name,
            "real_name_normalized": p.name,
            "display_name": p.first.lower(),
            "display_name_normalized": p.first.lower(),
            "fields": None,
            "status_text": "",
            "status_emoji": "",
            "avatar_hash": hexid(rng, 12),
            "email": p.email,
            "first_name": p.first,
            "last_name": p.last,
            "image_72": f"https://avatars.slack-edge.com/2026-01-12/{hexid(rng, 10)}_72.png",
            "team": team,
        },
        "is_admin": admin,
        "is_owner": admin,
        "is_primary_owner": admin,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": False,
        "is_app_user": False,
        "updated": 1767225600,
    }


def write_slack(job: Job) -> SourceResult:
    """``slack/``: the workspace export."""
    world, rng = job.world, job.rng
    folder = job.out / "slack"
    total = sum(c[2] for c in CHANNELS)
    people: dict[str, Person] = {}
    users: list[dict] = []
    staff_ids: dict[str, list[str]] = {}
    for function, members in world.staff.items():
        for p in members:
            uid = p.ids.setdefault("slack", _uid(rng))
            people[uid] = p
            staff_ids.setdefault(function, []).append(uid)
            users.append(_user(p, uid, TEAM, rng, admin=p is world.staff["Product"][0]))
    acme = world.account_by_name[EXT_ACCOUNT]
    ext_ids = []
    for p in acme.contacts:
        uid = p.ids.setdefault("slack", _uid(rng))
        people[uid] = p
        ext_ids.append(uid)
        users.append(_user(p, uid, EXT_TEAM, rng))
    bot_uid, bot_id = "U05FEEDB0T", "B05FEEDB0T"
    users.append(
        {
            "id": bot_uid,
            "team_id": TEAM,
            "name": "feedbot",
            "deleted": False,
            "real_name": "Feedback Bot",
            "profile": {
                "bot_id": bot_id,
                "real_name": "Feedback Bot",
                "display_name": "",
                "api_app_id": "A05FEEDAPP",
                "always_active": True,
                "team": TEAM,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": True,
            "is_app_user": False,
            "updated": 1767225600,
        }
    )
    result = SourceResult()
    channels_json, day_files = [], defaultdict(list)
    created = int(datetime(2025, 9, 1, tzinfo=UTC).timestamp())
    for ci, (name, function, share, purpose) in enumerate(CHANNELS):
        n = max(3, round(job.count * share / total))
        n_top = max(2, round(n * 0.65))
        cal = Calendar(
            weekend=0.1, week_weights={"2026-W38": 1.3} if name == "support-team" else None
        )
        tops = job.plan("slack", function, "message", n_top, cal)
        for it in tops:  # chat messages are short: at most two themes
            del it.themes[2:]
        if name == "ext-acme":
            for it in tops:
                it.account = acme
        if job.leaks and function == "Success":
            job.leak(tops)
        members = staff_ids[function] + (ext_ids if name == "ext-acme" else [])
        if name == "ext-acme":
            members = staff_ids["Success"][:3] + ext_ids
        cid = "C0" + alnum(rng, 8).upper()
        channels_json.append(
            {
                "id": cid,
                "name": name,
                "created": str(created + ci * 86400) if ci == 2 else created + ci * 86400,
                "creator": members[0],
                "is_archived": False,
                "is_general": False,
                "members": sorted(members),
                "pins": [],
                "topic": {"value": "", "creator": "", "last_set": 0},
                "purpose": {
                    "value": purpose,
                    "creator": members[0],
                    "last_set": created + ci * 86400,
                },
            }
        )
        seen: set[str] = set()

        def stamp(when: datetime, seen: set[str] = seen) -> str:
            ts = f"{epoch(when)}.{rng.randint(0, 999999):06d}"
            while ts in seen:
                ts = f"{epoch(when)}.{rng.randint(0, 999999):06d}"
            seen.add(ts)
            return ts

        msgs: list[tuple[dict, Item | None]] = []
        for uid in members[: max(1, round(len(members) * 0.4))]:  # a few join events
            when = cal.sample(rng, 1)[0]
            msgs.append(
                (
                    {
                        "type": "message",
                        "subtype": "channel_join",
                        "ts": stamp(when),
                        "user": uid,
                        "text": f"<@{uid}> has joined the channel",
                    },
                    None,
                )
            )
            result.skipped += 1
        speakers_int = staff_ids[function] if name != "ext-acme" else staff_ids["Success"][:3]
        parents = []
        for it in tops:
            external = name == "ext-acme" and rng.random() < 0.7
            uid = rng.choice(ext_ids if external else speakers_int)
            bot = name in ("product-feedback", "marketing") and rng.random() < 0.12
            msg, ctx = _message(rng, job, it, name, uid, people, staff_ids, external, bot)
            msg["ts"] = stamp(it.when)
            if bot:
                msg.update(bot_id=bot_id, username="Feedback Bot")
            it.native_id, it.pii = f"{cid}:{msg['ts']}", ctx.pii.found
            it.account_field = False
            it.extra = {"slack_channel": name, "ts": msg["ts"]}
            msgs.append((msg, it))
            if not bot:
                parents.append((msg, it, uid))
        n_replies = n - n_top
        threads = rng.sample(parents, min(len(parents), max(1, round(len(parents) * 0.4))))
        replies_by_parent: dict[str, list] = defaultdict(list)
        for _ in range(n_replies):
            pmsg, pit, puid = rng.choice(threads)
            when = datetime.fromtimestamp(float(pmsg["ts"]), UTC) + timedelta(
                minutes=rng.randint(2, 2600)
            )
            kind = rng.choices(("same", "answer", "ack"), (0.35, 0.4, 0.25))[0]
            themes = [] if kind == "ack" else [pit.themes[0]]
            acct = (
                acme
                if name == "ext-acme"
                else (pit.account if kind == "answer" else world.pick_account(rng))
            )
            rit = Item("slack", function, "message", when, themes, acct)
            if name == "ext-acme":
                external = puid not in ext_ids and kind != "ack"
                ruid = rng.choice(ext_ids if external else staff_ids["Success"][:3])
            else:
                external = False
                ruid = rng.choice([u for u in speakers_int if u != puid] or speakers_int)
            msg, ctx = _reply(rng, job, rit, name, ruid, people, kind, external)
            msg.update(ts=stamp(when), thread_ts=pmsg["ts"], parent_user_id=puid)
            rit.native_id, rit.pii = f"{cid}:{msg['ts']}", ctx.pii.found
            rit.account_field = False
            rit.extra = {"slack_channel": name, "ts": msg["ts"], "thread_ts": pmsg["ts"]}
            replies_by_parent[pmsg["ts"]].append(msg)
            msgs.append((msg, rit))
        for pmsg, pit, _ in parents:
            reps = sorted(replies_by_parent.get(pmsg["ts"], []), key=lambda m: m["ts"])
            if reps:
                pit.extra["thread_ts"] = pmsg["ts"]
                pmsg.update(
                    thread_ts=pmsg["ts"],
                    reply_count=len(reps),
                    reply_users_count=len({r["user"] for r in reps}),
                    latest_reply=reps[-1]["ts"],
                    reply_users=sorted({r["user"] for r in reps}),
                    replies=[{"user": r["user"], "ts": r["ts"]} for r in reps],
                    is_locked=False,
                    subscribed=False,
                )
        for msg, it in msgs:
            day = datetime.fromtimestamp(float(msg["ts"]), UTC).strftime("%Y-%m-%d")
            day_files[(name, day)].append((msg, it))
    for entries in day_files.values():
        entries.sort(key=lambda e: float(e[0]["ts"]))
    _break(job, day_files, result)
    for (name, day), entries in sorted(day_files.items()):
        path = folder / name / f"{day}.json"
        text = dump([m for m, _ in entries], indent=4)
        truncated = [e for e in entries if e[0].get("_truncate")]
        if truncated:
            for m, _ in entries:
                m.pop("_truncate", None)
            text = dump([m for m, _ in entries], indent=4)
            cut = text.rfind("\n    {")
            text = text[: cut + (len(text) - cut) // 2]
        write(path, text)
        for m, it in entries:
            if (
                it is not None
                and it.native_id
                and m.get("ts")
                and not any(m is t[0] for t in truncated)
            ):
                it.file = rel(job, path)
                result.items.append(it)
    # The connector yields one record per thread or standalone message.
    result.notes["thread_records"] = sum(
        1 for it in result.items if it.extra.get("thread_ts", it.extra["ts"]) == it.extra["ts"]
    )
    write(folder / "channels.json", dump(channels_json, indent=4))
    write(folder / "users.json", dump(users, indent=4))
    return result


def _break(job: Job, day_files: dict, result: SourceResult) -> None:
    """Truncate the last message of some day files, drop ``ts`` from some messages."""
    rng = job.rng
    simple = lambda e: e[1] is not None and "thread_ts" not in e[0]  # noqa: E731
    keys = [
        k
        for k, v in sorted(day_files.items())
        if len(v) >= 3 and simple(max(v, key=lambda e: float(e[0]["ts"])))
    ]
    for key in rng.sample(keys, min(len(keys), job.bad_count(1))):
        entries = day_files[key]
        last = entries[-1]
        last[0]["_truncate"] = True
        result.bad.append(
            Bad(
                "slack",
                f"slack/{key[0]}/{key[1]}.json",
                f"message {len(entries) - 1} (end of file)",
                "truncated_json",
                "day file cut off in the middle of its last message",
                last[1].native_id,
                last[1].pii,
            )
        )
    keys = [
        k
        for k, v in sorted(day_files.items())
        if k[0] != "ext-acme"
        and not any(e[0].get("_truncate") for e in v)
        and any(simple(e) for e in v[:-1])
    ]
    for key in rng.sample(keys, min(len(keys), job.bad_count(1))):
        entries = day_files[key]
        pos = next(i for i, e in enumerate(entries[:-1]) if simple(e))
        msg, it = entries[pos]
        result.bad.append(
            Bad(
                "slack",
                f"slack/{key[0]}/{key[1]}.json",
                f"message {pos}",
                "missing_ts",
                "message without a 'ts' field",
                None,
                it.pii,
            )
        )
        del msg["ts"]


def _message(
    rng,
    job: Job,
    it: Item,
    channel: str,
    uid: str,
    people: dict,
    staff_ids: dict,
    external: bool,
    bot: bool,
):
    author = people.get(uid)
    cust = rng.choice(it.account.contacts)
    ctx = it.ctx(rng, job.world, cust, author if not external else None)
    if bot:
        quote = ctx.typo(ctx.theme_sentences(it.themes[0], "customer")[0], 0.1)
        if channel == "marketing":
            pre, title = (
                "New customer review :star:",
                f"{rng.randint(2, 5)}/5 from a {it.account.size} customer",
            )
        else:
            pre, title = (
                "New feature request from the in-app widget",
                f"{it.account.name} ({it.account.plan})",
            )
        it.text = quote
        it.entities = ctx.marks.entities([quote])
        msg = {
            "type": "message",
            "subtype": "bot_message",
            "text": "",
            "ts": "",
            "attachments": [
                {
                    "id": 1,
                    "color": "36a64f",
                    "fallback": f"{pre}: {quote}",
                    "pretext": pre,
                    "title": title,
                    "text": quote,
                    "footer": "Lumora feedback widget",
                }
            ],
        }
        return msg, ctx
    segs: list[tuple] = []
    if external:
        paras = ctx.customer_body(long=rng.random() < 0.4)
        if rng.random() < 0.25:
            segs.append(("user", rng.choice(staff_ids["Success"][:3])))
            segs.append(("text", " "))
        segs.append(("text", "\n".join(paras)))
        if rng.random() < 0.08:
            segs.append(("text", f" — or call me on {ctx.pii.add('phone', cust.phone)}"))
    else:
        if rng.random() < 0.2:
            segs.append(
                (
                    "text",
                    f"Talked to {ctx.pii.add('name', cust.name)} ({cust.title}) "
                    f"at {it.account.name}: ",
                )
            )
        elif rng.random() < 0.2:
            segs.append(("text", rng.choice(("FYI ", "Heads up: ", "Quick one: ", "PSA: "))))
        if rng.random() < 0.07:
            segs.insert(0, ("broadcast", "here"))
            segs.insert(1, ("text", " "))
        segs.append(("text", ctx.internal_text()))
        if rng.random() < 0.1:
            segs.append(("text", rng.choice(AMP)))
        if rng.random() < 0.35:
            url, label = LINKS[channel]
            n = rng.randint(18000, 19999) if channel == "support-team" else rng.randint(1000, 9999)
            segs.append(("text", " "))
            segs.append(("link", url.format(n=n), label.format(n=n)))
        if rng.random() < 0.3:
            segs.append(("text", " cc "))
            segs.append(("user", rng.choice([u for u in staff_ids["Product"] if u != uid])))
    if rng.random() < 0.15:
        segs.append(("text", " "))
        segs.append(("emoji", rng.choice(SLACK_EMOJI).strip(":")))
    it.entities = ctx.marks.entities([seg[1] for seg in segs if seg[0] == "text"])
    return _msg(rng, uid, segs, people, external, it), ctx


def _reply(
    rng, job: Job, it: Item, channel: str, uid: str, people: dict, kind: str, external: bool
):
    cust = rng.choice(it.account.contacts)
    ctx = it.ctx(rng, job.world, cust, people.get(uid))
    if kind == "ack":
        segs = [("text", rng.choice(ACKS))]
        if rng.random() < 0.5:
            segs += [("text", " "), ("emoji", rng.choice(SLACK_EMOJI).strip(":"))]
    elif external:
        segs = [("text", " ".join(ctx.customer_body(long=False)))]
    elif kind == "same":
        prefix = rng.choice(("+1, ", "Same here: ", "Seeing this too. ", "Another one: ", ""))
        segs = [("text", prefix + ctx.internal_text())]
    else:
        voice = "reply" if channel == "ext-acme" else "internal"
        segs = [("text", " ".join(ctx.theme_sentences(it.themes[0], voice)))]
    it.entities = ctx.marks.entities([seg[1] for seg in segs if seg[0] == "text"])
    return _msg(rng, uid, segs, people, external, it), ctx


def _msg(rng, uid: str, segs: list[tuple], people: dict, external: bool, it: Item) -> dict:
    text, elements = _render(segs)
    it.text = text
    p = people[uid]
    team = EXT_TEAM if external else TEAM
    msg = {
        "client_msg_id": uuid4(rng),
        "type": "message",
        "text": text,
        "user": uid,
        "ts": "",
        "blocks": [
            {
                "type": "rich_text",
                "block_id": alnum(rng, 5),
                "elements": [{"type": "rich_text_section", "elements": elements}],
            }
        ],
        "team": team,
        "user_team": team,
        "source_team": team,
        "user_profile": {
            "avatar_hash": hexid(rng, 12),
            "first_name": p.first,
            "real_name": p.name,
            "display_name": p.first.lower(),
            "team": team,
            "name": (p.first + "." + p.last).lower(),
            "is_restricted": False,
            "is_ultra_restricted": False,
        },
    }
    if rng.random() < 0.2:
        msg["reactions"] = [
            {
                "name": rng.choice(("eyes", "+1", "pray", "white_check_mark")),
                "users": [uid],
                "count": 1,
            }
        ]
    if rng.random() < 0.05:
        msg["edited"] = {"user": uid, "ts": f"{int(it.when.timestamp()) + 120}.000000"}
    return msg
