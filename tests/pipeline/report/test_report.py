"""The report: blind spots, spikes, escaping, no personal data, and a real browser."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silobridge.pipeline.classify import ClassifyStage, run_classify
from silobridge.pipeline.discover import DiscoverStage, run_discover
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.report import ReportSettings, run_report
from silobridge.pipeline.report.build import (
    ReportSettings as Settings,
)
from silobridge.pipeline.report.build import blind_spots, findings, spikes, two_levels
from silobridge.pipeline.report.changes import changes
from silobridge.pipeline.report.html import SCRIPT, md
from silobridge.pipeline.understand import UnderstandStage, run_understand
from silobridge.taxonomy import load_taxonomy

from ...conftest import TAXONOMY, make_source

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PERSONAL = ["Nadia Petrov", "nadia.petrov@acme-corp.com", "+1 415 555 0199", "Lucas Moreau"]
INJECTION = "<script>alert('x')</script> **bold** [link](http://evil.example) <b>hi</b> |table|"


def test_blind_spots_find_what_one_function_hears_alone():
    counts = pd.DataFrame(
        [
            ("sso", "Support", 30, 100), ("sso", "Sales", 0, 100), ("sso", "Success", 1, 100),
            ("billing", "Support", 10, 100), ("billing", "Sales", 9, 100),
            ("billing", "Success", 11, 100),
            ("discount", "Support", 0, 100), ("discount", "Sales", 25, 100),
            ("discount", "Success", 1, 100),
        ],
        columns=["theme", "function", "items", "function_items"],
    )  # fmt: skip
    spots = blind_spots(counts, ReportSettings())
    top = spots[spots["significant"] & (spots["z"] > 0)]
    assert top.groupby("function")["theme"].first().to_dict() == {
        "Support": "sso",
        "Sales": "discount",
    }
    assert not spots[(spots["theme"] == "billing")]["significant"].any()
    pairwise = blind_spots(counts, ReportSettings(), pairwise=True)
    row = pairwise[(pairwise["function"] == "Sales") & (pairwise["versus"] == "Support")]
    assert row.iloc[0]["theme"] == "discount" and row.iloc[0]["significant"]


def _counts(rows: list[tuple[str, str, int]], total: int = 200) -> pd.DataFrame:
    return pd.DataFrame(
        [(t, f, n, total) for t, f, n in rows],
        columns=["theme", "function", "items", "function_items"],
    )


def test_a_sure_moderate_effect_outranks_a_large_one_resting_on_a_handful():
    # 60 vs 10 (many items, odds about x7) against 6 vs 0 (six items, odds huge but unsure)
    counts = _counts(
        [("broad", "Support", 60), ("broad", "Sales", 5), ("broad", "Success", 5),
         ("rare", "Support", 6), ("rare", "Sales", 0), ("rare", "Success", 0),
         ("base", "Support", 40), ("base", "Sales", 60), ("base", "Success", 60)]
    )  # fmt: skip
    spots = blind_spots(counts, Settings())
    mine = spots[(spots["function"] == "Support") & (spots["z"] > 0)]
    broad, rare = (mine[mine["theme"] == t].iloc[0] for t in ("broad", "rare"))
    assert rare["log_odds"] > broad["log_odds"]  # by the point estimate, "rare" leads...
    assert broad["rank"] < rare["rank"]  # ...by what a reader can count on, "broad" does
    assert broad["ci_low"] < broad["log_odds"] < broad["ci_high"]
    assert broad["effect"] == broad["ci_low"]


def test_findings_show_a_group_once_at_the_level_with_the_clearer_signal():
    names = pd.DataFrame(
        {"theme": ["sso", "mfa", "okta", "invoice"], "group": ["login", "login", "login", "bill"]}
    )
    leaves = [("sso", "Support", 30), ("sso", "Sales", 2), ("mfa", "Support", 25),
              ("mfa", "Sales", 2), ("okta", "Support", 20), ("okta", "Sales", 1),
              ("invoice", "Support", 20), ("invoice", "Sales", 60)]  # fmt: skip
    groups = [("login", "Support", 70), ("login", "Sales", 5), ("bill", "Support", 20),
              ("bill", "Sales", 60)]  # fmt: skip
    counts = pd.concat(
        [_counts(leaves).assign(level="theme"), _counts(groups).assign(level="group")]
    )
    spots = blind_spots(counts, Settings())
    found = findings(spots, names)
    support = found[found["function"] == "Support"]
    # three significant themes of one group: one finding, the group, naming them
    assert support["theme"].tolist() == ["login"]
    assert support.iloc[0]["level"] == "group"
    assert sorted(support.iloc[0]["members"]) == ["mfa", "okta", "sso"]
    assert found[found["function"] == "Sales"]["theme"].tolist() == ["invoice"]


def test_an_account_votes_once_when_asked():
    # one account writes twenty Support tickets about SSO; four accounts one Sales note each
    f = pd.DataFrame(
        [(f"u{i}", "sso", "Support", f"t{i}", "acme") for i in range(20)]
        + [(f"s{i}", "discount", "Sales", f"n{i}", f"acc{i}") for i in range(4)],
        columns=["unit_id", "theme", "function", "item_id", "account"],
    )
    units = f.drop(columns="theme")
    names = pd.DataFrame({"theme": ["sso", "discount"], "group": ["sso", "discount"]})
    by_item = two_levels(f, units, names, Settings())
    by_account = two_levels(f, units, names, Settings(vote="account"))
    assert by_item.set_index("theme").loc["sso", "items"] == 20
    assert by_account.set_index("theme").loc["sso", "items"] == 1
    assert by_account.set_index("theme").loc["discount", "items"] == 4


def test_what_changed_names_new_rising_and_resolved():
    weeks = pd.date_range("2026-08-03", periods=12, freq="7D")
    rows = []
    for w, week in enumerate(weeks):
        for i in range(200):  # a steady theme, most of what is heard
            rows.append(("steady", f"a{w}-{i}", week))
        for i in range(3 if w < 8 else 15):  # five times as frequent in the last four weeks
            rows.append(("export", f"b{w}-{i}", week))
    f = pd.DataFrame(rows, columns=["theme", "item_id", "week"]).assign(
        unit_id=lambda d: d["item_id"], function="Support"
    )
    themes = pd.DataFrame(
        {"theme": ["steady", "export", "fresh"], "items": [240, 84, 6],
         "new": [False, False, True]}
    )  # fmt: skip
    spot = {"theme": "export", "function": "Support", "items": 40, "share": 0.2}
    now = pd.DataFrame([spot])
    table = changes(f, {"themes": themes, "findings": now}, None, Settings())
    assert set(zip(table["change"], table["theme"], strict=True)) == {("new theme", "fresh"),
                                                          ("rising", "export")}  # fmt: skip
    previous = {
        "themes": themes[themes["theme"] != "fresh"],
        "findings": pd.DataFrame([{**spot, "theme": "steady"}]),
        "summary": pd.DataFrame({"value": {"last_week": str(weeks[7].date())}}),
    }
    table = changes(f, {"themes": themes, "findings": now}, previous, Settings())
    got = set(zip(table["change"], table["theme"], strict=True))
    assert {("new theme", "fresh"), ("rising", "export"), ("new blind spot", "export"),
            ("resolved blind spot", "steady")} == got  # fmt: skip


def test_spikes_flag_the_release_week_and_not_noise():
    weeks = pd.date_range("2026-08-03", periods=13, freq="7D")
    rng = np.random.default_rng(0)
    rows = []
    for theme, base in (("export", 12), ("flat", 15), ("small", 2)):
        counts = rng.poisson(base, 13)
        if theme == "export":
            counts[6] = 55
        rows += [(theme, "All", w, int(c)) for w, c in zip(weeks, counts, strict=True)]
    trend = pd.DataFrame(rows, columns=["theme", "function", "week", "items"])
    found = spikes(trend, ReportSettings())
    assert found[["theme", "week"]].values.tolist() == [["export", weeks[6]]]


def test_markdown_escaping_keeps_text_inert():
    assert md("**x** <b> [a](b) `c` #h") == r"\*\*x\*\* \<b\> \[a\](b) \`c\` \#h"


@pytest.fixture(scope="module")
def report_store(tmp_path_factory, embedder) -> Path:
    """A small store: Support hears SSO failures, Sales a competitor's discount, both hear
    billing; texts carry personal data and markup."""
    root = tmp_path_factory.mktemp("report")
    sso = [
        "SSO login fails with an invalid SAML assertion for our users.",
        "Okta sign-in loops back to the login page again.",
        "Our team cannot log in through single sign-on since this morning.",
    ]
    discount = [
        "Datawise offered us 40% off and a free migration.",
        "The competitor is undercutting you with a big discount.",
        "Datawise's proposal is much cheaper, we are considering it.",
    ]
    billing = ["We were charged twice on the last invoice.", "The invoice total looks wrong."]
    lines = []
    day = pd.Timestamp("2026-08-03", tz="UTC")
    for i in range(48):
        week = i % 8
        if i % 3 == 0:
            fn, text = "Support", sso[(i // 3) % 3]
        elif i % 3 == 1:
            fn, text = "Sales", discount[(i // 3) % 3]
        else:
            fn, text = ("Support" if i % 2 else "Sales"), billing[i % 2]
        if i == 4:
            text += f" Ping {PERSONAL[0]} at {PERSONAL[1]} or {PERSONAL[2]}. {INJECTION}"
        if i == 7:
            text = f"{PERSONAL[3]} says: {text}"
        lines.append({"id": f"r{i}", "body": text, "team": fn,
                      "at": (day + pd.Timedelta(days=7 * week + i % 5)).isoformat()})  # fmt: skip
    export = root / "feedback.jsonl"
    export.write_text("".join(json.dumps(x) + "\n" for x in lines))
    store = root / "store"
    source = make_source(
        "jsonl", export, name="feedback", channel="note",
        mapping={"native_id": "id", "text": "body", "created_at": "at", "function": "team"},
    )  # fmt: skip
    run_ingest(store, [source])
    run_understand(store, stage=UnderstandStage(taxonomy=TAXONOMY, embedder=embedder))
    run_classify(store, stage=ClassifyStage(taxonomy=TAXONOMY, embedder=embedder))
    run_discover(store, stage=DiscoverStage(min_size=3))
    run_report(store, taxonomy=load_taxonomy(TAXONOMY))
    return store


def test_report_writes_html_tables_and_digests_under_latest(report_store):
    latest = report_store / "reports" / "latest"
    assert latest.is_symlink() and (latest / "report.html").is_file()
    for table in ("matrix", "blind_spots", "findings", "groups", "changes", "pairwise", "trends",
                  "spikes", "evidence"):  # fmt: skip
        for ext in ("parquet", "csv", "json"):
            assert (latest / "tables" / f"{table}.{ext}").is_file()
    spots = pd.read_parquet(latest / "tables" / "blind_spots.parquet")
    top = spots[spots["significant"] & (spots["z"] > 0)].groupby("function")["theme"].first()
    assert top["Support"] == "sso_saml_login_failures"
    evidence = pd.read_parquet(latest / "tables" / "evidence.parquet")
    assert {"connector", "native_id", "date", "function"} <= set(evidence.columns)
    assert evidence.groupby(["finding", "finding_key"]).size().max() <= 5
    digest = (latest / "digest" / "Support.md").read_text()
    assert "What Support heard" in digest and "../report.html#theme-" in digest
    # every section id once, and every link into the page lands on one
    html = (latest / "report.html").read_text()
    ids = re.findall(r' id="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert set(re.findall(r'href="#([^"]+)"', html)) <= set(ids)
    # it opens with what changed (here: the first report, nothing to compare with)
    assert digest.index("## What changed") < digest.index("## What Support hears")


def test_report_escapes_markup_from_the_data(report_store):
    from silobridge.pipeline.report import build_report
    from silobridge.pipeline.report.html import render_digests, render_html

    html = (report_store / "reports" / "latest" / "report.html").read_text()
    # the page's one script is its own (and its policy allows no other)
    assert html.lower().count("<script") == 1 and f"<script>{SCRIPT}</script>" in html
    assert "Content-Security-Policy" in html and "<b>hi</b>" not in html
    # every quote and theme name carrying the injection: still inert
    report = build_report(report_store, taxonomy=load_taxonomy(TAXONOMY))
    report.tables["evidence"]["text"] = INJECTION
    report.tables["themes"]["name"] = INJECTION
    html = render_html(report)
    assert html.lower().count("<script") == 1 and "<b>hi</b>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    digests = "".join(render_digests(report).values())
    assert "<script>" not in digests and " [link](http" not in digests
    assert r"\<script\>" in digests and r"\[link\]" in digests


def test_no_planted_personal_data_in_any_report_output(report_store):
    for path in (report_store / "reports").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".parquet":
                data = pd.read_parquet(path).to_csv().encode()
            for value in PERSONAL:
                assert value.encode() not in data, f"{value!r} in {path.name}"


@pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"),
    reason="Chromium is not installed (`make test` installs it where it can; CI requires it)",
)
def test_report_renders_in_a_real_browser(report_store):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM, "CI needs Chromium: apt-get install chromium"
    page_file = (report_store / "reports" / "latest" / "report.html").resolve()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_file.as_uri())
        assert page.locator("#heatmap table").is_visible()
        assert page.locator(".blind-spot-card").first.is_visible()
        assert page.locator("#trends svg").first.is_visible()
        # filter by function: only Sales' summary and cards stay
        page.select_option("#fn-filter", "Sales")
        assert page.locator("#summary .fn:visible").count() == 1
        cards = page.locator(".blind-spot-card:visible")
        assert cards.count() >= 1
        assert all("Sales hears" in cards.nth(i).inner_text() for i in range(cards.count()))
        page.select_option("#fn-filter", "")
        assert page.locator("#summary .fn:visible").count() >= 2
        # drill-down: a finding's link opens its group (and theme), quotes visible
        links = page.locator('#summary .fn a[href^="#theme-"]')
        targets = [links.nth(i).get_attribute("href") for i in range(links.count())]
        leaf = next(t for t in targets if page.locator(f"details.theme{t}").count())
        assert not page.locator(f"{leaf} blockquote").first.is_visible()
        page.locator(f'#summary .fn a[href="{leaf}"]').first.click()
        assert page.evaluate("id => document.getElementById(id).open", leaf[1:])
        assert page.locator(f"{leaf} blockquote").first.is_visible()
        assert page.evaluate("() => window.__injected === undefined")
        shot = report_store / "reports" / "latest" / "screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert shot.stat().st_size > 10_000


def test_the_same_store_gives_the_same_report(report_store):
    from silobridge.pipeline.report import build_report
    from silobridge.pipeline.report.html import render_digests, render_html

    latest = report_store / "reports" / "latest"
    again = build_report(report_store, taxonomy=load_taxonomy(TAXONOMY))
    assert len(again.tables["findings"])  # something to compare
    for name, table in again.tables.items():
        written = pd.read_parquet(latest / "tables" / f"{name}.parquet")
        assert table.astype(str).values.tolist() == written.astype(str).values.tolist() or (
            name in ("trends", "spikes", "changes")  # dates written as text; compared below
        ), name
    pd.testing.assert_frame_equal(
        again.tables["findings"].astype(str),
        pd.read_parquet(latest / "tables" / "findings.parquet").astype(str),
    )
    stamp = re.compile(r"Generated [0-9-]+ [0-9:]+ UTC")
    html = (latest / "report.html").read_text()
    shown = int(again.summary["findings_shown"])
    assert stamp.sub("", render_html(again, top_spots=shown)) == stamp.sub("", html)
    digests = render_digests(again, per_function=shown)
    assert digests == {p.stem: p.read_text() for p in (latest / "digest").glob("*.md")}
