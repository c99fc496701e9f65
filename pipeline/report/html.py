"""The report for people: one self-contained HTML file (no CDN; one small inline script for
filtering by function, sorting tables and opening the theme a link points at), and a Markdown
digest per function.

Every text that comes from data (quotes, theme names, accounts, ids) goes through
:func:`html.escape` in the HTML and :func:`md` in the digests; charts are inline SVG drawn
here. The page's Content-Security-Policy allows only its own script (by hash) and no network
at all: a text that escaped escaping still could not run or fetch anything. Drill-down (group,
theme, quotes) is HTML's own ``<details>``: it works with the script off too. The digests go
to Slack: :func:`md` also leaves them unable to ping anyone or unfurl a link (:mod:`.safety`).
Ids and accounts reach both already made safe by the build (:func:`.safety.safe_reference`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
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
details{margin:.2rem 0}summary{cursor:pointer}details.group>summary{font-weight:600}
details.theme{margin-left:1.2rem}.more{color:#3949ab}.filter{float:right;font-size:.85rem}
th.sortable{cursor:pointer}th.sortable:after{content:" \\2195";color:#9aa3b5}
.changes li{margin:.15rem 0}.up{color:#2e7d32}.down{color:#c62828}
"""

#: The page's only script: filter by function, sortable tables, open the theme a link targets.
SCRIPT = """
(function(){
var sel=document.getElementById('fn-filter');
function apply(){var v=sel.value;document.querySelectorAll('[data-fn]').forEach(function(el){
el.hidden=!(v===''||el.getAttribute('data-fn')===v);});}
if(sel){sel.addEventListener('change',apply);}
function key(td){var t=td.getAttribute('data-sort')||td.textContent;var n=parseFloat(t);
return isNaN(n)?t.toLowerCase():n;}
document.querySelectorAll('th.sortable').forEach(function(th){th.addEventListener('click',
function(){var table=th.closest('table'),body=table.tBodies[0],i=th.cellIndex;
var asc=th.getAttribute('data-asc')==='0';th.setAttribute('data-asc',asc?'1':'0');
var rows=Array.prototype.slice.call(body.rows);rows.sort(function(a,b){var x=key(a.cells[i]),
y=key(b.cells[i]);return (x<y?-1:x>y?1:0)*(asc?1:-1);});rows.forEach(function(r){
body.appendChild(r);});});});
function open(){var id=decodeURIComponent(location.hash.slice(1));if(!id){return;}
var el=document.getElementById(id);while(el){if(el.tagName==='DETAILS'){el.open=true;}
el=el.parentElement;}var t=document.getElementById(id);if(t){t.scrollIntoView();}}
window.addEventListener('hashchange',open);open();
})();
"""


def _csp() -> str:
    """The Content-Security-Policy: inline styles, data images, :data:`SCRIPT` and nothing
    else (no network, no other script)."""
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'"
    )


def esc(value: Any) -> str:
    """HTML-escaped text of ``value`` (quotes included)."""
    return html.escape("" if value is None else str(value), quote=True)


def group_anchor(group: str) -> str:
    """The HTML id of a group's section (a taxonomy theme without a parent is its own group:
    its id must differ from the theme's)."""
    return "group-" + re.sub(r"[^A-Za-z0-9_-]", "-", group)


def finding_anchor(report: Report, key: str) -> str:
    """The HTML id a finding's key (a theme, or a group) links to."""
    themes = set(report.tables["themes"]["theme"])
    return anchor(key) if key in themes else group_anchor(key)


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
    findings: pd.DataFrame  # one per group of themes and function, ranked (build.findings)
    shown: list[str]  # the heatmap's themes (the largest), charted in the trends too
    all_spikes: pd.DataFrame  # the spikes of all functions together
    top_spots: int

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.report.tables

    def name(self, theme: str) -> str:
        """A theme's (or a group's) readable name, escaped."""
        return esc(self.names.get(theme, theme))

    def link(self, theme: str) -> str:
        """A link to a theme's (or a group's) section, with its name."""
        return f'<a href="#{finding_anchor(self.report, theme)}">{self.name(theme)}</a>'


def _names(report: Report) -> dict[str, str]:
    """``{theme or group key: readable name}``."""
    names = theme_label(report.tables["themes"])
    groups = report.tables.get("groups")
    if groups is not None and len(groups):
        for key, name in zip(groups["group"], groups["name"], strict=True):
            names.setdefault(key, name)
    return names


