"""The "propose an entry" page: its form and the checks its script makes, both derived from the
typed schema (``kb.entries.schema.SCHEMA``), the vocabularies and the message catalogue.

Nothing here is a second copy of a rule: each field's kind, limits and vocabulary are read off
its ``Option``, and the messages are the catalogue's, so the page says exactly what
``kb check`` says about the same file (tests/test_propose.py runs both on the same entries).
"""

from __future__ import annotations

import json
from typing import Any

from kb import i18n
from kb.entries import schema
from kb.entries.new import body_template
from kb.entries.schema import SCHEMA, Option
from kb.entries.vocab import Vocabularies

# The catalogue keys the page's script may render (messages, their fixes and the words in them).
_MESSAGE_PREFIXES = ("check.", "value.", "shape.", "severity.", "help.", "propose.", "colon")
# Fields the form leaves out: the id comes from the title, `added` from the day of the proposal,
# `archive` and `url_status` from maintainers when a link dies.
_NOT_ASKED = ("id", "added", "archive", "url_status")


def describe(option: Option) -> dict[str, Any]:
    """A field's rule as the page's script reads it."""
    if isinstance(option, schema.People):
        return {"kind": "people", "item": describe(option.item)}
    if isinstance(option, schema.ListOf):
        return {"kind": "list", "item": describe(option.item)}
    if isinstance(option, schema.Choice):
        return {"kind": "choice", "vocabulary": option.field_name}
    if isinstance(option, schema.Integer):
        return {"kind": "integer", "min": option.minimum, "max": option.maximum()}
    if isinstance(option, schema.PartialDate):
        return {"kind": "date", "full": option.full}
    if isinstance(option, schema.URL):
        return {"kind": "url", "unsafe": schema.URL.UNSAFE.pattern}
    if isinstance(option, schema.DOI):
        return {"kind": "doi", "pattern": schema.DOI.PATTERN.pattern}
    if isinstance(option, schema.Translations):
        return {
            "kind": "translations",
            "langs": list(schema.LANGUAGES),
            "parts": {name: describe(SCHEMA[name]) for name in schema.TRANSLATION_KEYS},
        }
    if isinstance(option, schema.Text):
        return {"kind": "text", "max": option.max_length}
    if isinstance(option, schema.StandardNumber):
        return {"kind": "standard_number", "number": option.kind}
    raise TypeError(f"the proposal form does not know the option {type(option).__name__}: add it to describe()")


def fields() -> list[tuple[str, Option]]:
    """The fields the form asks for, in the schema's order."""
    return [(name, option) for name, option in SCHEMA.items() if name not in _NOT_ASKED]


def form_data(vocabularies: Vocabularies, lang: str) -> str:
    """What the page's script needs, as JSON safe inside a <script> element."""
    rules = []
    for name, option in fields():
        rule = describe(option)
        rule.update(name=name, required=option.required)
        rules.append(rule)
    values = {}
    for name, option in fields():
        item = getattr(option, "item", option)
        if isinstance(item, schema.Choice):
            vocabulary = vocabularies.for_field(item.field_name)
            values[item.field_name] = {term.id: term.label(lang) for term in vocabulary}
    data = {
        "lang": lang,
        "fields": rules,
        "labels": values,
        "messages": {k: v for k, v in i18n.STRINGS[lang].items() if k.startswith(_MESSAGE_PREFIXES)},
        "bodies": {code: body_template(code) for code in ("fr", "nl", "en")},
        "id": {"pattern": schema.ID_RE.pattern, "min": schema.ID_LENGTH[0], "max": schema.ID_LENGTH[1]},
        "maxBytes": schema.MAX_BYTES,
        "control": schema.CONTROL.pattern,
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")


def territory_groups(vocabularies: Vocabularies, lang: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Territories for the form: the region, then each bassin with its communes, as
    (heading, [(id, label in lang, every name a reader may type)])."""
    territories = vocabularies["territories"]

    def entry(term_id: str) -> tuple[str, str, str]:
        term = territories[term_id]
        names = {term.id, term.extra.get("nis", ""), *(term.label(code) for code in ("fr", "nl", "en"))}
        return term.id, term.label(lang), " ".join(sorted(n for n in names if n))

    groups: list[tuple[str, list[tuple[str, str, str]]]] = []
    regions = [t.id for t in territories if t.extra.get("kind") == "region"]
    if regions:
        groups.append((territories[regions[0]].label(lang), [entry(i) for i in regions]))
    placed: set[str] = set()
    for bassin in (t for t in territories if t.extra.get("kind") == "bassin"):
        # A commune shared by two bassins (Bruxelles-Ville) is offered once, under the first.
        communes = [
            c
            for c in (*bassin.extra.get("communes", []), *bassin.extra.get("partial", []))
            if c in territories and c not in placed
        ]
        placed.update(communes)
        groups.append((bassin.label(lang), [entry(bassin.id)] + [entry(c) for c in communes]))
    others = [t.id for t in territories if t.extra.get("kind") == "commune" and t.id not in placed]
    if others:
        groups.append((i18n.t(lang, "propose.other_territories"), [entry(i) for i in others]))
    return groups


def template_file(lang: str) -> str:
    """An entry file to fill in by hand, for people without JavaScript: every field with its hint
    in ``lang`` (the ``#`` comments are YAML comments: kb check ignores them)."""
    lines = ["---"]
    for name, option in SCHEMA.items():
        if name == "id":
            continue
        required = f" ({i18n.t(lang, 'propose.required')})" if option.required else ""
        lines.append(f"{name}:   # {i18n.t(lang, f'help.{name}')}{required}")
    lines += ["---", "", body_template(lang).rstrip(), ""]
    return "\n".join(lines)
