"""The search bundle: Pagefind run over the French entry pages, in the background, into a
folder of its own, made byte-stable and pruned, then moved into a tree in one rename.

Pagefind indexes the French entry pages only, as a single index (``--force-language fr``): each
entry is indexed once, and the Dutch search page maps the result URLs to ``/nl/``, so entries in
either language are found from both interfaces. It reads a copy of each page cut to the part
it indexes (_search_pages), less than half of it, and makes the same bundle of it.

Two things bound what one Pagefind run costs:

- **Shards.** Pagefind holds a whole index in memory (about 155 KB per page: 15 GB at 100,000
  entries, twice what a hosted 2-core runner has). Above ``search_shard_size`` entries the pages
  are split into shards by a hash of their name, each indexed by its own Pagefind run, one after
  the other, into ``pagefind/`` (shard 0, with Pagefind's scripts) and ``pagefind/shard/N/``;
  the search page merges them (Pagefind's ``mergeIndex``). A shard whose pages did not change is
  kept as it is. One shard up to the size keeps a first query small: every shard adds a word
  chunk and a meta index to it.
- **A delta.** After a few edits, the new pages are live at once; Pagefind over their shard
  takes seconds more (15 s at 10,000 entries). So their French pages are first indexed alone
  into a small bundle inside the live one (``delta-…/``), which the bundle's layout file lists
  with the results it supersedes; the search page merges it and drops those. Then the shards
  are indexed again and the caught-up bundle, without a delta, replaces the whole bundle.

The layout file (``kb-search.json``) says which shards and which delta a bundle holds, and each
shard's key (what its pages show), which the next build compares.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gzip
import threading
import zlib
import hashlib
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterable

from kb import cache as cache_file
from kb import workers
from kb.faults import pause
from kb.i18n import Said
from kb.files import write_atomically
from kb.site.output import BuildError, exchange, link_or_copy


class SearchNotUpdated(BuildError):
    """Pagefind failed after the new pages went live: the site still searches with its previous
    bundle. Says what failed (``reason``), as the command wraps it."""

    def __init__(self, reason: Said):
        super().__init__(reason.key, **reason.params)


PAGEFIND_SIGNATURE = b"pagefind_dcd"
INDEXED_PAGES = "fr/entries/"  # what Pagefind indexes: the French entry pages (and the listing of them all)
RUN = 8  # word index chunks rewritten together, in memory (see _runs)
ALONE = 24_000  # numbers of postings a word index chunk holds at most where it can be cut (_isolated)
SHARED = 2  # letters two words may share where _isolated cuts between them
LEVEL = 10  # libdeflate's level for the search data kb writes (see _packed)
LOADED = 12  # and for the files every query loads: the meta index, Pagefind's WebAssembly
PARALLEL_RUNS = 4  # runs of chunks from which two processes rewrite them (a few hundred entries)
SHORT = 5  # hex digits a page's id keeps at least (_short_ids)
LAYOUT = "kb-search.json"  # in a bundle: its shards (and their keys) and its delta, for search.js
# The layout, which every bundle kb makes holds (one of an inventory without entries holds
# nothing else): its manifest key says which entry pages the bundle indexed.
SEARCH_MARK = f"pagefind/{LAYOUT}"
DATA = ("fragment", "index", "filter")  # Pagefind's folders of content-named files
FRAGMENT_URL = re.compile(rb'pagefind_dcd\{"url":"((?:[^"\\]|\\.)*)"')  # a fragment's start
HEX = re.compile(r"[0-9a-f]+")
INDEXED_MARK = b" data-pagefind-body"  # the attribute of the element Pagefind indexes, in an entry page
SEARCH_PAGE = b'<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"></head><body>%s</body></html>'
FACTS = re.compile(rb'<dl class="facts" data-pagefind-ignore>.*?</dl>', re.S)  # kb.site.entry_parts.facts
SEARCH_TAG = re.compile(rb'<[a-z]+ [^>]*data-pagefind-(?:filter|meta)="[^>]*>')  # a start tag with either
SEARCH_ATTRIBUTE = re.compile(rb' data-pagefind-(filter|meta)="([^"]*)"')


def read(path: Path):
    """A Pagefind data file's value (its CBOR, decoded by cborx); ValueError if it is none.

    Why cborx, not cbor2: making the bundle canonical decodes and encodes every word index
    chunk, millions of short lists of small numbers; cborx's compiled codec does it in 0.97 s
    of CPU for the 212 chunks of 10,000 entries, cbor2 5.9's in 2.2 s (its encoder calls a
    write method for every number), with the same bytes. It has a pure-Python fallback where
    no wheel fits, with the same output."""
    import cborx

    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PAGEFIND_SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind data file")
    try:
        return cborx.loads(data[len(PAGEFIND_SIGNATURE) :])
    except cborx.CBORDecodeError as error:  # not a ValueError, unlike cbor2's: callers expect one
        raise ValueError(f"{path.name}: {error}") from None


def write(value, folder: Path, prefix: str, suffix: str, digits: int, level: int = LEVEL) -> str:
    """Write a Pagefind data file named after its content; returns the new hash name. A file
    of that name already holds these bytes (it may be a link into the live bundle: left alone)."""
    import cborx

    data = _packed(PAGEFIND_SIGNATURE + cborx.dumps(value), level)
    name = f"{prefix}_{hashlib.sha256(data).hexdigest()[:digits]}"
    target = folder / f"{name}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return name


def _packed(data: bytes, level: int) -> bytes:
    """``data`` gzipped by libdeflate, which Pagefind's own script unpacks as it unpacks its
    files: at level 10 as fast as zlib's default level, which Pagefind uses, and 6 % smaller
    (the word index chunks at 10,000 entries, 1.6 s of CPU either way); at 12, 8.8 % smaller
    for the meta index, loaded by every query, and 3.5 % for Pagefind's WebAssembly."""
    import deflate

    return deflate.gzip_compress(data, level)


