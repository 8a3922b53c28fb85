"""Proposals through the forge's issue form: the committed form is current, and `kb from-issue`
turns the Markdown of a filled form into an entry, or into the problems to comment."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import REPO
from kb.cli import cli
from kb.entries import issue_form, vocab
from kb.entries.schema import parse_file

FORM = REPO / ".github" / "ISSUE_TEMPLATE" / "entry.yml"


def test_the_committed_form_is_current():
    assert FORM.read_text(encoding="utf-8") == issue_form.generate(vocab.load()), (
        "run: kb issue-form -o .github/ISSUE_TEMPLATE/entry.yml"
    )


def test_the_form_asks_every_field_with_french_and_dutch_labels():
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    questions = {q["id"]: q for q in form["body"] if q["type"] != "markdown"}
    assert set(questions) == {
        "title",
        "type",
        "year",
        "date",
        "authors",
        "organisations",
        "partners",
        "scale",
        "criteria",
        "basis",
        "territories",
        "language",
        "url",
        "doi",
        "summary",
        "container",
        "volume",
        "issue",
        "pages",
        "isbn",
        "issn",
        "publisher_place",
        "edition",
        "body",
    }
    scale = questions["scale"]["attributes"]
    assert scale["multiple"] is True and "Bassin d'aide et de soins / Zorgzone [bassin]" in scale["options"]
    assert questions["title"]["attributes"]["label"] == "Titre du document / Titel van het document (title)"


def filled(**answers: str) -> str:
    """An issue body as GitHub writes it for a filled form."""
    form = yaml.safe_load(FORM.read_text(encoding="utf-8"))
    parts = []
    for question in form["body"]:
        if question["type"] == "markdown":
            continue
        parts.append(f"### {question['attributes']['label']}\n\n{answers.get(question['id'], '_No response_')}")
    return "\n\n".join(parts) + "\n"


COMPLETE = dict(
    title="Diagnostic social-santé de Forest",
    type="Étude / Studie [study]",
    year="2023",
    scale="Commune / Gemeente [commune], Quartier social-santé / Sociaal-gezondheidswijk [quartier_social_sante]",
    criteria="Besoins et structure de la population / Noden en leeftijdsstructuur [needs_demography]",
    territories="Forest / Vorst [21007]",
    language="Français / Frans [fr]",
    authors="Dupont, Jean\nMartin, Claire",
    url="https://example.org/forest.pdf",
    body="## Contenu\n\nUn diagnostic local.\n",
)


def test_a_complete_issue_becomes_an_entry(runner, tmp_path: Path):
    body = tmp_path / "issue.md"
    body.write_text(filled(**COMPLETE), encoding="utf-8")
    entries = tmp_path / "entries"
    result = runner.invoke(cli, ["from-issue", str(body), "--entries", str(entries)])
    assert result.exit_code == 0, result.output
    path = entries / "diagnostic-social-sante-de-forest.md"
    assert result.stdout.strip() == str(path)
    parsed = parse_file(path)
    assert parsed.problems == []
    entry = parsed.entry
    assert entry.scale == ("commune", "quartier_social_sante") and entry.territories == ("21007",)
    assert entry.authors == ("Dupont, Jean", "Martin, Claire") and entry.year == 2023


def test_an_edited_issue_gives_the_same_file_name(runner, tmp_path: Path):
    """The workflow rebuilds the proposal's branch from main at every edit: the id depends on
    the title and the published entries only."""
    body = tmp_path / "issue.md"
    entries = tmp_path / "entries"
    for year in ("2023", "2024"):
        body.write_text(filled(**{**COMPLETE, "year": year}), encoding="utf-8")
        target = tmp_path / f"run-{year}"
        result = runner.invoke(cli, ["from-issue", str(body), "--entries", str(target)])
        assert result.exit_code == 0
        assert Path(result.stdout.strip()).name == "diagnostic-social-sante-de-forest.md"
    assert not entries.exists()


def test_missing_and_unknown_answers_are_explained_in_both_languages(runner, tmp_path: Path):
    body = tmp_path / "issue.md"
    body.write_text(
        filled(**{**COMPLETE, "title": "", "scale": "Échelle inventée [inventee]", "year": "l'an passé"}),
        encoding="utf-8",
    )
    entries = tmp_path / "entries"
    result = runner.invoke(cli, ["from-issue", str(body), "--entries", str(entries), "--lang", "fr,nl"])
    assert result.exit_code == 1
    out = result.stdout
    assert "- title manque" in out and "- title ontbreekt" in out
    assert "scale «\u202finventee\u202f» n'est pas dans le vocabulaire scales" in out
    assert "year moet een geheel getal zijn" in out
    assert not entries.exists() or not list(entries.glob("*.md"))


def test_hostile_text_stays_text(runner, tmp_path: Path):
    hostile = '"]; rm -rf / #\n---\n$(curl evil)'
    body = tmp_path / "issue.md"
    body.write_text(
        filled(
            **{
                **COMPLETE,
                "title": "Titre ---\nsecond: [x]",
                "summary": hostile,
                "body": "<script>alert(1)</script>\n\n## Contenu\n\nTexte.\n",
            }
        ),
        encoding="utf-8",
    )
    entries = tmp_path / "entries"
    result = runner.invoke(cli, ["from-issue", str(body), "--entries", str(entries)])
    assert result.exit_code == 0, result.output
    entry = parse_file(Path(result.stdout.strip())).entry
    assert entry.title == "Titre --- second: [x]"
    assert entry.summary == " ".join(hostile.split())
    assert "<script>" in entry.body  # kept as written: the build sanitises bodies (tests/test_site.py)
