"""Whose words a unit holds (its ``voice``) and whether it says anything (its ``substance``).

**Voice** is one of :data:`VOICES`:

* ``customer``: a customer's own words (a ticket's requester, a call's external party, a survey
  answer, a review);
* ``relayed``: a customer's words passed on by staff (a forwarded message or an integration's
  post in Slack, a ``>`` quote, a quotation, a note or message that reports what a customer
  said);
* ``internal``: the company's own talk (an agent's reply, a rep's pitch, office chatter);
* ``bot``: a bot or integration speaking for itself.

Where the format says it, rules decide: the turn's role from the connector (``bot``,
``customer``, ``relayed`` for a forwarded or shared message), a source configured with a voice
(``voice = "customer"`` for a feedback channel, ``"internal"`` for a channel that never carries
customers), a ``>`` quote block, or at least twelve characters of a quotation in the unit
(segmentation makes a staff turn's quotation a unit of its own, ``docs/segmentation.md``);
where the format marks what is relayed, the rest of the item is the staff's own words
(``internal``), and so is a frame that ends in a colon ("Heard from Ana at Acme:").

Where the format is silent (a note or message in its writer's own words), a unit is ``relayed``
only with substance (at least the substance model's ``relay_threshold``: what a note reports of
a customer's need or problem, not work logistics) in an item a function hears (a channel or
source with a function: staff talk in a channel no function owns relays nobody); and where the
connector knows a staff member wrote it (role ``internal``, as a Slack message by a member of
the workspace), only with a customer in the item too (:func:`names_a_customer`: the item belongs
to an account, or its text names one of the company's accounts, or a customer, client, user,
prospect or buyer, or introduces a passage with a colon). Anything else is ``internal``: "who
can cover the queue on Tuesday?" says something about work but reports no customer. A note whose
writer the format does not say (role ``unknown``: a CRM note, a file of feedback notes) needs no
named customer: it is kept for what it says. A staff member's own view of the product in a note
that names a customer is counted as relayed: the model learned substance, not who speaks,
because a learned "staff talk" class did not hold on held-out sets
(``benchmarks/train_substance.py``).

**Substance** is the probability, by the substance model
(:mod:`silobridge.classifiers.substance`), that the unit says something about a product,
service, need or market rather than small talk, pleasantries, logistics or office chatter.
``None`` when the units' vectors come from an embedding model the substance model was not
trained on. What counts as customer voice downstream (themes, discovery, blind spots, trends,
quotes) is decided by :func:`silobridge.pipeline.voice.customer_voice` from both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ...classifiers.substance import SubstanceModel
from ..voice import CONVERSATION_CHANNELS, VOICES
from .segment_rules import MAX_FRAME_WORDS, QUOTE_CHARS, words_of
from .segment_rules import QUOTATION as _QUOTATION

__all__ = ["VOICES", "assign_voice", "named_accounts", "names_a_customer", "substance_scores"]

#: Channels whose text is the customer's by nature when no role says otherwise.
CUSTOMER_CHANNELS = ("ticket", "call", "chat", "survey", "review")
#: Changes whenever a change here can change a unit's voice or substance.
#: v3: a relay needs a customer in its item (:func:`names_a_customer`); a frame ending in a
#: colon is the staff's.
ALGORITHM = "voice.v3"

# a line that is a quote block ("> ...", Slack's ">>>")
_QUOTE_LINE = re.compile(r"^\s*>")
#: Words that name a customer party in a staff member's text ("a customer told me", "one of
#: our users"): the generic nouns of the trade, not a list of phrases.
_PARTY = re.compile(
    r"\b(?:customers?|clients?|users?|prospects?|buyers?|subscribers?)\b", re.IGNORECASE
)
# a colon that introduces a passage on the same line or the next ("FYI from Acme: ...")
_INTRODUCES = re.compile(r":(?:[ \t]+\S|[ \t]*\n\s*\S)")


def substance_scores(
    vectors: np.ndarray,
    texts: Sequence[str],
    model_id: str | None,
    model: SubstanceModel | None = None,
) -> np.ndarray | None:
    """The probability that each unit has substance, by the substance model; ``None`` where it
    does not apply (vectors of another embedding model, or none)."""
    model = model or SubstanceModel.load()
    if not len(vectors) or vectors.ndim != 2 or not model.applies_to(model_id):
        return None
    return model.predict_proba(vectors, texts)


def assign_voice(
    units: pd.DataFrame,
    item_texts: Mapping[str, str],
    scores: np.ndarray | None,
    *,
    source_voices: Mapping[str, str] | None = None,
    threshold: float | None = None,
    companies: Sequence[str] = (),
) -> tuple[list[str], list[float | None]]:
    """The ``voice`` and ``substance`` of each unit.

    Args:
        units: ``item_id``, ``role``, ``channel``, ``start``, ``end`` and ``source_name`` (when
            known) of each unit.
        item_texts: ``{item_id: text}`` of the units' items (their unredacted text, only read
            here to find quote blocks and quotation marks around each unit).
        scores: :func:`substance_scores` of the units, or ``None``.
        source_voices: ``{source_name: "auto" | "customer" | "internal"}`` from the config.
        threshold: The substance a staff member's own words need to read as a relay (default:
            the substance model's ``relay_threshold``).
        companies: The company's accounts that are companies (:func:`names_a_customer`).

    Returns:
        ``(voices, substance)``, one of each per unit.
    """
    n = len(units)
    if scores is not None:
        cut = SubstanceModel.load().relay_threshold if threshold is None else threshold
        substance: list[float | None] = [round(float(v), 4) for v in scores]
        reads_customer = np.asarray(scores) >= cut
    else:
        substance = [None] * n
        reads_customer = np.ones(n, dtype=bool)  # no model: as before, a note relays
    settings = source_voices or {}
    columns = units.columns
    sources = units["source_name"] if "source_name" in columns else pd.Series([None] * n)
    channels = units["channel"] if "channel" in columns else pd.Series([None] * n)
    # where the format marks what is relayed (a forwarded part, a quote block, a quotation),
    # the rest of the item is the staff's own words around it
    roles = units["role"].to_numpy()
    starts, ends = units["start"].to_numpy(), units["end"].to_numpy()
    ids = [str(i) for i in units["item_id"]]
    quoted = [
        roles[i] in ("internal", "unknown")
        and _quoted(item_texts.get(ids[i], ""), int(starts[i]), int(ends[i]))
        for i in range(n)
    ]
    marked = {ids[i] for i in range(n) if quoted[i] or roles[i] == "relayed"}
    texts = units["text"] if "text" in columns else pd.Series([""] * n)
    frames = [  # a staff member's frame before a colon ("Heard from Ana at Acme:")
        roles[i] in ("internal", "unknown")
        and str(texts.iloc[i]).rstrip().endswith(":")
        and len(words_of(str(texts.iloc[i]))) <= MAX_FRAME_WORDS
        for i in range(n)
    ]
    accounts = units["account"] if "account" in columns else pd.Series([None] * n)
    customer_items = {a for a, b in zip(ids, accounts, strict=True) if isinstance(b, str) and b}
    staff_items = {ids[i] for i in range(n) if roles[i] == "internal"} - customer_items
    pattern = _accounts_pattern(tuple(companies))
    customer_items |= {
        item for item in staff_items if _reports_customer(item_texts.get(item, ""), pattern)
    }
    # a relay is heard by a function: staff talk in a channel no function owns (general,
    # random) relays nobody unless the format says so
    functions = units["function"] if "function" in columns else pd.Series(["?"] * n)
    owned = [isinstance(f, str) and bool(f) for f in functions]
    voices: list[str] = []
    for i, (role, channel, source) in enumerate(zip(roles, channels, sources, strict=True)):
        setting = settings.get(source, "auto") if isinstance(source, str) else "auto"
        if role == "bot":
            voices.append("bot")
        elif setting == "internal":
            voices.append("internal")
        elif setting == "customer":
            voices.append("relayed" if role in ("internal", "relayed") else "customer")
        elif role in ("customer", "relayed"):
            voices.append(role)
        elif channel in CONVERSATION_CHANNELS:
            voices.append("internal" if role == "internal" else "customer")
        elif role == "unknown" and channel in CUSTOMER_CHANNELS:
            voices.append("customer")
        elif quoted[i]:
            voices.append("relayed")
        elif (
            ids[i] in marked
            or frames[i]
            or not owned[i]
            or (role == "internal" and ids[i] not in customer_items)
        ):
            voices.append("internal")
        else:
            voices.append("relayed" if reads_customer[i] else "internal")
    return voices, substance


def names_a_customer(text: str, companies: Sequence[str] = ()) -> bool:
    """Whether a staff member's text reports on a customer: it names one of ``companies`` (the
    company's accounts), a customer party (customer, client, user, prospect, buyer, subscriber)
    or introduces a passage with a colon ("Feedback from today's calls:\\n- ...").

        >>> names_a_customer("who can cover the queue on Tuesday?")
        False
        >>> names_a_customer("Acme Logistics can't export again", ["Acme Logistics"])
        True
    """
    return _reports_customer(text, _accounts_pattern(tuple(companies)))


def _reports_customer(text: str, accounts: re.Pattern[str] | None) -> bool:
    if not text:
        return False
    if _PARTY.search(text) or _INTRODUCES.search(text):
        return True
    return accounts is not None and accounts.search(text) is not None


def _quoted(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` lies in a ``>`` quote block or holds at least
    :data:`QUOTE_CHARS` characters of a quotation."""
    if not text:
        return False
    line_start = text.rfind("\n", 0, start) + 1
    if _QUOTE_LINE.match(text[line_start:end]):
        return True
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end]
    inside = 0
    for match in _QUOTATION.finditer(line):
        a, b = match.start(1) + line_start, match.end(1) + line_start
        inside += max(0, min(b, end) - max(a, start))
    # a quotation of a customer's words inside the unit makes it a relay, lead-in and all
    # ('Email from Sam: "It keeps crashing.'): better the staff's few words counted than the
    # customer's lost
    return inside >= min(QUOTE_CHARS, max(1, end - start))


