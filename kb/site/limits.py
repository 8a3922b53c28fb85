"""What a build will need, said before it starts: a site larger than its host accepts, or more
memory than the machine has.

A build of 100,000 entries runs for minutes; the host refusing the site, or the kernel killing
the build for memory, would only be found at the end. The needs grow linearly with the entries
(see the README's performance section), so they are estimated from the entry count alone,
with the figures measured by scripts/bench_vs_hugo.py on the synthetic corpus (whose entries
are as long as the real ones: about 3 KB of Markdown each). A build that starts from a tree of
the last one (incremental: kb.site.build) needs less memory than one from nothing, and is
estimated so: a deploy after a few edits is not refused for what a whole build would need.
"""

from __future__ import annotations

from dataclasses import dataclass

from kb import i18n
from kb.site.output import BuildError

# Measured with scripts/bench_vs_hugo.py (README, Performance): the Pages artifact, packed as GNU
# tar packs it, was 10.7 MB at 1,000 entries, 103.0 MB at 10,000 and 1,012.8 MB at 100,000; the
# cuts since (Dutch pages without Pagefind's attributes or citation tags, fewer search metadata,
# COinS, JSON layout, apostrophes, the communes' map lists) took 10,000 entries to 98.4 MB, so
# 100,000 to about 968 MB by the 100,000/10,000 ratio measured before them (9.83x); the estimate
# keeps 9,900 bytes an entry (990 MB at 100,000), a little over what was measured. Pagefind's
# peak: 0.17, 1.5 and 14.4 GB at 1,000, 10,000 and 100,000 entries in one run, while kb's main
# process held 0.1, 0.4 and 2.8 GB beside it. At 100,000 entries in shards of 12,500, with page
# workers renewed every 20,000 pages (kb.site.render.RENEW), the build's processes held 6,330 MB
# together at their peak (PSS; 6,788-7,178 MB without the renewal), Pagefind 2,097 MB of it
# (a shard of 3,125 pages 523 MB, 6,250 pages 1,052 MB, 12,500 pages 2,131 MB when run alone).
# With Pagefind's allocator on one arena a core (kb.site.pagefind.ALLOCATOR; two): 6,198 MB,
# Pagefind 1,894. With each entry's citation kept by the main process for the Dutch pages and
# kb.bib (kb.site.pages.Site.citation): 6,386 MB, hence 42,000 bytes an entry (6,437 MB).
UPLOAD_BYTES_PER_ENTRY = 9_900  # the site as GitHub Pages counts it: the compressed tar
UPLOAD_BYTES_BASE = 1_000_000  # assets, Pagefind's scripts, the pages that do not grow
MEMORY_BYTES_PER_ENTRY = 42_000  # kb's main process (entries, pages, keys) and its page workers, as PSS
# An incremental build at 100,000 entries (a deploy restored from the last one's state: the
# process tree's PSS at its peak): nothing changed 768 MB (one process), a body edited 2,398 MB
# (Pagefind over its shard), a year edited 4,623 MB (3,112 pages written, listings of thousands
# of entries among them, with the shard): 300 MB + 1,937 MB of Pagefind + 24,000 bytes an entry.
INCREMENTAL_BYTES_PER_ENTRY = 24_000
PAGEFIND_BYTES_PER_ENTRY = 155_000  # Pagefind, per entry of the shard it indexes (one run at a time)
MEMORY_BYTES_BASE = 300_000_000
MB = 1_000_000


@dataclass(frozen=True)
class Needs:
    """What building ``entries`` entries takes, in MB."""

    entries: int
    upload_mb: int
    memory_mb: int


def estimate(entries: int, shard_size: int, incremental: bool = False) -> Needs:
    """What building ``entries`` entries takes when Pagefind indexes ``shard_size`` at most in
    one run (kb.site.pagefind), from nothing or ``incremental``."""
    pagefind = PAGEFIND_BYTES_PER_ENTRY * min(entries, shard_size)
    per_entry = INCREMENTAL_BYTES_PER_ENTRY if incremental else MEMORY_BYTES_PER_ENTRY
    return Needs(
        entries,
        (UPLOAD_BYTES_BASE + UPLOAD_BYTES_PER_ENTRY * entries) // MB,
        (MEMORY_BYTES_BASE + per_entry * entries + pagefind) // MB,
    )


def available_memory_mb() -> int | None:
    """Memory the build may use: the kernel's MemAvailable, or a smaller cgroup limit (a CI
    container); None where neither can be read."""
    found = []
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024 // MB)
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as cgroup:
            limit = cgroup.read().strip()
        if limit.isdigit():
            found.append(int(limit) // MB)
    except OSError:
        pass
    return min(found) if found else None


class NotEnoughMemory(BuildError):
    """The build would need more memory than it may use: it does not start (the command then
    says that the last good site is unchanged, as for any build error)."""


def warnings(entries: int, upload_limit_mb: int, shard_size: int) -> list[i18n.Said]:
    """Warnings to show before building: the site would be too large for its host. A limit of
    0 turns the check off."""
    needs = estimate(entries, shard_size)
    if upload_limit_mb and needs.upload_mb > upload_limit_mb:
        return [i18n.Said("build.too_large", entries=entries, size=needs.upload_mb, limit=upload_limit_mb)]
    return []


def require_memory(entries: int, memory_limit_mb: int, shard_size: int, incremental: bool) -> None:
    """Raise NotEnoughMemory when the build would need more memory than ``memory_limit_mb``
    (0: the memory available now): before it writes anything."""
    needs = estimate(entries, shard_size, incremental)
    memory = memory_limit_mb or available_memory_mb()
    if memory and needs.memory_mb > memory:
        raise NotEnoughMemory(
            "build.memory", entries=entries, need=needs.memory_mb, have=memory, per=PAGEFIND_BYTES_PER_ENTRY // 1000
        )
