"""The web app's locks: no file served from disk, nothing fetched through the app, a
password required off localhost, and records containing markup or scripts shown as text
in a real browser.

The app runs in this process on a free port, over an index of the seed corpus plus one
hostile document (board notes whose text holds a <script>, an <img onerror> and template
syntax).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from tests.test_ui_browser import WAIT_MS, chromium, free_port, open_tab, query_box, require_browser, search, wait_for_text

# Gradio's queue statistics use a pandas option that pandas 3 deprecates: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
HOSTILE_FILE = "performance-delivery-board_2026-01-14_notes.txt"
HOSTILE = """MEETING NOTES

Title: Performance & Delivery Board

Date and time: 14 January 2026

Attendees: Office of the Kent Police & Crime Commissioner

Matthew Scott – Police and Crime Commissioner (PCC)

Tim Smith – Chief Constable (CC)

1. Welcome & Introduction

The PCC welcomed the CC and opened the marmalade tribunal review.

2. Topical Issues <b onclick="window.xssFired = 3">bold</b> & Updates

The PCC said the marmalade tribunal had heard <script>window.xssFired = 1; alert('xss')</script> about 101 calls and <img src=x onerror="window.xssFired = 2; alert(2)"> totals of ${7*7} and {{7*7}}.

The CC replied that the marmalade tribunal would report again.
"""


@dataclass(frozen=True)
class Running:
    url: str
    index: Path
    corpus: Path
    exports: Path


def _build_index(corpus: Path, index: Path, cache: Path) -> None:
    from indexer.build import build_index
    from indexer.embed import EmbeddingCache, FakeEmbedder, config_for
    from indexer.manifest import read_manifest
    from indexer.parse import parse_file
    from indexer.resolve import resolve_corpus

    embedder = FakeEmbedder()
    with EmbeddingCache(cache) as store:
        build_index(
            [corpus], index, embedder=embedder, cache=store, parse=parse_file,
            manifest_rows=read_manifest(corpus / "manifest.csv"), config=config_for(embedder),
            progress=False, finalise=resolve_corpus,
        )


@dataclass(frozen=True)
class Built:
    base: Path
    corpus: Path
    index: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The seed corpus plus the hostile document, indexed once for the module."""
    base = tmp_path_factory.mktemp("secured")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / HOSTILE_FILE).write_text(HOSTILE, encoding="utf-8")
    _build_index(corpus, base / "index", base / "cache.sqlite")
    return Built(base, corpus, base / "index")


def _start(built: Built, credentials: tuple[str, str] | None) -> Iterator[Running]:
    import gradio.utils

    from indexer.embed import FakeEmbedder
    from search.engine import open_searcher
    from ui import app, handlers

    exports = built.base / f"exports-{uuid.uuid4().hex[:8]}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SCRUTINY_CACHE", str(built.base / "cache.sqlite"))
        state = handlers.prepare(open_searcher(built.index, FakeEmbedder()), exports, warm_up=False)
    demo = app.build_app(state)
    keep_open = [exports, Path(gradio.utils.get_upload_folder())]
    url = app.launch(demo, host="127.0.0.1", port=free_port(), credentials=credentials,
                     blocked=app.blocked_paths([built.index, built.corpus], keep_open))
    try:
        yield Running(url.rstrip("/") + "/", built.index, built.corpus, exports)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def running(built: Built) -> Iterator[Running]:
    yield from _start(built, None)


@pytest.fixture(scope="module")
def running_with_password(built: Built) -> Iterator[Running]:
    yield from _start(built, ("reader", "correct horse battery"))


@pytest.fixture
def throttled(built: Built) -> Iterator[Running]:
    """A server of its own: the lock-out below must not spill into the other tests."""
    yield from _start(built, ("reader", "correct horse battery"))


# -- files -----------------------------------------------------------------------------------

def _refused(url: str, secret: bytes) -> tuple[bool, int]:
    response = httpx.get(url, follow_redirects=True, timeout=10)
    return response.status_code != 200 and secret not in response.content, response.status_code


def test_no_file_outside_the_app_is_served(running: Running) -> None:
    passwd = Path("/etc/passwd")
    manifest = running.index / "manifest.json"
    source = running.corpus / HOSTILE_FILE
    secrets = {
        "passwd": (str(passwd), b"root:"),
        "index": (str(manifest), manifest.read_bytes()[:40]),
        "corpus": (str(source), b"marmalade tribunal"),
        "project": (str(ROOT / "pyproject.toml"), b"[build-system]"),
    }
    base = running.url.rstrip("/")
    for name, (path, secret) in secrets.items():
        for url in (
            f"{base}/file={path}",
            f"{base}/gradio_api/file={path}",
            f"{base}/gradio_api/file={path.upper()}",
            f"{base}/GRADIO_API/FILE={path}",
            f"{base}/gradio_api/file=..{'/..' * 12}{path}",
            f"{base}/gradio_api/file={path.replace('/', '%2F')}",
            f"{base}/gradio_api/file/{path.lstrip('/')}",
        ):
            refused, status = _refused(url, secret)
            assert refused, f"{name}: {url} answered {status} with the file's content"


