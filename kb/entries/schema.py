"""One entry: read a Markdown file, parse its front matter safely, validate it against the schema.

The schema is declarative (``SCHEMA`` below, in the manner of MkDocs' config options): each
front-matter field is a typed ``Option`` that converts the raw YAML value or explains, with the
line of the offending key or list item, what is wrong and how to fix it. Every later module
reads ``Entry`` objects and never the YAML.

YAML is read with a loader that keeps YAML 1.1's surprises out: ``no``/``yes``/``on``/``off``
stay text, dates stay text (checked here), ``04000`` is not an octal number, ``1:30`` is not 90,
and anchors/aliases are refused outright (no "billion laughs").

Why one module of some 800 lines: the typed options, ``SCHEMA``, ``Entry`` and the reader that
applies them change together (a new field is an ``Option`` in ``SCHEMA``, an attribute of
``Entry`` and its conversion in ``_validate``), and ``kb.config`` reads ``kb.yml`` with the same
reader and options. The checks across files are apart, in ``kb.entries.inventory``.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import hashlib
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from kb.entries import vocab as vocab_module
from kb.entries.problems import Problem, Severity
from kb.i18n import Message, message
from kb.entries.vocab import Vocabularies

MAX_BYTES = 1_000_000
MAX_DEPTH = 10
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ID_LENGTH = (3, 80)
MIN_YEAR = 1950
LANGUAGES = ("fr", "nl", "en")
# Invisible control characters (tabs and line breaks are spaces in a text field).
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader with the YAML 1.1 implicit types cut down to what entries need."""


