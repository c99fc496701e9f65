"""The report for people: one self-contained HTML file (no CDN, no script), and a Markdown
digest per function.

Every text that comes from data (quotes, theme names, accounts, ids) goes through
:func:`html.escape` in the HTML and :func:`md` in the digests; charts are inline SVG drawn
here. The digests go to Slack: :func:`md` also leaves them unable to ping anyone or unfurl a
link (:mod:`.safety`). Ids and accounts reach both already made safe by the build
(:func:`.safety.safe_reference`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from .build import Report, ordered_functions, theme_label
from .safety import inert_url, neutralise_mentions, split_urls

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;
background:#f6f7f9;line-height:1.45}
header{background:#1d2330;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.5rem}
header p{margin:.3rem 0 0;color:#c9d1e0}main{padding:1rem 2rem;max-width:1200px}
section{background:#fff;border-radius:8px;padding:1rem 1.4rem;margin:1rem 0;
box-shadow:0 1px 2px rgba(0,0,0,.08)}h2{margin-top:.2rem;font-size:1.2rem}
nav a{color:#c9d1e0;margin-right:1rem}table{border-collapse:collapse;font-size:.85rem}
th,td{padding:.25rem .5rem;text-align:right;border-bottom:1px solid #eceef2}
th:first-child,td:first-child{text-align:left}td.cell{min-width:4.5rem}
.kind{color:#6b7385;font-size:.75rem}.cards{display:grid;
grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:.8rem}
.blind-spot-card{border:1px solid #e2e5eb;border-left:4px solid #d9534f;border-radius:6px;
padding:.6rem .8rem}.blind-spot-card h3{font-size:1rem;margin:.1rem 0 .3rem}
.stat{color:#4a5263;font-size:.85rem}blockquote{margin:.4rem 0;padding:.2rem .6rem;
border-left:3px solid #c9d1e0;color:#2b3140;font-size:.88rem}.src{display:block;color:#6b7385;
font-size:.72rem}.spike{color:#d9534f;font-weight:600}.fn{margin:.3rem 0 .8rem}
.fn h3{margin:.2rem 0;font-size:1rem}.trend{display:inline-block;margin:.3rem 1rem .3rem 0;
vertical-align:top}.trend p{margin:0;font-size:.8rem}.badge{background:#eef2ff;color:#3949ab;
border-radius:4px;padding:0 .3rem;font-size:.72rem;margin-left:.3rem}
"""


def esc(value: Any) -> str:
    """HTML-escaped text of ``value`` (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def anchor(theme: str) -> str:
    """The HTML id of a theme's section."""
    return "theme-" + re.sub(r"[^A-Za-z0-9_-]", "-", theme)


def possessive(name: Any) -> str:
    """``Sales'``, ``Support's``."""
    name = str(name)
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _quotes_html(ev: pd.DataFrame, limit: int = 3) -> str:
    parts = []
    for _, q in ev.head(limit).iterrows():
        source = (
            f"{q['connector']} · {q['source_name']} #{q['native_id']} · {q['date'] or ''} · "
            f"{q['function']}" + (f" · {q['account']}" if isinstance(q["account"], str) else "")
        )
        parts.append(
            f"<blockquote>{esc(q['text'])}<span class=src>{esc(source)}</span></blockquote>"
        )
    return "".join(parts)


def _evidence(report: Report, finding: str, key: str) -> pd.DataFrame:
    ev = report.tables["evidence"]
    return ev[(ev["finding"] == finding) & (ev["finding_key"] == key)].sort_values("rank")


def _spark(counts: list[int], weeks: list[str], spikes: set[str], width: int = 260) -> str:
    """An inline SVG line chart of weekly counts, spikes as red dots (with a title)."""
    height, pad = 60, 4
    top = max(max(counts, default=0), 1)
    step = (width - 2 * pad) / max(len(counts) - 1, 1)
    points = [
        (pad + i * step, height - pad - (height - 2 * pad) * c / top) for i, c in enumerate(counts)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#d9534f">'
        f"<title>spike: {esc(w)}, {c} items</title></circle>"
        for (x, y), w, c in zip(points, weeks, counts, strict=True)
        if w in spikes
    )
    return (
        f'<svg width="{width}" height="{height}" role="img" aria-label="items per week">'
        f'<polyline fill="none" stroke="#3949ab" stroke-width="1.6" points="{path}"/>{dots}</svg>'
    )


@dataclass(frozen=True)
class _Page:
    """What the report's sections share: the tables, theme names and the rows they show."""

    report: Report
    names: dict[str, str]
    kinds: dict[str, str]
    functions: Sequence[str]
    top: pd.DataFrame  # the blind spots shown: significant, positive, top ranks per function
    shown: list[str]  # the heatmap's themes (the largest), charted in the trends too
    all_spikes: pd.DataFrame  # the spikes of all functions together
    top_spots: int

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.report.tables

    def name(self, theme: str) -> str:
        """A theme's readable name, escaped."""
        return esc(self.names.get(theme, theme))