def test_the_file_route_still_serves_what_the_app_itself_made(running: Running) -> None:
    """The control for the test above: refusals are the locks, not a broken route."""
    import gradio.utils

    made = Path(gradio.utils.get_upload_folder()) / uuid.uuid4().hex / "made-by-the-app.txt"
    made.parent.mkdir(parents=True)
    made.write_text("exported results")
    try:
        response = httpx.get(f"{running.url.rstrip('/')}/gradio_api/file={made}", timeout=10)
        assert response.status_code == 200 and response.text == "exported results"
    finally:
        shutil.rmtree(made.parent)


def test_nothing_is_fetched_or_uploaded_through_the_app(running: Running) -> None:
    base = running.url.rstrip("/")
    for url in (f"{base}/gradio_api/file=http://127.0.0.1:1/x", f"{base}/gradio_api/file=https://example.com/"):
        assert httpx.get(url, timeout=10).status_code == 403
    upload = httpx.post(f"{base}/gradio_api/upload", files={"files": ("x.txt", b"data")}, timeout=10)
    assert upload.status_code == 403
    page = httpx.get(running.url, timeout=10)
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"


def test_a_password_guards_everything_when_set(running_with_password: Running) -> None:
    base = running_with_password.url.rstrip("/")
    config = httpx.get(f"{base}/config", timeout=10)
    assert config.status_code in (401, 403) or "marmalade" not in config.text
    assert httpx.get(f"{base}/gradio_api/file=/etc/passwd", timeout=10).status_code in (401, 403)
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/login", data={"username": "reader", "password": "wrong"}).status_code in (400, 401)
        assert client.post("/login", data={"username": "reader", "password": "correct horse battery"}).status_code == 200
        assert client.get("/config").status_code == 200


def test_wrong_passwords_lock_the_address_out_and_are_logged(throttled: Running, caplog: pytest.LogCaptureFixture) -> None:
    from ui.app import FREE_TRIES

    base = throttled.url.rstrip("/")
    with httpx.Client(base_url=base, timeout=10) as client, caplog.at_level("WARNING", logger="scrutiny.ui"):
        for n in range(FREE_TRIES + 1):
            assert client.post("/login", data={"username": "reader", "password": f"guess {n}"}).status_code in (400, 401)
        refused = client.post("/login", data={"username": "reader", "password": "correct horse battery"})
        assert refused.status_code == 429 and "try again in" in refused.text  # even the right one, while locked out
        assert int(refused.headers["retry-after"]) >= 1
    assert any("wrong passwords from 127.0.0.1" in r.getMessage() for r in caplog.records)


def test_the_throttle_doubles_and_forgives() -> None:
    from ui.app import SignInThrottle

    now = [1000.0]
    throttle = SignInThrottle(free_tries=2, max_lockout_s=8, clock=lambda: now[0])
    for _ in range(2):
        throttle.failed("10.0.0.9")
    assert throttle.wait_s("10.0.0.9") == 0  # the free tries
    waits = []
    for _ in range(4):
        throttle.failed("10.0.0.9")
        waits.append(throttle.wait_s("10.0.0.9"))
    assert waits == [2, 4, 8, 8] and throttle.wait_s("10.0.0.10") == 0  # doubling, capped, per address
    throttle.succeeded("10.0.0.9")
    assert throttle.wait_s("10.0.0.9") == 0


# -- DNS rebinding, cross-origin reads, oversized bodies ----------------------------------------------

def test_only_the_bound_host_names_are_answered(running: Running) -> None:
    port = running.url.rstrip("/").rsplit(":", 1)[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "127.0.0.1"):
        assert httpx.get(running.url, headers={"Host": host}, timeout=10).status_code == 200, host
    for host in (f"evil.example:{port}", "evil.example", f"127.0.0.1.evil.example:{port}"):
        response = httpx.get(running.url + "config", headers={"Host": host}, timeout=10)
        assert response.status_code == 421 and "marmalade" not in response.text, host


def test_the_allowed_host_names() -> None:
    from ui.app import allowed_hosts

    local = allowed_hosts("127.0.0.1", "")
    assert local is not None and {"localhost", "127.0.0.1", "::1"} <= local and "evil.example" not in local
    lan = allowed_hosts("192.168.1.20", "scrutiny.office.lan, Records.Office.Lan:7860")
    assert lan is not None and {"192.168.1.20", "scrutiny.office.lan", "records.office.lan"} <= lan
    assert allowed_hosts("0.0.0.0", "") is None  # every interface: a password is required instead


