"""The command line as a user (and a scheduler) meets it: output, exit codes, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from silobridge.commands import app
from silobridge.commands._app import EXIT_CONFIG, EXIT_LOCKED, EXIT_QUARANTINED
from silobridge.pipeline.store import Store
from typer.testing import CliRunner

runner = CliRunner()

MAPPING = "mapping={native_id='id', text='body', created_at='at'}"


def _export(tmp_path: Path) -> Path:
    path = tmp_path / "feedback.jsonl"
    rows = [
        {"id": "1", "body": "SSO login fails for our admins", "at": "2026-09-01T10:00:00Z"},
        {"id": "2", "body": "Please add a Salesforce sync", "at": "2026-09-02T10:00:00Z"},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "{not json\n")
    return path


def _ingest(tmp_path: Path, *extra: str):
    args = ["ingest", str(_export(tmp_path)), "--connector", "jsonl", "--channel", "ticket"]
    args += ["--function", "Support", "-o", MAPPING, "--store", str(tmp_path / "st"), *extra]
    return runner.invoke(app, args)


def test_cli_ingest_json_counts_and_quarantine_exit_code(tmp_path: Path):
    result = _ingest(tmp_path, "--json")
    assert result.exit_code == EXIT_QUARANTINED
    counts = json.loads(result.stdout)
    assert (counts["read"], counts["new"], counts["quarantined"]) == (3, 2, 1)
    again = json.loads(_ingest(tmp_path, "--json", "--full").stdout)
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 2)


def test_cli_quarantine_lists_path_locator_and_reason(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths are shown relative to where the export was configured
    _ingest(tmp_path)
    result = runner.invoke(app, ["quarantine", "--store", str(tmp_path / "st")])
    assert result.exit_code == 0
    assert "[jsonl] feedback.jsonl:line 3: invalid JSON" in result.stdout


def test_cli_unknown_connector_is_a_config_error_listing_the_known_ones(tmp_path: Path):
    result = runner.invoke(app, ["ingest", str(_export(tmp_path)), "--connector", "zendsk"])
    assert result.exit_code == EXIT_CONFIG
    assert "Unknown connector 'zendsk'. Did you mean 'zendesk'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_ingest_without_config_explains_what_to_do(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code == EXIT_CONFIG
    assert "No silobridge.toml" in result.stderr


def test_cli_second_concurrent_run_exits_with_the_locked_code(tmp_path: Path):
    store = Store.open(tmp_path / "st", create=True)
    with store.writing("nightly-1"):
        code = [sys.executable, "-m", "silobridge.cli", "ingest", str(_export(tmp_path))]
        code += ["--connector", "jsonl", "--channel", "ticket", "-o", MAPPING]
        code += ["--store", str(tmp_path / "st")]
        proc = subprocess.run(code, capture_output=True, text=True, check=False)
    assert proc.returncode == EXIT_LOCKED
    assert "being written by another run (run nightly-1, pid" in proc.stderr


def test_cli_sources_lists_every_connector_with_its_options():
    result = runner.invoke(app, ["sources", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert {"zendesk", "intercom", "gong", "slack", "csv", "notes"} <= set(data["connectors"])
    assert "mapping" in data["connectors"]["csv"]["options"]


def test_cli_runs_lists_finished_runs(tmp_path: Path):
    _ingest(tmp_path)
    result = runner.invoke(app, ["runs", "--store", str(tmp_path / "st"), "--json"])
    runs = json.loads(result.stdout)
    assert [r["outcome"] for r in runs] == ["ok_with_quarantine"]
    assert runs[0]["counts"]["total"]["new"] == 2


def test_cli_redact_replaces_personal_data_and_keeps_company_names():
    from ..conftest import TAXONOMY

    text = "Hi Nadia, mail nadia.petrov@acme.example.com. Datawise is cheaper.\nok\n"
    result = runner.invoke(app, ["redact", "--taxonomy", str(TAXONOMY)], input=text)
    assert result.exit_code == 0
    assert result.stdout == "Hi <PERSON>, mail <EMAIL>. Datawise is cheaper.\nok\n"


def _config(tmp_path: Path) -> Path:
    from ..conftest import TAXONOMY

    _export(tmp_path)
    config = tmp_path / "silobridge.toml"
    config.write_text(
        f"""
