"""The JSON Schema of an entry's front matter, generated from the typed schema and the
vocabularies, for editors and other tools (``kb schema``; committed as entries/entry.schema.json
and published on the site as schema/entry.json).

It describes the YAML as kb's loader reads it: NIS codes written without quotes are numbers,
and a list field may be given as a single value. The year's upper bound (next year) moves every
January, so the schema states only the lower one; ``kb check`` checks both.
"""

from __future__ import annotations

import json
from typing import Any

from kb import i18n
from kb.entries import schema
from kb.entries.schema import SCHEMA, Option
from kb.entries.vocab import Vocabularies


def _item(option: Option, vocabularies: Vocabularies) -> dict[str, Any]:
    if isinstance(option, schema.Choice):
        vocabulary = vocabularies.for_field(option.field_name)
        values: list[Any] = []
        for term in vocabulary:
            values.append(term.id)
            if term.id.isdigit() and not term.id.startswith("0"):
                values.append(int(term.id))  # `21004` unquoted: YAML reads a number
        return {"enum": values}
    if isinstance(option, schema.Integer):
        return {"type": "integer", "minimum": option.minimum}
    if isinstance(option, schema.PartialDate):
        pattern = r"^\d{4}-\d{2}-\d{2}$" if option.full else r"^\d{4}(-\d{2}(-\d{2})?)?$"
        return {"type": "string", "pattern": pattern}
    if isinstance(option, schema.URL):
        return {"type": "string", "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s]+\.[^\s]+$"}
    if isinstance(option, schema.DOI):
        return {"type": "string", "pattern": r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)?10\.\d{4,9}/\S+$"}
    if isinstance(option, schema.Mark):
        return {"enum": list(option.values)}
    if isinstance(option, schema.Text):
        return {"type": "string", "minLength": 1, "maxLength": option.max_length}
    if isinstance(option, schema.StandardNumber):  # (digits alone are a number to YAML)
        return {"type": ["string", "integer"]}
    if isinstance(option, schema.Translations):
        text = {name: _item(schema.SCHEMA[name], vocabularies) for name in schema.TRANSLATION_KEYS}
        return {
            "type": "object",
            "propertyNames": {"enum": list(schema.LANGUAGES)},
            "additionalProperties": {
                "type": "object",
                "properties": text,
                "required": ["title"],
                "additionalProperties": False,
            },
        }
    raise TypeError(f"the JSON Schema does not know the option {type(option).__name__}: add it to _item()")


def _property(name: str, option: Option, vocabularies: Vocabularies) -> dict[str, Any]:
    described: dict[str, Any] = {"description": i18n.t("en", f"help.{name}")}
    if isinstance(option, schema.ListOf):
        item = _item(option.item, vocabularies)
        many: dict[str, Any] = {"type": "array", "items": item}
        if option.required:
            many["minItems"] = 1
        return {**described, "anyOf": [many, item]}
    return {**described, **_item(option, vocabularies)}


def generate(vocabularies: Vocabularies) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "kb entry front matter",
        "description": "The YAML front matter of an entry of the kb inventory (entries/README.md).",
        "type": "object",
        "properties": {name: _property(name, option, vocabularies) for name, option in SCHEMA.items()},
        "required": [name for name, option in SCHEMA.items() if option.required],
        "additionalProperties": False,
    }


def dumps(vocabularies: Vocabularies) -> str:
    return json.dumps(generate(vocabularies), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
