"""Real labelled customer texts for the company benchmark, split into a pool and a training half.

Every customer text the generator writes comes from a labelled public data set under
``/work/shared/eval`` (see each folder's SOURCE.md). Each text set maps the data set's labels to
themes. Rows are split by a stable hash of the text: the *pool* half feeds the generated
company, the *train* half is only for the plain baseline classifier (and the taxonomy's
examples), so a baseline never sees a test text.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from pathlib import Path

EVAL = Path(__file__).resolve().parents[3] / "shared" / "eval"  # ../shared/eval


@dataclass(frozen=True)
class Theme:
    """One gold theme: the data set's label, and how the taxonomy describes it."""

    id: str
    label: str
    name: str
    description: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class TextSet:
    """A labelled data set and the company structure planted with it."""

    key: str
    dataset: str
    themes: tuple[Theme, ...]
    blind_spots: tuple[tuple[str, str], ...]  # (theme id, function)
    spike: str  # theme id
    company: str
    product: str


REVIEWS = TextSet(
    key="reviews",
    dataset="app_reviews_maalej (single-label reviews)",
    themes=(
        Theme(
            "bug_report",
            "Bug",
            "Bugs and crashes",
            "The app crashes, freezes, loses data, shows errors or something does not work.",
            ("crash", "bug", "error", "freeze", "broken"),
        ),
        Theme(
            "feature_request",
            "Feature",
            "Feature requests",
            "The customer asks for a new feature, option or improvement that does not exist.",
            ("please add", "wish", "would be nice", "option", "feature"),
        ),
        Theme(
            "usage_experience",
            "UserExperience",
            "How customers use it",
            "How the customer uses the product in their own situation and what it does for them.",
            ("use it", "helps me", "every day", "when I"),
        ),
        Theme(
            "overall_rating",
            "Rating",
            "Overall praise or rating",
            "A short overall judgement of the product: love it, great, useless, five stars.",
            ("love", "great", "awesome", "stars", "best"),
        ),
    ),
    blind_spots=(("feature_request", "Product"), ("bug_report", "Support")),
    spike="usage_experience",
    company="Tallyho",
    product="Tallyho",
)

TICKETS = TextSet(
    key="tickets",
    dataset="it_service_tickets (Endava helpdesk, preprocessed)",
    themes=(
        Theme(
            "hardware",
            "Hardware",
            "Hardware problems",
            "Laptops, monitors, printers, phones, docking stations or cables fail or are needed.",
            ("laptop", "printer", "monitor", "screen", "cable"),
        ),
        Theme(
            "hr_support",
            "HR Support",
            "HR questions",
            "Leave, contracts, payroll, onboarding of new starters and other HR matters.",
            ("leave", "contract", "employee", "hr", "vacation"),
        ),
        Theme(
            "access",
            "Access requests",
            "Access requests",
            "Someone needs access to a system, folder, account or distribution list.",
            ("access", "account", "permission", "login"),
        ),
        Theme(
            "miscellaneous",
            "Miscellaneous",
            "Other requests",
            "General requests and questions that fit no other queue.",
            ("question", "request", "issue"),
        ),
        Theme(
            "storage",
            "Storage",
            "Storage and mailbox space",
            "Disk, mailbox, shared drive or backup space is full or needs to be extended.",
            ("storage", "space", "drive", "mailbox", "quota"),
        ),
        Theme(
            "purchase",
            "Purchase",
            "Purchases and orders",
            "Buying licences, equipment or services: quotes, purchase orders and approvals.",
            ("purchase", "order", "quote", "licence", "po"),
        ),
        Theme(
            "internal_project",
            "Internal Project",
            "Internal projects",
            "Work on internal projects, project setup, tools and project resources.",
            ("project", "setup", "team"),
        ),
        Theme(
            "admin_rights",
            "Administrative rights",
            "Administrative rights",
            "Local administrator rights or elevated permissions to install software.",
            ("admin", "administrator", "rights", "install"),
        ),
    ),
    blind_spots=(("purchase", "Sales"), ("access", "Success")),
    spike="storage",
    company="Helpwise",
    product="Helpwise",
)
TEXT_SETS = {t.key: t for t in (REVIEWS, TICKETS)}
# Theme ids are stored with the label for the few data sets whose label differs from the id.
_LABEL_FIX = {"Access requests": "Access"}


