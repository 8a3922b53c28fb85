"""Writing a site tree atomically: the trees beside the live site, their manifests, the swap.

The live site is never written to file by file: a build writes a second tree beside it and swaps
the two in one rename (see ``exchange``); files are always written as new files, because a tree
may share them with the live site through hard links.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import os
import re
import shutil
from pathlib import Path

from kb import cache as cache_file
from kb.i18n import Said


class BuildError(Said):
    """The build failed; the live site was not touched. Its message is the catalogue's, said in
    the reader's language by the command."""


BUNDLE = "pagefind/"  # the search bundle's folder in a tree
MANIFEST_FORMAT = 4  # what a manifest holds and how: another format is not read (no file is current)


class Tree:
    """An output folder and its manifest (path -> key, size, mtime) kept under ``state_dir``.

    The manifest holds the ``design`` (templates, assets, vocabularies...) its files were made
    with: under another design, no file is current."""

    def __init__(self, path: Path, state_dir: Path, design: str, adopted: dict[Path, object] | None = None):
        """``adopted``: the manifests adopt() read, by tree: not read again (1.3 s at 100,000 entries)."""
        self.path = path
        self.root = str(path)
        self.state_dir = state_dir
        self.design = design
        self.manifest: dict[str, list] = {}
        self.outline: dict[str, tuple[str, ...]] = {}  # Site.outline() of the entries its pages show
        self.history = ""  # History.key() of the dates its pages show
        if path.is_dir():
            stored = (adopted or {}).get(path)
            if stored is None:
                stored = cache_file.read(self._manifest_file())  # unreadable: no file is current
            if isinstance(stored, dict) and stored.get("format") == MANIFEST_FORMAT and stored.get("design") == design:
                self.manifest, self.outline = stored["files"], stored.get("outline", {})
                self.history = stored.get("history", "")

    def _manifest_file(self) -> Path:
        return _manifest_of(self.path, self.state_dir)

    def current(self, path: str, key: str) -> bool:
        recorded = self.manifest.get(path)
        if not recorded or recorded[0] != key:
            return False
        try:
            stat = os.stat(os.path.join(self.root, path))  # (no Path objects: called for every page)
        except OSError:
            return False
        return [stat.st_size, stat.st_mtime_ns] == recorded[1:]

    def record(self, path: str, key: str) -> None:
        """Remember ``key`` for the file now at ``path`` (written here, or by Pagefind)."""
        stat = (self.path / path).stat()
        self.manifest[path] = [key, stat.st_size, stat.st_mtime_ns]

    def prune(self, keep: set[str], sweep: bool = False) -> int:
        """Remove the files the new build does not produce: those in the manifest, or with
        ``sweep`` every file in the folder, for a tree copied from elsewhere. The search bundle
        is replaced whole, never file by file (kb.site.pagefind): its files stay, and a
        manifest's name for one that is not kept (its search mark, by an older kb) goes."""
        if sweep:
            stale = [
                os.path.relpath(os.path.join(folder, name), self.root)
                for folder, _, names in os.walk(self.root)
                for name in names
            ]
            stale = [p for p in stale if p not in keep]
        else:
            stale = [p for p in self.manifest if p not in keep]
        for path in stale:
            self.manifest.pop(path, None)
        files = sorted(p for p in stale if not p.startswith(BUNDLE))
        folders = set()
        for relative in files:
            (self.path / relative).unlink(missing_ok=True)
            folders.update(Path(relative).parents)
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            if folder.parts and not any((self.path / folder).iterdir()):
                (self.path / folder).rmdir()
        return len(files)

    def _marker(self) -> Path:
        return _marker_of(f"{_boot()}-{os.stat(self.path).st_ino}", self.state_dir)

    def start_writing(self) -> None:
        """Mark the tree as being written: until save(), its manifest may miss files."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._marker().touch()

    def interrupted(self) -> bool:
        return self._marker().exists()

    def save(self) -> None:
        cache_file.write(
            self._manifest_file(),
            {
                "format": MANIFEST_FORMAT,
                "design": self.design,
                "files": self.manifest,
                "outline": self.outline,
                "history": self.history,
            },
        )
        self._marker().unlink(missing_ok=True)

    def moved(self, path: Path) -> None:
        """The folder was swapped to ``path`` (its inode, hence its manifest, goes with it)."""
        self.path, self.root = path, str(path)


def staging_path(output: Path) -> Path:
    """The tree beside the live site ``output``, which a build writes and then swaps with it."""
    return output.with_name(f".{output.name}.next")


@functools.cache
def _boot() -> str:
    """This run of the machine (Linux's boot id): with a folder's inode, it names the folder.
    An inode alone does not: a cache restored on a fresh machine (a CI runner) or a copy is a
    new folder, which may be given an inode that a manifest of the cache is named after (a
    runner unpacking the same cache in the same order gives the same numbers), and would take
    the manifest of another tree. Folders of another boot find theirs by what they hold (adopt)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as file:
            return file.read().strip().replace("-", "")[:12]
    except OSError:
        return "0"


def _manifest_of(tree: Path, state_dir: Path) -> Path:
    # Keyed by the folder (this boot, its inode), which survives the swap (a rename keeps the inode).
    return state_dir / f"manifest-{_boot()}-{os.stat(tree).st_ino}.pickle"


def _marker_of(folder: str, state_dir: Path) -> Path:
    return state_dir / f"writing-{folder}"


def adopt(trees: list[Path], state_dir: Path) -> dict[Path, object]:
    """Give each of ``trees`` that has no manifest of this boot the one saved for the files it
    holds, if any: a tree restored from a cache (the site workflow keeps the trees and
    ``.kb/`` between runs), copied, or left from before the machine restarted would otherwise
    have every file rewritten. A manifest is the tree's when every file it names is there with
    the size and modification time, to the nanosecond, it recorded: what a copy that keeps
    times keeps (``tar --posix``, ``cp -a``) and any other write changes. One saved while its
    tree was being written, or naming a file that differs, is not adopted. Costs a look for
    two files when every tree has its manifest. Returns what the adopted manifests hold, by
    tree, for Tree to take as it is."""
    present = [tree for tree in trees if tree.is_dir()]
    orphans = [tree for tree in present if not _manifest_of(tree, state_dir).exists()]
    adopted: dict[Path, object] = {}
    if not orphans:
        return adopted
    own = {_manifest_of(tree, state_dir) for tree in present}
    candidates = [
        file
        for file in sorted(state_dir.glob("manifest-*.pickle"))
        if file not in own and not _marker_of(file.name[len("manifest-") : -len(".pickle")], state_dir).exists()
    ]
    for file in candidates:  # (each unpickled once: 1.6 s for a tree of 100,000 entries)
        if not orphans:
            break
        stored = cache_file.read(file)
        if not (isinstance(stored, dict) and stored.get("format") == MANIFEST_FORMAT):
            continue
        tree = next((tree for tree in orphans if _holds(tree, stored["files"])), None)
        if tree is not None:
            os.replace(file, _manifest_of(tree, state_dir))
            orphans.remove(tree)
            adopted[tree] = stored
    return adopted


def _holds(tree: Path, files: dict[str, list]) -> bool:
    """Whether ``tree`` holds each of ``files`` (path -> key, size, mtime) as recorded."""
    root = str(tree)
    for path, (_, size, mtime) in files.items():
        try:
            stat = os.stat(os.path.join(root, path))
        except OSError:
            return False
        if stat.st_size != size or stat.st_mtime_ns != mtime:
            return False
    return bool(files)


def put(target: str, content: str | bytes, folders: set[str] | None = None) -> os.stat_result:
    """Write a file of a tree as a new file: the tree may share it with the live site (a hard
    link, see _staging_tree), which must not change. ``folders`` holds folders known to exist
    (os calls on str paths: 50,000 files at 10,000 entries, where pathlib's cost showed). The
    usual case goes first, one call each: a folder whose parent exists, a file that does not
    (a tree written afresh, where removing each file first failed 233,000 times at 100,000
    entries, and makedirs looked at each folder's parent)."""
    folder = os.path.dirname(target)
    if folders is None or folder not in folders:
        try:
            os.mkdir(folder)
        except FileExistsError:
            pass
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
        if folders is not None:
            folders.add(folder)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        return _created(target, data)
    except FileExistsError:
        os.unlink(target)
        return _created(target, data)


def _created(target: str, data: bytes) -> os.stat_result:
    """A new file ``target`` holding ``data`` (FileExistsError if there is one), its status."""
    with open(target, "xb") as file:
        file.write(data)
        file.flush()
        return os.fstat(file.fileno())


def link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE), else by two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        if ctypes.get_errno() == errno.EBUSY:  # a mount point that mount_point did not see
            raise BuildError("build.busy_folder", output=a, inside=a / "site")
    parking = a.with_name(a.name + ".swap")
    os.rename(a, parking)
    os.rename(b, a)
    os.rename(parking, b)


