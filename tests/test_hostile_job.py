"""The whole nightly job fed by an attacker: personal data and secrets planted in native ids,
file names, accounts, metadata, function values, URLs and texts, and formulas and pings in the
texts. None of it may reach any file the job writes outside ``items`` (report, tables, digests,
manifests, logs), the quarantine's reasons and addresses, the command's output or its errors;
no CSV cell may start a formula.

``items``, the quarantine's rows and ``files`` (which export files were read) keep the records
and paths as the export had them (the store is the system of record; docs/understand.md,
Redaction): they are not scanned, except the quarantine's reasons; what the ``quarantine``
command shows of them is.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from silobridge.commands import app
from silobridge.commands._app import EXIT_CONFIG, EXIT_QUARANTINED
from silobridge.pipeline.report.safety import FORMULA_START
from silobridge.pipeline.store import Store
from typer.testing import CliRunner

from .conftest import TAXONOMY

runner = CliRunner()

EMAIL, PHONE, CARD = "maria.gonzalez@example.com", "415-555-0134", "4111 1111 1111 1111"
NAME, SECRET = "Maria Gonzalez", "hunter2secret"
#: What may not appear in any output; digits compared without separators.
PLANTED = [EMAIL, "maria.gonzalez", PHONE, "4155550134", CARD, "4111111111111111", NAME, SECRET]
FORMULA = '=HYPERLINK("http://evil.example/x","click me")'
PINGS = "@channel <!here> <!channel> @everyone"
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$")  # a plain number is no formula

#: Texts about a few themes of the taxonomy, so the report has quotes to show.
TEXTS = [
    "SSO login fails with an invalid SAML assertion for our users.",
    "Okta sign-in loops back to the login page again.",
    "Our team cannot log in through single sign-on since this morning.",
    "Datawise offered us 40% off and a free migration.",
    "The competitor is undercutting you with a big discount.",
    "Datawise's proposal is much cheaper, we are considering it.",
    "We were charged twice on the last invoice.",
    "The invoice total looks wrong again this month.",
]


def _hostile(i: int) -> str:
    """A text that carries everything at once, about the theme of TEXTS[i]."""
    return (
        f"{FORMULA} {TEXTS[i % len(TEXTS)]} {NAME} called from {PHONE} and wrote to {EMAIL}; "
        f"she paid with card {CARD}. {PINGS} see https://admin:{SECRET}@evil.example/login"
    )


def _company(root: Path) -> Path:
    notes = root / "notes"
    notes.mkdir(parents=True)
    for i in range(4):
        name = f"2026-09-0{i + 1} call with {EMAIL} {PHONE} #{i}.md"
        (notes / name).write_text(
            "---\n"
            f"account: {NAME}\n"
            "function: Sales\n"
            f"contact: {EMAIL}\n"
            f"attendees: [{NAME}, {PHONE}]\n"
            "---\n"
            f"# Call with {NAME}\n\n{_hostile(i)}\n\n{TEXTS[(i + 1) % len(TEXTS)]}\n"
        )
    # skipped: a note with nothing to say, named after a person
    (notes / f"empty note {EMAIL} {PHONE}.md").write_text("---\naccount: Acme Logistics\n---\n")
    tickets = []
    for i, text in enumerate(TEXTS * 2):
        tickets.append(
            {
                "id": f"{EMAIL}-{PHONE}-{i}",
                "body": _hostile(i) if i % 3 == 0 else text,
                "at": f"2026-09-{i + 1:02d}T10:00:00Z",
                "org": NAME if i % 2 else "Acme Logistics",
                "team": "Support",
                "requester": {"email": EMAIL, "phone": PHONE, "card": CARD},
            }
        )
    # quarantined: the function value and the channel value hold personal data
    tickets.append({"id": "q1", "body": TEXTS[0], "team": f"{NAME} {CARD}", "at": "2026-09-20"})
    (root / "tickets.jsonl").write_text("".join(json.dumps(t) + "\n" for t in tickets))
    with (root / "survey.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Id", "Comment", "Company", "Date"])
        for i, text in enumerate(TEXTS):
            comment = _hostile(i) if i % 2 else f"{FORMULA} {text}"
            writer.writerow([f"{NAME} {i}", comment, f"=cmd|' /C calc'!A{i}", "2026-09-10"])
    config = root / "silobridge.toml"
    config.write_text(
        f"""
[store]
path = "store"

[taxonomy]
path = "{TAXONOMY}"

[sources.notes]
connector = "notes"
path = "notes"

[sources.tickets]
connector = "jsonl"
path = "tickets.jsonl"
channel = "ticket"

