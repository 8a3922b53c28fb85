"""BibTeX in: bibtexparser v2 splits the file, pylatexenc (or a fast path) decodes LaTeX, and each
record becomes a ``Raw``; a block that does not parse is an error naming its record and line.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from typing import Any, Iterator

from kb.bibliography.imports.records import Raw, plain, split_list, split_publishers
from kb.bibliography.mapping import MONTHS, Person
from kb.entries.problems import Problem
from kb.entries.vocab import fold


TYPES: dict[str, str] = {  # the format's own type -> kb type, when a record names no kb type
    **dict.fromkeys(("techreport", "report"), "report"),
    "article": "article",
    **dict.fromkeys(
        (
            "book",
            "booklet",
            "inbook",
            "incollection",
            "phdthesis",
            "mastersthesis",
            "thesis",
            "manual",
            "proceedings",
            "inproceedings",
            "conference",
            "collection",
            "unpublished",
        ),
        "study",
    ),
    "dataset": "dataset",
    **dict.fromkeys(("legislation", "legal", "law", "jurisdiction", "legislature"), "legal_text"),
}


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """bibtexparser logs each bad block; kb reports them itself, with the record number."""
    logger = logging.getLogger(logger_name)  # its children (bibtexparser.splitter) inherit the level
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


@functools.lru_cache(maxsize=1)
def _latex_decoder():
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    context.add_context_category(
        "kb",
        prepend=True,
        macros=[
            MacroTextSpec("url", simplify_repl="%s"),
            MacroTextSpec("textasciicircum", simplify_repl="^"),
        ],
    )
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_TEX_LIGATURES = (
    ("---", "\u2014"),
    ("--", "\u2013"),
    ("``", "\u201c"),
    ("''", "\u201d"),
    ("!`", "\u00a1"),
    ("?`", "\u00bf"),
)
_SIMPLE_TEX = re.compile(r"(?:[^\\$%~&]|\\[&%$#_{}])*")


def _untex_simple(text: str) -> str:
    for ligature, char in _TEX_LIGATURES:
        text = text.replace(ligature, char)
    return text.replace("{", "").replace("}", "")


def _untex(value: str) -> str:
    """BibTeX value -> text: LaTeX accents and escapes decoded (pylatexenc, as bibtexparser does).

    Values with nothing but braces, ligatures and escaped specials (\\&, \\%...) - nearly all of
    them - take a fast path that gives what pylatexenc gives, a hundred times faster.
    """
    if _SIMPLE_TEX.fullmatch(value):
        parts = re.split(r"\\([&%$#_{}])", value)
        return plain("".join(p if i % 2 else _untex_simple(p) for i, p in enumerate(parts)))
    try:
        return plain(_latex_decoder().latex_to_text(value))
    except Exception:  # pylatexenc gives up on some malformed input; keep the raw text then
        return plain(value.replace("{", "").replace("}", ""))


def _braced_whole(name: str) -> bool:
    """``{Observatoire de la Santé}``: one brace group around the whole name (a corporate name)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, char in enumerate(name):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and i < len(name) - 1:
            return False
    return True


def _bibtex_month(value: str) -> str:
    text = fold(_untex(value)).strip().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= 12:
        return str(int(text))
    for number, name in enumerate(MONTHS, 1):
        if text.startswith(name) or (name == "may" and text.startswith("mai")):
            return str(number)
    french = ("janv", "fev", "mars", "avr", "mai", "juin", "juil", "aout", "sept", "oct", "nov", "dec")
    for number, name in enumerate(french, 1):
        if text.startswith(name):
            return str(number)
    return ""


def read(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
    import bibtexparser
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry as BibEntry, ParsingFailedBlock

    with _quiet("bibtexparser"):
        library = bibtexparser.parse_string(text)
    problems: list[Problem] = []
    blocks: list[tuple[int, Any]] = []
    for block in library.blocks:
        if isinstance(block, (BibEntry, ParsingFailedBlock)):
            blocks.append(((block.start_line or 0) + 1, block))
    blocks.sort(key=lambda pair: pair[0])
    raws: list[Raw] = []
    for number, (line, block) in enumerate(blocks, 1):
        if isinstance(block, DuplicateBlockKeyBlock):  # a key used twice: read the record on its own
            with _quiet("bibtexparser"):
                again = bibtexparser.parse_string(block.raw or "").entries
            if again:
                block = again[0]
        if isinstance(block, ParsingFailedBlock):
            head = (block.raw or "").strip().split("\n", 1)[0][:40]
            reason = getattr(block.error, "abort_reason", "") or str(block.error) or "syntax error"
            reason = " ".join(reason.split()).rstrip(".")
            truncated = "end of file" in reason.lower()
            problems.append(
                Problem.of(
                    path,
                    line,
                    "error",
                    "import.cut_short_record" if truncated else "import.unreadable_record",
                    number=number,
                    head=head,
                    reason=reason,
                )
            )
            continue
        values = {f.key.lower(): f.value for f in block.fields}
        raw = Raw(number, line, block.key, source_type=block.entry_type.lower())
        raw.title = _untex(str(values.get("title", "")))
        raw.genre = _untex(str(values.get("type", "")))
        # institution and publisher are biblatex lists ('{A} and {B}'), and may hold 'A; B' too
        publishers = [
            _untex(name)
            for k in ("institution", "publisher", "organization", "school")
            if k in values
            for name in split_multiple_persons_names(str(values[k]))
            if name.strip()
        ]
        raw.publishers = split_publishers(publishers)
        known = {fold(p) for p in raw.publishers}
        names = values.get("author") or values.get("editor") or ""
        for name in split_multiple_persons_names(str(names)) if names else []:
            name = name.strip()
            if not name:
                continue
            if _braced_whole(name) or fold(_untex(name)) in known:
                raw.corporate.append(_untex(name))
                continue
            parts = parse_single_name_into_parts(name, strict=False)
            family = _untex(" ".join(parts.von + parts.last + parts.jr))
            given = _untex(" ".join(parts.first))
            if family or given:
                raw.people.append(Person(family or given, given if family else ""))
        date = _untex(str(values.get("date", "")))
        match = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", date)
        year_match = re.search(r"\d{4}", _untex(str(values.get("year", ""))))
        raw.year = year_match.group(0) if year_match else (match.group(1) if match else "")
        if match and match.group(1) == raw.year:
            raw.month, raw.day = match.group(2) or "", match.group(3) or ""
        if not raw.month and "month" in values:
            raw.month = _bibtex_month(str(values["month"]))
        raw.language = _untex(str(values.get("language") or values.get("langid") or ""))
        raw.url = plain(values.get("url", ""))
        if not raw.url:
            found = re.search(r"https?://[^\s{}]+", str(values.get("howpublished", "")))
            raw.url = found.group(0) if found else ""
        raw.doi = plain(values.get("doi", ""))
        raw.abstract = _untex(str(values.get("abstract", "")))
        raw.keywords = split_list(_untex(str(values.get("keywords", ""))))
        for name, keys in (
            ("container", ("journal", "journaltitle", "series", "booktitle")),
            ("volume", ("volume",)),
            ("issue", ("number", "issue")),
            ("pages", ("pages",)),
            ("isbn", ("isbn",)),
            ("issn", ("issn",)),
            ("publisher_place", ("address", "location")),
            ("edition", ("edition",)),
        ):
            found = next((_untex(str(values[k])) for k in keys if values.get(k)), "")
            if found:
                raw.citation[name] = found
        raws.append(raw)
    if not blocks:
        problems.append(Problem.of(path, 1, "error", "import.no_bibtex", example="@techreport{smith2020,"))
    return raws, problems
