"""Real servers and checkers for kb's tests.

Plain helpers (no pytest fixtures) used by ``conftest.py``:

* :func:`start_postgres` starts a throwaway PostgreSQL server (or uses the one
  named by ``KB_TEST_POSTGRES_URL``) and :meth:`PostgresServer.fresh_database`
  gives each test an empty database;
* :func:`launch_chromium` launches Debian's Chromium through Playwright;
* :func:`axe_violations` runs axe-core in a page;
* :func:`vnu_errors` runs the Nu Html Checker (vnu.jar) with Java;
* :func:`serve_directory` serves a folder over HTTP on loopback.

``scripts/test`` installs what these need and sets ``KB_TEST_NODE_MODULES``
(where axe-core and vnu-jar are) and ``KB_CHROMIUM``.
"""

from __future__ import annotations

import atexit
import functools
import http.server
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

__all__ = [
    "CHROMIUM_ARGS",
    "PostgresServer",
    "axe_violations",
    "format_violations",
    "free_port",
    "launch_chromium",
    "node_modules",
    "serve_directory",
    "start_postgres",
    "vnu_errors",
]

# --------------------------------------------------------------------------
# helpers


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_modules() -> Path:
    """The folder holding the npm packages the tests use (axe-core, vnu-jar).

    ``KB_TEST_NODE_MODULES`` when set (``scripts/test`` sets it), else the
    checkout's ``.kb-test/node_modules``.
    """
    env = os.environ.get("KB_TEST_NODE_MODULES")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / ".kb-test" / "node_modules"


# --------------------------------------------------------------------------
# PostgreSQL


