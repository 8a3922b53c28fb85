"""An archived copy to suggest for a dead address: the Internet Archive's availability lookup
(its closest snapshot), else the archive's search page for that address, for a person to look.

The lookup's address is a setting (``--archive``, ``KB_ARCHIVE_URL``, ``links_archive`` in
kb.yml) so that tests answer it from a local server.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request

AVAILABILITY = "https://archive.org/wayback/available"
SEARCH = "https://web.archive.org/web/*/"


def search_address(url: str) -> str:
    """The Wayback Machine's list of the snapshots of ``url`` (never requested by kb)."""
    return SEARCH + url


def snapshot(url: str, lookup: str = AVAILABILITY, timeout: float = 15.0, user_agent: str = "kb-links") -> str:
    """The address of the closest archived copy of ``url``, or "" when there is none or the
    archive does not answer (no network: nothing to suggest but the search page)."""
    query = f"{lookup}{'&' if '?' in lookup else '?'}{urllib.parse.urlencode({'url': url})}"
    request = urllib.request.Request(query, headers={"User-Agent": user_agent, "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read(1_000_000).decode("utf-8"))
    except (OSError, ValueError):
        return ""
    closest = data.get("archived_snapshots", {}).get("closest", {}) if isinstance(data, dict) else {}
    found = closest.get("url", "") if isinstance(closest, dict) and closest.get("available") else ""
    return found if isinstance(found, str) and found.startswith(("http://", "https://")) else ""


def suggest(
    url: str, lookup: str = AVAILABILITY, timeout: float = 15.0, user_agent: str = "kb-links"
) -> tuple[str, bool]:
    """(address to suggest, whether it is a snapshot rather than the search page)."""
    found = snapshot(url, lookup, timeout, user_agent)
    return (found, True) if found else (search_address(url), False)
