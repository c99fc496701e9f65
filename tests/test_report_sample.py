"""The whole pipeline on the bundled sample: the report finds what the sample planted.

Ingest, understand, classify, discover and report run on the sample (the same code as `make
demo`); the report's blind spots and spikes are checked against ``ground_truth.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest
import silobridge
from silobridge.pipeline.report import run_report
from silobridge.taxonomy import load_taxonomy

from .conftest import ROOT, SAMPLE

TRUTH = json.loads((SAMPLE / "ground_truth.json").read_text())
sys.path.insert(0, str(ROOT / "benchmarks"))


@pytest.fixture(scope="module")
def sample(sample_pipeline_store, tmp_path_factory):
    taxonomy = load_taxonomy(SAMPLE.parent / "taxonomy.yaml")
    out = tmp_path_factory.mktemp("sample-reports")
    store = silobridge.open_store(sample_pipeline_store)
    return store, run_report(store, taxonomy=taxonomy, out=out)


def _rank(sample, theme: str, function: str) -> int | None:
    from eval_report_sample import planted_ranks

    store, report = sample
    return planted_ranks(report, store)[f"{theme}|{function}"]["rank"]


@pytest.mark.parametrize(
    ("theme", "function"),
    [
        ("sso_saml_login_failures", "Support"),
        ("onboarding_training_gaps", "Success"),
        ("confusing_pricing_page", "Marketing"),
        ("competitor_discount", "Sales"),
    ],
)
def test_planted_blind_spot_is_in_its_functions_top_3(sample, theme, function):
    assert {"theme": theme, "function": function} in [
        {"theme": b["theme"], "function": b["function"]} for b in TRUTH["blind_spots"]
    ]
    rank = _rank(sample, theme, function)
    assert rank is not None and rank <= 3, rank


def test_the_summary_is_a_few_findings_per_function_in_readable_groups(sample):
    from eval_report_sample import findings_summary

    _, report = sample
    summary = findings_summary(report)
    assert all(n <= 5 for n in summary["shown_per_function"].values())
    assert 10 <= summary["groups_discovered"] <= 30, summary
    html = Path(report.path / "report.html").read_text()
    # a function with more findings than the summary shows offers the rest behind "n more"
    more = {f: n - 5 for f, n in summary["findings_per_function"].items() if n > 5}
    for n in more.values():
        assert f"{n} more</summary>" in html
    labels = [*report.tables["themes"]["name"], *report.tables["groups"]["name"]]
    assert len({x.lower() for x in labels}) == len(labels)


def test_planted_spike_is_flagged_in_its_week_and_flat_themes_are_not(sample):
    _, report = sample
    planted = TRUTH["spikes"][0]
    week = pd.Timestamp(planted["release_date"]).to_period("W-SUN").start_time
    spikes = report.tables["spikes"]
    everyone = spikes[spikes["function"] == "All"]
    assert ((everyone["theme"] == planted["theme"]) & (everyone["week"] == week)).any()
    flat = everyone[(everyone["theme"] != planted["theme"]) & (everyone["week"] != week)]
    assert flat["theme"].nunique() <= 1, flat


def test_sample_report_holds_none_of_the_planted_personal_data(sample):
    _, report = sample
    planted = {v for entry in TRUTH["personal_data"] for _, v, _ in entry["values"] if len(v) > 4}
    assert len(planted) > 20
    leaked = set()
    for path in Path(report.path).rglob("*"):
        if path.is_file():
            text = (
                pd.read_parquet(path).to_csv()
                if path.suffix == ".parquet"
                else path.read_text(errors="replace")
            )
            leaked |= {v for v in planted if v in text}
    assert not leaked, sorted(leaked)[:5]
