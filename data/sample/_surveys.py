"""Survey exports: Typeform (Marketing's NPS), SurveyMonkey (Product), Qualtrics (Success).

Typeform: ``responses.json`` as ``GET /forms/{id}/responses`` returns it and ``form.json`` as
``GET /forms/{id}`` (formats.md §5 [TF-DOC][TF-RS]): answers typed by ``type``, question titles
only in the form, hidden fields ``company``/``plan``. SurveyMonkey: two header rows, CRLF,
U+00A0 and curly quotes, some Excel-serial dates [SM-OSPO]. Qualtrics: three header rows, the
third holding ``{"ImportId": ...}`` JSON, dates without a zone (the zone is in row 3), UTF-8 BOM
[QX].
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from _model import Bad, Item, Job, SourceResult, alnum, dump, rel, write
from _plan import FUNCTION_SHARES
from _world import Calendar, Ctx, Person, iso_z

FORM_ID = "nPsLm42Q"
TF_FIELDS = (  # ref, id, type, title
    (
        "nps_score",
        "Xq1nPs01AbCd",
        "opinion_scale",
        "How likely are you to recommend Lumora to a friend or colleague?",
    ),
    ("nps_reason", "Rs2nPs02EfGh", "long_text", "What's the main reason for your score?"),
    ("csat_support", "Cs3nPs03IjKl", "opinion_scale", "How satisfied are you with Lumora overall?"),
    (
        "improve",
        "Im4nPs04MnOp",
        "long_text",
        "If you could change one thing about Lumora, what would it be?",
    ),
    ("follow_up", "Fu5nPs05QrSt", "yes_no", "May we follow up with you about your feedback?"),
    ("email", "Em6nPs06UvWx", "email", "What's the best email to reach you?"),
)
NEGATIVE = {
    "churn_risk",
    "pricing_too_expensive",
    "confusing_pricing_page",
    "csv_export_failures",
    "dashboard_performance",
    "billing_invoice_issues",
}
UA = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/128.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/129.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148",
)


def _score(ctx: Ctx, lo: int, hi: int) -> int:
    """A score that agrees with the item's main theme."""
    rng, main = ctx.rng, ctx.themes[0]
    if main == "praise_positive":
        return rng.randint(hi - 1, hi)
    if main in NEGATIVE:
        return rng.randint(lo, lo + (hi - lo) * 6 // 10)
    return rng.randint(lo + (hi - lo) // 2, hi - 1)


def _answer_text(ctx: Ctx, theme: str, *, long: bool) -> str:
    rng = ctx.rng
    if not long and rng.random() < 0.35:
        parts = ctx.theme_sentences(theme, "short")
    else:
        parts = ctx.theme_sentences(theme, "customer", rng.choice((1, 1, 2)))
        if rng.random() < 0.3:
            parts += ctx.theme_sentences(theme, "detail")
    return " ".join(ctx.typo(p) for p in parts)


def write_typeform(job: Job) -> SourceResult:
    """``surveys/typeform/form.json`` and ``responses.json``."""
    world, rng = job.world, job.rng
    items = job.plan("typeform", "Marketing", "survey", job.count, Calendar(weekend=0.4))
    result, responses = SourceResult(), []
    for item in items:
        cust = rng.choice(item.account.contacts)
        ctx = item.ctx(rng, world, cust)
        token = alnum(rng, 32).lower()
        answers = []

        def ans(ref: str, typ: str, value, answers: list = answers) -> None:
            fid, ftype = next((f[1], f[2]) for f in TF_FIELDS if f[0] == ref)
            answers.append(
                {"field": {"id": fid, "type": ftype, "ref": ref}, "type": typ, typ: value}
            )

        score = _score(ctx, 0, 10)
        ans("nps_score", "number", score)
        reason = _answer_text(ctx, item.themes[0], long=rng.random() < 0.5)
        ans("nps_reason", "text", reason)
        texts = [reason]
        if rng.random() < 0.7:
            ans("csat_support", "number", max(1, min(5, score // 2)))
        if len(item.themes) > 1 or rng.random() < 0.3:
            improve = _answer_text(ctx, item.themes[-1], long=False)
            ans("improve", "text", improve)
            texts.append(improve)
        follow = rng.random() < 0.4
        ans("follow_up", "boolean", follow)
        if follow and rng.random() < 0.6:
            ans("email", "email", ctx.pii.add("email", cust.email, "answer:email"))
        submitted, ua = item.when, rng.choice(UA)
        item.native_id, item.pii, item.text = token, ctx.pii.found, "\n".join(texts)
        item.entities = ctx.marks.entities(texts)
        responses.append(
            {
                "landing_id": token,
                "token": token,
                "response_id": token,
                "response_type": "completed",
                "landed_at": iso_z(submitted - timedelta(seconds=rng.randint(40, 600))),
                "submitted_at": iso_z(submitted),
                "metadata": {
                    "user_agent": ua,
                    "platform": "mobile" if "iPhone" in ua else "other",
                    "referer": f"https://lumora.typeform.com/to/{FORM_ID}?company={item.account.slug}&plan={item.account.plan.lower()}",
                    "network_id": alnum(rng, 10).lower(),
                    "browser": "default",
                },
                "hidden": {"company": item.account.name, "plan": item.account.plan.lower()},
                "calculated": {"score": 0},
                "answers": answers,
            }
        )
    path = job.out / "surveys" / "typeform" / "responses.json"
    victims = rng.sample(range(len(responses)), job.bad_count(1) + job.bad_count(1))
    for n, v in enumerate(victims):
        r = responses[v]
        if n < job.bad_count(1):
            r["answers"] = None
            result.bad.append(
                Bad(
                    "typeform",
                    rel(job, path),
                    f"response {r['response_id']}",
                    "empty_text",
                    "answers is null (no text)",
                    r["response_id"],
                    [],
                )
            )
        else:
            desc = f"response submitted {r['submitted_at']} without response_id or token"
            for key in ("response_id", "token"):
                del r[key]
            result.bad.append(
                Bad(
                    "typeform",
                    rel(job, path),
                    desc,
                    "missing_id",
                    "response without 'response_id' (and 'token')",
                    None,
                    items[v].pii,
                )
            )
    bad = set(victims)
    result.items = [it for k, it in enumerate(items) if k not in bad]
    for it in result.items:
        it.file = rel(job, path)
    order = sorted(range(len(responses)), key=lambda k: items[k].when, reverse=True)  # newest first
    write(
        path,
        dump(
            {"total_items": len(responses), "page_count": 1, "items": [responses[k] for k in order]}
        ),
    )
    form = {
        "id": FORM_ID,
        "type": "form",
        "title": "Lumora customer pulse (NPS) – Q3 2026",
        "workspace": {"href": "https://api.typeform.com/workspaces/Lm9Wk2"},
        "settings": {
            "language": "en",
            "progress_bar": "proportion",
            "show_progress_bar": True,
            "is_public": True,
        },
        "hidden": ["company", "plan"],
        "fields": [
            {
                "id": fid,
                "title": title,
                "ref": ref,
                "type": ftype,
                "properties": (
                    {
                        "steps": 11,
                        "start_at_one": False,
                        "labels": {"left": "Not likely", "right": "Extremely likely"},
                    }
                    if ref == "nps_score"
                    else {"steps": 5, "start_at_one": True}
                    if ftype == "opinion_scale"
                    else {}
                ),
                "validations": {"required": ref in ("nps_score", "nps_reason")},
            }
            for ref, fid, ftype, title in TF_FIELDS
        ],
        "_links": {"display": f"https://lumora.typeform.com/to/{FORM_ID}"},
    }
    write(job.out / "surveys" / "typeform" / "form.json", dump(form, indent=2))
    return result


SM_META = (
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
)
SM_FEATURES = ("Dashboards", "Alerts", "CSV export", "API", "Mobile app", "Salesforce integration")
SM_SATISFACTION = ("Very dissatisfied", "Dissatisfied", "Neutral", "Satisfied", "Very satisfied")


def _sm_date(dt: datetime, serial: bool) -> str:
    if serial:  # an Excel round-trip turned these into serial numbers
        serial = (dt.replace(tzinfo=None) - datetime(1899, 12, 30)).total_seconds() / 86400
        return f"{serial:.5f}"
    return dt.strftime("%m/%d/%Y %I:%M:%S %p")


def _smart(ctx: Ctx, text: str) -> str:
    """Curly quotes and non-breaking spaces, as a Word/Excel round-trip leaves them."""
    rng, plain = ctx.rng, text
    if rng.random() < 0.3:
        text = text.replace("'", "\u2019")
    if rng.random() < 0.15:
        text = text.replace(". ", ".\u00a0", 1).replace(" ", "\u00a0", 1)
    if rng.random() < 0.1:
        return ctx.marks.derive(f"\u201c{text}\u201d", plain, 1)
    return ctx.marks.derive(text, plain)


def write_surveymonkey(job: Job) -> SourceResult:
    """``surveys/surveymonkey/product_survey.csv``."""
    world, rng = job.world, job.rng
    items = job.plan("surveymonkey", "Product", "survey", job.count, Calendar(weekend=0.3))
    q_feat = "Which Lumora features does your team use most?"
    q_sat = "Overall, how satisfied are you with Lumora?"
    q_wish = "What is the one feature you wish Lumora had?"
    q_else = "Anything else you would like to tell the product team?"
    row1 = [*SM_META, q_feat] + [""] * len(SM_FEATURES) + [q_sat, q_wish, q_else]
    row2 = [
        *SM_META,
        *SM_FEATURES,
        "Other (please specify)",
        "Response",
        "Open-Ended Response",
        "Open-Ended Response",
    ]
    rows, result = [], SourceResult()
    rid = 114325600000
    for item in items:
        rid += rng.randint(11, 4000)
        cust = rng.choice(item.account.contacts)
        ctx = item.ctx(rng, world, cust)
        start = item.when - timedelta(seconds=rng.randint(60, 900))
        named = rng.random() < 0.4
        email = ctx.pii.add("email", cust.email, "column:Email Address") if named else ""
        if named:
            ctx.pii.add("name", cust.first, "column:First Name")
            ctx.pii.add("name", cust.last, "column:Last Name")
        feats = [f if rng.random() < 0.4 else "" for f in SM_FEATURES]
        other = rng.choice(("", "", "", "", "Funnels", "Cohorts", "Scheduled reports"))
        wish = _smart(ctx, _answer_text(ctx, item.themes[0], long=rng.random() < 0.4))
        extra = (
            _smart(ctx, _answer_text(ctx, item.themes[-1], long=False))
            if len(item.themes) > 1
            else ""
        )
        sat = SM_SATISFACTION[min(4, _score(ctx, 0, 10) // 2)]
        excel = rng.random() < 0.15
        rows.append(
            [
                str(rid),
                "431298765",
                _sm_date(start, excel),
                _sm_date(item.when, excel),
                f"203.0.113.{rng.randint(2, 250)}",
                email,
                cust.first if named else "",
                cust.last if named else "",
                item.account.name,
                *feats,
                other,
                sat,
                wish,
                extra,
            ]
        )
        item.native_id, item.pii, item.text = (
            str(rid),
            ctx.pii.found,
            "\n".join(t for t in (wish, extra) if t),
        )
        item.entities = ctx.marks.entities([wish, extra])
    path = job.out / "surveys" / "surveymonkey" / "product_survey.csv"
    bad = set(rng.sample(range(len(rows)), job.bad_count(2)))
    for v in sorted(bad):
        rows[v] = rows[v][:-3]  # a hand-edited row that lost its last cells
        result.bad.append(
            Bad(
                "surveymonkey",
                rel(job, path),
                f"respondent {items[v].native_id} (data row {v + 1})",
                "wrong_column_count",
                "row with 3 cells fewer than the header",
                items[v].native_id,
                items[v].pii,
            )
        )
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows([row1, row2, *rows])
    write(path, buf.getvalue())
    for k, it in enumerate(items):
        if k not in bad:
            it.file = rel(job, path)
            result.items.append(it)
    return result


QX_META = (
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "LocationLatitude",
    "LocationLongitude",
    "DistributionChannel",
    "UserLanguage",
)
QX_LABELS = (
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient First Name",
    "Recipient Email",
    "External Data Reference",
    "Location Latitude",
    "Location Longitude",
    "Distribution Channel",
    "User Language",
)
QX_IMPORT = (
    "startDate",
    "endDate",
    "status",
    "ipAddress",
    "progress",
    "duration",
    "finished",
    "recordedDate",
    "_recordId",
    "recipientLastName",
    "recipientFirstName",
    "recipientEmail",
    "externalDataReference",
    "locationLatitude",
    "locationLongitude",
    "distributionChannel",
    "userLanguage",
)
QX_TZ = "America/Denver"
SESSIONS = ("Kickoff call", "Admin setup", "Dashboard workshop", "Office hours")
BAD_BYTE = "\ue000"  # replaced by a lone Latin-1 byte after encoding


def write_qualtrics(job: Job) -> SourceResult:
    """``surveys/qualtrics/onboarding_csat.csv``: the onboarding satisfaction survey."""
    world, rng = job.world, job.rng
    shares = dict(FUNCTION_SHARES["Success"], onboarding_training_gaps=16)
    items = job.plan("qualtrics", "Success", "survey", job.count, Calendar(weekend=0.2), shares)
    tz = ZoneInfo(QX_TZ)
    q = [
        (
            "Q1",
            "How satisfied are you with your onboarding to Lumora? "
            "(1 = very dissatisfied, 5 = very satisfied)",
            "QID1",
        ),
        ("Q2", "What went well during your onboarding?", "QID2_TEXT"),
        ("Q3", "What could we have done better?", "QID3_TEXT"),
        ("Q4", "Which onboarding sessions did you attend? - Selected Choice", "QID4"),
        ("Company", "Company", "Company"),
        ("CSM", "CSM", "CSM"),
    ]
    header = [
        [*QX_META, *(c[0] for c in q)],
        [*QX_LABELS, *(c[1] for c in q)],
        [
            json.dumps({"ImportId": i, "timeZone": QX_TZ}, separators=(",", ":"))
            if i in ("startDate", "endDate", "recordedDate")
            else json.dumps({"ImportId": i}, separators=(",", ":"))
            for i in (*QX_IMPORT, *(c[2] for c in q))
        ],
    ]
    rows, result = [], SourceResult()
    csms = world.staff["Success"]
    for item in items:
        cust: Person = rng.choice(item.account.contacts)
        csm = rng.choice(csms)
        ctx = item.ctx(rng, world, cust, csm)
        ctx.pii.add("name", csm.name, "column:CSM")
        end = item.when.astimezone(tz).replace(tzinfo=None)
        dur = rng.randint(45, 900)
        email = rng.random() < 0.5
        if email:
            ctx.pii.add("name", cust.last, "column:RecipientLastName")
            ctx.pii.add("name", cust.first, "column:RecipientFirstName")
            ctx.pii.add("email", cust.email, "column:RecipientEmail")
        improve = _answer_text(ctx, item.themes[0], long=rng.random() < 0.5)
        went_well = ""
        if rng.random() < 0.55:
            went_well = _answer_text(ctx, "praise_positive", long=False)
            if "praise_positive" not in item.themes:
                item.themes.append("praise_positive")
        if len(item.themes) > 1 and item.themes[1] != "praise_positive":
            improve += " " + _answer_text(ctx, item.themes[1], long=False)
        rid = "R_" + alnum(rng, 15)
        rows.append(
            [
                f"{end - timedelta(seconds=dur):%Y-%m-%d %H:%M:%S}",
                f"{end:%Y-%m-%d %H:%M:%S}",
                "0",
                f"203.0.113.{rng.randint(2, 250)}",
                "100",
                str(dur),
                "1",
                f"{end:%Y-%m-%d %H:%M:%S}",
                rid,
                cust.last if email else "",
                cust.first if email else "",
                cust.email if email else "",
                item.account.ids["salesforce"],
                "",
                "",
                "email" if email else "anonymous",
                "EN",
                str(_score(ctx, 1, 5)),
                went_well,
                improve,
                ",".join(s for s in SESSIONS if rng.random() < 0.5),
                item.account.name,
                csm.name,
            ]
        )
        item.native_id, item.pii, item.text = (
            rid,
            ctx.pii.found,
            "\n".join(t for t in (went_well, improve) if t),
        )
        item.entities = ctx.marks.entities([went_well, improve])
    path = job.out / "surveys" / "qualtrics" / "onboarding_csat.csv"
    n_utf, n_empty = job.bad_count(1), job.bad_count(1)
    victims = rng.sample(range(len(rows)), n_utf + n_empty)
    for n, v in enumerate(victims):
        row = rows[v]
        if n < n_utf:
            row[19] = (
                row[19] or "The kickoff was clear."
            ) + f" Ren{BAD_BYTE}e from your team was great."
            result.bad.append(
                Bad(
                    "qualtrics",
                    rel(job, path),
                    f"response {row[8]}",
                    "invalid_utf8",
                    "a Latin-1 byte (0xE9) in the Q3 text",
                    row[8],
                    [*items[v].pii, ("name", "Renée", "text")],
                )
            )
        else:
            row[4], row[6], row[18], row[19], row[20] = "35", "0", "", "", ""
            result.bad.append(
                Bad(
                    "qualtrics",
                    rel(job, path),
                    f"response {row[8]}",
                    "empty_text",
                    "unfinished response with no free text",
                    row[8],
                    items[v].pii,
                )
            )
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([*header, *rows])
    data = "\ufeff".encode() + buf.getvalue().encode("utf-8").replace(BAD_BYTE.encode(), b"\xe9")
    write(path, data)
    bad = set(victims)
    for k, it in enumerate(items):
        if k not in bad:
            it.file = rel(job, path)
            result.items.append(it)
    return result


def _unused(_: Item) -> None:  # keeps the import list honest for type checkers
    return None
