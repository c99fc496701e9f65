"""The generated company: its people, accounts, planted themes and the plan of its items."""

from __future__ import annotations

import html
import random
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for _path in (HERE, ROOT / "data" / "sample"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from _model import hexid  # noqa: E402  (the bundled sample's writers)
from _texts import TextSet  # noqa: E402
from _world import ACCOUNT_NAMES, FIRST_NAMES, LAST_NAMES, phone  # noqa: E402

START = datetime(2026, 8, 3, tzinfo=UTC)  # a Monday
WEEKS = 12
SPIKE_WEEK = 7  # index: the week starting 2026-09-21
SPIKE_FACTOR = 4.0
BLIND_SHARE = 0.7
FUNCTIONS = ("Support", "Success", "Sales", "Product", "Marketing")
# Where each function hears customers: (source key, share). slack:<channel> is a relay.
SOURCE_MIX = {
    "Support": (("zendesk", 0.85), ("slack:support-team", 0.15)),
    "Success": (("intercom", 0.75), ("slack:cs-escalations", 0.25)),
    "Sales": (("gong", 0.7), ("crm", 0.3)),
    "Product": (("surveymonkey", 0.7), ("slack:product-feedback", 0.3)),
    "Marketing": (("crm", 0.5), ("slack:marketing", 0.5)),
}
CHANNELS = {  # name: function (None: not a function's channel)
    "general": None,
    "random": None,
    "support-team": "Support",
    "cs-escalations": "Success",
    "sales-deals": "Sales",
    "product-feedback": "Product",
    "marketing": "Marketing",
}
CUSTOMER_KINDS = ("direct", "relayed")
SM_IMPROVE = "What is the one thing we should improve?"
SM_ELSE = "Anything else you would like to tell us?"
SM_NPS = "How likely are you to recommend us to a friend or colleague?"


@dataclass
class Person:
    """A customer contact or an employee."""

    first: str
    last: str
    email: str
    phone: str
    account: str | None  # None: an employee
    uid: str = ""

    @property
    def name(self) -> str:
        """First and last name."""
        return f"{self.first} {self.last}"


@dataclass
class Passage:
    """One stretch of text in an item: customer voice (direct, relayed) or not."""

    kind: str  # direct|relayed|greeting|signature|subject|staff|bot|auto_reply|filler|small_talk|
    # logistics|chatter
    text: str

    @property
    def customer(self) -> bool:
        """Whether the passage is what a customer said."""
        return self.kind in CUSTOMER_KINDS


@dataclass
class Entry:
    """One item as silobridge will see it (its native id is the connector's)."""

    source: str
    native_id: str
    function: str | None
    file: str
    created_at: datetime
    passages: list[Passage] = field(default_factory=list)
    theme: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        """JSON-ready truth entry."""
        customer = [p for p in self.passages if p.customer]
        return {
            "source": self.source,
            "native_id": self.native_id,
            "function": self.function,
            "file": self.file,
            "created_at": _iso(self.created_at),
            "week": _week(self.created_at),
            "customer_voice": customer[0].kind if customer else None,
            "theme": self.theme,
            "customer_text": customer[0].text if customer else None,
            "passages": [{"kind": p.kind, "text": p.text} for p in self.passages],
            **self.extra,
        }


@dataclass
class Planned:
    """A customer text planned into the company: theme, function, source, date."""

    text: str
    theme: str
    function: str
    source: str
    when: datetime


class Company:
    """The generator's state: random streams, people, written entries and personal data."""

    def __init__(self, seed: int, text_set: TextSet, out: Path) -> None:
        self.seed, self.ts, self.out = seed, text_set, out
        self.entries: list[Entry] = []
        self.pii: list[dict[str, str]] = []
        rng = self.rng("world")
        self.accounts = rng.sample(list(ACCOUNT_NAMES), 30)
        used: set[str] = set()
        self.contacts: dict[str, list[Person]] = {}
        for acct in self.accounts:
            domain = "".join(c for c in acct.lower() if c.isalnum())[:18] + ".example.com"
            self.contacts[acct] = [self._person(rng, used, domain, acct) for _ in range(3)]
        self.staff: dict[str, list[Person]] = {}
        for f in FUNCTIONS:
            self.staff[f] = [
                self._person(rng, used, f"{text_set.company.lower()}.example.com", None)
                for _ in range(4)
            ]
        for k, p in enumerate(self.employees()):
            p.uid = "U0" + hexid(random.Random(f"{seed}/uid/{k}"), 8).upper()

    def rng(self, part: str) -> random.Random:
        """A random stream of its own for one part of the generator."""
        return random.Random(f"{self.seed}/{self.ts.key}/{part}")

    @staticmethod
    def _person(rng: random.Random, used: set[str], domain: str, account: str | None) -> Person:
        """A new person with a unique name, an e-mail at ``domain`` and a fictional phone."""
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used:
                used.add(f"{first} {last}")
                break
        email = rng.choice((f"{first}.{last}", f"{first[0]}{last}", first)).lower() + "@" + domain
        return Person(first, last, email, phone(rng, rng.choice(("US", "UK"))), account)

    def employees(self) -> list[Person]:
        """Every employee, in a fixed order."""
        return [p for f in FUNCTIONS for p in self.staff[f]]

    def add_pii(self, entry: Entry, kind: str, value: str, where: str) -> str:
        """Record one planted piece of personal data (``where``: text or field)."""
        self.pii.append(
            {
                "type": kind,
                "value": value,
                "source": entry.source,
                "native_id": entry.native_id,
                "where": where,
            }
        )
        return value


def _iso(dt: datetime) -> str:
    """An ISO 8601 UTC timestamp with a ``Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _week(dt: datetime) -> str:
    """The ISO date of the Monday of a date's week."""
    monday = (dt - timedelta(days=dt.weekday())).date()
    return monday.isoformat()


def _epoch(dt: datetime) -> int:
    """Epoch seconds."""
    return int(dt.timestamp())


# ---------------------------------------------------------------------------------------------
# Planning: which customer text goes where, when
# ---------------------------------------------------------------------------------------------


def theme_counts(pool: dict[str, list[str]], n: int) -> dict[str, int]:
    """As even as the pool allows: every theme ``n / themes``, capped by what the pool holds."""
    counts = dict.fromkeys(pool, 0)
    left = n
    while left > 0:
        room = [t for t in pool if counts[t] < len(pool[t])]
        if not room:
            break
        share = max(1, left // len(room))
        for t in room:
            add = min(share, len(pool[t]) - counts[t], left)
            counts[t] += add
            left -= add
    return counts


def plan(company: Company, pool: dict[str, list[str]], n: int) -> list[Planned]:
    """``n`` customer texts with theme, function, source and date (blind spots, spike planted)."""
    rng = company.rng("plan")
    blind = dict(company.ts.blind_spots)
    out: list[Planned] = []
    for theme, k in theme_counts(pool, n).items():
        texts = rng.sample(pool[theme], k)
        if theme in blind:
            owner = blind[theme]
            n_owner = round(BLIND_SHARE * k)
            others = [f for f in FUNCTIONS if f != owner]
            functions = [owner] * n_owner + [others[i % 4] for i in range(k - n_owner)]
        else:
            offset = rng.randrange(len(FUNCTIONS))
            functions = [FUNCTIONS[(i + offset) % len(FUNCTIONS)] for i in range(k)]
        rng.shuffle(functions)
        weights = [1.0] * WEEKS
        if theme == company.ts.spike:
            weights[SPIKE_WEEK] = SPIKE_FACTOR
        for text, function in zip(texts, functions, strict=True):
            sources, shares = zip(*SOURCE_MIX[function], strict=True)
            source = rng.choices(sources, shares)[0]
            out.append(Planned(text, theme, function, source, _when(rng, weights)))
    out.sort(key=lambda p: (p.when, p.text))
    return out


def _when(rng: random.Random, week_weights: list[float]) -> datetime:
    """A random date and time in a weighted week (weekdays likelier, office hours)."""
    week = rng.choices(range(WEEKS), week_weights)[0]
    day = rng.choices(range(7), (1, 1, 1, 1, 1, 0.15, 0.1))[0]
    secs = rng.randint(7 * 3600, 19 * 3600)
    return START + timedelta(days=7 * week + day, seconds=secs)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> str:
    """Slack's stored message text: ``&``, ``<`` and ``>`` escaped (a quote is ``&gt; ``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _p(text: str) -> str:
    """An Intercom HTML body: one paragraph."""
    return "<p>" + html.escape(text, quote=False) + "</p>"
