"""Render docs/connectors.md from the registry: names, formats, options and module docstrings.

    .venv/bin/python -m silobridge.extractors._docs > docs/connectors.md

tests/test_docs.py checks that the committed file matches, so the docs cannot drift from code.
"""

from __future__ import annotations

import importlib
import inspect

from .registry import all_connectors

HEADER = """# Connectors

Generated from the code by `python -m silobridge.extractors._docs > docs/connectors.md`; do not
edit by hand. Each connector is one module in `extractors/`; `silobridge sources` lists them too.
Tags such as [GOZD] refer to the sources listed in the project's vendor-format notes.

Options are set per source in `silobridge.toml`, next to `connector`, `path`, `function` and
`channel`; on the command line as `--option KEY=VALUE`.
"""


def render() -> str:
    """The whole docs/connectors.md text."""
    out = [HEADER]
    seen_modules: set[str] = set()
    for name, spec in all_connectors().items():
        module = importlib.import_module(spec.read.__module__)
        out.append(f"\n## `{name}`\n\n")
        reads = (
            f"Formats: {', '.join('`.' + f + '`' for f in spec.formats)}"
            if spec.formats
            else "Reads: a database (`url`, or `path` for a SQLite file)"
        )
        out.append(
            f"{reads}. Layout: `{spec.layout}`. "
            f"Default channel: {'`' + spec.channel + '`' if spec.channel else 'none (set one)'}.\n"
        )
        if spec.options:
            out.append("\n| option | default |\n|---|---|\n")
            for option, default in spec.options.items():
                out.append(f"| `{option}` | `{default!r}` |\n")
        if module.__name__ in seen_modules:
            out.append(f"\nSee `{module.__name__.rsplit('.', 1)[-1]}` above.\n")
            continue
        seen_modules.add(module.__name__)
        out.append("\n" + inspect.cleandoc(module.__doc__ or "").replace("``", "`") + "\n")
    return "".join(out)


if __name__ == "__main__":
    print(render(), end="")
