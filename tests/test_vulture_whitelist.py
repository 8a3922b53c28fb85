"""The vulture whitelist (scripts/vulture_whitelist.py) names only what kb still defines.

vulture never says that a whitelisted name is gone: a stale line would let new dead code of the
same name through. Each line must also say who uses the name.
"""

from __future__ import annotations

import ast
import re

from conftest import REPO

WHITELIST = REPO / "scripts" / "vulture_whitelist.py"


def whitelisted() -> dict[str, str]:
    """Name -> its line, for each `_.name  # why` line."""
    names = {}
    for line in WHITELIST.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^_\.(\w+)\b", line)
        if match:
            names[match.group(1)] = line
    return names


def test_the_whitelist_is_python_vulture_reads():
    ast.parse(WHITELIST.read_text(encoding="utf-8"))
    assert len(whitelisted()) > 10


def test_every_whitelisted_name_is_defined_in_kb_and_says_who_uses_it():
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "kb").rglob("*.py")))
    for name, line in whitelisted().items():
        defined = rf"(?m)^\s*(?:def\s+{name}\(|class\s+{name}\b|{name}\s*[:=])|\.{name}\s*="
        found = re.search(defined, sources) is not None
        assert found, f"{name} is no longer defined in kb/: remove its line from {WHITELIST}"
        assert re.search(r"#\s*\S", line), f"{name}: say after '#' what uses it"
