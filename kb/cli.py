"""The ``kb`` command line: parses options and calls the core modules, nothing more.

Heavy modules (SQLAlchemy, Whoosh, the site renderer) are imported inside the commands that
need them, so that ``kb check`` and ``kb search`` start quickly.

Why one module of some 1,200 lines: it is the commands' table of contents. Each command is a
click function of a screen or less that turns options into a call to ``kb.project`` or to a
package, and the outcome into output and an exit status; the commands share their options
(``--entries``, the store and index paths, the filters, ``--lang``, ``--wait``) and the one
translation of refusals into messages (``_refusals``, ``_run_build``). Split by command, every
file would import those back, and ``kb --help`` would load them all anyway. What a command
does belongs in its package; only parsing options and printing belong here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from kb.entries import vocab
from kb.entries.problems import Problem
from kb.entries.vocab import DIMENSIONS
from kb.i18n import Message, Said, cli_languages, counted, message

ENTRIES_DIR = "entries"
LANGS = "kb.langs"  # in click's context meta: the languages --lang chose


def entries_option(func: Any) -> Any:
    return click.option(
        "--entries",
        "entries_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("KB_ENTRIES", ENTRIES_DIR),
        show_default="entries (or $KB_ENTRIES)",
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
                key = "cli.not_in_vocabulary" if guess else "cli.not_in_vocabulary_no_guess"
                raise Misuse(Said(key, value=item, vocabulary=vocabulary.name, guess=guess), ctx=ctx, param=param)
            result.append(item)
        return tuple(result)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        vocabulary = vocab.load().for_field(self.field_name)
        return [CompletionItem(t.id, help=t.label("fr")) for t in vocabulary if t.id.startswith(incomplete)]


class TerritoryValues(click.ParamType):
    """Territories by id, NIS code or French, Dutch or English name typed loosely
    (``molenbeek``, ``sint-jans-molenbeek``, ``Saint Gilles``), repeated or comma-separated."""

    name = "territories"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        from kb.entries.territories import UnknownTerritory, geography

        if isinstance(value, tuple):
            return value
        geo = geography(vocab.load())
        try:
            return tuple(geo.resolve(item) for item in str(value).split(",") if item.strip())
        except UnknownTerritory as exc:
            raise Misuse(exc, ctx=ctx, param=param) from None


def _flatten(values: tuple[tuple[str, ...], ...] | tuple[str, ...]) -> tuple[str, ...]:
    flat: list[str] = []
    for value in values:
        for item in value if isinstance(value, tuple) else (value,):
            if item not in flat:
                flat.append(item)
    return tuple(flat)


def store_options(func: Any) -> Any:
    """--entries, --db and --index-dir: where a command reads entries and keeps derived data."""
    func = click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Search index folder [default: .kb/whoosh or $KB_INDEX_DIR].",
    )(func)
    func = click.option(
        "--db",
        "database_url",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL of the store [default: sqlite:///.kb/kb.sqlite or $KB_DATABASE_URL].",
    )(func)
    return entries_option(func)


def wait_option(func: Any) -> Any:
    """--wait: how long a command waits for another kb run that holds the project (see kb.lock)."""
    from kb.lock import WAIT

    return click.option(
        "--wait",
        type=click.FloatRange(min=0),
        default=WAIT,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for another kb index, build or serve working on the same project before giving up.",
    )(func)


def _langs() -> tuple[str, ...]:
    """The languages of the command being run: its --lang (parsed before the other options, and
    kept in the contexts' shared meta, which the group's context sees too), else as
    kb.i18n.cli_languages decides (KB_LANG, the locale, English)."""
    ctx = click.get_current_context(silent=True)
    return (ctx.meta.get(LANGS) if ctx else None) or cli_languages()


def _lines(said: Said | Message | Problem, langs: tuple[str, ...] = ()) -> str:
    """A catalogued text (a Said, a Message, a Problem), one line per language the command speaks."""
    return "\n".join(said.render(lang) for lang in langs or _langs())


class Refusal(click.ClickException):
    """The end of a command in kb's words, one line per language, behind click's 'Error:' said
    in the first of them ('Erreur :', 'Fout:'); exit status 1."""

    def __init__(self, said: Said | Message, langs: tuple[str, ...] = ()):
        self.langs = langs or _langs()
        super().__init__(_lines(said, self.langs))

    def show(self, file: Any = None) -> None:
        shown = message("cli.error", text=self.format_message()).render(self.langs[0])
        click.echo(shown, file=file, err=file is None)


class Misuse(click.BadParameter):
    """A value or an argument refused in kb's words (exit status 2), inside click's framing of
    a usage error (the usage line, where to find help, 'Error:', 'Invalid value for ...'), that
    framing said in the command's first language too, the usage line alone click's."""

    def __init__(
        self,
        said: Said | Message,
        langs: tuple[str, ...] = (),
        ctx: click.Context | None = None,
        param: click.Parameter | None = None,
        param_hint: str | None = None,
    ):
        self.langs = langs or _langs()
        super().__init__(_lines(said, self.langs), ctx=ctx, param=param, param_hint=param_hint)

    def format_message(self) -> str:
        hint = self.param_hint or (self.param.get_error_hint(self.ctx) if self.param else None)
        if hint is None:
            return self.message
        option = hint if isinstance(hint, str) else " / ".join(repr(h) for h in hint)
        return message("cli.invalid", option=option, text=self.message).render(self.langs[0])

    def show(self, file: Any = None) -> None:
        lang, ctx, err = self.langs[0], self.ctx, file is None
        if ctx is not None:
            helping = ""
            if ctx.command.get_help_option(ctx) is not None:
                option = max(ctx.command.get_help_option_names(ctx), key=len)
                helping = message("cli.try_help", command=ctx.command_path, option=option).render(lang) + "\n"
            click.echo(f"{ctx.get_usage()}\n{helping}", file=file, err=err, color=ctx.color)
        click.echo(message("cli.error", text=self.format_message()).render(lang), file=file, err=err)


def _fail(key: str, langs: tuple[str, ...] = (), **params: object) -> Refusal:
    """The catalogue's message ``key`` ending the command (exit status 1, no traceback), one
    line per language the command speaks (``--lang``, else as kb.i18n.cli_languages decides)."""
    return Refusal(message(key, **params), langs)


def _reason(error: BaseException, command: str) -> Said:
    """Why ``command`` stopped, as kb says it: the entries' or kb.yml's errors (printed above
    it), or what the build, the lock, the disk or the operating system refused."""
    from kb.config import ConfigError
    from kb.faults import refused_by_system
    from kb.project import Refused

    if isinstance(error, (Refused, ConfigError)):
        where = "fault.entries" if isinstance(error, Refused) else "fault.config"
        count = len(error.problems)
        return Said(f"{where}_one" if count == 1 else where, errors=count, command=command)
    if isinstance(error, Said):  # before OSError: a Missing folder is both
        return error
    return refused_by_system(error)


def _exclusive(project: Any, command: str, wait: float, langs: tuple[str, ...] = ()) -> Any:
    """The project's lock for ``command``, saying on stderr whom it waits for."""
    return project.exclusive(command, wait, waiting=lambda said: click.echo(_lines(said, langs), err=True))


