"""Customer voice: which units say what customers said, and say something.

Theme discovery and the report (themes, blind spots, trends, spikes, quotes) count only these;
the units table keeps every unit, with its ``voice`` and ``substance``
(:mod:`silobridge.pipeline.understand.voice`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..classifiers.substance import SubstanceModel
from ..config import VOICES  # whose words a unit holds (pipeline/understand/voice.py decides)

#: Channels whose units are turns of a conversation with the customer: there, the company's own
#: turns are its own talk, never a relay.
CONVERSATION_CHANNELS = ("ticket", "call", "chat")
#: The voices that count as customer voice by default.
DEFAULT_VOICES = ("customer", "relayed")
# list markers and punctuation around a text, which a repeated text may or may not carry
_MARKERS = re.compile(r"^[\s\-–—*•·>]+|^\s*\d{1,2}[.)]\s+|[\s.,;:!?…]+$")
_SPACE = re.compile(r"\s+")


def template_key(texts: pd.Series) -> pd.Series:
    """What the template and boilerplate rules compare: a text without case, list markers,
    trailing punctuation or extra white space ("- Renewal call in Q4." and "renewal call in
    Q4" are one text)."""
    key = texts.fillna("").astype(str).str.lower().str.replace(_MARKERS, "", regex=True)
    return key.str.replace(_SPACE, " ", regex=True).str.strip()


#: The template rule's settings ``(items, share of a source's items)``; a text repeated that
#: often is a template when any holds. Measured on real customer texts
#: (``benchmarks/template_repeats.py``): each drops none of six public sets' sentences, and
#: each asks for the fewest repeats at some source size (10 repeats in a source of up to
#: 1,000 items, 20 in one of 2,000 to 4,000, 0.5% beyond); 10 items and 0.5% would drop
#: 0.8% of a 3,000-review source ("Great app" and its like).
TEMPLATES: tuple[tuple[int, float], ...] = ((10, 0.01), (20, 0.005))

#: The columns :func:`customer_voice` reads (those a table lacks are not used).
COLUMNS = ("role", "channel", "voice", "substance", "text", "source_name", "item_id", "function")


def customer_voice(
    units: pd.DataFrame,
    *,
    voices: Sequence[str] = DEFAULT_VOICES,
    min_substance: float | None = None,
    templates: Sequence[tuple[int, float]] = TEMPLATES,
    boilerplate_items: int = 20,
    boilerplate_functions: int = 3,
) -> pd.Series:
    """Which units say what customers said, and say something. Theme discovery and the
    report use these.

    Left out:

    * units whose ``voice`` is not in ``voices`` (default: the company's own talk and bots are
      out; customers' words and what staff relay of them are in). Units of stores written
      before voices existed (``voice`` null): the company's own turns in conversations
      (``role`` internal on a ticket, call or chat) are out;
    * units without substance: ``substance`` below ``min_substance`` (small talk, thanks,
      scheduling, office chatter); ``0`` keeps them all;
    * templates: a text (a unit, compared by :func:`template_key`) repeated word for word
      in at least ``k`` items and ``share`` of the items of one source, for any ``(k, share)``
      of ``templates``: a form's prompt (review sites and survey tools write their questions
      into the text: "What do you dislike about the product?"), a canned follow-up ("Any update
      on this?"), a call script's line, a staff member's formula in CRM notes ("Invoice
      sent, waiting for PO."). The default is measured on real customer texts
      (``benchmarks/template_repeats.py``: app reviews, IT tickets, complaint narratives,
      bank queries, restaurant reviews, dialogue turns; sources of 300 to 10,000 items): at
      each size, the setting that asks for the fewest repeats among those dropping at most
      0.1% of any set's sentences (:data:`TEMPLATES`);
    * boilerplate: a text repeated word for word in at least ``boilerplate_items`` items heard
      by at least ``boilerplate_functions`` functions (a phrase every team's calls repeat is
      nobody's finding).

    Args:
        units: ``role``, ``channel``, ``text``, ``source_name`` and ``item_id`` of each unit;
            ``voice``, ``substance`` and ``function`` when the table has them.
        voices: Which of ``customer``, ``relayed``, ``internal``, ``bot`` count.
        min_substance: The least substance probability that counts (default: the substance
            model's threshold, :class:`~silobridge.classifiers.substance.SubstanceModel`).
    """
    unknown = sorted(set(voices) - set(VOICES))
    if unknown:
        raise ValueError(f"unknown voice(s) {unknown}: expected some of {', '.join(VOICES)}")
    agent = units["role"].eq("internal") & units["channel"].isin(CONVERSATION_CHANNELS)
    if "voice" in units:
        voice = units["voice"]
        counted = voice.isin(list(voices)) | (voice.isna() & ~agent)
    else:
        counted = ~agent
    if min_substance is None:
        min_substance = SubstanceModel.load().threshold
    if "substance" in units and min_substance > 0:
        counted &= units["substance"].isna() | units["substance"].ge(min_substance)
    key = template_key(units["text"])
    items = units.groupby([units["source_name"], key])["item_id"].transform("nunique")
    per_source = units.groupby("source_name")["item_id"].transform("nunique")
    if len(templates):  # the union of the settings: the lowest repeat count any asks for
        size = per_source.to_numpy(dtype=float)
        cut = np.min([np.maximum(k, share * size) for k, share in templates], axis=0)
        counted &= items.to_numpy() < cut
    if "function" in units and boilerplate_functions > 0:
        everywhere = units.groupby(key)["item_id"].transform("nunique") >= boilerplate_items
        functions = units.groupby(key)["function"].transform("nunique")
        counted &= ~(everywhere & (functions >= boilerplate_functions))
    return counted
