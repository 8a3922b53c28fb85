#!/usr/bin/env python3
"""kb build against Hugo + Pagefind, side by side, on the same synthetic entries.

    python scripts/bench_vs_hugo.py [--sizes 1000 10000] [--where shm|disk] [--tools hugo,kb] [--artifact]
                                    [--timeline]

For each size, generates the corpus (scripts/gen_corpus.py), builds it with the reference Hugo
site of ../shared/bench/hugo-site-bilingual/ used unchanged (every entry in content/fr/ and again
in content/nl/, `url:` renamed `source_url:`, then `hugo --quiet` and Pagefind over everything:
a French and a Dutch page per entry, taxonomy pages, search over both languages) and with
`kb build`, one after the other, and prints for each: wall seconds, peak memory of the largest
process, bytes and files written, and the ratios kb / (Hugo + Pagefind). Installs Debian's
`hugo` when it is missing (never in the tests); Pagefind comes with kb's own dependencies.
Figures are whole-process figures from the kernel (the largest process's peak RSS via wait4).

For kb it also prints where the time and memory go, phase by phase (the phase is the last
progress line ``kb build`` printed: prepare = store, plan, related entries; pages; search =
Pagefind), from /proc sampled every 0.2 s: the peak RSS of kb's main process, of its largest
worker and of Pagefind, and the peak sum over the whole process tree (an upper bound: forked
workers share pages with their parent), and of its PSS (shared pages counted once: the memory
the build uses). Then where the bytes go, by kind of file (entry pages,
listings, figures, per-entry exports, whole-inventory downloads, open data, search bundle).
``--artifact`` also measures what GitHub Pages counts against its 1 GB: the gzip-compressed tar
that actions/upload-pages-artifact uploads (GNU ``tar -c`` of the site, compressed at level 6),
and each kind's share of it (each kind packed alone the same way). ``--timeline`` prints, every
5 s of kb's build, the cores its main process, its workers and Pagefind kept busy. ``--tools kb``
skips Hugo + Pagefind (at 100,000 entries Pagefind over both languages needs more memory than
a shared machine may have).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import time
import tarfile
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import CLK_TCK, ensure_corpus, iowait_seconds, tree_size

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "bench" / "hugo-site-bilingual"


@dataclass
class Run:
    wall: float
    peak_mb: float
    status: int
    phases: dict[str, dict[str, float]] = field(default_factory=dict)
    timeline: list[tuple[float, str, dict[str, float]]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.wall:7.1f} s {self.peak_mb:7.0f} MB"


def _rss_mb(pid: int) -> tuple[str, int, float, float, float] | None:
    """(command name, parent pid, resident MB, its CPU seconds, those of the children it has
    waited for) of a live process, None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    name, fields = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
    own, waited = (sum(int(ticks) for ticks in pair) / CLK_TCK for pair in (fields[11:13], fields[13:15]))
    return name, int(fields[1]), pages * os.sysconf("SC_PAGE_SIZE") / 2**20, own, waited


