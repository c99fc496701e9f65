"""Looking at what is there: ``silobridge sources``, ``quarantine`` and ``runs``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from ..config import DEFAULT_CONFIG
from ..errors import mask_personal
from ..extractors import all_connectors
from ._app import ConfigOpt, JsonOpt, StoreOpt, _errors, _load, _store_path, app, err, out


@app.command()
def sources(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """List the connectors (formats, options) and the sources configured in silobridge.toml."""
    with _errors():
        cfg = _load(config, required=False)
        connectors = all_connectors()
        data: dict[str, dict[str, Any]] = {
            "connectors": {
                n: {
                    "formats": list(s.formats),
                    "layout": s.layout,
                    "channel": s.channel,
                    "options": {k: v for k, v in s.options.items()},
                    "description": s.description,
                }
                for n, s in connectors.items()
            },
            "sources": {
                n: {
                    "connector": s.connector,
                    "path": s.display_path(s.path),
                    "function": s.function,
                    "channel": s.channel,
                    "enabled": s.enabled,
                    "options": s.options,
                }
                for n, s in (cfg.sources.items() if cfg else [])
            },
        }
        if as_json:
            print(json.dumps(data, default=str))
            return
        table = Table(title="Connectors", title_justify="left")
        for col in ("name", "formats", "layout", "options", "reads"):
            table.add_column(col)
        for n, s in connectors.items():
            table.add_row(n, ", ".join(s.formats), s.layout, ", ".join(s.options), s.description)
        out.print(table)
        if cfg:
            table = Table(title=f"Sources in {cfg.path}", title_justify="left")
            for col in ("source", "connector", "path", "function", "channel", "enabled"):
                table.add_column(col)
            for n, s in data["sources"].items():
                table.add_row(
                    n,
                    s["connector"],
                    s["path"],
                    s["function"] or "-",
                    s["channel"] or "default",
                    str(s["enabled"]),
                )
            out.print(table)
        else:
            out.print(f"No {DEFAULT_CONFIG} here: no configured sources.")


@app.command()
def quarantine(
    config: ConfigOpt = None,
    store: StoreOpt = None,
    source: Annotated[
        list[str] | None, typer.Option("--source", help="Only these sources. Repeatable.")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="Show at most this many records (0: all).")
    ] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Show what was rejected and why: path:locator: reason, newest first.

    The raw records are not printed (they may hold personal data), and e-mail addresses,
    phone and card numbers in paths and locators show as <EMAIL>, <PHONE>, <CARD>; read the
    records and their exact paths with `silobridge.open_store(PATH).quarantine()`.
    """
    # deferred: keeps CLI start-up fast
    from ..pipeline.store import Store

    with _errors():
        st = Store.open(_store_path(config, store))
        df = st.quarantine()
        if source:
            df = df[df["source_name"].isin(source)]
        df = df.sort_values(
            ["last_seen_at", "source_name", "source_path", "locator"],
            ascending=[False, True, True, True],
        )
        total = len(df)
        if limit:
            df = df.head(limit)
        rows = [
            {
                k: mask_personal(str(r[k]))
                for k in (
                    "source_name",
                    "source_path",
                    "locator",
                    "reason",
                    "first_run_id",
                    "last_run_id",
                )
            }
            for r in df.to_dict("records")
        ]
        if as_json:
            print(json.dumps({"total": total, "records": rows}))
            return
        for r in rows:
            out.print(
                f"[{r['source_name']}] {r['source_path']}:{r['locator']}: {r['reason']}",
                markup=False,
            )
        shown = f"showing {len(rows)} of {total}" if total > len(rows) else f"{total}"
        err.print(f"{shown} quarantined records in {st.root}")


@app.command()
def runs(config: ConfigOpt = None, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """List the finished runs of a store: id, kind, outcome, counts and table versions."""
    # deferred: keeps CLI start-up fast
    from ..pipeline.store import Store

    with _errors():
        st = Store.open(_store_path(config, store))
        manifests = st.manifests()
        if as_json:
            print(json.dumps([{"seq": m.seq, **m.data} for m in manifests], default=str))
            return
        table = Table(title=f"Runs in {st.root}", title_justify="left")
        for col in ("seq", "run id", "kind", "finished", "outcome", "what it did", "versions"):
            table.add_column(col)
        for m in manifests:
            counts = m.data.get("counts", {})
            kind = str(m.data.get("kind", "ingest"))
            if kind == "classify":
                done = (
                    f"{counts.get('units', 0)} units labelled, "
                    f"{counts.get('unassigned', 0)} unassigned"
                )
            elif kind == "understand":
                done = (
                    f"{counts.get('items_processed', 0)} items processed, "
                    f"{counts.get('units_written', 0)} units written, "
                    f"{counts.get('units_removed', 0)} removed"
                )
            else:
                total = counts.get("total", {})
                done = ", ".join(
                    f"{total.get(k, 0)} {k}" for k in ("new", "updated", "quarantined")
                )
            versions = " ".join(f"{k}={v}" for k, v in m.versions.items())
            cells = [str(m.seq), m.run_id, kind, str(m.data.get("finished_at", ""))[:19]]
            cells += [str(m.data.get("outcome")), done]
            table.add_row(*cells, versions)
        out.print(table)
