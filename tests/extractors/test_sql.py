"""The sql connector on real databases: a SQLite file, and a PostgreSQL server started here.

Both databases hold the same rows (tests/fixtures/sql/*.sql) and pass the behaviour every
connector owes (see test_all_connectors.py, which runs the committed SQLite files too): bad rows
quarantined with an address, counts that add up, a re-run that adds nothing, a changed row that
replaces its old version; and the cursor: a second run reads only the rows at or above the
first run's mark.

PostgreSQL comes from Debian's ``postgresql`` package (binaries under
/usr/lib/postgresql/<version>/bin). A session fixture runs ``initdb`` into a temporary folder (as
the ``postgres`` user when the tests run as root), starts the server on a free port with its unix
socket in that folder and password authentication over TCP, and stops it at the end. Without the
binaries the PostgreSQL tests are skipped, unless ``CI`` is set: then they fail.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import silobridge
from silobridge.config import load_config, make_source
from silobridge.errors import ConfigError, ConnectorError
from silobridge.extractors.sql import mask_url
from silobridge.pipeline.ingest import run_ingest

from ..conftest import FIXTURES, fixture_case

FIXTURE = FIXTURES / "sql"
OPTIONS = fixture_case("sql")["options"]
PASSWORD = "s3cr3t-Pa55word"
USER = "silobridge"


def _statements(*scripts: str) -> list[str]:
    """The statements of fixture scripts: comment lines dropped, one per ';' at a line end."""
    out = []
    for script in scripts:
        lines = (FIXTURE / script).read_text(encoding="utf-8").splitlines()
        text = "\n".join(line for line in lines if not line.startswith("--"))
        out += [s.strip() for s in text.split(";\n") if s.strip().rstrip(";")]
    return [s.rstrip(";") for s in out]


def build_sqlite(path: Path, *scripts: str) -> Path:
    """Run fixture scripts on the SQLite file at ``path`` (created if missing)."""
    with sqlite3.connect(path) as conn:
        for statement in _statements(*scripts):
            conn.execute(statement)
    conn.close()
    return path


# --- a real PostgreSQL server ----------------------------------------------------------------


def _pg_bindir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).parent
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Postgres:
    """A running server: ``url(db)`` for SQLAlchemy, ``connect(db)`` for psycopg."""

    port: int
    created: int = 0

    def url(self, database: str, password: str = PASSWORD, port: int | None = None) -> str:
        return f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{port or self.port}/{database}"

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=PASSWORD,
            dbname=database,
            autocommit=True,
        )

    def new_database(self) -> str:
        self.created += 1
        name = f"crm_{self.created}"
        with self.connect() as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name

    def run(self, database: str, *scripts: str) -> None:
        with self.connect(database) as conn:
            for statement in _statements(*scripts):
                conn.execute(statement)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bindir = _pg_bindir()
    if bindir is None:
        reason = (
            "PostgreSQL is not installed (apt-get install -y postgresql): no pg_ctl on PATH or "
            "under /usr/lib/postgresql/*/bin"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests")
        pytest.skip(reason)
    as_user: list[str] = []
    root = Path(tempfile.mkdtemp(prefix="silobridge-pg-"))
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres", "postgres")
    (root / "pw").write_text(PASSWORD)
    if as_user:
        shutil.chown(root / "pw", "postgres", "postgres")
    data, port = root / "data", _free_port()

    def pg(tool: str, *args: str) -> None:
        subprocess.run(
            [*as_user, str(bindir / tool), *args],
            check=True,
            capture_output=True,
            cwd=root,
            timeout=60,
        )

    try:
        pg(
            "initdb", "-D", str(data), "-U", USER, f"--pwfile={root / 'pw'}", "-E", "UTF8",
            "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync",
        )  # fmt: skip
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        pg("pg_ctl", "-D", str(data), "-l", str(root / "log"), "-o", options, "-w", "start")
    except subprocess.CalledProcessError as e:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {e.stderr.decode(errors='replace')[-500:]}")
    try:
        yield Postgres(port)
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


# --- one fixture, both databases ---------------------------------------------------------------


@dataclass
class Database:
    """A database loaded with schema.sql + v1.sql; ``apply(script)`` runs another script."""

    kind: str
    url: str
    apply: Callable[[str], None]


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        path = build_sqlite(tmp_path / "crm.db", "schema.sql", "v1.sql")
        return Database("sqlite", f"sqlite:///{path}", lambda s: build_sqlite(path, s))
    server: Postgres = request.getfixturevalue("postgres")
    name = server.new_database()
    server.run(name, "schema.sql", "v1.sql")
    return Database("postgresql", server.url(name), lambda s: server.run(name, s))


def _source(db: Database, tmp_path: Path, name: str = "crm_db", **options: Any):
    body = {"connector": "sql", "url": db.url, **OPTIONS, **options}
    body = {k: v for k, v in body.items() if v is not None}  # table=None: use the query
    return make_source(name, body, base_dir=tmp_path)


# --- the behaviour every connector owes --------------------------------------------------------


def test_sql_quarantines_bad_rows_with_their_address_and_stores_the_rest(
    db: Database, tmp_path: Path, store_path: Path
):
    counts = run_ingest(store_path, [_source(db, tmp_path)]).totals
    store = silobridge.open_store(store_path)
    items, quarantine = store.items(), store.quarantine()
    assert sorted(items["native_id"]) == ["1", "2", "7", "8"]
    assert (counts.read, counts.duplicate, counts.quarantined) == (7, 1, 2)
    assert counts.skipped_reasons == {"no text (nothing to analyse)": 2}  # rows 3 and 6
    assert counts.read == len(items) + len(quarantine) + counts.duplicate
    assert (
        counts.read
        == counts.new + counts.updated + counts.unchanged + counts.duplicate + counts.quarantined
    )
    assert set(items["source_path"]) == {"sql:table=notes"}
    assert str(items["created_at"].dtype) == "datetime64[us, UTC]"
    by_id = items.set_index("native_id")
    assert by_id.loc["7", "function"] == "Success"  # "customer success", normalised
    assert by_id.loc["7", "text"].startswith("客户说导出很慢 🐢")
    assert by_id.loc["2", "account"] == "Globex"
    reasons = {(r.source_path, r.locator): r.reason for r in quarantine.itertuples()}
    assert reasons == {
        ("sql:table=notes", "row id=4"): "created: not a recognisable timestamp",
        ("sql:table=notes", "row 6"): "missing required field 'id'",
    }
    assert all(quarantine["raw"].str.startswith("{"))


def test_sql_second_ingest_adds_nothing(db: Database, tmp_path: Path, store_path: Path):
    source = _source(db, tmp_path)
    run_ingest(store_path, [source])
    store = silobridge.open_store(store_path)
    items, quarantined = store.items(), len(store.quarantine())
    again = run_ingest(store_path, [source])  # no cursor: every row is read again
    assert (again.totals.read, again.totals.new, again.totals.updated) == (
        7,
        0,
        0,
    )  # 9 rows, 2 without text skipped
    assert (again.totals.unchanged, again.totals.duplicate) == (4, 1)
    assert again.quarantine_added == 0 and len(store.quarantine()) == quarantined
    after = store.items()
    assert set(after["item_id"]) == set(items["item_id"])
    assert list(after.sort_values("item_id")["record_hash"]) == list(
        items.sort_values("item_id")["record_hash"]
    )


def test_sql_changed_row_replaces_its_old_version(db: Database, tmp_path: Path, store_path: Path):
    source = _source(db, tmp_path)
    run_ingest(store_path, [source])
    store = silobridge.open_store(store_path)
    before = store.items().set_index("native_id")
    db.apply("v2.sql")
    counts = run_ingest(store_path, [source]).totals
    after = store.items().set_index("native_id")
    assert (counts.new, counts.updated, counts.unchanged) == (0, 1, 3)
    assert len(after) == len(before)
    assert after.loc["1", "text"].endswith("4.2 did not fix it.")
    assert after.loc["1", "record_hash"] != before.loc["1", "record_hash"]
    others = before.index.drop("1")
    assert (after.loc[others, "record_hash"] == before.loc[others, "record_hash"]).all()


# --- the cursor ----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["table", "query"])
def test_sql_cursor_reads_only_rows_at_or_above_the_last_mark(
    db: Database, tmp_path: Path, store_path: Path, form: str
):
    options: dict[str, Any] = {"cursor": "updated_at"}
    if form == "query":  # colons and % in a query reach the database as written
        options |= {
            "table": None,
            "query": "SELECT * FROM notes WHERE body IS NULL OR body NOT LIKE '%:nothing%';",
        }
    body = {"connector": "sql", "url": db.url, **OPTIONS, **options}
    body = {k: v for k, v in body.items() if v is not None}
    source = make_source("crm_db", body, base_dir=tmp_path)
    first = run_ingest(store_path, [source]).totals
    assert (first.read, first.new) == (7, 4)  # 9 rows, 2 without text skipped
    db.apply("v2.sql")  # note 1 edited
    db.apply("new_rows.sql")  # notes 9 and 10 written
    second = run_ingest(store_path, [source]).totals
    # At or above the mark (note 7, the newest good row): note 7 again, bad note 4 (its
    # cursor is newer but it moved no mark), edited note 1, new notes 9 and 10.
    assert (second.read, second.new, second.updated) == (5, 2, 1)
    assert (second.unchanged, second.quarantined, second.duplicate) == (1, 1, 0)
    third = run_ingest(store_path, [source]).totals
    assert (third.read, third.unchanged, third.new) == (1, 1, 0)  # note 10, at the mark
    full = run_ingest(store_path, [source], full=True).totals
    assert (full.read, full.unchanged, full.new, full.updated) == (
        9,
        6,
        0,
        0,
    )  # 11 rows, 2 without text skipped
    items = silobridge.open_store(store_path).items()
    assert sorted(items["native_id"], key=int) == ["1", "2", "7", "8", "9", "10"]
    files = silobridge.open_store(store_path).read("files").to_pylist()
    assert [(f["source_name"], f["source_path"]) for f in files] == [("crm_db", "sql:<crm_db>")]
    assert '"cursor": "updated_at"' in files[0]["sha256"]


def test_sql_cursor_may_be_a_number(db: Database, tmp_path: Path, store_path: Path):
    source = _source(db, tmp_path, cursor="id")
    assert run_ingest(store_path, [source]).totals.read == 7
    db.apply("new_rows.sql")
    again = run_ingest(store_path, [source]).totals  # ids >= 8, the highest good id
    assert (again.read, again.new, again.unchanged) == (3, 2, 1)


def test_sql_changed_settings_reset_the_mark(db: Database, tmp_path: Path, store_path: Path):
    run_ingest(store_path, [_source(db, tmp_path, cursor="updated_at")])
    assert run_ingest(store_path, [_source(db, tmp_path, cursor="updated_at")]).totals.read == 2
    # Another metadata selection is another reading of the source: every row again.
    changed = _source(db, tmp_path, cursor="updated_at", metadata_columns=[])
    assert run_ingest(store_path, [changed]).totals.read == 7


# --- settings, errors, and the password ----------------------------------------------------------


def test_sql_password_never_reaches_logs_errors_or_the_store(
    postgres: Postgres, tmp_path: Path, store_path: Path, caplog: pytest.LogCaptureFixture
):
    name = postgres.new_database()
    postgres.run(name, "schema.sql", "v1.sql")
    db = Database("postgresql", postgres.url(name), lambda s: None)
    source = _source(db, tmp_path, cursor="updated_at")
    assert PASSWORD not in repr(source) and PASSWORD not in source.display_path(source.path)
    assert source.display_path(source.path) == postgres.url(name, password="***")
    with caplog.at_level(logging.DEBUG):
        run_ingest(store_path, [source])
        run_ingest(store_path, [source], full=True)
    assert PASSWORD not in caplog.text
    for file in store_path.rglob("*"):
        if file.is_file():
            assert PASSWORD.encode() not in file.read_bytes(), file
    # A wrong password and an unreachable server: quarantined with the database's message,
    # the other sources still read; --strict stops with a clean error. No password anywhere.
    bad = [
        _source(Database("postgresql", url, lambda s: None), tmp_path, name=f"bad{i}")
        for i, url in enumerate(
            (
                postgres.url(name, password="wrong-" + PASSWORD),
                postgres.url(name, port=_free_port()),
            )
        )
    ]
    with caplog.at_level(logging.DEBUG):
        result = run_ingest(store_path, [*bad, source])
        with pytest.raises(ConnectorError) as info:
            run_ingest(store_path, bad, on_bad_record="raise")
    assert (result.sources["crm_db"].read, result.sources["crm_db"].unchanged) == (2, 1)
    quarantine = silobridge.open_store(store_path).quarantine().set_index("source_name")
    assert "password authentication failed" in quarantine.loc["bad0", "reason"]
    assert quarantine.loc["bad1", "locator"] == "database"
    assert str(info.value).startswith("sql:table=notes:database: the database failed: ")
    assert PASSWORD not in str(info.value) and PASSWORD not in caplog.text
    assert ":***@127.0.0.1" in caplog.text  # the log names the database, masked
    for file in store_path.rglob("*"):
        if file.is_file():
            assert PASSWORD.encode() not in file.read_bytes(), file


def test_sql_mask_url_hides_passwords_only():
    assert mask_url("postgresql+psycopg://ana:p%40ss@db:5432/crm") == (
        "postgresql+psycopg://ana:***@db:5432/crm"
    )
    assert mask_url("postgresql://ana@db/crm?password=x&sslmode=require") == (
        "postgresql://ana@db/crm?password=***&sslmode=require"
    )
    assert mask_url("sqlite:////data/crm.db") == "sqlite:////data/crm.db"


def test_sql_config_takes_a_url_or_a_sqlite_path(tmp_path: Path):
    build_sqlite(tmp_path / "crm.db", "schema.sql", "v1.sql")
    config = tmp_path / "silobridge.toml"
    config.write_text(
        '[sources.by_url]\nconnector = "sql"\nurl = "sqlite:///crm.db"\ntable = "notes"\n'
        'mapping = { text = "body" }\n'
        '[sources.by_path]\nconnector = "sql"\npath = "crm.db"\nquery = "SELECT * FROM notes"\n'
        'cursor = "updated_at"\nmapping = { text = "body" }\n'
    )
    sources = load_config(config).sources
    assert sources["by_url"].url == f"sqlite:///{tmp_path / 'crm.db'}"  # relative to the file
    assert sources["by_path"].url == sources["by_url"].url
    assert sources["by_path"].options == {
        "query": "SELECT * FROM notes",
        "cursor": "updated_at",
        "mapping": {"text": "body"},
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "sqlite:///crm.db", "path": "crm.db"}, r"sources\.s\.path: set 'url' .* not both"),
        ({}, r"sources\.s: missing 'url' \(the database URL"),
        ({"url": "postgres://ana:pw@db/crm"}, r"sources\.s\.url: unknown database kind 'postgres'"),
        ({"url": "not a url"}, r"sources\.s\.url: not a database URL"),
        ({"url": "sqlite:///missing.db"}, r"SQLite database file does not exist: .*missing\.db"),
        ({"url": 5}, r"sources\.s\.url: must be a non-empty string; got 5"),
    ],
)
def test_sql_config_errors_name_the_key_and_the_fix(
    tmp_path: Path, body: dict[str, Any], message: str
):
    build_sqlite(tmp_path / "crm.db", "schema.sql")
    with pytest.raises(ConfigError, match=message) as info:
        make_source("s", {"connector": "sql", **body}, base_dir=tmp_path)
    assert ":pw@" not in str(info.value)


def test_sql_url_is_refused_for_file_connectors(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"sources\.s\.url: 'url' is for database connectors"):
        make_source("s", {"connector": "csv", "url": "sqlite:///x.db"}, base_dir=tmp_path)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"query": "SELECT * FROM notes"}, r"exactly one of 'query' .* or 'table'"),
        ({"mapping": {"text": "bdy"}}, r"mapping\.text names column 'bdy', .*Columns found: 'id'"),
        ({"cursor": "changed"}, r"cursor names column 'changed', which is not in the result"),
        ({"batch_size": 0}, r"'batch_size' must be a whole number >= 1"),
    ],
)
def test_sql_bad_options_stop_the_run_naming_the_source(
    tmp_path: Path, store_path: Path, options: dict[str, Any], message: str
):
    path = build_sqlite(tmp_path / "crm.db", "schema.sql", "v1.sql")
    db = Database("sqlite", f"sqlite:///{path}", lambda s: None)
    with pytest.raises(ConfigError, match=message) as info:
        run_ingest(store_path, [_source(db, tmp_path, **options)])
    assert "sources.crm_db" in str(info.value)


def test_sql_failed_read_is_quarantined_and_keeps_the_mark(tmp_path: Path, store_path: Path):
    path = build_sqlite(tmp_path / "crm.db", "schema.sql", "v1.sql")
    db = Database("sqlite", f"sqlite:///{path}", lambda s: None)
    source = _source(db, tmp_path, cursor="updated_at")
    run_ingest(store_path, [source])
    store = silobridge.open_store(store_path)
    mark = store.read("files").to_pylist()[0]["sha256"]
    path.rename(tmp_path / "away.db")
    path.write_bytes(b"this is not a database" * 100)
    failed = run_ingest(store_path, [source]).totals
    assert (failed.read, failed.quarantined) == (1, 1)
    row = store.quarantine().sort_values("last_seen_at").iloc[-1]
    assert (row.source_path, row.locator) == ("sql:table=notes", "database")
    assert row.reason.startswith("the database failed: file is not a database")
    assert store.read("files").to_pylist()[0]["sha256"] == mark
    (tmp_path / "away.db").replace(path)
    build_sqlite(path, "new_rows.sql")
    assert run_ingest(store_path, [source]).totals.read == 4  # from the old mark: 7, 4, 9, 10


def test_sql_query_the_database_refuses_is_quarantined(tmp_path: Path, store_path: Path):
    path = build_sqlite(tmp_path / "crm.db", "schema.sql")
    db = Database("sqlite", f"sqlite:///{path}", lambda s: None)
    source = _source(db, tmp_path, table=None, query="SELECT * FROM no_such_table")
    with pytest.raises(ConnectorError, match=r"^sql:query:database: .*no such table"):
        run_ingest(store_path, [source], on_bad_record="raise")


def test_sql_fixture_databases_match_their_scripts(tmp_path: Path):
    for name, scripts in (("v1.db", ("v1.sql",)), ("v2.db", ("v1.sql", "v2.sql"))):
        built = build_sqlite(tmp_path / name, "schema.sql", *scripts)
        dumps = []
        for path in (built, FIXTURE / name):
            with sqlite3.connect(path) as conn:
                dumps.append(list(conn.iterdump()))
            conn.close()
        assert dumps[0] == dumps[1], f"rebuild tests/fixtures/sql/{name} from its scripts"
