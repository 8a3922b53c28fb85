#!/usr/bin/env python3
"""kb build against Hugo + Pagefind, side by side, on the same synthetic entries.

    python scripts/bench_vs_hugo.py [--sizes 1000 10000] [--where shm|disk]

For each size, generates the corpus (scripts/gen_corpus.py), builds it with the reference Hugo
site of ../shared/bench/hugo-site-bilingual/ used unchanged (every entry in content/fr/ and again
in content/nl/, `url:` renamed `source_url:`, then `hugo --quiet` and Pagefind over everything:
a French and a Dutch page per entry, taxonomy pages, search over both languages) and with
`kb build`, one after the other, and prints for each: wall seconds, peak memory of the largest
process, bytes and files written, and the ratios kb / (Hugo + Pagefind). Installs Debian's
`hugo` when it is missing (never in the tests); Pagefind comes with kb's own dependencies.
Figures are whole-process figures from the kernel (the largest process's peak RSS via wait4).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "bench" / "hugo-site-bilingual"


@dataclass
class Run:
    wall: float
    peak_mb: float
    status: int

    def __str__(self) -> str:
        return f"{self.wall:7.1f} s {self.peak_mb:7.0f} MB"


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Run:
    """Run ``command``; its wall time and the peak RSS of its largest process (children included)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "status = subprocess.run(sys.argv[1:]).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, status, file=sys.stderr)"
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - started
    peak_kb, status = done.stderr.strip().splitlines()[-1].split()
    return Run(wall, int(peak_kb) / 1024, int(status))


def tree(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``."""
    total = files = 0
    for folder, _, names in os.walk(path):
        for name in names:
            total += os.lstat(os.path.join(folder, name)).st_size
            files += 1
    return total, files


def corpus(folder: Path, size: int) -> list[Path]:
    files = sorted(folder.glob("syn-*.md")) if folder.is_dir() else []
    if len(files) < size:
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "gen_corpus.py"), str(folder), "-n", str(size)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        files = sorted(folder.glob("syn-*.md"))
    return files[:size]


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--where", choices=["shm", "disk"], default="shm")
    args = parser.parse_args()
    scratch = Path("/dev/shm/kb-vs-hugo" if args.where == "shm" else "/tmp/kb-vs-hugo")
    scratch.mkdir(parents=True, exist_ok=True)
    version = ensure_hugo()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}
    print(f"Hugo {version}; Pagefind from kb's dependencies; {os.cpu_count()} CPUs; output on {args.where}")
    print(f"{'entries':>8} {'tool':<24} {'wall':>9} {'peak':>10} {'written':>10} {'files':>8}")
    for size in args.sizes:
        files = corpus(scratch / f"corpus-{max(args.sizes)}", max(args.sizes))[:size]
        site = hugo_site(scratch / f"n{size}", files)
        out = site / "public"
        hugo = timed(["hugo", "--quiet", "-d", str(out)], site, env)
        pagefind = timed([sys.executable, "-m", "pagefind", "--site", str(out)], site, env)
        written, count = tree(out)
        project = kb_project(scratch / f"n{size}", files)
        kb = timed([sys.executable, "-m", "kb", "build", "--quiet"], project, {**env, "PYTHONPATH": str(ROOT)})
        rows = {"hugo": (hugo, written, count), "pagefind": (pagefind, 0, 0), "kb": (kb, *tree(project / "site"))}
        shutil.rmtree(scratch / f"n{size}", ignore_errors=True)
        both = Run(
            rows["hugo"][0].wall + rows["pagefind"][0].wall,
            max(rows["hugo"][0].peak_mb, rows["pagefind"][0].peak_mb),
            0,
        )
        for name, (run, written, count) in (
            ("Hugo", rows["hugo"]),
            ("Pagefind on Hugo", rows["pagefind"]),
            ("Hugo + Pagefind", (both, rows["hugo"][1], rows["hugo"][2])),
            ("kb build", rows["kb"]),
        ):
            print(f"{size:>8} {name:<24} {run} {written / 1e6:8.1f} MB {count:>8}")
        kb_run, kb_bytes, kb_files = rows["kb"]
        print(
            f"{size:>8} {'kb / (Hugo + Pagefind)':<22} wall {kb_run.wall / both.wall:.2f}x, "
            f"peak {kb_run.peak_mb / both.peak_mb:.2f}x, bytes {kb_bytes / max(rows['hugo'][1], 1):.2f}x, "
            f"files {kb_files / max(rows['hugo'][2], 1):.2f}x"
        )
        if any(r[0].status for r in rows.values()):
            print("  a build failed: figures are not comparable")
    return 0


if __name__ == "__main__":
    sys.exit(main())
