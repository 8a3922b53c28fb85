"""The search bundle: Pagefind run over the French entry pages, in the background, into a
folder of its own, made byte-stable and pruned, then moved into a tree in one rename.

Pagefind indexes the French entry pages only, as a single index (``--force-language fr``): each
entry is indexed once, and the Dutch search page maps the result URLs to ``/nl/``, so entries in
either language are found from both interfaces.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kb import workers
from kb.faults import pause
from kb.site.output import BuildError, exchange, link_or_copy


class SearchNotUpdated(BuildError):
    """Pagefind failed after the new pages went live: the site still searches with its previous bundle."""


PAGEFIND_SIGNATURE = b"pagefind_dcd"
INDEXED_PAGES = "fr/entries/"  # what Pagefind indexes: the French entry pages (and the listing of them all)
PARALLEL_CHUNKS = 32  # index chunks from which two processes rewrite them (a few hundred entries)
SEARCH_MARK = "pagefind/pagefind-entry.json"  # its manifest key says which entry pages the bundle indexed


def read(path: Path):
    import cbor2

    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PAGEFIND_SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind data file")
    return cbor2.loads(data[len(PAGEFIND_SIGNATURE) :])


def write(value, folder: Path, prefix: str, suffix: str, digits: int) -> str:
    """Write a Pagefind data file named after its content; returns the new hash name. A file
    of that name already holds these bytes (it may be a link into the live bundle: left alone)."""
    import cbor2

    data = gzip.compress(PAGEFIND_SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)
    name = f"{prefix}_{hashlib.sha256(data).hexdigest()[:digits]}"
    target = folder / f"{name}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return name


def _renumbered(pages: list, number: dict[int, int]) -> list:
    """A word's postings ([page delta, locations, meta locations], page numbers as deltas from
    the previous posting) with the pages renumbered, in the new numbers' order."""
    absolute, current = [], 0
    for delta, *rest in pages:
        current += delta
        absolute.append((number[current], rest))
    absolute.sort(key=lambda posting: posting[0])
    renumbered, previous = [], 0
    for page, rest in absolute:
        renumbered.append([page - previous, *rest])
        previous = page
    return renumbered


def _canonical_chunks(shared: tuple[Path, str, list, dict[int, int]], bounds: tuple[int, int]) -> list[list]:
    """Rewrite the word index chunks ``chunks[start:stop]`` of one language with the pages
    renumbered (see canonical); returns their new [first word, last word, name] rows. Chunks
    are independent of each other: large bundles rewrite them on two processes (kb.workers),
    the longest part of making a bundle canonical (at 10,000 entries, 234 chunks)."""
    bundle, language, chunks, number = shared
    rows = []
    for first, last, chunk_hash in chunks[slice(*bounds)]:
        path = bundle / "index" / f"{chunk_hash}.pf_index"
        words, *rest = read(path)
        for word in words:
            word[1] = _renumbered(word[1], number)
            for variant in word[2]:  # the word's other spellings (accents), from a hash map
                variant[1] = _renumbered(variant[1], number)
            word[2].sort(key=lambda variant: variant[0])
        path.unlink()
        rows.append([first, last, write([words, *rest], bundle / "index", language, ".pf_index", 7)])
    return rows


