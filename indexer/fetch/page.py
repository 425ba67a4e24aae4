"""The documents a publication page links to (a commissioner's "Performance and Delivery
Board" page, a decisions page): every PDF, DOCX or HTML document whose link text or
address matches, with the date its link text or address gives."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

from indexer.dates import find_dates
from indexer.fetch.client import Client
from indexer.fetch.moderngov import expected_kinds
from indexer.fetch.save import Wanted
from indexer.vocabulary import KIND_ALIASES, DocumentKind

DOCUMENT_SUFFIXES = (".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class PageLink:
    url: str  # absolute
    text: str  # the link's text (or its title attribute)
    date: date | None
    document_type: str | None
    expect: tuple[str, ...]


def page_title(html: bytes | str) -> str | None:
    """The page's main heading, else its <title>."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in (soup.find("h1"), soup.title):
        if tag is not None and tag.get_text(strip=True):
            return " ".join(tag.get_text(" ", strip=True).split())
    return None


def page_links(html: bytes | str, page_url: str, match: str | None = None) -> list[PageLink]:
    """The document links on the page, in page order, each address once.

    A link counts when its address ends in .pdf, .docx, .html or .htm and, with `match`,
    when its text or address contains `match` (any case).
    """
    soup = BeautifulSoup(html, "html.parser")
    seen: set[str] = set()
    links: list[PageLink] = []
    for anchor in soup.find_all("a", href=True):
        url = urljoin(page_url, str(anchor["href"]).strip()).split("#", 1)[0]
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        if not unquote(urlsplit(url).path).lower().endswith(DOCUMENT_SUFFIXES):
            continue
        text = " ".join(anchor.get_text(" ", strip=True).split()) or str(anchor.get("title") or "")
        if match and match.lower() not in text.lower() and match.lower() not in unquote(url).lower():
            continue
        seen.add(url)
        links.append(PageLink(url, text, link_date(text, url), kind_from_text(f"{text} {unquote(url)}"), expected_kinds(url)))
    return links


def link_date(text: str, url: str) -> date | None:
    """The date in a link's text ("Board notes 25 September 2019"), else in its address
    (".../2019-09-25/notes.pdf", ".../notes-25-september-2019.pdf")."""
    path = unquote(urlsplit(url).path)
    for candidate in (text, path, re.sub(r"[-_/.]+", " ", path)):
        found = find_dates(candidate)
        if found:
            return found[0][0]
    return None


def _kind_words() -> list[tuple[re.Pattern[str], str]]:
    names = {kind.value: kind.value for kind in DocumentKind}
    names.update({alias: kind.value for alias, kind in KIND_ALIASES.items()})
    # Longest first: "annual report" before "report", "agenda pack" before "agenda".
    return [(re.compile(r"\b" + re.escape(name).replace(r"\ ", r"[\s_-]+") + r"\b", re.I), kind)
            for name, kind in sorted(names.items(), key=lambda p: len(p[0]), reverse=True)]


_KIND_WORDS = _kind_words()


def kind_from_text(text: str) -> str | None:
    """The document kind a link names ("… board notes …" → "meeting notes"), if any."""
    return next((kind for pattern, kind in _KIND_WORDS if pattern.search(text)), None)


def page_papers(
    client: Client,
    page_url: str,
    *,
    match: str | None = None,
    body: str | None = None,
    document_type: str | None = None,
    publisher: str | None = None,
    area: str | None = None,
) -> tuple[list[Wanted], list[PageLink]]:
    """The documents the page at `page_url` links to on its own site (and allowed hosts),
    and the links left out because they lead elsewhere."""
    from indexer.vocabulary import find_area

    page = client.get(page_url, ("html",))
    html = page.body or b""
    title = body or page_title(html)
    wanted: list[Wanted] = []
    elsewhere: list[PageLink] = []
    for link in page_links(html, page.final_url, match):
        if not client.allowed_host(link.url):
            elsewhere.append(link)
            continue
        wanted.append(Wanted(
            url=link.url,
            body=title,
            date=link.date,
            document_type=document_type or link.document_type,
            publisher=publisher or urlsplit(page_url).hostname,
            area=area or find_area(f"{title or ''} {link.text}"),
            expect=link.expect,
            label=link.text,
        ))
    return wanted, elsewhere
