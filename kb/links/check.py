"""Asking web servers whether the inventory's addresses still answer: concurrently, and politely
per host (a few requests at a time, a pause between them, a User-Agent that says who asks).

Only the standard library: one GET per address (many servers answer HEAD wrongly), redirects
followed by hand so that permanent ones can be reported and loops caught, the body never read.

Outcomes are deliberately cautious. An address is *dead* only when a server said so (404, 410)
or sends readers round in circles; anything that may come from this side of the network (no
answer, a refused connection, an unknown host, a certificate this machine does not trust) or
from a passing server trouble (5xx, 429) leaves it *unchecked*, never dead.
"""

from __future__ import annotations

import concurrent.futures
import email.utils
import http.client
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Iterable

USER_AGENT = "kb-links/1 (checks the sources cited by an open inventory of studies)"
DEAD = frozenset({404, 410})
PERMANENT = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY = frozenset({408, 429, 500, 502, 503, 504})
MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Result:
    """What checking one address gave. ``reason`` is a catalogue key (``links.reason.*``) and
    ``status`` the last HTTP status seen (0 without one); ``target`` is where a permanent
    redirect leads."""

    outcome: str  # alive, moved, dead, unchecked
    status: int = 0
    reason: str = ""
    target: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "status": self.status, "reason": self.reason, "target": self.target}


@dataclass
class Settings:
    """How politely and patiently to ask (the defaults suit the real web; tests shorten them)."""

    timeout: float = 15.0  # seconds to connect, and between bytes of the answer
    retries: int = 2  # more attempts after a timeout, a 5xx or a 429
    per_host: int = 2  # requests in flight to one host
    delay: float = 1.0  # seconds between two requests to one host
    workers: int = 16  # requests in flight in all
    max_wait: float = 60.0  # longest Retry-After honoured; a longer one leaves the address unchecked
    user_agent: str = USER_AGENT


def user_agent(repository: str = "") -> str:
    """Who asks, and where to read about it (the project's repository, when it is known)."""
    return f"{USER_AGENT[:-1]}; +{repository})" if repository else USER_AGENT


class _Hosts:
    """Per host: a limit of requests in flight and a pause between two requests."""

    def __init__(self, per_host: int, delay: float):
        self.per_host, self.delay = per_host, delay
        self.lock = threading.Lock()
        self.gates: dict[str, threading.Semaphore] = {}
        self.next_at: dict[str, float] = {}

    def enter(self, host: str) -> threading.Semaphore:
        with self.lock:
            gate = self.gates.setdefault(host, threading.Semaphore(self.per_host))
        gate.acquire()
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next_at.get(host, now))
            self.next_at[host] = start + self.delay
        if start > now:
            time.sleep(start - now)
        return gate


class _Manual(urllib.request.HTTPRedirectHandler):
    """Redirects come back as answers: the checker follows them itself."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def ascii_url(url: str) -> str:
    """The address as it goes on the wire: the host in IDNA, the rest percent-encoded in UTF-8
    (an address written with accents is valid in an entry and in a browser)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    netloc = host if not parts.port else f"{host}:{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    safe = "/%:@!$&'()*+,;=-._~"
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            urllib.parse.quote(parts.path, safe=safe),
            urllib.parse.quote(parts.query, safe=safe + "?"),
            "",
        )
    )


class Checker:
    """Checks addresses; ``check_all`` runs them concurrently under the per-host limits."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.hosts = _Hosts(self.settings.per_host, self.settings.delay)
        context = ssl.create_default_context()  # certificates checked against the system's authorities
        self.opener = urllib.request.build_opener(_Manual(), urllib.request.HTTPSHandler(context=context))

    def check_all(self, urls: Iterable[str]) -> dict[str, Result]:
        urls = sorted(set(urls))
        with concurrent.futures.ThreadPoolExecutor(max(1, self.settings.workers)) as pool:
            return dict(zip(urls, pool.map(self.check, urls)))

    def check(self, url: str) -> Result:
        """Follow ``url`` to its end: alive, moved (a permanent redirect on the way), dead or unchecked."""
        seen, permanent, current = {url}, False, url
        for _ in range(MAX_REDIRECTS + 1):
            if urllib.parse.urlsplit(current).scheme.lower() not in ("http", "https"):
                return Result("unchecked", reason="links.reason.scheme")
            status, location, reason = self._ask(current)
            if reason:
                return Result("unchecked", status, reason)
            if status in REDIRECTS and location:
                permanent = permanent or status in PERMANENT
                current = urllib.parse.urljoin(current, location)
                if current in seen:
                    return Result("dead", status, "links.reason.loop")
                seen.add(current)
                continue
            if 200 <= status < 300:
                return Result("moved", status, target=current) if permanent else Result("alive", status)
            if status in DEAD:
                return Result("dead", status, "links.reason.status")
            return Result("unchecked", status, "links.reason.status")
        return Result("dead", 0, "links.reason.redirects")

    def _ask(self, url: str) -> tuple[int, str, str]:
        """One GET, retried after a timeout, a 5xx or a 429: (status, Location, reason key if no answer)."""
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
        attempt = 0
        while True:
            wait = self.settings.delay * 2**attempt
            status, location, reason, retry_after = self._once(url, host)
            if reason == "links.reason.timeout" or status in RETRY:
                if status == 429 and retry_after is not None:
                    if retry_after > self.settings.max_wait:
                        return status, "", "links.reason.rate"
                    wait = retry_after
                if attempt < self.settings.retries:
                    attempt += 1
                    time.sleep(wait)
                    continue
                if status == 429:
                    reason = "links.reason.rate"
            return status, location, reason

    def _once(self, url: str, host: str) -> tuple[int, str, str, float | None]:
        request = urllib.request.Request(
            ascii_url(url),
            headers={"User-Agent": self.settings.user_agent, "Accept": "text/html,application/pdf,*/*;q=0.8"},
        )
        gate = self.hosts.enter(host)
        try:
            with self.opener.open(request, timeout=self.settings.timeout) as response:
                return response.status, "", "", None
        except urllib.error.HTTPError as answer:
            with answer:
                return (
                    answer.code,
                    answer.headers.get("Location", ""),
                    "",
                    _retry_after(answer.headers.get("Retry-After")),
                )
        except urllib.error.URLError as error:
            return 0, "", _reason(error.reason), None
        except TimeoutError:  # (socket.timeout is TimeoutError)
            return 0, "", "links.reason.timeout", None
        except (http.client.HTTPException, OSError, ValueError) as error:
            return 0, "", _reason(error), None
        finally:
            gate.release()


def _reason(error: object) -> str:
    """The catalogue key for why no HTTP answer came."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return "links.reason.certificate"
    if isinstance(error, TimeoutError):
        return "links.reason.timeout"
    if isinstance(error, ConnectionRefusedError):
        return "links.reason.refused"
    if isinstance(error, socket.gaierror):
        return "links.reason.network"
    return "links.reason.failed"


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
