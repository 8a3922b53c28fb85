"""Problems found in entries, printed the way contributors and GitHub read them.

Every check in kb reports a ``Problem`` rather than raising, so that one run lists every
mistake in every file with its line, what is wrong and how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    severity: Severity
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message} -- {self.fix}"

    def github(self) -> str:
        """A GitHub Actions workflow command, shown as an annotation on the pull request."""
        return (
            f"::{self.severity} file={_escape(self.path, True)},line={self.line},"
            f"title=kb check::{_escape(f'{self.message} -- {self.fix}')}"
        )

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def _escape(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text
