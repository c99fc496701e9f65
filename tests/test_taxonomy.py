"""The taxonomy file: the shipped default loads; mistakes are reported with file, line and entry."""

from __future__ import annotations

from pathlib import Path

import pytest
from silobridge.errors import ConfigError
from silobridge.taxonomy import load_taxonomy

from .conftest import TAXONOMY

GOOD = """\
version: 1
company: Acme
insight_types:
  - {id: bug, name: Bug, description: Something is broken.}
themes:
  - id: reliability
    name: Reliability
    description: It fails.
    children:
      - id: slow
        name: Slow
        description: It is slow.
        examples: ["It takes a minute to load."]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(text)
    return path


def test_taxonomy_default_has_two_levels_types_functions_and_gazetteer():
    taxonomy = load_taxonomy(TAXONOMY)
    leaves = taxonomy.leaves
    assert len(leaves) >= 12 and all(t.parent for t in leaves)
    assert {t.id for t in taxonomy.themes if t.parent is None} >= {"reliability", "commercial"}
    assert {i.id for i in taxonomy.insight_types} >= {
        "bug", "feature_request", "question", "complaint", "praise", "churn_risk",
        "pricing_objection", "competitor_mention", "other",
    }  # fmt: skip
    assert [f.id for f in taxonomy.functions] == [
        "Product", "Marketing", "Sales", "Success", "Support",
    ]  # fmt: skip
    assert taxonomy.company == ("Lumora",) and taxonomy.gazetteer["competitor"]


def test_taxonomy_renaming_a_theme_keeps_its_id(tmp_path: Path):
    before = load_taxonomy(_write(tmp_path, GOOD))
    after = load_taxonomy(_write(tmp_path, GOOD.replace("name: Slow", "name: Sluggish")))
    assert [t.id for t in before.leaves] == [t.id for t in after.leaves] == ["slow"]
    assert before.themes_hash() != after.themes_hash()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("id: slow", "id: Slow-Pages"), r"taxonomy.yaml:10: themes\[0\].children\[0\]: id "),
        (("id: slow", "id: reliability"), r":10: .*duplicate id 'reliability' \(first at line 6\)"),
        (("description: It is slow.", "description: ''"), r":10: .*'description' must be"),
        (("        examples:", "        colour: red\n        examples:"), r":10: .*unknown key"),
        (("- id: slow", "- id: slow\n        children: [{id: x, name: X, description: Y}]"),
         r":10: .*two levels"),
        (("name: Bug, ", "name: Bug, oops: 1, "), r":4: insight_types\[0\]: unknown key"),
        (('examples: ["It takes a minute to load."]', "examples: [a: b"), r"invalid YAML"),
    ],
)  # fmt: skip
def test_taxonomy_errors_name_the_line_and_entry(tmp_path: Path, change, message):
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=message):
        load_taxonomy(path)
