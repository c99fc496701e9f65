"""Typeform: form responses from the Responses API, optionally joined to the form definition.

Reads a folder of JSON files (or one responses file), recognised by their top-level keys:

* responses pages from ``GET /forms/{id}/responses`` [TF-DOC]:
  ``{"total_items", "page_count", "items": [{"response_id", "token", "landed_at",
  "submitted_at", "metadata", "hidden", "calculated": {"score"}, "answers": [...]}]}``. Several
  pages may lie side by side (one per file, read in name order), or one file may hold a JSON array
  of pages or of responses. A page that is truncated or broken keeps every response around the
  damage.
* form definitions from ``GET /forms/{id}``: ``{"id", "title", "fields": [{"id", "ref",
  "title", "type", "properties": {"fields": [...]}}]}``. Optional: responses carry no question
  titles, so the titles are joined on ``field.id`` (then ``field.ref``). When a single responses
  file is given, form definitions beside it are used too.

Each answer holds its value under the key its ``type`` names (``text``, ``choice{label, other}``,
``choices{labels, other}``, ``number``, ``boolean``, ``email``, ``date``, ``url``, ``file_url``,
``phone_number``, ``payment``); ``field.type`` is the question type [TF-RS][TF-GO][MJ].
Quirks handled: ``answers: null``; a missing ``response_id`` (``token`` is used); dropdown answers
come as ``type: "text"`` and are choices, not free text [TF-RS]; non-Latin text [TF-RS].

What goes where:

* **Text** is the respondent's own words only: the ``short_text``/``long_text`` answers (and
  answers of type ``text`` whose question type is unknown), plus the free text typed into an
  "Other" choice, one answer per line, each a customer :class:`Part`. Question titles are *not*
  put in the text. Downstream the text is split into sentences, embedded and classified: the same
  question sentences repeated in every response of a form would be classified as if the customer
  had said them and would pull every response of the form together when clustering. And titles
  exist only when the form definition was exported too, so putting them in would make the text
  (and the content id derived from it) of the same response depend on which files lie beside it
  (one exception: the name boxes of a ``contact_info`` group are plain ``short_text`` answers,
  and only the form definition tells them apart, so export the form with the responses).
  The question each line answers is kept in ``metadata["text_fields"]`` (the field ``ref``, else
  its id) and its title, when the form is known, in ``metadata["questions"]``.
* **Other answers** (ratings, NPS ``opinion_scale``, choices, yes/no, numbers, dates, URLs) go to
  ``metadata["answers"]`` keyed by the field ``ref`` (else its id), which stays the same whether
  or not the form definition is present.
* **Contact data** (``email`` and ``phone_number`` answers, the fields of a ``contact_info``
  group) is personal: it is kept out of text, metadata and account and only counted in
  ``metadata["contact_fields"]``. Hidden fields whose name says email, phone or name are dropped
  the same way; the others go to ``metadata["hidden"]``.
* **Account** is the hidden field named by ``account_field`` (``company`` by default), else the
  answer whose ``ref`` is that name (which then stays out of the text).

A response with no free-text answer (``answers: null``, ratings only) is yielded as a record with
empty text; the ingest layer skips it ("no text (nothing to analyse)"), counted with the
skipped records, not quarantined.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import ConnectorError
from ._survey import EMAIL, customer_parts, is_personal_name, survey_record
from .base import Record, Rejected, Skipped, raw_json
from .files import (
    BadFile,
    BrokenOff,
    LimitError,
    clip_raw,
    failure_text,
    guard_file,
    guard_record,
    iter_json_records,
    json_raw,
    parse_json,
    read_text,
    record_problem,
)
from .registry import connector
from .text import clean_text
from .values import as_id, parse_timestamp

_TEXT_QUESTIONS = frozenset(("short_text", "long_text"))
_CONTACT_TYPES = frozenset(("email", "phone_number"))
_RESPONSE_KEYS = frozenset(("answers", "response_id", "token", "landing_id", "submitted_at"))
_ITEMS_ARRAY = re.compile(r'"items"\s*:\s*\[')
_PLAIN_ID = re.compile(r"^[\w.:-]{1,64}$")


@dataclass(frozen=True)
class _Field:
    """A question of a form definition."""

    title: str
    type: str | None
    form_id: str | None
    contact: bool  # inside a contact_info group


@connector("typeform", formats=("json",), layout="folder", channel="survey")
def read_typeform(
    path: Path,
    *,
    encoding: str = "utf-8",
    account_field: str | None = "company",
) -> Iterator[Record | Rejected | Skipped]:
    """Read Typeform responses (Responses API JSON), joined to form definitions when present.

    Args:
        path: A folder of responses pages and form definitions, or one responses file.
        encoding: Encoding of the JSON files (a byte-order mark overrides it).
        account_field: The hidden field (or, failing that, the answer ``ref``) that names the
            respondent's company. ``None`` or ``""`` leaves ``account`` empty.

    Yields:
        A :class:`Record` per response, a :class:`Rejected` per broken response or unreadable
        file, and a :class:`Skipped` per JSON file that is neither responses nor a form, and per
        response repeated verbatim by an overlapping page.

    Examples:
        >>> records = list(read_typeform(Path("tests/fixtures/typeform/v1")))  # doctest: +SKIP
    """
    if path.is_file():
        files = [path]
        siblings = [p for p in _json_files(path.parent) if p != path]
    else:
        files = _json_files(path)
        siblings = []

    forms: dict[str, _Field] = {}
    pages: list[_Page] = []  # the responses files
    for file in siblings:
        try:
            text = read_text(file, encoding=encoding)
            doc = parse_json(text)
            if _is_form(doc) and record_problem(doc) is None:
                _index_form(doc, forms)
        except Exception:
            continue
    for file in files:
        yield from guard_file(str(file), _sort_file(file, encoding, forms, pages))

    seen: set[bytes] = set()
    for page in pages:
        for item in guard_file(page.where, _iter_items(page)):
            if isinstance(item, Rejected):
                yield item
                continue
            locator, response = item
            convert = partial(
                _read_response, response, page.where, locator, forms, account_field, seen, encoding
            )
            yield guard_record(page.where, locator, convert, what="response")


@dataclass
class _Page:
    """A responses file: its text, and its parsed document or why it does not parse."""

    where: str
    text: str
    doc: Any = None
    failure: Exception | None = None


def _sort_file(
    file: Path, encoding: str, forms: dict[str, _Field], pages: list[_Page]
) -> Iterator[Rejected | Skipped]:
    """Add a form definition to ``forms`` or a responses file to ``pages``; yield what is not."""
    where = str(file)
    try:
        text = read_text(file, encoding=encoding, display=where)
    except BadFile as e:
        yield e.rejected
        return
    try:
        doc = parse_json(text)
    except (json.JSONDecodeError, LimitError) as e:
        if _ITEMS_ARRAY.search(text):
            pages.append(_Page(where, text, failure=e))  # salvaged response by response below
        else:
            reason = f"invalid JSON: {failure_text(e, text)}; not a readable Typeform export"
            yield BrokenOff(where, "file", reason, clip_raw(text))
        return
    if _is_form(doc):
        problem = record_problem(doc)
        if problem is not None:
            yield Rejected(where, "file", f"form definition {problem}", clip_raw(text))
            return
        _index_form(doc, forms)
    elif _is_responses(doc):
        pages.append(_Page(where, text, doc=doc))
    else:
        yield Skipped(where, "file", "not a Typeform responses page or form definition")


def _json_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() == ".json"
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _is_form(doc: Any) -> bool:
    return isinstance(doc, dict) and "fields" in doc and "items" not in doc


def _is_responses(doc: Any) -> bool:
    if isinstance(doc, dict):
        return "items" in doc
    if isinstance(doc, list) and doc:
        return all(
            isinstance(el, dict) and ("items" in el or _RESPONSE_KEYS & el.keys()) for el in doc
        )
    return False


def _iter_items(page: _Page) -> Iterator[tuple[str, Any] | Rejected]:
    """The responses of one file: a page, an array of pages, or an array of responses."""
    doc, where = page.doc, page.where
    if isinstance(doc, list):
        for n, element in enumerate(doc, 1):
            if isinstance(element, dict) and "items" in element:
                items = element["items"]
                if not isinstance(items, list):
                    raw = clip_raw(raw_json(element))
                    yield Rejected(where, f"page {n}", "field 'items' is not a list", raw)
                    continue
                for i, response in enumerate(items, 1):
                    yield f"page {n} item {i}", response
            else:
                yield f"item {n}", element
        return
    if page.failure is not None:
        yield from iter_json_records(
            page.text, where, array_key="items", label="item", failure=page.failure
        )
    else:
        yield from iter_json_records(page.text, where, array_key="items", label="item", doc=doc)


def _index_form(form: dict[str, Any], forms: dict[str, _Field]) -> None:
    """Add a form definition's fields (nested groups included) by id and by ref."""
    form_id = form.get("id") if isinstance(form.get("id"), str) else None

    def walk(fields: Any, contact: bool) -> None:
        if not isinstance(fields, list):
            return
        for field in fields:
            if not isinstance(field, dict):
                continue
            kind = field.get("type") if isinstance(field.get("type"), str) else None
            title = field.get("title")
            entry = _Field(
                title=clean_text(title) if isinstance(title, str) else "",
                type=kind,
                form_id=form_id,
                contact=contact or kind == "contact_info",
            )
            for name in (field.get("id"), field.get("ref")):
                if isinstance(name, str) and name:
                    forms.setdefault(name, entry)
            properties = field.get("properties")
            if isinstance(properties, dict):
                walk(properties.get("fields"), entry.contact)

    walk(form.get("fields"), False)