def _project(
    entries_dir: Path | None = None,
    database_url: str | None = None,
    index_dir: Path | None = None,
    langs: tuple[str, ...] = (),
    **paths: Any,
):
    from kb.project import BadVariable, Project

    try:
        return Project(entries_dir=entries_dir, database_url=database_url, index_dir=index_dir, **paths)
    except BadVariable as bad:
        raise Refusal(bad, langs) from None


def lang_option(func: Any) -> Any:
    """--lang: the language(s) of the messages, as kb.i18n.cli_languages decides by default."""

    def languages(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
        from kb.i18n import CLI_LANGS, cli_languages

        if value and any(part.strip() not in CLI_LANGS for part in value.split(",")):
            raise Misuse(message("cli.bad_lang", value=value), cli_languages())
        ctx.meta[LANGS] = cli_languages(value)
        return ctx.meta[LANGS]

    return click.option(
        "--lang",
        "langs",
        metavar="fr|nl|en",
        default=None,
        callback=languages,
        expose_value=True,
        is_eager=True,  # first: the other options' messages speak it
        help="Language of the messages: fr, nl, en, or fr,nl for both [default: $KB_LANG, else the locale, else en].",
    )(func)


def _setting(name: str, value: str | None) -> str | None:
    """A kb.yml setting given as an option, checked as the file's would be."""
    from kb.config import BadSetting, check_value

    try:
        return None if value is None else check_value(name, value)
    except BadSetting as bad:
        raise Misuse(bad) from None


def _print_problems(problems: list, langs: tuple[str, ...] = ()) -> None:
    """Problems (of the entries, of kb.yml) on stderr, each in every language the command speaks."""
    for problem in problems:
        click.echo(_lines(problem, langs), err=True)


@contextlib.contextmanager
def _refusals(project: Any, not_done: str, command: str, langs: tuple[str, ...] = ()) -> Iterator[None]:
    """Entries with errors, no entries folder, a full disk, a lock held too long: the command
    ends with the catalogue's ``not_done`` line (exit status 1), never a traceback; the store is
    closed either way."""
    from kb.config import ConfigError
    from kb.project import Refused

    try:
        yield
    except (Refused, ConfigError) as refused:
        _print_problems(refused.problems, langs)
        raise _fail(not_done, langs, reason=_reason(refused, command)) from None
    except (Said, OSError) as exc:
        raise _fail(not_done, langs, reason=_reason(exc, command)) from None
    finally:
        project.close()


def filter_options(func: Any) -> Any:
    """The filters shared by search and export; values repeat or are comma-separated."""
    for flag, dest, field_name in reversed(
        (
            ("--scale", "scale", "scale"),
            ("--criteria", "criteria", "criteria"),
            ("--basis", "basis", "basis"),
            ("--partner", "partners", "partners"),
            ("--type", "type_", "type"),
            ("--language", "language", "language"),
        )
    ):
        func = click.option(
            flag,
            dest,
            multiple=True,
            type=VocabValues(field_name),
            help=f"Only entries with this {field_name} value (repeat to require several).",
        )(func)
    func = click.option(
        "--own-only", is_flag=True, help="With --territory: leave out the entries about a broader territory."
    )(func)
    func = click.option(
        "--territory",
        "territories",
        multiple=True,
        type=TerritoryValues(),
        help="Entries about this territory (id, NIS code or name: molenbeek, 'Saint Gilles'), "
        "then those about its bassin and the region (see --own-only).",
    )(func)
    return click.option(
        "--year", "years", metavar="RANGE", help="A year or a range: 2020, 2015..2022, 2015.., ..2022."
    )(func)


def _reach(territories: tuple) -> Any:
    """What the --territory values ask for (kb.entries.territories), or None."""
    from kb.entries.territories import geography

    places = _flatten(territories)
    return geography(vocab.load()).reach_all(places) if places else None


def _filters(years: str | None, type_: tuple, **tags: tuple):
    from kb.store.filters import BadYears, Filters, parse_years

    try:
        year_from, year_to = parse_years(years) if years else (None, None)
    except BadYears as exc:
        raise Misuse(exc, param_hint="--year") from None
    return Filters(
        type=_flatten(type_), year_from=year_from, year_to=year_to, **{k: _flatten(v) for k, v in tags.items()}
    )


class Commands(click.Group):
    """kb's commands. Every one reads the vocabulary files (the values, the labels): a malformed
    one ends any command with one line naming the file and line, never a traceback. Neither
    does an error kb did not foresee (a bug): it is said in one line, in the user's language,
    and its traceback goes to a file for whoever fixes it. Output piped to a reader that stops
    early (``kb search ... | head``) is no error: click ends such a command quietly."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except vocab.VocabularyError as exc:
            raise _fail("vocab.nothing_done", problem=exc) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:  # the reader went (kb search | head): click ends quietly, status 1
            raise
        except Exception as exc:  # noqa: BLE001 - the last resort: whatever escaped the rest
            raise _fail("cli.unexpected", error=type(exc).__name__, log=_traceback_file(exc)) from None


def _traceback_file(error: Exception) -> str:
    """Write ``error``'s traceback into a new file in the system's temporary folder (writable
    wherever kb runs, unlike the project's .kb/ when that is what failed); its path."""
    import tempfile
    import traceback

    handle, path = tempfile.mkstemp(prefix="kb-error-", suffix=".txt")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(f"kb {' '.join(sys.argv[1:])}\n")
        file.writelines(traceback.format_exception(error))
    return path


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kb")
def cli() -> None:
    """kb: the inventory of studies and projects on the territorialisation of social and
    health services in Brussels.

    Entries are Markdown files in entries/; kb checks them, indexes them into a SQL store and
    a full-text index, searches them, and builds the static inventory site.
    """


# What a terminal without them gets instead of the characters of French typography (kb.i18n)
# and of kb's own punctuation; "?" for any other character its encoding lacks.
_PLAIN = {"\u00a0": " ", "\u202f": " ", "\u2011": "-", "\u2013": "-", "\u2014": "--", "\u2019": "'"}


def _plainly(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(_PLAIN.get(c, "?") for c in error.object[error.start : error.end]), error.end


def _plain_where_needed(stream: Any) -> None:
    """A ``stream`` whose encoding cannot hold French typography's narrow no-break space (a
    latin-1 locale; on Windows, output redirected to a file, in cp1252) writes plain spaces
    and dashes instead: a French message would otherwise stop kb with a UnicodeEncodeError
    half-way. Streams that can (UTF-8) are left as they are, their error handler too."""
    encoding = getattr(stream, "encoding", None)
    if not encoding or not hasattr(stream, "reconfigure"):
        return
    try:
        "\u202f".encode(encoding)
    except UnicodeEncodeError:
        import codecs

        codecs.register_error("kb.plain", _plainly)
        stream.reconfigure(errors="kb.plain")
    except LookupError:  # an encoding Python does not know: its writes fail as they would have
        return


def main() -> None:
    """The ``kb`` program (``python -m kb`` too): the command, then a quick exit.

    Why not let Python exit: it would then free, one by one, every object still referenced
    from a module, 3 s at the end of a 100,000-entry build with a core idle (the same reason
    mypy ends with ``os._exit``). Everything an exit must do is done here instead: the
    functions registered with ``atexit`` run (multiprocessing's, temporary folders'), and
    the output is flushed. With a thread of the command still running (none is, but one
    would be waited for) or a code that is not a number, Python exits as usual. The tests
    call ``cli`` through click's CliRunner, which must return, so this is a function apart.
    """
    import atexit
    import threading

    for stream in (sys.stdout, sys.stderr):
        _plain_where_needed(stream)
    status = 0
    try:
        cli.main(prog_name="kb")
    except SystemExit as done:
        others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
        if others or not isinstance(done.code, (int, type(None))):
            raise
        status = done.code or 0
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (kb search | head), a closed stream
            stream.flush()
    os._exit(status)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@entries_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github"]),
    default="text",
    help="'github' prints GitHub Actions annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@lang_option
def check(paths: tuple[Path, ...], entries_dir: Path, output_format: str, strict: bool, langs: tuple[str, ...]) -> None:
    """Check entry files (all of entries/ by default) and report every problem.

    Each problem is one line: file:line: error|warning: what is wrong -- how to fix it, in the
    language of --lang (each language in turn with --lang fr,nl).
    Exits with 1 when there are errors (or warnings with --strict).
    """
    from kb.entries import inventory

    targets = list(paths) or [entries_dir]
    missing = [str(p) for p in targets if not p.exists()]
    if missing:
        raise Misuse(Said("cli.no_such_path", paths=", ".join(missing)), langs)
    result = inventory.load(targets)
    for problem in result.problems:
        if output_format == "github":
            click.echo(problem.github(langs))
        else:
            for lang in langs:
                click.echo(problem.render(lang))
    errors, warnings = len(result.errors), len(result.warnings)
    summary = message(
        "check.summary",
        files=counted("checked.files", result.files),
        errors=counted("checked.errors", errors),
        warnings=counted("checked.warnings", warnings),
    )
    for lang in langs:
        click.echo(summary.render(lang), err=True)
    if errors or (strict and warnings):
        sys.exit(1)


@cli.command("links")
@entries_option
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown", "github"]),
    default="text",
    help="text: file:line lines; json; markdown: a report (the links workflow's issue); github: annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on unchecked links too.")
@click.option(
    "--write",
    is_flag=True,
    help="Mark dead urls in their entries (url_status: dead, archive:), and unmark those that answer again.",
)
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=None,
    metavar="DAYS",
    help="Days a link that answered is not asked again [default: $KB_LINKS_MAX_AGE, else links_max_age "
    "in kb.yml, else 7]; 0 asks about every link.",
)
@click.option(
    "--archive",
    metavar="URL",
    default=None,
    help="The archive's availability lookup [default: $KB_ARCHIVE_URL, else links_archive in kb.yml, "
    "else https://archive.org/wayback/available].",
)
@click.option(
    "--doi-resolver",
    metavar="URL",
    default=None,
    help="Where DOIs are resolved [default: $KB_DOI_RESOLVER, else doi_resolver in kb.yml, else https://doi.org/].",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), default=15.0, show_default=True, help="Seconds to wait for a server."
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="New attempts after no answer, a 5xx or a 429.",
)
@click.option(
    "--per-host", type=click.IntRange(min=1), default=2, show_default=True, help="Requests at once to one host."
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between two requests to one host.",
)
@lang_option
def links_command(
    entries_dir: Path,
    output_format: str,
    strict: bool,
    write: bool,
    max_age: float | None,
    archive: str | None,
    doi_resolver: str | None,
    timeout: float,
    retries: int,
    per_host: int,
    delay: float,
    langs: tuple[str, ...],
) -> None:
    """Check every url and DOI of the entries: which answer, which moved, which are dead.

    Dead links are printed with file:line, the status and an archived copy to use. Results
    are cached in .kb/links.json: within --max-age days only links that failed or are new
    are asked again. Without network, links are "unchecked", never dead. Exits with 1 when
    a link is dead (or unchecked, with --strict), 2 on a usage error. kb check never fails
    on a dead link.
    """
    from kb import config as config_module
    from kb.entries import inventory
    from kb.i18n import t
    from kb.links import marks, report, run
    from kb.links.check import Settings, user_agent

    if not entries_dir.is_dir():
        raise Misuse(Said("fault.no_entries", folder=entries_dir), langs)
    try:
        config = config_module.load(Path.cwd()).overriding(repository=os.environ.get("KB_REPOSITORY") or None)
    except config_module.ConfigError as bad:
        _print_problems(bad.problems, langs)
        sys.exit(2)
    ages = (max_age, os.environ.get("KB_LINKS_MAX_AGE"), config.links_max_age)
    try:
        age = next(float(a) for a in ages if a is not None and a != "")
    except ValueError:
        bad_age = Said("env.days", name="KB_LINKS_MAX_AGE", value=os.environ.get("KB_LINKS_MAX_AGE"))
        raise Misuse(bad_age, langs, param_hint="--max-age") from None
    options = run.Options(
        Settings(
            timeout=timeout, retries=retries, per_host=per_host, delay=delay, user_agent=user_agent(config.repository)
        ),
        max_age=age,
        archive=_setting("links_archive", archive or os.environ.get("KB_ARCHIVE_URL")) or config.links_archive,
        resolver=_setting("doi_resolver", doi_resolver or os.environ.get("KB_DOI_RESOLVER")) or config.doi_resolver,
    )
    entries = inventory.load([entries_dir]).entries
    result = run.run(run.links_of(entries, options.resolver), Path(".kb") / "links.json", options)
    if output_format == "json":
        click.echo(report.as_json(result))
    elif output_format == "markdown":
        source = config.source_url if config.repository else None
        click.echo("\n".join(report.markdown(result, lang, source) for lang in langs), nl=False)
    else:
        lines = report.github(result, langs) if output_format == "github" else report.text(result, langs)
        for line in lines:
            click.echo(line)
    if output_format != "json":
        for lang in langs:
            click.echo(report.summary(result, lang), err=True)
    if write:
        changed = marks.write(result.findings)
        for lang in langs:
            click.echo(t(lang, "links.written", files=len(changed)), err=True)
    if result.count("dead") or (strict and result.count("unchecked")):
        sys.exit(1)


