"""The HTTP client every fetch goes through: polite, resumable and safe.

Polite: one request at a time with a delay between them (longer if robots.txt asks
for a Crawl-delay), an honest User-Agent, robots.txt honoured, retries with exponential
backoff on 5xx, 429, time-outs and dropped connections (longer if the server sends
Retry-After). Safe: only http and https; only the site given (a redirect to another
host is refused unless that host is allowed); a size limit per file, checked against
Content-Length before reading and again while reading; the content type checked against what was asked for, and PDF and DOCX bodies
against their signatures. A download is written to a file the caller names (a hidden
temporary file) and only the caller moves it into place, so a failed or interrupted
download never leaves a partial file in the corpus. Nothing fetched is executed.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

from indexer.errors import FetchError

try:
    from importlib.metadata import version as _version

    _VERSION = _version("scrutiny")
except Exception:  # not installed as a package (a plain checkout on PYTHONPATH)
    _VERSION = "0"

USER_AGENT = f"Scrutiny/{_VERSION} (governance records research; one request at a time, honours robots.txt)"

# What each kind of document may be served as. Servers often send PDFs and Word files
# as a generic binary type, so those are accepted when the body carries the signature.
CONTENT_TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf", "application/x-pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "html": ("text/html", "application/xhtml+xml"),
    "xml": ("text/xml", "application/xml"),
}
GENERIC_TYPES = frozenset({"application/octet-stream", "binary/octet-stream", "application/download",
                           "application/force-download", "application/x-download"})
SIGNATURES: dict[str, bytes] = {"pdf": b"%PDF-", "docx": b"PK\x03\x04"}
PDF_HEADER_WINDOW = 1024  # the PDF header may follow up to 1 KiB of junk
DOCUMENT_KINDS = ("pdf", "docx", "html")

SAFE_PATH = "/%:@!$&'()*+,;=-._~"
SAFE_QUERY = SAFE_PATH + "?"

REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After is capped rather than obeyed
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how far a fetch may go."""

    delay: float = 1.0  # seconds between two requests
    timeout: float = 30.0  # seconds to connect, and between two reads
    retries: int = 3  # further tries after a 5xx, 429, time-out or dropped connection
    backoff: float = 2.0  # seconds before the first retry, doubling each time
    max_bytes: int = 50 * 1024 * 1024  # largest file fetched
    allow_hosts: frozenset[str] = frozenset()  # hosts redirects and links may go to besides the site's
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Fetched:
    """One response: its body in memory, or written to the file the caller named."""

    url: str  # what was asked for
    final_url: str  # after redirects
    status: int  # 200, or 304 when the validators sent show the copy held is current
    kind: str | None  # "pdf", "docx", "html" or "xml"
    etag: str | None
    last_modified: str | None
    sha256: str | None
    size: int
    body: bytes | None = None
    filename: str | None = None  # the server's suggested name (Content-Disposition), unchecked


class _Retry(Exception):
    """A failure worth another try: the reason is one short phrase; `wait` is how long the
    server asked us to wait (Retry-After), if it said."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.wait = wait


class _Refused(FetchError):
    """The server answered with an error status that another try will not change."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Redirects come back as HTTPError so that each new address is checked before
    # anything is requested from it.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.hostname or "").lower(), parts.port or default


def content_kind(content_type: str | None) -> str | None:
    """The kind ("pdf", "docx", "html", "xml") a Content-Type names, if any."""
    main = (content_type or "").split(";")[0].strip().lower()
    return next((kind for kind, types in CONTENT_TYPES.items() if main in types), None)


def has_signature(kind: str, head: bytes) -> bool:
    signature = SIGNATURES.get(kind)
    if signature is None:
        return True
    window = head[:PDF_HEADER_WINDOW] if kind == "pdf" else head[: len(signature)]
    return signature in window if kind == "pdf" else window == signature


def _describe(expect: tuple[str, ...]) -> str:
    names = {"pdf": "PDF", "docx": "DOCX", "html": "HTML", "xml": "XML"}
    return " or ".join(names.get(k, k) for k in expect)


def _filename(headers: Message) -> str | None:
    disposition = headers.get("Content-Disposition")
    if not disposition:
        return None
    message = Message()
    message["Content-Disposition"] = disposition
    return message.get_filename()


