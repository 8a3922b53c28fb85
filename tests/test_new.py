"""``kb new``: the file it writes is the documented format, passes ``kb check``, reads back the
values it was given, never overwrites, and the prompts explain and re-ask on a typo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import MINIMAL, REPO, make_entry

from kb.cli import cli
from kb.entries.schema import parse_file
from kb.entries.new import free_id, write_entry

TODAY = dt.date.today().isoformat()
BODY_MESSAGE = "the body is empty (headings and <!-- comments --> do not count)"
EMPTY_BODY = (
    f"error: {BODY_MESSAGE} -- below the front matter, describe the document: content, scale, criteria, sources"
)

ALL_OPTIONS = [
    "--title",
    "Étude des quartiers",
    "--type",
    "study",
    "--year",
    "2021",
    "--date",
    "2021-09",
    "--author",
    "Dupont, Jean",
    "--author",
    "Martin, Claire",
    "--organisation",
    "Université Saint-Louis – Bruxelles",
    "--organisation",
    "observatoire",
    "--partner",
    "cbcs,brusano",
    "--scale",
    "region",
    "--scale",
    "quartier_social_sante",
    "--criteria",
    "population_size,existing_offer",
    "--basis",
    "statistical_units",
    "--territory",
    "21004",
    "--territory",
    "bassin_nord",
    "--language",
    "fr",
    "--url",
    "https://example.org/etude.pdf",
    "--doi",
    "https://doi.org/10.1234/abcd",
    "--summary",
    "Deux phrases :   une\net deux.",
    "--translation",
    "nl",
    "Studie van de wijken",
    "--translated-summary",
    "nl",
    "Twee zinnen.",
    "--container",
    "Cahiers de l'Observatoire",
    "--volume",
    "3",
    "--issue",
    "1",
    "--pages",
    "12-15",
    "--isbn",
    "978-2-930346-49-6",
    "--issn",
    "0776-8613",
    "--publisher-place",
    "Bruxelles",
    "--edition",
    "2e édition",
    "--body",
    "## Contenu\n\nUne étude des quartiers.",
]

# Just enough options for no prompt at all.
REQUIRED = [
    "--type",
    "study",
    "--year",
    "2021",
    "--scale",
    "region",
    "--criteria",
    "population_size",
    "--partner",
    "cbcs",
    "--language",
    "fr",
]


def new(runner: CliRunner, directory: Path, *args: str, input: str | None = None) -> Result:
    result = runner.invoke(cli, ["new", "--entries", str(directory), *args], input=input)
    assert "Traceback" not in result.output
    return result


@pytest.mark.parametrize(
    "title,taken,expected",
    [
        ("Étude des quartiers", set(), "etude-des-quartiers"),
        ("Étude des quartiers", {"etude-des-quartiers"}, "etude-des-quartiers-2"),
        ("Étude des quartiers", {"etude-des-quartiers", "etude-des-quartiers-2"}, "etude-des-quartiers-3"),
        ("L'aide et les soins à Bruxelles (2021)", set(), "l-aide-et-les-soins-a-bruxelles-2021"),
        ("Cœur de quartier : Schaerbeek", set(), "coeur-de-quartier-schaerbeek"),
        ("Zorgzone Noord-Oost", set(), "zorgzone-noord-oost"),
        ("A", set(), "a-entry"),
        ("«  »", set(), "entry"),
        (
            "Note de vision de l'Inter-fédération ambulatoire : organisation de l'aide et des soins de première ligne",
            set(),
            "note-de-vision-de-l-inter-federation-ambulatoire",
        ),
    ],
)
def test_free_id(title: str, taken: set[str], expected: str) -> None:
    assert free_id(title, taken) == expected


def test_new_with_all_options(runner: CliRunner, tmp_path: Path) -> None:
    directory = tmp_path / "entries"  # created when missing
    result = new(runner, directory, *ALL_OPTIONS)
    path = directory / "etude-des-quartiers.md"
    assert result.exit_code == 0, result.output
    assert result.stdout == f"created {path}\n"
    assert result.stderr == ""  # no prompt, nothing to do
    assert (
        path.read_text(encoding="utf-8")
        == f"""---