@cli.command("diff")
@click.argument("base")
@entries_option
@lang_option
def diff_command(base: str, entries_dir: Path, langs: tuple[str, ...]) -> None:
    """Summarise in Markdown what the working tree changes in the inventory since BASE (a git
    revision): entries added, changed and removed, tags, new vocabulary values, problems.

    The check workflow writes it to a pull request's job summary.
    """
    from kb.entries import diff

    if not entries_dir.is_dir():
        raise Refusal(Said("fault.no_entries", folder=entries_dir), langs)
    vocabularies = vocab.load()
    try:
        summary = diff.summarise(Path.cwd(), base, entries_dir, vocabularies)
    except diff.GitError as exc:
        raise Refusal(Said("diff.cannot_compare", base=base, reason=exc.args[0]), langs) from None
    except ValueError:
        raise Refusal(Said("diff.outside", folder=entries_dir, root=Path.cwd()), langs) from None
    click.echo("\n".join(diff.markdown(summary, vocabularies, lang) for lang in langs), nl=False)


@cli.command("issue-form")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write it to this file (the repository keeps .github/ISSUE_TEMPLATE/entry.yml).",
)
def issue_form_command(output: Path | None) -> None:
    """Print the forge's issue form for proposing an entry, generated from the schema and the
    vocabularies with French and Dutch labels."""
    from kb.entries import issue_form
    from kb.files import write_atomically

    text = issue_form.generate(vocab.load())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)


