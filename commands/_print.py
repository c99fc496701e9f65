"""The tables and summaries that more than one command prints (a stage's own command, and
``run`` and ``demo``, which print every stage's)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.table import Table

from ._app import notice, out


def _print_ingest(result: Any) -> None:
    table = Table(title=f"Run {result.run_id}", title_justify="left")
    cols = (
        "read",
        "new",
        "updated",
        "unchanged",
        "duplicate",
        "quarantined",
        "skipped",
        "files_read",
        "files_unchanged",
    )
    table.add_column("source")
    for col in cols:
        table.add_column(col.replace("_", " "), justify="right")
    for name, counts in result.sources.items():
        table.add_row(name, *(str(getattr(counts, c)) for c in cols))
    totals = result.totals
    table.add_row("total", *(str(getattr(totals, c)) for c in cols), style="bold")
    out.print(table)
    if result.rolled_back:
        notice(f"Recovered from an unfinished run: rolled back {result.rolled_back}.")
    if totals.quarantined:
        notice(
            f"{totals.quarantined} records quarantined ({result.quarantine_added} new); "
            "`silobridge quarantine` shows where and why."
        )


def _print_understand(result: Any) -> None:
    stats = result.stats
    table = Table(title=f"Understand run {result.run_id}", title_justify="left")
    for col in ("items", "processed", "units written", "removed", "re-embedded", "units"):
        table.add_column(col, justify="right")
    table.add_row(
        str(result.items_total),
        str(result.items_processed),
        str(result.units_written),
        str(result.units_removed),
        str(result.units_reembedded),
        str(result.units_total),
    )
    out.print(table)
    redacted = {k[len("redacted_") :]: v for k, v in stats.items() if k.startswith("redacted_")}
    entities = {k[len("entities_") :]: v for k, v in stats.items() if k.startswith("entities_")}
    if result.items_processed:
        out.print(
            f"{stats.get('analyzed_texts', 0)} distinct unit texts redacted and tagged; "
            f"{stats.get('encoded', 0)} embedded, {stats.get('cache_hits', 0)} vectors from the "
            "cache. Redacted: "
            + (", ".join(f"{v} {k}" for k, v in sorted(redacted.items())) or "nothing")
            + ". Entities: "
            + (", ".join(f"{v} {k}" for k, v in sorted(entities.items())) or "none")
            + "."
        )
    if stats.get("items_cut") or stats.get("items_split") or stats.get("sentences_split"):
        out.print(
            f"Long texts: {stats.get('items_cut', 0)} items cut at the length limit "
            f"({stats.get('chars_cut', 0)} characters not analysed), "
            f"{stats.get('items_split', 0)} items and {stats.get('sentences_split', 0)} "
            "sentences split into pieces (docs/understand.md, Long texts)."
        )
    steps = ("segment", "analyze", "embed", "write", "total")
    out.print(
        "Seconds: "
        + ", ".join(f"{k} {result.timings[k]:.1f}" for k in steps if k in result.timings)
    )


def _print_entities(units: Any) -> None:
    counts: Counter[tuple[str, str]] = Counter()
    for ents in units["entities"]:
        for e in ents if ents is not None else ():
            counts[(e["type"], e["id"])] += 1
    if not counts:
        return
    table = Table(title="Most mentioned products, features and competitors", title_justify="left")
    for col in ("type", "id", "units"):
        table.add_column(col, justify="right" if col == "units" else "left")
    for (kind, entity_id), n in counts.most_common(12):
        table.add_row(kind, entity_id, str(n))
    out.print(table)


def _print_classify(result: Any) -> None:
    stats = result.stats
    if not stats:
        out.print("No units to classify: run `silobridge understand` first.")
        return
    out.print(
        f"Classify run {result.run_id}: {stats['units']} units labelled, "
        f"{stats['unassigned']} without a theme (left to theme discovery)."
    )
    table = Table(title="Units per theme (a unit can have several)", title_justify="left")
    table.add_column("theme")
    table.add_column("units", justify="right")
    for theme, n in sorted(stats["themes"].items(), key=lambda kv: -kv[1]):
        table.add_row(theme, str(n))
    out.print(table)
    for key in ("insight_types", "sentiment", "function_source"):
        values = ", ".join(f"{k} {v}" for k, v in sorted(stats[key].items(), key=lambda kv: -kv[1]))
        out.print(f"{key.replace('_', ' ').capitalize()}: {values}.")


def _print_discover(result: Any, *, limit: int = 15) -> None:
    stats = result.stats
    if not stats.get("units"):
        out.print("No units to discover themes in: run `silobridge understand` first.")
        return
    out.print(
        f"Discover run {result.run_id} ({stats['mode']}): {stats['units']} units "
        f"({stats['scope']}), {stats['assigned']} in {stats['themes']} themes, "
        f"{stats['unassigned']} unassigned ({100 * stats['unassigned_share']:.1f}%). "
        f"New themes {stats['new_themes']}, merged {stats['merged']}, split {stats['split']}, "
        f"retired {stats['retired']}; {stats.get('groups', 0)} groups."
    )
    groups = result.groups[["group_id", "label", "size"]].rename(
        columns={"label": "group_label", "size": "group_size"}
    )
    themes = (
        result.themes[result.themes["status"] == "active"]
        .merge(groups, on="group_id", how="left")
        .sort_values(
            ["group_size", "group_id", "size", "theme_id"], ascending=[False, True, False, True]
        )
    )
    _print_themes(themes.head(limit))
    if len(themes) > limit:
        out.print(f"... and {len(themes) - limit} more: `silobridge themes`.")


def _print_themes(themes: Any, *, show_status: bool = False) -> None:
    table = Table(title="Discovered themes, in their groups", title_justify="left")
    grouped = "group_id" in themes.columns and themes["group_id"].notna().any()
    columns = (("group",) if grouped else ()) + ("id", "label", "units", "top terms")
    for col in columns + (("status",) if show_status else ()):
        table.add_column(col, justify="right" if col == "units" else "left")
    last_group = None
    for _, row in themes.iterrows():
        cells = [row["theme_id"], row["label"], str(row["size"]), ", ".join(row["terms"][:5])]
        if grouped:
            group = row["group_id"] if isinstance(row["group_id"], str) else ""
            label = row.get("group_label", "") or ""
            first = group != last_group
            last_group = group
            cells.insert(0, f"{group} {label}" if first and group else "")
        if show_status:
            status = row["status"]
            for key in ("merged_into", "promoted_to", "split_from"):
                if row.get(key):
                    status += f" ({key.replace('_', ' ')} {row[key]})"
            cells.append(status)
        table.add_row(*cells)
    out.print(table)


def _print_report(result: Any) -> None:
    s = result.summary
    found = result.tables["findings"]
    names = dict(
        zip(result.tables["themes"]["theme"], result.tables["themes"]["name"], strict=True)
    )
    groups = result.tables["groups"]
    names.update(
        {g: n for g, n in zip(groups["group"], groups["name"], strict=True) if g not in names}
    )
    changes = result.tables["changes"]
    out.print(
        f"Report on {s['items']} items, {s['themes']} themes in {len(groups)} groups, weeks "
        f"{s['period'][0]} to {s['period'][1]}: {s['findings']} findings (of "
        f"{s['blind_spots']} significant tests), {s['spikes']} spikes, {len(changes)} changes."
    )
    for function in s["functions"]:
        top = found[found["function"] == function].sort_values("finding_rank")
        if len(top):
            heard = ", ".join(names.get(t, t) for t in top["theme"].head(3))
            more = f" (+{len(top) - 3} more)" if len(top) > 3 else ""
            out.print(f"  {function} hears what the others miss: {heard}{more}")
    html = result.path / "report.html"
    out.print(f"Report: {html}\nDigests: {result.path / 'digest'}/<function>.md; tables: "
              f"{result.path / 'tables'}")  # fmt: skip