def render_html(report: Report, *, top_spots: int = 5, max_rows: int = 40) -> str:
    """The report as one HTML page (inline CSS, SVG and :data:`SCRIPT`)."""
    t = report.tables
    spikes = t["spikes"]
    page = _Page(
        report=report,
        names=_names(report),
        kinds=dict(zip(t["themes"]["theme"], t["themes"]["kind"], strict=True)),
        functions=ordered_functions(report),
        findings=t["findings"],
        shown=t["themes"][t["themes"]["items"] > 0].head(max_rows)["theme"].tolist(),
        all_spikes=spikes[spikes["function"] == "All"],
        top_spots=top_spots,
    )
    out = [
        *_header_html(report.summary, page.functions),
        *_changes_html(page),
        *_summary_html(page),
        *_heatmap_html(page),
        *_blind_spots_html(page),
        *_trends_html(page),
        *_entities_html(page),
        *_themes_html(page),
    ]
    return "\n".join(out)


def _header_html(s: dict[str, Any], functions: Sequence[str]) -> list[str]:
    """The document's head, the page header with the counts, and the navigation."""
    options = "".join(f'<option value="{esc(f)}">{esc(f)}</option>' for f in functions)
    return [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f'<meta http-equiv="Content-Security-Policy" content="{_csp()}">',
        '<meta name=viewport content="width=device-width,initial-scale=1">',
        f"<title>silobridge report {esc(s['period'][1])}</title><style>{CSS}</style></head><body>",
        "<header><h1>Who hears what</h1>",
        f"<p>{s['items']:,} items, {s['units']:,} insight units, {s['themes']} themes; weeks "
        f"{esc(s['period'][0])} to {esc(s['period'][1])}. Generated "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC by silobridge.</p>",
        '<nav><a href="#changes">What changed</a><a href="#summary">Summary</a>'
        '<a href="#heatmap">Heatmap</a><a href="#blind-spots">Blind spots</a>'
        '<a href="#trends">Trends</a><a href="#entities">Entities</a><a href="#themes">Themes</a>'
        '<label class=filter>Function <select id="fn-filter"><option value="">all</option>'
        f"{options}</select></label></nav></header><main>",
    ]


def _odds(value: float) -> str:
    """An odds ratio from a log-odds ratio: ``×3.2``."""
    ratio = math.exp(value)
    return f"×{ratio:.1f}" if ratio < 10 else f"×{ratio:.0f}"


def _bars(share: float, other: float, width: int = 90) -> str:
    """Two inline bars: the function's share and the others'."""
    top = max(share, other, 1e-9)
    a, b = width * share / top, width * other / top
    return (
        f'<svg width="{width}" height="14" role="img" aria-label="share here and elsewhere">'
        f'<rect x="0" y="1" width="{a:.1f}" height="5" fill="#d9534f"/>'
        f'<rect x="0" y="8" width="{b:.1f}" height="5" fill="#9aa3b5"/></svg>'
    )


def _finding_line(page: _Page, r: Any) -> str:
    """One finding: its name (a group names its themes), its counts and its effect."""
    group = ""
    if r.level == "group":
        inner = ", ".join(page.name(m) for m in list(r.members)[:3])
        group = f"<span class=badge>group</span> <span class=stat>({inner})</span>"
    elif page.kinds.get(r.theme) == "discovered":
        group = "<span class=badge>discovered</span>"
    return (
        f"<li>{page.link(r.theme)}{group}: {r.items} of {esc(possessive(r.function))} items "
        f"({_pct(r.share)}) vs {r.items_versus} of the others' ({_pct(r.share_versus)}); "
        f"odds {_odds(r.log_odds)} (95% {_odds(r.ci_low)}–{_odds(r.ci_high)}) "
        f"{_bars(r.share, r.share_versus)}</li>"
    )


def _changes_html(page: _Page) -> list[str]:
    """What is new or moved since the previous report (or in the last weeks)."""
    changes = page.tables.get("changes")
    previous = page.report.summary.get("previous_report")
    since = f"since the previous report ({esc(previous)})" if previous else "in the last weeks"
    out = [f'<section id="changes"><h2>What changed {since}</h2><ul class=changes>']
    if changes is None or not len(changes):
        out.append("<li>Nothing new, rising, falling or resolved.</li>")
    else:
        for r in changes.itertuples():
            fn = r.function if isinstance(r.function, str) else ""
            attr = f' data-fn="{esc(fn)}"' if fn else ""
            if r.change == "new theme":
                text = f"New theme {page.link(r.theme)}: {int(r.items_after)} items"
            elif r.change in ("rising", "falling"):
                css = "up" if r.change == "rising" else "down"
                text = (
                    f"<span class={css}>{esc(r.change.capitalize())}</span> "
                    f"{page.link(r.theme)}: {_pct(r.share_before)} of items before, "
                    f"{_pct(r.share_after)} {esc(r.detail.split(' vs')[0])} "
                    f"({int(r.items_before)} → {int(r.items_after)} items)"
                )
            elif r.change == "new blind spot":
                text = (
                    f"New blind spot: {esc(fn)} hears {page.link(r.theme)} "
                    f"({int(r.items_after)} items, {_pct(r.share_after)})"
                )
            else:
                text = (
                    f"Resolved: {esc(fn)} no longer stands out on {page.name(r.theme)} "
                    f"(was {int(r.items_before)} items, {_pct(r.share_before)})"
                )
            out.append(f"<li{attr}>{text}</li>")
    out.append("</ul></section>")
    return out