@cli.command("from-issue")
@click.argument("body", type=click.File("r", encoding="utf-8", errors="replace"))
@entries_option
@lang_option
def from_issue(body: Any, entries_dir: Path, langs: tuple[str, ...]) -> None:
    """Write the entry an issue made with the issue form describes (BODY: the issue's Markdown
    body, a file or - for standard input) into the entries folder, and print its path.

    When an answer is wrong, nothing is written: the problems are printed as a Markdown list in
    the languages of --lang, for a comment on the issue, and the exit status is 1.
    """
    from kb.entries import issue_form
    from kb.entries.schema import parse_bytes

    text = body.read(2_000_000)
    taken = {p.stem for p in entries_dir.glob("*.md")} if entries_dir.is_dir() else set()
    proposal = issue_form.proposal(text, taken)
    parsed = parse_bytes(proposal.text.encode("utf-8"), proposal.id, f"{proposal.id}.md", vocab.load())
    errors = [p for p in parsed.problems if p.is_error]
    if errors:
        from kb.i18n import t

        for lang in langs:
            click.echo(t(lang, "propose.issue_problems"))
            click.echo("")
            for problem in errors:
                message, fix = problem.texts(lang)
                click.echo(f"- {message} — {fix}")
            click.echo("")
        sys.exit(1)
    entries_dir.mkdir(parents=True, exist_ok=True)
    path = entries_dir / f"{proposal.id}.md"
    path.write_text(proposal.text, encoding="utf-8")
    click.echo(str(path))


