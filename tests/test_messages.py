"""What kb build and kb index say when they fail, provoked for real: the catalogue's line in the
language asked for (--lang, as kb check), naming the fix, exit status 1, no traceback, and the
last good site kept. The expected lines are built from the catalogue, never from a dependency's
wording (the operating system's reason is a value, not checked)."""

from __future__ import annotations

import errno
import json
import hashlib
import os
import re
import shutil
import string
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, make_entry
from kb import i18n, lock
from kb.cli import cli
from kb.config import Config
from kb.entries import vocab
from kb.entries.inventory import Changes
from kb.entries.vocab import VocabularyError
from kb.i18n import Said
from kb.site import limits


def digest(root: Path) -> dict[str, str]:
    """Every file of ``root`` and its hash: the live site, byte for byte."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def failed(result, lang: str, *lines: str) -> None:
    """The command ended with exactly these error lines, the first after 'Error: ' in ``lang``."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    said = result.output.strip().splitlines()[-len(lines) :]
    assert said == [i18n.t(lang, "cli.error", text=lines[0]), *lines[1:]], result.output


def said(key: str, lang: str, reason: Said, site: Path) -> str:
    return i18n.message(key, reason=reason, site=site).render(lang)


@pytest.fixture
def built(runner, tmp_path, entries_dir, monkeypatch) -> Path:
    """The starter inventory built once without search (a live site, no search bundle yet); the
    tests run in its folder."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["build", "--quiet", "--no-search"])
    assert result.exit_code == 0, result.output
    return tmp_path / "site"


def test_pagefind_past_its_time_limit_in_french_and_dutch(runner, built, monkeypatch):
    before = digest(built)
    monkeypatch.setenv("KB_PAGEFIND_TIMEOUT", "0")
    result = runner.invoke(cli, ["build", "--quiet", "--lang", "fr,nl"])
    reason = Said("pagefind.timeout", limit="0", log=Path.cwd() / ".kb" / "site" / "pagefind.log", longer="900")
    failed(result, "fr", said("outcome.not_built", "fr", reason, built), said("outcome.not_built", "nl", reason, built))
    assert "KB_PAGEFIND_TIMEOUT=900" in result.output
    assert digest(built) == before


def test_a_broken_pagefind_in_dutch(runner, built, tmp_path, monkeypatch):
    """Pagefind's package without its program (a broken install): it fails, and kb says where
    its log is and what to check."""
    shadow = tmp_path / "shadow" / "pagefind"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    before = digest(built)
    result = runner.invoke(cli, ["build", "--quiet", "--lang", "nl"])
    log = Path.cwd() / ".kb" / "site" / "pagefind.log"
    code = int(result.output.split("afsluitcode ")[1].split(")")[0]) if "afsluitcode " in result.output else None
    assert code, result.output
    failed(result, "nl", said("outcome.not_built", "nl", Said("pagefind.failed", code=code, log=log), built))
    assert "python -m pip install ." in result.output
    assert digest(built) == before


def test_search_behind_the_live_pages_in_french(runner, built, entries_dir, monkeypatch):
    assert runner.invoke(cli, ["build", "--quiet"]).exit_code == 0
    edited = entries_dir / "barometre-social-2023.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    bundle = digest(built / "pagefind")
    monkeypatch.setenv("KB_PAGEFIND_TIMEOUT", "0")
    result = runner.invoke(cli, ["build", "--quiet", "--lang", "fr"])
    reason = Said("pagefind.timeout", limit="0", log=Path.cwd() / ".kb" / "site" / "pagefind.log", longer="900")
    failed(result, "fr", said("outcome.search_behind", "fr", reason, built))
    assert "Une phrase de plus." in (built / "fr" / "entries" / "barometre-social-2023" / "index.html").read_text()
    assert set(bundle) <= set(digest(built / "pagefind"))  # the last bundle is still there (and the delta)


def test_an_output_that_cannot_be_written_in_french(runner, built, tmp_path):
    (tmp_path / "file").write_text("a file, not a folder")
    result = runner.invoke(cli, ["build", "--quiet", "-o", "file/site", "--lang", "fr"])
    path = tmp_path / "file" / ".site.next"
    reason = Said("fault.system", path=path, reason=os.strerror(errno.ENOTDIR))
    failed(result, "fr", said("outcome.not_built", "fr", reason, Path("file/site")))
    assert (tmp_path / "file").read_text() == "a file, not a folder"


def test_more_memory_than_the_limit_in_dutch(runner, built, tmp_path, entries_dir):
    before = digest(built)
    (tmp_path / "kb.yml").write_text("memory_limit: 1\n")
    result = runner.invoke(cli, ["build", "--quiet", "--lang", "nl"])
    entries = len(list(entries_dir.glob("*.md")))
    need = limits.estimate(entries, Config().search_shard_size, incremental=True).memory_mb  # (over the built site)
    reason = Said("build.memory", entries=entries, need=need, have=1, per=limits.PAGEFIND_BYTES_PER_ENTRY // 1000)
    failed(result, "nl", said("outcome.not_built", "nl", reason, built))
    assert digest(built) == before


def test_a_held_lock_in_french(runner, built, tmp_path):
    before = digest(built)
    path = tmp_path / ".kb" / "lock"
    with lock.hold(path, "kb build"):
        holder = path.read_text()
        result = runner.invoke(cli, ["build", "--quiet", "--wait", "0.3", "--lang", "fr"])
    assert result.output.startswith(i18n.t("fr", "lock.waiting", holder=holder, wait="0.3") + "\n")
    failed(
        result, "fr", said("outcome.not_built", "fr", Said("lock.busy", wait="0.3", holder=holder, path=path), built)
    )
    assert "--wait SECONDES" in result.output
    assert digest(built) == before


def test_a_bad_kb_yml_in_dutch(runner, built, tmp_path):
    before = digest(built)
    (tmp_path / "kb.yml").write_text("bogus: 1\n")
    result = runner.invoke(cli, ["build", "--quiet", "--lang", "nl"])
    assert result.output.startswith("kb.yml:1: " + i18n.t("nl", "severity.error") + ": ")
    failed(result, "nl", said("outcome.not_built", "nl", Said("fault.config_one", errors=1, command="kb build"), built))
    assert digest(built) == before


def test_entries_with_errors_in_french_for_build_and_index(runner, built, entries_dir):
    before = digest(built)
    make_entry(entries_dir, "cassee", "title: Cassée\ntype: report\nyear: 20x1\n")
    make_entry(entries_dir, "cassee-aussi", "title: Cassée\ntype: report\nyear: 20x1\n")
    build = runner.invoke(cli, ["build", "--quiet", "--lang", "fr"])
    errors = sum(1 for line in build.output.splitlines() if line.startswith("entries/cassee"))
    assert errors > 2 and ": erreur: " in build.output
    failed(
        build, "fr", said("outcome.not_built", "fr", Said("fault.entries", errors=errors, command="kb build"), built)
    )
    index = runner.invoke(cli, ["index", "--lang", "fr"])
    reason = Said("fault.entries", errors=errors, command="kb index")
    failed(index, "fr", i18n.message("outcome.not_indexed", reason=reason).render("fr"))
    assert digest(built) == before


def test_an_error_kb_did_not_foresee_in_dutch(runner, built, monkeypatch):
    """A bug (here the JSON encoder failing under kb stats --json): one line in the language
    asked for, exit status 1, no traceback on screen; the traceback is in the file it names."""
    import json

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(json, "dumps", broken)
    result = runner.invoke(cli, ["stats", "--json", "--lang", "nl"])
    line = result.output.strip().splitlines()[-1].removeprefix(i18n.t("nl", "cli.error", text=""))
    assert re.fullmatch(pattern("nl", "cli.unexpected", error="RuntimeError"), line), result.output
    failed(result, "nl", line)
    log = Path(line.rsplit(" ", 1)[1])
    try:
        assert "RuntimeError: boom" in log.read_text(encoding="utf-8")
    finally:
        log.unlink()


def test_no_entries_folder_in_dutch(runner, built):
    result = runner.invoke(cli, ["index", "--entries", "nope", "--lang", "nl"])
    failed(
        result, "nl", i18n.message("outcome.not_indexed", reason=Said("fault.no_entries", folder="nope")).render("nl")
    )
    assert "--entries" in result.output


def test_progress_and_reports_in_the_language_asked_for(runner, built, entries_dir):
    entries = len(list(entries_dir.glob("*.md")))
    index = runner.invoke(cli, ["index", "--lang", "fr,nl"])
    assert index.exit_code == 0
    for lang in ("fr", "nl"):
        changes = Changes(unchanged=entries).message()  # (its counts in the language asked for)
        assert i18n.message("report.indexed", changes=changes, written=entries, removed=0).render(lang) in index.output
    edited = entries_dir / "barometre-social-2023.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    build = runner.invoke(cli, ["build", "--no-search", "--lang", "nl"])
    assert build.exit_code == 0, build.output
    assert re.search(pattern("nl", "report.built", output=built, entries=entries), build.output, re.M), build.output
    assert re.search(pattern("nl", "progress.pages", percent=100), build.output, re.M), build.output
    edited.write_text(edited.read_text(encoding="utf-8").replace('title: "', 'title: "Le ', 1), encoding="utf-8")
    build = runner.invoke(cli, ["build", "--no-search", "--lang", "fr"])  # a title: the downloads follow the pages
    assert build.exit_code == 0, build.output
    lines = build.output.replace("\r", "\n")  # a stage's progress is redrawn on its line
    assert re.search(pattern("fr", "progress.downloads", percent=100), lines, re.M), build.output


def pattern(lang: str, key: str, **known: object) -> str:
    """The catalogue's text ``key`` as a regular expression of a whole line: the ``known``
    values as they are, any text for the others."""
    parts = string.Formatter().parse(i18n.STRINGS[lang][key])
    return (
        "^"
        + "".join(
            re.escape(text) + (re.escape(str(known[name])) if name in known else ".+?" if name else "")
            for text, name, _, _ in parts
        )
        + "$"
    )


@pytest.mark.parametrize(
    "args,env,expected,status",
    [
        (
            ["search", "--scale", "regoin", "--lang", "fr"],
            {},
            Said("cli.not_in_vocabulary", value="regoin", vocabulary="scales", guess="region").render("fr"),
            2,
        ),
        (["check", "absent.md", "--lang", "nl"], {}, Said("cli.no_such_path", paths="absent.md").render("nl"), 2),
        (
            ["search", "--territory", "atlantis", "--lang", "nl"],
            {},
            Said("territory.unknown", text="atlantis").render("nl"),
            2,
        ),
        (
            ["search", "--year", "2022..2015", "--lang", "fr"],
            {},
            Said("years.backwards", text="2022..2015").render("fr"),
            2,
        ),
        (
            ["links", "--lang", "nl"],
            {"KB_LINKS_MAX_AGE": "soon"},
            Said("env.days", name="KB_LINKS_MAX_AGE", value="soon").render("nl"),
            2,
        ),
        (
            ["diff", "no-such-branch", "--lang", "fr"],
            {},
            i18n.t("fr", "diff.cannot_compare", base="no-such-branch", reason="\0").split("\0")[0],
            1,
        ),
        (["stats"], {"KB_LANG": "nl", "KB_ENTRIES": "nope"}, Said("fault.no_entries", folder="nope").render("nl"), 1),
        (["build", "--lang", "de"], {"KB_LANG": "nl"}, i18n.t("nl", "cli.bad_lang", value="de"), 2),
        (
            ["build", "--repository", "javascript:x", "--lang", "nl"],
            {},
            Said("check.not_url", field="repository", value="'javascript:x'").render("nl"),
            2,
        ),
    ],
)
def test_the_other_commands_refuse_in_the_language_asked_for(runner, built, args, env, expected, status):
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == status and expected in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_an_export_that_cannot_be_written_in_french(runner, built, tmp_path):
    (tmp_path / "file").write_text("a file, not a folder")
    result = runner.invoke(cli, ["export", "-o", "file/out.bib"], env={"KB_LANG": "fr"})
    reason = Said("fault.system", path="\0", reason="\0").render("fr")  # which file, and the system's reason
    line = i18n.t("fr", "outcome.not_exported", reason=reason)
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert re.fullmatch("Erreur\u00a0: " + ".+".join(map(re.escape, line.split("\0"))), result.output.strip()), (
        result.output
    )
    assert (tmp_path / "file").read_text() == "a file, not a folder"


def test_a_broken_vocabulary_in_dutch(tmp_path, entries_dir):
    """A vocabulary file without a label, in a copy of kb: kb check and kb build say so in the
    language of --lang, and nothing is built."""
    package = tmp_path / "checkout" / "kb"
    shutil.copytree(REPO / "kb", package, ignore=shutil.ignore_patterns("__pycache__"))
    scales = package / "vocabularies" / "scales.yaml"
    scales.write_text(scales.read_text(encoding="utf-8").replace("  nl: Gewest\n", "", 1), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package.parent)}
    problem = VocabularyError(
        Path("checkout/kb/vocabularies/scales.yaml"), 4, "vocab.no_label", id="region", langs="nl"
    )
    for command, line in (
        (["check", "--lang", "nl"], i18n.message("vocab.nothing_done", problem=problem).render("nl")),
        (["build", "--lang", "nl"], said("outcome.not_built", "nl", problem, tmp_path / "site")),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "kb", *command], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert run.returncode == 1 and run.stderr.strip().splitlines() == [i18n.t("nl", "cli.error", text=line)], (
            run.stderr
        )
    assert not (tmp_path / "site").exists()


def test_kb_search_notes_in_the_language_asked_for(runner, built):
    assert runner.invoke(cli, ["index"]).exit_code == 0
    dutch = runner.invoke(cli, ["search", "--lang", "nl", "--", '"accessibilité'])
    assert dutch.exit_code == 0
    note = i18n.message("search.note", note=i18n.message("search.unclosed_quote")).render("nl")
    assert note in dutch.output.splitlines()
    french = runner.invoke(cli, ["search", "--lang", "fr", "--json", "--", "accessib* *ssibilit"])
    assert json.loads(french.stdout)["notes"] == [i18n.t("fr", "search.inner_wildcard")]


def test_a_warning_before_the_build_in_each_language_asked_for(runner, built, tmp_path, entries_dir):
    (tmp_path / "kb.yml").write_text("upload_limit: 1\n")
    result = runner.invoke(cli, ["build", "--quiet", "--no-search", "--lang", "fr,nl"], env={"KB_LANG": "en"})
    assert result.exit_code == 0, result.output
    entries = len(list(entries_dir.glob("*.md")))
    warning = Said("build.too_large", entries=entries, size=limits.estimate(entries, 12_500).upload_mb, limit=1)
    assert result.output.splitlines()[:2] == [warning.render("fr"), warning.render("nl")]


def test_kb_vocab_lists_in_the_language_of_kb_lang(runner):
    result = runner.invoke(cli, ["vocab"], env={"KB_LANG": "nl"})
    scales = len(vocab.load()["scales"])
    assert i18n.t("nl", "vocab.listed", name="scales", n=scales) in result.output.splitlines()


def test_kb_stats_reports_in_the_language_asked_for(runner, entries_dir):
    result = runner.invoke(cli, ["stats", "--entries", str(entries_dir), "--lang", "nl"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(i18n.t("nl", "stats.totals", total=len(list(entries_dir.glob("*.md"))), languages=""))
    assert i18n.t("nl", "stats.when") in lines
    brussels = next(line for line in lines if line.startswith("  21004 "))
    assert "Brussel " in brussels and f" {i18n.t('nl', 'stats.own')} " in brussels


def test_a_refused_option_is_framed_in_the_language_asked_for(runner, built):
    result = runner.invoke(cli, ["search", "--scale", "regoin", "--lang", "fr"])
    assert result.exit_code == 2
    said = Said("cli.not_in_vocabulary", value="regoin", vocabulary="scales", guess="region").render("fr")
    line = i18n.t("fr", "cli.error", text=i18n.t("fr", "cli.invalid", option="'--scale'", text=said))
    lines = result.output.splitlines()
    assert lines[-1] == line
    assert re.fullmatch(pattern("fr", "cli.try_help", option="--help"), lines[1]), lines


def test_the_kb_program_ends_as_python_would_flushed_and_with_its_status(runner, entries_dir, tmp_path):
    """``kb`` ends with os._exit (kb.cli.main, to skip freeing a build's objects one by one):
    the functions registered with atexit still run, the output piped out is whole, and the
    status is the command's."""
    program = (
        "import atexit, sys\n"
        "from kb.cli import main\n"
        "atexit.register(lambda: print('at exit', file=sys.stderr))\n"
        "main()\n"
    )
    listed = subprocess.run([sys.executable, "-c", program, "vocab", "criteria"], capture_output=True, text=True)
    assert listed.returncode == 0 and listed.stderr == "at exit\n", listed.stderr
    assert listed.stdout == runner.invoke(cli, ["vocab", "criteria"]).output
    refused = subprocess.run(
        [sys.executable, "-c", program, "check", str(tmp_path / "nowhere.md")], capture_output=True, text=True
    )
    assert refused.returncode == 2 and refused.stderr.endswith("at exit\n"), refused.stderr


def test_a_reader_that_stops_early_is_no_error(tmp_path):
    """``kb vocab criteria | head -1``: the pipe is closed before kb writes; kb ends quietly
    with status 1, no error line and no traceback file."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    run = subprocess.Popen(
        [sys.executable, "-m", "kb", "vocab", "criteria"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    run.stdout.close()  # long before kb has started
    _, errors = run.communicate(timeout=60)
    assert run.returncode == 1 and errors == b"", errors
    assert not list(tmp_path.glob("kb-error-*"))
