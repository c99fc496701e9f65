"""The report's outputs, probed as an attacker would: CSV formulas, Slack pings and unfurls,
personal data in native ids and file names, the store's lock, and a disk that fills up."""

from __future__ import annotations

import errno
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from silobridge.errors import StoreError, StoreLockedError
from silobridge.pipeline.classify import ClassifyStage, run_classify
from silobridge.pipeline.discover import DiscoverStage, run_discover
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.report import build_report, run_report, write_report
from silobridge.pipeline.report.build import TABLES
from silobridge.pipeline.report.html import md, render_digests
from silobridge.pipeline.report.safety import (
    FORMULA_START,
    csv_cell,
    csv_formula_cells,
    csv_safe,
    safe_account,
    safe_reference,
)
from silobridge.pipeline.store import Store
from silobridge.pipeline.understand import UnderstandStage, run_understand
from silobridge.taxonomy import load_taxonomy

from ...conftest import TAXONOMY, make_source

#: Planted in native ids, file names and accounts; none may reach the report.
PERSONAL_IDS = ["maria.gonzalez", "example.com", "Maria Gonzalez", "415 555 01", "4155550"]
FORMULAS = [
    '=HYPERLINK("http://evil.example/x","click me")',
    "=cmd|' /C calc'!A0",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]
SLACK = (
    "@channel look <!here> <!channel> <@U024BE7LH> <#C024BE7LH> @everyone @dana "
    "https://evil.example/login?x=1 www.evil.example"
)
SSO = [
    "SSO login fails with an invalid SAML assertion for our users.",
    "Okta sign-in loops back to the login page again.",
    "Our team cannot log in through single sign-on since this morning.",
]
DISCOUNT = [
    "Datawise offered us 40% off and a free migration.",
    "The competitor is undercutting you with a big discount.",
    "Datawise's proposal is much cheaper, we are considering it.",
]
BILLING = ["We were charged twice on the last invoice.", "The invoice total looks wrong."]