@dataclass
class Client:
    """Fetches from one site (`site`, an http or https address), one request at a time."""

    site: str
    policy: FetchPolicy = FetchPolicy()
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    requests: int = 0  # requests sent, robots.txt included
    _last: float | None = field(default=None, repr=False)
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict, repr=False)
    _crawl_delay: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.site)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{self.site}: not a web address; give one starting http:// or https://")
        self._opener = urllib.request.build_opener(_NoRedirect())

    # -- addresses -----------------------------------------------------------------

    def check_url(self, url: str, base: str | None = None) -> str:
        """`url` (relative to `base`) as an absolute address this client may fetch.

        Raises FetchError for another scheme or another host. An http address on the
        site's own https host is upgraded: some services write their links as http.
        """
        absolute = urljoin(base or self.site, url.strip())
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https addresses are fetched")
        site = urlsplit(self.site)
        if (parts.scheme, site.scheme) == ("http", "https") and parts.hostname == site.hostname and parts.port is None:
            absolute = urlunsplit(("https", parts.netloc, parts.path, parts.query, ""))
        # Publishers write spaces and other unsafe characters into their links; http.client
        # refuses them, so they are escaped (an address already escaped stays as it is).
        parts = urlsplit(absolute)
        absolute = urlunsplit(parts._replace(path=quote(parts.path, safe=SAFE_PATH),
                                             query=quote(parts.query, safe=SAFE_QUERY), fragment=""))
        if not self.allowed_host(absolute):
            host, port = _host_port(absolute)
            raise FetchError(f"{url}: on another host ({host}:{port}) than {self.site}; pass --allow-host {host} to fetch it")
        return absolute

    def allowed_host(self, url: str) -> bool:
        host, port = _host_port(url)
        if (host, port) == _host_port(self.site):
            return True
        allowed = {h.lower() for h in self.policy.allow_hosts}
        return host in allowed or f"{host}:{port}" in allowed

    # -- fetching ------------------------------------------------------------------

    def get(
        self,
        url: str,
        expect: tuple[str, ...],
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        into: Path | None = None,
    ) -> Fetched:
        """GET `url`, expecting one of the kinds in `expect`.

        With `into`, the body is written to that file (the caller moves it into place or
        removes it); otherwise it is returned in memory. With validators, a 304 comes back
        as status 304 and no body. Raises FetchError with one line naming the address.
        """
        url = self.check_url(url)
        self._check_robots(url)
        headers = {"Accept": ", ".join(t for k in expect for t in CONTENT_TYPES.get(k, ())) or "*/*"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return self._with_retries(url, lambda: self._get_once(url, expect, headers, into))

    def _with_retries(self, url: str, attempt: Callable[[], Fetched]) -> Fetched:
        for n in range(self.policy.retries + 1):
            try:
                return attempt()
            except _Retry as exc:
                if n == self.policy.retries:
                    tries = "1 try" if n == 0 else f"{n + 1} tries"
                    raise FetchError(f"{url}: {exc} (gave up after {tries})") from None
                self.sleep(max(self.policy.backoff * 2**n, min(exc.wait or 0.0, MAX_RETRY_AFTER)))
        raise AssertionError("unreachable")

    def _get_once(self, url: str, expect: tuple[str, ...], headers: dict[str, str], into: Path | None) -> Fetched:
        response, final_url = self._open_following(url, headers)
        if response is None:
            return Fetched(url, final_url, 304, None, None, None, None, 0)
        with response:
            return self._read(url, final_url, response, expect, into)

    def _open_following(
        self, url: str, headers: dict[str, str], *, robots: bool = True
    ) -> tuple[http.client.HTTPResponse | None, str]:
        """The response to `url` after checked redirects; None for 304 Not Modified."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                return self._open(current, headers), current
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 304:
                    return None, current
                if exc.code in REDIRECT_CODES and exc.headers.get("Location"):
                    target = urljoin(current, exc.headers["Location"])
                    try:
                        current = self.check_url(target, current)
                    except FetchError:
                        host, port = _host_port(target)
                        raise FetchError(
                            f"{url}: redirected to another host ({host}:{port}); refused "
                            f"(pass --allow-host {host} to allow it)"
                        ) from None
                    if robots:
                        self._check_robots(current)
                    continue
                if exc.code == 429 or exc.code >= 500:
                    after = (exc.headers.get("Retry-After") or "").strip()
                    raise _Retry(f"the server answered {exc.code}", float(after) if after.isdigit() else None) from None
                raise _Refused(f"{current}: the server answered {exc.code} ({exc.reason})", exc.code) from None
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _open(self, url: str, headers: dict[str, str]) -> http.client.HTTPResponse:
        self._pace()
        request = urllib.request.Request(url, headers={"User-Agent": self.policy.user_agent, **headers})
        self.requests += 1
        try:
            return self._opener.open(request, timeout=self.policy.timeout)
        except urllib.error.HTTPError:
            raise
        except urllib.error.URLError as exc:
            raise _Retry(f"could not connect ({exc.reason})") from None
        except (TimeoutError, socket.timeout):
            raise _Retry("timed out") from None
        except (ConnectionError, http.client.HTTPException) as exc:
            raise _Retry(f"the connection failed ({type(exc).__name__})") from None

    def _pace(self) -> None:
        delay = max(self.policy.delay, self._crawl_delay)
        if self._last is not None and delay > 0:
            wait = self._last + delay - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def _read(self, url: str, final_url: str, response: http.client.HTTPResponse, expect: tuple[str, ...],
              into: Path | None) -> Fetched:
        limit = self.policy.max_bytes
        length_header = response.headers.get("Content-Length")
        length = int(length_header) if length_header and length_header.strip().isdigit() else None
        if length is not None and length > limit:
            raise FetchError(f"{url}: {length:,} bytes, over the {limit:,}-byte limit per file; raise --max-mb to fetch it")
        digest = hashlib.sha256()
        size = 0
        head = b""
        kind: str | None = None
        parts: list[bytes] = []
        sink: BinaryIO | None = into.open("wb") if into is not None else None
        try:
            while True:
                try:
                    chunk = response.read(CHUNK)
                except (TimeoutError, socket.timeout):
                    raise _Retry("timed out while downloading") from None
                except (ConnectionError, http.client.HTTPException) as exc:
                    raise _Retry(f"the download broke off ({type(exc).__name__})") from None
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: more than the {limit:,}-byte limit per file; raise --max-mb to fetch it")
                if kind is None:
                    head += chunk
                    if len(head) >= PDF_HEADER_WINDOW:
                        kind = self._kind(url, response.headers.get("Content-Type"), head, expect)
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
                else:
                    parts.append(chunk)
            if length is not None and size != length:
                raise _Retry(f"the download was cut short ({size:,} of {length:,} bytes)")
            if kind is None:
                kind = self._kind(url, response.headers.get("Content-Type"), head, expect)
            if sink is not None:
                sink.flush()
        finally:
            if sink is not None:
                sink.close()
        return Fetched(
            url=url,
            final_url=final_url,
            status=200,
            kind=kind,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            sha256=digest.hexdigest(),
            size=size,
            body=b"".join(parts) if into is None else None,
            filename=_filename(response.headers),
        )

    @staticmethod
    def _kind(url: str, content_type: str | None, head: bytes, expect: tuple[str, ...]) -> str:
        """The kind of the body, checked against what was asked for."""
        main = (content_type or "").split(";")[0].strip().lower()
        kind = content_kind(main)
        if kind is None and (not main or main in GENERIC_TYPES):
            kind = next((k for k in expect if k in SIGNATURES and has_signature(k, head)), None)
        if kind not in expect:
            served = main or "no content type"
            raise FetchError(f"{url}: served as {served}, not the {_describe(expect)} asked for; skipped")
        if not has_signature(kind, head):
            raise FetchError(f"{url}: served as {main} but is not a {_describe((kind,))} file; skipped")
        return kind

    # -- robots.txt ----------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            self._robots[origin] = self._load_robots(origin)
        rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(self.policy.user_agent, url):
            raise FetchError(f"{url}: robots.txt at {origin} does not allow fetching it")

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser | None:
        """The site's rules; None (everything allowed) when it has no robots.txt."""
        url = f"{origin}/robots.txt"
        try:
            fetched = self._with_retries(url, lambda: self._robots_once(url))
        except _Refused as exc:
            if 400 <= exc.code < 500:
                return None  # no robots.txt (or none for us to read): no rules
            raise FetchError(f"{url}: could not be read, so nothing was fetched from {origin} ({exc})") from None
        except FetchError as exc:
            raise FetchError(f"{url}: could not be read, so nothing was fetched from {origin} ({exc})") from None
        rules = urllib.robotparser.RobotFileParser(url)
        rules.parse((fetched.body or b"").decode("utf-8", "replace").splitlines())
        delay = rules.crawl_delay(self.policy.user_agent)
        if delay:
            self._crawl_delay = max(self._crawl_delay, float(delay))
        return rules

    def _robots_once(self, url: str) -> Fetched:
        response, final_url = self._open_following(url, {}, robots=False)
        if response is None:
            return Fetched(url, final_url, 304, None, None, None, None, 0, body=b"")
        with response:
            body = response.read(512 * 1024)
        return Fetched(url, final_url, 200, None, None, None, None, len(body), body=body)