@cli.command("schema")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write it to this file instead of printing it (the repository keeps entries/entry.schema.json).",
)
def schema_command(output: Path | None) -> None:
    """Print the JSON Schema of an entry's front matter, generated from kb's typed schema.

    Editors and tools that read JSON Schema check front matter with it as people type; the
    site publishes it as schema/entry.json.
    """
    from kb.entries import json_schema
    from kb.files import write_atomically

    text = json_schema.dumps(vocab.load())
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(output, text)


@cli.command("vocab")
@click.argument("name", required=False, type=click.Choice(sorted(set(DIMENSIONS.values()))))
def vocab_command(name: str | None) -> None:
    """List the controlled vocabularies, or the values of one, with FR / NL / EN labels."""
    vocabularies = vocab.load()
    names = [name] if name else sorted(set(DIMENSIONS.values()))
    for vocabulary_name in names:
        vocabulary = vocabularies[vocabulary_name]
        if not name:
            click.echo(message("vocab.listed", name=vocabulary_name, n=len(vocabulary)).render(_langs()[0]))
            continue
        for term in vocabulary:
            click.echo(f"{term.id}\t{term.labels['fr']} / {term.labels['nl']} / {term.labels['en']}")


def _translations(
    titles: tuple[tuple[str, str], ...], summaries: tuple[tuple[str, str], ...], lang: str
) -> dict[str, tuple[str, str | None]]:
    """--translation and --translated-summary as language -> (title, summary); ``lang`` speaks."""

    for option, pairs in (("--translation", titles), ("--translated-summary", summaries)):
        for code, _ in pairs:
            if code not in ("fr", "nl", "en"):
                raise Misuse(message("new.translation_language", value=code), (lang,), param_hint=option)
    summary_of = dict(summaries)
    result: dict[str, tuple[str, str | None]] = {code: (title, summary_of.get(code)) for code, title in titles}
    for code in summary_of:
        if code not in result:
            raise Misuse(
                message("new.summary_without_title", language=code), (lang,), param_hint="--translated-summary"
            )
    return result


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
@click.option(
    "--basis", multiple=True, type=VocabValues("basis"), help="What the territory is drawn from (kb vocab bases)."
)
@click.option(
    "--translation",
    "translations",
    multiple=True,
    nargs=2,
    metavar="LANG TITLE",
    help="Our translation of the title into fr, nl or en (repeatable).",
)
@click.option(
    "--translated-summary",
    "translated_summaries",
    multiple=True,
    nargs=2,
    metavar="LANG TEXT",
    help="Our translation of the summary into fr, nl or en (repeatable).",
)
@click.option("--container", help="Journal, series or website the document appears in.")
@click.option("--volume", help="Volume.")
@click.option("--issue", help="Issue (number).")
@click.option("--pages", help="Pages, e.g. 12-15.")
@click.option("--isbn", help="ISBN.")
@click.option("--issn", help="ISSN.")
@click.option("--publisher-place", help="Place of publication.")
@click.option("--edition", help="Edition.")
@click.option("--body", help="The Markdown body (default: headings to fill in).")
@lang_option
def new(
    entries_dir: Path,
    title: str | None,
    type_: tuple[str, ...],
    year: int | None,
    language: str | None,
    langs: tuple[str, ...],
    translations: tuple[tuple[str, str], ...],
    translated_summaries: tuple[tuple[str, str], ...],
    **fields: Any,
) -> None:
    """Create a new entry file, asking for what the options do not give.

    The id is chosen from the title; an existing file is never overwritten. Questions and
    messages speak the language of --lang. Asked for the title, it also asks for the bases and
    for our translation of the title into the other interface language (Enter skips).
    """
    from kb.entries.schema import parse_file
    from kb import i18n
    from kb.entries.new import write_entry
    from kb.i18n import t

    lang = langs[0]
    interactive = title is None
    title = title or click.prompt(t(lang, "new.title"), err=True)
    if not type_:
        type_ = _prompt_values("type", t(lang, "new.type"), required=True)[:1]
    year = year or click.prompt(t(lang, "new.year"), type=click.IntRange(1950, 2100), err=True)
    for name, required in (("scale", True), ("criteria", True), ("basis", False), ("partners", False)):
        if name == "basis" and not interactive:
            fields[name] = _flatten(fields[name])
            continue
        fields[name] = _flatten(fields[name]) or _prompt_values(name, t(lang, f"new.{name}"), required)
    fields["territories"] = _flatten(fields["territories"])
    language = language or click.prompt(
        t(lang, "new.language"), type=click.Choice(["fr", "nl", "en"]), default="fr", err=True
    )
    translated = _translations(translations, translated_summaries, lang)
    if language in translated:
        raise Misuse(message("new.translation_own", language=language), (lang,), param_hint="--translation")
    if interactive:
        for other in ("fr", "nl"):
            if other != language and other not in translated:
                answer = click.prompt(
                    t(lang, "new.translated_title", language=i18n.LANGUAGE_IN[lang][other]),
                    default="",
                    show_default=False,
                    err=True,
                ).strip()
                if answer:
                    translated[other] = (answer, None)
    fields["translations"] = translated
    body = fields.pop("body")
    record = dict(fields, title=title, type=type_[0], year=year, language=language)
    path = write_entry(entries_dir, record, body)
    click.echo(t(lang, "new.created", path=path))
    for problem in parse_file(path, display=str(path)).problems:
        click.echo(t(lang, "new.to_do", problem=problem.render(lang)), err=True)


