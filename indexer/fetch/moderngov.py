"""The ModernGov committee system, which most English and Welsh councils run and most
police and crime panels publish on: its web service (`mgWebService.asmx`) and, for the
papers of a meeting, the meeting's documents page.

The service's operations are plain GETs answered with XML:
- `GetCommittees?lDays=0`: `<committee>` elements with `<committeeid>` and `<committeetitle>`;
- `GetMeetings?lCommitteeId=…&sFromDate=…&sToDate=…` (dates dd/mm/yyyy): `<meeting>`
  elements with `<meetingid>` and `<meetingdate>` (dd/mm/yyyy). Some installations ignore
  the range and return every meeting, so it is applied again here;
- `GetMeeting?lMeetingId=…`: one `<meeting>` with its `<agendaitem>`s, whose
  `<linkeddocuments>` hold `<linkeddoc>` elements (`<title>`, `<url>`, `<isrestricted>`).
  Minutes written into agenda items come as HTML that is not always well formed, so an
  answer the XML parser refuses is read again by a forgiving HTML parser.

A meeting's printed minutes and agenda pack belong to the meeting rather than to an
agenda item: a `<linkeddoc>` directly under the meeting where the service gives one, and
otherwise the meeting's documents page (`ieListDocuments.aspx?CId=…&MId=…`), whose links
to the meeting's own folder (`documents/g<meeting id>/…`) are the frontsheet, the reports
pack and the printed minutes. They are told apart by their titles ("Printed minutes …",
"Public reports pack …"). Documents linked to an agenda item are left alone: the
"Minutes" item of a meeting links the minutes of the previous one, which would be filed
under the wrong date.
"""

from __future__ import annotations

import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, NavigableString, Tag, XMLParsedAsHTMLWarning

from indexer.errors import FetchError
from indexer.fetch.client import DOCUMENT_KINDS, Client

if TYPE_CHECKING:
    from indexer.fetch.save import Wanted

SERVICE = "mgWebService.asmx"
SERVICE_DATE = "%d/%m/%Y"
EARLIEST = date(2000, 1, 1)  # ModernGov records start in the 2000s; the service needs a start

MINUTES_RE = re.compile(r"\bminutes\b", re.I)
PACK_RE = re.compile(r"\b(?:reports?|agenda|documents?|public)\s+pack\b", re.I)
AGENDA_RE = re.compile(r"\bagenda\b", re.I)
FILE_KINDS = {".pdf": ("pdf",), ".docx": ("docx",), ".htm": ("html",), ".html": ("html",)}


@dataclass(frozen=True)
class Committee:
    id: int
    title: str


@dataclass(frozen=True)
class Meeting:
    id: int
    date: date


@dataclass(frozen=True)
class LinkedDoc:
    title: str
    url: str
    on_item: bool  # linked to an agenda item rather than the meeting itself
    restricted: bool


def site_root(site: str) -> str:
    """The installation's base address from what a user may paste: a host name, the site,
    or any page of it ("https://democracy.kent.gov.uk/mgCommitteeDetails.aspx?ID=841")."""
    text = site.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    path = parts.path
    if re.search(r"\.(?:aspx|asmx|html?)$", path, re.I) or path.lower().endswith("/" + SERVICE.lower()):
        path = path.rsplit("/", 1)[0]
    if re.search(r"/" + re.escape(SERVICE) + r"(?:/.*)?$", path, re.I):
        path = re.sub(r"/" + re.escape(SERVICE) + r"(?:/.*)?$", "", path, flags=re.I)
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))


def service_url(root: str, operation: str, **params: object) -> str:
    return f"{root}{SERVICE}/{operation}?{urlencode(params)}"


def committees_url(root: str) -> str:
    return service_url(root, "GetCommittees", lDays=0)


def meetings_url(root: str, committee_id: int, since: date, until: date) -> str:
    return service_url(root, "GetMeetings", lCommitteeId=committee_id,
                       sFromDate=since.strftime(SERVICE_DATE), sToDate=until.strftime(SERVICE_DATE))


def meeting_url(root: str, meeting_id: int) -> str:
    return service_url(root, "GetMeeting", lMeetingId=meeting_id)


def documents_page_url(root: str, committee_id: int, meeting_id: int) -> str:
    return f"{root}ieListDocuments.aspx?{urlencode({'CId': committee_id, 'MId': meeting_id})}"


# -- reading the service's answers -------------------------------------------------------