def _repacked(path: Path) -> None:
    """Pagefind's file at ``path`` gzipped again at level LOADED (a new file renamed over it:
    the file may be a link into the live bundle)."""
    packed = path.with_name(f".{path.name}.packed")
    packed.write_bytes(_packed(gzip.decompress(path.read_bytes()), LOADED))
    os.replace(packed, path)


def _renumbered(pages: list, number: list[int]) -> list:
    """A word's postings ([page delta, locations, meta locations], page numbers as deltas from
    the previous posting) with the pages renumbered, in the new numbers' order. The postings
    are changed in place: the chunk they come from is rewritten whole."""
    absolute = sorted(
        zip(map(number.__getitem__, accumulate(posting[0] for posting in pages)), pages), key=itemgetter(0)
    )
    previous = 0
    for page, posting in absolute:
        posting[0] = page - previous
        previous = page
    return [posting for _, posting in absolute]


def _write_chunk(chunk: list, bundle: Path, language: str) -> str:
    """Write a word index chunk of ``language`` into ``bundle``, named as Pagefind names it."""
    return write(chunk, bundle / "index", language, ".pf_index", 7)


def _runs(rows: list[list]) -> list[list[list]]:
    """The word index chunks ``rows`` ([lower bound, last word, name]) cut into runs of about
    RUN chunks, each cut between two chunks that _unprefixed leaves as they are: a run is then
    rewritten whole, in memory, by one process."""
    runs: list[list[list]] = []
    for row in rows:
        if runs and (len(runs[-1]) < RUN or _joined(runs[-1][-1], row)):
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _joined(before: list, row: list) -> bool:
    """Whether the chunk ``row``'s lower bound starts with the word ``before`` ends on."""
    return row[0].startswith(before[1]) and row[0] != before[1]


def _canonical_chunks(shared: tuple[Path, str, list, list[int]], bounds: tuple[int, int]) -> list[list]:
    """Rewrite the runs of word index chunks ``runs[start:stop]`` of one language with the pages
    renumbered (see canonical), the largest words cut from the others (_isolated) and no chunk
    ending on a word that starts the next (_unprefixed);
    returns their new [lower bound, last word, name] rows. Runs are independent of each other:
    large bundles rewrite them on two processes (kb.workers), the longest part of making a
    bundle canonical (at 10,000 entries, 208 chunks)."""
    bundle, language, runs, number = shared
    rows = []
    with workers.collector_off():  # millions of postings and no cycles: 0.9 s of CPU less at 10,000 entries
        for run in runs[slice(*bounds)]:
            rows.extend(_rewritten(run, bundle, language, number))
    return rows


def _rewritten(run: list[list], bundle: Path, language: str, number: list[int]) -> list[list]:
    """One run of _canonical_chunks, its postings freed when it returns: under the caller's
    collector_off, since the collector, back on, would first scan every container allocated
    while it was off and still alive (1.2 s of CPU at 10,000 entries)."""
    chunks = []
    for first, last, chunk_hash in run:
        path = bundle / "index" / f"{chunk_hash}.pf_index"
        words, *rest = read(path)
        for word in words:
            word[1] = _renumbered(word[1], number)
            for variant in word[2]:  # the word's other spellings (accents), from a hash map
                variant[1] = _renumbered(variant[1], number)
            word[2].sort(key=lambda variant: variant[0])
        path.unlink()
        chunks.extend(_isolated([first, last, words, rest]))
    return [
        [first, last, _write_chunk([words, *rest], bundle, language)]
        for first, last, words, rest in _unprefixed(chunks)
    ]


def _boundary(last: str, first: str) -> str:
    """A chunk's lower bound as Pagefind writes it: the shortest start of its ``first`` word
    that sorts after the previous chunk's ``last`` word."""
    return next((first[:n] for n in range(1, len(first)) if first[:n] > last), first)