@cli.command("index")
@store_options
@click.option("--full", is_flag=True, help="Rebuild the store and the search index from scratch.")
@wait_option
@lang_option
def index_command(full: bool, wait: float, langs: tuple[str, ...], **paths: Any) -> None:
    """Index the entries into the SQL store and the full-text index.

    Incremental: only added, changed and removed files are written. Refuses to index entries
    that 'kb check' rejects, and then changes nothing. One kb index, build or serve works on
    a project at a time: another one waits (--wait). Failures speak the language of --lang.
    """
    project = _project(langs=langs, **paths)
    with _refusals(project, "outcome.not_indexed", "kb index", langs), _exclusive(project, "kb index", wait, langs):
        report = project.index(full=full)
    for lang in langs:
        click.echo(report.message().render(lang))


@cli.command()
@click.argument("words", nargs=-1)
@filter_options
@click.option("--limit", type=click.IntRange(0, 1000), default=10, show_default=True, help="Hits to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option(
    "--index-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Search index folder [default: .kb/whoosh or $KB_INDEX_DIR].",
)
@lang_option
def search(
    words: tuple[str, ...],
    limit: int,
    as_json: bool,
    index_dir: Path | None,
    years: str | None,
    territories: tuple,
    own_only: bool,
    langs: tuple[str, ...],
    **tags: Any,
) -> None:
    """Search the inventory: ranked hits, snippets and facet counts.

    WORDS is a full-text query (accents optional; "quoted phrases", OR, NOT, prefix*). With no
    words, the entries are listed by the filters alone, newest first. Run 'kb index' first.
    """
    import json

    from kb.search.index import SearchIndex

    filters = _filters(years, **tags)
    # Where Project puts the index (kb.project itself, with entry parsing, is not needed here).
    index_dir = Path(index_dir or os.environ.get("KB_INDEX_DIR") or Path.cwd() / ".kb" / "whoosh")
    searcher = SearchIndex(index_dir)
    if not searcher.exists():
        raise Refusal(Said("fault.no_index", folder=index_dir), langs)
    reach = _reach(territories)
    if reach is None:
        results = searcher.search(" ".join(words), filters, limit)
    else:
        results = searcher.search_near(" ".join(words), filters, reach, limit, broader=not own_only)
    # The labels, unpickled from beside the index while the vocabulary files are unchanged.
    vocabularies = vocab.load_cached(index_dir / "kb-vocab.pickle")
    lang = langs[0]
    if as_json:
        click.echo(json.dumps(_labelled(results, vocabularies, lang), ensure_ascii=False, indent=2))
        return
    _print_results(results, vocabularies, lang)


def _labelled(results: Any, vocabularies: vocab.Vocabularies, lang: str) -> dict:
    """The results as JSON: ids as they are, and beside them the labels in ``lang``."""
    data = results.as_dict(lang)
    data["lang"] = lang
    for hit in data["hits"]:
        hit["labels"] = {dim: [vocabularies.label(dim, v, lang) for v in values] for dim, values in hit["tags"].items()}
        hit["labels"]["type"] = vocabularies.label("type", hit["type"], lang)
    data["facet_labels"] = {
        dim: {v: vocabularies.label(dim, v, lang) for v in counts}
        for dim, counts in data["facets"].items()
        if dim != "year"
    }
    return data


def _print_results(results: Any, vocabularies: vocab.Vocabularies, lang: str) -> None:
    import html
    import re

    from kb.i18n import DIMENSION_NAMES, t

    for note in results.notes:
        click.secho(message("search.note", note=note).render(lang), fg="yellow", err=True)
    key = {0: "cli_matches_none", 1: "cli_matches_one"}.get(results.total, "cli_matches")
    line = t(lang, key, n=results.total, query=results.query)
    if results.broader_total:
        line += f" ({t(lang, 'cli_broader_total', n=results.broader_total)})"
    click.echo(line)
    if not results.total and results.suggestion:
        click.echo(t(lang, "cli_did_you_mean", suggestion=results.suggestion))
    names = DIMENSION_NAMES[lang]
    colon = f"{t(lang, 'colon')} "
    for number, hit in enumerate(results.hits, 1):
        if hit.broader and (number == 1 or not results.hits[number - 2].broader):
            click.echo("\n" + click.style(t(lang, "cli_broader"), bold=True))
        click.echo(f"\n{number}. " + click.style(hit.title, bold=True) + f" ({hit.year}) [{hit.id}]")
        for code, (title, _) in sorted(hit.translations.items()):
            click.echo(f"   {code} ({t(lang, 'translation').lower()}){colon}{title}")
        tags = vocabularies.tags_text(
            {dim: values for dim, values in {"type": [hit.type], **hit.tags}.items() if values and dim != "language"},
            lang,
        )
        click.echo(f"   {tags}")
        if hit.snippet:
            parts = re.split(r"<mark>(.*?)</mark>", hit.snippet)
            text = "".join(
                click.style(html.unescape(p), bold=True, underline=True) if i % 2 else html.unescape(p)
                for i, p in enumerate(parts)
            )
            click.echo(f"   {text}")
    if results.total:
        click.echo("\n" + t(lang, "cli_facets"))
        for dim, counts in results.facets.items():
            if counts:
                label = (lambda v: v) if dim == "year" else (lambda v, dim=dim: vocabularies.label(dim, v, lang))
                shown = ", ".join(f"{label(v)} {n}" for v, n in list(counts.items())[:8])
                more = f", {t(lang, 'cli_more', n=len(counts) - 8)}" if len(counts) > 8 else ""
                click.echo(f"  {names[dim][0]}{colon}{shown}{more}")