def test_no_cross_origin_permission_is_granted(running: Running) -> None:
    origin = {"Origin": "http://evil.example"}
    page = httpx.get(running.url + "config", headers=origin, timeout=10)
    assert not [k for k in page.headers if k.lower().startswith("access-control-")]
    preflight = httpx.options(running.url + "gradio_api/queue/join",
                              headers={**origin, "Access-Control-Request-Method": "POST"}, timeout=10)
    assert not [k for k in preflight.headers if k.lower().startswith("access-control-")]


def test_an_oversized_body_is_refused(running: Running) -> None:
    from ui.app import MAX_BODY_BYTES

    big = b"x" * (MAX_BODY_BYTES + 1)
    declared = httpx.post(running.url + "gradio_api/queue/join", content=big, timeout=10)
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(8):
            yield b"x" * (MAX_BODY_BYTES // 4)

    streamed = httpx.post(running.url + "gradio_api/queue/join", content=chunks(), timeout=10)
    assert streamed.status_code in (400, 413)


def test_exports_are_written_only_when_asked_for(running: Running) -> None:
    from gradio_client import Client

    client = Client(running.url, verbose=False, download_files=False)
    try:
        for query in ("marmalade tribunal", "101 calls", "knife crime"):
            client.predict(query, "", "", "", "", "", "relevance", 10, api_name="/do_search")
        assert not running.exports.exists() or list(running.exports.iterdir()) == []
        client.predict("101 calls", "", "", "", "", "", "relevance", 10, api_name="/do_export")
        written = list(running.exports.iterdir())
        assert len(written) == 1 and sorted(p.suffix for p in written[0].iterdir()) == [".csv", ".md"]
    finally:
        client.close()


# -- the serve command's refusals --------------------------------------------------------------

def test_serve_refuses_the_network_without_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui.cli import main

    monkeypatch.delenv("SCRUTINY_AUTH", raising=False)
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "without a password" in lines[0] and "--auth" in lines[0] and "Traceback" not in result.output
    bad = CliRunner().invoke(main, ["serve", "--auth", "no-colon-here"])
    assert bad.exit_code == 1 and "USER:PASSWORD" in bad.output
    monkeypatch.setenv("SCRUTINY_AUTH", "reader:short")
    weak = CliRunner().invoke(main, ["serve", "--host", "192.168.1.20"])
    assert weak.exit_code == 1 and "at least 8 characters" in weak.output


def test_access_rules() -> None:
    from ui.app import blocked_paths, check_access, is_loopback

    assert check_access("127.0.0.1", None) is None and check_access("localhost", "") is None
    assert check_access("::1", None) is None and is_loopback("127.0.0.2") and not is_loopback("0.0.0.0")
    assert check_access("0.0.0.0", "reader:correct horse") == ("reader", "correct horse")
    assert check_access("127.0.0.1", "me:pw") == ("me", "pw")  # a short password is fine on localhost
    blocked = blocked_paths([Path("/srv/index"), Path("/srv/corpus")], keep_open=[Path("/tmp/exports")])
    assert {"/srv/index", "/srv/corpus", str(Path.home().resolve())} <= set(blocked)
    # A blocked folder that holds the app's own download folder would break downloads: left out.
    assert str(Path.home().resolve()) not in blocked_paths([], keep_open=[Path.home() / "exports"])


# -- escaping, in the browser --------------------------------------------------------------------

def test_a_record_containing_a_script_shows_as_text(running: Running) -> None:
    require_browser()
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []

        def on_dialog(dialog: Any) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto(running.url)
        query_box(page).wait_for(timeout=WAIT_MS)
        search(page, "marmalade tribunal")
        wait_for_text(page, "#results", r"<script>window\.xssFired = 1")
        card = page.locator("#results article.card", has_text="<script>").first
        text = card.inner_text()
        assert "<script>window.xssFired = 1; alert('xss')</script>" in text
        assert '<img src=x onerror="window.xssFired = 2; alert(2)">' in text
        assert "${7*7}" in text and "{{7*7}}" in text  # template syntax is not evaluated
        assert 'Topical Issues <b onclick="window.xssFired = 3">bold</b> & Updates' in text
        assert card.locator("script, img, b[onclick]").count() == 0
        # The whole item, fetched when opened, is escaped too.
        card.locator("details.context summary").click()
        card.locator(".item-context .here").wait_for(timeout=WAIT_MS)
        assert "<script>window.xssFired = 1" in card.locator(".item-text").inner_text()
        open_tab(page, "Documents")
        hostile_doc = page.locator("#documents article.doc", has_text=HOSTILE_FILE).first
        hostile_doc.locator("details.items summary").click()
        assert 'Topical Issues <b onclick="window.xssFired = 3">bold</b>' in hostile_doc.inner_text()
        assert page.locator("#documents b[onclick]").count() == 0
        open_tab(page, "Answer")
        page.wait_for_selector("#answer article.card, #answer .no-answer", timeout=WAIT_MS)
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.xssFired === undefined")
        assert dialogs == []
