"""Message and form exports of the generated company: Slack, SurveyMonkey, CRM notes."""

from __future__ import annotations

import csv
import io
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (HERE, ROOT / "data" / "sample"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import _noise as N  # noqa: E402
from _company import (  # noqa: E402
    CHANNELS,
    SM_ELSE,
    SM_IMPROVE,
    SM_NPS,
    START,
    WEEKS,
    Company,
    Entry,
    Passage,
    Person,
    Planned,
    _epoch,
    _mrkdwn,
    _when,
)
from _model import dump, hexid, write  # noqa: E402  (the bundled sample's writers)


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


def write_surveymonkey(company: Company, items: list[Planned], n_noise: int) -> None:
    """``surveys/product_survey.csv``: SurveyMonkey's two-header-row CSV export."""
    rng = company.rng("surveymonkey")
    # the first header row names the questions, the second the answer kinds under them
    fixed = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address",
             "Email Address", "First Name", "Last Name", "Custom Data 1"]  # fmt: skip
    rows = [
        [*fixed, SM_NPS, SM_IMPROVE, SM_ELSE],
        [*fixed, "Response", "Open-Ended Response", "Open-Ended Response"],
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