def link_copy(source: Path, target: Path) -> None:
    """``target`` becomes a copy of the bundle ``source`` made of hard links (bundles are never
    written in place, see Indexing, so a file of ``target`` that is ``source``'s under the same
    name, the same inode, is the same file and stays: after an edit most of the bundle is the
    one the tree had, and linking 10,000 files again took 0.1 s before the pages went live)."""
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        target.unlink()
    target.mkdir(exist_ok=True)
    theirs = {item.name: item for item in os.scandir(source)}
    same = set()
    for item in os.scandir(target):
        other = theirs.get(item.name)
        if item.is_dir(follow_symlinks=False):
            if other is None or not other.is_dir(follow_symlinks=False):
                shutil.rmtree(item.path)
        elif other is None or other.is_dir(follow_symlinks=False) or other.inode() != item.inode():
            os.unlink(item.path)
        else:
            same.add(item.name)
    for name, item in theirs.items():
        if item.is_dir(follow_symlinks=False):
            link_copy(Path(item.path), target / name)
        elif name not in same:
            link_or_copy(item.path, os.path.join(target, name))


def mount_point(path: Path) -> bool:
    """Whether ``path`` is where a file system is mounted (bind mounts included, which
    os.path.ismount does not always see: they are in /proc/self/mountinfo)."""
    if os.path.ismount(path):
        return True
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
            points = {line.split()[4] for line in mounts if len(line.split()) > 4}
    except OSError:
        return False
    decoded = {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p) for p in points}
    return str(path) in decoded


def discard(tree: Path, state_dir: Path) -> None:
    """Remove a build's working tree and what the state folder says about it."""
    if not tree.is_dir():
        return
    staging = Tree(tree, state_dir, "")
    for record in (staging._manifest_file(), staging._marker()):
        record.unlink(missing_ok=True)
    shutil.rmtree(tree, ignore_errors=True)
