"""The Scrutiny web app: one search box with filters, and tabs for the ranked results, the
cited answer, the timeline, the commitments ledger and the documents.

Layout and wiring only: every view is a plain function in ui/handlers.py. Locked down by
default: bound to 127.0.0.1, no share link, no analytics, no file served from disk, a
password required off localhost, system fonts only (nothing fetched from the internet),
and every error shown as one line.
"""

from __future__ import annotations

import os

# Read by Gradio when it is imported: no usage reports, no version check, no telemetry.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import atexit
import functools
import ipaddress
import logging
import re
import shutil
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

import gradio as gr
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.errors import ScrutinyError
from search.engine import Searcher
from search.ledger import STATUSES
from ui import handlers as h

log = logging.getLogger("scrutiny.ui")

# Each user's query runs search, answer and timeline; two at a time keeps two CPU cores busy
# without thrashing, and the rest wait in the queue (shown in the page) instead of failing.
CONCURRENCY = 2
QUEUE_SIZE = 64
# Browser sessions whose state (the timeline drill-down, updated components) is kept in
# memory; the oldest is forgotten beyond this (Gradio's default of 10,000 let memory grow
# with every new visitor).
SESSIONS_KEPT = 256
# No request this app serves needs a bigger body (a query is cut at 2,000 characters).
MAX_BODY_BYTES = 256 * 1024
# Sign-in throttling: after FREE_TRIES wrong passwords from one address, each further one
# locks that address out for twice as long as the last, up to LOCKOUT_MAX_S.
FREE_TRIES = 5
LOCKOUT_MAX_S = 300.0
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})
MIN_PASSWORD = 8

THEME = gr.themes.Default(
    primary_hue="blue",
    font=[
        gr.themes.Font("system-ui"), gr.themes.Font("-apple-system"), gr.themes.Font("Segoe UI"),
        gr.themes.Font("Roboto"), gr.themes.Font("Helvetica Neue"), gr.themes.Font("Arial"), "sans-serif",
    ],
    font_mono=[gr.themes.Font("ui-monospace"), gr.themes.Font("Menlo"), gr.themes.Font("Consolas"), "monospace"],
)