def _summary_html(page: _Page) -> list[str]:
    """What each function should know from the others, then the spikes."""
    out = ['<section id="summary"><h2>What each function should know from the others</h2>']
    out += [_function_summary_html(page, f) for f in page.functions]
    if len(page.all_spikes):
        items = "".join(
            f"<li class=spike>{page.link(r.theme)}"
            f": week of {pd.Timestamp(r.week).date()}, {r.items} items ({r.ratio}x)</li>"
            for r in page.all_spikes.itertuples()
        )
        out.append(f"<h3>Spikes</h3><ul>{items}</ul>")
    out.append("</section>")
    return out


def _function_summary_html(page: _Page, f: str) -> str:
    """One function's findings: the first ``top_spots`` by effect, the rest behind "n more";
    and its spikes of the last week."""
    mine = page.findings[page.findings["function"] == f].sort_values("finding_rank")
    shown, rest = mine.head(page.top_spots), mine.iloc[page.top_spots :]
    spikes = page.tables["spikes"]
    f_spikes = spikes[(spikes["function"] == f)]
    last = page.report.summary["last_week"]
    recent = f_spikes[pd.to_datetime(f_spikes["week"]).dt.date.astype(str) == last]
    lines = [_finding_line(page, r) for r in shown.itertuples()]
    lines += [
        f"<li class=spike>Spike this week: {page.name(r.theme)} "
        f"({r.items} items, {r.ratio}x the weeks before)</li>"
        for r in recent.itertuples()
    ]
    if not lines:
        lines = ["<li>Nothing it hears far more than the others.</li>"]
    more = ""
    if len(rest):
        more = (
            f"<details><summary class=more>{len(rest)} more</summary><ul>"
            + "".join(_finding_line(page, r) for r in rest.itertuples())
            + "</ul></details>"
        )
    title = f"{esc(f)} hears what the others miss"
    return f'<div class=fn data-fn="{esc(f)}"><h3>{title}</h3><ul>{"".join(lines)}</ul>{more}</div>'


def _heatmap_html(page: _Page) -> list[str]:
    """The share of each function's items per theme, as a shaded, sortable table."""
    matrix = page.tables["matrix"]
    functions, kinds = page.functions, page.kinds
    peak = float(matrix["share"].max()) if len(matrix) else 1.0
    share = {(r.theme, r.function): r for r in matrix.itertuples()}
    out = [
        '<section id="heatmap"><h2>Themes by function</h2><p class=stat>Share of each '
        "function's items that mention the theme (items in brackets); the darker, the more. "
        f"{len(page.shown)} largest themes; click a column to sort.</p><table><thead><tr>"
        "<th class=sortable>theme</th>"
        + "".join(f"<th class=sortable>{esc(f)}</th>" for f in functions)
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
                f'<td class=cell data-sort="{value:.4f}" '
                f'style="background:rgba(57,73,171,{alpha:.2f});'
                f'color:{"#fff" if alpha > 0.5 else "#1d2330"}">{label}</td>'
            )
        kind = "discovered" if kinds.get(theme) == "discovered" else ""
        badge = f"<span class=badge>{kind}</span>" if kind else ""
        out.append(f"<tr><td>{page.link(theme)}{badge}</td>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></section>")
    return out


