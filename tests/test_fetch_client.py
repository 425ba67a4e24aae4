"""The fetch client against a fake site on 127.0.0.1: retries, time-outs, truncated and
oversized downloads, wrong content types, redirects, robots.txt, validators and pacing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.errors import FetchError
from indexer.fetch.client import Client, FetchPolicy
from tests.fakesite import FakeSite, pdf_bytes, running

PDF = pdf_bytes(["Sussex Police and Crime Panel", "Minutes of the meeting held on 27 June 2023"])
FAST = FetchPolicy(delay=0, timeout=0.5, retries=2, backoff=0.01)


@pytest.fixture
def site() -> Iterator[FakeSite]:
    with running() as fake:
        yield fake


def client(site: FakeSite, **changes: object) -> Client:
    policy = FetchPolicy(**{**FAST.__dict__, **changes})  # type: ignore[arg-type]
    return Client(site.url + "/", policy)


def one_line(exc: pytest.ExceptionInfo[FetchError]) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_a_pdf_is_fetched_with_its_hash_validators_and_an_honest_user_agent(site: FakeSite) -> None:
    site.add("/docs/minutes.pdf", body=PDF, etag='"v1"', headers={"Last-Modified": "Tue, 27 Jun 2023 10:00:00 GMT"})
    got = client(site).get("/docs/minutes.pdf", ("pdf",))
    assert (got.status, got.kind, got.body, got.size) == (200, "pdf", PDF, len(PDF))
    assert got.etag == '"v1"' and got.last_modified == "Tue, 27 Jun 2023 10:00:00 GMT"
    assert site.requested("/docs/")[0].headers["User-Agent"].startswith("Scrutiny/")


def test_500s_are_retried_with_backoff_and_then_succeed(site: FakeSite) -> None:
    route = site.add("/flaky.pdf", body=PDF, fail_first=2)
    waits: list[float] = []
    c = client(site, backoff=0.5)
    c.sleep = waits.append
    assert c.get("/flaky.pdf", ("pdf",)).body == PDF
    assert route.hits == 3
    assert waits == [0.5, 1.0]  # doubling


def test_persistent_500s_give_up_in_one_line_naming_the_address(site: FakeSite) -> None:
    route = site.add("/broken.pdf", body=PDF, fail_first=99)
    with pytest.raises(FetchError) as caught:
        client(site).get("/broken.pdf", ("pdf",))
    message = one_line(caught)
    assert "/broken.pdf" in message and "500" in message and "3 tries" in message
    assert route.hits == 3


def test_a_time_out_is_retried(site: FakeSite) -> None:
    route = site.add("/slow.pdf", body=PDF, stall_first=1, stall_seconds=1.0)
    assert client(site, timeout=0.3).get("/slow.pdf", ("pdf",)).body == PDF
    assert route.hits == 2


def test_a_truncated_download_is_retried_then_refused_and_leaves_no_file(site: FakeSite, tmp_path: Path) -> None:
    route = site.add("/cut.pdf", body=PDF, truncate=True)
    target = tmp_path / "cut.part"
    with pytest.raises(FetchError) as caught:
        client(site).get("/cut.pdf", ("pdf",), into=target)
    assert "cut short" in one_line(caught)
    assert route.hits == 3


def test_a_wrong_content_type_is_refused(site: FakeSite) -> None:
    site.add("/login.pdf", body=b"<html><body>Please sign in</body></html>", content_type="text/html")
    with pytest.raises(FetchError) as caught:
        client(site).get("/login.pdf", ("pdf",))
    assert "served as text/html, not the PDF asked for" in one_line(caught)


def test_a_generic_type_is_accepted_only_with_the_right_signature(site: FakeSite) -> None:
    site.add("/mgConvert2PDF.aspx?ID=7", body=PDF, content_type="application/octet-stream")
    site.add("/mgConvert2PDF.aspx?ID=8", body=b"<html>error page</html>", content_type="application/octet-stream")
    assert client(site).get("/mgConvert2PDF.aspx?ID=7", ("pdf", "docx", "html")).kind == "pdf"
    with pytest.raises(FetchError):
        client(site).get("/mgConvert2PDF.aspx?ID=8", ("pdf", "docx"))


def test_a_pdf_type_without_a_pdf_inside_is_refused(site: FakeSite) -> None:
    site.add("/fake.pdf", body=b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    with pytest.raises(FetchError) as caught:
        client(site).get("/fake.pdf", ("pdf",))
    assert "is not a PDF file" in one_line(caught)


def test_an_oversized_content_length_is_refused_before_reading(site: FakeSite) -> None:
    site.add("/huge.pdf", body=PDF, claim_length=5_000_000_000)
    with pytest.raises(FetchError) as caught:
        client(site, max_bytes=1024 * 1024).get("/huge.pdf", ("pdf",))
    assert "over the 1,048,576-byte limit" in one_line(caught)


def test_a_body_over_the_limit_is_refused(site: FakeSite) -> None:
    site.add("/big.pdf", body=PDF)
    with pytest.raises(FetchError) as caught:
        client(site, max_bytes=len(PDF) - 1).get("/big.pdf", ("pdf",))
    assert "limit" in one_line(caught)


def test_a_redirect_to_another_host_is_refused_unless_allowed(site: FakeSite) -> None:
    site.add("/moved.pdf", status=302, body=b"", content_type="text/plain",
             headers={"Location": f"http://localhost:{site.port}/elsewhere.pdf"})
    site.add("/elsewhere.pdf", body=PDF)
    with pytest.raises(FetchError) as caught:
        client(site).get("/moved.pdf", ("pdf",))
    assert "redirected to another host (localhost" in one_line(caught)
    assert site.requested("/elsewhere.pdf") == []
    assert client(site, allow_hosts=frozenset({"localhost"})).get("/moved.pdf", ("pdf",)).body == PDF


def test_a_redirect_within_the_site_is_followed(site: FakeSite) -> None:
    site.add("/old.pdf", status=301, body=b"", content_type="text/plain", headers={"Location": "/new.pdf"})
    site.add("/new.pdf", body=PDF)
    got = client(site).get("/old.pdf", ("pdf",))
    assert got.final_url.endswith("/new.pdf") and got.body == PDF


def test_only_http_and_https_and_only_the_site(site: FakeSite) -> None:
    c = client(site)
    for address in ("file:///etc/passwd", "ftp://127.0.0.1/x.pdf", "javascript:alert(1)"):
        with pytest.raises(FetchError, match="only http and https"):
            c.check_url(address)
    with pytest.raises(FetchError, match="another host"):
        c.check_url("http://example.org/x.pdf")
    with pytest.raises(FetchError, match="not a web address"):
        Client("democracy.example.gov.uk")


def test_http_links_on_an_https_site_are_upgraded_and_spaces_escaped() -> None:
    c = Client("https://democracy.example.gov.uk/")
    assert (c.check_url("http://democracy.example.gov.uk/documents/g1/Printed minutes.pdf")
            == "https://democracy.example.gov.uk/documents/g1/Printed%20minutes.pdf")
    assert c.check_url("/a%20b.pdf") == "https://democracy.example.gov.uk/a%20b.pdf"


def test_robots_txt_is_honoured(site: FakeSite) -> None:
    site.add("/robots.txt", body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.add("/private/notes.pdf", body=PDF)
    site.add("/public/notes.pdf", body=PDF)
    c = client(site)
    with pytest.raises(FetchError) as caught:
        c.get("/private/notes.pdf", ("pdf",))
    assert "robots.txt" in one_line(caught)
    assert site.requested("/private/") == []
    assert c.get("/public/notes.pdf", ("pdf",)).body == PDF
    assert len(site.requested("/robots.txt")) == 1  # read once per site


def test_a_crawl_delay_in_robots_txt_slows_requests_down(site: FakeSite) -> None:
    site.add("/robots.txt", body=b"User-agent: *\nCrawl-delay: 5\n", content_type="text/plain")
    site.add("/a.pdf", body=PDF)
    site.add("/b.pdf", body=PDF)
    now = [0.0]
    waits: list[float] = []
    c = client(site, delay=1.0)
    c.clock = lambda: now[0]
    c.sleep = lambda seconds: (waits.append(seconds), now.__setitem__(0, now[0] + seconds))  # type: ignore[func-returns-value]
    c.get("/a.pdf", ("pdf",))
    c.get("/b.pdf", ("pdf",))
    # robots.txt, then a.pdf and b.pdf, each 5 s after the one before: robots.txt asked for 5 s
    assert waits == [5.0, 5.0]


def test_validators_bring_back_304_without_a_body(site: FakeSite) -> None:
    site.add("/notes.pdf", body=PDF, etag='"abc"')
    c = client(site)
    first = c.get("/notes.pdf", ("pdf",))
    again = c.get("/notes.pdf", ("pdf",), etag=first.etag)
    assert again.status == 304 and again.body is None
    assert site.requested("/notes.pdf")[-1].headers["If-None-Match"] == '"abc"'


def test_a_404_is_one_line_and_not_retried(site: FakeSite) -> None:
    with pytest.raises(FetchError) as caught:
        client(site).get("/missing.pdf", ("pdf",))
    assert "404" in one_line(caught)
    assert len(site.requested("/missing.pdf")) == 1


def test_a_retry_after_from_the_server_is_waited_for(site: FakeSite) -> None:
    site.add("/busy.pdf", status=429, body=b"slow down", content_type="text/plain", headers={"Retry-After": "7"})
    waits: list[float] = []
    c = client(site, retries=1, backoff=0.5)
    c.sleep = waits.append
    with pytest.raises(FetchError) as caught:
        c.get("/busy.pdf", ("pdf",))
    assert "429" in one_line(caught)
    assert waits == [7.0]
