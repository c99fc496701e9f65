"""``silobridge redact``: personal data out of lines of text, stdin to stdout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ._app import _errors, app


@app.command()
def redact(
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="Taxonomy YAML whose gazetteer names (products, features, competitors) are kept.",
        ),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="A name to keep (a company or account). Repeatable."),
    ] = None,
) -> None:
    """Redact personal data in lines of text: stdin to stdout, one line at a time.

    Names, emails, phone numbers, card numbers, IBANs, IP addresses and personal URLs become
    typed placeholders (<PERSON>, <EMAIL>, ...); company and product names stay. The same code
    path as the pipeline, for spot checks and scripts.
    """
    # deferred: keeps CLI start-up fast
    from ..pipeline.understand.redact import Redactor, redact_lines
    from ..taxonomy import gazetteer_names, load_gazetteer

    with _errors():
        names = list(allow or [])
        if taxonomy is not None:
            names += gazetteer_names(load_gazetteer(taxonomy))
        for line in redact_lines(sys.stdin, redactor=Redactor(allow_list=names)):
            sys.stdout.write(line)
            sys.stdout.flush()
