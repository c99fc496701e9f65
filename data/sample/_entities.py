"""The gazetteer entities the generator writes: which words of its templates name what.

A mention is a word or phrase of an item's text that names one of Lumora's products, one of its
features, or a competitor (ids as in ``data/taxonomy.yaml``), whoever's feature it is ("their
warehouse connector" is a warehouse-connector mention). Mentions come from two places:

* the **slot fillers** that are entity names: ``{feature}`` (one of ``FEATURES``), ``{rival}`` and
  ``{competitor}`` (a competitor); ``{cert}`` and ``{doc}`` values are scanned with ``LEXICON``
  ("SAML certificate", "API docs");
* the **literal text of the templates**, scanned with ``LEXICON``: the generator's own vocabulary
  for each entity (the synonyms it writes: "SSO", "invoice", "report scheduling"...).

Names that only contain such a word are not mentions: dashboard names ("Churn Cohorts"), role
names ("Billing Admin"), error codes ("ERR_EXPORT_TIMEOUT") fill slots that are never scanned,
and "Lumora" as the company's name ("Lumora Support", "Hello Lumora team") comes from strings
that are not templates. Spans are tracked through what the generator does to a sentence after
filling it (typos, lower-cased first letters, curly quotes, splitting), so the recorded surface
is the text as written, misspelt where a typo hit it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# Gazetteer ids (data/taxonomy.yaml) of names ``{feature}``, ``{rival}`` and ``{competitor}`` are
# filled with (``_world.FEATURES``, ``COMPETITORS``; a name missing here fails its slot). The
# product names never fill a slot: the templates say "Lumora".
FEATURE_IDS = {
    "Dashboards": "dashboards", "Alerts": "alerts", "CSV export": "csv_export",
    "Scheduled reports": "scheduled_reports", "API": "api", "SSO/SAML": "sso_saml",
    "Salesforce integration": "salesforce_integration", "Permissions/roles": "permissions",
    "Mobile app": "mobile_app", "Billing": "billing", "Funnels": "funnels", "Cohorts": "cohorts",
    "Audit log": "audit_log", "Slack integration": "slack_integration",
    "Warehouse connector": "warehouse_connector", "Annotations": "annotations",
}  # fmt: skip
COMPETITOR_IDS = {
    "Datawise": "datawise", "Metricly": "metricly", "Chartbeam": "chartbeam",
    "Trendspire": "trendspire",
}  # fmt: skip
# Slots whose value is itself an entity name: (type, ids by value).
SLOT_ENTITIES = {
    "feature": ("feature", FEATURE_IDS),
    "rival": ("competitor", COMPETITOR_IDS),
    "competitor": ("competitor", COMPETITOR_IDS),
}
# Slots whose values are scanned with the lexicon; every other slot is a name or a value that
# names nothing (dashboards, roles, error codes, identity providers, tools, teams...). Slot values
# that are templates themselves ({benefit}) are filled like templates, their text scanned.
SCANNED_SLOTS = {"cert", "doc"}

# (type, id, pattern): the words the templates use for each entity, case-insensitive, whole
# words. Of overlapping matches the first wins, the longer of two that start together ("CSV
# export" over "CSV", "Slack alerts" over "Slack").
_RULES = (
    ("product", "lumora_analytics", r"Lumora(?! (?:Support|team)\b)"),
    *(("competitor", cid, re.escape(name)) for name, cid in COMPETITOR_IDS.items()),
    ("feature", "dashboards", r"dashboards?"),
    ("feature", "alerts", r"(?<!customer )alert(?:s|ing)?"),
    ("feature", "csv_export", r"CSV exports?|exports? to CSV|CSVs?|export(?:s|ing)?(?! endpoint)"),
    ("feature", "scheduled_reports", r"scheduled reports?|schedule reports|report scheduling"),
    ("feature", "api", r"API rate limits?|API|rate limits?"),
    ("feature", "sso_saml", r"SAML single sign-on|SSO/SAML|SSO|SAML|single sign-on"),
    ("feature", "salesforce_integration", r"Salesforce (?:integration|sync|connection)|Salesforce"),
    ("feature", "permissions", r"Permissions/roles|permissions?|roles?|access control"),
    ("feature", "mobile_app", r"mobile app|iOS app|mobile(?! team)"),
    ("feature", "billing", r"billing|invoic(?:e|es|ed|ing)"),
    ("feature", "funnels", r"funnels?"),
    ("feature", "cohorts", r"cohorts?"),
    ("feature", "audit_log", r"audit logs?"),
    ("feature", "slack_integration", r"Slack (?:alerts?|integration)|Slack"),
    ("feature", "warehouse_connector", r"warehouse connector"),
    ("feature", "annotations", r"(?:chart )?annotations?|annotate"),
)
LEXICON = tuple(
    (kind, eid, re.compile(rf"(?<![\w/])(?:{pattern})(?![\w/])", re.IGNORECASE))
    for kind, eid, pattern in _RULES
)

Span = tuple[int, int, str, str]  # start, end, type, id
SLOT = re.compile(r"\{(\w+)\}")  # a template's placeholders


def scan(text: str, regions: list[tuple[int, int]] | None = None) -> list[Span]:
    """The lexicon's mentions in ``text`` (only those inside ``regions`` when given), without
    overlaps (see ``_RULES``)."""
    found = [
        (m.start(), m.end(), kind, eid)
        for kind, eid, pattern in LEXICON
        for m in pattern.finditer(text)
    ]
    if regions is not None:
        found = within(found, regions)
    found.sort(key=lambda s: (s[0], s[0] - s[1]))
    kept: list[Span] = []
    for span in found:
        if not kept or span[0] >= kept[-1][1]:
            kept.append(span)
    return kept


@lru_cache(maxsize=8192)
def scan_template(template: str) -> tuple[Span, ...]:
    """The lexicon's mentions in a template's own text (outside its ``{slot}`` placeholders), in
    the template's coordinates."""
    regions, last = [], 0
    for m in SLOT.finditer(template):
        regions.append((last, m.start()))
        last = m.end()
    regions.append((last, len(template)))
    return tuple(scan(template, regions))