def _isolated(chunk: list) -> list[list]:
    """The chunk ([lower bound, last word, words, the rest]) cut into pieces of at most ALONE
    numbers of postings, a word of more alone, where _separable allows: a query for a word on
    most pages then loads its postings and not a chunk's worth of other words beside them (at
    10,000 entries, "quartier" shared its chunk with 93 words, 8 KB gzip, and "précarité"
    with 23, 16 KB). Each cut adds a row to the meta index, which every query loads (about
    15 bytes gzip), hence a bound above the size of most chunks (24,000 numbers, some 64 KB)."""
    first, last, words, rest = chunk
    known = {word[0] for word in words}
    pieces: list[list] = [[]]
    size = 0
    for word in words:
        length = _numbers(word)
        if pieces[-1] and size + length > ALONE and _separable(pieces[-1][-1][0], word[0], known):
            pieces.append([])
            size = 0
        pieces[-1].append(word)
        size += length
    if len(pieces) < 2:
        return [chunk]
    chunks = [[first, pieces[0][-1][0], pieces[0], rest]]
    for piece in pieces[1:]:
        chunks.append([_boundary(chunks[-1][1], piece[0][0]), piece[-1][0], piece, list(rest)])
    chunks[-1][1] = last  # Pagefind's own upper bound, which may be a start of the last word
    return chunks


def _numbers(word: list) -> int:
    """How many numbers a word's postings hold (its other spellings' too): its size in a chunk,
    about 2.6 bytes each, counted without encoding it (each word encoded apart took 2 s with
    cbor2 at 10,000 entries)."""
    return sum(
        1 + len(locations) + len(meta)
        for postings in (word[1], *(variant[1] for variant in word[2]))
        for _, locations, meta in postings
    )


def _separable(before: str, word: str, known: set[str]) -> bool:
    """Whether a chunk may end on ``before`` and the next start with ``word``, ``known`` the
    words of their chunk as Pagefind wrote it. Pagefind looks a query's stem up in one chunk and
    extends it there to the words it starts, and to those that share all but its last letter,
    so no word of ``known`` may start both, nor a start of more than SHARED letters: a query
    whose stem has more than SHARED + 1 letters finds what it found before (a shorter one, what
    a reader has typed so far, may find fewer; tests/test_browser_chunks.py)."""
    shared = next((n for n, (a, b) in enumerate(zip(before, word)) if a != b), min(len(before), len(word)))
    return shared <= SHARED and not any(word[:n] in known for n in range(1, shared + 1))


def _unprefixed(chunks: list[list]) -> list[list]:
    """The chunks ([lower bound, last word, words, the rest]) with none ending on a word that
    starts the next chunk's first word.

    Pagefind loads every chunk whose bounds match a word cut to their length when no chunk holds
    the word itself (pagefind_web's request_indexes), so a chunk ending on a short word loads for
    every such word it starts: ending on "a", on almost every page, it cost a first query 115 KB
    more at 10,000 entries. Words move from the next chunk until the chunk ends on a word that
    starts no other; the postings are unchanged, so results are too."""
    kept: list[list] = []
    for chunk in chunks:
        if kept and _joined(kept[-1], chunk):
            before = kept[-1]
            words, later = before[2], chunk[2]
            moved = 0
            while moved < len(later) and later[moved][0].startswith(words[-1][0]):
                words.append(later[moved])
                moved += 1
            del later[:moved]
            before[1] = words[-1][0]
            if not later:
                continue
            chunk[0] = _boundary(words[-1][0], later[0][0])
        kept.append(chunk)
    return kept


def _short_ids(fragments: Path, pages: list[list], language: str, tag: str) -> list[list]:
    """The pages ([id, word count], in id order) with shorter ids, their fragments renamed.

    The meta index, loaded by every query, lists every page's id: Pagefind's are its language
    and seven hex digits of a hash of the page's fragment (its name), 4.3 of the meta index's
    5.7 bytes a page gzip. Each id keeps the shortest start of Pagefind's, of SHORT digits at
    least, that no other page of the index starts with: still named after its content (an
    edited page gets a new name, but one time in a million), in the same order. At 10,000
    entries the meta index goes from 56.7 to 44.7 KB. ``tag`` keeps the ids of the bundle's
    indexes apart (a shard's number, "d" for the delta): search.js drops the results the delta
    supersedes by id, whichever index holds them. Ids not as Pagefind writes them are kept."""
    start = f"{language}_"
    digits = [page[0].removeprefix(start) for page in pages]
    if not all(page[0].startswith(start) and HEX.fullmatch(hexes) for page, hexes in zip(pages, digits)):
        return pages
    shared = [0, *(_common(a, b) for a, b in zip(digits, digits[1:])), 0]
    renamed = []
    for n, ((page, *rest), hexes) in enumerate(zip(pages, digits)):
        short = f"{start}{tag}{hexes[: max(SHORT, shared[n] + 1, shared[n + 1] + 1)]}"
        os.replace(fragments / f"{page}.pf_fragment", fragments / f"{short}.pf_fragment")
        renamed.append([short, *rest])
    return renamed