def render_html(report: Report, *, top_spots: int = 5, max_rows: int = 40) -> str:
    """The report as one HTML page (inline CSS and SVG, no script)."""
    t = report.tables
    spots = t["blind_spots"]
    spikes = t["spikes"]
    page = _Page(
        report=report,
        names=theme_label(t["themes"]),
        kinds=dict(zip(t["themes"]["theme"], t["themes"]["kind"], strict=True)),
        functions=ordered_functions(report),
        top=spots[spots["significant"] & (spots["z"] > 0) & (spots["rank"] <= top_spots)],
        shown=t["themes"][t["themes"]["items"] > 0].head(max_rows)["theme"].tolist(),
        all_spikes=spikes[spikes["function"] == "All"],
        top_spots=top_spots,
    )
    out = [
        *_header_html(report.summary),
        *_summary_html(page),
        *_heatmap_html(page),
        *_blind_spots_html(page),
        *_trends_html(page),
        *_entities_html(page),
        *_themes_html(page),
    ]
    return "\n".join(out)


def _header_html(s: dict[str, Any]) -> list[str]:
    """The document's head, the page header with the counts, and the navigation."""
    return [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>silobridge report {esc(s['period'][1])}</title><style>{CSS}</style></head><body>",
        "<header><h1>Who hears what</h1>",
        f"<p>{s['items']:,} items, {s['units']:,} insight units, {s['themes']} themes; weeks "
        f"{esc(s['period'][0])} to {esc(s['period'][1])}. Generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by silobridge.</p>",
        '<nav><a href="#summary">Summary</a><a href="#heatmap">Heatmap</a>'
        '<a href="#blind-spots">Blind spots</a><a href="#trends">Trends</a>'
        '<a href="#entities">Entities</a><a href="#themes">Themes</a></nav></header><main>',
    ]


def _summary_html(page: _Page) -> list[str]:
    """What each function should know from the others, then the spikes and new themes."""
    out = ['<section id="summary"><h2>What each function should know from the others</h2>']
    out += [_function_summary_html(page, f) for f in page.functions]
    if len(page.all_spikes):
        items = "".join(
            f'<li class=spike><a href="#{anchor(r.theme)}">{page.name(r.theme)}</a>'
            f": week of {pd.Timestamp(r.week).date()}, {r.items} items ({r.ratio}x)</li>"
            for r in page.all_spikes.itertuples()
        )
        out.append(f"<h3>Spikes</h3><ul>{items}</ul>")
    new_themes = page.report.summary["new_themes"]
    if new_themes:
        items = "".join(f'<li><a href="#{anchor(x)}">{page.name(x)}</a></li>' for x in new_themes)
        out.append(f"<h3>New themes (all their items in the last weeks)</h3><ul>{items}</ul>")
    out.append("</section>")
    return out


def _function_summary_html(page: _Page, f: str) -> str:
    """One function's blind spots (the taxonomy's themes first, then up to three discovered
    ones) and its spikes of the last week."""
    kinds = page.kinds
    mine = page.top[page.top["function"] == f]
    known = mine[mine["theme"].map(kinds) != "discovered"].head(3)
    found = mine[mine["theme"].map(kinds) == "discovered"].head(3)
    spikes = page.tables["spikes"]
    f_spikes = spikes[(spikes["function"] == f)]
    last = page.report.summary["last_week"]
    recent = f_spikes[pd.to_datetime(f_spikes["week"]).dt.date.astype(str) == last]
    lines = [
        f'<li><a href="#{anchor(r.theme)}">{page.name(r.theme)}</a>'
        + ("<span class=badge>discovered</span>" if kinds.get(r.theme) == "discovered" else "")
        + f": {_pct(r.share)} of {esc(possessive(f))} items, {_pct(r.share_versus)} of the "
        "others'</li>"
        for r in pd.concat([known, found]).itertuples()
    ]
    lines += [
        f"<li class=spike>Spike this week: {page.name(r.theme)} "
        f"({r.items} items, {r.ratio}x the weeks before)</li>"
        for r in recent.itertuples()
    ]
    if not lines:
        lines = ["<li>Nothing it hears far more than the others.</li>"]
    title = f"{esc(f)} hears what the others miss"
    return f"<div class=fn><h3>{title}</h3><ul>{''.join(lines)}</ul></div>"