@lru_cache(maxsize=1024)
def scan_text(text: str) -> tuple[Span, ...]:
    """:func:`scan` of a text without placeholders, cached (slot values)."""
    return tuple(scan(text))


def within(spans: list[Span], regions: list[tuple[int, int]]) -> list[Span]:
    """The spans that lie entirely inside one of ``regions``."""
    return [s for s in spans if any(a <= s[0] and s[1] <= b for a, b in regions)]


def shift(spans: Iterable[Span], by: int) -> list[Span]:
    return [(s + by, e + by, kind, eid) for s, e, kind, eid in spans]


class Marks:
    """Mention spans of the strings one item's composition produced, by string.

    A string made of marked strings (joined, quoted, prefixed) needs no registration: its
    mentions are where the marked strings occur in it. Transformations that change a marked
    string's characters register the result (:meth:`derive`, :meth:`edit`, :meth:`split`).
    """

    def __init__(self) -> None:
        self.by_text: dict[str, set[Span]] = {}

    def add(self, text: str, spans: list[Span]) -> None:
        if spans:
            self.by_text.setdefault(text, set()).update(spans)

    def spans_in(self, text: str) -> list[Span]:
        """Mentions of every marked string found in ``text``, by position."""
        found: set[Span] = set()
        for known, spans in self.by_text.items():
            at = text.find(known)
            while at != -1:
                found.update(shift(spans, at))
                at = text.find(known, at + 1)
        return sorted(found)

    def derive(self, new: str, old: str, offset: int = 0) -> str:
        """Register ``new``, which holds ``old`` at ``offset`` with characters changed in place
        (case, quotes, spaces); return ``new``."""
        self.add(new, shift(self.spans_in(old), offset))
        return new

    def edit(self, new: str, old: str, at: int, removed: int) -> str:
        """Register ``new``: ``old`` with ``removed`` characters dropped at ``at`` (or letters
        swapped in place, ``removed=0``); return ``new``."""
        spans = []
        for s, e, kind, eid in self.spans_in(old):
            spans.append((s if s <= at else s - removed, e if e <= at else e - removed, kind, eid))
        self.add(new, spans)
        return new

    def split(self, text: str, sep: str) -> list[str]:
        """``text.split(sep)``, each piece registered with the mentions inside it."""
        pieces = text.split(sep)
        spans = self.spans_in(text)
        at = 0
        for piece in pieces:
            self.add(piece, shift(within(spans, [(at, at + len(piece))]), -at))
            at += len(piece) + len(sep)
        return pieces

    def entities(self, texts: list[str]) -> list[dict[str, str]]:
        """The distinct ``{type, id, text}`` mentions in ``texts``, in order of appearance; a
        non-breaking space in a mention is given as a space, as the connectors read it."""
        out: dict[tuple[str, str, str], None] = {}
        for text in texts:
            for s, e, kind, eid in self.spans_in(text):
                out.setdefault((kind, eid, text[s:e].replace("\u00a0", " ")), None)
        return [{"type": k, "id": i, "text": t} for k, i, t in out]