@cli.command()
@store_options
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site [default: site/].",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress display (for CI).")
@click.option("--no-search", is_flag=True, help="Skip the Pagefind search index (faster previews).")
@click.option(
    "--base-url",
    metavar="URL",
    default=None,
    help="Public address of the site, for sitemap.xml and feed.xml [default: $KB_BASE_URL, else "
    "base_url in kb.yml, else relative].",
)
@click.option(
    "--repository",
    metavar="URL",
    default=None,
    callback=lambda ctx, param, value: _setting("repository", value),
    help="The repository's web address, for the edit and report links [default: $KB_REPOSITORY, else "
    "repository in kb.yml, else no links].",
)
@wait_option
@lang_option
def build(
    output: Path | None,
    quiet: bool,
    no_search: bool,
    base_url: str | None,
    repository: str | None,
    wait: float,
    langs: tuple[str, ...],
    **paths: Any,
) -> None:
    """Build the static inventory site from the entries (indexing them first).

    The build is atomic: it writes beside the live site and swaps it in only on success,
    so a failed build leaves the last good site untouched. Unchanged pages are not rewritten.
    One kb index, build or serve works on a project at a time: another one waits (--wait).
    Progress and failures speak the language of --lang, as 'kb check' does.
    """
    project = _project(langs=langs, **paths)
    report = _run_build(project, output, quiet, no_search, base_url, repository, wait, langs)
    if not quiet:
        for lang in langs:
            click.echo(report.message().render(lang))


def _run_build(
    project: Any,
    output: Path | None,
    quiet: bool,
    no_search: bool,
    base_url: str | None,
    repository: str | None,
    wait: float,
    langs: tuple[str, ...],
) -> Any:
    from kb.config import ConfigError
    from kb.project import Refused
    from kb.site.build import SearchNotUpdated

    target = output or project.site_dir
    try:
        with _exclusive(project, "kb build", wait, langs):
            return project.build(
                output,
                progress=None if quiet else _progress(langs[0]),
                search=not no_search,
                base_url=base_url,
                repository=repository,
                say=lambda said: click.echo(_lines(said, langs), err=True),
            )
    except (Refused, ConfigError) as refused:
        _print_problems(refused.problems, langs)
        raise _fail("outcome.not_built", langs, reason=_reason(refused, "kb build"), site=target) from None
    except SearchNotUpdated as behind:
        raise _fail("outcome.search_behind", langs, reason=behind, site=target) from None
    except (Said, OSError) as exc:
        raise _fail("outcome.not_built", langs, reason=_reason(exc, "kb build"), site=target) from None
    finally:
        project.close()


def _progress(lang: str):
    """A one-line progress display on stderr for long builds, in ``lang``."""
    shown: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage == "search":
            click.echo(message("progress.search").render(lang), err=True)
            return
        percent = 100 * done // max(total, 1)
        if shown.get(stage) != percent:
            shown[stage] = percent
            end = "\n" if done >= total else "\r"
            click.echo(
                message(f"progress.{stage}", done=done, total=total, percent=percent).render(lang), err=True, nl=False
            )
            click.echo(end, err=True, nl=False)

    return report


@cli.command("stats")
@entries_option
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@lang_option
def stats_command(entries_dir: Path, as_json: bool, langs: tuple[str, ...]) -> None:
    """Figures about the inventory: scale x criteria, where (communes, bassins), who, when.

    Reads the entry files (files with errors are left out: run 'kb check'). The report's
    words speak the language of --lang (the first one), as 'kb check' does.
    """
    import json

    from kb import stats

    if not entries_dir.is_dir():
        raise Refusal(Said("fault.no_entries", folder=entries_dir))
    project = _project(entries_dir=entries_dir)
    inventory = project.check()
    bad = sorted({p.path for p in inventory.errors})
    if bad:
        left_out = message("stats.left_out_one") if len(bad) == 1 else message("stats.left_out", files=len(bad))
        click.echo(_lines(left_out), err=True)
    figures = stats.summary(inventory.entries, project.vocabularies)
    if as_json:
        click.echo(json.dumps(figures.as_dict(), ensure_ascii=False, indent=2))
    else:
        click.echo(stats.text_report(figures, project.vocabularies, langs[0]))