_Loader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?(?:0|[1-9][0-9]*)$", "-+0123456789"),
    ("tag:yaml.org,2002:float", r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$", "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    _Loader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class Invalid(Exception):
    """A field's value is wrong: the catalogue key ``key`` (with ``params``) says what, and its
    ``.fix`` twin how to put it right, in the contributor's language (kb/i18n)."""

    def __init__(self, key: str, line: int | None = None, severity: Severity = "error", **params: object):
        super().__init__(key)
        self.key, self.params, self.line, self.severity = key, params, line, severity


@dataclass
class Context:
    """What an option needs while converting: the vocabularies and a place to report problems."""

    vocabularies: Vocabularies
    report: Callable[[Invalid], None]


def _describe(value: Any) -> Message:
    """What a wrong value looks like, in words of the catalogue ("a list", "une liste")."""
    if value is None:
        return message("value.empty")
    if isinstance(value, bool):
        return message("value.bool", value=str(value).lower())
    if isinstance(value, (int, float)):
        return message("value.number", value=value)
    if isinstance(value, list):
        return message("value.list")
    if isinstance(value, dict):
        return message("value.group")
    return message("value.text", value=value)


def _line(node: yaml.Node) -> int:
    """File line of a node: the front matter starts on line 2 of the file."""
    return node.start_mark.line + 2


class Option:
    """A typed front-matter field."""

    def __init__(self, required: bool = False, help: str = ""):
        self.required = required
        self.help = help

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> Any:
        raise NotImplementedError


class Text(Option):
    def __init__(self, required: bool = False, max_length: int = 500, help: str = ""):
        super().__init__(required, help)
        self.max_length = max_length

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise Invalid("check.not_text", value=_describe(value))
        control = CONTROL.search(value)
        if control:
            raise Invalid("check.control_character", code=f"{ord(control.group()):04X}")
        text = " ".join(value.split())
        if not text:
            raise Invalid("check.empty" if self.required else "check.empty_optional")
        if len(text) > self.max_length:
            raise Invalid("check.too_long", length=len(text), max=self.max_length)
        return text


class Integer(Option):
    """A whole number between ``minimum`` and ``maximum()``; ``range_key`` is the catalogue's
    message for one outside (a year's says to write a year, a setting's a number)."""

    def __init__(
        self,
        minimum: int,
        maximum: Callable[[], int],
        required: bool = False,
        help: str = "",
        range_key: str = "check.number_range",
    ):
        super().__init__(required, help)
        self.minimum, self.maximum, self.range_key = minimum, maximum, range_key

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> int:
        text = value.strip() if isinstance(value, str) else ""
        if text.isascii() and text.isdigit() and len(text) < 100:  # not '²' nor '٢٠٢١', which int() mishandles
            value = int(text)
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("check.not_whole_number", value=_describe(value))
        if not self.minimum <= value <= self.maximum():
            raise Invalid(self.range_key, value=value, min=self.minimum, max=self.maximum())
        return value


def _next_year() -> int:
    return dt.date.today().year + 1


class PartialDate(Option):
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: sources often give only a month."""

    PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")

    def __init__(self, full: bool = False, required: bool = False, help: str = ""):
        super().__init__(required, help)
        self.full = full

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        match = self.PATTERN.match(text)
        shape = message("shape.full" if self.full else "shape.partial")
        if not match or (self.full and not match.group(3)):
            raise Invalid("check.not_date", value=_describe(value), shape=shape)
        year, month, day = (int(g) if g else 1 for g in match.groups())
        try:
            dt.date(year, month, day)
        except ValueError:
            raise Invalid("check.not_real_date", value=text, shape=shape) from None
        return text


class URL(Option):
    # Never in a web address as written (RFC 3986), and what breaks out of an HTML attribute.
    UNSAFE = re.compile(r"[\"'<>`\\{}|^]")

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = value.strip() if isinstance(value, str) else ""
        control = CONTROL.search(text)
        if control:
            raise Invalid("check.control_character", code=f"{ord(control.group()):04X}")
        if self.UNSAFE.search(text):
            raise Invalid("check.url_unsafe", value=_describe(value))
        try:
            parts = urllib.parse.urlsplit(text) if text else None
        except ValueError:  # e.g. 'http://[abc': an unclosed IPv6 bracket
            parts = None
        if (
            not parts
            or parts.scheme not in ("http", "https")
            or "." not in parts.netloc
            or any(c.isspace() for c in text)
        ):
            raise Invalid("check.not_url", value=_describe(value))
        return text


class DOI(Option):
    """The DOI syntax (ISO 26324): '10.', a registrant code of digits (with optional '.'
    subdivisions), '/', then a suffix of any printable characters, which old SICI DOIs fill
    with angle brackets and semicolons (10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0)."""

    PATTERN = re.compile(r"^10\.\d{4,9}(?:\.\d+)*/\S+$")

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = value.strip() if isinstance(value, str) else ""
        text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.I)
        control = CONTROL.search(text)
        if control:
            raise Invalid("check.control_character", code=f"{ord(control.group()):04X}")
        if not self.PATTERN.match(text):
            raise Invalid("check.not_doi", value=_describe(value))
        return text


class Mark(Text):
    """One of a few fixed words that kb itself writes (``url_status: dead``), no vocabulary."""

    def __init__(self, values: tuple[str, ...], help: str = ""):
        super().__init__(max_length=20, help=help)
        self.values = values

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = super().convert(value, node, ctx)
        if text not in self.values:
            raise Invalid("check.not_mark", value=text, choices=", ".join(self.values))
        return text


class Choice(Option):
    """One value from a vocabulary; ids that YAML read as numbers (NIS codes) are taken as text."""

    def __init__(self, field_name: str, required: bool = False, help: str = ""):
        super().__init__(required, help)
        self.field_name = field_name

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        vocabulary = ctx.vocabularies.for_field(self.field_name)
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            raise Invalid("check.choice_not_text", vocabulary=vocabulary.name, value=_describe(value))
        text = value.strip()
        if text in vocabulary:
            return text
        guess = vocabulary.suggest(text)
        if guess:
            raise Invalid("check.not_in_vocabulary", value=text, vocabulary=vocabulary.name, guess=guess)
        raise Invalid("check.not_in_vocabulary_no_guess", value=text, vocabulary=vocabulary.name)


class ListOf(Option):
    """A list, written ``[a, b]`` or one ``- item`` per line; a single value counts as a list of one."""

    def __init__(self, item: Option, required: bool = False, help: str = ""):
        super().__init__(required, help)
        self.item = item

    def items(self, value: Any, node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
        if isinstance(value, list) and isinstance(node, yaml.SequenceNode):
            return list(zip(value, node.value))
        if isinstance(value, dict):
            raise Invalid("check.group_not_list")
        return [(value, node)]

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> tuple[Any, ...]:
        result: list[Any] = []
        failed = False
        for item, item_node in self.items(value, node):
            try:
                converted = self.item.convert(item, item_node, ctx)
            except Invalid as problem:
                problem.line = problem.line or _line(item_node)
                ctx.report(problem)
                failed = True
                continue
            if converted in result:
                ctx.report(Invalid("check.listed_twice", _line(item_node), "warning", value=converted))
            else:
                result.append(converted)
        if not result and self.required and not failed:  # a bad item is already reported as such
            raise Invalid("check.list_empty")
        return tuple(result)


class People(ListOf):
    """Person names as ``Family, Given``; one per ``- `` line, or ``;``-separated on one line."""

    def __init__(self, help: str = ""):
        super().__init__(Text(max_length=200), help=help)

    def items(self, value: Any, node: yaml.Node) -> list[tuple[Any, yaml.Node]]:
        if isinstance(value, str):
            return [(name, node) for name in value.split(";") if name.strip()]
        pairs = super().items(value, node)
        if isinstance(node, yaml.SequenceNode) and node.flow_style and all(isinstance(v, str) for v, _ in pairs):
            # `[Dupont, Jean; Martin, Claire]` reaches us as ['Dupont', 'Jean; Martin', 'Claire'].
            joined = ", ".join(v for v, _ in pairs)
            if ";" in joined:
                return [(name, node) for name in joined.split(";") if name.strip()]
        return pairs


class StandardNumber(Option):
    """An ISBN (10 or 13 digits) or an ISSN (8), hyphens and spaces allowed, its check digit verified:
    a number copied with one wrong digit would send a citation manager to another book."""

    def __init__(self, kind: str, help: str = ""):
        super().__init__(False, help)
        self.kind = kind

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = " ".join(str(value).split()) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
        text = re.sub(rf"^{self.kind}[:\s]*", "", text, flags=re.IGNORECASE)
        compact = re.sub(r"[\s-]", "", text).upper()
        lengths = (10, 13) if self.kind == "ISBN" else (8,)
        if (
            len(compact) not in lengths
            or not re.fullmatch(r"\d+X?", compact)
            or ("X" in compact and len(compact) == 13)
        ):
            raise Invalid(f"check.not_{self.kind.lower()}", value=_describe(value))
        if not check_digit_ok(compact):
            raise Invalid("check.check_digit", value=text, kind=self.kind)
        return text


def check_digit_ok(number: str) -> bool:
    """ISBN-10, ISBN-13 or ISSN check digit (``X`` stands for 10)."""
    digits = [10 if c == "X" else int(c) for c in number]
    if len(digits) == 13:
        return sum(d * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits)) % 10 == 0
    weights = range(len(digits), 0, -1)  # ISBN-10: 10..1; ISSN: 8..1
    return sum(d * w for d, w in zip(digits, weights)) % 11 == 0


TRANSLATION_KEYS = ("title", "summary")


class Translations(Option):
    """``translations: {nl: {title: ..., summary: ...}, ...}``: our translations of the title and
    summary, kept apart from the document's own title (which citations keep)."""

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> tuple[tuple[str, str, str | None], ...]:
        if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
            raise Invalid("check.translations_not_group", value=_describe(value))
        result = []
        for key_node, group_node in node.value:
            lang = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = _line(key_node)
            if lang not in LANGUAGES:
                ctx.report(Invalid("check.translation_language", line, value=lang, langs=", ".join(LANGUAGES)))
                continue
            group = value[lang]
            if not isinstance(group, dict) or not isinstance(group_node, yaml.MappingNode):
                ctx.report(Invalid("check.translation_not_group", line, lang=lang, value=_describe(group)))
                continue
            texts: dict[str, str] = {}
            for sub_key, sub_node in group_node.value:
                name = sub_key.value if isinstance(sub_key, yaml.ScalarNode) else None
                if name not in TRANSLATION_KEYS:
                    ctx.report(
                        Invalid("check.translation_unknown_field", _line(sub_key), "warning", lang=lang, name=name)
                    )
                    continue
                try:
                    texts[name] = SCHEMA[name].convert(group[name], sub_node, ctx)
                except Invalid as problem:  # said of 'translations', naming the language and the part
                    where = f"{lang}.{name}"
                    ctx.report(
                        Invalid(
                            "check.translation_value",
                            problem.line or _line(sub_key),
                            problem.severity,
                            problem=message(problem.key, field=where, **problem.params),
                            fix=message(f"{problem.key}.fix", field=where, **problem.params),
                        )
                    )
            if "title" not in texts:
                ctx.report(Invalid("check.translation_no_title", line, lang=lang))
                continue
            result.append((lang, texts["title"], texts.get("summary")))
        return tuple(sorted(result))


CITATION_FIELDS = ("container", "volume", "issue", "pages", "isbn", "issn", "publisher_place", "edition")

SCHEMA: dict[str, Option] = {
    "id": Text(max_length=80, help="the file name without .md; optional"),
    "title": Text(required=True, help="the title as the document gives it"),
    "type": Choice("type", required=True, help="a value from the types vocabulary"),
    "year": Integer(
        MIN_YEAR, _next_year, required=True, help="year of publication or start", range_key="check.year_range"
    ),
    "date": PartialDate(help="YYYY-MM or YYYY-MM-DD, in the same year"),
    "authors": People(help="people, as 'Family, Given'"),
    "organisations": ListOf(Text(max_length=200), help="publishing institutions: partner ids or names"),
    "partners": ListOf(Choice("partners"), help="actor ids from the partners vocabulary"),
    "scale": ListOf(Choice("scale"), required=True, help="territorial scales"),
    "criteria": ListOf(Choice("criteria"), required=True, help="delimitation or analysis criteria"),
    "basis": ListOf(Choice("basis"), help="what the territory is drawn from, from the bases vocabulary"),
    "territories": ListOf(Choice("territories"), help="region, commune NIS codes, bassins"),
    "language": Choice("language", required=True, help="fr, nl or en"),
    "url": URL(help="where the document can be read"),
    "doi": DOI(help="10.xxxx/yyyy"),
    "summary": Text(max_length=1000, help="one or two sentences"),
    "translations": Translations(help="our translated title and summary per language: fr, nl, en"),
    "container": Text(max_length=300, help="the journal, series or website the document appears in"),
    "volume": Text(max_length=40, help="volume of the journal or series"),
    "issue": Text(max_length=40, help="issue (number) of the journal"),
    "pages": Text(max_length=40, help="pages, e.g. 12-15"),
    "isbn": StandardNumber("ISBN", help="ISBN-10 or ISBN-13"),
    "issn": StandardNumber("ISSN", help="ISSN of the journal or series"),
    "publisher_place": Text(max_length=100, help="where it was published, e.g. Bruxelles"),
    "edition": Text(max_length=60, help="edition, e.g. 2e édition"),
    "added": PartialDate(full=True, help="YYYY-MM-DD the entry was added"),
    "archive": URL(help="an archived copy of the document (web.archive.org...)"),
    "url_status": Mark(("dead",), help="dead: the url no longer answers; readers and exports get the archive"),
}


@dataclass(frozen=True)
class Entry:
    """A valid entry, as every later module sees it."""

    id: str
    path: str
    title: str
    type: str
    year: int
    language: str
    scale: tuple[str, ...]
    criteria: tuple[str, ...]
    body: str
    digest: str
    date: str | None = None
    authors: tuple[str, ...] = ()
    organisations: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    basis: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    url: str | None = None
    doi: str | None = None
    summary: str | None = None
    translations: tuple[tuple[str, str, str | None], ...] = ()  # (language, title, summary), sorted
    container: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    isbn: str | None = None
    issn: str | None = None
    publisher_place: str | None = None
    edition: str | None = None
    added: str | None = None
    archive: str | None = None
    url_status: str | None = None
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def tags(self) -> dict[str, tuple[str, ...]]:
        """Every vocabulary-backed dimension as a tuple of ids (facets, filters, links)."""
        return {
            "type": (self.type,),
            "scale": self.scale,
            "criteria": self.criteria,
            "basis": self.basis,
            "partners": self.partners,
            "territories": self.territories,
            "language": (self.language,),
        }

    def translation(self, lang: str) -> tuple[str, str | None] | None:
        """Our (title, summary) in ``lang``, when the entry has a translation into it."""
        return next(((title, summary) for code, title, summary in self.translations if code == lang), None)

    def is_translated(self, lang: str) -> bool:
        """Whether a reader of ``lang`` is shown our translation rather than the document's own words."""
        return lang != self.language and self.translation(lang) is not None

    def title_in(self, lang: str) -> str:
        """The title for a reader of ``lang``: the document's own in its language, else our
        translation, else the original."""
        found = self.translation(lang) if lang != self.language else None
        return found[0] if found else self.title

    def summary_in(self, lang: str) -> str | None:
        """The summary for a reader of ``lang``, chosen as ``title_in`` chooses the title."""
        found = self.translation(lang) if lang != self.language else None
        return found[1] if found and found[1] else self.summary

    def text_language(self, lang: str) -> str:
        """The language of what ``title_in(lang)`` shows (for ``lang`` attributes)."""
        return lang if self.is_translated(lang) else self.language


@dataclass
class Parsed:
    """What reading one file gave: the entry when it has no error, and every problem found."""

    path: str
    entry: Entry | None
    problems: list[Problem]


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_file(path: Path, vocabularies: Vocabularies | None = None, display: str | None = None) -> Parsed:
    """Read and validate one entry file; never raises for a bad file."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return _fail(shown, 1, "check.file_too_large", size=f"{size / 1e6:.1f}", max=MAX_BYTES // 1_000_000)
        data = path.read_bytes()
    except OSError as exc:
        return _fail(shown, 1, "check.unreadable", reason=exc.strerror)
    return parse_bytes(data, path.stem, shown, vocabularies)


def _fail(path: str, line: int, key: str, **params: object) -> Parsed:
    return Parsed(path, None, [Problem.of(path, line, "error", key, **params)])


def parse_bytes(data: bytes, stem: str, path: str, vocabularies: Vocabularies | None = None) -> Parsed:
    """Validate an entry given its bytes; ``stem`` is the file name without ``.md``."""
    if len(data) > MAX_BYTES:
        return _fail(path, 1, "check.file_too_large", size=f"{len(data) / 1e6:.1f}", max=MAX_BYTES // 1_000_000)
    if b"\x00" in data:
        return _fail(path, data[: data.index(b"\x00")].count(b"\n") + 1, "check.nul_bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)  # after the BOM
        return _fail(path, data[:start].count(b"\n") + 1, "check.not_utf8", byte=start)
    parts = split_front_matter(text)
    if isinstance(parts, str):
        return _fail(path, 1, parts)
    front, body, body_line = parts
    return _validate(front, body, body_line, stem, path, digest(data), vocabularies or vocab_module.load())


def split_front_matter(text: str) -> tuple[str, str, int] | str:
    """(front matter, body, the body's first line) of an entry's text, or the catalogue key of
    what is wrong: the one place that knows where front matter starts and ends."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or lines[0].rstrip() != "---":
        return "check.no_front_matter"
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        return "check.front_matter_open"
    return "\n".join(lines[1:end]) + "\n", "\n".join(lines[end + 1 :]).strip("\n"), end + 2


def _too_deep(front: str) -> int | None:
    """The line where lists and groups nest deeper than MAX_DEPTH, if they do.

    Checked on the parser's events, before composing: libyaml's composer recurses in C, so a
    few thousand '[' overflow the stack and kill the process, and its scanner slows down with
    the square of the depth. Entries need a depth of 2 (the fields, a list).
    """
    loader = _Loader(front)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    return (event.start_mark.line if event.start_mark else 0) + 2
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
        return None
    except yaml.YAMLError:
        # Some PyYAML releases refuse deep flow collections ('[[[…') in their scanner, before any
        # event: whatever their wording, kb says what is wrong itself when the brackets nest too deep.
        return _flow_too_deep(front)
    finally:
        loader.dispose()


def _flow_too_deep(front: str) -> int | None:
    """The line where '[' and '{' outside quotes nest deeper than MAX_DEPTH, if they do.

    Only asked once the YAML parser has refused the text, so a bracket inside plain text never
    turns valid YAML into an error.
    """
    depth, line, quote = 0, 2, ""
    for char in front:
        if char == "\n":
            line += 1
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth = max(depth - 1, 0)
    return None


# A line "field: value" (or "- field: value" in a list), with its value as typed.
_FIELD_LINE = re.compile(r"(?P<start>\s*(?:-\s+)?(?P<field>[^\s:#'\"\[{-][^:#]*?):\s+)(?P<value>\S.*?)\s*")
# What YAML reads as something else than text at the start of a value without quotes (a
# reference *, a block |, >, a list item "- ", a key "? ", a directive %), or reserves (@ `).
_RESERVED = ("@", "`", "*", "|", ">", "%", "- ", "? ")


def _yaml_problem(front: str, exc: yaml.MarkedYAMLError, path: str) -> Problem:
    """A YAML error as what a contributor typed wrong, read off the lines the parser points at:
    a tab where YAML wants spaces; a value that opens quotes without closing them, or holds
    the quote enclosing it; a value holding ": " or beginning with a character YAML reserves,
    without quotes. Each with the line as it should be. Else the parser's own words (in
    English: they name what it met, which the catalogue cannot foresee), with its line."""
    lines = front.split("\n")
    for mark in (exc.problem_mark, exc.context_mark):
        if mark is None or mark.line >= len(lines):
            continue
        text, line = lines[mark.line], mark.line + 2
        if "\t" in text[: len(text) - len(text.lstrip())]:
            return Problem.of(path, line, "error", "check.yaml_tab")
        typed = _FIELD_LINE.fullmatch(text)
        if typed is None:
            continue
        value, field = typed["value"], typed["field"]
        start = typed["start"].strip()
        if value[0] in "\"'":
            closing = _closing_quote(value)
            if closing == len(value) - 1:
                continue  # quoted as it should be: the problem is elsewhere
            inner = re.sub(
                r'(?<!\\)"', r'\\"', value[1:-1] if closing != -1 and value.endswith(value[0]) else value[1:]
            )
            key = "check.yaml_open_quote" if closing == -1 else "check.yaml_inner_quote"
            return Problem.of(path, line, "error", key, field=field, fixed=f'{start} "{inner}"')
        quoted = f"{start} {json.dumps(value, ensure_ascii=False)}"  # (JSON's strings are YAML's double-quoted)
        if ": " in value or value.endswith(":"):
            return Problem.of(path, line, "error", "check.yaml_colon", field=field, fixed=quoted)
        closer = {"[": "]", "{": "}"}.get(value[0], "")
        if value.startswith(_RESERVED) or (closer and closer in value and not value.endswith(closer)):
            return Problem.of(path, line, "error", "check.yaml_reserved", field=field, char=value[0], fixed=quoted)
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 2 if mark else 1
    what = " ".join(str(exc.problem or exc.context or "malformed").split())
    if exc.context_mark and exc.context_mark.line + 2 != line:
        what += f" (in what starts on line {exc.context_mark.line + 2})"
    return Problem.of(path, line, "error", "check.bad_yaml", what=what)


def _misread_texts(node: yaml.MappingNode, front: str, path: str) -> list[Problem]:
    """Texts YAML read otherwise than typed, without a word: one ended at a " #" on its line,
    the rest read as a comment ("title: Étude #2 des quartiers" is the title "Étude"), a
    warning, as a comment may be meant; one starting with "&", read as an anchor's name
    ("summary: &Co et associés" is "et associés"), an error. Each with the line that keeps
    the whole text. Only in the fields of free text (a title, the authors, the
    translations): after a year or a vocabulary id, a comment is what was meant. Entries
    only: kb.yml's settings may well carry comments."""
    if "#" not in front and "&" not in front:
        return []
    lines, found = front.split("\n"), []
    stack: list[tuple[str, yaml.Node]] = [
        (key.value, value)
        for key, value in node.value
        if isinstance(option := SCHEMA.get(key.value), Translations)
        or isinstance(getattr(option, "item", option), Text)
    ]
    while stack:
        field, current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            stack.extend((field, value) for _, value in current.value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend((field, value) for value in current.value)
        elif (
            isinstance(current, yaml.ScalarNode)
            and not current.style
            and current.start_mark.line == current.end_mark.line
        ):
            start, end = current.start_mark, current.end_mark
            text, line = lines[end.line], end.line + 2
            anchored = text[start.column : start.column + 1] == "&"
            cut = bool(current.value) and re.match(r"[ \t]+#", text[end.column :]) is not None
            if not (anchored or cut):
                continue
            whole = text[start.column :].rstrip() if cut else text[start.column : end.column]
            fixed = f"{text[: start.column]}{json.dumps(whole, ensure_ascii=False)}"
            if anchored:
                found.append(
                    Problem.of(path, line, "error", "check.yaml_reserved", field=field, char="&", fixed=fixed.strip())
                )
            else:
                found.append(
                    Problem.of(path, line, "warning", "check.yaml_comment", value=current.value, fixed=fixed.strip())
                )
    return found


def _closing_quote(value: str) -> int:
    """Where the quote opening ``value`` closes, or -1: inside single quotes '' is a quote of
    the text, inside double ones \\"."""
    quote, at = value[0], 1
    while (at := value.find(quote, at)) != -1:
        if quote == "'" and value[at + 1 : at + 2] == "'":
            at += 2
        elif quote == '"' and value[at - 1] == "\\":
            at += 1
        else:
            return at
    return -1


def _compose(front: str, path: str) -> tuple[yaml.MappingNode | None, list[Problem]]:
    loader = _Loader(front)
    try:
        deep = _too_deep(front)
        if deep is not None:
            return None, [Problem.of(path, deep, "error", "check.too_deep", max=MAX_DEPTH)]
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        return None, [_yaml_problem(front, exc, path)]
    except yaml.reader.ReaderError:
        # A control character: report its line, not line 1 (the reader error has no line).
        bad = yaml.reader.Reader.NON_PRINTABLE.search(front)
        line, code = (front[: bad.start()].count("\n") + 2, f" (U+{ord(bad.group()):04X})") if bad else (1, "")
        return None, [Problem.of(path, line, "error", "check.bad_character", code=code)]
    except (yaml.YAMLError, RecursionError, MemoryError) as exc:
        return None, [Problem.of(path, 1, "error", "check.unreadable_yaml", error=type(exc).__name__)]
    finally:
        loader.dispose()
    if node is None:
        return None, [Problem.of(path, 1, "error", "check.empty_front_matter")]
    if not isinstance(node, yaml.MappingNode):
        return None, [Problem.of(path, _line(node), "error", "check.not_mapping")]
    seen: set[int] = set()
    stack: list[yaml.Node] = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            return None, [Problem.of(path, _line(current), "error", "check.anchors")]
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            stack.extend(n for pair in current.value for n in pair)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return node, []


def convert_fields(
    node: yaml.MappingNode, options: dict[str, Option], path: str, vocabularies: Vocabularies, problems: list[Problem]
) -> tuple[dict[str, Any], dict[str, int]]:
    """Convert each 'field: value' of a YAML mapping with its typed option; every problem (unknown,
    repeated, empty or wrong fields) is added to ``problems`` with its line. Shared by the entries'
    front matter and the project configuration file, so both speak alike."""
    constructor = _Loader("")
    values: dict[str, Any] = {}
    key_lines: dict[str, int] = {}

    def report(problem: Invalid, name: str, line: int) -> None:
        problems.append(
            Problem.of(path, problem.line or line, problem.severity, problem.key, field=name, **problem.params)
        )

    for key_node, value_node in node.value:
        line = _line(key_node)
        name = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if not isinstance(name, str) or not name:
            problems.append(Problem.of(path, line, "error", "check.field_name"))
            continue
        if name in key_lines:
            problems.append(Problem.of(path, line, "error", "check.twice", field=name, first=key_lines[name]))
            continue
        key_lines[name] = line
        option = options.get(name)
        if option is None:
            guess = difflib.get_close_matches(name.lower(), list(options), n=1, cutoff=0.6)
            if guess:
                problems.append(Problem.of(path, line, "warning", "check.unknown_field", field=name, guess=guess[0]))
            else:
                problems.append(
                    Problem.of(
                        path, line, "warning", "check.unknown_field_no_guess", field=name, fields=", ".join(options)
                    )
                )
            continue
        try:
            raw = constructor.construct_object(value_node, deep=True)
        except (yaml.YAMLError, RecursionError, ValueError) as exc:  # ValueError: an integer of over 4300 digits
            problems.append(
                Problem.of(path, line, "error", "check.unreadable_value", field=name, error=type(exc).__name__)
            )
            continue
        if raw is None or raw == [] or raw == "":
            problems.append(
                Problem.of(
                    path,
                    line,
                    "error" if option.required else "warning",
                    "check.empty" if option.required else "check.empty_optional",
                    field=name,
                )
            )
            continue
        ctx = Context(vocabularies, functools.partial(report, name=name, line=line))
        try:
            values[name] = option.convert(raw, value_node, ctx)
        except Invalid as problem:
            report(problem, name, line)
    constructor.dispose()
    return values, key_lines


def _validate(
    front: str, body: str, body_line: int, stem: str, path: str, sha: str, vocabularies: Vocabularies
) -> Parsed:
    node, problems = _compose(front, path)
    if node is None:
        return Parsed(path, None, problems)
    values, key_lines = convert_fields(node, SCHEMA, path, vocabularies, problems)
    problems.extend(_misread_texts(node, front, path))

    for name, option in SCHEMA.items():
        if option.required and name not in key_lines:
            problems.append(Problem.of(path, 1, "error", "check.missing", field=name, help=message(f"help.{name}")))
    _check_identity(values, key_lines, stem, path, problems)
    if "date" in values and "year" in values and not values["date"].startswith(str(values["year"])):
        problems.append(
            Problem.of(
                path, key_lines["date"], "error", "check.date_not_in_year", date=values["date"], year=values["year"]
            )
        )
    own = values.get("language")
    if own and any(code == own for code, _, _ in values.get("translations", ())):
        problems.append(
            Problem.of(
                path,
                key_lines["translations"],
                "error",
                "check.translation_own_language",
                field="translations",
                lang=own,
            )
        )
    if not _has_content(body):
        problems.append(Problem.of(path, body_line, "error", "check.empty_body"))

    entry = None
    if not any(p.is_error for p in problems):
        values.pop("id", None)
        entry = Entry(id=stem, path=path, body=body, digest=sha, lines=dict(key_lines, body=body_line), **values)
    problems.sort()
    return Parsed(path, entry, problems)


def _has_content(body: str) -> bool:
    text = re.sub(r"<!--.*?-->", "", body, flags=re.S)
    return any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines())


def _check_identity(
    values: dict[str, Any], key_lines: dict[str, int], stem: str, path: str, problems: list[Problem]
) -> None:
    low, high = ID_LENGTH
    if not ID_RE.match(stem) or not low <= len(stem) <= high:
        suggestion = suggest_id(stem)
        if len(suggestion) < low:
            suggestion = f"{suggestion}-entry"
        problems.append(
            Problem.of(path, 1, "error", "check.bad_file_name", stem=stem, low=low, high=high, suggestion=suggestion)
        )
    if "id" in values and values["id"] != stem:
        problems.append(Problem.of(path, key_lines["id"], "error", "check.id_mismatch", id=values["id"], stem=stem))


# Letters that Unicode does not decompose into a base letter and an accent ('cœur' -> 'coeur', not 'c-ur').
_LETTERS = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"})


def suggest_id(title: str, max_length: int = 60) -> str:
    """A readable id from a title: ascii, lowercase, hyphens, cut at a word boundary."""
    words = re.findall(r"[a-z0-9]+", vocab_module.fold(title).translate(_LETTERS))
    result = ""
    for word in words:
        candidate = f"{result}-{word}" if result else word
        if len(candidate) > max_length:
            break
        result = candidate
    return result or "entry"