def _common(a: str, b: str) -> int:
    """How many first letters ``a`` and ``b`` share."""
    return next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))


def _pagefind_id(fragment: Path) -> str | None:
    """The id Pagefind gives the page of ``fragment`` (a file of a bundle, named as kb names
    it): its language and the first seven digits of the SHA-1 of the fragment's JSON, each
    byte in hex without a leading zero (Pagefind 1.5's output). None for a file it cannot read.
    Seeds Pagefind, which does not write a fragment of that name again (_link_bundle)."""
    try:
        data = gzip.decompress(fragment.read_bytes())
    except (OSError, EOFError, zlib.error):
        return None
    if not data.startswith(PAGEFIND_SIGNATURE):
        return None
    digest = "".join(f"{byte:x}" for byte in hashlib.sha1(data[len(PAGEFIND_SIGNATURE) :]).digest())
    return f"{fragment.name.split('_', 1)[0]}_{digest[:7]}"


def canonical(bundle: Path, parallel: bool = True, tag: str = "") -> None:
    """Make Pagefind's bundle byte-stable between identical builds, on any file system
    (``parallel``: large bundles on two processes; not from a thread, see kb.workers), its
    pages named shorter, with ``tag`` (_short_ids).

    Pagefind 1.5 numbers the pages in the order it finds them, which is the order the file
    system lists a folder (tmpfs and ext4 differ), and writes its filter indexes and a word's
    spellings from hash maps (upstream issue #638). Here the pages are renumbered in the order
    of their fragment (content-named) files, the word and filter indexes rewritten with the new
    numbers and their values sorted, files renamed after their content, and the meta index and
    pagefind-entry.json rewritten to match. What kb writes, and Pagefind's WebAssembly, is
    gzipped by libdeflate: smaller for the same work (_packed). Anything unexpected (a sort
    index among them: the pages have none) leaves the bundle as Pagefind wrote it: search
    works either way.
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
        number = [0] * len(meta[1])  # Pagefind's page number -> the page's place in fragment order
        for new, (old, _) in enumerate(sorted(enumerate(meta[1]), key=lambda p: p[1][0])):
            number[old] = new
        filters = {}
        for name, file_hash in meta[3]:
            path = bundle / "filter" / f"{file_hash}.pf_filter"
            filter_name, values = read(path)
            filters[name] = (path, filter_name, values)
        runs = _runs(meta[2])
        with workers.spread(
            _canonical_chunks,
            (bundle, language, runs, number),
            len(runs),
            PARALLEL_RUNS if parallel else len(runs) + 1,
            size=1,
        ) as parts:
            chunks = [chunk for part in parts for chunk in part]
        renamed = []
        for name, _ in sorted(meta[3]):
            path, filter_name, values = filters[name]
            values = sorted([value, sorted(number[page] for page in pages)] for value, pages in values)
            path.unlink()
            renamed.append([name, write([filter_name, values], bundle / "filter", language, ".pf_filter", 7)])
        meta[1] = _short_ids(bundle / "fragment", sorted(meta[1], key=lambda page: page[0]), language, tag)
        meta[2], meta[3] = chunks, renamed
        meta_path.unlink()
        info["hash"] = write(meta, bundle, f"pagefind.{language}", ".pf_meta", 10, LOADED).removeprefix("pagefind.")
        if (bundle / f"wasm.{language}.pagefind").is_file():  # shard 0 only
            _repacked(bundle / f"wasm.{language}.pagefind")
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


@dataclass(frozen=True)
class Shard:
    """Some of the French entry pages, indexed by one Pagefind run into a folder of the bundle."""

    number: int
    key: str  # what its pages show (their keys): a shard of the same key is kept as it is
    slugs: tuple[str, ...]  # its entries (their page folders under fr/entries/)

    @property
    def path(self) -> str:
        """Its folder in the bundle: "" for shard 0, which holds Pagefind's scripts too."""
        return f"shard/{self.number}/" if self.number else ""


def _spot(slug: str, count: int) -> int:
    """The shard an entry goes in: from its name alone, so that adding an entry or editing one
    changes one shard only."""
    return int.from_bytes(hashlib.blake2b(slug.encode(), digest_size=4).digest(), "big") % count