def _blind_spots_html(page: _Page) -> list[str]:
    """A card per finding shown in the summary, with its quotes."""
    report = page.report
    top = page.findings[page.findings["finding_rank"] <= page.top_spots]
    out = [
        '<section id="blind-spots"><h2>Blind spots</h2><p class=stat>Themes, or groups of '
        "themes, one function hears far more than all the others: one item, one vote; the "
        "log-odds ratio with an informative Dirichlet prior, Benjamini-Hochberg adjusted "
        f"p &lt; 0.05, at least {esc(report.summary.get('min_items', 5))} items; one finding per "
        "group, at the level with the larger effect; ranked by the lower end of the odds "
        f"ratio's 95% interval, top {page.top_spots} per function.</p><div class=cards>"
    ]
    for r in top.itertuples():
        key = f"{r.theme}|{r.function}|{r.direction}"
        level = "<span class=badge>group</span>" if r.level == "group" else ""
        out.append(
            f'<div class="blind-spot-card" data-fn="{esc(r.function)}"><h3>{esc(r.function)} '
            f"hears {page.link(r.theme)}{level}</h3>"
            f"<p class=stat>{_pct(r.share)} of {esc(possessive(r.function))} items ({r.items}) vs "
            f"{_pct(r.share_versus)} of the other functions' ({r.items_versus}); odds "
            f"{_odds(r.log_odds)}, 95% interval {_odds(r.ci_low)} to {_odds(r.ci_high)}; "
            f"z = {r.z}</p>{_quotes_html(_evidence(report, 'blind_spot', key))}</div>"
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
    """Every theme with items, in its group: group, then theme, then quotes (``<details>``);
    closes the page."""
    t = page.tables
    matrix = t["matrix"]
    themes = t["themes"][t["themes"]["items"] > 0]
    groups = t["groups"] if "groups" in t else pd.DataFrame(columns=["group", "name", "items"])
    out = [
        '<section id="themes"><h2>Themes</h2><p class=stat>In their groups (the taxonomy\'s '
        "parents; discovered themes grouped by what they talk about). Open a group, then a "
        "theme, for its counts by function and its quotes.</p>"
    ]
    for g in groups.itertuples():
        members = themes[themes["group"] == g.group]
        if not len(members):
            continue
        out.append(
            f'<details class=group id="{group_anchor(g.group)}"><summary>{esc(g.name)}'
            f"<span class=badge>{esc(g.kind)} · {len(members)} themes</span> "
            f"<span class=stat>{g.items} items</span></summary>"
        )
        for r in members.itertuples():
            rows = matrix[matrix["theme"] == r.theme]
            by_function = ", ".join(
                f"{esc(x.function)} {x.items} ({_pct(x.share)})"
                for x in rows.sort_values("items", ascending=False).itertuples()
            )
            sentiment = "" if pd.isna(r.sentiment) else f"; mean sentiment {r.sentiment:+.2f}"
            out.append(
                f'<details class=theme id="{anchor(r.theme)}"><summary>{esc(r.name)}'
                f"<span class=badge>{esc(r.kind)} · {esc(r.theme)}</span> "
                f"<span class=stat>{r.items} items</span></summary>"
                f"<p class=stat>{r.items} items, {r.units} units{sentiment}. By function: "
                f"{by_function}.</p>{_quotes_html(_evidence(page.report, 'theme', r.theme))}"
                "</details>"
            )
        out.append("</details>")
    out.append(f"</section></main><script>{SCRIPT}</script></body></html>")
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
    """``{function: Markdown}``: what changed, what the function heard that the others should
    know (its first ``per_function`` findings, "n more" in the report), and what the others
    heard that it should know, with quotes and links into the HTML."""
    t = report.tables
    names = _names(report)
    found = t["findings"]
    pairs = t["pairwise"]
    changes = t.get("changes", pd.DataFrame(columns=["change", "theme", "function"]))
    period = f"{report.summary['period'][0]} to {report.summary['period'][1]}"
    out = {}
    for f in ordered_functions(report):
        lines = [f"# What {md(f)} heard that the others should know", "", f"_{md(period)}_", ""]
        mine = changes[changes["function"].isna() | (changes["function"] == f)]
        previous = report.summary.get("previous_report")
        since = f"since the previous report ({md(previous)})" if previous else "in the last weeks"
        lines += [f"## What changed {since}", ""]
        for r in mine.itertuples():
            who = f" ({md(r.function)})" if isinstance(r.function, str) else ""
            lines.append(f"- {md(r.change.capitalize())}: {md(names.get(r.theme, r.theme))}{who}.")
        if not len(mine):
            lines.append("- Nothing new, rising, falling or resolved.")
        lines += ["", f"## What {md(f)} hears that the others miss", ""]
        rows = found[found["function"] == f].sort_values("finding_rank")
        for r in rows.head(per_function).itertuples():
            link = f"../report.html#{finding_anchor(report, r.theme)}"
            kind = " (group)" if r.level == "group" else ""
            lines.append(
                f"- **[{md(names.get(r.theme, r.theme))}]({link})**{kind}: {r.items} items, "
                f"{_pct(r.share)} of {md(possessive(f))}, {_pct(r.share_versus)} of the other "
                f"functions' (odds {_odds(r.ci_low)} at least)."
            )
            ev = _evidence(report, "blind_spot", f"{r.theme}|{f}|{r.direction}").head(2)
            for q in ev.itertuples():
                lines.append(f"  > {md(q.text)} ({md(q.connector)} #{md(q.native_id)}, {q.date})")
        if len(rows) > per_function:
            lines.append(f"- {len(rows) - per_function} more in the report.")
        if not len(rows):
            lines.append(f"- Nothing {md(f)} hears far more than the others.")
        lines += ["", f"## What the others heard that {md(f)} should know", ""]
        others = pairs[(pairs["versus"] == f) & pairs["significant"] & (pairs["z"] > 0)]
        for r in others.sort_values("effect", ascending=False).head(per_function).itertuples():
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
