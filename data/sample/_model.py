"""Planned items, bad records and file writing shared by the per-source writers."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _plan import FUNCTION_SHARES, SPIKE
from _world import Account, Calendar, Ctx, Person, World, iso_week, iso_z, plan_themes

RELEASE = datetime.fromisoformat(SPIKE["release_date"]).replace(tzinfo=UTC)


@dataclass
class Item:
    """One good record as planned: what it is about, and where it ended up."""

    source: str
    function: str
    channel: str
    when: datetime
    themes: list[str]
    account: Account | None
    native_id: str = ""
    file: str = ""
    text: str = ""  # the item's main text, for the distinct-text measure
    pii: list[tuple[str, str, str]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    account_field: bool = True  # False: no field of the export names the account (only the text)
    entities: list[dict[str, str]] = field(default_factory=list)  # mentions in the record's text

    def ctx(
        self,
        rng: random.Random,
        world: World,
        customer: Person | None = None,
        employee: Person | None = None,
    ) -> Ctx:
        """A composition context for this item; its PII list is the item's."""
        # Customers praise a support agent by name even in surveys and reviews.
        employee = employee or rng.choice(world.staff["Support"])
        ctx = Ctx(rng, self.themes, self.when, self.account, customer, employee)
        ctx.spike = RELEASE <= self.when < RELEASE + timedelta(days=9)
        return ctx

    def ground_truth(self) -> dict[str, Any]:
        entry = {
            "source": self.source,
            "file": self.file,
            "native_id": self.native_id,
            "function": self.function,
            "channel": self.channel,
            "created_at": iso_z(self.when),
            "week": iso_week(self.when),
            "account": self.account.name if self.account else None,
            "themes": self.themes,
        }
        if not self.account_field:
            entry["account_field"] = False
        entry.update(self.extra)
        entry["entities"] = self.entities
        return entry


@dataclass
class Bad:
    """A deliberately broken record."""

    source: str
    file: str
    locator: str
    kind: str
    description: str
    native_id: str | None = None
    pii: list[tuple[str, str, str]] = field(default_factory=list)

    def ground_truth(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "file": self.file,
            "locator": self.locator,
            "kind": self.kind,
            "description": self.description,
            "native_id": self.native_id,
        }


@dataclass
class SourceResult:
    """What one writer produced."""

    items: list[Item] = field(default_factory=list)
    bad: list[Bad] = field(default_factory=list)
    skipped: int = 0  # not records at all (channel joins, call metadata without a transcript)
    notes: dict[str, int] = field(default_factory=dict)  # other counts worth knowing


@dataclass
class Job:
    """What a writer gets: the world, its own random stream, its size, the output folder."""

    world: World
    rng: random.Random
    count: int
    scale: float
    out: Path
    leaks: list[str] = field(default_factory=list)

    def bad_count(self, base: int) -> int:
        """How many bad records of one kind to plant at this scale."""
        return max(1, round(base * self.scale))

    def plan(
        self,
        source: str,
        function: str,
        channel: str,
        n: int,
        calendar: Calendar,
        shares: dict[str, float] | None = None,
    ) -> list[Item]:
        """``n`` items of one function, dated, themed, each with an account."""
        rng = self.rng
        shares = shares or FUNCTION_SHARES[function]
        items = []
        for when in calendar.sample(rng, n):
            themes = plan_themes(rng, function, when, shares)
            account = self.world.pick_account(rng, themes[0])
            items.append(Item(source, function, channel, when, themes, account))
        return items

    def leak(self, items: list[Item]) -> None:
        """Give one item each leaked blind-spot theme as a secondary theme."""
        for theme in self.leaks:
            candidates = [it for it in items if it.themes and theme not in it.themes]
            if candidates:
                self.rng.choice(candidates).themes.append(theme)
        self.leaks = []


def dump(obj: Any, *, indent: int | None = None) -> str:
    """Deterministic JSON: API payloads compact, exports that are pretty-printed indented."""
    if indent is None:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return json.dumps(obj, ensure_ascii=False, indent=indent)


def write(path: Path, data: str | bytes, *, newline: str = "\n") -> None:
    """Write text (UTF-8, given line ends) or bytes, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_bytes(data.replace("\n", newline).encode("utf-8"))


def rel(job: Job, path: Path) -> str:
    """A path relative to the output folder, POSIX style."""
    return path.relative_to(job.out).as_posix()


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def alnum(rng: random.Random, n: int) -> str:
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(rng.choice(chars) for _ in range(n))


def uuid4(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