[store]
path = "st"

[understand]
taxonomy = "{TAXONOMY}"

[sources.feedback]
connector = "jsonl"
path = "feedback.jsonl"
channel = "ticket"
function = "Support"
mapping = {{ native_id = "id", text = "body", created_at = "at" }}
"""
    )
    return config


def test_cli_run_ingests_then_understands_and_exits_3_for_quarantine(tmp_path: Path, embedder):
    result = runner.invoke(app, ["run", "--config", str(_config(tmp_path)), "--json"])
    assert result.exit_code == EXIT_QUARANTINED, result.stderr
    data = json.loads(result.stdout)
    assert data["ingest"]["new"] == 2
    assert data["understand"]["items_processed"] == 2
    # discovery looks at the units the taxonomy left unassigned
    assert data["discover"]["units"] == data["classify"]["unassigned"]
    units = Store.open(tmp_path / "st").units()
    assert len(units) == 2
    assert {e["id"] for ents in units["entities"] for e in ents} >= {"sso_saml"}


def test_cli_understand_again_processes_nothing_and_full_redoes_all(tmp_path: Path, embedder):
    config = str(_config(tmp_path))
    runner.invoke(app, ["run", "--config", config])
    again = runner.invoke(app, ["understand", "--config", config, "--json"])
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["items_processed"] == 0
    full = json.loads(runner.invoke(app, ["understand", "-c", config, "--full", "--json"]).stdout)
    assert (full["items_processed"], full["units_removed"], full["units_total"]) == (2, 2, 2)
    assert full["stats"]["encoded"] == 0  # vectors come from the cache


def test_cli_understand_unknown_model_is_a_config_error(tmp_path: Path):
    config = str(_config(tmp_path))
    runner.invoke(app, ["ingest", "--config", config])
    result = runner.invoke(app, ["understand", "-c", config, "--model", "org/not-installed"])
    assert result.exit_code == EXIT_CONFIG
    assert "not-installed" in result.stderr and "Traceback" not in result.stderr


def test_cli_eval_classify_few_and_zero_shot_print_the_metrics(tmp_path: Path, embedder):
    rows = [
        ("We were charged twice this month.", "billing"),
        ("The invoice has the wrong VAT number.", "billing"),
        ("Our card payment failed again.", "billing"),
        ("SSO login fails with an invalid assertion.", "login"),
        ("I cannot sign in since the password reset.", "login"),
        ("Okta redirects me in a loop.", "login"),
    ]
    train = tmp_path / "train.csv"
    train.write_text("text,label\n" + "".join(f'"{t}",{y}\n' for t, y in rows))
    test = tmp_path / "test.csv"
    test.write_text(
        "text,label\nPlease refund the double charge.,billing\nSAML sign-in is broken.,login\n"
    )
    args = ["eval", "classify", "--data", str(test), "--cache", str(tmp_path / "c"), "--json"]
    few = runner.invoke(app, [*args, "--train", str(train), "--shots", "2", "--seed", "1"])
    assert few.exit_code == 0, few.stderr
    result = json.loads(few.stdout)
    assert result["train_rows"] == 4 and result["accuracy"] == 1.0
    assert set(result) >= {"accuracy", "macro_f1", "ece", "per_label"}
    labels = tmp_path / "labels.yaml"
    labels.write_text("billing: invoices, charges and payments\nlogin: signing in and SSO\n")
    zero = runner.invoke(app, [*args, "--labels", str(labels)])
    assert zero.exit_code == 0, zero.stderr
    assert json.loads(zero.stdout)["algorithm"].startswith("zero_shot")


def test_cli_eval_classify_names_a_missing_column(tmp_path: Path):
    test = tmp_path / "test.csv"
    test.write_text("utterance,intent\nhi,greet\n")
    result = runner.invoke(app, ["eval", "classify", "--data", str(test), "--labels", str(test)])
    assert result.exit_code == EXIT_CONFIG
    assert "no column 'text'; columns: utterance, intent" in result.stderr


def test_cli_eval_cluster_finds_the_groups_and_prints_the_metrics(tmp_path: Path, embedder):
    groups = {
        "billing": ["We were charged twice this month.", "The invoice total is wrong.",
                    "Please refund the double charge.", "Our card payment failed.",
                    "Why did the price on my invoice go up?", "I need last month's bill."],
        "login": ["SSO login fails with an invalid assertion.", "I cannot sign in any more.",
                  "Okta redirects me in a loop.", "SAML sign-in is broken for our team.",
                  "The login page rejects my password.", "Single sign-on stopped working today."],
        "export": ["The CSV export is empty.", "Exporting the report to Excel times out.",
                   "Our data download fails halfway.", "The exported file is corrupted.",
                   "CSV export never finishes.", "Downloaded spreadsheets have no rows."],
    }  # fmt: skip
    data = tmp_path / "data.csv"
    data.write_text(
        "text,label\n" + "".join(f'"{t}",{y}\n' for y, texts in groups.items() for t in texts)
    )
    args = ["eval", "cluster", "--data", str(data), "--cache", str(tmp_path / "c")]
    result = runner.invoke(app, [*args, "--min-size", "3", "--runs", "2", "--json"])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert set(metrics) >= {"nmi", "ari", "n_themes", "n_classes", "outlier_share", "seconds"}
    assert metrics["n_classes"] == 3 and metrics["n_themes"] == 3
    assert metrics["ari"] == 1.0 and metrics["run_to_run_ari"] == 1.0
    printed = runner.invoke(app, [*args, "--min-size", "3", "--runs", "1"])
    assert "NMI 1.0000" in printed.stdout and "Largest themes" in printed.stdout


def test_cli_themes_on_a_store_without_themes_and_an_unknown_id(tmp_path: Path):
    store = tmp_path / "st"
    Store.open(store, create=True)
    listed = runner.invoke(app, ["themes", "--store", str(store)])
    assert listed.exit_code == 0 and "No discovered themes" in listed.stdout
    renamed = runner.invoke(app, ["themes", "--store", str(store), "rename", "D0009", "Billing"])
    assert renamed.exit_code == EXIT_CONFIG
    assert "No discovered theme 'D0009'" in renamed.stderr


def test_cli_run_with_a_taxonomy_written_from_scratch_uses_default_insight_types(
    tmp_path: Path, embedder
):
    """A taxonomy with themes only (no insight types, functions or gazetteer) validates and
    the whole job runs on it: the default insight types are used."""
    (tmp_path / "taxonomy.yaml").write_text(
        "themes:\n"
        "  - {id: login, name: Login problems, description: Users cannot sign in.}\n"
        "  - {id: exports, name: Export failures, description: Exports fail or time out.}\n"
    )
    _export(tmp_path)
    config = tmp_path / "silobridge.toml"
    config.write_text(
        '[store]\npath = "st"\n[taxonomy]\npath = "taxonomy.yaml"\n'
        '[sources.feedback]\nconnector = "jsonl"\npath = "feedback.jsonl"\nchannel = "ticket"\n'
        'function = "Support"\nmapping = { native_id = "id", text = "body", created_at = "at" }\n'
    )
    checked = runner.invoke(app, ["taxonomy", str(tmp_path / "taxonomy.yaml")])
    assert checked.exit_code == 0 and "bug" in checked.stdout
    result = runner.invoke(app, ["run", "--config", str(config), "--json"])
    assert result.exit_code == EXIT_QUARANTINED, result.stderr  # the export's one bad line
    assert "Traceback" not in result.stderr
    labels = Store.open(tmp_path / "st").read("classified").to_pandas()
    assert set(labels["insight_type"]) <= {"bug", "feature_request", "question", "complaint",
                                           "praise", "churn_risk", "pricing_objection",
                                           "competitor_mention", "other"}  # fmt: skip
