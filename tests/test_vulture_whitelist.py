"""The vulture whitelist (scripts/vulture_whitelist.py) lists exactly what vulture would report
though something uses it, each with what does.

vulture never says that a whitelisted name is gone or used again in code it reads: a stale line
would let new dead code of that name through.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys

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


def test_the_whitelist_is_python_and_says_who_uses_each_name():
    ast.parse(WHITELIST.read_text(encoding="utf-8"))
    assert len(whitelisted()) > 10
    for name, line in whitelisted().items():
        assert re.search(r"#\s*\S", line), f"{name}: say after '#' what uses it"


def test_vulture_without_the_whitelist_reports_every_whitelisted_name():
    # The paths given replace [tool.vulture]'s; its ignore_decorators still apply.
    found = subprocess.run(
        [sys.executable, "-m", "vulture", "kb", "scripts", "--exclude", "vulture_whitelist.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode in (0, 3), found.stderr  # 3: unused code found
    reported = set(re.findall(r"unused \w+ '(\w+)'", found.stdout))
    for name in whitelisted():
        assert name in reported, f"{name} is no longer reported by vulture: remove its line from {WHITELIST}"