CSS = """
.gradio-container { max-width: 1200px !important; margin: 0 auto !important; }
#app-head h1 { font-size: 1.5rem; margin: 0 0 .2rem 0; }
#app-head p { margin: 0; color: var(--body-text-color-subdued); }
.understood { margin: .25rem 0; }
.k { font-weight: 600; }
.small { font-size: .85em; color: var(--body-text-color-subdued); }
.help, .empty, .weak, .no-answer { padding: .6rem .8rem; border-radius: 6px; border: 1px solid var(--border-color-primary); }
.weak, .no-answer { border-left: 4px solid #b45309; }
.count { margin: .3rem 0; color: var(--body-text-color-subdued); }
.card, .doc { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .7rem .9rem; margin: .6rem 0;
  background: var(--background-fill-primary); overflow-wrap: anywhere; }
.card p, .doc p { margin: .2rem 0; }
.card-head { font-weight: 600; display: flex; flex-wrap: wrap; gap: .15rem .3rem; align-items: baseline; }
.rank { display: inline-block; min-width: 1.6rem; padding: 0 .35rem; border-radius: 4px; text-align: center;
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.flag { font-weight: 600; font-size: .8em; padding: 0 .3rem; border: 1px dashed currentColor; border-radius: 4px; }
.item { font-weight: 600; }
.card-label { font-weight: 700; color: #9a3412; }
blockquote.passage, blockquote.quote { margin: .4rem 0; padding: .3rem .7rem; border-left: 3px solid var(--border-color-accent, #888);
  white-space: pre-wrap; }
mark { background: #ffe066; color: #111; padding: 0 .1em; border-radius: 2px; }
.best { background: rgba(255, 224, 102, .22); box-shadow: 0 0 0 2px rgba(255, 224, 102, .22); border-radius: 2px; }
.here { text-decoration: underline; text-decoration-thickness: 2px; text-underline-offset: 3px; background: rgba(255, 224, 102, .25); }
details.context summary, details.items summary { cursor: pointer; color: var(--link-text-color, #1d4ed8); margin: .3rem 0; }
.item-text { white-space: pre-wrap; max-height: 28rem; overflow: auto; padding: .5rem; border: 1px solid var(--border-color-primary);
  border-radius: 6px; background: var(--background-fill-secondary); font-size: .92em; }
.context-note, .cut, .source { font-size: .85em; color: var(--body-text-color-subdued); }
.answer { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .9rem; }
.answer h3 { margin-top: 0; }
ol.citations { padding-left: 1.4rem; }
ol.citations li { margin: .5rem 0; }
.cite { margin: .1rem 0 .4rem 0 !important; font-size: .9em; }
blockquote.quote { margin: .2rem 0 0 0 !important; }
table.grid { width: 100%; border-collapse: collapse; font-size: .92em; }
table.grid caption { text-align: left; font-size: .85em; color: var(--body-text-color-subdued); padding: .3rem 0; }
table.grid th, table.grid td { border: 1px solid var(--border-color-primary); padding: .35rem .5rem; vertical-align: top; text-align: left;
  overflow-wrap: anywhere; }
table.grid th { background: var(--background-fill-secondary); white-space: nowrap; }
td.num { text-align: right; }
td.nowrap { white-space: nowrap; }
.item-text { position: relative; }
.status { display: inline-block; font-weight: 700; padding: .05rem .45rem; border-radius: 4px; border: 1px solid currentColor;
  text-transform: uppercase; font-size: .8em; letter-spacing: .03em; }
.status-done { color: #14532d; background: #dcfce7; }
.status-open { color: #1e3a8a; background: #dbeafe; }
.status-deferred { color: #78350f; background: #fef3c7; }
.status-overdue { color: #7f1d1d; background: #fee2e2; }
.status-unknown { color: #374151; background: #f3f4f6; border-style: dashed; }
ul.legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem 1rem; font-size: .85em; }
ol.plain { margin: .2rem 0 .2rem 1.2rem; padding: 0; }
.tl-chart { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .6rem .8rem; }
.prose .tl-title, .tl-title { font-weight: 600; margin: 0 0 .3rem 0; }
ul.tl-legend { list-style: none; padding: 0; margin: 0 0 .5rem 0; display: flex; flex-wrap: wrap; gap: .2rem 1rem; font-size: .85em; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -.1em; border: 1px solid #555; }
.tl-svg { overflow: visible; display: block; }
.tl-svg text { font-size: 13px; }
.tl-svg .tl-label { fill: var(--body-text-color); }
.tl-svg .tl-total { fill: var(--body-text-color); font-weight: 600; }
.tl-svg .tl-seg { font-weight: 600; }
.tl-svg .tl-short { display: none; }
/* Gradio measures the tabs in a hidden row that never wraps; on a phone it would widen the page. */
#tabs .tab-container { flex-wrap: wrap; height: auto; }
@media (max-width: 720px) {
  #app-head h1 { font-size: 1.2rem; }
  table.grid thead { display: none; }
  table.grid caption { display: block; width: 100%; }
  table.grid, table.grid tbody, table.grid tr, table.grid td { display: block; width: 100%; }
  table.grid tr { border: 1px solid var(--border-color-primary); border-radius: 6px; margin: .5rem 0; }
  table.grid td { border: none; border-bottom: 1px solid var(--border-color-primary); }
  table.grid td::before { content: attr(data-label) ": "; font-weight: 600; }
  td.num { text-align: left; }
  td.nowrap { white-space: normal; }
  .tl-svg .tl-long { display: none; }
  .tl-svg .tl-short { display: inline; }
}
"""

# Opening a card's "whole agenda item" fetches it from the index through the component's
# server function; the reply is escaped server-side, so innerHTML only ever gets our markup.
LAZY_CONTEXT_JS = """
element.addEventListener('toggle', async (event) => {
  const box = event.target;
  if (!(box instanceof HTMLDetailsElement) || !box.open || !box.dataset.passage || box.dataset.loaded) return;
  const slot = box.querySelector('.context-slot');
  if (!slot) return;
  box.dataset.loaded = '1';
  slot.textContent = 'Loading the agenda item…';
  try {
    slot.innerHTML = await server.item_in_context([box.dataset.passage, box.dataset.terms || '']);
    const pane = slot.querySelector('.item-text'), here = slot.querySelector('.here');
    if (pane && here) pane.scrollTop = Math.max(0, here.offsetTop - 48);
  } catch (err) {
    delete box.dataset.loaded;
    slot.textContent = 'Could not load the agenda item: ' + err;
  }
}, true);
"""

