"""Problems found in entries, printed the way contributors and GitHub read them.

Every check in kb reports a ``Problem`` rather than raising, so that one run lists every
mistake in every file with its line, what is wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kb.i18n import Message, message as catalogue_message

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem; ``what`` (a catalogue key and its values) renders it in any language, and
    ``message``/``fix`` hold its English text."""

    path: str
    line: int
    severity: Severity
    message: str
    fix: str
    what: Message | None = field(default=None, compare=False)

    @classmethod
    def of(cls, path: str, line: int, severity: Severity, key: str, **params: object) -> "Problem":
        what = catalogue_message(key, **params)
        return cls(
            path, line, severity, what.render("en"), catalogue_message(f"{key}.fix", **params).render("en"), what
        )

    def texts(self, lang: str = "en") -> tuple[str, str]:
        """(what is wrong, how to fix it) in ``lang``."""
        if self.what is None:
            return self.message, self.fix
        return self.what.render(lang), catalogue_message(f"{self.what.key}.fix", **dict(self.what.params)).render(lang)

    def render(self, lang: str = "en") -> str:
        message, fix = self.texts(lang)
        severity = catalogue_message(f"severity.{self.severity}").render(lang)
        return f"{self.path}:{self.line}: {severity}: {message} -- {fix}"

    def __str__(self) -> str:
        return self.render("en")

    def github(self, langs: tuple[str, ...] = ("en",), title: str = "kb check") -> str:
        """A GitHub Actions workflow command, shown as an annotation on the pull request."""
        text = " / ".join(" -- ".join(self.texts(lang)) for lang in langs)
        return (
            f"::{self.severity} file={_escape(self.path, True)},line={self.line},"
            f"title={_escape(title, True)}::{_escape(text)}"
        )

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def _escape(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