def _heatmap_html(page: _Page) -> list[str]:
    """The share of each function's items per theme, as a shaded table."""
    matrix = page.tables["matrix"]
    functions, kinds = page.functions, page.kinds
    peak = float(matrix["share"].max()) if len(matrix) else 1.0
    share = {(r.theme, r.function): r for r in matrix.itertuples()}
    out = [
        '<section id="heatmap"><h2>Themes by function</h2><p class=stat>Share of each '
        "function's items that mention the theme (items in brackets); the darker, the more. "
        f"{len(page.shown)} largest themes.</p><table><thead><tr><th>theme</th>"
        + "".join(f"<th>{esc(f)}</th>" for f in functions)
        + "</tr></thead><tbody>"
    ]
    for theme in page.shown:
        cells = []
        for f in functions:
            r = share.get((theme, f))
            value = r.share if r is not None else 0.0
            alpha = 0.08 + 0.85 * value / peak if value else 0.0
            label = f"{_pct(value)} ({r.items})" if r is not None else "–"
            cells.append(
                f'<td class=cell style="background:rgba(57,73,171,{alpha:.2f});'
                f'color:{"#fff" if alpha > 0.5 else "#1d2330"}">{label}</td>'
            )
        kind = "discovered" if kinds.get(theme) == "discovered" else ""
        badge = f"<span class=badge>{kind}</span>" if kind else ""
        out.append(
            f'<tr><td><a href="#{anchor(theme)}">{page.name(theme)}</a>{badge}</td>'
            + "".join(cells)
            + "</tr>"
        )
    out.append("</tbody></table></section>")
    return out


def _blind_spots_html(page: _Page) -> list[str]:
    """A card per blind spot shown, with its quotes."""
    report, top = page.report, page.top
    out = [
        '<section id="blind-spots"><h2>Blind spots</h2><p class=stat>Themes one function hears '
        "far more than all the others (log-odds with an informative Dirichlet prior, "
        "Benjamini-Hochberg adjusted p &lt; 0.05, at least "
        f"{esc(report.summary.get('min_items', 5))} items), top {page.top_spots} per function.</p>"
        "<div class=cards>"
    ]
    for r in top.itertuples():
        key = f"{r.theme}|{r.function}|{r.direction}"
        out.append(
            f'<div class="blind-spot-card"><h3>{esc(r.function)} hears '
            f'<a href="#{anchor(r.theme)}">{page.name(r.theme)}</a></h3>'
            f"<p class=stat>{_pct(r.share)} of {esc(possessive(r.function))} items ({r.items}) vs "
            f"{_pct(r.share_versus)} of the other functions' ({r.items_versus}); z = {r.z}</p>"
            f"{_quotes_html(_evidence(report, 'blind_spot', key))}</div>"
        )
    if not len(top):
        out.append("<p>No significant blind spots.</p>")
    out.append("</div></section>")
    return out


def _trends_html(page: _Page) -> list[str]:
    """Weekly counts of the spiking and the largest themes, as sparklines."""
    trend = page.tables["trends"]
    everyone = trend[trend["function"] == "All"].sort_values("week")
    spike_weeks: dict[str, set[str]] = {}
    for r in page.all_spikes.itertuples():
        spike_weeks.setdefault(r.theme, set()).add(str(pd.Timestamp(r.week).date()))
    charted = list(dict.fromkeys([*spike_weeks, *page.shown[:12]]))
    out = [
        '<section id="trends"><h2>Trends</h2><p class=stat>Items per week; red dots are '
        "spikes (at least 10 items, twice the mean of the 4 weeks before, above it by 2 SD, "
        "Poisson p below 0.05 Bonferroni-corrected over every theme and week tested).</p>"
    ]
    for theme in charted:
        rows = everyone[everyone["theme"] == theme]
        weeks = [str(pd.Timestamp(w).date()) for w in rows["week"]]
        label = page.name(theme)
        marks = spike_weeks.get(theme, set())
        note = f" <span class=spike>spike {', '.join(sorted(marks))}</span>" if marks else ""
        out.append(
            f'<div class=trend><p><a href="#{anchor(theme)}">{label}</a>{note}</p>'
            f"{_spark(rows['items'].tolist(), weeks, marks)}</div>"
        )
    out.append("</section>")
    return out


def _entities_html(page: _Page) -> list[str]:
    """Items per product, feature and competitor and function."""
    ent = page.tables["entities"]
    functions = page.functions
    out = [
        '<section id="entities"><h2>Products, features and competitors by function</h2>'
        "<table><thead><tr><th>entity</th>"
        + "".join(f"<th>{esc(f)}</th>" for f in functions)
        + "</tr></thead><tbody>"
    ]
    if len(ent):
        wide = ent.pivot_table(
            index=["type", "entity"], columns="function", values="items", fill_value=0
        )
        wide = wide.assign(_total=wide.sum(axis=1)).sort_values(
            ["type", "_total"], ascending=[True, False]
        )
        for (kind, entity), row in wide.iterrows():
            counts = "".join(f"<td>{int(row.get(f, 0))}</td>" for f in functions)
            out.append(
                f"<tr><td>{esc(entity)} <span class=kind>{esc(kind)}</span></td>{counts}</tr>"
            )
    out.append("</tbody></table></section>")
    return out


