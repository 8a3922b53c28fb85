"""``kb check``: the starter inventory is clean, the checks that span files (same id, DOI, URL,
near-identical titles), and the command itself: exit codes, --strict, --format github, paths,
and no traceback whatever the file holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import MINIMAL, REPO
from conftest import make_entry as _make_entry

from kb.entries import inventory
from kb.cli import cli
from kb.entries.problems import Problem

STARTER = REPO / "entries"
STARTER_FILES = sorted(p for p in STARTER.glob("*.md") if p.name != "README.md")


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so that paths are printed as typed (relative)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def make_entry(directory: Path, name: str, front: str, body: str = "Un texte.\n") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return _make_entry(directory, name, front, body)


def entry(title: str, extra: str = "") -> str:
    """MINIMAL with another title (line 2) and extra fields from line 8 on."""
    return MINIMAL.replace('title: "Une étude"', f'title: "{title}"') + extra


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def summary(files: int, errors: int, warnings: int) -> str:
    """kb check's last line in English: one file, error or warning in the singular."""

    def n(count: int, noun: str) -> str:
        return f"{count} {noun}" if count == 1 else f"{count} {noun}s"

    return f"checked {n(files, 'file')}: {n(errors, 'error')}, {n(warnings, 'warning')}\n"


# --- the starter inventory -------------------------------------------------------------------


def test_starter_inventory_has_at_least_30_entries() -> None:
    assert len(STARTER_FILES) >= 30


def test_starter_inventory_is_clean() -> None:
    result = inventory.load([STARTER])
    assert [str(p) for p in result.problems] == []
    assert result.files == len(STARTER_FILES)
    assert sorted(e.id for e in result.entries) == [p.stem for p in STARTER_FILES]


