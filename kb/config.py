"""The project configuration file, ``kb.yml`` at the project's root: typed and checked like an
entry's front matter (same safe YAML reader, same ``file:line: what -- how to fix`` problems).

Every key is optional: without the file kb keeps its defaults. Command-line options and
``KB_*`` variables still win over the file (``--base-url`` over ``base_url``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb import i18n
from kb.entries import vocab
from kb.entries.problems import Problem
from kb.entries.schema import URL, Context, Integer, Invalid, Option, Text, _compose, convert_fields

FILE_NAME = "kb.yml"
UI_LANGS = i18n.UI_LANGS


class PerLanguage(Option):
    """A text per language: ``{fr: …, nl: …, en: …}``; a missing language falls back to kb's own text."""

    def __init__(self, help: str = ""):
        super().__init__(help=help)
        self.text = Text(max_length=200)

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> dict[str, str]:
        if not isinstance(value, dict) or not isinstance(node, yaml.MappingNode):
            raise Invalid("check.per_language")
        result = {}
        for key_node, value_node in node.value:
            lang = key_node.value
            if lang not in ("fr", "nl", "en"):
                raise Invalid("check.unknown_language", value_node.start_mark.line + 2, value=lang)
            result[lang] = self.text.convert(value[lang], value_node, ctx)
        return result


class Email(Option):
    PATTERN = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[a-z]{2,}$", re.I)

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        if not isinstance(value, str) or not self.PATTERN.match(value.strip()):
            raise Invalid("check.not_email")
        return value.strip()


class Folder(Text):
    """A folder of the repository, written relative to its root (``entries``)."""

    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        text = super().convert(value, node, ctx).strip("/")
        if not re.fullmatch(r"[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*", text) or ".." in text.split("/"):
            raise Invalid("check.not_folder", value=text)
        return text


class UiLanguage(Option):
    def convert(self, value: Any, node: yaml.Node, ctx: Context) -> str:
        if value not in UI_LANGS:
            raise Invalid("check.not_ui_language", value=value, choices=", ".join(UI_LANGS))
        return str(value)


SETTINGS: dict[str, Option] = {
    "title": PerLanguage(help="the site's name in each language, shown in every page's header"),
    "tagline": PerLanguage(help="one line under the name, in each language (also the pages' description)"),
    "base_url": URL(help="the address the site is published at, for absolute links in the feed and sitemap"),
    "repository": URL(help="the repository's web address on its forge, for the edit, history and report links"),
    "branch": Text(max_length=100, help="the branch contributions go to"),
    "entries_folder": Folder(max_length=200, help="where the entries live in the repository"),
    "contact": Email(help="an e-mail address for proposals from people without a forge account"),
    "default_language": UiLanguage(help="the interface language the site's root page opens"),
    "links_max_age": Integer(0, lambda: 365, help="days kb links trusts a link that answered"),
    "links_archive": URL(help="the archive's availability lookup kb links asks for copies of dead links"),
    "doi_resolver": URL(help="the address DOIs are resolved at, for kb links"),
    "upload_limit": Integer(
        0,
        lambda: 10**7,
        help="MB the host accepts (GitHub Pages: 1000, counted compressed); kb build warns above; 0: no check",
    ),
    "memory_limit": Integer(0, lambda: 10**7, help="MB of memory kb build may use; 0: what the machine has available"),
    "search_shard_size": Integer(
        1,
        lambda: 10**7,
        help="entries Pagefind indexes in one run (its memory: about 155 KB each); more are split into shards",
    ),
}


# Settings no page shows (kb links', the build's checks before it starts): changing one
# rewrites no page. Every other setting is in the site's design key (kb.site.pages.Site.design_of).
NOT_SHOWN = frozenset({"links_max_age", "links_archive", "doi_resolver", "upload_limit", "memory_limit"})


