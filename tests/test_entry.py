"""One entry file: the values it gives, and every problem kb reports, with its exact line.

Each file is written for real in tmp_path, read with ``parse_file`` and its problems compared
line for line with what ``kb check`` prints: ``path:line: error|warning: message -- fix``.

In files made from MINIMAL the lines are: 1 ``---``, 2 title, 3 type, 4 year, 5 scale,
6 criteria, 7 language, 8 ``---`` (or the first added field), then the body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest
from conftest import MINIMAL, REPO, make_entry

from kb.entries.schema import SCHEMA, Entry, parse_bytes, parse_file

NAME = "essai"
FILE = f"{NAME}.md"
NEXT_YEAR = dt.date.today().year + 1
YAML_FIX = "check indentation and quotes; put text containing ':' or '#' in double quotes"
EMPTY_BODY = (
    f"{FILE}:9: error: the body is empty (headings and <!-- comments --> do not count) -- "
    "below the front matter, describe the document: content, scale, criteria, sources"
)


def edit(old: str, new: str) -> str:
    """MINIMAL with one line changed (the old text must be there, so a typo here fails loudly)."""
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


def changed(front: str) -> str:
    """The lines of a front matter that are not in MINIMAL: a readable test id."""
    return " | ".join(line for line in front.splitlines() if line not in MINIMAL.splitlines())


def parse(tmp_path: Path, front: str, body: str = "Un texte.\n", name: str = NAME):
    path = make_entry(tmp_path, name, front, body)
    return parse_file(path, display=path.name)


def problems(tmp_path: Path, front: str, body: str = "Un texte.\n", name: str = NAME) -> list[str]:
    return [str(p) for p in parse(tmp_path, front, body, name).problems]


def parse_raw(tmp_path: Path, data: bytes, name: str = NAME):
    path = tmp_path / f"{name}.md"
    path.write_bytes(data)
    return parse_file(path, display=path.name)


def raw_problems(tmp_path: Path, data: bytes, name: str = NAME) -> list[str]:
    return [str(p) for p in parse_raw(tmp_path, data, name).problems]


# --- valid entries and their values ----------------------------------------------------------


def test_minimal_entry(tmp_path: Path) -> None:
    parsed = parse(tmp_path, MINIMAL)
    assert parsed.problems == []
    entry = parsed.entry
    assert entry == Entry(
        id=NAME,
        path=FILE,
        title="Une étude",
        type="study",
        year=2021,
        language="fr",
        scale=("region",),
        criteria=("population_size",),
        body="Un texte.",
        digest=hashlib.sha256((tmp_path / FILE).read_bytes()).hexdigest(),
    )
    assert entry.lines == {"title": 2, "type": 3, "year": 4, "scale": 5, "criteria": 6, "language": 7, "body": 9}
    assert entry.tags() == {
        "type": ("study",),
        "scale": ("region",),
        "criteria": ("population_size",),
        "basis": (),
        "partners": (),
        "territories": (),
        "language": ("fr",),
    }


def test_the_example_in_the_entries_readme_is_valid(tmp_path: Path) -> None:
    readme = (REPO / "entries" / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```markdown\n(.*?)```", readme, re.S).group(1)
    parsed = parse_raw(tmp_path, example.encode("utf-8"), "note-vision-ifa-2020")
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.title.startswith("Note de vision de l'Inter-fédération ambulatoire : organisation")
    assert (entry.type, entry.year, entry.date, entry.language) == ("vision_note", 2020, "2020-09", "fr")
    assert entry.authors == ("Willaert, Alain", "Moriau, Jacques")
    assert entry.organisations == ("ifa", "cbcs")
    assert entry.partners == ("cbcs", "ifa")
    assert entry.scale == ("region", "quartier_social_sante")
    assert entry.criteria == ("accessibility_proximity", "existing_offer", "needs_demography")
    assert entry.territories == ("region",)
    assert entry.url == "https://www.fdss.be/fr/publication/note-de-vision-de-linter-federation-ambulatoire/"
    # A folded (>-) summary is one line; whitespace is collapsed.
    assert entry.summary == (
        "Les onze fédérations de l'ambulatoire bruxellois proposent une organisation "
        "territorialisée de l'aide et des soins de première ligne."
    )
    assert entry.added == "2026-11-23"
    assert entry.body.startswith("## Contenu\n\nLa note combine")


def test_every_documented_field_is_in_the_schema() -> None:
    readme = (REPO / "entries" / "README.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \| (yes|no) \|", readme, re.M)
    assert [name for name, _ in documented] == [name for name in SCHEMA if name != "id"]
    assert {name for name, required in documented if required == "yes"} == {
        name for name, option in SCHEMA.items() if option.required
    }


def test_optional_fields(tmp_path: Path) -> None:
    front = MINIMAL + (
        "id: essai\n"
        "date: 2021-09\n"
        "organisations: [observatoire, Université Saint-Louis – Bruxelles]\n"
        "partners: [cbcs, brusano]\n"
        "territories: [region, 21004, bassin_nord]\n"
        "url: https://example.org/rapport.pdf\n"
        "doi: 10.1186/s12913-020-05000-1\n"
        "summary: >-\n  Deux phrases\n  sur deux lignes.\n"
        "added: 2021-10-02\n"
    )
    parsed = parse(tmp_path, front)
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.id == NAME
    assert entry.date == "2021-09"
    assert entry.organisations == ("observatoire", "Université Saint-Louis – Bruxelles")
    assert entry.partners == ("cbcs", "brusano")
    assert entry.territories == ("region", "21004", "bassin_nord")
    assert entry.url == "https://example.org/rapport.pdf"
    assert entry.doi == "10.1186/s12913-020-05000-1"
    assert entry.summary == "Deux phrases sur deux lignes."
    assert entry.added == "2021-10-02"


def test_a_single_value_counts_as_a_list_of_one(tmp_path: Path) -> None:
    entry = parse(tmp_path, edit("scale: [region]", "scale: commune")).entry
    assert entry.scale == ("commune",)


@pytest.mark.parametrize(
    "written,doi",
    [
        ("10.1234/abcd", "10.1234/abcd"),
        ("https://doi.org/10.1234/abcd", "10.1234/abcd"),
        ("http://dx.doi.org/10.1234/ABCD", "10.1234/ABCD"),
        ("HTTPS://DOI.ORG/10.1186/s12913-020-05000-1", "10.1186/s12913-020-05000-1"),
        ("doi:10.1234/abcd", "10.1234/abcd"),
        ("'doi: 10.1234/abcd'", "10.1234/abcd"),
        ("10.1000.10/123456", "10.1000.10/123456"),  # a registrant code with a subdivision
        # an old SICI DOI: angle brackets and semicolons are part of the DOI syntax
        (
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
            "10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0",
        ),
    ],
)
def test_doi_is_normalised(tmp_path: Path, written: str, doi: str) -> None:
    parsed = parse(tmp_path, MINIMAL + f"doi: {written}\n")
    assert parsed.problems == []
    assert parsed.entry.doi == doi


# --- every error, with its exact line --------------------------------------------------------


@pytest.mark.parametrize(
    "field_name,line,fix",
    [
        (
            "title",
            'title: "Une étude"\n',
            "add a line 'title: ...' to the front matter (the title as the document gives it)",
        ),
        ("type", "type: study\n", "add a line 'type: ...' to the front matter (a value from the types vocabulary)"),
        ("year", "year: 2021\n", "add a line 'year: ...' to the front matter (year of publication or start)"),
        ("scale", "scale: [region]\n", "add a line 'scale: ...' to the front matter (territorial scales)"),
        (
            "criteria",
            "criteria: [population_size]\n",
            "add a line 'criteria: ...' to the front matter (delimitation or analysis criteria)",
        ),
        ("language", "language: fr\n", "add a line 'language: ...' to the front matter (fr, nl or en)"),
    ],
)
def test_missing_required_field_is_reported_on_line_1(tmp_path: Path, field_name: str, line: str, fix: str) -> None:
    parsed = parse(tmp_path, edit(line, ""))
    assert [str(p) for p in parsed.problems] == [f"{FILE}:1: error: {field_name} is missing -- {fix}"]
    assert parsed.entry is None


def test_every_missing_field_is_listed(tmp_path: Path) -> None:
    assert problems(tmp_path, "summary: Rien d'autre.") == [
        f"{FILE}:1: error: {name} is missing -- add a line '{name}: ...' to the front matter ({option.help})"
        for name, option in sorted(SCHEMA.items())
        if option.required
    ]


ALL_FIELDS = (
    "id, title, type, year, date, authors, organisations, partners, scale, criteria, basis, territories, "
    "language, url, doi, summary, translations, container, volume, issue, pages, isbn, issn, publisher_place, "
    "edition, added, archive, url_status"
)
LIST_FIX = "write it as [a, b] or one '- a' per line"
TEXT_FIX = "write the text after the colon, in double quotes if it contains ':' or '#'"

ERRORS = [
    # empty values
    pytest.param(
        edit('title: "Une étude"', "title:"), [f"{FILE}:2: error: title is empty -- write a value"], id="empty-title"
    ),
    pytest.param(
        edit('title: "Une étude"', 'title: ""'),
        [f"{FILE}:2: error: title is empty -- write a value"],
        id="empty-quoted-title",
    ),
    pytest.param(
        edit('title: "Une étude"', 'title: "   "'),
        [f"{FILE}:2: error: title is empty -- write a value"],
        id="blank-title",
    ),
    pytest.param(
        edit('title: "Une étude"', "title: ~"), [f"{FILE}:2: error: title is empty -- write a value"], id="null-title"
    ),
    pytest.param(
        edit("scale: [region]", "scale: []"), [f"{FILE}:5: error: scale is empty -- write a value"], id="empty-list"
    ),
    pytest.param(
        MINIMAL + "summary:\n",
        [f"{FILE}:8: warning: summary is empty -- write a value or remove the line"],
        id="empty-optional-field-is-a-warning",
    ),
    # wrong types
    pytest.param(
        edit('title: "Une étude"', "title: [Une, étude]"),
        [f"{FILE}:2: error: title must be text, not a list -- {TEXT_FIX}"],
        id="title-as-list",
    ),
    pytest.param(
        edit('title: "Une étude"', "title:\n  fr: Une étude"),
        [f"{FILE}:2: error: title must be text, not a group of indented fields -- {TEXT_FIX}"],
        id="title-as-mapping",
    ),
    pytest.param(
        edit('title: "Une étude"', "title: true"),
        [f"{FILE}:2: error: title must be text, not true/false (true) -- {TEXT_FIX}"],
        id="title-true",
    ),
    pytest.param(
        edit("year: 2021", "year: twenty"),
        [f"{FILE}:4: error: year must be a whole number, not 'twenty' -- write four digits, e.g. 2021"],
        id="year-as-text",
    ),
    pytest.param(
        edit("year: 2021", "year: 2021.5"),
        [f"{FILE}:4: error: year must be a whole number, not a number (2021.5) -- write four digits, e.g. 2021"],
        id="year-as-float",
    ),
    pytest.param(
        edit("year: 2021", 'year: "²"'),
        [f"{FILE}:4: error: year must be a whole number, not '²' -- write four digits, e.g. 2021"],
        id="year-as-superscript-digit",
    ),
    pytest.param(
        edit("year: 2021", "year: 1900"),
        [f"{FILE}:4: error: year 1900 is out of range -- write a year between 1950 and {NEXT_YEAR}"],
        id="year-too-early",
    ),
    pytest.param(
        edit("year: 2021", f"year: {NEXT_YEAR + 1}"),
        [f"{FILE}:4: error: year {NEXT_YEAR + 1} is out of range -- write a year between 1950 and {NEXT_YEAR}"],
        id="year-too-late",
    ),
    pytest.param(
        edit("year: 2021", "year: " + "1" * 5000),
        [f"{FILE}:4: error: year cannot be read (ValueError) -- write a plain value"],
        id="year-with-5000-digits",
    ),
    pytest.param(
        edit("criteria: [population_size]", "criteria:\n  population_size: yes"),
        [f"{FILE}:6: error: criteria must be a list, not a group of indented fields -- {LIST_FIX}"],
        id="criteria-as-mapping",
    ),
    pytest.param(
        edit("scale: [region]", "scale: [[region]]"),
        [
            f"{FILE}:5: error: scale must be a value from the scales list, not a list -- "
            "'kb vocab scales' lists the values"
        ],
        id="nested-list",
    ),
    pytest.param(
        edit("scale: [region]", "scale:\n  -\n  - region"),
        [
            f"{FILE}:6: error: scale must be a value from the scales list, not empty -- "
            "'kb vocab scales' lists the values"
        ],
        id="empty-block-item",
    ),
    # vocabularies, with the line of the item
    pytest.param(
        edit("criteria: [population_size]", "criteria: [population_size, acessibility]"),
        [
            f"{FILE}:6: error: criteria 'acessibility' is not in the criteria vocabulary -- did you mean "
            "'accessibility_proximity'? (a new value is added to kb/vocabularies/criteria.yaml)"
        ],
        id="unknown-value-in-flow-list",
    ),
    pytest.param(
        edit("criteria: [population_size]", "criteria:\n  - population_size\n  - existing_ofer"),
        [
            f"{FILE}:8: error: criteria 'existing_ofer' is not in the criteria vocabulary -- did you mean "
            "'existing_offer'? (a new value is added to kb/vocabularies/criteria.yaml)"
        ],
        id="unknown-value-in-block-list",
    ),
    pytest.param(
        edit("scale: [region]", "scale: [regoin, commune]"),
        [
            f"{FILE}:5: error: scale 'regoin' is not in the scales vocabulary -- did you mean 'region'? "
            "(a new value is added to kb/vocabularies/scales.yaml)"
        ],
        id="scale-typo",
    ),
    pytest.param(
        edit("scale: [region]", "scale: [zorgzone]"),
        [
            f"{FILE}:5: error: scale 'zorgzone' is not in the scales vocabulary -- did you mean 'bassin'? "
            "(a new value is added to kb/vocabularies/scales.yaml)"
        ],
        id="scale-as-dutch-label",
    ),
    pytest.param(
        edit("scale: [region]", "scale: [xyzzy]"),
        [
            f"{FILE}:5: error: scale 'xyzzy' is not in the scales vocabulary -- use a value listed by "
            "'kb vocab scales' (a new value is added to kb/vocabularies/scales.yaml)"
        ],
        id="no-suggestion",
    ),
    pytest.param(
        edit("type: study", "type: Étude"),
        [
            f"{FILE}:3: error: type 'Étude' is not in the types vocabulary -- did you mean 'study'? "
            "(a new value is added to kb/vocabularies/types.yaml)"
        ],
        id="type-as-label",
    ),
    pytest.param(
        MINIMAL + "territories: [Anderlecht]\n",
        [
            f"{FILE}:8: error: territories 'Anderlecht' is not in the territories vocabulary -- did you mean "
            "'21001'? (a new value is added to kb/vocabularies/territories.yaml)"
        ],
        id="commune-by-name",
    ),
    pytest.param(
        MINIMAL + "partners: [cbcs, CBCS]\n",
        [
            f"{FILE}:8: error: partners 'CBCS' is not in the partners vocabulary -- did you mean 'cbcs'? "
            "(a new value is added to kb/vocabularies/partners.yaml)"
        ],
        id="partner-abbreviation",
    ),
    pytest.param(
        edit("scale: [region]", "scale: [region, region]"),
        [f"{FILE}:5: warning: scale 'region' is listed twice -- remove one"],
        id="listed-twice",
    ),
    # fields
    pytest.param(
        MINIMAL + "titel: Une étude\n",
        [f"{FILE}:8: warning: unknown field 'titel' is ignored -- did you mean 'title'?"],
        id="unknown-field",
    ),
    pytest.param(
        MINIMAL + "xyz: 1\n",
        [f"{FILE}:8: warning: unknown field 'xyz' is ignored -- the fields are: {ALL_FIELDS}"],
        id="unknown-field-without-suggestion",
    ),
    pytest.param(
        MINIMAL + "year: 2020\n",
        [f"{FILE}:8: error: 'year' appears twice (first on line 4) -- keep only one of the two lines"],
        id="duplicate-key",
    ),
    pytest.param(
        MINIMAL + "? [a, b]\n: c\n",
        [f"{FILE}:8: error: a field name must be plain text -- write 'field: value'"],
        id="key-not-text",
    ),
    # urls, dois, dates
    pytest.param(
        MINIMAL + "url: www.example.org\n",
        [
            f"{FILE}:8: error: url 'www.example.org' is not a web address -- write the full address, "
            "starting with https://, without spaces"
        ],
        id="url-without-scheme",
    ),
    pytest.param(
        MINIMAL + 'url: "https://example.org/un rapport.pdf"\n',
        [
            f"{FILE}:8: error: url 'https://example.org/un rapport.pdf' is not a web address -- write the full "
            "address, starting with https://, without spaces"
        ],
        id="url-with-space",
    ),
    pytest.param(
        MINIMAL + "url: ftp://example.org/x\n",
        [
            f"{FILE}:8: error: url 'ftp://example.org/x' is not a web address -- write the full address, "
            "starting with https://, without spaces"
        ],
        id="url-ftp",
    ),
    pytest.param(
        MINIMAL + "url: https://localhost/x\n",
        [
            f"{FILE}:8: error: url 'https://localhost/x' is not a web address -- write the full address, "
            "starting with https://, without spaces"
        ],
        id="url-without-domain",
    ),
    pytest.param(
        MINIMAL + 'url: "http://[abc"\n',
        [
            f"{FILE}:8: error: url 'http://[abc' is not a web address -- write the full address, "
            "starting with https://, without spaces"
        ],
        id="url-unclosed-bracket",
    ),
    pytest.param(
        MINIMAL + 'url: "https://example.org/\\"><script>alert(1)</script>"\n',
        [
            f"{FILE}:8: error: url 'https://example.org/\"><script>alert(1)</script>' holds quotes, angle "
            'brackets or other characters a web address cannot hold -- write them percent-encoded (" as %22, '
            "' as %27, < as %3C, > as %3E), as the browser's address bar gives them"
        ],
        id="url-with-markup",
    ),
    pytest.param(
        MINIMAL + "url: https://example.org/l'etude\n",
        [
            f"{FILE}:8: error: url 'https://example.org/l'etude' holds quotes, angle brackets or other "
            "characters a web address cannot hold -- write them percent-encoded (\" as %22, ' as %27, "
            "< as %3C, > as %3E), as the browser's address bar gives them"
        ],
        id="url-with-quote",
    ),
    pytest.param(
        MINIMAL + 'url: "https://example.org/a\\x07b"\n',
        [
            f"{FILE}:8: error: url contains an invisible control character (U+0007) -- retype the text "
            "without it (it often comes with a copy from a PDF)"
        ],
        id="url-with-control-character",
    ),
    pytest.param(
        MINIMAL + 'doi: "10.1234/ab\\x01cd"\n',
        [
            f"{FILE}:8: error: doi contains an invisible control character (U+0001) -- retype the text "
            "without it (it often comes with a copy from a PDF)"
        ],
        id="doi-with-control-character",
    ),
    pytest.param(
        MINIMAL + "doi: 10.12.34/abcd\n",
        [
            f"{FILE}:8: error: doi '10.12.34/abcd' is not a DOI -- write it as 10.xxxx/yyyy, "
            "e.g. 10.1186/s12913-020-05000-1"
        ],
        id="doi-registrant-too-short",
    ),
    pytest.param(
        MINIMAL + "doi: 11.1/x\n",
        [f"{FILE}:8: error: doi '11.1/x' is not a DOI -- write it as 10.xxxx/yyyy, e.g. 10.1186/s12913-020-05000-1"],
        id="bad-doi",
    ),
    pytest.param(
        MINIMAL + "doi: https://example.org/10.1234/abcd\n",
        [
            f"{FILE}:8: error: doi 'https://example.org/10.1234/abcd' is not a DOI -- write it as 10.xxxx/yyyy, "
            "e.g. 10.1186/s12913-020-05000-1"
        ],
        id="doi-behind-another-site",
    ),
    pytest.param(
        MINIMAL + "date: 2020-09\n",
        [f"{FILE}:8: error: date 2020-09 is not in year 2021 -- make 'year' and 'date' agree"],
        id="date-not-in-year",
    ),
    pytest.param(
        MINIMAL + "date: 2021-02-30\n",
        [f"{FILE}:8: error: date '2021-02-30' is not a real date -- write it as YYYY-MM-DD or YYYY-MM"],
        id="february-30",
    ),
    pytest.param(
        MINIMAL + "date: 2021-13\n",
        [f"{FILE}:8: error: date '2021-13' is not a real date -- write it as YYYY-MM-DD or YYYY-MM"],
        id="month-13",
    ),
    pytest.param(
        MINIMAL + "date: 09/2021\n",
        [f"{FILE}:8: error: date '09/2021' is not a date -- write it as YYYY-MM-DD or YYYY-MM, e.g. 2020-09-15"],
        id="date-in-another-format",
    ),
    pytest.param(
        MINIMAL + "added: 2021-09\n",
        [f"{FILE}:8: error: added '2021-09' is not a date -- write it as YYYY-MM-DD, e.g. 2020-09-15"],
        id="added-needs-a-day",
    ),
    # identity
    pytest.param(
        MINIMAL + "id: autre\n",
        [
            f"{FILE}:8: error: id 'autre' does not match the file name '{FILE}' -- write 'id: {NAME}' or "
            "remove the line (the file name is the id)"
        ],
        id="id-not-the-file-name",
    ),
    # lengths
    pytest.param(
        edit('title: "Une étude"', "title: " + "a" * 501),
        [f"{FILE}:2: error: title is 501 characters long, more than 500 -- shorten it; long text belongs in the body"],
        id="title-too-long",
    ),
    # several problems: all reported, sorted by line
    pytest.param(
        edit("year: 2021", "year: twenty").replace("language: fr", "language: fr\nurl: nowhere"),
        [
            f"{FILE}:4: error: year must be a whole number, not 'twenty' -- write four digits, e.g. 2021",
            f"{FILE}:8: error: url 'nowhere' is not a web address -- write the full address, "
            "starting with https://, without spaces",
        ],
        id="several",
    ),
]


@pytest.mark.parametrize("front,expected", ERRORS)
def test_problem_and_line(tmp_path: Path, front: str, expected: list[str]) -> None:
    parsed = parse(tmp_path, front)
    assert [str(p) for p in parsed.problems] == expected
    has_error = any(": error: " in line for line in expected)
    assert (parsed.entry is None) == has_error


def test_warnings_alone_keep_the_entry(tmp_path: Path) -> None:
    parsed = parse(tmp_path, MINIMAL + "titel: x\n")
    assert [p.severity for p in parsed.problems] == ["warning"]
    assert parsed.entry is not None and parsed.entry.title == "Une étude"


@pytest.mark.parametrize(
    "name,suggestion",
    [
        ("Mon_Entree", "mon-entree"),
        ("Étude 2021", "etude-2021"),
        ("ab", "ab-entry"),
        ("a--b", "a-b"),
        ("-abc", "abc"),
        ("a" * 81, "entry"),
    ],
)
def test_invalid_file_name(tmp_path: Path, name: str, suggestion: str) -> None:
    assert problems(tmp_path, MINIMAL, name=name) == [
        f"{name}.md:1: error: the file name '{name}.md' is not a valid id -- rename it with lowercase letters, "
        f"digits and hyphens, 3 to 80 characters, e.g. '{suggestion}.md'"
    ]


@pytest.mark.parametrize("name", ["abc", "a" * 80, "note-vision-ifa-2020", "2021"])
def test_valid_file_names(tmp_path: Path, name: str) -> None:
    assert problems(tmp_path, MINIMAL, name=name) == []


@pytest.mark.parametrize(
    "body",
    [
        "",
        "\n\n\n",
        "## Contenu\n",
        "## Contenu\n\n<!-- À compléter -->\n\n## Sources\n",
        "<!--\nplusieurs\nlignes\n-->\n",
        "   \n# Titre\n  ### Sous-titre\n",
    ],
    ids=["empty", "blank-lines", "heading", "headings-and-comments", "multi-line-comment", "indented-headings"],
)
def test_empty_body(tmp_path: Path, body: str) -> None:
    parsed = parse(tmp_path, MINIMAL, body=body)
    assert [str(p) for p in parsed.problems] == [EMPTY_BODY]
    assert parsed.entry is None


@pytest.mark.parametrize("body", ["x\n", "## Contenu\n\nUne phrase.\n", "<!-- note --> Une phrase.\n", "- un point\n"])
def test_body_with_content(tmp_path: Path, body: str) -> None:
    assert problems(tmp_path, MINIMAL, body=body) == []


# --- files that are not entries at all -------------------------------------------------------


def front_bytes(front: str = MINIMAL, body: str = "Un texte.\n") -> bytes:
    return f"---\n{front}---\n{body}".encode("utf-8")


RAW = [
    pytest.param(
        b"",
        [
            f"{FILE}:1: error: the file has no front matter (it must start with a line '---') -- start "
            "the file with '---', the fields, then '---' (see entries/README.md)"
        ],
        id="empty-file",
    ),
    pytest.param(
        MINIMAL.encode() + b"\nUn texte.\n",
        [
            f"{FILE}:1: error: the file has no front matter (it must start with a line '---') -- start the file "
            "with '---', the fields, then '---' (see entries/README.md)"
        ],
        id="no-front-matter",
    ),
    pytest.param(
        b"\n---\n" + MINIMAL.encode() + b"---\nx\n",
        [
            f"{FILE}:1: error: the file has no front matter (it must start with a line '---') -- start the file "
            "with '---', the fields, then '---' (see entries/README.md)"
        ],
        id="blank-line-before-front-matter",
    ),
    pytest.param(
        b"[" * 10000,
        [
            f"{FILE}:1: error: the file has no front matter (it must start with a line '---') -- start the file "
            "with '---', the fields, then '---' (see entries/README.md)"
        ],
        id="brackets-only",
    ),
    pytest.param(
        b"---\n" + MINIMAL.encode() + b"\nUn texte.\n",
        [f"{FILE}:1: error: the front matter is not closed -- add a line '---' after the last field, before the body"],
        id="unclosed-front-matter",
    ),
    pytest.param(
        b"---\n---\nUn texte.\n",
        [f"{FILE}:1: error: the front matter is empty -- add the fields: title, type, year, scale, criteria, language"],
        id="empty-front-matter",
    ),
    pytest.param(
        b"---\n- title\n- type\n---\nUn texte.\n",
        [
            f"{FILE}:2: error: the front matter must be 'field: value' lines -- write one 'field: value' per "
            "line (see entries/README.md)"
        ],
        id="front-matter-is-a-list",
    ),
    pytest.param(
        front_bytes(MINIMAL + "summary: Note: un résumé\n"),
        [
            f"{FILE}:8: error: the value of 'summary' holds ':' without quotes, which YAML cannot read -- put the "
            'value between straight double quotes: summary: "Note: un résumé"'
        ],
        id="unquoted-colon",
    ),
    pytest.param(
        front_bytes(MINIMAL + "  summary: mal indenté\n"),
        [
            f"{FILE}:8: error: the front matter is not valid YAML: mapping values are not allowed in this "
            f"context -- {YAML_FIX}"
        ],
        id="bad-indentation",
    ),
    pytest.param(
        front_bytes(MINIMAL + "authors:\n\t- Dupont, Jean\n"),
        [
            f"{FILE}:9: error: a tab at the start of a line: YAML only accepts spaces to indent a line -- replace "
            "the tab with spaces (two per level)"
        ],
        id="tab-indentation",
    ),
    pytest.param(
        front_bytes(MINIMAL + "summary: un \x01 caractère\n"),
        [
            f"{FILE}:8: error: the front matter contains a character YAML does not allow (U+0001) -- delete "
            "that character (it is invisible in most editors) or retype the line"
        ],
        id="control-character",
    ),
    pytest.param(
        front_bytes(body="Un texte\x00 binaire.\n"),
        [
            f"{FILE}:9: error: this is not a text file (it contains NUL bytes) -- an entry is a Markdown text "
            "file; create it with 'kb new'"
        ],
        id="nul-in-body",
    ),
    pytest.param(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        [
            f"{FILE}:3: error: this is not a text file (it contains NUL bytes) -- an entry is a Markdown text "
            "file; create it with 'kb new'"
        ],
        id="binary-junk",
    ),
]


@pytest.mark.parametrize("data,expected", RAW)
def test_not_an_entry(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    parsed = parse_raw(tmp_path, data)
    assert [str(p) for p in parsed.problems] == expected
    assert parsed.entry is None


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["no-bom", "bom"])
@pytest.mark.parametrize(
    "front,body,line",
    [
        (MINIMAL + "summary: café\n", "Un texte.\n", 8),
        (MINIMAL, "Première ligne.\nDeuxième ligne.\nTroisième café.\n", 11),
        (MINIMAL, "café\n", 9),  # first byte of a line: the line count must not slip by the BOM's 3 bytes
    ],
    ids=["front-matter", "body", "first-byte-of-a-line"],
)
def test_invalid_utf8_is_reported_on_the_line_of_the_bad_byte(
    tmp_path: Path, bom: bytes, front: str, body: str, line: int
) -> None:
    data = bom + front_bytes(front, body).replace("café".encode(), b"caf\xe9").replace(b"\ncaf\xe9", b"\n\xe9")
    offset = data.index(b"\xe9")
    assert raw_problems(tmp_path, data) == [
        f"{FILE}:{line}: error: the file is not valid UTF-8 (byte {offset}) -- save it as UTF-8 in your editor "
        "(Save with encoding > UTF-8)"
    ]


def test_nul_in_front_matter_is_reported_on_its_line(tmp_path: Path) -> None:
    data = front_bytes().replace(b"type: study", b"type: st\x00udy")
    assert raw_problems(tmp_path, data) == [
        f"{FILE}:3: error: this is not a text file (it contains NUL bytes) -- an entry is a Markdown text file; "
        "create it with 'kb new'"
    ]


@pytest.mark.parametrize("size", [5_000_000, 1_000_001])
def test_too_large_file(tmp_path: Path, size: int) -> None:
    data = front_bytes()
    data += b"x" * (size - len(data))
    too_large = (
        f"{FILE}:1: error: the file is {size / 1e6:.1f} MB, more than the 1 MB an entry may be -- keep the "
        "entry to a description and link to the document with 'url'"
    )
    assert raw_problems(tmp_path, data) == [too_large]
    assert [str(p) for p in parse_bytes(data, NAME, FILE).problems] == [too_large]


def test_a_file_just_under_the_limit_is_read(tmp_path: Path) -> None:
    data = front_bytes()
    data += b"x" * (1_000_000 - len(data))
    parsed = parse_raw(tmp_path, data)
    assert parsed.problems == []
    assert len(parsed.entry.body) > 990_000


def test_missing_file(tmp_path: Path) -> None:
    assert [str(p) for p in parse_file(tmp_path / "absent.md", display="absent.md").problems] == [
        "absent.md:1: error: cannot read the file (No such file or directory) -- check that it exists and is readable"
    ]


def test_a_folder_named_like_an_entry(tmp_path: Path) -> None:
    (tmp_path / "dossier.md").mkdir()
    assert [str(p) for p in parse_file(tmp_path / "dossier.md", display="dossier.md").problems] == [
        "dossier.md:1: error: cannot read the file (Is a directory) -- check that it exists and is readable"
    ]


# --- YAML bombs and deep nesting ----------------------------------------------------------------

ANCHORS = (
    f"{FILE}:{{line}}: error: YAML anchors and aliases (&name, *name) are not allowed -- write each value out in full"
)


def billion_laughs(levels: int) -> str:
    lines = ['lol0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"lol{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "front,line",
    [
        pytest.param(billion_laughs(9) + MINIMAL, 2, id="billion-laughs-first"),
        pytest.param(MINIMAL + billion_laughs(9), 8, id="billion-laughs-last"),
        # 9**40 strings if it were ever expanded: this test finishing at all shows it is not.
        pytest.param(MINIMAL + billion_laughs(40), 8, id="9-to-the-40"),
        pytest.param(
            MINIMAL + "summary: &s " + "x" * 10_000 + "\norganisations: [" + ", ".join(["*s"] * 5000) + "]\n",
            8,
            id="quadratic",
        ),
        pytest.param(MINIMAL + "summary: &s Un résumé\nbrief: *s\n", 8, id="one-alias-in-unknown-field"),
        pytest.param(edit("scale: [region]", "scale: &s [region]\ncriteria_bis: *s"), 5, id="alias-of-a-list"),
    ],
)
def test_anchors_and_aliases_are_refused(tmp_path: Path, front: str, line: int) -> None:
    parsed = parse(tmp_path, front)
    assert [str(p) for p in parsed.problems] == [ANCHORS.format(line=line)]
    assert parsed.entry is None


DEEP = (
    f"{FILE}:{{line}}: error: the front matter nests lists or fields more than 10 levels deep -- "
    "write plain 'field: value' lines and simple lists (see entries/README.md)"
)


@pytest.mark.parametrize(
    "front,line",
    [
        pytest.param(MINIMAL + "summary: " + "[" * 10000 + "\n", 8, id="open-brackets"),
        pytest.param(MINIMAL + "summary: " + "[" * 10000 + "]" * 10000 + "\n", 8, id="nested-lists"),
        pytest.param(MINIMAL + "summary: " + "{a: " * 10000 + "b" + "}" * 10000 + "\n", 8, id="nested-mappings"),
        pytest.param(MINIMAL + "brief: " + "[" * 10000 + "]" * 10000 + "\n", 8, id="in-an-unknown-field"),
        pytest.param("[" * 10000 + "]" * 10000 + ": x\n" + MINIMAL, 2, id="in-a-key"),
        pytest.param(MINIMAL + "summary:\n" + "- " * 10000 + "x\n", 9, id="nested-block-lists"),
        pytest.param(
            MINIMAL + "summary:\n" + "".join(f"{'  ' * i}a:\n" for i in range(1, 13)) + "  " * 13 + "b\n",
            18,
            id="indented-mappings",
        ),
        # Large enough to overflow the C stack of libyaml's composer (a segfault, not an exception)
        # and to take minutes in its scanner, were the depth not checked first.
        pytest.param(MINIMAL + "summary: " + "[" * 900_000 + "\n", 8, id="900000-brackets"),
        pytest.param(MINIMAL + "summary:\n" + "- " * 400_000 + "x\n", 9, id="400000-dashes"),
        pytest.param(MINIMAL + "summary: " + "[" * 10 + "x" + "]" * 10 + "\n", 8, id="one-level-too-deep"),
    ],
)
def test_deep_nesting_is_an_error_not_a_crash(tmp_path: Path, front: str, line: int) -> None:
    parsed = parse(tmp_path, front)
    assert [str(p) for p in parsed.problems] == [DEEP.format(line=line)]
    assert parsed.entry is None


def test_nesting_up_to_the_limit_is_read(tmp_path: Path) -> None:
    # The fields are one level, the value nine more: read, then refused as a value, not as YAML.
    assert problems(tmp_path, MINIMAL + "summary: " + "[" * 9 + "x" + "]" * 9 + "\n") == [
        f"{FILE}:8: error: summary must be text, not a list -- {TEXT_FIX}"
    ]


# --- line endings and byte-order mark --------------------------------------------------------


@pytest.mark.parametrize(
    "transform",
    [
        lambda data: data.replace(b"\n", b"\r\n"),
        lambda data: b"\xef\xbb\xbf" + data,
        lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
        lambda data: data.replace(b"\n", b"\r"),
    ],
    ids=["crlf", "bom", "bom-and-crlf", "cr"],
)
def test_line_endings_and_bom_are_accepted(tmp_path: Path, transform) -> None:
    data = transform(front_bytes(MINIMAL + "titel: x\n", body="Ligne un.\nLigne deux.\n"))
    parsed = parse_raw(tmp_path, data)
    # The entry is read, and lines are still counted right.
    assert [str(p) for p in parsed.problems] == [
        f"{FILE}:8: warning: unknown field 'titel' is ignored -- did you mean 'title'?"
    ]
    entry = parsed.entry
    assert entry.title == "Une étude"
    assert entry.body == "Ligne un.\nLigne deux."
    assert entry.lines["body"] == 10


# --- YAML 1.1 traps --------------------------------------------------------------------------

TRAPS = [
    (edit('title: "Une étude"', "title: yes"), "title", "yes"),
    (edit('title: "Une étude"', "title: no"), "title", "no"),
    (edit('title: "Une étude"', "title: On"), "title", "On"),
    (edit('title: "Une étude"', "title: off"), "title", "off"),
    (edit('title: "Une étude"', "title: Y"), "title", "Y"),
    (edit('title: "Une étude"', "title: 1:30"), "title", "1:30"),  # not 90 (sexagesimal)
    (edit('title: "Une étude"', "title: 0x1F"), "title", "0x1F"),
    (edit('title: "Une étude"', "title: 0o17"), "title", "0o17"),
    (edit('title: "Une étude"', "title: 017"), "title", "017"),  # not 15 (octal)
    (edit('title: "Une étude"', "title: 1_000"), "title", "1_000"),
    (edit('title: "Une étude"', "title: 2021-09-01"), "title", "2021-09-01"),
    (edit('title: "Une étude"', "title: 2021"), "title", "2021"),
    (edit('title: "Une étude"', "title: .inf"), "title", ".inf"),
    (edit('title: "Une étude"', "title: <<"), "title", "<<"),
    (MINIMAL + "territories: [21004]\n", "territories", ("21004",)),
    (MINIMAL + "territories:\n  - 21004\n  - 21001\n", "territories", ("21004", "21001")),
    (MINIMAL + "territories: 21004\n", "territories", ("21004",)),
    (MINIMAL + 'territories: ["21004", region]\n', "territories", ("21004", "region")),
    (MINIMAL + "date: 2021-09-01\n", "date", "2021-09-01"),
    (MINIMAL + "date: 2021-09\n", "date", "2021-09"),
    (MINIMAL + "added: 2026-01-05\n", "added", "2026-01-05"),
    (edit("year: 2021", 'year: "2021"'), "year", 2021),
    (edit("language: fr", "language: nl"), "language", "nl"),
    (MINIMAL + "authors: [Dupont, Jean; Martin, Claire]\n", "authors", ("Dupont, Jean", "Martin, Claire")),
    (MINIMAL + 'authors: "Dupont, Jean; Martin, Claire"\n', "authors", ("Dupont, Jean", "Martin, Claire")),
    (MINIMAL + "authors: Dupont, Jean; Martin, Claire\n", "authors", ("Dupont, Jean", "Martin, Claire")),
    (MINIMAL + "authors:\n  - Dupont, Jean\n  - Martin, Claire\n", "authors", ("Dupont, Jean", "Martin, Claire")),
    (MINIMAL + 'authors: ["Dupont, Jean", "Martin, Claire"]\n', "authors", ("Dupont, Jean", "Martin, Claire")),
    (MINIMAL + "authors: Dupont, Jean\n", "authors", ("Dupont, Jean",)),
    # (a comment after a text is read as YAML says, with a warning: see test_a_value_cut_by_a_hash...)
]


@pytest.mark.parametrize("front,attribute,value", [pytest.param(*row, id=changed(row[0])) for row in TRAPS])
def test_yaml_1_1_traps(tmp_path: Path, front: str, attribute: str, value: object) -> None:
    parsed = parse(tmp_path, front)
    assert parsed.problems == []
    assert getattr(parsed.entry, attribute) == value


@pytest.mark.parametrize(
    "front,expected",
    [
        pytest.param(*row, id=changed(row[0]))
        for row in [
            # `no` is the text 'no', reported as an unknown value, never False.
            (
                edit("criteria: [population_size]", "criteria: [no]"),
                f"{FILE}:6: error: criteria 'no' is not in the criteria vocabulary -- use a value listed by 'kb vocab "
                "criteria' (a new value is added to kb/vocabularies/criteria.yaml)",
            ),
            (
                edit("language: fr", "language: no"),
                f"{FILE}:7: error: language 'no' is not in the languages vocabulary -- use a value listed by 'kb vocab "
                "languages' (a new value is added to kb/vocabularies/languages.yaml)",
            ),
            (
                edit("scale: [region]", "scale: [off]"),
                f"{FILE}:5: error: scale 'off' is not in the scales vocabulary -- use a value listed by 'kb vocab "
                "scales' (a new value is added to kb/vocabularies/scales.yaml)",
            ),
            # '04000' is neither 2048 (octal) nor 4000: the region's NIS code, suggested as 'region'.
            (
                MINIMAL + "territories: [04000]\n",
                f"{FILE}:8: error: territories '04000' is not in the territories vocabulary -- did you mean 'region'? "
                "(a new value is added to kb/vocabularies/territories.yaml)",
            ),
            (
                MINIMAL + 'territories: ["04000"]\n',
                f"{FILE}:8: error: territories '04000' is not in the territories vocabulary -- did you mean 'region'? "
                "(a new value is added to kb/vocabularies/territories.yaml)",
            ),
        ]
    ],
)
def test_yaml_1_1_words_are_text_in_vocabulary_fields(tmp_path: Path, front: str, expected: str) -> None:
    assert problems(tmp_path, front) == [expected]


@pytest.mark.parametrize(
    "front,expected",
    [
        pytest.param(*row, id=changed(row[0]))
        for row in [
            (
                MINIMAL + "summary: !!python/object/apply:os.system [echo hi]\n",
                f"{FILE}:8: error: summary cannot be read (ConstructorError) -- write a plain value",
            ),
            (
                MINIMAL + "summary: !!binary aGVsbG8=\n",
                f"{FILE}:8: error: summary must be text, not 'b'hello'' -- {TEXT_FIX}",
            ),
            (
                MINIMAL + "summary: *nowhere\n",
                f"{FILE}:8: error: the value of 'summary' starts with '*', a sign YAML reserves -- put the value "
                'between straight double quotes: summary: "*nowhere"',
            ),
        ]
    ],
)
def test_yaml_tags_are_not_executed(tmp_path: Path, front: str, expected: str) -> None:
    assert problems(tmp_path, front) == [expected]


@pytest.mark.parametrize(
    "typed,key,meant",
    [
        ("summary: Note: un résumé", "check.yaml_colon", "Note: un résumé"),
        ('summary: Le "grand" projet: suite', "check.yaml_colon", 'Le "grand" projet: suite'),
        ("summary: C:\\dossier: notes", "check.yaml_colon", "C:\\dossier: notes"),
        ("summary: @home, le projet", "check.yaml_reserved", "@home, le projet"),
        ("summary: `kb` en bref", "check.yaml_reserved", "`kb` en bref"),
        ("summary: *Étude* pilote", "check.yaml_reserved", "*Étude* pilote"),  # (Markdown's emphasis)
        ("summary: - brouillon", "check.yaml_reserved", "- brouillon"),
        ("summary: [2021] Étude", "check.yaml_reserved", "[2021] Étude"),
        ("summary: > texte", "check.yaml_reserved", "> texte"),
        ("summary: &Co et associés", "check.yaml_reserved", "&Co et associés"),  # (read "et associés", silently)
        ('summary: "pas fermé', "check.yaml_open_quote", "pas fermé"),
        ("summary: 'l'étude de quartier'", "check.yaml_inner_quote", "l'étude de quartier"),
        ('summary: "Le "grand" projet"', "check.yaml_inner_quote", 'Le "grand" projet'),
    ],
)
def test_a_yaml_slip_is_named_with_the_line_that_mends_it(tmp_path: Path, typed: str, key: str, meant: str) -> None:
    """What contributors typing in GitHub's editor get wrong most (a colon in a value, quotes,
    a reserved first character) is named in their words, with the line as it should be; that
    line, put in its place, is read as the value they meant."""
    front = MINIMAL + typed + "\n"
    found = parse(tmp_path, front).problems
    assert [p.what.key for p in found if p.what] == [key], [str(p) for p in found]
    mended = dict(found[0].what.params)["fixed"]
    again = parse(tmp_path, front.replace(typed, mended))
    assert again.problems == [], [str(p) for p in again.problems]
    assert again.entry.summary == meant


def test_a_value_cut_by_a_hash_is_a_warning_with_the_line_that_keeps_it(tmp_path: Path) -> None:
    """YAML reads " #" as the start of a comment: "title: Étude #2 des quartiers" is the title
    "Étude". Nothing else would tell the contributor their text was cut."""
    front = edit('title: "Une étude"', "title: Étude #2 des quartiers") + "authors:\n  - Dupont, J. # et al.\n"
    parsed = parse(tmp_path, front)
    assert parsed.entry.title == "Étude"  # (what YAML reads: the entry is still valid)
    found = [(p.line, p.severity, dict(p.what.params)) for p in parsed.problems if p.what]
    assert found == [
        (2, "warning", {"value": "Étude", "fixed": 'title: "Étude #2 des quartiers"'}),
        (9, "warning", {"value": "Dupont, J.", "fixed": '- "Dupont, J. # et al."'}),
    ]
    mended = front.replace("title: Étude #2 des quartiers", 'title: "Étude #2 des quartiers"')
    again = parse(tmp_path, mended.replace("- Dupont, J. # et al.", '- "Dupont, J. # et al."'))
    assert again.problems == [] and again.entry.title == "Étude #2 des quartiers"
    assert parse(tmp_path, edit("year: 2021", "year: 2021  # as the report says")).problems == []  # not text: left


# --- translations, basis, citation fields ----------------------------------------------------

TRANSLATED = (
    MINIMAL
    + """\
