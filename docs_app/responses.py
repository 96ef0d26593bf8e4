"""What every docs page response carries: the security headers, ETag / Last-Modified with
conditional GETs, and the view count of a share link; shared by the HTML, Markdown and
AsyncAPI pages."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from docs_app import selectors, services

PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# Markdown and llms.txt are data, never a document: nothing in them may run or load.
TEXT_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


@dataclass(frozen=True)
class Site:
    """One set of docs pages: what they show and where they live."""

    source: selectors.DocsSource
    base_path: str  # absolute path of the index, ending in "/"
    preview: bool


def secured(response: HttpResponse, *, public: bool = False, text: bool = False) -> HttpResponse:
    response["Content-Security-Policy"] = TEXT_CSP if text else PAGE_CSP
    # The token is in the URL: no page may pass it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "private, no-cache"
    if not public:
        response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def conditional(
    request: HttpRequest,
    response: HttpResponse,
    site: Site,
    last_modified: datetime | None,
    *,
    text: bool = False,
) -> HttpResponse:
    """ETag/Last-Modified on a page; 304 when the client already has this body."""
    etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    response["ETag"] = etag
    timestamp = int(last_modified.timestamp()) if last_modified else None
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    answer = get_conditional_response(
        request, etag=etag, last_modified=timestamp, response=response
    )
    # None only when no response is passed in; otherwise a 304/412 or the response itself.
    assert answer is not None
    return secured(answer, public=site.source.public, text=text)


def count_view(site: Site) -> None:
    """One more view of the share link behind a page (not of a member's preview)."""
    if site.source.link is not None and not site.preview:
        services.share_link_record_view(link=site.source.link)
