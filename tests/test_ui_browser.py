"""The web app once, end to end, in headless Chromium: `scrutiny serve` started as a user
would (a fresh index folder, so it builds one from corpus/ first), then a researcher's
session: search, filter by speaker, read the answer, the timeline, the commitments and the
documents, download the results. Screenshots of each tab go to a temporary folder, or to
eval/screenshots/ (the README's pictures) when SCRUTINY_SCREENSHOTS=1.

Needs Debian's chromium at /usr/bin/chromium (`bash scripts/browser-deps.sh` installs it,
and `make test` runs that first); skipped, with the reason, where there is none.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The README's pictures are refreshed on purpose, not by every test run.
SCREENSHOTS = ROOT / "eval" / "screenshots" if os.environ.get("SCRUTINY_SCREENSHOTS") == "1" else Path(tempfile.gettempdir()) / "scrutiny-screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
STARTUP_TIMEOUT_S = 90
WAIT_MS = 20_000


def require_browser() -> None:
    """Skip (with the reason) where no browser can drive the page."""
    if not CHROMIUM.exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (bash scripts/browser-deps.sh installs it where apt is usable)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("no browser driver: the playwright package is not installed (pip install -e '.[test]')")


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def query_box(page: Any) -> Any:
    return page.locator("#query textarea, #query input").first


def search(page: Any, text: str) -> None:
    box = query_box(page)
    box.fill(text)
    box.press("Enter")


def wait_for_text(page: Any, selector: str, pattern: str, timeout_ms: int = WAIT_MS) -> str:
    """The element's text once it matches `pattern` (the page updates asynchronously)."""
    deadline = time.monotonic() + timeout_ms / 1000
    text = ""
    while time.monotonic() < deadline:
        text = page.locator(selector).first.inner_text() if page.locator(selector).count() else ""
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"{selector} never matched {pattern!r}; last text: {text[:300]!r}")