basis: [statistical_units, service_catchment]
summary: "Un résumé."
translations:
  nl:
    title: "Een studie"
    summary: "Een samenvatting."
  en:
    title: "A study"
container: "Bruxelles Santé"
volume: "96"
issue: 2
pages: "12-15"
isbn: "978-2-930346-49-6"
issn: 0776-8613
publisher_place: Bruxelles
edition: "2e édition"
"""
)


def test_translations_basis_and_citation_fields(tmp_path: Path) -> None:
    parsed = parse(tmp_path, TRANSLATED)
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.basis == ("statistical_units", "service_catchment")
    assert entry.tags()["basis"] == ("statistical_units", "service_catchment")
    assert entry.translations == (("en", "A study", None), ("nl", "Een studie", "Een samenvatting."))
    assert (
        entry.container,
        entry.volume,
        entry.issue,
        entry.pages,
        entry.isbn,
        entry.issn,
        entry.publisher_place,
        entry.edition,
    ) == ("Bruxelles Santé", "96", "2", "12-15", "978-2-930346-49-6", "0776-8613", "Bruxelles", "2e édition")
    # what a reader of each language is shown
    assert [
        (entry.title_in(lang), entry.summary_in(lang), entry.is_translated(lang), entry.text_language(lang))
        for lang in ("fr", "nl", "en")
    ] == [
        ("Une étude", "Un résumé.", False, "fr"),
        ("Een studie", "Een samenvatting.", True, "nl"),
        ("A study", "Un résumé.", True, "en"),  # no English summary: the entry's own
    ]


def test_no_translation_shows_the_original(tmp_path: Path) -> None:
    entry = parse(tmp_path, MINIMAL).entry
    assert (entry.title_in("nl"), entry.summary_in("nl"), entry.is_translated("nl"), entry.text_language("nl")) == (
        "Une étude",
        None,
        False,
        "fr",
    )


@pytest.mark.parametrize(
    "extra,expected",
    [
        pytest.param(
            'translations:\n  fr:\n    title: "Une étude"\n',
            [
                "essai.md:8: error: translations has 'fr', the entry's own language -- the fr title and summary "
                "are 'title' and 'summary' at the top: remove 'fr' from translations (or correct 'language')"
            ],
            id="own-language",
        ),
        pytest.param(
            'translations:\n  de:\n    title: "Eine Studie"\n',
            ["essai.md:9: error: translations 'de' is not a language -- use fr, nl, en"],
            id="unknown-language",
        ),
        pytest.param(
            'translations:\n  nl:\n    summary: "Een zin."\n',
            ["essai.md:9: error: translations nl has no title -- add '    title: ...' under '  nl:'"],
            id="no-title",
        ),
        pytest.param(
            'translations:\n  nl: "Een studie"\n',
            [
                "essai.md:9: error: translations nl must hold 'title:' and 'summary:' lines, not 'Een studie' -- "
                "indent '    title: ...' under '  nl:'"
            ],
            id="not-a-group",
        ),
        pytest.param(
            'translations:\n  nl:\n    title: "Een studie"\n    titel: x\n',
            [
                "essai.md:11: warning: translations nl: unknown field 'titel' is ignored -- a translation has "
                "'title' and 'summary'"
            ],
            id="unknown-subfield",
        ),
        pytest.param(
            "translations: [nl]\n",
            [
                "essai.md:8: error: translations must be indented groups per language, not a list -- write "
                "'translations:', then '  nl:' and under it '    title: ...' and '    summary: ...'"
            ],
            id="a-list",
        ),
        pytest.param(
            "basis: [statistical_unit]\n",
            [
                "essai.md:8: error: basis 'statistical_unit' is not in the bases vocabulary -- did you mean "
                "'statistical_units'? (a new value is added to kb/vocabularies/bases.yaml)"
            ],
            id="basis-typo",
        ),
        pytest.param(
            "isbn: 978-2-930346-49-1\n",
            [
                "essai.md:8: error: isbn 978-2-930346-49-1 has a wrong check digit (the last one) -- copy the ISBN "
                "again from the document: a digit is probably mistyped"
            ],
            id="isbn-check-digit",
        ),
        pytest.param(
            "isbn: 12345\n",
            [
                "essai.md:8: error: isbn a number (12345) is not an ISBN -- write the 10 or 13 digits as printed, "
                "e.g. 978-2-87459-012-3"
            ],
            id="isbn-short",
        ),
        pytest.param(
            "issn: 0776-8614\n",
            [
                "essai.md:8: error: issn 0776-8614 has a wrong check digit (the last one) -- copy the ISSN again "
                "from the document: a digit is probably mistyped"
            ],
            id="issn-check-digit",
        ),
    ],
)
def test_new_field_problems(tmp_path: Path, extra: str, expected: list[str]) -> None:
    assert problems(tmp_path, MINIMAL + extra) == expected


@pytest.mark.parametrize("number", ["0-306-40615-2", "ISBN 978-0-306-40615-7", "0-8044-2957-X", "ISBN: 0306406152"])
def test_valid_isbns(tmp_path: Path, number: str) -> None:
    from kb.entries.schema import check_digit_ok

    parsed = parse(tmp_path, MINIMAL + f'isbn: "{number}"\n')
    compact = "".join(c for c in parsed.entry.isbn if c.isdigit() or c == "X") if parsed.entry else ""
    assert parsed.problems == [] and check_digit_ok(compact)


def test_issn_with_x_check_digit(tmp_path: Path) -> None:
    assert parse(tmp_path, MINIMAL + "issn: 2434-561X\n").problems == []


def test_a_kept_entry_reads_back_as_the_entry_it_was(tmp_path: Path) -> None:
    """kb.entries.lazy: an entry kept between builds gives every field of the entry it was,
    the arranged ones without unpickling it, and pickles as that entry."""
    import dataclasses
    import pickle

    from kb.entries import lazy

    path = make_entry(tmp_path, NAME, MINIMAL + 'summary: "Un résumé."\n', "Un texte.\n")
    entry = parse_file(path).entry
    assert entry is not None
    kept = lazy.kept(lazy.keep(entry))
    assert isinstance(kept, Entry)
    assert (kept.id, kept.year, kept.scale) == (entry.id, entry.year, entry.scale)
    assert "_whole" in kept.__dict__  # not unpickled yet
    assert kept.title_in("nl") == entry.title and kept.summary == "Un résumé."
    assert all(getattr(kept, f.name) == getattr(entry, f.name) for f in dataclasses.fields(Entry))
    assert pickle.loads(pickle.dumps(kept)) == entry
    assert lazy.version(lazy.keep(entry)) == (entry.digest, entry.path)
