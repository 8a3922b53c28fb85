"""The ``kb`` command line: parses options and calls the core modules, nothing more.

Heavy modules (SQLAlchemy, Whoosh, the site renderer) are imported inside the commands that
need them, so that ``kb check`` and ``kb search`` start quickly.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from . import vocab
from .vocab import DIMENSIONS

ENTRIES_DIR = "entries"


def entries_option(func: Any) -> Any:
    return click.option(
        "--entries", "entries_dir", type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("KB_ENTRIES", ENTRIES_DIR), show_default="entries (or $KB_ENTRIES)",
        help="Folder of entry files.",
    )(func)


class VocabValues(click.ParamType):
    """Values from one vocabulary, repeated or comma-separated, with completion and suggestions."""

    name = "ids"

    def __init__(self, field_name: str):
        self.field_name = field_name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        vocabulary = vocab.load().for_field(self.field_name)
        result = []
        for item in (v.strip() for v in str(value).split(",")):
            if not item:
                continue
            if item not in vocabulary:
                guess = vocabulary.suggest(item)
                hint = f"did you mean '{guess}'?" if guess else f"'kb vocab {vocabulary.name}' lists the values"
                self.fail(f"'{item}' is not in the {vocabulary.name} vocabulary -- {hint}", param, ctx)
            result.append(item)
        return tuple(result)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        vocabulary = vocab.load().for_field(self.field_name)
        return [CompletionItem(t.id, help=t.label("fr")) for t in vocabulary if t.id.startswith(incomplete)]


def _flatten(values: tuple[tuple[str, ...], ...] | tuple[str, ...]) -> tuple[str, ...]:
    flat: list[str] = []
    for value in values:
        for item in value if isinstance(value, tuple) else (value,):
            if item not in flat:
                flat.append(item)
    return tuple(flat)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: the inventory of studies and projects on the territorialisation of social and
    health services in Brussels.

    Entries are Markdown files in entries/; kb checks them, indexes them into a SQL store and
    a full-text index, searches them, and builds the static inventory site.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@entries_option
@click.option("--format", "output_format", type=click.Choice(["text", "github"]), default="text",
              help="'github' prints GitHub Actions annotations.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
def check(paths: tuple[Path, ...], entries_dir: Path, output_format: str, strict: bool) -> None:
    """Check entry files (all of entries/ by default) and report every problem.

    Each problem is one line: file:line: error|warning: what is wrong -- how to fix it.
    Exits with 1 when there are errors (or warnings with --strict).
    """
    from . import inventory

    targets = list(paths) or [entries_dir]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        raise click.UsageError(f"no such file or folder: {', '.join(missing)}")
    result = inventory.load(targets)
    for problem in result.problems:
        click.echo(problem.github() if output_format == "github" else str(problem))
    errors, warnings = len(result.errors), len(result.warnings)
    click.echo(f"checked {result.files} files: {errors} errors, {warnings} warnings", err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command("vocab")
@click.argument("name", required=False, type=click.Choice(sorted(set(DIMENSIONS.values()))))
def vocab_command(name: str | None) -> None:
    """List the controlled vocabularies, or the values of one, with FR / NL / EN labels."""
    vocabularies = vocab.load()
    names = [name] if name else sorted(set(DIMENSIONS.values()))
    for vocabulary_name in names:
        vocabulary = vocabularies[vocabulary_name]
        if not name:
            click.echo(f"{vocabulary_name} ({len(vocabulary)} values): kb vocab {vocabulary_name}")
            continue
        for term in vocabulary:
            click.echo(f"{term.id}\t{term.labels['fr']} / {term.labels['nl']} / {term.labels['en']}")


def _prompt_values(field_name: str, text: str, required: bool) -> tuple[str, ...]:
    """Ask for vocabulary values, with tab completion where the terminal has readline."""
    vocabulary = vocab.load().for_field(field_name)
    _complete_with([t.id for t in vocabulary])
    click.echo(f"{vocabulary.name}: {', '.join(t.id for t in vocabulary)}", err=True)
    while True:
        answer = click.prompt(text, default="" if not required else None, show_default=False, err=True)
        try:
            values = VocabValues(field_name).convert(answer, None, None)
        except click.BadParameter as exc:
            click.echo(f"  {exc.message}", err=True)
            continue
        if values or not required:
            return values


def _complete_with(words: list[str]) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without readline
        return

    def complete(text: str, state: int) -> str | None:
        head, _, last = text.rpartition(",")
        matches = [f"{head},{w}" if head else w for w in words if w.startswith(last.strip())]
        return matches[state] if state < len(matches) else None

    readline.set_completer_delims(" ")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


@cli.command()
@entries_option
@click.option("--title", help="Title as the document gives it.")
@click.option("--type", "type_", type=VocabValues("type"), help="Entry type (kb vocab types).")
@click.option("--year", type=int, help="Year of publication or start.")
@click.option("--date", help="YYYY-MM or YYYY-MM-DD.")
@click.option("--author", "authors", multiple=True, help="A person, 'Family, Given' (repeatable).")
@click.option("--organisation", "organisations", multiple=True, help="Publishing institution (repeatable).")
@click.option("--partner", "partners", multiple=True, type=VocabValues("partners"), help="Partner ids.")
@click.option("--scale", multiple=True, type=VocabValues("scale"), help="Scale ids.")
@click.option("--criteria", multiple=True, type=VocabValues("criteria"), help="Criteria ids.")
@click.option("--territory", "territories", multiple=True, type=VocabValues("territories"), help="Territory ids.")
@click.option("--language", type=click.Choice(["fr", "nl", "en"]), help="Language of the entry.")
@click.option("--url", help="Where the document can be read.")
@click.option("--doi", help="DOI, 10.xxxx/yyyy.")
@click.option("--summary", help="One or two sentences.")
@click.option("--body", help="The Markdown body (default: headings to fill in).")
def new(entries_dir: Path, title: str | None, type_: tuple[str, ...], year: int | None, language: str | None,
        **fields: Any) -> None:
    """Create a new entry file, asking for what the options do not give.

    The id is chosen from the title; an existing file is never overwritten.
    """
    from .entry import parse_file
    from .new import write_entry

    title = title or click.prompt("Title", err=True)
    if not type_:
        type_ = _prompt_values("type", "Type", required=True)[:1]
    year = year or click.prompt("Year", type=click.IntRange(1950, 2100), err=True)
    for name, label, required in (("scale", "Scales (comma-separated)", True),
                                  ("criteria", "Criteria (comma-separated)", True),
                                  ("partners", "Partners (comma-separated, optional)", False)):
        fields[name] = _flatten(fields[name]) or _prompt_values(name, label, required)
    fields["territories"] = _flatten(fields["territories"])
    language = language or click.prompt("Language", type=click.Choice(["fr", "nl", "en"]), default="fr", err=True)
    body = fields.pop("body")
    record = dict(fields, title=title, type=type_[0], year=year, language=language)
    path = write_entry(entries_dir, record, body)
    click.echo(f"created {path}")
    for problem in parse_file(path, display=str(path)).problems:
        click.echo(f"  to do: {problem}", err=True)