def _themes_html(page: _Page) -> list[str]:
    """A section per theme with items: counts by function and quotes; closes the page."""
    t = page.tables
    matrix = t["matrix"]
    out = ['<section id="themes"><h2>Themes</h2>']
    for r in t["themes"][t["themes"]["items"] > 0].itertuples():
        rows = matrix[matrix["theme"] == r.theme]
        by_function = ", ".join(
            f"{esc(x.function)} {x.items} ({_pct(x.share)})"
            for x in rows.sort_values("items", ascending=False).itertuples()
        )
        sentiment = "" if pd.isna(r.sentiment) else f"; mean sentiment {r.sentiment:+.2f}"
        out.append(
            f'<div id="{anchor(r.theme)}" class=fn><h3>{esc(r.name)}'
            f"<span class=badge>{esc(r.kind)} · {esc(r.theme)}</span></h3>"
            f"<p class=stat>{r.items} items, {r.units} units{sentiment}. By function: "
            f"{by_function}.</p>{_quotes_html(_evidence(page.report, 'theme', r.theme))}</div>"
        )
    out.append("</section></main></body></html>")
    return out


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md(text: Any) -> str:
    """``text`` with Markdown's (and Slack's) control characters escaped, on one line, that
    pings no one (``@here``, ``<!channel>``, ``<@U123>``: :func:`.safety.neutralise_mentions`)
    and links nothing (URLs and domain names as inline code: :func:`.safety.inert_url`)."""
    flat = neutralise_mentions(" ".join(str(text).split()))
    return "".join(
        inert_url(part) if is_url else _MD_SPECIAL.sub(r"\\\1", part)
        for part, is_url in split_urls(flat)
    )


def render_digests(report: Report, *, per_function: int = 5) -> dict[str, str]:
    """``{function: Markdown}``: what the function heard that the others should know (taxonomy
    themes, then up to three discovered ones), and what the others heard that it should know,
    with quotes and links into the HTML."""
    t = report.tables
    names = theme_label(t["themes"])
    kinds = dict(zip(t["themes"]["theme"], t["themes"]["kind"], strict=True))
    spots = t["blind_spots"]
    pairs = t["pairwise"]
    period = f"{report.summary['period'][0]} to {report.summary['period'][1]}"
    out = {}
    for f in ordered_functions(report):
        lines = [f"# What {md(f)} heard that the others should know", "", f"_{md(period)}_", ""]
        mine = spots[(spots["function"] == f) & spots["significant"] & (spots["z"] > 0)]
        discovered = mine["theme"].map(kinds) == "discovered"
        mine = pd.concat([mine[~discovered].head(per_function), mine[discovered].head(3)])
        for r in mine.itertuples():
            link = f"../report.html#{anchor(r.theme)}"
            lines.append(
                f"- **[{md(names.get(r.theme, r.theme))}]({link})**: {_pct(r.share)} of "
                f"{md(possessive(f))} items, {_pct(r.share_versus)} of the other functions'."
            )
            ev = _evidence(report, "blind_spot", f"{r.theme}|{f}|{r.direction}").head(2)
            for q in ev.itertuples():
                lines.append(f"  > {md(q.text)} ({md(q.connector)} #{md(q.native_id)}, {q.date})")
        if not len(mine):
            lines.append(f"- Nothing {md(f)} hears far more than the others.")
        lines += ["", f"## What the others heard that {md(f)} should know", ""]
        others = pairs[(pairs["versus"] == f) & pairs["significant"] & (pairs["z"] > 0)]
        for r in others.sort_values("z", ascending=False).head(per_function).itertuples():
            link = f"../report.html#{anchor(r.theme)}"
            lines.append(
                f"- {md(r.function)}: **[{md(names.get(r.theme, r.theme))}]({link})** "
                f"({_pct(r.share)} of {md(possessive(r.function))} items, "
                f"{_pct(r.share_versus)} of {md(possessive(f))})."
            )
        if not len(others):
            lines.append("- Nothing stands out.")
        spikes = t["spikes"][t["spikes"]["function"].isin([f])]
        if len(spikes):
            lines += ["", "## Spikes", ""]
            for r in spikes.itertuples():
                lines.append(
                    f"- {md(names.get(r.theme, r.theme))}: week of {pd.Timestamp(r.week).date()}, "
                    f"{r.items} items ({r.ratio}x the weeks before)."
                )
        out[f] = "\n".join(lines) + "\n"
    return out
