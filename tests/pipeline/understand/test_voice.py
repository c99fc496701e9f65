"""Voice and substance per unit: whose words a unit holds, and whether it says anything."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from deltalake import DeltaTable
from silobridge.classifiers.substance import SubstanceModel
from silobridge.pipeline.store import Store
from silobridge.pipeline.store.schema import UNITS
from silobridge.pipeline.understand import UnderstandStage
from silobridge.pipeline.understand.voice import assign_voice, substance_scores
from silobridge.pipeline.voice import customer_voice

from ...conftest import TAXONOMY

SUBSTANCE = [
    "The CSV export has failed every night since the last update.",
    "We need SAML single sign-on before we can roll this out to the whole company.",
    "Your pricing per seat is twice what Datawise charges us.",
    "Crashes every time I open a shared dashboard on my phone.",
]
SMALL_TALK = ["Thanks so much, have a great weekend!", "Hi, how are you doing today?",
              "Okay, sounds good.", "Bye!"]  # fmt: skip


def test_the_substance_model_tells_product_talk_from_small_talk(embedder):
    model = SubstanceModel.load()
    texts = [*SUBSTANCE, *SMALL_TALK]
    scores = substance_scores(embedder.encode(texts), texts, embedder.model_id)
    assert scores is not None
    assert all(scores[: len(SUBSTANCE)] >= model.threshold), scores
    assert all(scores[len(SUBSTANCE) :] < model.threshold), scores
    # vectors of another embedding model are not scored: substance is unknown, not guessed
    assert substance_scores(embedder.encode(texts), texts, "another-model@1") is None


def _units(rows: list[tuple[str, str, str, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["item_id", "role", "channel", "start", "end"]).assign(
        source_name="s"
    )


def test_voice_comes_from_roles_sources_and_quotes():
    texts = {
        "slack": (
            'FYI from Acme:\n> The export fails every night.\nThey said "SSO is a must for us" too.'
        ),
        "ticket": "The export fails.\nThanks, we are looking into it.",
    }
    units = _units(
        [
            ("slack", "internal", "message", 0, 14),  # the staff's own lead-in
            ("slack", "internal", "message", 15, 45),  # a > quote block
            ("slack", "internal", "message", 46, 85),  # mostly a quotation
            ("ticket", "customer", "ticket", 0, 18),
            ("ticket", "internal", "ticket", 19, 50),  # the agent's reply
            ("ticket", "bot", "ticket", 0, 5),
            ("slack", "relayed", "message", 0, 5),  # a forwarded message's part
        ]
    )
    scores = np.zeros(len(units))  # nothing reads as substance: only the format decides
    voices, substance = assign_voice(units, texts, scores, threshold=0.5)
    assert voices == ["internal", "relayed", "relayed", "customer", "internal", "bot", "relayed"]
    assert substance == [0.0] * len(units)

    # a source configured as a feedback channel: all it holds is customers' words
    voices, _ = assign_voice(units, texts, None, source_voices={"s": "customer"})
    assert voices == ["relayed", "relayed", "relayed", "customer", "relayed", "bot", "relayed"]
    voices, _ = assign_voice(units, texts, None, source_voices={"s": "internal"})
    assert set(voices) == {"internal", "bot"}


def test_staff_words_relay_a_customer_only_with_substance_and_a_customer_in_the_item():
    texts = {
        "ops": "who can cover the queue on Tuesday? roadmap review moved",
        "acme": "Acme Logistics again, exports fail every night",
        "noun": "a customer on the call wants SSO before they sign",
        "note": "Exports fail every night for them",  # a CRM note on an account
    }
    units = _units(
        [(item, "internal", "message", 0, 10) for item in texts]
        + [("acme", "internal", "message", 0, 10)]  # no substance: the staff's own words
    ).assign(function="Sales", account=[None, None, None, "Northwind", None])
    scores = np.array([0.9, 0.9, 0.9, 0.9, 0.1])
    voices, _ = assign_voice(units, texts, scores, threshold=0.5, companies=["Acme Logistics"])
    # work talk names no customer: the staff's own, however much it says about work
    assert voices == ["internal", "relayed", "relayed", "relayed", "internal"]
    # without the company's accounts, the name is just words
    voices, _ = assign_voice(units, texts, scores, threshold=0.5)
    assert voices[1] == "internal"


def test_a_staff_frame_before_a_colon_is_the_staffs_and_the_passage_is_relayed():
    text = "Heard from Ana at Acme: the export fails every night since the update"
    units = _units(
        [("m", "internal", "message", 0, 23), ("m", "internal", "message", 24, len(text))]
    ).assign(function="Support", text=[text[:23], text[24:]])
    voices, _ = assign_voice(units, {"m": text}, np.array([0.9, 0.9]), threshold=0.5)
    assert voices == ["internal", "relayed"]


def _frame(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "role": ["customer"] * n,
        "channel": ["ticket"] * n,
        "source_name": ["s"] * n,
        "item_id": [f"i{i}" for i in range(n)],
        "text": [f"text {i}" for i in range(n)],
    }
    return pd.DataFrame({**base, **columns})


def test_customer_voice_leaves_out_staff_bots_and_small_talk():
    units = _frame(
        voice=["customer", "relayed", "internal", "bot", "customer", None],
        substance=[0.9, 0.8, 0.9, 0.9, 0.1, None],
    )
    assert customer_voice(units).tolist() == [True, True, False, False, False, True]
    # the config may count staff talk and small talk too
    counted = customer_voice(units, voices=("customer", "relayed", "internal"), min_substance=0)
    assert counted.tolist() == [True, True, True, False, True, True]
    with pytest.raises(ValueError, match="unknown voice"):
        customer_voice(units, voices=("customers",))


def test_a_phrase_every_function_repeats_is_boilerplate_not_voice():
    n = 30
    units = _frame(
        text=["Can you hear me okay on your end"] * n
        + [f"The export fails, case {i}" for i in range(n)],
        function=(["Sales", "Support", "Success"] * n)[: 2 * n],
        item_id=[f"i{i}" for i in range(2 * n)],
    )
    counted = customer_voice(units)
    assert not counted[:n].any() and counted[n:].all()


def test_an_older_store_gains_the_voice_columns_and_reads_nulls_before(tmp_path):
    store = Store.open(tmp_path / "store", create=True)
    path = store.table_path("units")
    old = pa.schema([f for f in UNITS if f.name not in ("voice", "substance")])
    DeltaTable.create(str(path), old, mode="overwrite")
    assert "voice" not in {f.name for f in DeltaTable(str(path)).schema().fields}
    # reading a version without the columns gives nulls, not an error
    assert store.read("units", columns=["unit_id", "voice"]).column_names == ["unit_id", "voice"]
    with store.writing("r1") as writer:
        writer.commit({"kind": "test"})
    names = {f.name for f in DeltaTable(str(path)).schema().fields}
    assert {"voice", "substance"} <= names


def test_setting_a_source_voice_makes_its_items_understood_again(embedder):
    stage = UnderstandStage(taxonomy=TAXONOMY, embedder=embedder)
    before = stage.version
    stage.source_voices = {"crm": "customer"}
    assert stage.version != before


def test_a_template_repeated_word_for_word_by_many_items_of_a_source_is_not_voice():
    n = 100
    texts = [f"The export fails on report {i}" for i in range(n)]
    texts[:25] = ["I did, thanks, bit of a slow start this morning though."] * 25
    # a staff formula, ten times, as a line or a list item
    texts[25:35] = ["Invoice sent, waiting for PO.", "- invoice sent, waiting for PO"] * 5
    texts[35:39] = ["The dashboards time out every Monday."] * 4  # duplicate tickets stay
    units = _frame(text=texts)
    counted = customer_voice(units)
    assert not counted[:35].any() and counted[35:].all()
    # in a large source a template needs more repeats: ten in 3,000 items are not one (real
    # customers repeat short praise that often), twenty are (0.5%), twenty in 5,000 are not
    texts[35:55] = ["Dashboards time out."] * 20
    units = _frame(text=texts + [f"Another report {i} fails" for i in range(2900)])
    counted = customer_voice(units)
    assert counted[25:35].all() and not counted[35:55].any()
    units = _frame(text=texts + [f"Another report {i} fails" for i in range(4900)])
    assert customer_voice(units)[25:55].all()


def test_a_relay_is_attributed_to_the_one_account_it_names():
    from silobridge.pipeline.understand.voice import named_accounts

    units = pd.DataFrame(
        {
            "voice": ["relayed", "relayed", "internal", "relayed", "relayed"],
            "account": [None, None, None, "Globex", None],
            "text": [
                "FYI from Acme Logistics: exports fail every night.",
                "acme logistics and Globex both asked for SSO.",  # two accounts: neither
                "Lunch with Acme Logistics went well.",  # staff talk is not a relay
                "Heard from Acme Logistics: SSO please.",  # the item's own account stays
                "Acme Logisticsware is not Acme Logistics-like.",  # whole names only
            ],
        }
    )
    accounts = named_accounts(units, ["Acme Logistics", "Globex"])
    assert accounts == ["Acme Logistics", None, None, "Globex", None]
