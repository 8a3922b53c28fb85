"""kb diff BASE: what a change does to the inventory, on a git repository made in the test."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, make_entry
from kb.cli import cli

MINIMAL = "title: {title}\ntype: report\nyear: 2020\nscale: [region]\ncriteria: [existing_offer]\nlanguage: fr"


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "entries").mkdir(parents=True)
    make_entry(root / "entries", "gardee", MINIMAL.format(title="Gardée"))
    make_entry(root / "entries", "changee", MINIMAL.format(title="Avant"))
    make_entry(root / "entries", "retiree", MINIMAL.format(title="Retirée"))
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    return root


def test_added_changed_removed_tags_and_problems(runner, repo: Path, monkeypatch):
    entries = repo / "entries"
    (entries / "retiree.md").unlink()
    make_entry(
        entries,
        "changee",
        MINIMAL.format(title="Après")
        .replace("scale: [region]", "scale: [commune]")
        .replace("year: 2020", "year: 2021"),
        body="Un autre texte.\n",
    )
    make_entry(entries, "nouvelle", MINIMAL.format(title="Nouvelle") + "\nterritories: [21004]")
    make_entry(entries, "cassee", MINIMAL.format(title="Cassée").replace("type: report", "type: rapport"))
    monkeypatch.chdir(repo)
    result = runner.invoke(cli, ["diff", "main", "--lang", "fr"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 fiches ajoutées, 1 modifiée, 1 retirée." in out  # one of each in the singular
    # (French typography: a no-break space before a colon, a narrow one before a semicolon)
    assert (
        "- `nouvelle` — Nouvelle (Type\u00a0: Rapport\u202f; Échelle\u00a0: Région\u202f; "
        "Critères\u00a0: Offre existante\u202f; "
    ) in out
    assert "Territoires\u00a0: Bruxelles" in out
    assert (
        "- `changee` — Après\u00a0: ajouté Échelle\u00a0: Commune\u202f; retiré Échelle\u00a0: Région\u202f; "
        "champs modifiés\u00a0: `title`, `year`\u202f; texte modifié"
    ) in out
    assert "- `retiree` — Retirée" in out
    assert "cassee.md:3: erreur: type «\u202frapport\u202f» n'est pas dans le vocabulaire types" in out
    assert "gardee" not in out


def test_new_vocabulary_values_are_listed(tmp_path: Path):
    from kb.entries import diff, vocab

    root = tmp_path / "copy"
    shutil.copytree(REPO / "entries", root / "entries")
    shutil.copytree(vocab.VOCAB_DIR, root / "vocabularies")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    scales = root / "vocabularies" / "scales.yaml"
    scales.write_text(
        scales.read_text(encoding="utf-8") + "- id: wijk\n  fr: Quartier\n  nl: Wijk\n  en: Neighbourhood\n",
        encoding="utf-8",
    )
    vocabularies = vocab._read(root / "vocabularies")
    summary = diff.summarise(root, "main", root / "entries", vocabularies, vocab_dir=root / "vocabularies")
    assert summary.new_values == {"scales": ["wijk"]}
    assert "### Nouvelles valeurs de vocabulaire\n\n- scales\u00a0: `wijk`" in diff.markdown(
        summary, vocabularies, "fr"
    )


def test_an_unknown_revision_is_one_clear_line(runner, repo: Path, monkeypatch):
    monkeypatch.chdir(repo)
    result = runner.invoke(cli, ["diff", "no-such-branch"])
    assert result.exit_code == 1
    assert "cannot compare with 'no-such-branch'" in result.output
    assert "Traceback" not in result.output