def _pss_mb(pid: int) -> float:
    """A process's proportional set size: its resident pages, each shared page divided among
    the processes sharing it (forked page workers share most of the main process's memory,
    which a sum of RSS counts once per worker)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


PSS_EVERY = 5  # samples between two PSS readings (see Sampler)
TICK = 25  # samples (5 s) per line of --timeline


class Sampler(threading.Thread):
    """Every 0.2 s: the RSS of each process under ``root``, booked to the phase named by the
    build's last progress line. Per phase: seconds, and the peaks of the main process, of the
    largest other Python process (a worker), of Pagefind, of the tree's sum of RSS (an upper
    bound) and, every PSS_EVERY samples, of its sum of PSS (the memory the tree uses, shared
    pages counted once). Reading PSS makes the kernel walk each process's page tables: 25 ms
    of CPU per sample at 10,000 entries, taken from the build's two cores, when read every
    0.2 s (6 % of a core, about a second of kb's 30). Also per phase: the CPU seconds the tree
    used (its live processes and those they waited for), and the seconds the machine's cores
    waited for the disk, so that a phase's cores busy and waiting show where the time went
    when it is not the CPU's; and that CPU by process: the main one (the plan, and its thread
    cutting pages for Pagefind), the workers (pages, bodies, and the process making each
    search shard byte-stable) and Pagefind (a process's last 0.2 s are missed)."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.phase, self.done = root, "start", threading.Event()
        self.phases: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.seen: dict[int, float] = {}  # pid -> its CPU seconds at the last sample
        self.timeline: list[tuple[float, str, dict[str, float]]] = []  # (seconds, phase, cores by role) per TICK
        self.window: dict[str, float] = defaultdict(float)  # CPU by role since the last line of the timeline
        self.began = self.window_start = time.perf_counter()

    def run(self) -> None:
        last, tick, cpu_before, io_before = self.began, 0, 0.0, iowait_seconds()
        while not self.done.wait(0.2):
            tick += 1
            procs = {int(p): info for p in os.listdir("/proc") if p.isdigit() and (info := _rss_mb(int(p)))}
            tree, grew = {self.root}, True
            while grew:
                more = {p for p, (_, parent, *_) in procs.items() if parent in tree} - tree
                tree |= more
                grew = bool(more)
            now, phase = time.perf_counter(), self.phases[self.phase]
            phase["seconds"] += now - last
            last = now
            cpu, io = sum(procs[p][3] + procs[p][4] for p in tree & procs.keys()), iowait_seconds()
            phase["cpu"] += max(0.0, cpu - cpu_before)
            phase["iowait"] += io - io_before
            cpu_before, io_before = cpu, io
            for pid in tree & procs.keys():
                name, _, mb, own, _ = procs[pid]
                role = "main" if pid == self.root else "pagefind" if "pagefind" in name else "worker"
                phase[role] = max(phase[role], mb)
                used, self.seen[pid] = own - self.seen.get(pid, 0.0), own
                phase[f"cpu {role}"] += used
                self.window[role] += used
            if tick % TICK == 0:  # (a tick takes longer than 0.2 s: the reading of /proc adds to it)
                spent, self.window_start = now - self.window_start, now
                cores = {role: cpu / spent for role, cpu in self.window.items()}
                self.timeline.append((now - self.began, self.phase, cores))
                self.window.clear()
            phase["tree"] = max(phase["tree"], sum(procs[p][2] for p in tree & procs.keys()))
            if tick % PSS_EVERY == 0 or not phase.get("pss"):
                phase["pss"] = max(phase.get("pss", 0.0), sum(_pss_mb(p) for p in tree & procs.keys()))

    def listen(self, stream: io.TextIOBase) -> None:
        """Follow the build's progress lines (``pages: 250/6049``, ``indexing the site...``)."""
        buffer = ""
        while chunk := stream.read(1):
            if chunk in "\r\n":
                if buffer.strip():
                    self.phase = re.split(r"[:.(]", buffer.strip(), maxsplit=1)[0].strip()[:40]
                buffer = ""
            else:
                buffer += chunk


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None, phases: bool = False) -> Run:
    """Run ``command``; its wall time and the peak RSS of its largest process (children included,
    from wait4); with ``phases``, the per-phase figures of a Sampler."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, bufsize=1
    )
    sampler = Sampler(process.pid)
    if phases:
        sampler.start()
        sampler.listen(process.stderr)
    else:
        process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.done.set()
    if phases:
        sampler.join()
    return Run(
        wall,
        usage.ru_maxrss / 1024,
        process.returncode,
        {k: dict(v) for k, v in sampler.phases.items()},
        sampler.timeline,
    )


KINDS = (  # (kind, pattern on the path in the site), the first that matches
    ("entry pages", r"^(fr|nl)/entries/(?!page/)[^/]+/index\.html$"),
    ("listings", r"^(fr|nl)/(entries|type|scale|criteria|basis|partners|territories|year|language)/"),
    ("figures", r"^(fr|nl)/(matrix|map|overview|compare|news)/"),
    ("per-entry exports", r"^export/entries/"),
    ("whole-inventory exports", r"^export/"),
    ("open data", r"^data/"),
    ("search (Pagefind)", r"^pagefind"),
)


def kinds(site: Path) -> dict[str, list[int]]:
    """Bytes and files per kind of file (KINDS, else "other")."""
    found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    patterns = [(kind, re.compile(pattern)) for kind, pattern in KINDS]
    for folder, _, names in os.walk(site):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, site)
            kind = next((k for k, p in patterns if p.search(relative)), "other")
            found[kind][0] += os.lstat(path).st_size
            found[kind][1] += 1
    return dict(found)


class _Counter:
    """A file that keeps only the count of the bytes written to it."""

    def __init__(self) -> None:
        self.size = 0

    def write(self, data: bytes) -> int:
        self.size += len(data)
        return len(data)


def _pages_tar(counter: _Counter) -> tarfile.TarFile:
    """A tar packed as actions/upload-pages-artifact packs the site: GNU tar's own format (whole
    seconds, no pax header per file: Python's default PAX format adds one for every sub-second
    mtime, some 100 bytes gzip a file), gzip level 6 (what upload-artifact's zip deflates with)."""
    return tarfile.open(fileobj=counter, mode="w:gz", compresslevel=6, format=tarfile.GNU_FORMAT)


def artifact_bytes(site: Path) -> int:
    """Size of the site as actions/upload-pages-artifact uploads it: one tar, gzip-compressed."""
    counter = _Counter()
    with _pages_tar(counter) as tar:
        tar.add(site, arcname=".")
    return counter.size


def artifact_by_kind(site: Path) -> dict[str, int]:
    """The artifact's bytes per kind of file: each kind's files packed alone, as the whole site
    is, so its share of the upload can be read off. The kinds add up to about the artifact
    (folders left out): gzip's window (32 KB) sees little across kinds."""
    patterns = [(kind, re.compile(pattern)) for kind, pattern in KINDS]
    counters: dict[str, _Counter] = defaultdict(_Counter)
    tars: dict[str, tarfile.TarFile] = {}
    with contextlib.ExitStack() as stack:
        for folder, _, names in sorted(os.walk(site)):
            for name in sorted(names):
                path = os.path.join(folder, name)
                relative = os.path.relpath(path, site)
                kind = next((k for k, p in patterns if p.search(relative)), "other")
                if kind not in tars:
                    tars[kind] = stack.enter_context(_pages_tar(counters[kind]))
                tars[kind].add(path, arcname=relative)
    return {kind: counter.size for kind, counter in counters.items()}


def _bytes_files(path: Path) -> tuple[int, int]:
    size = tree_size(path)
    return size["bytes"], size["files"]


def ensure_hugo() -> str:
    if not shutil.which("hugo"):
        print("installing Debian's hugo (for this benchmark only)", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "hugo"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    return subprocess.run(["hugo", "version"], capture_output=True, text=True).stdout.split()[1]


URL_KEY = re.compile(r"^url:", re.M)


def hugo_site(base: Path, files: list[Path]) -> Path:
    site = base / "hugo"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(REFERENCE, site)
    for lang in ("fr", "nl"):
        content = site / "content" / lang
        content.mkdir(parents=True)
        for path in files:
            (content / path.name).write_text(
                URL_KEY.sub("source_url:", path.read_text(encoding="utf-8"), count=1), encoding="utf-8"
            )
    return site


def kb_project(base: Path, files: list[Path]) -> Path:
    project = base / "kb"
    shutil.rmtree(project, ignore_errors=True)
    (project / "entries").mkdir(parents=True)
    for path in files:
        os.link(path, project / "entries" / path.name)
    return project


def print_phases(size: int, run: Run) -> None:
    print(
        f"{size:>8} kb phases: {'seconds':>8} {'CPU':>8} {'cores':>5} {'iowait':>6} {'main':>8} {'worker':>8} "
        f"{'Pagefind':>9} {'tree sum':>9} {'tree PSS':>9} (cores busy and waiting for the disk; MB peaks)"
    )
    for phase, f in run.phases.items():
        wall = max(f.get("seconds", 0), 1e-9)
        print(
            f"{'':>8}   {phase:<24} {f.get('seconds', 0):6.1f} s {f.get('cpu', 0):6.1f} s {f.get('cpu', 0) / wall:5.2f} "
            f"{f.get('iowait', 0) / wall:6.2f} {f.get('main', 0):8.0f} "
            f"{f.get('worker', 0):8.0f} {f.get('pagefind', 0):9.0f} {f.get('tree', 0):9.0f} {f.get('pss', 0):9.0f}"
        )
    print(f"{size:>8} kb CPU by process: {'main':>8} {'workers':>8} {'Pagefind':>9}")
    for phase, f in run.phases.items():
        print(
            f"{'':>8}   {phase:<24} {f.get('cpu main', 0):6.1f} s {f.get('cpu worker', 0):6.1f} s "
            f"{f.get('cpu pagefind', 0):7.1f} s"
        )


def print_timeline(size: int, run: Run) -> None:
    """Every 5 s of the build: the cores its main process, its workers and Pagefind kept busy."""
    print(f"{size:>8} kb timeline: {'second':>6} {'main':>5} {'workers':>7} {'Pagefind':>8} {'all':>5}  phase")
    for at, phase, cpu in run.timeline:
        cores = {role: cpu.get(role, 0.0) for role in ("main", "worker", "pagefind")}
        print(
            f"{'':>8}   {at:6.0f} {cores['main']:5.2f} {cores['worker']:7.2f} {cores['pagefind']:8.2f} "
            f"{sum(cores.values()):5.2f}  {phase}"
        )


def print_kinds(size: int, site: Path, artifact: bool) -> None:
    """Raw bytes and files per kind; with ``artifact``, each kind's gzip bytes and share of the
    Pages artifact too, then the artifact itself."""
    found = kinds(site)
    packed = artifact_by_kind(site) if artifact else {}
    total, total_packed = sum(b for b, _ in found.values()), sum(packed.values())
    print(f"{size:>8} kb site by kind: {total / 1e6:.1f} MB in {sum(n for _, n in found.values())} files")
    for kind, (written, count) in sorted(found.items(), key=lambda item: -item[1][0]):
        line = f"{'':>8}   {kind:<24} {written / 1e6:9.1f} MB {count:>8} files {written / max(count, 1):8.0f} B/file"
        if artifact:
            line += f" {packed[kind] / 1e6:8.1f} MB gzip ({packed[kind] / max(total_packed, 1):4.0%})"
        print(line)
    if artifact:
        print(
            f"{'':>8}   Pages artifact (tar.gz)  {artifact_bytes(site) / 1e6:9.1f} MB (GitHub Pages' limit: 1,000 MB)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--where", choices=["shm", "disk"], default="shm")
    parser.add_argument("--tools", default="hugo,kb", help="hugo,kb (default), or kb alone")
    parser.add_argument("--artifact", action="store_true", help="also the site's size as a Pages artifact")
    parser.add_argument("--timeline", action="store_true", help="also the cores kb keeps busy, every 5 s")
    args = parser.parse_args()
    tools = set(args.tools.split(","))
    scratch = Path("/dev/shm/kb-vs-hugo" if args.where == "shm" else "/var/tmp/kb-vs-hugo")
    scratch.mkdir(parents=True, exist_ok=True)
    version = ensure_hugo() if "hugo" in tools else "(not run)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    print(f"Hugo {version}; Pagefind from kb's dependencies; {os.cpu_count()} CPUs; output on {args.where}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'entries':>8} {'tool':<24} {'wall':>9} {'peak':>10} {'written':>10} {'files':>8}")
    for size in args.sizes:
        files = ensure_corpus(scratch / f"corpus-{max(args.sizes)}", max(args.sizes))[:size]
        rows = {}
        if "hugo" in tools:
            site = hugo_site(scratch / f"n{size}", files)
            out = site / "public"
            hugo = timed(["hugo", "--quiet", "-d", str(out)], site, env)
            pagefind = timed([sys.executable, "-m", "pagefind", "--site", str(out)], site, env)
            written, count = _bytes_files(out)
            shutil.rmtree(site, ignore_errors=True)
            both = Run(hugo.wall + pagefind.wall, max(hugo.peak_mb, pagefind.peak_mb), hugo.status or pagefind.status)
            rows["Hugo"] = (hugo, 0, 0)
            rows["Pagefind on Hugo"] = (pagefind, 0, 0)
            rows["Hugo + Pagefind"] = (both, written, count)
        project = kb_project(scratch / f"n{size}", files)
        kb = timed([sys.executable, "-m", "kb", "build"], project, {**env, "PYTHONPATH": str(ROOT)}, phases=True)
        rows["kb build"] = (kb, *_bytes_files(project / "site"))
        for name, (run, written, count) in rows.items():
            print(f"{size:>8} {name:<24} {run} {written / 1e6:8.1f} MB {count:>8}")
        if "Hugo + Pagefind" in rows:
            both, them_bytes, them_files = rows["Hugo + Pagefind"]
            _, kb_bytes, kb_files = rows["kb build"]
            print(
                f"{size:>8} {'kb / (Hugo + Pagefind)':<22} wall {kb.wall / both.wall:.2f}x, "
                f"peak {kb.peak_mb / both.peak_mb:.2f}x, bytes {kb_bytes / max(them_bytes, 1):.2f}x, "
                f"files {kb_files / max(them_files, 1):.2f}x"
            )
        print_phases(size, kb)
        if args.timeline:
            print_timeline(size, kb)
        print_kinds(size, project / "site", args.artifact)
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        shutil.rmtree(scratch / f"n{size}", ignore_errors=True)
        if any(r[0].status for r in rows.values()):
            print("  a build failed: figures are not comparable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
