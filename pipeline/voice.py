"""Customer voice: which units say what customers said.

Theme discovery and the report count only these; the units table keeps every unit.
"""

from __future__ import annotations

import pandas as pd

#: Channels whose units are turns of a conversation with the customer. There, the company's own
#: turns (role ``internal``: an agent's reply, a rep's pitch) are not what the customer said;
#: in notes and messages an internal author is relaying what they heard.
CONVERSATION_CHANNELS = ("ticket", "call", "chat")


def customer_voice(
    units: pd.DataFrame, *, prompt_items: int = 20, prompt_share: float = 0.05
) -> pd.Series:
    """Which units say what customers said. Theme discovery and the report use these.

    Left out: the company's own turns in conversations (``role`` internal on a ticket, call or
    chat), and form prompts: a question repeated word for word in at least ``prompt_items``
    items and ``prompt_share`` of the items of one source (review sites and survey tools write
    their questions into the text: "What do you dislike about the product?").

    Args:
        units: ``role``, ``channel``, ``text``, ``source_name`` and ``item_id`` of each unit.
    """
    agent = units["role"].eq("internal") & units["channel"].isin(CONVERSATION_CHANNELS)
    key = units["text"].str.strip().str.lower()
    items = units.groupby([units["source_name"], key])["item_id"].transform("nunique")
    per_source = units.groupby("source_name")["item_id"].transform("nunique")
    prompt = key.str.endswith("?") & (items >= prompt_items) & (items >= prompt_share * per_source)
    return ~(agent | prompt)