def _half(text: str) -> str:
    """``pool`` or ``train``: a stable split by the text's CRC32."""
    return "pool" if zlib.crc32(text.encode("utf-8")) % 2 == 0 else "train"


def _rows(key: str) -> list[tuple[str, str]]:
    """``(text, label)`` rows of a text set, in file order, cleaned and filtered."""
    rows: list[tuple[str, str]] = []
    if key == "reviews":
        path = EVAL / "app_reviews_maalej" / "app_reviews_maalej_multilabel.csv"
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join((row["comment"] or "").split())
                if row["n_labels"] == "1" and len(text.split()) >= 4:
                    rows.append((text, row["labels"]))
    elif key == "tickets":
        path = EVAL / "it_service_tickets" / "all_tickets_processed_improved_v3.csv"
        with path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = " ".join((row["Document"] or "").split())
                if 6 <= len(text.split()) <= 70:
                    rows.append((text, row["Topic_group"]))
    else:
        raise ValueError(f"unknown text set {key!r}")
    return rows


def load(key: str) -> dict[str, dict[str, list[str]]]:
    """``{"pool"|"train": {theme id: [distinct texts, file order]}}`` of one text set."""
    text_set = TEXT_SETS[key]
    by_label = {_LABEL_FIX.get(t.label, t.label): t.id for t in text_set.themes}
    out: dict[str, dict[str, list[str]]] = {
        "pool": {t.id: [] for t in text_set.themes},
        "train": {t.id: [] for t in text_set.themes},
    }
    seen: set[str] = set()
    for text, label in _rows(key):
        if label not in by_label or text.lower() in seen:
            continue
        seen.add(text.lower())
        out[_half(text)][by_label[label]].append(text)
    return out


def taxonomy_yaml(text_set: TextSet, train: dict[str, list[str]]) -> str:
    """A plain taxonomy (``data/taxonomy.yaml`` format) for the text set's themes.

    Two examples per theme come from the *train* half, never from a generated text.
    """

    def q(s: str) -> str:
        """A double-quoted YAML string."""
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [
        f"# Taxonomy of the company benchmark ({text_set.key}: {text_set.dataset}).",
        "version: 1",
        f"company: {text_set.company}",
        "",
        "functions:",
    ]
    for f, d in FUNCTION_DESCRIPTIONS.items():
        lines.append(f"  - {{id: {f}, description: {q(d)}}}")
    lines += [
        "",
        *_insight_types(),
        "",
        "themes:",
        f"  - id: {text_set.key}_feedback",
        "    name: Customer feedback",
    ]
    lines += ["    description: What customers raise.", "    children:"]
    for t in text_set.themes:
        examples = [e[:160] for e in train[t.id][:2]]
        lines += [
            f"      - id: {t.id}",
            f"        name: {q(t.name)}",
            f"        description: {q(t.description)}",
            f"        examples: [{', '.join(q(e) for e in examples)}]",
            f"        keywords: [{', '.join(q(k) for k in t.keywords)}]",
        ]
    lines += [
        "",
        "gazetteer:",
        "  products:",
        f"    - {{id: {text_set.product.lower()}, name: {text_set.product}}}",
        "",
    ]
    return "\n".join(lines)


def _insight_types() -> list[str]:
    """The ``insight_types:`` block of silobridge's default taxonomy, verbatim.

    A taxonomy without insight types validates, but the classify stage then fails (it fits its
    insight model on no prototypes), so the benchmark's taxonomy carries the default ones.
    """
    text = (Path(__file__).resolve().parents[2] / "data" / "taxonomy.yaml").read_text("utf-8")
    lines = text.splitlines()
    start = lines.index("insight_types:")
    end = next(i for i in range(start + 1, len(lines)) if lines[i] and lines[i][0] != " ")
    return [line for line in lines[start:end] if line.strip()]


FUNCTION_DESCRIPTIONS = {
    "Support": "Support tickets and chats.",
    "Success": "Customer success, onboarding, renewals and account health.",
    "Sales": "Sales calls, deals and CRM notes.",
    "Product": "Product management, design and engineering.",
    "Marketing": "Marketing, website, events and reviews.",
}
