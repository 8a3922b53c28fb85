"""kb links against servers started by the tests on 127.0.0.1 (never the internet): every kind
of answer a link checker meets, the archive lookup, the DOI resolver, the cache, --write."""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import MINIMAL, make_entry
from kb.cli import cli
from kb.links.check import Checker, Settings


class Handler(BaseHTTPRequestHandler):
    """Each path is one kind of answer; every request is logged (path, User-Agent)."""

    routes = {
        "/ok": (200, None),
        "/permanent": (301, "/temporary"),  # a chain: 301 then 302, ending in 200 -> moved
        "/temporary": (302, "/ok"),
        "/only-temporary": (307, "/ok"),
        "/loop-a": (302, "/loop-b"),
        "/loop-b": (302, "/loop-a"),
        "/missing": (404, None),
        "/gone": (410, None),
        "/error": (500, None),
        "/to-ftp": (302, "ftp://127.0.0.1/file"),
        "/%C3%A9tudes/rapport%20final.pdf": (200, None),
        "/doi/10.1234/known": (302, "/ok"),
        "/doi/10.1234/unknown": (404, None),
    }

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.server.log.append((self.path, self.headers.get("User-Agent", "")))
        path = urlsplit(self.path).path
        if path == "/wayback/available":
            asked = parse_qs(urlsplit(self.path).query)["url"][0]
            found = asked.endswith("/missing")
            body = {
                "archived_snapshots": {
                    "closest": {"available": True, "status": "200", "url": f"http://web.archive.org/web/2020/{asked}"}
                }
                if found
                else {}
            }
            return self._answer(200, json.dumps(body).encode())
        if path == "/busy":  # 429 with Retry-After, then fine
            self.server.busy += 1
            if self.server.busy == 1:
                return self._answer(429, headers={"Retry-After": "0"})
            return self._answer(200)
        status, location = self.routes.get(path, (404, None))
        self._answer(status, headers={"Location": location} if location else {})

    def _answer(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _start(server: ThreadingHTTPServer) -> ThreadingHTTPServer:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def web():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.log, server.busy = [], 0
    _start(server)
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def silent():
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: connections are refused."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


@pytest.fixture
def self_signed(tmp_path):
    """An HTTPS server with a certificate made here, which no authority vouches for."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.log, server.busy = [], 0
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    _start(server)
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def inventory(tmp_path, web, silent, closed_port, self_signed, monkeypatch):
    """An entries folder with one entry per kind of link; the working folder is tmp_path."""
    base = f"http://127.0.0.1:{web.server_address[1]}"
    entries = tmp_path / "entries"
    entries.mkdir()
    urls = {
        "alive": f"{base}/ok",
        "moved": f"{base}/permanent",
        "temporary": f"{base}/only-temporary",
        "loop": f"{base}/loop-a",
        "missing": f"{base}/missing",
        "gone": f"{base}/gone",
        "busy": f"{base}/busy",
        "error": f"{base}/error",
        "silent": f"http://127.0.0.1:{silent}/x",
        "refused": f"http://127.0.0.1:{closed_port}/",
        "certificate": f"https://127.0.0.1:{self_signed}/ok",
        "ftp": f"{base}/to-ftp",
        "accents": f"{base}/études/rapport final.pdf".replace(" ", "%20"),
    }
    for name, url in urls.items():
        make_entry(entries, name, MINIMAL.replace("Une étude", f"Étude {name}") + f"url: {url}\n")
    make_entry(entries, "doi-known", MINIMAL.replace("Une étude", "Avec DOI") + "doi: 10.1234/known\n")
    make_entry(entries, "doi-unknown", MINIMAL.replace("Une étude", "DOI inconnu") + "doi: 10.1234/unknown\n")
    monkeypatch.chdir(tmp_path)
    return base


def kb_links(runner, base: str, *args: str):
    options = [
        "links",
        "--timeout",
        "1",
        "--retries",
        "1",
        "--delay",
        "0",
        "--archive",
        f"{base}/wayback/available",
        "--doi-resolver",
        f"{base}/doi/",
        *args,
    ]
    return runner.invoke(cli, options)


def by_entry(output: str) -> dict:
    return {row["entry"]: row for row in json.loads(output)["links"]}


def test_every_kind_of_answer(runner, inventory, web):
    result = kb_links(runner, inventory, "--format", "json")
    assert result.exit_code == 1, result.output
    rows = by_entry(result.stdout)
    outcome = {entry: (row["outcome"], row["reason"]) for entry, row in rows.items()}
    assert outcome == {
        "alive": ("alive", ""),
        "temporary": ("alive", ""),
        "busy": ("alive", ""),
        "accents": ("alive", ""),
        "moved": ("moved", ""),
        "loop": ("dead", "links.reason.loop"),
        "missing": ("dead", "links.reason.status"),
        "gone": ("dead", "links.reason.status"),
        "doi-unknown": ("dead", "links.reason.status"),
        "doi-known": ("alive", ""),
        "error": ("unchecked", "links.reason.status"),
        "silent": ("unchecked", "links.reason.timeout"),
        "refused": ("unchecked", "links.reason.refused"),
        "certificate": ("unchecked", "links.reason.certificate"),
        "ftp": ("unchecked", "links.reason.scheme"),
    }
    assert rows["moved"]["target"] == f"{inventory}/ok"
    assert (rows["missing"]["status"], rows["gone"]["status"], rows["error"]["status"]) == (404, 410, 500)
    assert rows["missing"]["archive"] == f"http://web.archive.org/web/2020/{inventory}/missing"
    assert rows["missing"]["snapshot"] is True
    assert rows["gone"]["archive"] == f"https://web.archive.org/web/*/{inventory}/gone"  # none found: search
    assert rows["missing"]["line"] == 8 and rows["missing"]["path"].endswith("missing.md")
    paths = [path for path, _ in web.log]
    assert paths.count("/busy") == 2 and paths.count("/error") == 2  # retried once
    assert "/%C3%A9tudes/rapport%20final.pdf" in paths
    assert all(agent.startswith("kb-links/") for _, agent in web.log)


def test_a_second_run_asks_only_about_what_failed_or_is_new(runner, inventory, web, tmp_path):
    kb_links(runner, inventory)
    assert (tmp_path / ".kb" / "links.json").is_file()
    web.log.clear()
    make_entry(tmp_path / "entries", "new", MINIMAL.replace("Une étude", "Nouvelle") + f"url: {inventory}/ok?new\n")
    result = kb_links(runner, inventory, "--format", "json")
    asked = {path for path, _ in web.log}
    assert "/ok?new" in asked and "/missing" in asked and "/error" in asked  # new, dead, unchecked
    assert not asked & {"/ok", "/permanent", "/only-temporary", "/busy", "/doi/10.1234/known"}  # answered lately
    rows = by_entry(result.stdout)
    assert rows["alive"]["cached"] and rows["moved"]["outcome"] == "moved" and not rows["missing"]["cached"]
    web.log.clear()
    kb_links(runner, inventory, "--max-age", "0")
    assert "/ok" in {path for path, _ in web.log}  # --max-age 0: everything is asked again


def test_text_lines_markdown_and_github_in_the_languages_asked(runner, inventory):
    text = kb_links(runner, inventory, "--lang", "fr")
    missing = next(line for line in text.stdout.splitlines() if "/missing" in line)
    assert missing.startswith("entries/missing.md:8: erreur: lien mort ")
    assert "HTTP 404" in missing and "web.archive.org/web/2020/" in missing
    assert "a déménagé vers" in text.stdout
    assert "entries/alive.md" not in text.stdout  # alive links are counted, not listed
    assert "4 morts" in text.stderr
    markdown = kb_links(runner, inventory, "--format", "markdown", "--lang", "fr,nl")
    assert "### Liens morts (4)" in markdown.stdout and "### Dode links (4)" in markdown.stdout
    github = kb_links(runner, inventory, "--format", "github", "--lang", "en")
    assert any(
        line.startswith("::error file=entries/missing.md,line=8,title=kb links::dead link")
        for line in github.stdout.splitlines()
    )


def test_no_network_means_unchecked_never_dead(runner, tmp_path, closed_port, monkeypatch):
    entries = tmp_path / "entries"
    entries.mkdir()
    make_entry(entries, "far", MINIMAL + f"url: http://127.0.0.1:{closed_port}/document\n")
    monkeypatch.chdir(tmp_path)
    result = kb_links(runner, f"http://127.0.0.1:{closed_port}")
    assert result.exit_code == 0 and "1 unchecked" in result.stderr
    assert kb_links(runner, f"http://127.0.0.1:{closed_port}", "--strict").exit_code == 1


def test_write_marks_dead_urls_and_unmarks_them_when_they_answer(runner, inventory, tmp_path, web):
    path = tmp_path / "entries" / "missing.md"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))  # line endings stay as written
    kb_links(runner, inventory, "--write")
    text = path.read_bytes().decode()
    assert f'url: {inventory}/missing\r\nurl_status: dead\r\narchive: "http://web.archive.org/web/2020/' in text
    gone = (tmp_path / "entries" / "gone.md").read_text()
    assert "url_status: dead" in gone and "archive:" not in gone  # no snapshot found: none written
    check = runner.invoke(cli, ["check", "--entries", "entries"])
    assert check.exit_code == 0, check.output  # the marks are valid fields; a dead link never fails kb check
    Handler.routes["/missing"] = (200, None)
    try:
        kb_links(runner, inventory, "--write")
    finally:
        Handler.routes["/missing"] = (404, None)
    text = path.read_bytes().decode()
    assert "url_status" not in text and 'archive: "http://web.archive.org/web/2020/' in text


def test_usage_errors_exit_with_2(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(cli, ["links", "--entries", "nowhere"]).exit_code == 2
    (tmp_path / "entries").mkdir()
    assert runner.invoke(cli, ["links", "--format", "pdf"]).exit_code == 2
    assert runner.invoke(cli, ["links", "--archive", "not an address"]).exit_code == 2
    (tmp_path / "kb.yml").write_text("links_max_age: often\n")
    result = runner.invoke(cli, ["links"])
    assert result.exit_code == 2 and "kb.yml:1" in result.stderr


def test_a_non_http_scheme_is_not_asked():
    assert Checker(Settings(delay=0)).check("ftp://127.0.0.1/file").reason == "links.reason.scheme"


def test_unicode_host_and_path_go_on_the_wire_encoded():
    from kb.links.check import ascii_url

    assert (
        ascii_url("https://bruxelles-é.example/études/a b?q=é")
        == "https://xn--bruxelles--k7a.example/%C3%A9tudes/a%20b?q=%C3%A9"
    )