def _read_response(
    response: Any,
    where: str,
    locator: str,
    forms: dict[str, _Field],
    account_field: str | None,
    seen: set[bytes],
    encoding: str,
) -> Record | Rejected | Skipped:
    if isinstance(response, dict):
        ident = response.get("response_id") or response.get("token")
        if isinstance(ident, str | int) and not isinstance(ident, bool):
            ident = str(ident).strip()
            if _PLAIN_ID.match(ident):
                locator = f"response {ident}"
    raw = json_raw(where, locator, response, encoding)
    if isinstance(raw, Rejected):
        return raw
    digest = hashlib.blake2b(raw.encode("utf-8"), digest_size=16).digest()
    if digest in seen:
        return Skipped(where, locator, "duplicate response (repeated by an overlapping page)")
    seen.add(digest)
    try:
        return _convert(response, where, locator, forms, account_field, raw)
    except ConnectorError as e:
        return Rejected(where, locator, e.reason, clip_raw(raw))
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        reason = f"malformed response ({type(e).__name__})"
        return Rejected(where, locator, reason, clip_raw(raw))


@dataclass
class _Sorted:
    """A response's answers, sorted by where they go (see the module docstring)."""

    account: str | None
    texts: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (name, free text)
    values: dict[str, Any] = dataclasses.field(default_factory=dict)  # metadata["answers"]
    questions: dict[str, str] = dataclasses.field(default_factory=dict)  # name -> question title
    form_ids: set[str] = dataclasses.field(default_factory=set)
    contact: int = 0  # contact answers left out

    def add(self, n: int, answer: Any, forms: dict[str, _Field], account_key: str | None) -> None:
        """Sort the ``n``-th answer into text, answers, account or the contact count."""
        name, question, kind, value = _answer(answer, n)
        known = forms.get(question.get("id") or "") or forms.get(question.get("ref") or "")
        question_type = question.get("type")
        if known is not None:
            question_type = question_type or known.type
            if known.form_id:
                self.form_ids.add(known.form_id)
        if kind in _CONTACT_TYPES or question_type in _CONTACT_TYPES or (known and known.contact):
            self.contact += 1
            return
        if known is not None and known.title:
            self.questions[name] = known.title
        is_account = account_key is not None and name.casefold() == account_key
        if kind == "text" and question_type in (None, *_TEXT_QUESTIONS):
            if not isinstance(value, str):
                raise ConnectorError(f"answer {n}: expected text, got {type(value).__name__}")
            if is_account:
                self.account = self.account or _account_from(value)
            else:
                self.texts.append((name, value))
        elif kind in ("choice", "choices"):
            self._add_choice(name, value, kind, n, is_account)
        else:
            self.values[name] = _plain_value(kind, value, n)

    def _add_choice(self, name: str, value: Any, kind: str, n: int, is_account: bool) -> None:
        """A choice answer: its label(s) to answers (or account), typed-in "Other" to text."""
        label, other = _choice(value, kind, n)
        if is_account and isinstance(label, str):
            self.account = self.account or _account_from(label)
            return
        if label is not None:
            self.values[name] = label
        if other:
            self.texts.append((f"{name} (other)", other))
            if name in self.questions:
                self.questions[f"{name} (other)"] = self.questions[name]