@cli.command()
@store_options
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to write the site [default: site/].",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free port).")
@wait_option
@lang_option
def serve(output: Path | None, host: str, port: int, wait: float, langs: tuple[str, ...], **paths: Any) -> None:
    """Preview the site locally; rebuild it when an entry or a vocabulary changes.

    Entries with errors are reported and the last good site stays online. Each rebuild waits
    for another kb index or build working on the project (--wait). Messages speak the
    language of --lang, as 'kb check' does.
    """
    from kb.config import ConfigError
    from kb.faults import Missing
    from kb.project import Refused
    from kb.site.serve import serve as run_server
    from kb.site.build import SearchNotUpdated

    project = _project(langs=langs, **paths)
    site_dir = output or project.site_dir
    progress = _progress(langs[0])

    def say(key: str, **params: object) -> None:
        for lang in langs:
            click.echo(message(key, **params).render(lang), err=True)

    def searching(stage: str, done: int, total: int) -> None:
        if stage == "search":
            progress(stage, done, total)

    def rebuild(outdated: Callable[[], bool]) -> None:
        try:
            with _exclusive(project, "kb serve", wait, langs):
                report = project.build(
                    site_dir,
                    progress=searching,
                    say=lambda said: click.echo(_lines(said, langs), err=True),
                    outdated=outdated,
                )
        except vocab.VocabularyError as exc:
            say("outcome.not_rebuilt", reason=exc)
        except (Refused, ConfigError) as refused:
            _print_problems(refused.problems, langs)
            say("outcome.not_rebuilt", reason=_reason(refused, "kb serve"))
        except SearchNotUpdated as behind:
            say("outcome.serve_search_behind", reason=behind)
        except (Said, OSError) as exc:
            say("outcome.not_rebuilt", reason=_reason(exc, "kb serve"))
        else:
            say("outcome.rebuilt", written=len(report.written), removed=report.removed)

    try:
        run_server(
            Path(site_dir),
            project.entries_dir,
            rebuild,
            host,
            port,
            ready=lambda url: say("outcome.serving", url=url),
        )
    except Missing as missing:
        raise Refusal(missing, langs) from None
    except KeyboardInterrupt:
        pass
    finally:
        project.close()


@cli.command("export")
@filter_options
@store_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bibtex", "ris", "csljson"]),
    default=None,
    help="Output format [default: from the -o file's extension (.bib, .ris, .json), else bibtex].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
def export_command(
    fmt: str | None, output: Path | None, years: str | None, territories: tuple, own_only: bool, **options: Any
) -> None:
    """Export the inventory, or the entries the filters keep, as BibTeX, RIS or CSL JSON.

    Uses the same filters as 'kb search'; the store is brought up to date first (as 'kb index').
    """
    from kb import bibliography as biblio
    from kb.lock import WAIT
    from kb.faults import refused_by_system

    paths = {k: options.pop(k) for k in ("entries_dir", "database_url", "index_dir")}
    filters = _filters(years, **options)
    reach = _reach(territories)
    if reach is not None:
        places = reach.own if own_only else reach.own | reach.broader
        filters = replace(filters, places_any=tuple(sorted(places)))
    if fmt is None:
        fmt = biblio.format_from_name(output) if output else None
        fmt = fmt or "bibtex"
    project = _project(**paths)
    with _refusals(project, "outcome.not_exported", "kb export"), _exclusive(project, "kb export", WAIT):
        project.index()
        entries = project.store.entries(filters)
    text = biblio.export(entries, fmt, project.vocabularies)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            biblio.write_text(output, text)
        except OSError as exc:
            raise _fail("outcome.not_exported", reason=refused_by_system(exc)) from None
        click.echo(_lines(message("report.exported", entries=len(entries), output=output)), err=True)


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@entries_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["bibtex", "ris", "csljson"]),
    default=None,
    help="Format of FILE [default: from its extension or its content].",
)
@click.option("--dry-run", is_flag=True, help="Check the file and list what would be written, without writing.")
@lang_option
def import_command(file: Path, entries_dir: Path, fmt: str | None, dry_run: bool, langs: tuple[str, ...]) -> None:
    """Import references exported by Zotero (or another manager) as BibTeX, RIS or CSL JSON.

    Writes one entry file per new record into entries/; records that duplicate an entry (same
    DOI or URL, nearly the same title) are skipped and listed. Every record is read before any
    file is written: a bad file writes nothing. Scale and criteria are left for you to add:
    'kb check' lists them. Messages speak the language of --lang, as 'kb check' does.
    """
    from kb import bibliography as biblio
    from kb.i18n import message

    def say(key: str, err: bool = False, **params: object) -> None:
        for lang in langs:
            click.echo(message(key, **params).render(lang), err=err)

    def problems(found: list) -> None:
        for problem in found:
            for lang in langs:
                click.echo(problem.render(lang), err=True)

    def refused(key: str, **params: object) -> Refusal:
        return _fail(key, langs, **params)

    project = _project(entries_dir=entries_dir)
    try:
        report = biblio.import_file(file, project.entries_dir, fmt, dry_run=dry_run, vocabularies=project.vocabularies)
    except biblio.ImportFailed as failed:
        problems(failed.problems)
        errors = sum(1 for p in failed.problems if p.is_error)
        raise refused("importing.nothing", errors=counted("importing.errors", errors), file=file) from None
    except OSError as exc:
        raise refused("importing.failed", reason=exc) from None
    problems(report.warnings)
    for skipped in report.skipped:
        for lang in langs:
            click.echo(skipped.render(lang))
    if dry_run:
        for entry_id, record in report.planned:
            say("importing.would_create", path=project.entries_dir / (entry_id + ".md"), record=record.what())
    todo = 0
    for path in report.written:
        say("importing.created", path=path)
        for problem in biblio.todo(path, project.vocabularies):
            for lang in langs:
                click.echo(message("importing.to_do", problem=problem.render(lang)).render(lang), err=True)
            todo += 1
    done = len(report.planned) if dry_run else len(report.written)
    say(
        "importing.would_import" if dry_run else "importing.imported",
        err=True,
        records=counted("importing.records", done),
        duplicates=counted("importing.duplicates", len(report.skipped)),
        format=biblio.FORMAT_NAMES[report.format],
    )
    if todo:
        say("importing.next", err=True)