def _xml(data: bytes, what: str) -> ET.Element:
    # The service never sends a DTD; refusing one rules out entity tricks in a hostile answer.
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise FetchError(f"{what}: the answer declares a DTD, which the ModernGov service never does; refused")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        if not data.lstrip().startswith(b"<?xml"):
            raise FetchError(f"{what}: not the XML the ModernGov service sends ({exc})") from None
        root = _forgiving(data)
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rsplit("}", 1)[-1].lower()
    return root


def _forgiving(data: bytes) -> ET.Element:
    """The answer read as HTML (tags lower-cased, unclosed tags closed), as an element tree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)  # deliberately: the strict parser refused it
        soup = BeautifulSoup(data, "html.parser")
    root = ET.Element("answer")
    _copy_children(soup, root)
    return root


def _copy_children(source: Tag | BeautifulSoup, target: ET.Element) -> None:
    texts = []
    for child in source.children:
        if isinstance(child, Tag):
            element = ET.SubElement(target, child.name.lower())
            _copy_children(child, element)
        elif isinstance(child, NavigableString) and type(child) is NavigableString:
            texts.append(str(child))
    target.text = "".join(texts)


def _text(element: ET.Element, tag: str) -> str:
    return " ".join((element.findtext(tag) or "").split())


def _flag(element: ET.Element, tag: str) -> bool:
    return _text(element, tag).lower() == "true"


def service_date(text: str) -> date | None:
    """A date as the service writes it: "17/10/2023", sometimes with a time after it."""
    text = text.strip()
    for fmt, width in ((SERVICE_DATE, 10), ("%Y-%m-%d", 10)):
        try:
            return datetime.strptime(text[:width], fmt).date()
        except ValueError:
            continue
    return None


def parse_committees(data: bytes, what: str = "GetCommittees") -> list[Committee]:
    found = []
    for element in _xml(data, what).iter("committee"):
        number, title = _text(element, "committeeid"), _text(element, "committeetitle")
        if number.isdigit() and title and not _flag(element, "committeedeleted"):
            found.append(Committee(int(number), title))
    return found


def parse_meetings(data: bytes, what: str = "GetMeetings") -> list[Meeting]:
    found = []
    for element in _xml(data, what).iter("meeting"):
        number, when = _text(element, "meetingid"), service_date(_text(element, "meetingdate"))
        if number.isdigit() and when is not None:
            found.append(Meeting(int(number), when))
    return found


def parse_meeting_documents(data: bytes, what: str = "GetMeeting") -> list[LinkedDoc]:
    """Every document linked to the meeting or to one of its agenda items, in order."""
    root = _xml(data, what)
    found: list[LinkedDoc] = []

    def walk(element: ET.Element, on_item: bool) -> None:
        for child in element:
            if child.tag == "linkeddoc":
                url = _text(child, "url")
                if url:
                    found.append(LinkedDoc(_text(child, "title"), url, on_item, _flag(child, "isrestricted")))
            else:
                walk(child, on_item or child.tag == "agendaitem")

    walk(root, False)
    return found


def parse_documents_page(html: bytes, page_url: str, meeting_id: int) -> list[LinkedDoc]:
    """The links of a meeting's documents page into the meeting's own folder
    (`documents/g<meeting id>/…`), titled by their text (or title attribute, or file name)."""
    own = re.compile(rf"/documents/g{meeting_id}/", re.I)
    found: list[LinkedDoc] = []
    seen: set[str] = set()
    for anchor in BeautifulSoup(html, "html.parser").find_all("a", href=True):
        url = urljoin(page_url, str(anchor["href"]).strip())
        path = unquote(urlsplit(url).path)
        if not own.search(path) or url in seen:
            continue
        seen.add(url)
        text = " ".join(anchor.get_text(" ", strip=True).split())
        hint = re.sub(r"^link to\s+", "", str(anchor.get("title") or ""), flags=re.I).strip()
        found.append(LinkedDoc(text or hint or path.rsplit("/", 1)[-1], url, False, False))
    return found


# -- choosing --------------------------------------------------------------------------

def choose_committee(committees: list[Committee], name_or_id: str, site: str) -> Committee:
    """The committee a user named: its number, its exact title, or the one title that
    contains what was typed (any case). Raises FetchError listing the candidates."""
    wanted = " ".join(name_or_id.split())
    if wanted.isdigit():
        for committee in committees:
            if committee.id == int(wanted):
                return committee
        raise FetchError(f"--committee {wanted}: no committee with that number at {site}")
    exact = [c for c in committees if c.title.lower() == wanted.lower()]
    if exact:
        return exact[0]
    partial = [c for c in committees if wanted.lower() in c.title.lower()]
    if len(partial) == 1:
        return partial[0]
    if not partial:
        raise FetchError(f"--committee {wanted!r}: no committee at {site} has that in its name; give its number or exact name")
    names = "; ".join(f"{c.id} {c.title}" for c in partial[:8])
    raise FetchError(f"--committee {wanted!r} matches {len(partial)} committees at {site} ({names}); give the number")


def classify(title: str) -> str | None:
    """"minutes", "agenda pack" or "agenda" from a linked document's title; None for others."""
    if MINUTES_RE.search(title):
        return "minutes"
    if PACK_RE.search(title):
        return "agenda pack"
    if AGENDA_RE.search(title):
        return "agenda"
    return None