def _convert(
    response: Any,
    where: str,
    locator: str,
    forms: dict[str, _Field],
    account_field: str | None,
    raw: str,
) -> Record:
    """One response as a :class:`Record`.

    Raises:
        ConnectorError: if the response or one of its answers cannot be read.
    """
    if not isinstance(response, dict):
        raise ConnectorError(f"response is a {type(response).__name__}, not an object")
    native_id, created = _identity(response)
    answers, hidden = _answers_and_hidden(response)
    account_key = account_field.casefold() if account_field else None
    found = _Sorted(account=_account_from(hidden.get(account_field)) if account_field else None)
    for n, answer in enumerate(answers, 1):
        found.add(n, answer, forms, account_key)
    parts, text_fields = customer_parts(found.texts, created)
    metadata = _metadata(response, found, text_fields, hidden)
    return survey_record(native_id, where, locator, parts, found.account, created, metadata, raw)


def _identity(response: dict[str, Any]) -> tuple[str, datetime]:
    """``(native_id, created_at)``: the response id (else its token) and when it was submitted.

    Raises:
        ConnectorError: if the id is unusable or neither ``submitted_at`` nor ``landed_at`` is set.
    """
    ident = response.get("response_id")
    if ident is None or ident == "":
        ident = response.get("token")
    native_id = as_id(ident, field="response_id")
    created = parse_timestamp(response.get("submitted_at"), field="submitted_at")
    if created is None:
        created = parse_timestamp(response.get("landed_at"), field="landed_at")
    if created is None:
        raise ConnectorError("missing required field 'submitted_at'")
    return native_id, created