[sources.tickets.mapping]
native_id = "id"
text = "body"
created_at = "at"
account = "org"
function = "team"

[sources.survey]
connector = "csv"
path = "survey.csv"
channel = "survey"
function = "Marketing"
mapping = {{ native_id = "Id", text = "Comment", account = "Company", created_at = "Date" }}
"""
    )
    return config


def _leaks(text: str) -> list[str]:
    digits = "".join(c for c in text if c.isdigit())
    return [p for p in PLANTED if p in text or (p.isdigit() and p in digits and len(p) > 9)]


def _scan_store(store: Path) -> dict[str, list[str]]:
    """Every file the job wrote outside items' and the quarantine's raw records, and every
    string cell of the other tables."""
    found: dict[str, list[str]] = {}
    items_or_quarantine = {"items", "quarantine", "files"}
    for path in sorted(store.rglob("*")):
        if not path.is_file() or path.name.endswith(".lock"):
            continue
        parts = set(path.relative_to(store).parts)
        if path.suffix == ".parquet":
            if parts & items_or_quarantine:
                continue
            table = pq.read_table(path)
            text = json.dumps(table.to_pylist(), default=str, ensure_ascii=False)
        elif parts & items_or_quarantine and "_delta_log" in parts:
            continue  # Delta's log holds column statistics (min/max values) of the raw records
        else:
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, IsADirectoryError):
                continue
        if leaks := _leaks(text):
            found[str(path.relative_to(store))] = leaks
    return found


@pytest.fixture(scope="module")
def hostile_job(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("hostile-company")
    config = _company(root)
    result = runner.invoke(app, ["--log-format", "json", "run", "--config", str(config)])
    return root, config, result


def test_the_job_finishes_and_quarantines_the_hostile_function_value(hostile_job):
    root, _, result = hostile_job
    assert result.exit_code == EXIT_QUARANTINED, result.stderr[-2000:]
    store = Store.open(root / "store")
    assert len(store.items()) == 4 + 16 + 8
    assert len(store.quarantine()) == 1  # the function value; the empty note is skipped
    assert (root / "store" / "reports").is_dir()


def test_no_planted_personal_data_or_secret_in_any_output_log_or_manifest(hostile_job):
    root, config, result = hostile_job
    assert not _leaks(result.stdout), result.stdout
    assert not _leaks(result.stderr), result.stderr
    assert not _scan_store(root / "store")
    # not by chance: the report quotes the hostile texts, redacted, and the person's account
    # as its pseudonym
    evidence = next((root / "store" / "reports").glob("*/tables/evidence.csv")).read_text()
    assert "<EMAIL>" in evidence and "<PHONE>" in evidence
    assert "account:" in evidence
    quarantine = Store.open(root / "store").quarantine()
    assert not _leaks(" ".join(quarantine["reason"])), quarantine["reason"]
    for args in (["quarantine"], ["runs", "--json"], ["sources"], ["themes"]):
        shown = runner.invoke(app, [*args, "--config", str(config)])
        assert not _leaks(shown.stdout + shown.stderr), args


def test_no_csv_cell_starts_a_formula_and_no_digest_pings(hostile_job):
    root, _, _ = hostile_job
    tables = sorted((root / "store" / "reports").rglob("*.csv"))
    assert tables
    for path in tables:
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.reader(f):
                bad = [c for c in row if c.startswith(FORMULA_START) and not NUMBER.match(c)]
                assert not bad, (path.name, bad[:3])
    digests = sorted((root / "store" / "reports").glob("*/digest/*.md"))
    assert digests
    for path in digests:
        text = path.read_text(encoding="utf-8")
        for ping in ("@channel", "<!here>", "<!channel>", "@everyone"):
            assert ping not in text, (path.name, ping)


def test_a_password_in_a_database_url_that_does_not_parse_is_never_shown(tmp_path: Path):
    config = tmp_path / "silobridge.toml"
    for url in (
        f"postgresql://bob:{SECRET}@db@host/x",  # an unescaped @
        f"postgresql:/bob:{SECRET}@host/x",  # one slash missing
        f"Driver={{PostgreSQL}};Server=db;Uid=bob;Pwd={SECRET};",  # ODBC style
    ):
        config.write_text(
            f'[sources.crm]\nconnector = "sql"\nurl = "{url}"\nquery = "select 1"\n'
            'channel = "note"\n'
        )
        for args in (["sources"], ["ingest"], ["quarantine"]):
            shown = runner.invoke(app, [*args, "--config", str(config)])
            assert SECRET not in shown.stdout + shown.stderr, (url, args)
            assert "Traceback" not in shown.stderr
        assert shown.exit_code in (0, EXIT_CONFIG)
