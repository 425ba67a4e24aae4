"""A fake publisher on 127.0.0.1 for the fetch tests: a ModernGov web service, a
commissioner's publication page and the documents they link, with faults on demand.

Routes map a path (with its query, if any) to a `Route`; a route can fail its first
requests (500 or a stall past the client's time-out), lie about its length, redirect,
or serve the wrong type. Every request is logged, so tests can see what was asked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from fpdf import FPDF


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/pdf"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer 500 to this many requests first
    stall_first: int = 0  # sleep past the client's time-out on this many requests first
    stall_seconds: float = 1.5
    truncate: bool = False  # promise the full length, send half, close the connection
    claim_length: int | None = None  # a Content-Length that is not the body's
    etag: str | None = None
    hits: int = 0


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class FakeSite:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        # A client that refuses a body mid-way (too large, wrong type) breaks the pipe: expected here.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"

    def add(self, path: str, route: Route | None = None, **kwargs: object) -> Route:
        route = route or Route(**kwargs)  # type: ignore[arg-type]
        self.routes[path] = route
        return route

    def requested(self, prefix: str) -> list[Request]:
        return [r for r in self.log if r.path.startswith(prefix)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                with site.lock:
                    site.log.append(Request(self.path, dict(self.headers.items())))
                    # An exact path-and-query route first, else one for the path whatever the query.
                    route = site.routes.get(self.path) or site.routes.get(self.path.split("?", 1)[0])
                    if route is not None:
                        route.hits += 1
                        hit = route.hits
                if route is None:
                    self._send(404, b"not found", "text/plain")
                    return
                if hit <= route.stall_first:
                    time.sleep(route.stall_seconds)
                if hit <= route.fail_first:
                    self._send(500, b"server error", "text/plain")
                    return
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.truncate:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(route.body[: len(route.body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self._send(route.status, route.body, route.content_type, headers, route.claim_length)

            def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None,
                      length: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(length if length is not None else len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if length is None or length <= len(body):
                    self.wfile.write(body)
                else:
                    self.close_connection = True

        return Handler


@contextmanager
def running() -> Iterator[FakeSite]:
    site = FakeSite()
    thread = threading.Thread(target=site.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        site.server.shutdown()
        site.server.server_close()


def pdf_bytes(lines: list[str]) -> bytes:
    """A small text PDF, one line per line (core font: latin-1 text only)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=9)
    for line in lines:
        if line:
            pdf.multi_cell(0, 5, text=line, new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.ln(5)
    return bytes(pdf.output())


# -- ModernGov answers, shaped as the service writes them ------------------------------

def committees_xml(committees: list[tuple[int, str]]) -> bytes:
    rows = "".join(
        f"<committee><committeeid>{cid}</committeeid><committeetitle>{title}</committeetitle>"
        f"<committeedeleted>False</committeedeleted><committeeexpired>False</committeeexpired>"
        f"<committeecategory>Committees</committeecategory></committee>"
        for cid, title in committees
    )
    return (f'<?xml version="1.0" encoding="utf-8"?><committees><committeescount>{len(committees)}'
            f"</committeescount>{rows}</committees>").encode()


def meetings_xml(committee: tuple[int, str], meetings: list[tuple[int, str]]) -> bytes:
    """`meetings` as (meeting id, dd/mm/yyyy)."""
    cid, title = committee
    rows = "".join(
        f"<meeting><meetingid>{mid}</meetingid><committeeid>{cid}</committeeid>"
        f"<committeetitle>{title}</committeetitle><meetingdate>{when}</meetingdate>"
        f"<meetingtime>10:00</meetingtime><meetingstatus>Confirmed</meetingstatus></meeting>"
        for mid, when in meetings
    )
    return f'<?xml version="1.0" encoding="utf-8"?><meetings><meetingscount>{len(meetings)}</meetingscount>{rows}</meetings>'.encode()


def meeting_xml(mid: int, when: str, documents: list[tuple[str, str]],
                item_documents: list[tuple[str, str]] = (), restricted: list[tuple[str, str]] = (),
                item_minutes_html: str = "") -> bytes:
    """One meeting: `documents` (title, url) linked to the meeting, `item_documents` to its
    first agenda item, `restricted` ones marked restricted; `item_minutes_html` is written
    into the item raw, as some installations do."""
    def linked(docs: list[tuple[str, str]], is_restricted: bool = False) -> str:
        return "".join(
            f"<linkeddoc><attachmentid>{n}</attachmentid><title>{title}</title><url>{url}</url>"
            f"<isrestricted>{is_restricted}</isrestricted></linkeddoc>"
            for n, (title, url) in enumerate(docs, start=1)
        )

    return (
        f'<?xml version="1.0" encoding="utf-8"?><meeting><meetingid>{mid}</meetingid>'
        f"<meetingdate>{when}</meetingdate><minutepublished>True</minutepublished>"
        f"<linkeddocuments>{linked(list(documents))}{linked(list(restricted), True)}</linkeddocuments>"
        f"<agendaitems><agendaitem><agendaitemid>{mid}01</agendaitemid>"
        f"<agendaitemtitle>Minutes of the previous meeting</agendaitemtitle>"
        f"<minutesnonemptyhtmlbody>{item_minutes_html}</minutesnonemptyhtmlbody>"
        f"<linkeddocuments>{linked(list(item_documents))}</linkeddocuments></agendaitem></agendaitems></meeting>"
    ).encode()


def documents_page(mid: int, links: list[tuple[str, str]]) -> bytes:
    """A meeting's documents page (ieListDocuments.aspx): `links` as (text, href)."""
    items = "".join(f'<li><a href="{href}" title="Link to {text}">{text} PDF 120 KB</a></li>' for text, href in links)
    return (f"<html><body><h1>Agenda and minutes</h1><ul class=\"mgActionList\">{items}</ul>"
            f'<p><a href="documents/s{mid}99/Report.pdf">Item report</a></p></body></html>').encode()
