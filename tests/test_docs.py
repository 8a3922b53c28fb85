"""The documentation keeps up with the code: every command is documented and has help, the
quick start holds exactly the two commands CI and newcomers run."""

from __future__ import annotations

import re

import pytest

from conftest import REPO
from kb.cli import cli

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_is_documented_in_the_readme(name):
    assert f"### `kb {name}`" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(runner, name):
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert len(cli.commands[name].help or "") > 30


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```\n(.*?)\n```", quick, flags=re.S)
    assert commands == ["python -m pip install . && kb build", "bash scripts/test"]
    assert "bash scripts/test" in (REPO / ".ci" / "run").read_text()


def test_entries_readme_documents_every_schema_field():
    from kb.entries.schema import SCHEMA

    text = (REPO / "entries" / "README.md").read_text(encoding="utf-8")
    for name in SCHEMA:
        if name != "id":
            assert f"| `{name}` |" in text, name


def test_every_data_file_is_packaged():
    """`pip install .` (the quick start) must ship every template, asset and vocabulary."""
    import configparser
    import fnmatch

    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    data = config["options.package_data"]
    for package, folder in (("kb", "vocabularies"), ("kb.site", "templates"), ("kb.site", "assets")):
        root = REPO / package.replace(".", "/")
        patterns = [p.strip() for p in data[package].replace("\n", ",").split(",") if p.strip()]
        for path in (root / folder).rglob("*"):
            if path.is_file():
                relative = path.relative_to(root).as_posix()
                assert any(fnmatch.fnmatch(relative, p) for p in patterns), f"{relative} is not in package_data"


def test_every_configuration_key_is_documented():
    from kb.config import SETTINGS

    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for name in SETTINGS:
        assert f"| `{name}` |" in section, name


def test_every_check_scripts_test_runs_is_documented_with_how_to_run_it_alone():
    script = (REPO / "scripts" / "test").read_text(encoding="utf-8")
    run = script.split("# --- run ---", 1)[1]
    tools = set(re.findall(r'"\$VENV/bin/(\w+)"', run)) | set(re.findall(r'"\$VPY" -m (\w+)', run))
    assert tools >= {"ruff", "mypy", "vulture", "pytest"}
    section = README.split("## Development", 1)[1].split("\n## ", 1)[0]
    for tool in tools:
        assert f"| `{tool}" in section, f"README's Development table has no row for {tool}"
        if tool != "pytest":
            assert f"`.kb-test/venv/bin/{tool}" in section, f"README does not say how to run {tool} alone"