F = TypeVar("F", bound=Callable[..., Any])


def guarded(fn: F) -> F:
    """A handler whose every failure reaches the user as one line (gr.Error), without a
    traceback; unexpected ones are logged in full on the server."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except ScrutinyError as exc:
            raise gr.Error(h.user_message(exc), print_exception=False) from None
        except Exception as exc:  # noqa: BLE001 - the user gets one line, the log the rest
            log.exception("%s failed", getattr(fn, "__name__", "handler"))
            raise gr.Error(h.user_message(exc), print_exception=False) from None

    return wrapper  # type: ignore[return-value]


# -- access ---------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_access(host: str, auth: str | None) -> tuple[str, str] | None:
    """The login to require, from --auth or $SCRUTINY_AUTH ("user:password"). Raises
    ScrutinyError (one line) when binding beyond this computer without one."""
    auth = (auth or "").strip() or None
    if auth is None:
        if not is_loopback(host):
            raise ScrutinyError(
                f"Refusing to serve on {host} without a password: anyone on the network could read the records. "
                "Give --auth USER:PASSWORD (or set SCRUTINY_AUTH), or bind to 127.0.0.1"
            )
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user.strip() or not password:
        raise ScrutinyError("--auth (or SCRUTINY_AUTH) must be USER:PASSWORD, both non-empty")
    if not is_loopback(host) and len(password) < MIN_PASSWORD:
        raise ScrutinyError(f"The password must have at least {MIN_PASSWORD} characters when serving beyond localhost")
    return user.strip(), password


def blocked_paths(paths: Sequence[Path | None], keep_open: Sequence[Path]) -> list[str]:
    """Folders Gradio must never serve a file from (the index, the corpus, the project's data,
    the home folder), less any that hold the folders the app itself serves downloads from."""
    from indexer.config import PROJECT_ROOT

    candidates = [p for p in paths if p is not None] + [PROJECT_ROOT / "data", Path.home()]
    out: list[str] = []
    for p in candidates:
        resolved = Path(p).expanduser().resolve()
        if any(_inside(Path(k).resolve(), resolved) for k in keep_open):
            continue
        if str(resolved) not in out:
            out.append(str(resolved))
    return out


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*:", re.I)


HOSTS_ENV = "SCRUTINY_HOSTS"


def allowed_hosts(host: str, extra: str | None = None) -> frozenset[str] | None:
    """The Host header values the server answers to: the localhost names, the bind address,
    and any names in $SCRUTINY_HOSTS (comma-separated: the name an office gives the server).
    None (any) only when bound to every interface, where a password is required and the
    address people type is not known here. A page on another site that points its own name
    at 127.0.0.1 (DNS rebinding) sends its own name, and is refused."""
    bound = host.strip().strip("[]").lower()
    if bound in ("0.0.0.0", "::", ""):
        return None
    named = os.environ.get(HOSTS_ENV, "") if extra is None else extra
    more = {_host_name(n) for n in named.split(",") if n.strip()}
    return frozenset({*LOOPBACK_NAMES, "127.0.0.1", "::1", bound, *more})


def _host_name(value: str) -> str:
    value = value.strip().lower()
    if value.startswith("["):  # [::1]:7860
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class SignInThrottle:
    """Wrong passwords per client address: free for FREE_TRIES, then a lock-out that
    doubles with each further failure; every failure past the free ones is logged."""

    def __init__(self, free_tries: int = FREE_TRIES, max_lockout_s: float = LOCKOUT_MAX_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.free_tries = free_tries
        self.max_lockout_s = max_lockout_s
        self.clock = clock
        self.failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # client -> (failures, locked until)

    def wait_s(self, client: str) -> float:
        """Seconds before `client` may try again; 0 when it may now."""
        _, until = self.failures.get(client, (0, 0.0))
        return max(0.0, until - self.clock())

    def failed(self, client: str) -> None:
        count = self.failures.pop(client, (0, 0.0))[0] + 1
        until = 0.0
        if count > self.free_tries:
            lockout = min(self.max_lockout_s, 2.0 ** (count - self.free_tries))
            until = self.clock() + lockout
            log.warning("sign-in: %d wrong passwords from %s; locked out for %.0f s", count, client, lockout)
        self.failures[client] = (count, until)
        while len(self.failures) > 10_000:  # bounded, whatever a scan of addresses sends
            self.failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self.failures.pop(client, None)


class LockDown:
    """ASGI middleware: refuse what this app never needs (uploads, the /file= URL proxy,
    bodies over MAX_BODY_BYTES, Host names it was not bound to), throttle wrong passwords,
    strip cross-origin (CORS) permissions, and send headers that stop other sites framing
    the page or the page fetching from other hosts."""

    HEADERS = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy",
         b"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval' blob:; style-src 'self' 'unsafe-inline'; "
         b"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
         b"frame-ancestors 'none'; base-uri 'self'; form-action 'self'"),
    ]

    def __init__(
        self, app: ASGIApp, hosts: Iterable[str] | None = None, max_body: int = MAX_BODY_BYTES,
        throttle: SignInThrottle | None = None,
    ) -> None:
        self.app = app
        self.hosts = frozenset(hosts) if hosts is not None else None
        self.max_body = max_body
        self.throttle = throttle  # None: sign-ins pass untouched (another layer counts them)

    async def _refuse(self, send: Send, status: int, text: str, extra: Sequence[tuple[bytes, bytes]] = ()) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), *extra, *self.HEADERS]})
        await send({"type": "http.response.body", "body": text.encode()})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        if self.hosts is not None and host not in self.hosts:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await self._refuse(send, 421, "This server does not answer to that host name.")
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = unquote(scope.get("path", ""))
        file_target = path.split("/file=", 1)[1] if "/file=" in path else None
        if (file_target is not None and _SCHEME_RE.match(file_target.lstrip())) or re.search(r"/upload/?$", path):
            await self._refuse(send, 403, "Not allowed.")
            return
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = -1
        if declared < 0 or declared > self.max_body:
            await self._refuse(send, 413, f"Request too large: at most {self.max_body:,} bytes.")
            return

        sign_in = self.throttle is not None and scope.get("method") == "POST" and re.search(r"/login/?$", path) is not None
        client = (scope.get("client") or ("unknown", 0))[0]
        if sign_in:
            assert self.throttle is not None
            wait = self.throttle.wait_s(client)
            if wait > 0:
                await self._refuse(send, 429, f"Too many wrong passwords: try again in {wait:.0f} s.",
                                   [(b"retry-after", str(int(wait) + 1).encode())])
                return
        received = 0
        started = False
        status = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:  # a body sent without a length, or longer than it said
                    raise _TooLarge()
            return message

        async def with_headers(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = int(message.get("status", 0))
                kept = [(k, v) for k, v in message.get("headers", []) if not k.lower().startswith(b"access-control-")]
                names = {k.lower() for k, _ in kept}
                message = dict(message)
                message["headers"] = kept + [kv for kv in self.HEADERS if kv[0] not in names]
            await send(message)

        try:
            await self.app(scope, bounded_receive, with_headers)
        except _TooLarge:
            if not started:
                await self._refuse(send, 413, f"Request too large: at most {self.max_body:,} bytes.")
            return
        if sign_in:
            assert self.throttle is not None
            if status == 200:
                self.throttle.succeeded(client)
            elif status in (400, 401, 403):
                self.throttle.failed(client)


class _TooLarge(Exception):
    """Raised inside the app when a request body passes MAX_BODY_BYTES."""


# -- the page ----------------------------------------------------------------------------------

def _cards(elem_id: str, state: h.AppState, value: str = "") -> gr.HTML:
    """An HTML panel of result cards whose "whole agenda item" disclosures load on opening."""

    def item_in_context(payload: Any) -> str:
        try:
            passage_id, terms = (list(payload) + ["", ""])[:2] if isinstance(payload, (list, tuple)) else (payload, "")
            return h.item_context_html(state.records, str(passage_id), str(terms or ""))
        except Exception:  # noqa: BLE001 - a message in the card, the details in the log
            log.exception("item_in_context failed")
            return '<p class="empty">Could not open this agenda item.</p>'

    return gr.HTML(value, elem_id=elem_id, js_on_load=LAZY_CONTEXT_JS, server_functions=[item_in_context])


def build_app(state: h.AppState) -> gr.Blocks:
    searcher = state.searcher
    demo: gr.Blocks
    # Gradio's copies of served exports go after ten minutes, checked every ten minutes.
    with gr.Blocks(title="Scrutiny — governance records", analytics_enabled=False, delete_cache=(600, 600)) as demo:
        gr.HTML(
            '<div id="app-head"><h1>Scrutiny</h1><p>Search and question-answering over police and crime governance '
            "records: board notes, panel minutes, reports and decisions.</p></div>"
        )
        with gr.Row(equal_height=False):
            with gr.Column(scale=4, min_width=300):
                query = gr.Textbox(
                    label="Search the records", elem_id="query", lines=1, max_lines=4, autofocus=True,
                    placeholder="Keywords or a question, e.g. What did the Chief Constable say about 101 calls since 2019?",
                )
                with gr.Row():
                    go = gr.Button("Search", variant="primary", elem_id="search-button", scale=0, min_width=120)
                    clear = gr.Button("Clear", elem_id="clear-button", scale=0, min_width=90)
            with gr.Column(scale=5, min_width=300):
                with gr.Row():
                    since = gr.Textbox(label="From", info="year, month or day", placeholder="e.g. 2019",
                                       elem_id="since", min_width=140, max_lines=1)
                    until = gr.Textbox(label="To", info="year, month or day", placeholder="e.g. 2023-06",
                                       elem_id="until", min_width=140, max_lines=1)
                    speaker = gr.Dropdown(h.speaker_choices(searcher), value="", label="Speaker: role or name",
                                          allow_custom_value=True, elem_id="speaker", min_width=200)
                with gr.Row():
                    body = gr.Dropdown(h.body_choices(searcher), value="", label="Body", elem_id="body", min_width=200)
                    kind = gr.Dropdown(h.kind_choices(searcher), value="", label="Document kind", elem_id="kind", min_width=200)
        understood = gr.HTML(elem_id="understood")

        with gr.Tabs(elem_id="tabs"):
            with gr.Tab("Search", id="search", elem_id="tab-search"):
                with gr.Row(equal_height=False):
                    sort = gr.Radio([("Relevance", "relevance"), ("Date", "date")], value="relevance", label="Sort by",
                                    elem_id="sort", min_width=180)
                    k = gr.Dropdown([(str(n), n) for n in h.RESULT_COUNTS], value=h.DEFAULT_K, label="Results",
                                    elem_id="k", min_width=90)
                    # Exports are written only when asked for, not on every search.
                    export_button = gr.Button("Prepare downloads", visible=False, elem_id="export-button", size="md",
                                              min_width=150)
                    csv_button = gr.DownloadButton("Download CSV", visible=False, elem_id="download-csv", size="md",
                                                   min_width=150)
                    md_button = gr.DownloadButton("Download Markdown with citations", visible=False, elem_id="download-md",
                                                  size="md", min_width=200)
                results = _cards("results", state, f'<p class="help">{h.esc(h.HELP)}</p>')
            with gr.Tab("Answer", id="answer", elem_id="tab-answer"):
                answer_panel = _cards("answer", state, '<p class="help">Search first: the answer to the question in the box '
                                      "appears here, quoted and cited from the records.</p>")
            with gr.Tab("Timeline", id="timeline", elem_id="tab-timeline"):
                chart = gr.HTML(elem_id="timeline-chart")
                timeline_table = gr.HTML('<p class="help">Search for a topic to see how much was said about it, '
                                         "meeting by meeting.</p>", elem_id="timeline-table")
                meeting = gr.Dropdown([], value=None, label="Show one meeting's passages", elem_id="meeting",
                                      interactive=True)
                meeting_panel = _cards("meeting-passages", state)
                kept = gr.State(None)
            with gr.Tab("Commitments", id="commitments", elem_id="tab-commitments"):
                owners = [("Any owner", h.ANY)] + [(o, o) for o in h.ledger_owners(state.ledger)]
                with gr.Row():
                    status = gr.Dropdown([("Any status", h.ANY)] + [(s, s) for s in STATUSES], value=h.ANY,
                                         label="Status", elem_id="status", min_width=150)
                    owner = gr.Dropdown(owners, value=h.ANY, label="Owner", elem_id="owner", allow_custom_value=True,
                                        min_width=150)
                summary, table = h.commitments_view(state.ledger)
                commitments_summary = gr.HTML(summary, elem_id="commitments-summary")
                commitments_table = gr.HTML(table, elem_id="commitments")
            with gr.Tab("Documents", id="documents", elem_id="tab-documents"):
                gr.HTML(state.documents_html, elem_id="documents")

        # -- events ------------------------------------------------------------------------

        hidden = functools.partial(gr.DownloadButton, value=None, visible=False)

        def do_search(text: str, who: str, start: str, end: str, where: str, what: str, order: str, count: int) -> tuple[Any, ...]:
            # An error replaces the results (never shown above the previous query's cards).
            view = h.safe_search(searcher, state.records, h.Query(text, who, start, end, where, what),
                                 sort=order, k=count, lazy=True)
            found = view.result is not None and bool(view.result.hits)
            return view.notes_html, view.cards_html, gr.Button(visible=found), hidden(), hidden()

        @guarded
        def do_export(text: str, who: str, start: str, end: str, where: str, what: str, order: str, count: int) -> tuple[Any, ...]:
            # The search itself showed any error; here it only means nothing to export.
            view = h.safe_search(searcher, state.records, h.Query(text, who, start, end, where, what), sort=order, k=count)
            if view.result is None or not view.result.hits:
                return gr.Button(visible=False), hidden(), hidden()
            csv_path, md_path = h.write_exports(state.records, view, state.exports, order)
            return (gr.Button(visible=False), gr.DownloadButton(value=str(csv_path), visible=True),
                    gr.DownloadButton(value=str(md_path), visible=True))

        def do_answer(text: str, who: str, start: str, end: str, where: str, what: str) -> str:
            try:
                return h.run_answer(searcher, state.records, h.Query(text, who, start, end, where, what), lazy=True).html
            except Exception as exc:  # noqa: BLE001 - shown in the panel, logged when unexpected
                return h.error_html(exc)

        def do_timeline(text: str, who: str, start: str, end: str, where: str, what: str) -> tuple[Any, ...]:
            try:
                view = h.run_timeline(searcher, h.Query(text, who, start, end, where, what))
            except Exception as exc:  # noqa: BLE001 - shown in the panel, logged when unexpected
                return "", h.error_html(exc), gr.Dropdown(choices=[], value=None), "", None
            choices = [(f"{m.label} — {len(m.rows)} passage{'s' if len(m.rows) != 1 else ''}", m.label) for m in view.meetings]
            return view.chart_html, view.table_html, gr.Dropdown(choices=choices, value=None), "", h.session_meetings(view)

        @guarded
        def do_meeting(label: str | None, session: dict[str, Any] | None) -> str:
            return h.session_meeting_passages(state, session, label, lazy=True)

        @guarded
        def do_commitments(wanted_status: str, wanted_owner: str) -> tuple[str, str]:
            return h.commitments_view(state.ledger, wanted_status, wanted_owner)

        def do_clear() -> tuple[Any, ...]:
            return ("", "", "", "", "", "", "", f'<p class="help">{h.esc(h.HELP)}</p>', gr.Button(visible=False),
                    hidden(), hidden())

        inputs = [query, speaker, since, until, body, kind]
        search_outputs = [understood, results, export_button, csv_button, md_button]
        searched = gr.on(
            [go.click, query.submit, since.submit, until.submit, speaker.input, body.input, kind.input],
            do_search, inputs + [sort, k], search_outputs, trigger_mode="always_last",
        )
        # A model call waits on another server, not the CPU: its slots come on top of the
        # CPU-bound ones, so answers waiting on a slow model never hold up the others.
        from search.generate import MODEL_SLOTS, configured_endpoint

        answer_slots = CONCURRENCY + (MODEL_SLOTS if configured_endpoint() is not None else 0)
        searched.success(do_answer, inputs, [answer_panel], concurrency_limit=answer_slots)
        searched.success(do_timeline, inputs, [chart, timeline_table, meeting, meeting_panel, kept])
        gr.on([sort.input, k.input], do_search, inputs + [sort, k], search_outputs)
        export_button.click(do_export, inputs + [sort, k], [export_button, csv_button, md_button])
        meeting.input(do_meeting, [meeting, kept], [meeting_panel])
        gr.on([status.input, owner.input], do_commitments, [status, owner], [commitments_summary, commitments_table])
        clear.click(do_clear, None, [query, speaker, since, until, body, kind, understood, results, export_button,
                                     csv_button, md_button], queue=False)
    return demo


# -- serving ------------------------------------------------------------------------------------

def launch(
    demo: gr.Blocks, *, host: str, port: int, credentials: tuple[str, str] | None, blocked: Sequence[str]
) -> str:
    """Start serving in the background, locked down; returns the local address."""
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_SIZE, api_open=False)
    hosts = allowed_hosts(host)
    try:
        _, url, _ = demo.launch(
            server_name=host, server_port=port, share=False, inbrowser=False, quiet=True, prevent_thread_lock=True,
            auth=credentials, auth_message="Scrutiny: sign in to read the records." if credentials else None,
            show_error=True, allowed_paths=[], blocked_paths=list(blocked), max_file_size="1mb",
            theme=THEME, css=CSS, footer_links=[], ssr_mode=False, pwa=False, mcp_server=False,
            enable_monitoring=False, strict_cors=True, app_kwargs={"middleware": [Middleware(LockDown, hosts=hosts)]},
            state_session_capacity=SESSIONS_KEPT,
        )
    except OSError as exc:
        raise ScrutinyError(f"Cannot serve on {host}:{port} ({h.one_line(str(exc))}): choose another --port") from None
    outermost(demo.app, Middleware(LockDown, hosts=hosts, throttle=SignInThrottle()))
    return url


def outermost(app: Any, middleware: Middleware) -> None:
    """Put `middleware` outside Gradio's own (its CORS layer answers cross-origin requests
    before anything passed in app_kwargs sees them). Starlette builds the stack on the next
    request; the copy passed in app_kwargs guards the moments before."""
    app.user_middleware.insert(0, middleware)
    app.middleware_stack = None


def run(
    searcher: Searcher,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    credentials: tuple[str, str] | None = None,
    protect: Sequence[Path | None] = (),
    echo: Callable[[str], None] = print,
) -> None:
    """Prepare the views (ledger, warm-up), serve until interrupted."""
    started = time.perf_counter()
    limit_malloc_arenas()
    exports = Path(tempfile.mkdtemp(prefix="scrutiny-exports-"))
    atexit.register(shutil.rmtree, exports, True)
    # SIGTERM (a service manager stopping the app) ends it as Ctrl+C does, so the exports
    # folder is removed either way; by default it would kill the process on the spot.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    state = h.prepare(searcher, exports)
    demo = build_app(state)
    import gradio.utils as gradio_utils

    keep_open = [exports, Path(gradio_utils.get_upload_folder())]
    url = launch(demo, host=host, port=port, credentials=credentials, blocked=blocked_paths(protect, keep_open))
    if is_loopback(host):
        shown = url
    elif host.strip("[]") in ("0.0.0.0", "::"):
        shown = f"port {port} on every network interface (open http://<this computer's address>:{port}/)"
    else:
        shown = f"http://{host}:{port}/"
    echo(f"Scrutiny is serving on {shown} (ready in {time.perf_counter() - started:.1f}s"
         + (", sign-in required" if credentials else "") + "). Press Ctrl+C to stop.")
    if not is_loopback(host):
        echo("Note: this is plain HTTP; put it behind an HTTPS proxy so the password and records are not sent in the clear.")
    try:
        demo.block_thread()
    except KeyboardInterrupt:
        pass
    finally:
        demo.close()
        shutil.rmtree(exports, ignore_errors=True)


# glibc gives each thread that allocates its own memory arena (up to 8 per core); with
# Gradio's pool of worker threads, freed memory scattered over many arenas is never given
# back, and the resident size creeps up request after request. Two arenas keep it flat
# (measured with eval/soak.py); the same setting as MALLOC_ARENA_MAX=2.
M_ARENA_MAX = -8
MALLOC_ARENAS = 2


def limit_malloc_arenas() -> bool:
    """Cap glibc's malloc arenas for this process; False where the C library is not glibc."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS))
    except (OSError, AttributeError):
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
