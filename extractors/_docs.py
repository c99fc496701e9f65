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

## Broken and hostile input

Every connector reads record by record behind one guard: whatever one record does (nesting
10,000 deep, an integer of 5,000 digits, a NUL byte, a field of megabytes, or an exception in
the connector's own code), that record is quarantined as `path:locator: reason` and every other
record is read. A reason names the limit or the problem, never the record's content.

* **A file is marked as read only when it was read to its end.** A file cut short (a JSON
  array without its closing `]`, even exactly at a record boundary; a CSV quote that never
  closes; a last JSON Lines line without its line end that does not parse) or damaged outside
  its records gives a rejection at `end of file` or `file`, and the next run reads it again
  (its good records dedupe).
* **Limits**, `[limits]` in `silobridge.toml` (whole numbers; raising one does not re-read
  files already read: `ingest --full`):

  | key | default | what is rejected |
  |---|---|---|
  | `max_depth` | 200 | a JSON record nested deeper (Python's parser fails near 1,000) |
  | `max_digits` | 1,000 | a JSON integer with more digits (Python refuses over 4,300) |
  | `max_field_chars` | 10,000,000 | a CSV cell longer than this: one row, not millions |
  | `max_record_chars` | 20,000,000 | a JSON record, JSON Lines line or CSV row longer than this |

  YAML front matter is loaded safely: aliases (the "billion laughs") and nesting over 64 are
  refused, and front matter over 64 KB rejects the note.
* **Lines**: CSV rows end only at `\\n` or `\\r\\n` outside quotes (U+2028, `\\x0b`, `\\x0c`
  inside a cell stay in the cell); a NUL byte or bad bytes in a JSON Lines file spoil only
  their line.
* **Memory**: ingesting one file takes at most about 20 times its size plus 300 MB
  (`benchmarks/hostile_ingest.py` measures each hostile case).
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
