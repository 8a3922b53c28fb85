"""What kb's benchmark scripts share: timing a process or a call on a shared machine, peak memory,
the size of a folder, the synthetic corpus, and the tables they print.

    from benchlib import Policy, run_process, tree_size   # scripts/ is on sys.path when a
                                                            # script in it runs

Not a benchmark itself: ``scripts/bench_build.py``, ``scripts/bench_search.py`` and
``scripts/bench_vs_hugo.py`` measure; this module only holds the helpers they would otherwise
each write again. It imports nothing from ``kb``, so a benchmark may measure another checkout's
``kb`` (``kb_env(root)``).

The machine these run on has 2 cores shared with other sessions, so every timing comes with
``others``: the cores other processes used meanwhile (from /proc/stat). A figure whose
``others`` is above ~0.3 is inflated; ``Policy`` waits for the load to fall and re-runs a
measurement taken under load, keeping the quietest attempt.
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent  # this checkout
CLK_TCK = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


def say(text: str = "") -> None:
    """Print at once (the output is read while a long benchmark runs)."""
    print(text, flush=True)


def loadavg() -> str:
    """The 1, 5 and 15-minute load averages, as printed next to a figure."""
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# -- measuring -------------------------------------------------------------------------------------


@dataclass
class Run:
    """One timed run: wall and CPU seconds, peak RSS, and the machine's state around it."""

    wall: float
    cpu: float
    rss_mb: float = 0.0  # peak resident size of the largest process (0: not measured)
    load: float = 0.0  # 1-minute load average just before the run
    others: float = 0.0  # cores used by other processes during the run
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        rss = f", rss {self.rss_mb:.0f} MB" if self.rss_mb else ""
        return f"wall {self.wall:.2f}s, cpu {self.cpu:.2f}s{rss} (load {self.load:.2f}, others {self.others:.2f})"


def _machine_seconds() -> list[float]:
    """The whole machine's seconds since boot (all cores), from /proc/stat's first line: user,
    nice, system, idle, iowait, irq, softirq, steal."""
    with open("/proc/stat") as stat:
        values = [int(v) / CLK_TCK for v in stat.readline().split()[1:]]
    return (values + [0.0] * 8)[:8]


def busy_seconds() -> float:
    """CPU seconds spent by the whole machine (all cores) since boot, idle and iowait excluded."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = _machine_seconds()
    return user + nice + system + irq + softirq + steal


def iowait_seconds() -> float:
    """Seconds the machine's cores have spent idle waiting for the disk, since boot."""
    return _machine_seconds()[4]


def own_cpu(children: bool = True) -> float:
    """CPU seconds of this process, and of the children it has waited for (unless ``children`` is false)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    total = me.ru_utime + me.ru_stime
    if children:
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += kids.ru_utime + kids.ru_stime
    return total


def _others(busy_before: float, used: float, wall: float) -> float:
    """Cores used by other processes: the machine's busy time minus ours, per second of wall."""
    if wall < 0.05:  # /proc/stat counts in ticks: too coarse for a shorter run
        return 0.0
    return max(0.0, (busy_seconds() - busy_before - used) / wall)