title: "Étude des quartiers"
type: study
year: 2021
date: 2021-09
authors:
  - "Dupont, Jean"
  - "Martin, Claire"
organisations: ["Université Saint-Louis – Bruxelles", observatoire]
partners: [cbcs, brusano]
scale: [region, quartier_social_sante]
criteria: [population_size, existing_offer]
basis: [statistical_units]
territories: ["21004", bassin_nord]
language: fr
url: "https://example.org/etude.pdf"
doi: "https://doi.org/10.1234/abcd"
summary: "Deux phrases : une et deux."
translations:
  nl:
    title: "Studie van de wijken"
    summary: "Twee zinnen."
container: "Cahiers de l'Observatoire"
volume: "3"
issue: "1"
pages: 12-15
isbn: 978-2-930346-49-6
issn: 0776-8613
publisher_place: Bruxelles
edition: "2e édition"
added: {TODAY}
---

## Contenu

Une étude des quartiers.
"""
    )


def test_created_file_round_trips(runner: CliRunner, tmp_path: Path) -> None:
    assert new(runner, tmp_path, *ALL_OPTIONS).exit_code == 0
    parsed = parse_file(tmp_path / "etude-des-quartiers.md")
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.id == "etude-des-quartiers"
    assert entry.title == "Étude des quartiers"
    assert (entry.type, entry.year, entry.date, entry.language) == ("study", 2021, "2021-09", "fr")
    assert entry.authors == ("Dupont, Jean", "Martin, Claire")
    assert entry.organisations == ("Université Saint-Louis – Bruxelles", "observatoire")
    assert entry.partners == ("cbcs", "brusano")
    assert entry.scale == ("region", "quartier_social_sante")
    assert entry.criteria == ("population_size", "existing_offer")
    assert entry.territories == ("21004", "bassin_nord")
    assert entry.url == "https://example.org/etude.pdf"
    assert entry.doi == "10.1234/abcd"
    assert entry.summary == "Deux phrases : une et deux."
    assert entry.added == TODAY
    assert entry.body == "## Contenu\n\nUne étude des quartiers."


def test_fields_are_written_in_the_documented_order(runner: CliRunner, tmp_path: Path) -> None:
    assert new(runner, tmp_path, *ALL_OPTIONS).exit_code == 0
    text = (tmp_path / "etude-des-quartiers.md").read_text(encoding="utf-8")
    written = [line.split(":")[0] for line in text.split("---")[1].splitlines() if line and not line.startswith(" ")]
    readme = (REPO / "entries" / "README.md").read_text(encoding="utf-8")
    documented = [line.split("`")[1] for line in readme.splitlines() if line.startswith("| `")]
    maintainers = ("archive", "url_status")  # set when a link dies (kb links --write), never by kb new
    assert written == [name for name in documented if name not in maintainers]


@pytest.mark.parametrize(
    "title",
    [
        "Étude des quartiers",
        'Le "quartier" vécu',
        "Bassins : une note",
        "# Pas un commentaire",
        "- pas une liste",
        "Plan [2020-2025] {brouillon}",
        "50 % & *étoile",
        "true",
        "false",
        "null",
        "~",
        "yes",
        "no",
        "on",
        "1.50",
        "21004",
        "2021-09-01",
        "1:30",
        "0x1F",
        "Zorgzone Noord-Oost",
        "Une\\barre oblique inverse",
    ],
)
def test_any_title_round_trips(runner: CliRunner, tmp_path: Path, title: str) -> None:
    result = new(
        runner, tmp_path, "--title", title, *REQUIRED, "--organisation", title, "--author", title, "--body", "Un texte."
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    (path,) = tmp_path.glob("*.md")
    parsed = parse_file(path)
    assert parsed.problems == []
    assert parsed.entry.title == title
    assert parsed.entry.organisations == (title,)
    assert parsed.entry.authors == (title,)


def test_without_body_the_template_is_a_to_do(runner: CliRunner, tmp_path: Path) -> None:
    result = new(runner, tmp_path, "--title", "Étude des quartiers", *REQUIRED)
    path = tmp_path / "etude-des-quartiers.md"
    assert result.exit_code == 0
    assert result.stdout == f"created {path}\n"
    assert result.stderr == f"  to do: {path}:11: {EMPTY_BODY}\n"
    text = path.read_text(encoding="utf-8")
    assert text.endswith(
        "---\n\n## Contenu\n\n<!-- Ce qu'est le document et ce qu'il a trouvé. -->\n\n"
        "## Échelle et critères\n\n<!-- Quel territoire, délimité sur quelle base, selon quels critères. -->"
        "\n\n## Sources\n\n<!-- Où il a été lu\u00a0: les liens. -->\n"
    )
    assert [str(p) for p in parse_file(path).problems] == [f"{path}:11: {EMPTY_BODY}"]


@pytest.mark.parametrize("language,heading", [("fr", "## Contenu"), ("nl", "## Inhoud"), ("en", "## Content")])
def test_template_in_the_entry_language(runner: CliRunner, tmp_path: Path, language: str, heading: str) -> None:
    args = [a if a != "fr" else language for a in REQUIRED]
    assert new(runner, tmp_path, "--title", "Titre", *args).exit_code == 0
    assert (tmp_path / "titre.md").read_text(encoding="utf-8").split("---\n")[2].startswith(f"\n{heading}\n")


def test_other_problems_are_listed_as_to_dos(runner: CliRunner, tmp_path: Path) -> None:
    args = [a if a != "2021" else "1800" for a in REQUIRED]
    result = new(runner, tmp_path, "--title", "Titre", *args, "--date", "2021-02-30", "--body", "x")
    path = tmp_path / "titre.md"
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"  to do: {path}:4: error: year 1800 is out of range -- write a year between 1950 and "
        f"{dt.date.today().year + 1}",
        f"  to do: {path}:5: error: date '2021-02-30' is not a real date -- write it as YYYY-MM-DD or YYYY-MM",
    ]


def test_same_title_twice_gets_a_new_id(runner: CliRunner, tmp_path: Path) -> None:
    first = new(runner, tmp_path, "--title", "Étude des quartiers", *REQUIRED, "--body", "Premier.")
    before = (tmp_path / "etude-des-quartiers.md").read_bytes()
    second = new(runner, tmp_path, "--title", "Étude des quartiers", *REQUIRED, "--body", "Second.")
    assert first.exit_code == second.exit_code == 0
    assert second.stdout == f"created {tmp_path / 'etude-des-quartiers-2.md'}\n"
    assert (tmp_path / "etude-des-quartiers.md").read_bytes() == before
    assert parse_file(tmp_path / "etude-des-quartiers-2.md").entry.body == "Second."


def test_id_taken_by_a_hand_written_file(runner: CliRunner, tmp_path: Path) -> None:
    make_entry(tmp_path, "une-etude", MINIMAL)
    result = new(runner, tmp_path, "--title", "Une étude", *REQUIRED, "--body", "x")
    assert result.stdout == f"created {tmp_path / 'une-etude-2.md'}\n"


def test_write_entry_never_overwrites(tmp_path: Path) -> None:
    existing = make_entry(tmp_path, "deja-la", MINIMAL)
    before = existing.read_bytes()
    with pytest.raises(FileExistsError):
        write_entry(
            tmp_path,
            {
                "id": "deja-la",
                "title": "Autre",
                "type": "study",
                "year": 2021,
                "scale": ["region"],
                "criteria": ["population_size"],
                "language": "fr",
            },
            "Autre texte.",
        )
    assert existing.read_bytes() == before


def test_default_entries_folder(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["new", "--title", "Titre", *REQUIRED, "--body", "x"])
    assert result.exit_code == 0
    assert result.stdout == "created entries/titre.md\n"
    assert (tmp_path / "entries" / "titre.md").is_file()


def test_repeated_and_comma_separated_values_are_merged(runner: CliRunner, tmp_path: Path) -> None:
    result = new(
        runner, tmp_path, "--title", "Titre", *REQUIRED, "--scale", "commune,region", "--scale", "bassin", "--body", "x"
    )
    assert result.exit_code == 0
    assert parse_file(tmp_path / "titre.md").entry.scale == ("region", "commune", "bassin")


@pytest.mark.parametrize(
    "option,value,message",
    [
        ("--scale", "regoin", "'regoin' is not in the scales vocabulary -- did you mean 'region'?"),
        ("--scale", "region,zorgzone", "'zorgzone' is not in the scales vocabulary -- did you mean 'bassin'?"),
        ("--type", "etude", "'etude' is not in the types vocabulary -- did you mean 'study'?"),
        ("--territory", "Anderlecht", "'Anderlecht' is not in the territories vocabulary -- did you mean '21001'?"),
        (
            "--criteria",
            "Accessibilité",
            "'Accessibilité' is not in the criteria vocabulary -- did you mean 'accessibility_proximity'?",
        ),
        (
            "--partner",
            "xyzzy plugh",
            "'xyzzy plugh' is not in the partners vocabulary -- 'kb vocab partners' lists the values",
        ),
    ],
)
def test_invalid_option_value_is_a_usage_error(
    runner: CliRunner, tmp_path: Path, option: str, value: str, message: str
) -> None:
    result = new(runner, tmp_path, "--title", "Titre", *REQUIRED, option, value)
    assert result.exit_code == 2
    assert f"Error: Invalid value for '{option}': {message}" in result.output
    assert list(tmp_path.iterdir()) == []


def test_invalid_language_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = new(runner, tmp_path, "--title", "Titre", *REQUIRED, "--language", "de")
    assert result.exit_code == 2
    assert "Invalid value for '--language': 'de' is not one of 'fr', 'nl', 'en'." in result.output


def test_interactive(runner: CliRunner, tmp_path: Path) -> None:
    answers = [
        "Étude des quartiers",  # Title
        "study",  # Type
        "2021",  # Year
        "regoin",  # Scales: a typo first...
        "region, commune",  # ...then right
        "population_size",  # Criteria
        "statistical_units",  # Bases
        "",  # Partners: none
        "nl",  # Language
        "Étude des quartiers",  # Title in French: the title as published is French
    ]
    result = new(runner, tmp_path, input="\n".join(answers) + "\n")
    path = tmp_path / "etude-des-quartiers.md"
    assert result.exit_code == 0, result.output
    assert result.stdout == f"created {path}\n"
    prompts = result.stderr
    assert "Title: Étude des quartiers\n" in prompts
    assert "types: study, report, plan," in prompts
    assert (
        "\nScales (comma-separated): regoin\n  'regoin' is not in the scales vocabulary -- did you mean 'region'?\n"
        "Scales (comma-separated): region, commune\n" in prompts
    )
    assert "Partners (comma-separated, optional): \n" in prompts
    assert "Language (fr, nl, en) [fr]: nl\n" in prompts
    assert "Title in French (our translation, optional): " in prompts
    assert f"  to do: {path}:14: {EMPTY_BODY}" in prompts
    entry = parse_file(path, display="e.md")
    assert [p.message for p in entry.problems] == [BODY_MESSAGE]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        f'---\ntitle: "Étude des quartiers"\ntype: study\nyear: 2021\nscale: [region, commune]\n'
        f"criteria: [population_size]\nbasis: [statistical_units]\nlanguage: nl\n"
        f'translations:\n  fr:\n    title: "Étude des quartiers"\nadded: {TODAY}\n---\n\n## Inhoud\n'
    )


def test_interactive_re_asks_until_right(runner: CliRunner, tmp_path: Path) -> None:
    answers = [
        "",  # Title: required, asked again
        "Titre",
        "etude",  # Type: a French label, not the id
        "study",
        "1800",  # Year out of range
        "2021",
        "",  # Scales: required
        "region",
        "existing_ofer",
        "existing_offer",
        "statistical_unit",  # Bases: a typo
        "",  # none after all
        "cbcs, observatoir",  # Partners: one good, one typo
        "cbcs",
        "de",  # Language not offered
        "",  # default: fr
        "Titel",  # Title in Dutch
    ]
    result = new(runner, tmp_path, "--body", "Un texte.", input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    prompts = result.stderr
    assert "  'etude' is not in the types vocabulary -- did you mean 'study'?\n" in prompts
    assert "Error: 1800 is not in the range 1950<=x<=2100." in prompts
    assert "  'existing_ofer' is not in the criteria vocabulary -- did you mean 'existing_offer'?\n" in prompts
    assert "  'observatoir' is not in the partners vocabulary -- did you mean 'observatoire'?\n" in prompts
    assert "Error: 'de' is not one of 'fr', 'nl', 'en'." in prompts
    assert prompts.count("Scales (comma-separated):") == 2
    parsed = parse_file(tmp_path / "titre.md")
    assert parsed.problems == []
    entry = parsed.entry
    assert (entry.title, entry.type, entry.year, entry.scale, entry.criteria, entry.partners, entry.language) == (
        "Titre",
        "study",
        2021,
        ("region",),
        ("existing_offer",),
        ("cbcs",),
        "fr",
    )
    assert entry.basis == () and entry.translations == (("nl", "Titel", None),)
    assert entry.title_in("nl") == "Titel" and entry.is_translated("nl") and not entry.is_translated("fr")


def test_new_fields_from_options(runner: CliRunner, tmp_path: Path) -> None:
    result = new(
        runner,
        tmp_path,
        "--title",
        "Titre",
        *REQUIRED,
        "--basis",
        "statistical_units,service_catchment",
        "--translation",
        "nl",
        "Titel",
        "--translated-summary",
        "nl",
        "Een zin.",
        "--translation",
        "en",
        "Title",
        "--container",
        "Bruxelles Santé",
        "--volume",
        "96",
        "--issue",
        "2",
        "--pages",
        "12-15",
        "--isbn",
        "978-2-930346-49-6",
        "--issn",
        "0776-8613",
        "--publisher-place",
        "Bruxelles",
        "--edition",
        "2e édition",
        "--body",
        "x",
    )
    assert result.exit_code == 0, result.output
    parsed = parse_file(tmp_path / "titre.md")
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.basis == ("statistical_units", "service_catchment")
    assert entry.translations == (("en", "Title", None), ("nl", "Titel", "Een zin."))
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


@pytest.mark.parametrize(
    "args,message",
    [
        (["--translation", "fr", "Titre"], "the entry is in 'fr'"),
        (["--translation", "de", "Titel"], "'de' is not fr, nl or en"),
        (["--translated-summary", "nl", "Een zin."], "a summary in 'nl' needs its title"),
    ],
)
def test_new_refuses_bad_translations(runner: CliRunner, tmp_path: Path, args: list[str], message: str) -> None:
    result = new(runner, tmp_path, "--title", "Titre", *REQUIRED, *args, "--body", "x")
    assert result.exit_code == 2
    assert message in result.output
    assert list(tmp_path.iterdir()) == []


def test_prompts_only_for_what_is_missing(runner: CliRunner, tmp_path: Path) -> None:
    args = REQUIRED[: REQUIRED.index("--partner")] + REQUIRED[REQUIRED.index("--partner") + 2 :]
    result = new(runner, tmp_path, "--title", "Titre", *args, "--body", "x", input="cbcs,ibsa\n")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == "Partners (comma-separated, optional): cbcs,ibsa"
    assert "Title" not in result.stderr and "Scales" not in result.stderr
    assert parse_file(tmp_path / "titre.md").entry.partners == ("cbcs", "ibsa")


def test_interactive_without_answers_aborts_and_writes_nothing(runner: CliRunner, tmp_path: Path) -> None:
    result = new(runner, tmp_path, input="Titre\n")
    assert result.exit_code == 1
    assert "Aborted!" in result.output
    assert list(tmp_path.iterdir()) == []