def pick(page: Any, dropdown: str, option: str) -> None:
    page.locator(f"{dropdown} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def open_tab(page: Any, name: str) -> None:
    """Open a tab, through Gradio's "More tabs" menu where a narrow screen has put it."""
    tab = page.get_by_role("tab", name=name, exact=True)
    if tab.count() and tab.first.is_visible():
        tab.first.click()
        return
    page.get_by_role("button", name="More tabs").click()
    page.locator(".overflow-dropdown button", has_text=name).first.click()


def shot(page: Any, name: str, at: str | None = None) -> None:
    """A screenshot of the viewport, scrolled so that `at` is at the top."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=False)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`scrutiny serve` in a subprocess, on a free port, with an index folder that does not
    exist yet (so it is built from corpus/ with the fake embedder)."""
    require_browser()
    base = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SCRUTINY_", "GRADIO_"))}
    env.update(SCRUTINY_EMBEDDER="fake", SCRUTINY_CACHE=str(base / "cache.sqlite"), GRADIO_TEMP_DIR=str(base / "gradio"))
    log_path = base / "serve.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "serve", "--index", str(base / "index"), "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while "serving on" not in log_path.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"scrutiny serve did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)
        output = log_path.read_text()
        assert "building it from" in output  # no index yet: built first
        assert f"http://127.0.0.1:{port}" in output  # the address is printed
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_a_research_session_in_the_browser(served: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(served)
        query_box(page).wait_for(timeout=WAIT_MS)

        # Search: ranked cards with dates, speakers (name and role), items and highlights.
        search(page, "101 calls")
        page.wait_for_selector("#results article.card", timeout=WAIT_MS)
        wait_for_text(page, "#understood", r"searching for “101 calls”")
        cards = page.locator("#results article.card")
        assert cards.count() == 20
        dates = page.locator("#results article.card .date").all_inner_texts()
        assert all(re.match(r"\d{4}-\d{2}-\d{2}|undated; between", d) for d in dates), dates
        speakers = page.locator("#results article.card .speaker").all_inner_texts()
        assert len(speakers) == 20 and all(s.startswith("Speaker:") for s in speakers)
        assert any(re.search(r"(Alan Pughsley|Tim Smith) \(CC, Chief Constable\)", s) for s in speakers), speakers
        assert page.locator("#results article.card mark").count() > 0
        assert any("reported speech" in k for k in page.locator("#results article.card .kind").all_inner_texts())
        shot(page, "search.png")

        # The whole agenda item opens in context, fetched from the index.
        first = cards.first
        first.locator("details.context summary").click()
        first.locator(".item-context .here").wait_for(timeout=WAIT_MS)
        assert first.locator(".passage").inner_text().split("\n")[0][:60] in first.locator(".item-text").inner_text()

        # Downloads work with files served only from the app's own temp folder, written
        # only when asked for.
        assert not page.locator("#download-csv").is_visible()
        page.locator("#export-button").click()
        page.locator("#download-csv").wait_for(state="visible", timeout=WAIT_MS)
        with page.expect_download() as download:
            page.locator("#download-csv").click()
        rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
        assert len(rows) == 20 and rows[0]["rank"] == "1" and rows[0]["meeting_date"] == dates[0]
        with page.expect_download() as download:
            page.locator("#download-md").click()
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        assert markdown.startswith("# Scrutiny: search results") and "[1] " in markdown

        # Speaker filter: every card now has a Chief Constable speaking.
        pick(page, "#speaker", "CC — Chief Constable")
        wait_for_text(page, "#understood", r"speaker: CC")
        page.wait_for_selector("#results article.card", timeout=WAIT_MS)
        speaker_lines = page.locator("#results article.card .speaker").all_inner_texts()
        assert speaker_lines and all("(CC, Chief Constable)" in s for s in speaker_lines)
        # The office, whoever held it: the CC in 2019 and the CC from 2023.
        joined = " ".join(speaker_lines)
        assert "Alan Pughsley (CC, Chief Constable)" in joined and "Tim Smith (CC, Chief Constable)" in joined

        # Answer: quoted, cited, above the passages it quotes.
        open_tab(page, "Answer")
        page.wait_for_selector("#answer ol.citations li", timeout=WAIT_MS)
        assert page.locator("#answer .cite").count() >= 1
        assert re.search(r"\d{1,2} \w+ \d{4}, ", page.locator("#answer .cite").first.inner_text())
        shot(page, "answer.png", at="#tabs")

        # Timeline: a chart, a table of meetings, and one meeting's passages on request.
        open_tab(page, "Timeline")
        page.wait_for_selector("#timeline-table table.timeline-table tbody tr", timeout=WAIT_MS)
        page.wait_for_selector("#timeline-chart canvas, #timeline-chart svg", timeout=WAIT_MS)
        meetings = page.locator("#timeline-table tbody tr td:first-child").all_inner_texts()
        assert meetings == sorted(meetings) and len(meetings) >= 2
        page.locator("#meeting input").click()
        page.get_by_role("option").first.click()
        page.wait_for_selector("#meeting-passages article.card", timeout=WAIT_MS)
        assert page.locator("#meeting-passages article.card .date").first.inner_text().startswith(meetings[0][:10])
        shot(page, "timeline.png", at="#tabs")

        # Commitments: statuses in words, filterable.
        open_tab(page, "Commitments")
        page.wait_for_selector("#commitments table tbody tr", timeout=WAIT_MS)
        all_rows = page.locator("#commitments tbody tr").count()
        # (No seed commitment is overdue: each was due at a meeting the records lack.)
        pick(page, "#status", "deferred")
        wait_for_text(page, "#commitments-summary", r"^\d+ of \d+ commitments shown: 0 done, [1-9]\d* deferred, 0 open, 0 overdue")
        statuses = page.locator("#commitments tbody td:first-child").all_inner_texts()
        assert statuses and {s.strip().lower() for s in statuses} == {"deferred"} and len(statuses) < all_rows
        pick(page, "#status", "Any status")
        wait_for_text(page, "#commitments-summary", rf"^{all_rows} of {all_rows} ")
        shot(page, "commitments.png", at="#tabs")

        # Documents: every document with dates, attendees and items.
        open_tab(page, "Documents")
        page.wait_for_selector("#documents article.doc", timeout=WAIT_MS)
        assert page.locator("#documents article.doc").count() == 13
        documents = page.locator("#documents").inner_text()
        assert "Alan Pughsley (CC)" in documents and "undated; between 12 June and 11 December 2024" in documents
        shot(page, "documents.png", at="#tabs")

        # A query of symbols: one line, no traceback; an empty one: the help text.
        open_tab(page, "Search")
        pick(page, "#speaker", "Any speaker")
        wait_for_text(page, "#understood", r"no filters")
        search(page, "%%% !!! ***")
        # The error takes the results' place: the previous query's cards do not stay under it.
        # Waits out Gradio's "processing" overlay, which shares the element for a moment.
        shown = wait_for_text(page, "#understood", r"^\s*Error: The query has no words to search for[^\n]*\s*$")
        assert shown.strip() == "Error: The query has no words to search for: give keywords or a question"
        assert page.locator("#results article.card").count() == 0
        assert "Traceback" not in shown and 'File "' not in shown
        search(page, "")
        wait_for_text(page, "#results", r"Type keywords")

        hosts = {urlparse(u).netloc.rsplit(":", 1)[0] for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
        assert hosts <= LOCAL_HOSTS, f"requests left this computer: {sorted(hosts - LOCAL_HOSTS)}"
        assert not [e for e in console_errors if "Content Security Policy" in e or "Refused to" in e], console_errors


def test_narrow_screen_has_no_sideways_scrolling(served: str) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(served)
        query_box(page).wait_for(timeout=WAIT_MS)
        search(page, "101 calls")
        page.wait_for_selector("#results article.card", timeout=WAIT_MS)
        open_tab(page, "Commitments")
        page.wait_for_selector("#commitments tbody tr", timeout=WAIT_MS)
        # Tables become labelled rows rather than overflowing.
        assert page.locator("#commitments thead").evaluate("e => getComputedStyle(e).display") == "none"
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1] + 1, widths
        shot(page, "commitments-narrow.png", at="#tabs")
