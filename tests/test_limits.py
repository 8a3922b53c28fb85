"""kb build says before it starts when the site would be too large for its host (a warning: it
builds on) or would need more memory than the machine leaves it (it refuses, the last good site
stays); both limits come from kb.yml, and the messages from the catalogue in FR, NL and EN."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import i18n
from kb.cli import cli
from kb.config import Config
from kb.site import limits


def build(runner, tmp_path: Path, settings: str, lang: str = "en"):
    (tmp_path / "kb.yml").write_text(settings, encoding="utf-8")
    return runner.invoke(cli, ["build", "--quiet", "--no-search"], env={"KB_LANG": lang})


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_the_estimates_grow_with_the_entries():
    for incremental in (False, True):
        small, large = limits.estimate(1_000, 20_000, incremental), limits.estimate(100_000, 20_000, incremental)
        assert small.upload_mb < large.upload_mb and small.memory_mb < large.memory_mb


def test_search_shards_bound_the_memory_pagefind_needs():
    whole, sharded = limits.estimate(100_000, 100_000), limits.estimate(100_000, 20_000)
    assert sharded.memory_mb < whole.memory_mb and sharded.upload_mb == whole.upload_mb
    default = limits.estimate(100_000, Config().search_shard_size)
    assert default.memory_mb <= 7_000  # a hosted 2-core runner's memory, with kb.yml's default
    assert limits.estimate(10_000, 5_000).memory_mb < limits.estimate(10_000, 20_000).memory_mb


def test_a_site_over_the_hosts_limit_is_built_with_a_warning_first(runner, tmp_path, entries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    entries = len(list(entries_dir.glob("*.md")))
    size = limits.estimate(entries, 20_000).upload_mb
    assert size > 1  # the starter inventory's estimate, over a limit of 1 MB
    result = build(runner, tmp_path, "upload_limit: 1\n")
    assert result.exit_code == 0, result.output
    assert i18n.t("en", "build.too_large", entries=entries, size=size, limit=1) in result.stderr
    assert i18n.t("en", "build.too_large.fix") in result.stderr
    assert (tmp_path / "site" / "fr" / "index.html").is_file()


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_the_warning_speaks_the_commands_language(runner, tmp_path, entries_dir, monkeypatch, lang):
    monkeypatch.chdir(tmp_path)
    entries = len(list(entries_dir.glob("*.md")))
    result = build(runner, tmp_path, "upload_limit: 1\n", lang)
    assert result.exit_code == 0, result.output
    size = limits.estimate(entries, 20_000).upload_mb
    assert i18n.t(lang, "build.too_large", entries=entries, size=size, limit=1) in result.stderr


def test_no_warning_under_the_limit_or_with_the_check_off(runner, tmp_path, entries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for settings in ("upload_limit: 1000\n", "upload_limit: 0\n"):
        result = build(runner, tmp_path, settings)
        assert result.exit_code == 0, result.output
        assert "upload_limit" not in result.stderr


def test_too_little_memory_refuses_to_build_and_keeps_the_site(runner, tmp_path, entries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert build(runner, tmp_path, "").exit_code == 0
    before = site_files(tmp_path / "site")
    (entries_dir / sorted(p.name for p in entries_dir.glob("*.md"))[0]).unlink()  # a change it would build
    result = build(runner, tmp_path, "memory_limit: 1\n")
    assert result.exit_code == 1
    entries = len(list(entries_dir.glob("*.md")))
    need = limits.estimate(entries, 20_000, incremental=True).memory_mb
    assert i18n.t("en", "build.memory", entries=entries, need=need, have=1) in result.stderr
    assert "Traceback" not in result.output
    assert site_files(tmp_path / "site") == before


def test_a_build_from_the_last_ones_trees_is_refused_only_for_what_it_needs(runner, tmp_path, entries_dir, monkeypatch):
    """A deploy after a few edits builds on the last build's trees (kb.site.build): it needs
    far less memory than a build from nothing (at 100,000 entries: 2.4 to 4.6 GB against 6.4),
    so a machine short of the latter still takes it."""
    monkeypatch.chdir(tmp_path)
    entries = len(list(entries_dir.glob("*.md")))
    whole = limits.estimate(entries, 20_000).memory_mb
    assert limits.estimate(entries, 20_000, incremental=True).memory_mb < whole
    short = f"memory_limit: {whole - 1}\n"
    assert build(runner, tmp_path, short).exit_code == 1  # from nothing
    assert build(runner, tmp_path, "").exit_code == 0
    path = entries_dir / "barometre-social-2023.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    result = build(runner, tmp_path, short)
    assert result.exit_code == 0, result.output
    page = tmp_path / "site" / "fr" / "entries" / path.stem / "index.html"
    assert "Une phrase de plus." in page.read_text(encoding="utf-8")


def test_the_memory_message_in_french_and_dutch(runner, tmp_path, entries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = build(runner, tmp_path, "memory_limit: 1\n", "fr,nl")
    assert result.exit_code == 1
    entries = len(list(entries_dir.glob("*.md")))
    values = dict(
        entries=entries,
        need=limits.estimate(entries, 20_000).memory_mb,
        have=1,
        per=limits.PAGEFIND_BYTES_PER_ENTRY // 1000,
    )
    for lang in ("fr", "nl"):
        assert i18n.t(lang, "build.memory", **values) in result.stderr
    assert not (tmp_path / "site").exists()


def test_a_limit_must_be_a_whole_number(runner, tmp_path, entries_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = build(runner, tmp_path, "memory_limit: lots\n")
    assert result.exit_code == 1
    assert "kb.yml:1: error:" in result.stderr and "memory_limit" in result.stderr


def test_the_machines_memory_is_read():
    with open("/proc/meminfo", encoding="ascii") as meminfo:
        total = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:")) * 1024 // limits.MB
    assert 0 < limits.available_memory_mb() <= total