def canonical(bundle: Path) -> None:
    """Make Pagefind's bundle byte-stable between identical builds, on any file system.

    Pagefind 1.5 numbers the pages in the order it finds them, which is the order the file
    system lists a folder (tmpfs and ext4 differ), and writes its filter indexes and a word's
    spellings from hash maps (upstream issue #638). Here the pages are renumbered in the order
    of their fragment (content-named) files, the word and filter indexes rewritten with the new
    numbers and their values sorted, files renamed after their content, and the meta index and
    pagefind-entry.json rewritten to match. Anything unexpected (a sort index among them: the
    pages have none) leaves the bundle as Pagefind wrote it: search works either way.
    """
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text())
    for language, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = read(meta_path)
        if not (
            isinstance(meta, list)
            and len(meta) > 4
            and all(len(f) == 2 for f in meta[3])
            and all(len(c) == 3 for c in meta[2])
            and not meta[4]
        ):
            return
        number = {old: new for new, (old, _) in enumerate(sorted(enumerate(meta[1]), key=lambda p: p[1][0]))}
        filters = {}
        for name, file_hash in meta[3]:
            path = bundle / "filter" / f"{file_hash}.pf_filter"
            filter_name, values = read(path)
            filters[name] = (path, filter_name, values)
        shared = (bundle, language, meta[2], number)
        with workers.spread(_canonical_chunks, shared, len(meta[2]), PARALLEL_CHUNKS, size=8) as parts:
            chunks = [chunk for part in parts for chunk in part]
        renamed = []
        for name, _ in sorted(meta[3]):
            path, filter_name, values = filters[name]
            values = sorted([value, sorted(number[page] for page in pages)] for value, pages in values)
            path.unlink()
            renamed.append([name, write([filter_name, values], bundle / "filter", language, ".pf_filter", 7)])
        meta[1] = sorted(meta[1], key=lambda page: page[0])
        meta[2], meta[3] = chunks, renamed
        meta_path.unlink()
        info["hash"] = write(meta, bundle, f"pagefind.{language}", ".pf_meta", 10).removeprefix("pagefind.")
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))


def prune(bundle: Path) -> None:
    """Remove the files of earlier runs that the bundle's meta indexes no longer name.

    Pagefind writes into the previous bundle (it skips files that exist, which halves a
    re-index) and leaves what it no longer needs: without this, the bundle would grow with
    every build and differ from a clean build's."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    keep = {"pagefind-entry.json"}
    for language, info in entry["languages"].items():
        meta_name = f"pagefind.{info['hash']}.pf_meta"
        meta = read(bundle / meta_name)
        keep.add(meta_name)
        keep.update(f"fragment/{page}.pf_fragment" for page, *_ in meta[1])
        keep.update(f"index/{chunk[2]}.pf_index" for chunk in meta[2])
        keep.update(f"filter/{file_hash}.pf_filter" for _, file_hash in meta[3])
    for folder in ("fragment", "index", "filter"):
        for file in (bundle / folder).glob("*"):
            if f"{folder}/{file.name}" not in keep:
                file.unlink()
    for file in bundle.glob("*.pf_meta"):
        if file.name not in keep:
            file.unlink()


class Indexing:
    """Pagefind indexing a tree's French entry pages (one single-language index) in the
    background, into a folder beside the trees, later moved into a tree as its ``pagefind/``.

    The folder starts with links to the content-named files of the newest bundle (``seed``):
    Pagefind skips the files that exist, which makes a re-index much cheaper. Bundles are
    never written in place, so a bundle being read by the live site never changes."""

    def __init__(self, tree: Path, work: Path, seed: Path | None, log: Path, limit: float):
        self.bundle, self.log, self.limit = work, log, limit
        self.deadline = time.monotonic() + limit
        shutil.rmtree(work, ignore_errors=True)  # left by an interrupted build
        work.mkdir(parents=True)
        if seed and (seed / "pagefind-entry.json").is_file():
            for folder in ("fragment", "index", "filter"):
                (work / folder).mkdir()
                for file in os.scandir(seed / folder):
                    link_or_copy(file.path, str(work / folder / file.name))
            for file in seed.glob("*.pf_meta"):
                link_or_copy(str(file), str(work / file.name))
        command = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(tree / "fr" / "entries"),
            "--glob",
            "*/index.html",
            "--force-language",
            "fr",
            "--output-path",
            str(work),
            "--silent",
        ]
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as output:  # what Pagefind says, for when it fails
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)

    def finish(self) -> None:
        """Wait for Pagefind (until the time limit: it has hung), then make its bundle canonical."""
        pause("search")
        try:
            self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"Pagefind did not finish within {self.limit:g} s (KB_PAGEFIND_TIMEOUT); its log: {self.log}"
            ) from None
        if self.process.returncode != 0:
            raise BuildError(f"Pagefind failed (exit status {self.process.returncode}); its log: {self.log}")
        canonical(self.bundle)
        prune(self.bundle)

    def install(self, tree: Path) -> None:
        """Make the new bundle the tree's, in one rename (the tree may be the live site)."""
        target = tree / "pagefind"
        if target.exists():
            exchange(target, self.bundle)
            shutil.rmtree(self.bundle)
        else:
            os.rename(self.bundle, target)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.bundle, ignore_errors=True)
