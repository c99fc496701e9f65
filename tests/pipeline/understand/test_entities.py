"""Entity tagging: gazetteer products, features, competitors (misspelt too), NER candidates."""

from __future__ import annotations

from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.pipeline.understand.entities import EntityTagger
from silobridge.taxonomy import gazetteer_names, load_gazetteer

from ...conftest import TAXONOMY


@pytest.fixture(scope="module")
def tagger() -> EntityTagger:
    gazetteer = load_gazetteer(TAXONOMY)
    return EntityTagger(gazetteer=gazetteer, known_orgs=["Acme Logistics"])


def _found(tagger: EntityTagger, text: str) -> set[tuple[str, str]]:
    [entities] = tagger.tag([text])
    return {(e.type, e.id) for e in entities}


def test_entities_competitors_and_misspellings_resolve_to_their_id(tagger):
    found = _found(
        tagger, "We are also looking at Datawize and Chart Beam, their pricing is lower."
    )
    assert {("competitor", "datawise"), ("competitor", "chartbeam")} <= found


def test_entities_features_and_products_match_case_insensitively(tagger):
    found = _found(
        tagger, "The DASHBAORD in the lumora mobile app times out, and SAML login fails."
    )
    assert {
        ("feature", "dashboards"),
        ("product", "lumora_mobile"),
        ("feature", "sso_saml"),
    } <= found


def test_entities_spans_point_at_the_text(tagger):
    text = "Our Salesforce sync broke after the update."
    [entities] = tagger.tag([text])
    [entity] = [e for e in entities if e.id == "salesforce_integration"]
    assert text[entity.start : entity.end] == entity.text == "Salesforce sync"


def test_entities_unknown_organisations_become_candidate_competitors(tagger):
    found = _found(tagger, "Their CFO said Microsoft offered them a bundle, Acme Logistics agreed.")
    assert ("candidate_competitor", "microsoft") in found
    assert not any("acme" in i for _, i in found)  # a known account is not a candidate


def test_entities_gazetteer_errors_name_the_entry(tmp_path: Path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("gazetteer:\n  competitors:\n    - {name: Datawise}\n")
    with pytest.raises(ConfigError, match=r"gazetteer\.competitors\[0\]: each entry needs an id"):
        load_gazetteer(path)


def test_entities_gazetteer_names_include_synonyms():
    names = gazetteer_names(load_gazetteer(TAXONOMY))
    assert {"Datawise", "Datawize", "Lumora Analytics", "SSO"} <= set(names)


def test_entities_ticket_keys_roles_and_line_breaks_are_not_candidate_competitors(tagger):
    for text in (
        "Escalated to engineering as LUM-8915.",
        "Our CFO and the VAT team asked about Customer Success.",
        "Quotes\n\nRight now we export to spreadsheets.",
    ):
        assert not any(t == "candidate_competitor" for t, _ in _found(tagger, text)), text
