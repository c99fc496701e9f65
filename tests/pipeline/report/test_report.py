"""The report: blind spots, spikes, escaping, no personal data, and a real browser."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from silobridge.pipeline.classify import ClassifyStage, run_classify
from silobridge.pipeline.discover import DiscoverStage, run_discover
from silobridge.pipeline.ingest import run_ingest
from silobridge.pipeline.report import ReportSettings, run_report
from silobridge.pipeline.report.build import blind_spots, spikes
from silobridge.pipeline.report.html import md
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
    for table in ("matrix", "blind_spots", "pairwise", "trends", "spikes", "evidence"):
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


def test_report_escapes_markup_from_the_data(report_store):
    from silobridge.pipeline.report import build_report
    from silobridge.pipeline.report.html import render_digests, render_html

    html = (report_store / "reports" / "latest" / "report.html").read_text()
    assert "<script" not in html.lower() and "<b>hi</b>" not in html
    # every quote and theme name carrying the injection: still inert
    report = build_report(report_store, taxonomy=load_taxonomy(TAXONOMY))
    report.tables["evidence"]["text"] = INJECTION
    report.tables["themes"]["name"] = INJECTION
    html = render_html(report)
    assert "<script" not in html.lower() and "<b>hi</b>" not in html
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
        assert page.evaluate("() => window.__injected === undefined")
        shot = report_store / "reports" / "latest" / "screenshot.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == []
    assert shot.stat().st_size > 10_000