def test_every_starter_entry_has_a_body() -> None:
    entries = inventory.load([STARTER]).entries
    assert len(entries) == len(STARTER_FILES)
    for entry_ in entries:
        text = [line for line in entry_.body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        assert text, entry_.id  # more than headings
        assert "<!-- Ce qu'est le document" not in entry_.body, entry_.id  # no 'kb new' guidance left behind
        assert "<!-- Wat het document is" not in entry_.body, entry_.id


def test_starter_inventory_passes_kb_check_strict(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = runner.invoke(cli, ["check", "--strict"])  # entries/ by default
    no_traceback(result)
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == summary(len(STARTER_FILES), 0, 0)
    assert "0 errors, 0 warnings" in result.output


def test_copy_of_starter_inventory_passes(runner: CliRunner, entries_dir: Path) -> None:
    result = runner.invoke(cli, ["check", "--strict", "--format", "github", str(entries_dir)])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == summary(len(STARTER_FILES), 0, 0)


def test_kb_entries_environment_variable(
    runner: CliRunner, entries_dir: Path, here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_entry(entries_dir, "en-trop", MINIMAL + "year: 2020\n")
    monkeypatch.setenv("KB_ENTRIES", str(entries_dir))
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert result.stderr == summary(len(STARTER_FILES) + 1, 1, 0)


# --- checks across files ---------------------------------------------------------------------


def test_same_id_in_two_folders(runner: CliRunner, here: Path) -> None:
    make_entry(here / "a", "meme-id", entry("Première étude"))
    make_entry(here / "b", "meme-id", entry("Autre chose entièrement"))
    expected = (
        "b/meme-id.md:1: error: the id 'meme-id' is already used by a/meme-id.md -- rename one of the files: "
        "each entry needs its own id"
    )
    result = inventory.load([Path("a"), Path("b")])
    assert [str(p) for p in result.problems] == [expected]
    assert [e.path for e in result.entries] == ["a/meme-id.md"]

    cli_result = runner.invoke(cli, ["check", "a", "b/meme-id.md"])
    assert cli_result.exit_code == 1
    assert cli_result.stdout == expected + "\n"
    assert cli_result.stderr == summary(2, 1, 0)


def test_same_file_named_twice_is_checked_once(runner: CliRunner, here: Path) -> None:
    make_entry(here / "entries", "seule", MINIMAL)
    result = runner.invoke(cli, ["check", "entries", "entries/seule.md", "./entries/seule.md"])
    assert result.exit_code == 0, result.output
    assert result.stderr == summary(1, 0, 0)


@pytest.mark.parametrize(
    "doi_a,doi_b",
    [
        ("10.1234/abcd", "10.1234/abcd"),
        ("10.1234/abcd", "https://doi.org/10.1234/ABCD"),
        ("doi:10.1234/x", "10.1234/x"),
    ],
)
def test_same_doi_is_an_error(here: Path, doi_a: str, doi_b: str) -> None:
    make_entry(here, "aaa", entry("Atlas de la santé", f"doi: {doi_a}\n"))
    make_entry(here, "bbb", entry("Baromètre social", f"url: https://example.org/b\ndoi: {doi_b}\n"))
    assert [str(p) for p in inventory.load([Path(".")]).problems] == [
        "bbb.md:9: error: same doi as aaa.md: this looks like the same document twice -- merge the two entries, "
        "or point each to its own document"
    ]


@pytest.mark.parametrize(
    "url_a,url_b",
    [
        ("https://example.org/rapport.pdf", "https://example.org/rapport.pdf"),
        ("https://example.org/rapport/", "https://example.org/rapport"),
        ("https://Example.org/Rapport", "https://example.org/rapport"),
    ],
)
def test_same_url_is_a_warning(runner: CliRunner, here: Path, url_a: str, url_b: str) -> None:
    make_entry(here, "aaa", entry("Atlas de la santé", f"url: {url_a}\n"))
    make_entry(here, "bbb", entry("Baromètre social", f"url: {url_b}\n"))
    expected = (
        "bbb.md:8: warning: same url as aaa.md: this looks like the same document twice -- merge the two "
        "entries, or point each to its own document"
    )
    assert [str(p) for p in inventory.load([Path(".")]).problems] == [expected]
    assert runner.invoke(cli, ["check", "."]).exit_code == 0
    strict = runner.invoke(cli, ["check", "--strict", "."])
    assert strict.exit_code == 1
    assert strict.stdout == expected + "\n"


def test_different_urls_and_dois_are_fine(here: Path) -> None:
    make_entry(here, "aaa", entry("Atlas de la santé", "url: https://example.org/a\ndoi: 10.1234/a\n"))
    make_entry(here, "bbb", entry("Baromètre social", "url: https://example.org/b\ndoi: 10.1234/b\n"))
    assert inventory.load([Path(".")]).problems == []


@pytest.mark.parametrize(
    "title_a,title_b,similar",
    [
        ("Étude des quartiers de Bruxelles", "Étude des quartiers de Bruxelles", True),
        ("Étude des quartiers de Bruxelles", "ETUDE DES QUARTIERS DE BRUXELLES", True),
        ("Étude des quartiers de Bruxelles", "Etude des quartiers, de Bruxelles !", True),
        ("Portrait du bassin Nord", "Portrait du basin Nord", True),  # one typo
        ("Analyse des bassins de soins à Bruxelles", "Analyse des basins de soin à Bruxelles", True),  # two typos
        ("Santé et social à Bruxelles", "Social et santé à Bruxelles", True),  # same words
        ("Bassin Nord", "Bassin Nord-Est", False),  # a word more: another bassin
        ("Portrait du Bassin Nord", "Portrait du Bassin Sud", False),
        ("Baromètre social 2022", "Baromètre social 2023", False),  # another edition
        ("Baromètre social 2022", "Baromètre social", False),
        ("Atlas de la santé", "Plan social-santé intégré", False),
    ],
)
def test_near_identical_titles(here: Path, title_a: str, title_b: str, similar: bool) -> None:
    make_entry(here, "aaa", entry(title_a))
    make_entry(here, "bbb", entry(title_b))
    expected = [
        "bbb.md:2: warning: the title is nearly the same as in aaa.md -- check they are different documents; "
        "if so, make the titles say how"
    ]
    assert [str(p) for p in inventory.load([Path(".")]).problems] == (expected if similar else [])


def test_near_identical_titles_among_many(here: Path) -> None:
    # The starter inventory, plus a copy of one of its titles with a typo: found among all of them.
    target = here / "entries"
    shutil.copytree(STARTER, target)
    (target / "README.md").unlink()
    original = inventory.load([target]).entries[7]
    typo = original.title.replace("e", "é", 1)
    assert typo != original.title
    make_entry(target, "zzz-copie", entry(typo.replace('"', "'")))
    problems = [p for p in inventory.load([Path("entries")]).problems]
    assert [(p.path, p.severity) for p in problems] == [("entries/zzz-copie.md", "warning")]
    assert problems[0].message == f"the title is nearly the same as in entries/{original.id}.md"


IFA = (
    "Note de vision de l'Inter-fédération ambulatoire : organisation de l'aide et des soins de première ligne "
    "en Région bruxelloise"
)
REWORDED = (
    "likely the same document as {other}: the titles differ only in accents, punctuation, a subtitle, "
    "word order or an abbreviation, and the {same} is the same -- merge the two entries, or make the titles "
    "say how the documents differ"
)


@pytest.mark.parametrize(
    "title_b,extra_a,extra_b,same",
    [
        ("Note de vision de l'IFA", "", "", "year"),  # the subtitle dropped, the abbreviation used
        (
            "Organisation de l’aide et des soins de première ligne en région bruxelloise – note de vision de l'IFA",
            "",
            "",
            "year",
        ),  # word order, another apostrophe, a dash, the abbreviation
        ("NOTE DE VISION DE L'INTER-FEDERATION AMBULATOIRE", "", "", "year"),  # case and accents, no subtitle
        ("Note de vision de l'IFA", "organisations: [ifa]\n", "organisations: [ifa]\n", "organisation"),
    ],
)
def test_reworded_titles_with_the_same_year_or_organisation(
    here: Path, title_b: str, extra_a: str, extra_b: str, same: str
) -> None:
    make_entry(here, "aaa", entry(IFA, extra_a))
    other_year = "year: 2021" if same == "year" else "year: 2023"
    make_entry(here, "bbb", entry(title_b.replace('"', "'"), extra_b).replace("year: 2021", other_year))
    problems = [str(p) for p in inventory.load([Path(".")]).problems]
    assert problems == [f"bbb.md:2: warning: {REWORDED.format(other='aaa.md', same=same)}"]


@pytest.mark.parametrize(
    "title_a,title_b,extra_b",
    [
        (IFA, "Note de vision de l'IFA", "year: 2020\n"),  # another year, no organisation in common
        ("Bassin Nord : portrait", "Bassin Nord : diagnostic", ""),  # two documents of a series
        ("Portrait du bassin Nord", "Portrait du bassin Sud", ""),
        ("Plan social-santé intégré", "Plan stratégique de promotion de la santé", ""),
        ("Atlas", "Atlas : les communes", ""),  # one word is too little to tell
    ],
)
def test_reworded_titles_not_reported(here: Path, title_a: str, title_b: str, extra_b: str) -> None:
    make_entry(here, "aaa", entry(title_a))
    front = entry(title_b)
    if extra_b:
        front = front.replace("year: 2021\n", extra_b)
    make_entry(here, "bbb", front)
    assert [str(p) for p in inventory.load([Path(".")]).problems] == []


def test_reworded_copy_of_a_starter_entry_is_found(runner: CliRunner, here: Path) -> None:
    target = here / "entries"
    shutil.copytree(STARTER, target)
    (target / "README.md").unlink()
    make_entry(
        target,
        "zz-ifa-vision-copie",
        entry(
            "Organisation de l'aide et des soins de première ligne en Région bruxelloise : note de vision de l'IFA"
        ).replace("2021", "2020"),
    )
    result = runner.invoke(cli, ["check", "entries"])
    assert result.exit_code == 0
    assert result.output.splitlines()[0] == (
        "entries/zz-ifa-vision-copie.md:2: warning: "
        + REWORDED.format(other="entries/note-vision-ifa-2020.md", same="year")
    )


# --- Problem lines ---------------------------------------------------------------------------


def test_problem_line_formats() -> None:
    problem = Problem("entries/a,b:c.md", 7, "error", "50% done\r\nand more", "fix it")
    assert str(problem) == "entries/a,b:c.md:7: error: 50% done\r\nand more -- fix it"
    assert problem.github() == (
        "::error file=entries/a%2Cb%3Ac.md,line=7,title=kb check::50%25 done%0D%0Aand more -- fix it"
    )
    assert Problem("x.md", 1, "warning", "m", "f").github() == "::warning file=x.md,line=1,title=kb check::m -- f"


def test_problems_sort_by_path_then_line() -> None:
    problems = [
        Problem("b.md", 1, "error", "m", "f"),
        Problem("a.md", 10, "warning", "m", "f"),
        Problem("a.md", 2, "error", "m", "f"),
    ]
    assert [(p.path, p.line) for p in sorted(problems)] == [("a.md", 2), ("a.md", 10), ("b.md", 1)]


# --- the command -----------------------------------------------------------------------------


def test_a_valid_file_exits_0(runner: CliRunner, here: Path) -> None:
    make_entry(here, "bonne", MINIMAL)
    result = runner.invoke(cli, ["check", "bonne.md"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == summary(1, 0, 0)


def test_errors_exit_1_with_one_line_each(runner: CliRunner, here: Path) -> None:
    make_entry(here, "mauvaise", MINIMAL.replace("year: 2021", "year: twenty") + "url: nowhere\n")
    result = runner.invoke(cli, ["check", "mauvaise.md"])
    no_traceback(result)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "mauvaise.md:4: error: year must be a whole number, not 'twenty' -- write four digits, e.g. 2021",
        "mauvaise.md:8: error: url 'nowhere' is not a web address -- write the full address, starting with https://, "
        "without spaces",
    ]
    assert result.stderr == summary(1, 2, 0)


@pytest.mark.parametrize("strict,exit_code", [(False, 0), (True, 1)])
def test_warnings_fail_only_with_strict(runner: CliRunner, here: Path, strict: bool, exit_code: int) -> None:
    make_entry(here, "avertie", MINIMAL + "titel: x\n")
    result = runner.invoke(cli, ["check", *(["--strict"] if strict else []), "avertie.md"])
    assert result.exit_code == exit_code
    assert result.stdout == "avertie.md:8: warning: unknown field 'titel' is ignored -- did you mean 'title'?\n"
    assert result.stderr == summary(1, 0, 1)


def test_format_github(runner: CliRunner, here: Path) -> None:
    make_entry(here / "sub", "mauvaise", MINIMAL.replace("year: 2021", "year: twenty") + "titel: x\n")
    result = runner.invoke(cli, ["check", "--format", "github", "sub"])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=sub/mauvaise.md,line=4,title=kb check::year must be a whole number, not 'twenty' -- "
        "write four digits, e.g. 2021",
        "::warning file=sub/mauvaise.md,line=8,title=kb check::unknown field 'titel' is ignored -- "
        "did you mean 'title'?",
    ]
    assert result.stderr == summary(1, 1, 1)


def test_format_must_be_known(runner: CliRunner, here: Path) -> None:
    result = runner.invoke(cli, ["check", "--format", "json", "."])
    assert result.exit_code == 2
    assert "'json' is not one of 'text', 'github'" in result.output


def test_folders_and_files(runner: CliRunner, here: Path) -> None:
    folder = here / "entries"
    make_entry(folder, "une", MINIMAL)
    make_entry(folder, "deux", MINIMAL.replace("Une étude", "Un atlas des communes") + "titel: x\n")
    (folder / "README.md").write_text("# Not an entry\n", encoding="utf-8")  # skipped in a folder
    (folder / "notes.txt").write_text("not an entry\n", encoding="utf-8")  # not .md
    make_entry(here / "ailleurs", "trois", "title: x")

    folder_only = runner.invoke(cli, ["check", "entries"])
    assert folder_only.exit_code == 0
    assert folder_only.stderr == summary(2, 0, 1)

    both = runner.invoke(cli, ["check", "entries", "ailleurs/trois.md"])
    assert both.exit_code == 1
    assert both.stderr == summary(3, 5, 1)
    assert [line.split(":")[0] for line in both.stdout.splitlines()] == ["ailleurs/trois.md"] * 5 + ["entries/deux.md"]

    # A README named on purpose is checked like any file.
    readme = runner.invoke(cli, ["check", "entries/README.md"])
    assert readme.exit_code == 1
    assert readme.stdout.startswith("entries/README.md:1: error: the file has no front matter")


def test_default_folder_and_entries_option(runner: CliRunner, here: Path) -> None:
    make_entry(here / "entries", "bonne", MINIMAL)
    make_entry(here / "autres", "mauvaise", "title: x")
    assert runner.invoke(cli, ["check"]).stderr == summary(1, 0, 0)
    other = runner.invoke(cli, ["check", "--entries", "autres"])
    assert other.exit_code == 1
    assert other.stderr == summary(1, 5, 0)


def test_empty_folder(runner: CliRunner, here: Path) -> None:
    (here / "vide").mkdir()
    result = runner.invoke(cli, ["check", "vide"])
    assert result.exit_code == 0
    assert result.stderr == summary(0, 0, 0)


def test_nonexistent_path_is_a_usage_error(runner: CliRunner, here: Path) -> None:
    make_entry(here, "bonne", MINIMAL)
    result = runner.invoke(cli, ["check", "bonne.md", "absent.md", "nulle-part"])
    no_traceback(result)
    assert result.exit_code == 2
    assert "Error: no such file or folder: absent.md, nulle-part" in result.output
    assert "checked" not in result.output


def test_missing_default_folder_is_a_usage_error(runner: CliRunner, here: Path) -> None:
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 2
    assert "Error: no such file or folder: entries" in result.output


def front(text: str, body: str = "Un texte.\n") -> bytes:
    return f"---\n{text}---\n{body}".encode("utf-8")


def laughs() -> bytes:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 30)]
    return front(MINIMAL + "\n".join(lines) + "\n")


# Every kind of bad file, and the first line kb check must print for it.
BAD_FILES = {
    "missing-field": (front(MINIMAL.replace("type: study\n", "")), "missing-field.md:1: error: type is missing"),
    "empty-field": (front(MINIMAL.replace('"Une étude"', "")), "empty-field.md:2: error: title is empty"),
    "title-list": (front(MINIMAL.replace('"Une étude"', "[a, b]")), "title-list.md:2: error: title must be text"),
    "year-text": (front(MINIMAL.replace("2021", "twenty")), "year-text.md:4: error: year must be a whole number"),
    "year-range": (front(MINIMAL.replace("2021", "1850")), "year-range.md:4: error: year 1850 is out of range"),
    "criteria-map": (
        front(MINIMAL.replace("[population_size]", "{a: b}")),
        "criteria-map.md:6: error: criteria must be a list",
    ),
    "unknown-value": (
        front(MINIMAL.replace("[region]", "[regoin]")),
        "unknown-value.md:5: error: scale 'regoin' is not in the scales vocabulary -- did you mean",
    ),
    "duplicate-key": (front(MINIMAL + "type: report\n"), "duplicate-key.md:8: error: 'type' appears twice"),
    "bad-url": (front(MINIMAL + "url: 'http://[x'\n"), "bad-url.md:8: error: url"),
    "bad-doi": (front(MINIMAL + "doi: abc\n"), "bad-doi.md:8: error: doi 'abc' is not a DOI"),
    "bad-date": (front(MINIMAL + "date: 2021-02-30\n"), "bad-date.md:8: error: date '2021-02-30' is not a real date"),
    "date-year": (front(MINIMAL + "date: 2019-01\n"), "date-year.md:8: error: date 2019-01 is not in year 2021"),
    "id-mismatch": (front(MINIMAL + "id: autre\n"), "id-mismatch.md:8: error: id 'autre' does not match"),
    "Bad_Name": (front(MINIMAL), "Bad_Name.md:1: error: the file name 'Bad_Name.md' is not a valid id"),
    "empty-body": (front(MINIMAL, "## Contenu\n<!-- à écrire -->\n"), "empty-body.md:9: error: the body is empty"),
    "no-front-matter": (b"Juste du texte.\n", "no-front-matter.md:1: error: the file has no front matter"),
    "unclosed": (b"---\n" + MINIMAL.encode(), "unclosed.md:1: error: the front matter is not closed"),
    "broken-yaml": (front(MINIMAL + "links: [a, b\n"), "broken-yaml.md:9: error: the front matter is not valid"),
    "open-quote": (front(MINIMAL + 'summary: "pas fermé\n'), "open-quote.md:8: error: the value of 'summary' opens"),
    "control-char": (front(MINIMAL + "summary: a\x07b\n"), "control-char.md:8: error: the front matter contains"),
    "binary": (bytes(range(256)) * 4, "binary.md:1: error: this is not a text file"),
    "latin-1": (front(MINIMAL).replace("é".encode(), b"\xe9"), "latin-1.md:2: error: the file is not valid UTF-8"),
    "huge": (b"---\n" + b"x" * 5_000_000, "huge.md:1: error: the file is 5.0 MB"),
    "bomb": (laughs(), "bomb.md:8: error: YAML anchors and aliases"),
    "deep-open": (front(MINIMAL + "summary: " + "[" * 10000 + "\n"), "deep-open.md:"),
    "deep": (
        front(MINIMAL + "summary: " + "[" * 10000 + "]" * 10000 + "\n"),
        "deep.md:8: error: the front matter nests",
    ),
    "deep-huge": (front(MINIMAL + "summary: " + "[" * 900_000 + "\n"), "deep-huge.md:8: error: the front matter nests"),
    "dashes": (front(MINIMAL + "summary:\n" + "- " * 400_000 + "x\n"), "dashes.md:9: error: the front matter nests"),
    "brackets": (b"[" * 10000, "brackets.md:1: error: the file has no front matter"),
    "big-int": (front(MINIMAL.replace("2021", "9" * 5000)), "big-int.md:4: error: year cannot be read"),
    "python-tag": (
        front(MINIMAL + "summary: !!python/object/apply:os.system [ls]\n"),
        "python-tag.md:8: error: summary cannot be read",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_reported_without_traceback(runner: CliRunner, here: Path, name: str) -> None:
    data, first_line = BAD_FILES[name]
    (here / f"{name}.md").write_bytes(data)
    result = runner.invoke(cli, ["check", f"{name}.md"])
    no_traceback(result)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines and lines[0].startswith(first_line), lines
    assert all(line.startswith(f"{name}.md:") and " -- " in line for line in lines), lines


def test_all_bad_files_in_one_run(runner: CliRunner, here: Path) -> None:
    folder = here / "bad"
    folder.mkdir()
    for name, (data, _) in BAD_FILES.items():
        (folder / f"{name}.md").write_bytes(data)
    (folder / "dossier.md").mkdir()  # a folder that looks like an entry
    (folder / "lien.md").symlink_to(folder / "nowhere.md")  # a broken link
    make_entry(folder, "bonne", MINIMAL.replace("Une étude", "La seule bonne entrée du dossier"))
    for output_format in ("text", "github"):
        result = runner.invoke(cli, ["check", "--format", output_format, "bad"])
        no_traceback(result)
        assert result.exit_code == 1
        reported = {
            line.split(":")[0] if output_format == "text" else line.split(",")[0].split("=")[1]
            for line in result.stdout.splitlines()
        }
        assert reported == {f"bad/{name}.md" for name in [*BAD_FILES, "dossier", "lien"]}
        assert result.stderr.startswith(f"checked {len(BAD_FILES) + 3} files: ")


def test_fifos_sockets_and_links_leading_outside_are_reported_never_read(
    tmp_path: Path, entries_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO named *.md once made kb check wait forever, and a link to a file outside entries/
    published it: each is an error, not read, in kb check, kb index and kb build alike."""
    import os
    import socket
    import subprocess
    import sys

    secret = tmp_path / "secret.md"
    secret.write_text(f"---\n{MINIMAL}---\nTexte secret.\n", encoding="utf-8")
    os.symlink(secret, entries_dir / "dehors.md")
    os.symlink("barometre-social-2023.md", entries_dir / "lien-interne.md.txt")  # not an entry name: ignored
    os.mkfifo(entries_dir / "tuyau.md")
    server = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(entries_dir)  # a socket's path is limited to 108 bytes: bind it by its short name
    server.bind("prise.md")
    expected = [
        f"entries/dehors.md:1: error: the file is a symbolic link to {secret}, outside entries -- copy the file "
        "into the folder instead of linking to it: kb never reads outside the entries folder",
        "entries/prise.md:1: error: this is a socket, not a file: it is not read -- remove it, or put the entry "
        "in a regular .md file",
        "entries/tuyau.md:1: error: this is a named pipe (FIFO), not a file: it is not read -- remove it, or put "
        "the entry in a regular .md file",
    ]
    try:
        for command in (["check"], ["index"], ["build", "--quiet"]):
            result = subprocess.run(
                [sys.executable, "-m", "kb", *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 1, command
            lines = (result.stdout + result.stderr).splitlines()
            assert [line for line in lines if line.startswith("entries/")] == expected, command
            assert "Traceback" not in result.stderr
        assert not (tmp_path / "site").exists()
    finally:
        server.close()


def test_editions_of_one_work_are_not_duplicates(tmp_path: Path) -> None:
    """Same title, another year and an edition named: two editions, not the same document twice."""
    front = (
        "title: Analyse dynamique des quartiers en difficulté\ntype: atlas\nscale: [secteur_statistique]\n"
        "criteria: [socio_economic_deprivation]\nlanguage: fr\norganisations: [Université libre de Bruxelles]\n"
    )
    make_entry(tmp_path, "analyse-2006", front + "year: 2006")
    make_entry(tmp_path, "analyse-2015", front + "year: 2015\nedition: 3e édition")
    assert inventory.load([tmp_path]).problems == []
    make_entry(tmp_path, "analyse-2015-bis", front + "year: 2015\nedition: 3e édition")
    assert [p.key for p in (x.what for x in inventory.load([tmp_path]).problems)] == ["check.similar_title"]