def meeting_papers(documents: list[LinkedDoc]) -> list[tuple[str, LinkedDoc]]:
    """The meeting's minutes and its agenda pack (its agenda when no pack is published),
    each as (document type, document)."""
    own = [d for d in documents if not d.on_item and not d.restricted]
    by_kind: dict[str, LinkedDoc] = {}
    for document in own:
        kind = classify(document.title)
        if kind is not None and kind not in by_kind:
            by_kind[kind] = document
    papers = [(kind, by_kind[kind]) for kind in ("minutes", "agenda pack") if kind in by_kind]
    if "agenda pack" not in by_kind and "agenda" in by_kind:
        papers.append(("agenda", by_kind["agenda"]))
    return papers


def expected_kinds(url: str) -> tuple[str, ...]:
    """What a document address should serve, from its suffix; any document kind if none."""
    path = urlsplit(url).path.lower()
    return next((kinds for suffix, kinds in FILE_KINDS.items() if path.endswith(suffix)), DOCUMENT_KINDS)


# -- fetching ------------------------------------------------------------------------

def committee_papers(
    client: Client,
    root: str,
    committee: str,
    *,
    since: date | None = None,
    until: date | None = None,
    publisher: str | None = None,
    area: str | None = None,
    on_error: Callable[[str], None] = lambda line: None,
) -> tuple[Committee, list["Wanted"]]:
    """The committee named by `committee` and the minutes and agenda packs of its meetings
    between `since` and `until`, with the meeting date and committee name from the service.
    A meeting whose details cannot be read costs one line; the others go on."""
    from indexer.fetch.save import Wanted
    from indexer.vocabulary import find_area

    listing = client.get(committees_url(root), ("xml",))
    chosen = choose_committee(parse_committees(listing.body or b"", committees_url(root)), committee, root)
    start, end = since or EARLIEST, until or date.today()
    url = meetings_url(root, chosen.id, start, end)
    meetings = sorted({m for m in parse_meetings(client.get(url, ("xml",)).body or b"", url) if start <= m.date <= end},
                      key=lambda m: (m.date, m.id))
    wanted: list[Wanted] = []
    for meeting in meetings:
        detail_url = meeting_url(root, meeting.id)
        try:
            documents = parse_meeting_documents(client.get(detail_url, ("xml",)).body or b"", detail_url)
        except FetchError as exc:
            on_error(" ".join(str(exc).split()))
            continue
        if not {"minutes", "agenda pack"} <= {kind for kind, _ in meeting_papers(documents)}:
            documents += _documents_page(client, root, chosen.id, meeting.id, on_error)
        for kind, document in meeting_papers(documents):
            wanted.append(Wanted(
                url=urljoin(root, document.url),
                body=chosen.title,
                date=meeting.date,
                document_type=kind,
                publisher=publisher or urlsplit(root).hostname,
                area=area or find_area(chosen.title),
                expect=expected_kinds(document.url),
                label=document.title,
            ))
    return chosen, wanted


def _documents_page(client: Client, root: str, committee_id: int, meeting_id: int,
                    on_error: Callable[[str], None]) -> list[LinkedDoc]:
    url = documents_page_url(root, committee_id, meeting_id)
    try:
        page = client.get(url, ("html",))
    except FetchError as exc:
        on_error(" ".join(str(exc).split()))
        return []
    return parse_documents_page(page.body or b"", page.final_url, meeting_id)
