"""The one catalogue of interface text and contributor messages (kb/i18n): complete in French,
Dutch and English, and the language a command speaks."""

from __future__ import annotations

import os
import re
import string
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_entry
from kb import i18n
from kb.cli import cli


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_exists_in_every_language_with_the_same_placeholders():
    keys = set(i18n.STRINGS["en"])
    for lang in ("fr", "nl"):
        assert set(i18n.STRINGS[lang]) == keys, lang
    for key in keys:
        expected = placeholders(i18n.STRINGS["en"][key])
        for lang in ("fr", "nl"):
            assert placeholders(i18n.STRINGS[lang][key]) == expected, (lang, key)
    assert set(i18n.DIMENSION_NAMES) == set(i18n.LANGUAGE_IN) == {"fr", "nl", "en"}


def test_every_message_has_its_fix():
    """A contributor's problem (check.*) and a failure a command explains (kb.i18n.Said: the
    environment, the build, Pagefind, the machine's faults) say how to fix them."""
    for key in i18n.STRINGS["en"]:
        if key.startswith(("check.", "env.", "build.", "pagefind.", "fault.")) and not key.endswith(".fix"):
            assert f"{key}.fix" in i18n.STRINGS["en"] or key == "check.summary", key
    assert "lock.busy.fix" in i18n.STRINGS["en"]


def test_french_keeps_its_punctuation_with_its_word():
    """French typography: a no-break space before : ; ? ! and inside « », so that no line begins
    with a colon or ends with a guillemet, on the site and in the terminal."""
    for key, text in i18n.STRINGS["fr"].items():
        assert not re.search(r" [:;?!»]|« ", text), key
    assert (
        i18n.t("fr", "compare_empty")
        == "Aucune fiche choisie\u00a0: utilisez le bouton «\u202fComparer\u202f» d'une fiche."
    )
    assert i18n.t("fr", "q2") == "Quelle est son échelle\u202f?"
    assert i18n.t("nl", "colon") == ":" and i18n.t("en", "q2") == "At what scale?"  # French only


@pytest.mark.parametrize(
    "asked,env,expected",
    [
        ("nl", {}, ("nl",)),
        ("fr,nl", {}, ("fr", "nl")),
        (None, {"KB_LANG": "fr"}, ("fr",)),
        (None, {"LANG": "nl_BE.UTF-8"}, ("nl",)),
        (None, {"LC_ALL": "fr_BE.UTF-8", "LANG": "nl_BE.UTF-8"}, ("fr",)),
        (None, {"LANG": "de_DE.UTF-8"}, ("en",)),
        (None, {}, ("en",)),
    ],
)
def test_the_language_a_command_speaks(monkeypatch, asked, env, expected):
    for name in ("KB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.cli_languages(asked) == expected


BAD = (
    "title: Étude\ntype: report\nyear: 20x1\nscale: [regoin]\ncriteria: [existing_offer]\nlanguage: fr\nurl: ftp://x\n"
)


def test_kb_check_speaks_french_dutch_or_both(runner, tmp_path: Path):
    make_entry(tmp_path, "etude", BAD)
    french = runner.invoke(cli, ["check", str(tmp_path), "--lang", "fr"])
    assert french.exit_code == 1
    assert (
        "etude.md:4: erreur: year doit être un nombre entier, pas «\u202f20x1\u202f» -- écrivez quatre chiffres"
        in french.stdout
    )
    assert "vouliez-vous dire «\u202fregion\u202f»\u202f?" in french.stdout
    assert "1 fichier vérifié\u00a0: 3 erreurs, 0 avertissements" in french.stderr  # one file, said in the singular
    dutch = runner.invoke(cli, ["check", str(tmp_path)], env={"KB_LANG": "nl"})
    assert "etude.md:8: fout: url 'ftp://x' is geen webadres" in dutch.stdout
    both = runner.invoke(cli, ["check", str(tmp_path), "--lang", "fr,nl"])
    lines = both.stdout.splitlines()
    assert len(lines) == 6 and lines[0].split(": ")[0] == lines[1].split(": ")[0]
    annotations = runner.invoke(cli, ["check", str(tmp_path), "--lang", "fr,nl", "--format", "github"]).stdout
    assert "n'est pas une adresse web" in annotations and "is geen webadres" in annotations


def test_a_terminal_without_french_typography_gets_plain_spaces(tmp_path: Path):
    """A latin-1 terminal (or, on Windows, output redirected to a file in cp1252) has no narrow
    no-break space: kb writes plain spaces there, instead of stopping half-way through a French
    message with an error of its own."""
    make_entry(tmp_path, "etude", BAD)
    env = {**os.environ, "PYTHONIOENCODING": "latin-1", "KB_LANG": "fr"}
    result = subprocess.run(
        [sys.executable, "-m", "kb", "check", str(tmp_path)], capture_output=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 1, result.stderr.decode("latin-1")
    out, err = result.stdout.decode("latin-1"), result.stderr.decode("latin-1")
    assert "pas « 20x1 » -- écrivez quatre chiffres" in out and "vouliez-vous dire « region » ?" in out
    assert "1 fichier vérifié\u00a0: 3 erreurs" in err  # (latin-1 has the no-break space before a colon)
    assert "kb-error" not in err


def test_an_unknown_language_is_a_usage_error(runner, tmp_path: Path):
    result = runner.invoke(cli, ["check", str(tmp_path), "--lang", "de"])
    assert result.exit_code == 2
    assert "--lang" in result.output


def test_a_failure_kb_explains_survives_pickling(tmp_path):
    """Exceptions from a worker process come back pickled (kb.workers): each kind of Said, its
    own arguments whatever they are, is the same message after the trip."""
    import pickle

    from kb.entries.vocab import VocabularyError
    from kb.faults import Missing
    from kb.site.build import BuildError, SearchNotUpdated

    for said in (
        i18n.Said("env.seconds", name="KB_X", value="soon", default="600"),
        BuildError("build.mount_point", output=tmp_path, inside=tmp_path / "site"),
        SearchNotUpdated(BuildError("pagefind.failed", code=1, log=tmp_path / "log")),
        VocabularyError(tmp_path / "scales.yaml", 4, "vocab.twice", id="region"),
        Missing("fault.no_entries", folder=tmp_path),
    ):
        back = pickle.loads(pickle.dumps(said))
        assert type(back) is type(said) and str(back) == str(said)
        assert [back.render(lang) for lang in i18n.CLI_LANGS] == [said.render(lang) for lang in i18n.CLI_LANGS]


def test_the_store_counts_one_entry_in_the_singular(runner, tmp_path: Path, monkeypatch):
    """kb index after one entry added, then edited: "1 ajoutée", "1 modifiée", not "1 ajoutées"
    (the _one forms)."""
    entries = tmp_path / "entries"
    entries.mkdir()
    front = "title: Une\ntype: report\nyear: 2021\nscale: [region]\ncriteria: [existing_offer]\nlanguage: fr\n"
    make_entry(entries, "une", front)
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(cli, ["index", "--lang", "fr"])
    assert "base\u00a0: 1 ajoutée, 0 modifiées, 0 retirées, 0 inchangées" in first.output, first.output
    make_entry(entries, "une", front.replace("Une", "Une autre"))
    again = runner.invoke(cli, ["index", "--lang", "fr"])
    assert "base\u00a0: 0 ajoutées, 1 modifiée, 0 retirées, 0 inchangées" in again.output, again.output
