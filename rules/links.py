"""Deep links: every ticket, customer, complaint, maintenance visit and part has a URL
that opens it, e.g. ``/tickets?ticket=SR-20261123-0001``.

Pure: which query parameter names which page, how a link is read from the query
parameters Streamlit hands over, and how it is written into a URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode

from rules.access import Page

# query parameter → the page that opens such a record
LINK_PAGES: dict[str, Page] = {
    "ticket": Page.TICKETS,
    "customer": Page.CUSTOMERS,
    "complaint": Page.COMPLAINTS,
    "visit": Page.MAINTENANCE,
    "part": Page.PARTS,
    "review": Page.FOLLOWUPS,  # a satisfaction review (the dashboard's 85% rule)
}
MAX_KEY_LENGTH = 80


@dataclass(frozen=True)
class DeepLink:
    kind: str  # a key of LINK_PAGES
    key: str  # the record's number or code, as users see it

    @property
    def page(self) -> Page:
        return LINK_PAGES[self.kind]

    @property
    def query(self) -> str:
        return urlencode({self.kind: self.key})


def _clean(value: object) -> str | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        return None
    return value


def parse_link(params: Mapping[str, object]) -> DeepLink | None:
    """The first record link among query parameters (None when there is none or its
    value is not a plausible number/code)."""
    for kind in LINK_PAGES:
        if kind in params:
            key = _clean(params[kind])
            return DeepLink(kind, key) if key else None
    return None


def parse_query(query: str | None) -> DeepLink | None:
    """A link stored as its query string (``"ticket=SR-1"``)."""
    return parse_link(dict(parse_qsl(query or ""))) if query else None


def link_url(base_url: str | None, link: DeepLink) -> str:
    """The link as a URL: absolute under ``base_url`` (the app's public address), or a
    path when no base is set."""
    path = f"/{quote(str(link.page))}?{link.query}"
    return (base_url or "").rstrip("/") + path