def shards(pages: dict[str, str], size: int, design: str) -> list[Shard]:
    """The shards of the French entry pages ``pages`` (entry -> page key), about ``size``
    entries each (one below it). None without entries: Pagefind refuses to index nothing, and
    the bundle is its layout alone, which the search page reads as no results."""
    from kb.site.catalogue import fingerprint

    if not pages:
        return []
    count = max(1, -(-len(pages) // size))
    groups: list[list[str]] = [[] for _ in range(count)]
    for slug in sorted(pages):
        groups[_spot(slug, count)].append(slug)
    return [
        Shard(number, fingerprint(design, count, [(slug, pages[slug]) for slug in group]), tuple(group))
        for number, group in enumerate(groups)
    ]


def layout(bundle: Path) -> dict:
    """What the bundle's layout file says ({} for a bundle without one: it has one shard)."""
    try:
        value = json.loads((bundle / LAYOUT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _write_layout(bundle: Path, value: dict) -> None:
    write_atomically(bundle / LAYOUT, json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True))


def _link_bundle(source: Path, target: Path, whole: bool) -> None:
    """Link a shard's content-named files from ``source`` (a seed for Pagefind, which does not
    write the fragments that exist, its pages' fragments named as Pagefind names them: a
    re-index at 10,000 entries takes 11.2 s instead of 13.2), or with ``whole`` the shard as it
    is (its scripts too, for shard 0)."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in DATA:
        (target / folder).mkdir(exist_ok=True)
        if (source / folder).is_dir():
            for file in os.scandir(source / folder):
                name = file.name
                if folder == "fragment" and not whole:
                    page = _pagefind_id(Path(file.path))
                    if page is None:  # unreadable: Pagefind writes that page's fragment itself
                        continue
                    name = f"{page}.pf_fragment"
                link_or_copy(file.path, str(target / folder / name))
    for file in os.scandir(source):
        if file.is_file() and (whole or file.name.endswith(".pf_meta")):
            link_or_copy(file.path, str(target / file.name))


def _drop_scripts(folder: Path) -> None:
    """A merged shard or delta needs its index, not Pagefind's scripts (shard 0 has them)."""
    for file in os.scandir(folder):
        if file.is_file() and file.name != "pagefind-entry.json" and not file.name.endswith(".pf_meta"):
            os.unlink(file.path)


def _search_pages(tree: Path, slugs: Iterable[str], folder: Path) -> Path:
    """A folder holding what Pagefind reads of the French pages of ``slugs``, with the same
    URLs as under fr/entries/: each page's indexed part alone (_indexed_part). Plain os calls:
    10,000 pages in 0.3 s, 0.45 s through pathlib, before Pagefind can start."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    pages, into = os.path.join(tree, "fr", "entries"), str(folder)
    for slug in slugs:
        try:
            with open(os.path.join(pages, slug, "index.html"), "rb") as page:
                html = page.read()
        except OSError:  # not written (an entry without a page): not indexed, as before
            continue
        os.mkdir(os.path.join(into, slug))
        with open(os.path.join(into, slug, "index.html"), "wb") as copy:
            copy.write(_indexed_part(html))
    return folder


def _indexed_part(html: bytes) -> bytes:
    """The element of an entry page that Pagefind indexes (data-pagefind-body) in a page of its
    own: it holds every word, title, filter and anchor Pagefind keeps, so the bundle is the
    same byte for byte, and Pagefind parses less than half the page (5.6 of 13.2 KB at 10,000
    entries: 2.3 s of its CPU less), and less again with its facts list cut to what Pagefind
    reads of it (_facts_for_search). A page without it is kept whole."""
    mark = html.find(INDEXED_MARK)
    start = html.rfind(b"<", 0, max(mark, 0))
    name = html[start + 1 : mark].split(maxsplit=1) if mark > 0 and start >= 0 else []
    close = b"</%s>" % name[0] if name else b""
    end = html.rfind(close) if close else -1
    if end < mark or not close:
        return html
    return SEARCH_PAGE % FACTS.sub(_facts_for_search, html[start : end + len(close)], count=1)


def _facts_for_search(facts: re.Match) -> bytes:
    """An entry page's facts list as Pagefind reads it: ignored (data-pagefind-ignore), but for
    its filter and meta attributes, which are kept, in their order, each tag's on an empty
    element. A quarter of what Pagefind parsed of a page (14 of 56.5 MB at 10,000 entries),
    for the same bundle, and 0.5-0.6 s less of Pagefind's 21-22 s of CPU. A value not given
    in the attribute (``data-pagefind-filter="type"``, read from the element's text) keeps
    the list whole."""
    kept = []
    for tag in SEARCH_TAG.findall(facts[0]):
        attributes = SEARCH_ATTRIBUTE.findall(tag)
        if not all(b":" in value for _, value in attributes):
            return facts[0]
        kept.append(b"".join(b' data-pagefind-%s="%s"' % pair for pair in attributes))
    return b"<dl data-pagefind-ignore>%s</dl>" % b"".join(b"<dd%s></dd>" % each for each in kept)


ALLOCATOR = f"narenas:{os.cpu_count() or 1}"  # Pagefind's jemalloc: one arena a core (see _environment)


def _environment() -> dict[str, str]:
    """The environment Pagefind runs in: kb's, with its allocator set to one arena a core (as
    many as Pagefind has threads) unless the user set it (``_RJEM_MALLOC_CONF``, read by the
    jemalloc Pagefind's binary is built with). jemalloc's default, four arenas a core, leaves
    memory freed by one thread's arena unused by the others: over the French pages of 10,000
    entries on two cores Pagefind held 1,659 MB at its peak in a build, 1,520 MB with two arenas
    (8 % less, in the same time). A binary built without jemalloc ignores the variable."""
    return {"_RJEM_MALLOC_CONF": ALLOCATOR, **os.environ}


def _command(site: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pagefind",
        "--site",
        str(site),
        "--glob",
        "*/index.html",
        "--force-language",
        "fr",
        "--output-path",
        str(output),
        "--silent",
    ]


def _timed_out(limit: float, log: Path) -> BuildError:
    return BuildError("pagefind.timeout", limit=f"{limit:g}", log=log, longer=f"{max(2 * limit, 900):g}")


def _failed(code: int, log: Path) -> Exception:
    """Pagefind's exit ``code`` said: killed (SIGKILL: by the kernel, for memory) as a worker
    of kb killed is (kb.workers.killed), else as a failure whose reason is in its ``log``."""
    return workers.killed() if code == -signal.SIGKILL else BuildError("pagefind.failed", code=code, log=log)


class Indexing:
    """Pagefind indexing a tree's French entry pages, shard by shard (one run at a time: the
    memory of one), in the background, into a folder beside the trees, later moved into a tree
    as its ``pagefind/``.

    The folder starts with the newest bundle's shards (``seed``): a shard of the same key is
    linked as it is; the others' content-named files are linked for Pagefind to skip. A file
    of a bundle is never rewritten in place, so what the live site reads never changes under a
    reader (a delta only adds a folder, then replaces the layout file whole: index_delta).

    The pages may still be being written (``unwritten``: their entries): a shard is indexed
    once the build has said each of its pages ``written``, so Pagefind starts on the first
    shard while the French pages of the others are written (``place`` gives the order that
    lets it).

    ``beside``: the build writes pages beside Pagefind's runs. Then the last shard, indexed
    before the pages are all written, is made byte-stable at once, beside them, rather than
    after them (finish)."""

    def __init__(
        self,
        tree: Path,
        work: Path,
        seed: Path | None,
        log: Path,
        limit: float,
        parts: list[Shard],
        unwritten: Iterable[str] = (),
        beside: bool = False,
    ):
        self.bundle, self.log, self.limit, self.shards, self.beside = work, log, limit, parts, beside
        self.pages = work.with_name(f"{work.name}.pages")  # what Pagefind reads of the shards' pages (_cut)
        for folder in (work, self.pages):
            shutil.rmtree(folder, ignore_errors=True)  # left by an interrupted build
        work.mkdir(parents=True)
        kept = {shard.get("path"): shard.get("key") for shard in layout(seed).get("shards", [])} if seed else {}
        self.todo: list[Shard] = []
        self.seeds: dict[int, Path] = {}  # the shards to index again -> their folder in the seed
        for shard in parts:
            previous = seed / shard.path if seed else None
            if previous is not None and (previous / "pagefind-entry.json").is_file():
                if kept.get(shard.path) == shard.key:
                    _link_bundle(previous, work / shard.path, whole=True)
                    continue
                self.seeds[shard.number] = previous
            self.todo.append(shard)
        self.process: subprocess.Popen | None = None
        self.failure: Exception | None = None
        self.settled: set[int] = set()  # shards made canonical while the next was indexed
        self._stopped = self._finishing = False
        self._lock = threading.Lock()
        # The entries whose French page is still being written, by shard to index (see written)
        self._place = {slug: n for n, shard in enumerate(self.todo) for slug in shard.slugs}
        self._unwritten: list[set[str]] = [set() for _ in self.todo]
        for slug in unwritten:
            if slug in self._place:
                self._unwritten[self._place[slug]].add(slug)
        self._written = threading.Condition(self._lock)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_bytes(b"")
        self._runner = threading.Thread(target=self._run, args=(tree,), daemon=True)
        self._runner.start()

    def _run(self, tree: Path) -> None:
        """Run Pagefind over each shard to index, one after the other; a failure stops the rest.
        While Pagefind indexes a shard, the shard before it is made byte-stable (_settle) in a
        process of its own (workers.aside) and the next one's pages are cut for it
        (_search_pages, into the other of two folders), in this thread: only the last shard is
        left for finish (at 100,000 entries, 7 of 8 shards, some 8 s of CPU each, no longer
        after the pages), and each run starts as the one before ends (cutting a shard's 12,500
        pages took 5-9 s on disk between the runs). The last shard too, when the pages are
        still being written (``beside``: finish not called yet)."""
        aside: concurrent.futures.Executor | None = None  # started for a second shard (17 ms)

        def settling(shard: Shard, stack: contextlib.ExitStack) -> concurrent.futures.Future:
            nonlocal aside
            aside = aside or stack.enter_context(workers.aside())
            return aside.submit(_settle, self.bundle / shard.path, shard.number)

        try:
            with contextlib.ExitStack() as stack:
                indexed, pages = None, self.pages
                if self.todo and self._ready(0):
                    pages = self._cut(tree, 0)
                for n, shard in enumerate(self.todo):
                    if shard.number in self.seeds:  # here, not before the pages: 0.4 s at 10,000 entries
                        _link_bundle(self.seeds[shard.number], self.bundle / shard.path, whole=False)
                    with self._lock:
                        if self._stopped:
                            return
                        with open(self.log, "ab") as output:  # what Pagefind says, for when it fails
                            self.process = subprocess.Popen(
                                _command(pages, self.bundle / shard.path),
                                env=_environment(),
                                stdin=subprocess.DEVNULL,
                                stdout=output,
                                stderr=subprocess.STDOUT,
                            )
                    settled = settling(indexed, stack) if indexed is not None else None
                    if n + 1 < len(self.todo) and self._ready(n + 1):
                        pages = self._cut(tree, n + 1)
                    if settled is not None and indexed is not None:
                        settled.result()
                        self.settled.add(indexed.number)
                    try:  # each run within the time limit: a Pagefind that hangs is stopped
                        code = self.process.wait(timeout=self.limit)
                    except subprocess.TimeoutExpired:
                        self.process.kill()
                        self.process.wait()
                        self.failure = _timed_out(self.limit, self.log)
                        return
                    if code != 0:
                        self.failure = _failed(code, self.log)
                        return
                    indexed = shard
                with self._lock:
                    alone = self._finishing  # the pages are written: finish settles it on two processes
                if indexed is not None and self.beside and not alone:
                    settling(indexed, stack).result()
                    self.settled.add(indexed.number)
        except (OSError, ValueError) as error:  # the pages' links, a bundle: said by finish, in this thread's stead
            self.failure = error
        except concurrent.futures.BrokenExecutor:  # the settling process was killed
            self.failure = workers.killed()

    def place(self, slug: str | None) -> int:
        """The place of entry ``slug``'s shard among those to index (after them: an entry of
        none, or None, a page of no entry). The build writes the French pages in that order,
        so that each shard is ready for Pagefind as soon as it can be (at 100,000 entries, 8
        shards: Pagefind started some 5 s after the first French page instead of 38 s, once
        all were written)."""
        return self._place.get(slug, len(self.todo)) if slug is not None else len(self.todo)

    def written(self, slug: str) -> None:
        """The French page of entry ``slug`` is written: its shard may be indexed once all are."""
        if slug in self._place:
            with self._written:
                waiting = self._unwritten[self._place[slug]]
                if slug in waiting:
                    waiting.discard(slug)
                    if not waiting:
                        self._written.notify_all()

    def _ready(self, n: int) -> bool:
        """Wait until the pages of the ``n``th shard to index are all written; false if stopped."""
        with self._written:
            self._written.wait_for(lambda: self._stopped or not self._unwritten[n])
            return not self._stopped

    def _cut(self, tree: Path, n: int) -> Path:
        """The pages of the ``n``th shard to index cut for Pagefind, into a folder that the one
        before it does not use."""
        return _search_pages(tree, self.todo[n].slugs, self.pages / str(n % 2))

    def wait(self, outdated: Callable[[], bool], every: float = 0.25) -> bool:
        """Wait for Pagefind's runs while ``outdated()`` (asked every ``every`` seconds) is
        false; whether they ended (finish still makes their bundle)."""
        while self._runner.is_alive():
            if outdated():
                return False
            self._runner.join(every)
        return True

    def finish(self) -> None:
        """Wait for Pagefind's runs (each stopped past the time limit: it has hung), then make
        the new shards not made canonical yet so (the last one), and write the layout."""
        pause("search")
        with self._lock:
            self._finishing = True
        self._runner.join()
        if self.failure is not None:
            raise self.failure
        # The last shards' pages removed beside the last one's settling (0.16 s at 10,000 entries, on tmpfs)
        remover = threading.Thread(target=shutil.rmtree, args=(self.pages, True), daemon=True)
        remover.start()
        for shard in self.todo:
            if shard.number not in self.settled:
                _settle(self.bundle / shard.path, shard.number, parallel=True)
        _write_layout(self.bundle, {"shards": [{"path": shard.path, "key": shard.key} for shard in self.shards]})
        remover.join()

    def install(self, tree: Path) -> None:
        """Make the new bundle the tree's, in one rename (the tree may be the live site)."""
        target = tree / "pagefind"
        if target.exists():
            exchange(target, self.bundle)
            shutil.rmtree(self.bundle)
        else:
            os.rename(self.bundle, target)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._written.notify_all()
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self._runner.join()
        for folder in (self.bundle, self.pages):
            shutil.rmtree(folder, ignore_errors=True)


def _settle(folder: Path, number: int, parallel: bool = False) -> None:
    """Make the shard ``number`` that Pagefind has indexed into ``folder`` canonical and pruned,
    without Pagefind's scripts but in shard 0."""
    canonical(folder, parallel, tag=f"{number}-" if number else "")
    prune(folder)
    if number:
        _drop_scripts(folder)


def _fragment_url(path: Path) -> str:
    """A page's URL from its fragment, which Pagefind writes first: only the start is unpacked."""
    start = zlib.decompressobj(wbits=31).decompress(path.read_bytes(), 4096)
    found = FRAGMENT_URL.match(start)
    if not found:
        raise ValueError(f"{path.name}: not a Pagefind fragment")
    return json.loads(b'"' + found.group(1) + b'"')


def _entry(folder: Path) -> dict:
    return json.loads((folder / "pagefind-entry.json").read_text(encoding="utf-8"))


def page_ids(bundle: Path, slugs: Iterable[str], cache: Path) -> dict[str, list[str]]:
    """URL -> the ids Pagefind gives its page (its fragment's name), for the pages of the
    shards that hold ``slugs``' pages.

    Read from the fragments, each once: ``cache`` keeps each shard's ids from earlier calls,
    with their file's inode: an id is short enough that a later page may take it (see
    _short_ids), but not its file, a new one while the old one is still linked from the other
    tree. The inodes come with the folder's listing (10,000 stat calls took 85 ms)."""
    shards = [shard["path"] for shard in layout(bundle).get("shards", [])]
    known = cache_file.read(cache)
    known = known if isinstance(known, dict) else {}
    ids: dict[str, list[str]] = {}
    for path in sorted({shards[_spot(slug, len(shards))] for slug in slugs}):
        folder, before, fresh = bundle / path, known.get(path, {}), {}
        inodes = {file.name: file.inode() for file in os.scandir(folder / "fragment")}
        for info in _entry(folder)["languages"].values():
            for page, *_ in read(folder / f"pagefind.{info['hash']}.pf_meta")[1]:
                name = f"{page}.pf_fragment"
                cached, inode = before.get(page), inodes.get(name)
                known_url = isinstance(cached, tuple) and cached[1] == inode
                fresh[page] = (cached[0] if known_url else _fragment_url(folder / "fragment" / name), inode)
                ids.setdefault(fresh[page][0], []).append(page)
        known[path] = fresh
    cache_file.write(cache, known)
    return ids


def _rare_word_weight(indexed: int, delta: int) -> float:
    """What the delta's scores are multiplied by (Pagefind's ``indexWeight``): a word found
    in one page weighs as much there as in the shards. Pagefind ranks each index on its own
    statistics (BM25: a word's weight is ln((N - n + 0.5) / (n + 0.5) + 1) for n pages of N), and
    in a delta of one page every word is in every page. Words common in the shards then rank
    the delta's pages first, until the caught-up bundle replaces it: an edit is found first."""

    def weight(pages: int) -> float:
        return math.log((pages - 0.5) / 1.5 + 1)

    return weight(max(indexed, 1)) / weight(max(delta, 1))


def index_delta(site: Path, edited: list[str], gone: list[str], log: Path, limit: float, cache: Path) -> bool:
    """Make the live site's French pages of the ``edited`` entries searchable now, and those of
    the ``gone`` entries no longer found: the pages go into a small bundle (the delta) inside the
    live one, which its layout file then lists with the results it supersedes, in one atomic
    write. An earlier delta's pages go into the new one. False when the live bundle has no
    layout file (a bundle of an older kb): the caught-up bundle follows all the same."""
    bundle = site / "pagefind"
    current = layout(bundle)
    if not current.get("shards"):
        return False
    earlier = current.get("delta") or {}
    pages = sorted((set(edited) | set(earlier.get("pages", []))) - set(gone))
    superseded = {*pages, *gone, *earlier.get("pages", [])}
    if not superseded:  # no entry page changed (a listing did): nothing to find sooner
        return False
    number = int(earlier.get("number", 0)) + 1
    delta = {"number": number, "pages": pages, "path": None}
    if pages:
        output = bundle / f"delta-{number}"
        shutil.rmtree(output, ignore_errors=True)
        folder = _search_pages(site, pages, site.with_name(f".{site.name}.delta"))
        try:
            with open(log, "wb") as written:
                finished = subprocess.run(
                    _command(folder, output),
                    env=_environment(),
                    stdin=subprocess.DEVNULL,
                    stdout=written,
                    stderr=subprocess.STDOUT,
                    timeout=limit,
                    check=False,
                )
        except subprocess.TimeoutExpired:
            raise _timed_out(limit, log) from None
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if finished.returncode != 0:
            raise _failed(finished.returncode, log)
        canonical(output, tag="d-")
        _drop_scripts(output)
        delta["path"] = f"delta-{number}/"
    ids = page_ids(bundle, superseded, cache)
    indexed = sum(
        info["page_count"]
        for shard in current["shards"]
        for info in _entry(bundle / shard["path"])["languages"].values()
    )
    delta["weight"] = round(_rare_word_weight(indexed, len(pages)), 3)
    delta["stale"] = sorted(page for slug in superseded for page in ids.get(f"/{slug}/", []))
    _write_layout(bundle, {**current, "delta": delta})
    return True