def _postgres_bindir() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has ``initdb``."""
    env = os.environ.get("KB_TEST_POSTGRES_BIN")
    if env:
        return Path(env)
    candidates = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        try:
            version = float(initdb.parent.parent.name)
        except ValueError:
            continue
        candidates.append((version, initdb.parent))
    if not candidates:
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        raise RuntimeError(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb);"
            " run the tests with `bash scripts/test`, which installs them"
        )
    return max(candidates)[1]


def _libpq_url(url: str) -> str:
    """A SQLAlchemy ``postgresql+psycopg://`` URL as a libpq URI for psycopg."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _with_database(url: str, database: str) -> str:
    """``url`` pointing at another database."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=database).render_as_string(hide_password=False)


class PostgresServer:
    """A PostgreSQL server for tests.

    Either a throwaway cluster this object started (``data_dir`` set; stopped
    and deleted by :meth:`stop`) or an external server named by
    ``KB_TEST_POSTGRES_URL`` (left running; databases made by
    :meth:`fresh_database` are dropped by :meth:`stop`).

    ``url`` is a SQLAlchemy URL ``postgresql+psycopg://USER@HOST:PORT/DB``
    of a database the tests may use.
    """

    def __init__(
        self,
        url: str,
        *,
        base_dir: Path | None = None,
        bindir: Path | None = None,
        run_as: str | None = None,
    ) -> None:
        self.url = url
        self.base_dir = base_dir
        self.bindir = bindir
        self.run_as = run_as
        self._created: list[str] = []
        self._stopped = False
        self._lock = threading.Lock()

    @property
    def external(self) -> bool:
        """True when this is a server the tests did not start."""
        return self.base_dir is None

    @property
    def data_dir(self) -> Path | None:
        """The cluster's data directory (None for an external server)."""
        return None if self.base_dir is None else self.base_dir / "data"

    @property
    def log_file(self) -> Path | None:
        """The server's log file (None for an external server)."""
        return None if self.base_dir is None else self.base_dir / "server.log"

    def connect(self, database: str | None = None, **kwargs: Any) -> Any:
        """A psycopg connection (autocommit) to ``database`` or ``self.url``'s."""
        import psycopg

        url = self.url if database is None else _with_database(self.url, database)
        return psycopg.connect(_libpq_url(url), autocommit=True, **kwargs)

    def fresh_database(self, prefix: str = "kb_test") -> str:
        """Create a new empty database and return its SQLAlchemy URL.

        A copy of ``template1``: about 0.1-0.2 s on the throwaway server
        (no fsync), so each test can have its own.
        """
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        with self._lock:
            self._created.append(name)
        return _with_database(self.url, name)

    def drop_database(self, url_or_name: str) -> None:
        """Drop a database made by :meth:`fresh_database` (by URL or name)."""
        from sqlalchemy.engine import make_url

        name = make_url(url_or_name).database if "://" in url_or_name else url_or_name
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        with self._lock:
            if name in self._created:
                self._created.remove(name)

    def stop(self) -> None:
        """Stop the server (immediate shutdown) and delete its files.

        For an external server, drop the databases this object created
        instead. Safe to call more than once.
        """
        if self._stopped:
            return
        self._stopped = True
        if self.external:
            for name in list(self._created):
                try:
                    self.drop_database(name)
                except Exception:  # noqa: BLE001 - best effort clean-up
                    pass
            return
        assert self.bindir is not None and self.data_dir is not None
        try:
            _run_pg(
                [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"],
                self.run_as,
                check=False,
            )
        finally:
            if self.base_dir is not None:
                shutil.rmtree(self.base_dir, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"PostgresServer({self.url!r})"


def _run_pg(
    cmd: list[str], run_as: str | None, *, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program, as ``run_as`` when given (we are root)."""
    if run_as:
        cmd = ["runuser", "-u", run_as, "--", *cmd]
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    env.pop("PGDATA", None)
    proc = subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        timeout=timeout,
        cwd="/",
    )
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}")
    return proc


def _usable_base(tmp_dir: Path | None, run_as: str | None) -> Path:
    """A folder in which the server's own folder can live.

    ``tmp_dir`` when the server's user can reach it; pytest's tmp folders are
    private to root (0700), so when we run postgres as another user we fall
    back to the system temp folder. Unix socket paths must also stay short
    (about 100 bytes).
    """
    if tmp_dir is not None:
        tmp_dir = Path(tmp_dir)
        reachable = run_as is None or all(os.stat(p).st_mode & 0o001 for p in [tmp_dir, *tmp_dir.parents])
        if reachable and len(str(tmp_dir)) < 60:
            return tmp_dir
    return Path(tempfile.gettempdir())


def start_postgres(tmp_dir: Path | str | None = None, *, database: str = "kb", timeout: float = 60) -> PostgresServer:
    """Start a throwaway PostgreSQL server and return it.

    If ``KB_TEST_POSTGRES_URL`` is set, that server is used instead (nothing
    is started; ``database`` is not created there).

    Otherwise: ``initdb`` a new cluster under ``tmp_dir`` (or the system temp
    folder), with the newest ``/usr/lib/postgresql/*/bin``, start it with
    ``pg_ctl`` on a free port of 127.0.0.1 (socket in the cluster's folder,
    durability off for speed), wait until it accepts connections and create
    ``database``. As root, postgres runs as the ``postgres`` system user.
    Call :meth:`PostgresServer.stop` when done (also done at exit).
    """
    external = os.environ.get("KB_TEST_POSTGRES_URL")
    if external:
        return PostgresServer(external)

    bindir = _postgres_bindir()
    run_as: str | None = None
    if os.geteuid() == 0:
        run_as = "postgres"
        try:
            pw = pwd.getpwnam(run_as)
        except KeyError:
            run_as = "nobody"
            pw = pwd.getpwnam(run_as)

    parent = _usable_base(Path(tmp_dir) if tmp_dir is not None else None, run_as)
    base = Path(tempfile.mkdtemp(prefix="kb-pg-", dir=parent))
    os.chmod(base, 0o700)
    if run_as:
        os.chown(base, pw.pw_uid, pw.pw_gid)
    user = "postgres"
    server: PostgresServer | None = None
    try:
        data = base / "data"
        _run_pg(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                user,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
            run_as,
        )
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{base}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "shared_buffers": "32MB",
            "max_wal_size": "1GB",
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        last_error = ""
        for _attempt in range(5):
            port = free_port()
            conf = "".join(f"{k} = {v}\n" for k, v in {**settings, "port": str(port)}.items())
            (data / "postgresql.auto.conf").write_text(conf)  # read after postgresql.conf
            if run_as:
                os.chown(data / "postgresql.auto.conf", pw.pw_uid, pw.pw_gid)
            proc = _run_pg(
                [
                    str(bindir / "pg_ctl"),
                    "start",
                    "-D",
                    str(data),
                    "-l",
                    str(base / "server.log"),
                    "-w",
                    "-t",
                    str(int(timeout)),
                ],
                run_as,
                check=False,
                timeout=timeout + 10,
            )
            if proc.returncode == 0:
                break
            last_error = proc.stdout + _tail(base / "server.log")
            if "already in use" not in last_error:
                raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")
        else:
            raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")

        server = PostgresServer(
            f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres",
            base_dir=base,
            bindir=bindir,
            run_as=run_as,
        )
        atexit.register(server.stop)
        _wait_for_connection(server, timeout)
        with server.connect() as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        server.url = _with_database(server.url, database)
        return server
    except BaseException:
        if server is not None:
            server.stop()
        else:
            _run_pg([str(bindir / "pg_ctl"), "stop", "-D", str(base / "data"), "-m", "immediate"], run_as, check=False)
            shutil.rmtree(base, ignore_errors=True)
        raise


def _wait_for_connection(server: PostgresServer, timeout: float) -> None:
    """Wait until ``server`` answers ``SELECT 1``."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with server.connect(connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------
# Chromium, axe-core


CHROMIUM_ARGS: list[str] = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
"""Flags for Chromium here: root needs --no-sandbox; the rest keep it from
calling out to the (closed) network in the background."""


def launch_chromium(playwright: Any, **kwargs: Any) -> Any:
    """Launch Debian's Chromium (``KB_CHROMIUM``, default /usr/bin/chromium)
    headless through a Playwright instance (``sync_playwright().start()`` or
    the object given by ``with sync_playwright() as p``).

    Extra keyword arguments go to ``playwright.chromium.launch``. Never uses a
    browser downloaded by Playwright.
    """
    executable = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        raise RuntimeError(
            f"Chromium not found at {executable}; run the tests with `bash scripts/test`,"
            " which installs Debian's chromium"
        )
    options: dict[str, Any] = {"executable_path": executable, "headless": True, "args": list(CHROMIUM_ARGS)}
    extra_args = kwargs.pop("args", None)
    if extra_args:
        options["args"] += list(extra_args)
    options.update(kwargs)
    return playwright.chromium.launch(**options)


def axe_violations(page: Any, options: dict[str, Any] | None = None, context: Any = None) -> list[dict[str, Any]]:
    """Inject axe-core into ``page`` (a Playwright page) and return the
    violations of ``axe.run`` (default rules unless ``options`` says else).

    ``context`` is axe's context (a selector, or an include/exclude object);
    the whole document by default.
    """
    axe_js = node_modules() / "axe-core" / "axe.min.js"
    if not axe_js.is_file():
        raise RuntimeError(f"{axe_js} not found; run the tests with `bash scripts/test`")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    result = page.evaluate(
        "async ([context, options]) => (await axe.run(context ?? document, options)).violations",
        [context, options or {}],
    )
    return list(result)


def format_violations(violations: list[dict[str, Any]]) -> str:
    """A readable summary of :func:`axe_violations`' result, for assertions."""
    lines = []
    for v in violations:
        targets = ", ".join(" ".join(map(str, n.get("target", []))) for n in v.get("nodes", []))
        lines.append(f"{v.get('id')} ({v.get('impact')}): {v.get('help')} [{targets}]")
    return "\n".join(lines)


# --------------------------------------------------------------------------
# Nu Html Checker


def vnu_errors(
    paths: list[Path] | list[str], *, extra_args: list[str] | None = None, timeout: float = 300
) -> list[str]:
    """Check HTML files with the Nu Html Checker and return its errors.

    All files are checked by one ``java -jar vnu.jar`` (the JVM starts
    slowly). Each error is ``"file:line: message"``; an empty list means
    every file is valid.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    jar = node_modules() / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.is_file():
        raise RuntimeError(f"{jar} not found; run the tests with `bash scripts/test`")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("java not found; run the tests with `bash scripts/test`")
    cmd = [
        java,
        "-Xss1024k",
        "-Djava.awt.headless=true",
        "-jar",
        str(jar),
        "--errors-only",
        "--format",
        "json",
        "--stdout",
        "--exit-zero-always",
        *(extra_args or []),
        *[str(p.resolve()) for p in paths],
    ]
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"vnu failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}") from None
    errors = []
    for m in report.get("messages", []):
        if m.get("type") not in ("error", "non-document-error"):
            continue
        url = m.get("url", "")
        name = unquote(urlparse(url).path) if url.startswith("file:") else url
        line = m.get("lastLine", m.get("firstLine", 0))
        errors.append(f"{name}:{line}: {m.get('message', '').strip()}")
    return errors


# --------------------------------------------------------------------------
# static HTTP server


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, no log lines, no caching."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A browser closing a connection early is not a test failure.
        pass


def serve_directory(path: Path | str) -> tuple[str, Callable[[], None]]:
    """Serve ``path`` over HTTP on 127.0.0.1 (a free port) in a thread.

    Returns ``(url, stop)``: the base URL, ending in ``/``, and a function
    that stops the server.
    """
    handler = functools.partial(_QuietHandler, directory=str(path))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="kb-test-http", daemon=True)
    thread.start()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

    return f"http://127.0.0.1:{server.server_address[1]}/", stop