def _native_id(i: int) -> str:
    """Support's SSO items get ids that name someone; the others opaque ids or formulas."""
    if i % 3 == 0:
        return [
            f"maria.gonzalez{i}@example.com",
            f"+1 415 555 01{i:02d}",
            f"Maria Gonzalez {i}",
            f"4155550{i:03d}",
        ][(i // 3) % 4]
    return FORMULAS[i % 5] + str(i) if i % 4 == 1 else f"r{i}"


@pytest.fixture(scope="module")
def safety_store(tmp_path_factory, embedder) -> Path:
    """The shape of test_report's store (Support hears SSO failures, Sales a competitor's
    discount), its texts, accounts and ids full of formulas, Slack mentions, URLs and personal
    data, plus call notes whose file names hold a name and a phone number."""
    root = tmp_path_factory.mktemp("safety")
    lines = []
    day = pd.Timestamp("2026-08-03", tz="UTC")
    for i in range(48):
        week = i % 8
        if i % 3 == 0:
            fn, text = "Support", SSO[i % 3 if i % 2 else (i // 3) % 3]
        elif i % 3 == 1:
            fn, text = "Sales", DISCOUNT[(i // 3) % 3]
        else:
            fn, text = ("Support" if i % 2 else "Sales"), BILLING[i % 2]
        if i % 6 == 0:
            text = f"{FORMULAS[i % 5]} {text}"
        if i % 6 == 3:
            text = f"{text} {SLACK}"
        account = [*FORMULAS, "maria.gonzalez@example.com", "\tTab Corp", "Acme"][i % 8]
        lines.append({"id": _native_id(i), "body": text, "team": fn, "org": account,
                      "at": (day + pd.Timedelta(days=7 * week + i % 5)).isoformat()})  # fmt: skip
    export = root / "feedback.jsonl"
    export.write_text("".join(json.dumps(x) + "\n" for x in lines))
    notes = root / "notes"
    notes.mkdir()
    for k in range(6):
        name = f"2026-08-{3 + 7 * (k % 4):02d} call with Maria Gonzalez +1 415 555 01{k:02d}.md"
        (notes / name).write_text(
            f"---\nfunction: Support\naccount: Acme\n---\n{SSO[k % 3]} {SLACK}\n", encoding="utf-8"
        )
    store = root / "store"
    feedback = make_source(
        "jsonl", export, name="feedback", channel="note",
        mapping={"native_id": "id", "text": "body", "created_at": "at", "function": "team",
                 "account": "org"},
    )  # fmt: skip
    run_ingest(store, [feedback, make_source("notes", notes, name="calls")])
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    run_classify(store, stage=ClassifyStage(taxonomy=TAXONOMY, embedder=embedder))
    run_discover(store, stage=DiscoverStage(min_size=3))
    run_report(store, taxonomy=load_taxonomy(TAXONOMY))
    return store


def _latest(store: Path) -> Path:
    return store / "reports" / "latest"


# ------------------------------------------------------------------------------------- CSV


def test_csv_cell_quotes_what_a_spreadsheet_would_run():
    for start in FORMULA_START:
        assert csv_cell(f"{start}1+1") == f"'{start}1+1"
    assert csv_cell("Acme") == "Acme" and csv_cell(-0.5) == -0.5 and csv_cell(None) is None
    frame = pd.DataFrame({"text": ["=1+1", "ok", None], "z": [-1.5, 2.0, -3.0]})
    safe = csv_safe(frame)
    assert safe["text"].tolist()[:2] == ["'=1+1", "ok"] and safe["z"].tolist() == [-1.5, 2, -3]
    assert frame["text"][0] == "=1+1"  # the frame itself is left as it was


def test_csv_formula_cells_finds_formulas_and_lets_numbers_be(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"a": ["=cmd|x", "'=ok", "\tx", "-2+3"], "z": [-1.5, 1e-9, -3, 0]}).to_csv(
        path, index=False
    )
    assert [(line, col) for line, col, _ in csv_formula_cells(path)] == [
        (2, "a"),
        (4, "a"),
        (5, "a"),
    ]
    broken = tmp_path / "broken.csv"  # a CR left unquoted inside a cell starts a row
    broken.write_bytes(b"a,n\nok\r=cmd|x,1\n")
    assert csv_formula_cells(broken) == [(3, "a", "=cmd|x")]


def test_no_csv_cell_of_the_report_starts_a_formula(safety_store):
    tables = _latest(safety_store) / "tables"
    csvs = sorted(tables.glob("*.csv"))
    assert len(csvs) == len(TABLES)
    for path in csvs:
        assert csv_formula_cells(path) == [], path.name
    # the payloads did reach the tables: quoted in the CSV, true values in Parquet and JSON
    evidence = pd.read_parquet(tables / "evidence.parquet")
    starts = evidence["text"].str[:1].tolist() + evidence["account"].dropna().str[:1].tolist()
    assert {"=", "@"} <= set(starts)
    as_json = pd.read_json(tables / "evidence.json", orient="records")
    # (an account that is not a company is a pseudonym: of the formula accounts, those with a
    # digit have an organisation's shape and stay as they are)
    assert as_json["account"].dropna().str[:1].isin(["=", "@"]).any()
    raw = (tables / "evidence.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in raw and "'=cmd|" in raw and "'@SUM(" in raw
    # numbers stay numbers: negative log-odds are written as they are
    spots = pd.read_csv(tables / "blind_spots.csv")
    assert (spots["log_odds"] < 0).any() and spots["log_odds"].dtype == float


def test_every_formula_start_is_quoted_in_csv_only(safety_store, tmp_path):
    report = build_report(safety_store, taxonomy=load_taxonomy(TAXONOMY))
    ev = report.tables["evidence"]
    # a line break inside a cell must not start a row whose first cell is a formula
    payloads = [*FORMULAS, "\tx=1+1", "\rx=1+1", "ok\r=cmd|' /C calc'!A0", "ok\n=1+1"]
    ev["text"] = [payloads[i % len(payloads)] for i in range(len(ev))]
    ev["account"] = [payloads[(i + 3) % len(payloads)] for i in range(len(ev))]
    report.tables["themes"]["name"] = "-2+3+cmd|' /C calc'!A0"
    tables = write_report(report, tmp_path, report_id="r1") / "tables"
    for path in tables.glob("*.csv"):
        assert csv_formula_cells(path) == [], path.name
    as_csv = pd.read_csv(tables / "evidence.csv", keep_default_na=False)
    assert set(as_csv["text"]) == {csv_cell(p) for p in payloads} and len(payloads) <= len(ev)
    for ext in ("parquet", "json"):
        read = pd.read_parquet if ext == "parquet" else pd.read_json
        assert read(tables / f"evidence.{ext}")["text"].tolist() == ev["text"].tolist()


# ---------------------------------------------------------------------------------- digests


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@here and @channel", "\uff20here and \uff20channel"),
        ("<!here> <!everyone>", "\\<\uff01here\\> \\<\uff01everyone\\>"),
        ("<@U024BE7LH|bob> <#C1>", "\\<\uff20U024BE7LH\\|bob\\> \\<\uff03C1\\>"),
        ("<!subteam^S1|@team>", "\\<\uff01subteam^S1\\|\uff20team\\>"),
        ("see https://evil.example/a?b=1.", "see `https://evil.example/a?b=1`."),
        ("(www.evil.example) or evil.example", "(`www.evil.example`) or `evil.example`"),
        ("[x](http://e.example)", "\\[x\\](`http://e.example`)"),
        ("http://e.example/`a`", "`http://e.example/`\\`a\\`"),
        ("v2.0 costs 3.5 GB, e.g. today", "v2.0 costs 3.5 GB, e.g. today"),
    ],
)
def test_md_pings_no_one_and_links_nothing(text, expected):
    assert md(text) == expected


def _outside_code(text: str) -> str:
    return re.sub(r"`[^`\n]*`", "", text)


def _assert_inert(digest: str) -> None:
    assert "@" not in digest, "an ASCII @ could mention someone"
    for token in ("<!", "<@", "<#"):
        assert token not in digest
    plain = _outside_code(digest)
    assert "://" not in plain and "www." not in plain and "evil.example" not in plain


def test_digests_ping_no_one_and_unfurl_nothing(safety_store):
    digests = sorted((_latest(safety_store) / "digest").glob("*.md"))
    assert digests
    text = "".join(p.read_text(encoding="utf-8") for p in digests)
    _assert_inert(text)
    # every quote and theme name carrying the payloads: still inert
    report = build_report(safety_store, taxonomy=load_taxonomy(TAXONOMY))
    assert len(report.tables["evidence"])
    report.tables["evidence"]["text"] = SLACK
    report.tables["themes"]["name"] = SLACK
    rendered = "".join(render_digests(report).values())
    assert "\uff20channel" in rendered and "`https://evil.example/login?x=1`" in rendered
    _assert_inert(rendered)


# ---------------------------------------------------------------------------- ids and paths


@pytest.mark.parametrize(
    ("native_id", "source_path", "shown"),
    [
        ("48213", None, True),  # Zendesk
        ("7782342274025937895", None, True),  # Gong
        ("R_1abcDEF234", None, True),  # Qualtrics
        ("C0123ABC:1694712345.000100", None, True),  # Slack
        ("3fa2b9c0d1e2f3a4b5c6d7e8f9a0b1c2", None, True),  # a content hash
        ("INC-1234", None, True),
        ("maria.gonzalez@example.com", None, False),
        ("Maria Gonzalez", None, False),
        ("mariagonzalez", None, False),
        ("jsmith42", None, False),
        ("+1 415 555 0100", None, False),
        ("415-555-0100", None, False),
        ("4155550100", None, False),
        ("10.0.0.1", None, False),
        ("call with Maria Gonzalez +1 415 555 0100.md", "/n/call.md", False),
        ("2026-09-14-acme.md", None, False),
        ("48213", "/exports/notes/48213.md", False),  # the file's name
        ('=HYPERLINK("http://evil.example","x")', None, False),
    ],
)
def test_safe_reference_shows_only_opaque_ids(native_id, source_path, shown):
    ref = safe_reference(native_id, "9f2c41d07ab3e5f6a7b8", source_path)
    assert ref == (native_id if shown else "item:9f2c41d07ab3")


def test_safe_account_hides_emails_and_phones():
    assert safe_account("Acme Logistics") == "Acme Logistics"
    assert safe_account(None) is None and safe_account(float("nan")) is None
    for value in ("maria.gonzalez@example.com", "Maria (+1 415 555 0100)"):
        ref = safe_account(value)
        assert ref.startswith("account:") and ref == safe_account(value)


def test_report_shows_no_personal_data_from_ids_or_file_names(safety_store):
    latest = _latest(safety_store)
    outputs = [latest / "report.html", *latest.glob("digest/*.md")]
    outputs += [latest / "tables" / f"evidence.{ext}" for ext in ("csv", "json")]
    texts = {p.name: p.read_text(encoding="utf-8") for p in outputs}
    texts["evidence.parquet"] = pd.read_parquet(latest / "tables" / "evidence.parquet").to_csv()
    for name, text in texts.items():
        for value in PERSONAL_IDS:
            assert value not in text, f"{value!r} in {name}"
    # the link from a quote to its record: item_id is in the store, the reference names it
    evidence = pd.read_parquet(latest / "tables" / "evidence.parquet")
    items = Store.open(safety_store).items(columns=["item_id", "native_id", "source_name"])
    native = dict(zip(items["item_id"], items["native_id"], strict=True))
    assert set(evidence["item_id"]) <= set(native)
    hidden = evidence[evidence["native_id"].str.startswith("item:")]
    assert len(hidden) and (hidden["native_id"] == "item:" + hidden["item_id"].str[:12]).all()
    assert "calls" in set(evidence["source_name"])  # the notes were quoted, their names not
    shown = evidence[~evidence["native_id"].str.startswith("item:")]
    assert (shown["native_id"] == shown["item_id"].map(native)).all()


# ------------------------------------------------------------------------- lock and errors

HOLD_JOB = """
import sys
from silobridge.pipeline.store import Store
with Store.open(sys.argv[1]).job("nightly-7"):
    print("ready", flush=True)
    sys.stdin.read()
"""


def test_report_refuses_a_store_another_process_holds_and_names_it(safety_store):
    store = Store.open(safety_store)
    before = (safety_store / "reports" / "latest").readlink()
    runs = len(store.runs())
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_JOB, str(safety_store)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=r"job nightly-7, pid \d+"):
            run_report(safety_store, taxonomy=load_taxonomy(TAXONOMY))
    finally:
        holder.communicate("", timeout=60)
    assert (safety_store / "reports" / "latest").readlink() == before
    # a run writing the store (this process or another) stops it too
    with store.writing("nightly-8"), pytest.raises(StoreLockedError, match="run nightly-8"):
        run_report(store, taxonomy=load_taxonomy(TAXONOMY))
    # in a job of this process, it runs; and it adds no run to the store's history
    with store.job("mine"):
        report = run_report(store, taxonomy=load_taxonomy(TAXONOMY))
    assert (safety_store / "reports" / "latest").readlink() == Path(report.path.name)
    assert len(store.runs()) == runs


def test_a_full_disk_leaves_nothing_behind_and_latest_unmoved(safety_store, monkeypatch):
    reports = safety_store / "reports"
    stale = reports / ".tmp-20260101T000000Z-dead00"
    (stale / "tables").mkdir(parents=True)
    (stale / "tables" / "matrix.csv").write_text("x\n")
    (reports / ".latest-20260101T000000Z-dead00").symlink_to("nowhere")
    before = (reports / "latest").readlink()
    folders = {p.name for p in reports.iterdir()}
    write_text = Path.write_text

    def full(self: Path, data: str, *args, **kwargs):
        if self.name == "report.html":
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(StoreError, match=r"cannot write the report to .*No space left on device"):
        run_report(safety_store, taxonomy=load_taxonomy(TAXONOMY))
    assert not [p for p in reports.iterdir() if p.name.startswith((".tmp-", ".latest-"))]
    assert (reports / "latest").readlink() == before
    assert {p.name for p in reports.iterdir()} == folders - {
        stale.name,
        f".latest-{stale.name[5:]}",
    }
    monkeypatch.undo()
    report = run_report(safety_store, taxonomy=load_taxonomy(TAXONOMY))
    assert (reports / "latest").readlink() == Path(report.path.name)