@dataclass(frozen=True)
class Config:
    """The project's settings; the defaults are kb's own behaviour without a file."""

    title: dict[str, str] = field(default_factory=dict)
    tagline: dict[str, str] = field(default_factory=dict)
    base_url: str = ""
    repository: str = ""
    branch: str = "main"
    entries_folder: str = "entries"
    contact: str = ""
    default_language: str = "fr"
    links_max_age: int = 7
    links_archive: str = "https://archive.org/wayback/available"
    doi_resolver: str = "https://doi.org/"
    upload_limit: int = 1000
    memory_limit: int = 0
    search_shard_size: int = 12_500

    def site_title(self, lang: str) -> str:
        return self.title.get(lang) or i18n.t(lang, "site")

    def site_tagline(self, lang: str) -> str:
        return self.tagline.get(lang) or i18n.t(lang, "site_long")

    def _forge(self, path: str) -> str:
        """``path`` on the repository's forge (GitHub and GitLab share these shapes), or "" without
        a repository: the pages then leave out the links to the forge."""
        if not self.repository:
            return ""
        return f"{self.repository.rstrip('/')}/{path}"

    def edit_url(self, entry_id: str) -> str:
        """The forge's editor for an entry's file."""
        return self._forge(f"edit/{self.branch}/{self.entries_folder}/{entry_id}.md")

    def history_url(self, entry_id: str) -> str:
        return self._forge(f"commits/{self.branch}/{self.entries_folder}/{entry_id}.md")

    def source_url(self, entry_id: str, line: int) -> str:
        """An entry's file on the forge, at a line (for reports read on the forge)."""
        return self._forge(f"blob/{self.branch}/{self.entries_folder}/{entry_id}.md#L{line}")

    def new_file_url(self) -> str:
        """The forge's 'new file' page in the entries folder (forks for people without write access)."""
        return self._forge(f"new/{self.branch}/{self.entries_folder}")

    def new_issue_url(self) -> str:
        return self._forge("issues/new")

    def shown(self) -> "Config":
        """This configuration with the settings no page shows (NOT_SHOWN) at their defaults:
        what the site's pages depend on."""
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.name in NOT_SHOWN}
        return dataclasses.replace(self, **defaults)

    def overriding(self, **values: str | None) -> "Config":
        """This configuration with the values a command line or the environment gives (None: keep)."""
        given = {k: v for k, v in values.items() if v is not None}
        return dataclasses.replace(self, **given) if given else self


class ConfigError(Exception):
    """The configuration file has errors: nothing was built."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problems in {FILE_NAME}")
        self.problems = problems


def load(root: Path) -> Config:
    """The configuration of the project at ``root``: its kb.yml, or the defaults without one."""
    path = root / FILE_NAME
    if not path.is_file():
        return Config()
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem.of(shown, 1, "error", "check.unreadable", reason=exc)]) from None
    return parse(text, shown)


# The entries' reader speaks of an entry's front matter and ignores an unknown field with a
# warning; read by the same code, kb.yml has settings, and an unknown one is an error.
OWN_WORDS = {
    "check.too_deep": "config.too_deep",
    "check.bad_yaml": "config.bad_yaml",
    "check.bad_character": "config.bad_character",
    "check.unreadable_yaml": "config.unreadable_yaml",
    "check.not_mapping": "config.not_mapping",
    "check.field_name": "config.field_name",
    "check.unknown_field": "config.unknown_setting",
    "check.unknown_field_no_guess": "config.unknown_setting_no_guess",
}


def parse(text: str, path: str = FILE_NAME) -> Config:
    node, problems = _compose(text, path) if text.strip() else (None, [])
    values: dict[str, Any] = {}
    if node is not None:
        values, _ = convert_fields(node, SETTINGS, path, vocab.load(), problems)
    # A file of comments only sets nothing, as an empty one.
    problems = [_as_setting(p) for p in problems if not (p.what and p.what.key == "check.empty_front_matter")]
    if problems:  # a misspelt key is an error here: a setting silently ignored helps no one
        raise ConfigError(sorted(problems))
    return Config(**values)


def _as_setting(problem: Problem) -> Problem:
    """A problem the entries' reader found, as kb.yml's: in the file's own words, an error, on
    the file's line (the front matter starts on an entry's second line, this file on its first)."""
    line = max(problem.line - 1, 1)
    if problem.what is None:
        return dataclasses.replace(problem, line=line, severity="error")
    key = OWN_WORDS.get(problem.what.key, problem.what.key)
    return Problem.of(problem.path, line, "error", key, **dict(problem.what.params))


class BadSetting(i18n.Said, ValueError):
    """A setting given on the command line that kb.yml would refuse, said as kb check says it."""


def check_value(name: str, value: str) -> str:
    """One setting given on the command line, checked like the file's (BadSetting: what -- fix)."""
    try:
        return SETTINGS[name].convert(
            value, yaml.ScalarNode("tag:yaml.org,2002:str", value), Context(vocab.load(), print)
        )
    except Invalid as bad:
        raise BadSetting(bad.key, field=name, **bad.params) from None