def run_process(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command`` to completion (its output is kept only to show when it fails); wall time,
    CPU (user+sys) and peak RSS of the whole process tree.

    Both come from ``os.wait4``: the CPU of the child and of every descendant it waited for
    (fork workers, Pagefind...), and the peak resident size of the largest of those processes
    (Linux reports the maximum, not the sum)."""
    cpu_before, busy_before, started = own_cpu(children=False), busy_seconds(), time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = process.stdout.read() if process.stdout else b""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if process.stdout:
        process.stdout.close()
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code  # already reaped: Popen must not wait for it again
    if code != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({code}):\n{output.decode(errors='replace')[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime
    # This process's own CPU only: once waited for, the child's is in RUSAGE_CHILDREN too.
    others = _others(busy_before, cpu + own_cpu(children=False) - cpu_before, wall)
    return Run(wall, cpu, usage.ru_maxrss / 1024, others=others)


def run_inprocess(action: Callable[[], T]) -> tuple[T, Run]:
    """Call ``action()``; its result, and wall and CPU of this process and of the children it waited for."""
    cpu_before, busy_before, started = own_cpu(), busy_seconds(), time.perf_counter()
    result = action()
    wall = time.perf_counter() - started
    cpu = own_cpu() - cpu_before
    return result, Run(wall, cpu, others=_others(busy_before, cpu, wall))


@dataclass
class Policy:
    """How to measure on a shared machine: wait (at most ``settle`` s) for the 1-minute load to fall
    to ``load_max``, re-run a measurement that started above it (``retries`` times, while less than
    ``budget`` s have passed since the policy was made), keep the attempt others disturbed least."""

    load_max: float = 1.5
    settle: float = 15.0
    retries: int = 1
    budget: float = 3600.0
    started: float = field(default_factory=time.monotonic)

    def settle_load(self) -> float:
        """Wait for the 1-minute load to fall to ``load_max`` (at most ``settle`` s); return it."""
        deadline = time.monotonic() + self.settle
        while os.getloadavg()[0] > self.load_max and time.monotonic() < deadline:
            time.sleep(1)
        return os.getloadavg()[0]

    def measure(self, label: str, attempt: Callable[[], Run]) -> Run:
        """Run ``attempt`` (it times itself), re-running it under load; keep the quietest attempt."""
        runs: list[Run] = []
        while True:
            load = self.settle_load()
            averages = loadavg()
            run = attempt()
            run.load = load
            runs.append(run)
            say(f"    {label}: {run}   [loadavg before {averages}]")
            in_time = time.monotonic() - self.started < self.budget
            if load <= self.load_max or len(runs) > self.retries or not in_time:
                break
            say(f"    {label}: load {load:.2f} > {self.load_max}: running it again")
        best = min(runs, key=lambda r: r.others)
        if len(runs) > 1:
            say(f"    {label}: kept the attempt with others {best.others:.2f}")
        return best


@dataclass
class Summary:
    """Median, min and max of a few runs."""

    wall: float
    cpu: float
    wall_min: float
    wall_max: float
    rss_mb: float
    others: float
    runs: int

    @classmethod
    def of(cls, runs: list[Run]) -> Summary:
        walls = [r.wall for r in runs]
        return cls(
            statistics.median(walls),
            statistics.median(r.cpu for r in runs),
            min(walls),
            max(walls),
            max(r.rss_mb for r in runs),
            max(r.others for r in runs),
            len(runs),
        )

    def __str__(self) -> str:
        spread = f" ({self.wall_min:.2f}-{self.wall_max:.2f})" if self.runs > 1 else ""
        return (
            f"wall {self.wall:.2f}s{spread}, cpu {self.cpu:.2f}s, rss {self.rss_mb:.0f} MB, "
            f"median of {self.runs}, others <= {self.others:.2f}"
        )


def percentile(values: Iterable[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.95: p95), interpolated between the two nearest values."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = int(position), min(int(position) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- the corpus and kb's environment -----------------------------------------------------------------


def kb_env(root: Path = ROOT) -> dict[str, str]:
    """This environment for a ``python -m kb`` child: ``root``'s kb first on the path, no ``KB_*``
    setting of the caller's shell (they would change what is measured)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    return env


def ensure_corpus(folder: Path, size: int) -> list[Path]:
    """The first ``size`` files of the synthetic corpus in ``folder``, made by gen_corpus.py when
    there are fewer or the generator (or its word lists) changed since (the same seed: a smaller
    corpus is a prefix of a larger one, so the largest size can be generated once and reused)."""
    generator = [SCRIPTS / "gen_corpus.py", *sorted((SCRIPTS / "data" / "gen_corpus").glob("*.json"))]
    stamp = hashlib.sha1(b"".join(path.read_bytes() for path in generator)).hexdigest()
    made = folder / ".generator"
    files = sorted(folder.glob("syn-*.md")) if folder.is_dir() else []
    if len(files) < size or not made.is_file() or made.read_text() != stamp:
        say(f"generating {size:,} entries into {folder} ...")
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(SCRIPTS / "gen_corpus.py"), str(folder), "-n", str(size)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        made.write_text(stamp)
        files = sorted(folder.glob("syn-*.md"))
    return files[:size]


def fill(folder: Path, files: Sequence[Path], link: bool = False) -> None:
    """Make ``folder`` afresh holding ``files`` (copies, or hard links when ``link``: faster, but
    an edit then changes the corpus too)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for file in files:
        (os.link if link else shutil.copyfile)(file, folder / file.name)


# -- sizes and tables -------------------------------------------------------------------------------


def tree_size(root: Path) -> dict[str, Any]:
    """Bytes and files under ``root`` (symbolic links counted as links), in total and per
    top-level name: ``{"bytes": n, "files": n, "parts": {"fr/": [bytes, files], ...}}``."""
    total_bytes = total_files = 0
    parts: dict[str, list[int]] = {}
    for folder, _dirs, files in os.walk(root):
        top = os.path.relpath(folder, root).split(os.sep)[0]
        for name in files:
            size = os.lstat(os.path.join(folder, name)).st_size
            part = parts.setdefault(top + "/" if top != "." else "(top files)", [0, 0])
            part[0] += size
            part[1] += 1
            total_bytes += size
            total_files += 1
    return {"bytes": total_bytes, "files": total_files, "parts": parts}


def seconds(value: float | None) -> str:
    """A duration as read in a table: "12.3 ms" below a second, "1.23 s" above."""
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def kbytes(n: float) -> str:
    return f"{n / 1e3:.1f} KB"


def count(n: float) -> str:
    return f"{n:,.0f}"


@dataclass
class Figure:
    """One row of a ratio table: the same measure for two tools, and how to print it."""

    measure: str
    ours: float
    theirs: float
    show: Callable[[float], str] = seconds


def ratio_table(ours: str, theirs: str, figures: Sequence[Figure], width: int = 36) -> list[str]:
    """Lines of a table comparing two tools on the same corpus: each figure for ``ours`` and
    ``theirs`` and the ratio ours / theirs (above 1: ours is slower or bigger; "-" when
    ``theirs`` is 0)."""
    lines = [f"{'measure':<{width}} {ours:>14} {theirs:>14} {ours + ' / ' + theirs:>16}"]
    lines.append("-" * len(lines[0]))
    for figure in figures:
        ratio = f"{figure.ours / figure.theirs:.2f}x" if figure.theirs else "-"
        lines.append(
            f"{figure.measure:<{width}} {figure.show(figure.ours):>14} {figure.show(figure.theirs):>14} {ratio:>16}"
        )
    return lines
