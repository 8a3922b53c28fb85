"""The project configuration file (kb.yml): typed, checked with file:line, read by the build."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from kb import config
from kb.cli import cli


def test_the_shipped_file_is_valid_and_names_both_languages():
    shipped = config.load(REPO)
    assert shipped.site_title("fr") and shipped.site_title("nl")
    assert shipped.default_language == "fr"


def test_without_a_file_kb_keeps_its_defaults(tmp_path: Path):
    assert config.load(tmp_path) == config.Config()
    defaults = config.Config()  # no repository: no link to a forge
    assert [
        defaults.edit_url("x"),
        defaults.history_url("x"),
        defaults.source_url("x", 3),
        defaults.new_file_url(),
        defaults.new_issue_url(),
    ] == [""] * 5


def test_forge_addresses(tmp_path: Path):
    (tmp_path / "kb.yml").write_text(
        "repository: https://github.com/org/kb/\nbranch: dev\nentries_folder: data/entries\n", encoding="utf-8"
    )
    settings = config.load(tmp_path)
    assert settings.edit_url("abc") == "https://github.com/org/kb/edit/dev/data/entries/abc.md"
    assert settings.history_url("abc") == "https://github.com/org/kb/commits/dev/data/entries/abc.md"
    assert settings.source_url("abc", 7) == "https://github.com/org/kb/blob/dev/data/entries/abc.md#L7"
    assert settings.new_file_url() == "https://github.com/org/kb/new/dev/data/entries"
    assert settings.new_issue_url() == "https://github.com/org/kb/issues/new"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("title: [a]\n", "kb.yml:1: error: title must give one text per language"),
        ("title:\n  fr: ok\n  de: nein\n", "kb.yml:3: error: title has an unknown language 'de'"),
        ("base_url: ftp://x\n", "kb.yml:1: error: base_url 'ftp://x' is not a web address"),
        ("branch: main\nrepostory: https://x.org\n", "kb.yml:2: error: unknown setting 'repostory'"),
        ("contact: nobody\n", "kb.yml:1: error: contact is not an e-mail address"),
        ("entries_folder: ../outside\n", "kb.yml:1: error: entries_folder '../outside' is not a folder"),
        ("default_language: de\n", "kb.yml:1: error: default_language 'de' is not an interface language"),
        (
            "search_shard_size: 0\n",
            "kb.yml:1: error: search_shard_size 0 is out of range -- write a whole number between 1 and",
        ),
        ("a: &x 1\nb: *x\n", "kb.yml:1: error: YAML anchors and aliases"),
        ("title: 'open\n", "kb.yml:1: error: the value of 'title' opens quotes without closing them"),
        ("links: [a, b\n", "kb.yml:2: error: kb.yml is not valid YAML"),
        ("- a\n- b\n", "kb.yml:1: error: kb.yml must be 'setting: value' lines"),
        ("colour: red\n", "kb.yml:1: error: unknown setting 'colour' -- the settings are: title, tagline"),
    ],
)
def test_bad_values_are_reported_with_their_line(tmp_path: Path, text: str, expected: str):
    (tmp_path / "kb.yml").write_text(text, encoding="utf-8")
    with pytest.raises(config.ConfigError) as raised:
        config.load(tmp_path)
    shown = [str(p) for p in raised.value.problems]
    assert any(line.startswith(expected) for line in shown), shown
    assert all(" -- " in line for line in shown)  # each says how to fix it


# Each language's words for a kb.yml error, and the entry's words it must not borrow.
OWN_WORDS = {
    "en": ("unknown setting 'brnch'", "kb.yml is not valid YAML"),
    "fr": ("réglage inconnu «\u202fbrnch\u202f»", "kb.yml n'est pas du YAML valide"),
    "nl": ("onbekende instelling 'brnch'", "kb.yml is geen geldige YAML"),
}
ENTRY_WORDS = {"en": ("front matter", "ignored"), "fr": ("en-tête", "ignoré"), "nl": ("kop", "genegeerd")}


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_errors_speak_of_settings_not_of_an_entry(lang: str):
    shown = []
    for text in ("brnch: dev\n", "links: [a, b\n"):
        with pytest.raises(config.ConfigError) as raised:
            config.parse(text)
        shown += [p.render(lang) for p in raised.value.problems]
    unknown, bad_yaml = shown
    assert unknown.startswith("kb.yml:1: ") and f": {OWN_WORDS[lang][0]} -- " in unknown, unknown
    assert bad_yaml.startswith("kb.yml:2: ") and f": {OWN_WORDS[lang][1]}" in bad_yaml, bad_yaml
    for line in shown:
        assert not any(word in line for word in ENTRY_WORDS[lang]), line


def test_a_file_of_comments_only_keeps_the_defaults(tmp_path: Path):
    (tmp_path / "kb.yml").write_text("# title:\n#   fr: Mon inventaire\n", encoding="utf-8")
    assert config.load(tmp_path) == config.Config()


def test_build_reads_the_file_and_options_win(runner, tmp_path: Path, entries_dir: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kb.yml").write_text(
        "title:\n  fr: Mon inventaire\n  nl: Mijn inventaris\nrepository: https://forge.example.org/kb\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["build", "--quiet", "--no-search", "--repository", "https://github.com/org/kb"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "nl" / "entries" / "note-vision-ifa-2020" / "index.html").read_text(encoding="utf-8")
    assert "Mijn inventaris" in page
    assert 'href="https://github.com/org/kb/edit/main/entries/note-vision-ifa-2020.md"' in page
    assert "forge.example.org" not in page
    assert "https://github.com/org/kb/issues/new?title=" in page


def test_no_repository_no_edit_links(runner, tmp_path: Path, entries_dir: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KB_REPOSITORY", raising=False)
    result = runner.invoke(cli, ["build", "--quiet", "--no-search"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "site" / "fr" / "entries" / "note-vision-ifa-2020" / "index.html").read_text(encoding="utf-8")
    assert "/edit/" not in page and "issues/new" not in page


def test_a_bad_file_stops_the_build_and_keeps_the_site(runner, tmp_path: Path, entries_dir: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["build", "--quiet", "--no-search"]).exit_code == 0
    before = (tmp_path / "site" / "fr" / "index.html").read_bytes()
    (tmp_path / "kb.yml").write_text("branch: [x]\n", encoding="utf-8")
    result = runner.invoke(cli, ["build", "--quiet", "--no-search"])
    assert result.exit_code == 1
    assert "kb.yml:1: error: branch must be text" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "site" / "fr" / "index.html").read_bytes() == before


def test_a_bad_option_value_is_refused(runner, tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["build", "--repository", "javascript:alert(1)"])
    assert result.exit_code == 2
    assert "--repository" in result.output


@pytest.mark.parametrize(
    ("setting", "rewrites"),
    [
        ("memory_limit: 50000", False),
        ("upload_limit: 0", False),
        ("links_max_age: 30", False),
        ("doi_resolver: https://dx.doi.org/", False),
        ("contact: equipe@example.org", True),
    ],
)
def test_a_setting_no_page_shows_rewrites_nothing(tmp_path: Path, entries_dir: Path, setting: str, rewrites: bool):
    """The site's design key holds the settings its pages show (config.NOT_SHOWN aside): setting
    a memory limit, as the build advises when memory is short, keeps every page."""
    from kb.project import Project

    for kb_yml in ("", setting):
        (tmp_path / "kb.yml").write_text(kb_yml + "\n", encoding="utf-8")
        project = Project(root=tmp_path, entries_dir=entries_dir)
        try:
            report = project.build(search=False)
        finally:
            project.close()
    assert (len(report.written) == report.pages) is rewrites
    assert set(config.NOT_SHOWN) < set(config.SETTINGS)