def _answers_and_hidden(response: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The ``answers`` list and ``hidden`` fields, empty when ``null``; type-checked."""
    answers = response.get("answers")
    if answers is None:
        answers = []
    if not isinstance(answers, list):
        raise ConnectorError("field 'answers' is not a list")
    hidden = response.get("hidden")
    if hidden is None:
        hidden = {}
    if not isinstance(hidden, dict):
        raise ConnectorError("field 'hidden' is not an object")
    return answers, hidden


def _metadata(
    response: dict[str, Any], found: _Sorted, text_fields: list[str], hidden: dict[str, Any]
) -> dict[str, Any]:
    """The record's metadata: sorted answers, questions, kept hidden fields and response facts."""
    metadata: dict[str, Any] = {}
    if len(found.form_ids) == 1:
        metadata["form_id"] = found.form_ids.pop()
    if found.values:
        metadata["answers"] = found.values
    if text_fields:
        metadata["text_fields"] = text_fields
    questions = found.questions
    shown = {name: questions[name] for name in [*text_fields, *found.values] if name in questions}
    if shown:
        metadata["questions"] = shown
    kept_hidden = _hidden(hidden)
    if kept_hidden:
        metadata["hidden"] = kept_hidden
    calculated = response.get("calculated")
    if isinstance(calculated, dict) and _is_number(calculated.get("score")):
        metadata["score"] = calculated["score"]
    info = response.get("metadata")
    if isinstance(info, dict) and isinstance(info.get("platform"), str):
        metadata["platform"] = info["platform"]
    if isinstance(response.get("response_type"), str):
        metadata["response_type"] = response["response_type"]
    if found.contact:
        metadata["contact_fields"] = found.contact
    return metadata


def _answer(answer: Any, n: int) -> tuple[str, dict[str, Any], str, Any]:
    """``(name, field, type, value)`` of one answer; name is the field ref, else its id."""
    if not isinstance(answer, dict):
        raise ConnectorError(f"answer {n} is not an object")
    field = answer.get("field")
    if not isinstance(field, dict):
        raise ConnectorError(f"answer {n}: field 'field' is not an object")
    for part in ("id", "ref", "type"):
        if field.get(part) is not None and not isinstance(field.get(part), str):
            raise ConnectorError(f"answer {n}: field.{part} is not a string")
    name = field.get("ref") or field.get("id")
    if not name or not name.strip():
        raise ConnectorError(f"answer {n}: missing required field 'field.id'")
    kind = answer.get("type")
    if not isinstance(kind, str) or not kind:
        raise ConnectorError(f"answer {n}: field 'type' is not a string")
    return name.strip(), field, kind, answer.get(kind)


def _choice(value: Any, kind: str, n: int) -> tuple[str | list[str] | None, str]:
    """The picked label(s) and any typed-in "Other" text of a choice answer."""
    if not isinstance(value, dict):
        raise ConnectorError(f"answer {n}: field {kind!r} is not an object")
    other = value.get("other")
    if other is not None and not isinstance(other, str):
        raise ConnectorError(f"answer {n}: 'other' is not text")
    if kind == "choice":
        label = value.get("label")
        if label is not None and not isinstance(label, str):
            raise ConnectorError(f"answer {n}: choice label is not text")
        return (label if label is not None else ("other" if other else None)), other or ""
    labels = value.get("labels")
    if labels is None:
        labels = []
    if not isinstance(labels, list) or not all(isinstance(lb, str) for lb in labels):
        raise ConnectorError(f"answer {n}: choice labels are not a list of text")
    if other:
        labels = [*labels, "other"]
    return (labels or None), other or ""


def _plain_value(kind: str, value: Any, n: int) -> Any:
    """The metadata value of a non-text answer, type-checked."""
    if kind == "number":
        if not _is_number(value):
            raise ConnectorError(f"answer {n}: expected a number, got {type(value).__name__}")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ConnectorError(f"answer {n}: expected a boolean, got {type(value).__name__}")
        return value
    if kind in ("date", "url", "file_url", "text"):
        if not isinstance(value, str):
            raise ConnectorError(f"answer {n}: expected text, got {type(value).__name__}")
        return clean_text(value)
    if kind == "payment":
        # Keep what was paid, not the card holder's name or the card's last digits.
        if not isinstance(value, dict):
            raise ConnectorError(f"answer {n}: field 'payment' is not an object")
        return {k: value[k] for k in ("amount", "success") if k in value}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return {"type": kind}  # an answer type this reader does not know: note it, keep no content


def _hidden(hidden: dict[str, Any]) -> dict[str, Any]:
    """Hidden fields worth keeping: plain values, no contact data."""
    kept: dict[str, Any] = {}
    for name, value in hidden.items():
        if is_personal_name(str(name)):
            continue
        if isinstance(value, str):
            if EMAIL.search(value):
                continue
            kept[str(name)] = clean_text(value)
        elif value is None or isinstance(value, int | float | bool):
            kept[str(name)] = value
    return kept


def _account_from(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        return None
    text = clean_text(value)
    return text if text and not EMAIL.search(text) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
