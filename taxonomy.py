"""The taxonomy file: themes (two levels), insight types, functions, company and gazetteer.

Format (``docs/taxonomy.md``)::

    version: 1
    company: Lumora
    functions:
      - {id: Support, description: Support tickets and chats.}
    insight_types:
      - {id: bug, name: Bug or defect, description: Something is broken.}
    themes:
      - id: reliability                 # a top-level theme
        name: Reliability and performance
        description: The product is slow, fails or loses data.
        children:                       # its leaf themes: what units are labelled with
          - id: dashboard_performance
            name: Slow dashboards
            description: Dashboards load slowly or time out.
            examples: [The dashboard takes a minute to load.]   # optional
            keywords: [slow, timeout]                           # optional
    gazetteer: {products: [...], features: [...], competitors: [...]}

Every error names the file, the line and the entry: ``taxonomy.yaml:42: themes[1].children[0]:
duplicate id 'sso' (first at line 30)``. Ids are what labels refer to, so a theme renamed keeps
its id and its history. The YAML is read safely and without aliases (``*name``, which can make a
small file expand without bound): one is an error at its line.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .extractors.text import SafeYAMLLoader

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
FUNCTION_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_ -]*$")
_THEME_KEYS = {"id", "name", "description", "examples", "keywords", "children"}
_TOP_KEYS = {"version", "company", "functions", "insight_types", "themes", "gazetteer"}
#: The kinds of gazetteer entries (``gazetteer.products``, ...), as entities' ``type``.
ENTITY_TYPES = ("product", "feature", "competitor")


@dataclass(frozen=True)
class Theme:
    """One theme.

    Attributes:
        id: Stable id (``lower_snake_case``).
        name: What people read.
        description: One line saying what belongs to it.
        parent: The top-level theme's id (``None`` for a top-level theme).
        examples: Sentences as customers say them.
        keywords: Words that point to it.
        line: Where it is defined in the file.
    """

    id: str
    name: str
    description: str
    parent: str | None = None
    examples: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    line: int = 0

    def prompts(self) -> list[str]:
        """The texts a zero-shot classifier embeds for this theme: name, description, examples."""
        return [self.name, f"{self.name}: {self.description}", *self.examples]


@dataclass(frozen=True)
class Label:
    """An insight type or a function: ``id``, ``name`` and ``description``."""

    id: str
    name: str
    description: str
    line: int = 0

    def prompts(self) -> list[str]:
        return [self.name, f"{self.name}: {self.description}"]


@dataclass(frozen=True)
class Taxonomy:
    """A loaded, validated taxonomy.

    Attributes:
        path: The file.
        themes: Every theme, top-level ones first in file order, each followed by its children.
        insight_types: The insight types (:data:`DEFAULT_INSIGHT_TYPES` when the file lists
            none).
        functions: The functions.
        company: The company's names.
        gazetteer: Products, features, competitors: ``{kind: [{id, name, synonyms}]}``.
    """

    path: Path | None
    themes: tuple[Theme, ...] = ()
    insight_types: tuple[Label, ...] = ()
    functions: tuple[Label, ...] = ()
    company: tuple[str, ...] = ()
    gazetteer: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def leaves(self) -> tuple[Theme, ...]:
        """The themes units are labelled with: children, and top-level themes without any."""
        parents = {t.parent for t in self.themes if t.parent}
        return tuple(t for t in self.themes if t.id not in parents)

    def theme(self, theme_id: str) -> Theme:
        for t in self.themes:
            if t.id == theme_id:
                return t
        raise KeyError(theme_id)

    def themes_hash(self) -> str:
        """A hash of what theme labels depend on (ids, names, descriptions, examples, keywords)."""
        payload = [
            [t.id, t.name, t.description, t.parent, list(t.examples), list(t.keywords)]
            for t in self.themes
        ]
        return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:12]


# ----------------------------------------------------------------------------------- loading


class _LineLoader(SafeYAMLLoader):
    """A YAML loader that records the line of every mapping (as key ``__line__``).

    Safe, without aliases: a taxonomy file that uses one (``*name``) is refused at its line.
    """


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[str, Any]:
    mapping: dict[str, Any] = loader.construct_mapping(node, deep=True)  # type: ignore[assignment]
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Checker:
    def __init__(self, path: Path):
        self.path = path

    def error(self, line: int | None, key: str, message: str) -> ConfigError:
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(message, path=where, key=key)

    def text(self, entry: dict[str, Any], name: str, key: str, *, required: bool = True) -> str:
        value = entry.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.error(
                entry.get("__line__"), key, f"'{name}' must be a non-empty string; got {value!r}"
            )
        return value.strip()

    def strings(self, entry: dict[str, Any], name: str, key: str) -> tuple[str, ...]:
        value = entry.get(name) or []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(entry.get("__line__"), key, f"'{name}' must be a list of strings")
        return tuple(v.strip() for v in value)

    def unknown_keys(self, entry: dict[str, Any], known: set[str], key: str) -> None:
        extra = sorted(k for k in entry if k != "__line__" and k not in known)
        if extra:
            raise self.error(
                entry.get("__line__"),
                key,
                f"unknown key(s) {', '.join(map(repr, extra))}; "
                f"expected {', '.join(sorted(known))}",
            )


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Read and validate a taxonomy file: the one loader of every part of it.

    Raises:
        ConfigError: naming the file, the line and the entry, for invalid YAML, a missing or
            empty field, a bad or duplicate id, an unknown key, or more than two levels.
    """
    path = Path(path)
    check = _Checker(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or {}
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read the taxonomy: {e}", path=str(path)) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise check.error(line, "yaml", f"invalid YAML: {getattr(e, 'problem', e)}") from e
    except (ValueError, TypeError, RecursionError) as e:  # e.g. a date such as 2026-02-30
        raise check.error(None, "yaml", f"invalid YAML: a value cannot be read ({e})") from e
    if not isinstance(data, dict):
        raise check.error(None, "taxonomy", "must be a mapping with themes, insight_types...")
    check.unknown_keys(data, _TOP_KEYS, "taxonomy")
    return Taxonomy(
        path=path,
        themes=_themes(data, check),
        # a taxonomy written from scratch may list themes only: the default insight types
        insight_types=_labels(data, "insight_types", ID_PATTERN, check) or DEFAULT_INSIGHT_TYPES,
        functions=_labels(data, "functions", FUNCTION_PATTERN, check),
        company=_company(data, check),
        gazetteer=_gazetteer(data, check),
    )


#: The insight types of a taxonomy file that lists none (those of data/taxonomy.yaml).
DEFAULT_INSIGHT_TYPES: tuple[Label, ...] = tuple(
    Label(id=i, name=n, description=d)
    for i, n, d in (
        ("bug", "Bug or defect",
         "Something is broken, fails, crashes, errors or gives wrong results."),
        ("feature_request", "Feature request",
         "The customer asks for a new capability or an improvement that does not exist yet."),
        ("question", "Question or how-to",
         "The customer asks how to do something or asks for information."),
        ("complaint", "Complaint",
         "The customer is unhappy or frustrated with the product or the service, without a "
         "specific defect."),
        ("praise", "Praise",
         "The customer says what they like or love, thanks the team, is happy."),
        ("churn_risk", "Churn risk",
         "The customer may cancel, not renew, downgrade or move to another tool."),
        ("pricing_objection", "Pricing or billing objection",
         "The customer finds it too expensive or disputes a price, an invoice or a charge."),
        ("competitor_mention", "Competitor mention",
         "The customer compares with or considers a competitor or another vendor."),
        ("other", "Other", "None of the above."),
    )
)  # fmt: skip


def load_gazetteer(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """The ``gazetteer`` of a taxonomy file (``{"product": [...], "feature": [...], ...}``)."""
    return load_taxonomy(path).gazetteer


def gazetteer_names(gazetteer: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Every name and synonym in the gazetteer (the redactor's allow list)."""
    names = []
    for entries in gazetteer.values():
        for entry in entries:
            names.append(str(entry["name"]))
            names.extend(str(s) for s in entry.get("synonyms", []) or [])
    return names


def _themes(data: dict[str, Any], check: _Checker) -> tuple[Theme, ...]:
    seen: dict[str, int] = {}
    themes: list[Theme] = []

    def add(entry: Any, key: str, parent: str | None) -> None:
        if not isinstance(entry, dict):
            raise check.error(None, key, "each theme must be a mapping with id, name, description")
        line = entry["__line__"]
        check.unknown_keys(entry, _THEME_KEYS, key)
        theme_id = check.text(entry, "id", key)
        if not ID_PATTERN.match(theme_id):
            raise check.error(line, key, f"id {theme_id!r} must be lower_snake_case (a-z, 0-9, _)")
        if theme_id in seen:
            raise check.error(
                line, key, f"duplicate id {theme_id!r} (first at line {seen[theme_id]})"
            )
        seen[theme_id] = line
        themes.append(
            Theme(
                id=theme_id,
                name=check.text(entry, "name", key),
                description=check.text(entry, "description", key),
                parent=parent,
                examples=check.strings(entry, "examples", key),
                keywords=check.strings(entry, "keywords", key),
                line=line,
            )
        )
        children = entry.get("children")
        if children is None:
            return
        if parent is not None:
            raise check.error(line, key, "themes have two levels: a child theme has no children")
        if not isinstance(children, list) or not children:
            raise check.error(line, key, "'children' must be a non-empty list of themes")
        for i, child in enumerate(children):
            add(child, f"{key}.children[{i}]", theme_id)

    raw = data.get("themes") or []
    if not isinstance(raw, list):
        raise check.error(None, "themes", "must be a list of themes")
    for i, entry in enumerate(raw):
        add(entry, f"themes[{i}]", None)
    return tuple(themes)


def _labels(
    data: dict[str, Any], name: str, pattern: re.Pattern[str], check: _Checker
) -> tuple[Label, ...]:
    raw = data.get(name) or []
    if not isinstance(raw, list):
        raise check.error(None, name, "must be a list")
    out: list[Label] = []
    ids: dict[str, int] = {}
    for i, entry in enumerate(raw):
        key = f"{name}[{i}]"
        if not isinstance(entry, dict):
            raise check.error(None, key, "must be a mapping with id and description")
        check.unknown_keys(entry, {"id", "name", "description"}, key)
        label_id = check.text(entry, "id", key)
        if not pattern.match(label_id):
            raise check.error(entry["__line__"], key, f"invalid id {label_id!r}")
        if label_id in ids:
            raise check.error(
                entry["__line__"], key, f"duplicate id {label_id!r} (first at line {ids[label_id]})"
            )
        ids[label_id] = entry["__line__"]
        out.append(
            Label(
                id=label_id,
                name=check.text(entry, "name", key, required=False) or label_id,
                description=check.text(entry, "description", key),
                line=entry["__line__"],
            )
        )
    return tuple(out)


def _company(data: dict[str, Any], check: _Checker) -> tuple[str, ...]:
    company = data.get("company")
    if isinstance(company, str):
        return (company,)
    if company is None:
        return ()
    if isinstance(company, list) and all(isinstance(c, str) for c in company):
        return tuple(company)
    raise check.error(None, "company", "must be a name or a list of names")


def _gazetteer(data: dict[str, Any], check: _Checker) -> dict[str, list[dict[str, Any]]]:
    """``gazetteer.products|features|competitors``: each entry an ``id``, a ``name`` and
    ``synonyms`` (misspellings included)."""
    section = data.get("gazetteer")
    if not section:
        return {}
    if not isinstance(section, dict):
        raise check.error(None, "gazetteer", "must be a mapping")
    line = section.get("__line__")
    gazetteer: dict[str, list[dict[str, Any]]] = {}
    for kind in ENTITY_TYPES:
        entries = section.get(kind + "s", []) or []
        if not isinstance(entries, list):
            raise check.error(line, f"gazetteer.{kind}s", "must be a list")
        clean = []
        for i, entry in enumerate(entries):
            where = f"gazetteer.{kind}s[{i}]"
            at = entry.get("__line__") if isinstance(entry, dict) else line
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
                raise check.error(at, where, "each entry needs an id and a name")
            synonyms = entry.get("synonyms", []) or []
            if not isinstance(synonyms, list) or not all(isinstance(s, str) for s in synonyms):
                raise check.error(at, where, "synonyms must be a list of strings")
            clean.append({k: v for k, v in entry.items() if k != "__line__"})
        gazetteer[kind] = clean
    return gazetteer


def add_theme(
    path: str | Path,
    *,
    theme_id: str,
    name: str,
    description: str,
    parent: str | None = None,
    examples: Sequence[str] = (),
    keywords: Sequence[str] = (),
) -> Theme:
    """Add a theme to a taxonomy file, keeping the rest of the file (comments too) as it is.

    The theme goes at the end of ``parent``'s children (a leaf), or at the end of the top-level
    themes. The new file is validated before it replaces the old one (atomically).

    Raises:
        ConfigError: if the id is invalid or taken, the parent is unknown or is itself a child,
            or the file's themes are not written in block style (one ``- id:`` per line).
    """
    path = Path(path)
    taxonomy = load_taxonomy(path)
    where = str(path)
    if not ID_PATTERN.match(theme_id):
        raise ConfigError(f"id {theme_id!r} must be lower_snake_case (a-z, 0-9, _)", path=where)
    if any(t.id == theme_id for t in taxonomy.themes):
        raise ConfigError(f"a theme with id {theme_id!r} exists already", path=where)
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=SafeYAMLLoader)
    assert isinstance(root, yaml.MappingNode)
    seq = _theme_list(root, taxonomy, parent, where)
    lines = text.splitlines(keepends=True)
    at = _insert_line(lines, seq)
    pad = " " * lines[seq.value[0].start_mark.line].index("-")
    entry = _entry_lines(pad, theme_id, name, description, examples, keywords)
    if at > 0 and at <= len(lines) and not lines[at - 1].endswith("\n"):
        lines[at - 1] += "\n"
    return _replace_checked(path, "".join(lines[:at] + entry + lines[at:]), theme_id)


def _theme_list(
    root: yaml.MappingNode, taxonomy: Taxonomy, parent: str | None, where: str
) -> yaml.SequenceNode:
    """The YAML list a new theme goes into: ``parent``'s children, or the top-level themes.

    Raises:
        ConfigError: if the parent is unknown or a child theme, or the list is not in block
            style.
    """
    themes_node = _child(root, "themes")
    if parent is not None:
        try:
            if taxonomy.theme(parent).parent is not None:
                raise ConfigError(
                    f"{parent!r} is a child theme; pick a top-level theme as the parent",
                    path=where,
                )
        except KeyError:
            top = ", ".join(t.id for t in taxonomy.themes if t.parent is None)
            raise ConfigError(f"no theme {parent!r}; top-level themes: {top}", path=where) from None
        entries = themes_node.value if isinstance(themes_node, yaml.SequenceNode) else []
        parent_node = next(n for n in entries if _scalar(_child(n, "id")) == parent)
        seq = _child(parent_node, "children")
    else:
        seq = themes_node
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style or not seq.value:
        raise ConfigError(
            "themes must be written in block style (one '- id:' entry per line) to add one",
            path=where,
        )
    return seq


def _insert_line(lines: list[str], seq: yaml.SequenceNode) -> int:
    """The line index at which an entry is added to the end of ``seq``."""
    last = seq.value[-1]
    end = last.end_mark
    # the entry ends where the next token starts: before that line when only indentation
    # precedes the token; then above the blank and comment lines that follow the entry
    at = (
        end.line
        if end.line >= len(lines) or not lines[end.line][: end.column].strip()
        else (end.line + 1)
    )
    while at > last.start_mark.line + 1 and lines[at - 1].strip()[:1] in ("", "#"):
        at -= 1
    return at


def _entry_lines(
    pad: str,
    theme_id: str,
    name: str,
    description: str,
    examples: Sequence[str],
    keywords: Sequence[str],
) -> list[str]:
    """The new theme's YAML lines, its dash indented by ``pad``."""
    entry = [f"{pad}- id: {theme_id}\n", f"{pad}  name: {json.dumps(name)}\n"]
    entry.append(f"{pad}  description: {json.dumps(description)}\n")
    if examples:
        entry.append(f"{pad}  examples: {json.dumps(list(examples), ensure_ascii=False)}\n")
    if keywords:
        entry.append(f"{pad}  keywords: {json.dumps(list(keywords), ensure_ascii=False)}\n")
    return entry


def _replace_checked(path: Path, new_text: str, theme_id: str) -> Theme:
    """Replace the file with ``new_text`` (atomically) once it loads; the added theme.

    Raises:
        ConfigError: if the new text is not a valid taxonomy with the theme (the file is kept).
    """
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(new_text, encoding="utf-8")
    try:
        added = load_taxonomy(tmp).theme(theme_id)
    except (ConfigError, KeyError) as e:
        tmp.unlink(missing_ok=True)
        raise ConfigError(f"adding {theme_id!r} would break the file: {e}", path=str(path)) from e
    os.replace(tmp, path)
    return added


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if _scalar(k) == key:
                return v
    return None


def _scalar(node: yaml.Node | None) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) else None