def named_accounts(units: pd.DataFrame, companies: Sequence[str]) -> list[object]:
    """Each unit's ``account``; a ``relayed`` unit of an item with none gets the account its
    (redacted) text names, when it names exactly one of ``companies`` (accounts known to be
    companies: a person's name is never looked for, it is redacted).

    "FYI from Acme Logistics: exports fail every night" in a Slack channel is Acme Logistics'
    feedback, heard by the channel's function.
    """
    accounts: list[object] = [a if isinstance(a, str) and a else None for a in units["account"]]
    names = _company_names(tuple(companies))
    if not names:
        return accounts
    pattern = _names_pattern(names)
    lookup = {n.lower(): n for n in names}
    for i, (voice, text) in enumerate(zip(units["voice"], units["text"], strict=True)):
        if voice != "relayed" or accounts[i] is not None:
            continue
        found = {lookup[m.group(0).lower()] for m in pattern.finditer(str(text))}
        if len(found) == 1:
            accounts[i] = found.pop()
    return accounts


def _company_names(companies: tuple[str, ...]) -> tuple[str, ...]:
    """The account names worth looking for: stripped, longer than two characters, sorted."""
    names = {c.strip() for c in companies if isinstance(c, str)}
    return tuple(sorted(n for n in names if len(n) > 2))


def _accounts_pattern(companies: tuple[str, ...]) -> re.Pattern[str] | None:
    names = _company_names(companies)
    return _names_pattern(names) if names else None


@lru_cache(maxsize=4)
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    longest_first = sorted(names, key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in longest_first)
    return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", re.IGNORECASE)
