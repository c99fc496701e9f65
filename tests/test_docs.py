"""Docs are tests: every command and option has help text and appears in the README."""

from __future__ import annotations

import re

import typer
from silobridge.cli import app
from typer.main import get_command

from .conftest import ROOT

README = (ROOT / "README.md").read_text()


def _commands(group, prefix: str = "") -> dict:
    """Every command by its full name, sub-commands included ("eval classify")."""
    found = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if hasattr(command, "commands"):
            found.update(_commands(command, prefix + name + " "))
    return found


COMMANDS = _commands(get_command(app))


def test_docs_every_command_has_help_and_is_in_the_readme():
    assert COMMANDS
    for name, command in COMMANDS.items():
        assert command.help, f"`silobridge {name}` has no help text"
        assert f"silobridge {name}" in README, f"README does not mention `silobridge {name}`"


def test_docs_every_option_is_in_the_readme():
    for name, command in COMMANDS.items():
        for param in command.params:
            if isinstance(param, typer.core.TyperOption) or param.param_type_name == "option":
                longest = max(param.opts, key=len)
                if longest == "--help":
                    continue
                assert param.help, f"{name} {longest} has no help text"
                assert longest in README, f"README does not document `silobridge {name} {longest}`"


def test_docs_readme_gives_exactly_two_setup_commands_and_ci_runs_the_test_one():
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S)
    assert block, "README has no Quick start block"
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_docs_schema_documents_every_items_column():
    from silobridge.pipeline.store.schema import TABLES

    schema_doc = (ROOT / "docs" / "schema.md").read_text()
    for table in TABLES.values():
        for name in table.names:
            assert f"`{name}`" in schema_doc, f"docs/schema.md does not document `{name}`"


def test_docs_connectors_page_matches_the_code():
    from silobridge.extractors._docs import render

    page = (ROOT / "docs" / "connectors.md").read_text()
    assert page == render(), "docs/connectors.md is stale: python -m silobridge.extractors._docs"
