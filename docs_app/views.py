"""The read-only docs pages: by share link (``/share/<token>/``) and as members preview them
(``/projects/<id>/docs/``). Thin: resolve who may see what, call the selectors, render.

Every response (the "not available" page and the password form included) carries the docs
security headers; pages carry an ETag (a digest of the body) and Last-Modified and answer
conditional GETs with 304.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.markdown import markdown_summary, render_markdown
from docs_app import markup, message_docs, rendering, selectors, services, socketio_docs
from docs_app.asyncapi_pages import asyncapi_page
from docs_app.errors import TooManyPasswordAttempts
from docs_app.models import ShareLink
from docs_app.responses import Site, conditional, count_view, secured
from endpoints.environments.resolver import fill_known
from endpoints.handshake import SOCKETIO
from endpoints.projects.access import Action, project_membership

UNLOCK_COOKIE = "sb_docs_unlock"
UNLOCK_SALT = "docs_app.unlock"
# The unlock cookie dies with the browser session; the signature also expires after this.
UNLOCK_MAX_AGE = 12 * 3600
MAX_QUERY_LENGTH = 200
_NEXT = re.compile(
    r"(?:endpoints/\d{1,18}/|endpoints/\d{1,18}\.md|index\.md|llms\.txt|asyncapi\.(?:yaml|json))?\Z"
)


def safe_methods(view: Any) -> Any:
    """GET and HEAD only (405 otherwise). Exempt from CSRF, which would answer another method
    with its 403 before the 405: these pages change nothing a forged request could use."""
    return csrf_exempt(require_http_methods(["GET", "HEAD"])(view))


# --- responses ------------------------------------------------------------------------------


def not_available(request: HttpRequest) -> HttpResponse:
    """One page for unknown, expired and revoked links: same status, headers and body."""
    return secured(
        HttpResponse(render_to_string("docs_app/not_available.html"), status=404),
    )


def page_missing(request: HttpRequest, site: Site, *, text: bool = False) -> HttpResponse:
    """A page that is not part of these docs (unknown or out of scope: the same answer)."""
    if text:
        response = HttpResponse(
            "This page is not part of these docs.\n",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
        return secured(response, public=site.source.public, text=True)
    body = render_to_string(
        "docs_app/missing.html",
        {"project": site.source.project, "root": "../../", "public": site.source.public},
        request=request,
    )
    return secured(HttpResponse(body, status=404), public=site.source.public)


def _latest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


# --- pages ----------------------------------------------------------------------------------


def _page_context(site: Site, root: str) -> dict[str, Any]:
    source = site.source
    return {
        "project": source.project,
        "root": root,
        "public": source.public,
        "preview": site.preview,
        "link": source.link if site.preview else None,
    }


def index_page(request: HttpRequest, site: Site) -> HttpResponse:
    source = site.source
    values = selectors.docs_values(source)
    tree = selectors.docs_tree(source, details=True, values=values)
    services.descriptions_store(stale=tree.stale_renderings)
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    context = _page_context(site, "./")
    context.update(
        query=query,
        total=len(tree.ordered),
        description_html=markup.shift_headings(render_markdown(source.project.description), 1),
    )
    if query:
        matches = selectors.endpoints_matching(tree, query)
        context.update(results=rendering.results_html(tree, matches, "./"), matches=len(matches))
    else:
        context.update(listing=rendering.listing_html(tree, "./"))
    body = render_to_string("docs_app/index.html", context, request=request)
    response = HttpResponse(body)
    modified = _latest(tree.last_modified, source.project.updated_at, _link_changed(source))
    count_view(site)
    return conditional(request, response, site, modified)


def _link_changed(source: selectors.DocsSource) -> datetime | None:
    return source.link.updated_at if source.link is not None else None


@dataclass(frozen=True)
class EndpointView:
    endpoint: selectors.DocsEndpoint
    tree: selectors.DocsTree
    url: str
    params: list[rendering.Row]
    headers: list[rendering.Row]
    cookies: list[rendering.Row]
    subprotocols: list[str]
    messages: message_docs.MessagesView
    path: list[str]
    modified: datetime | None  # the endpoint's or a project schema's last change
    socketio: socketio_docs.SocketIODoc | None  # how to connect, for a Socket.IO endpoint


def _schemas_changed(schemas: dict[str, dict[str, Any]]) -> list[datetime | None]:
    # A page that shows project schemas changes when one of them does (Last-Modified).
    return [item.get("updated_at") for item in schemas.values()]


def _endpoint_view(site: Site, endpoint_id: int) -> EndpointView | None:
    source = site.source
    values = selectors.docs_values(source)
    tree = selectors.docs_tree(source, details=False, values=values)
    endpoint = selectors.docs_endpoint(source, endpoint_id, tree)
    if endpoint is None:
        return None
    services.descriptions_store(stale=endpoint.stale_renderings)
    schemas = selectors.project_schemas_for(
        source.project, message_docs.documented_schemas(endpoint.messages)
    )
    url = fill_known(endpoint.url, values)
    params = rendering.rows_view(endpoint.params, values)
    headers = rendering.rows_view(endpoint.headers, values)
    cookies = rendering.rows_view(endpoint.cookies, values)
    return EndpointView(
        endpoint=endpoint,
        tree=tree,
        url=url,
        params=params,
        headers=headers,
        cookies=cookies,
        subprotocols=[fill_known(item, values) for item in endpoint.subprotocols],
        messages=message_docs.messages_view(endpoint.messages, values, schemas),
        modified=_latest(endpoint.updated_at, *_schemas_changed(schemas)),
        path=[folder.name for folder in tree.folder_path(endpoint.folder_id)],
        socketio=(
            socketio_docs.socketio_doc(
                endpoint.socketio, url, params, headers, cookies, endpoint.messages
            )
            if endpoint.protocol == SOCKETIO
            else None
        ),
    )


def endpoint_page(request: HttpRequest, site: Site, endpoint_id: int) -> HttpResponse:
    view = _endpoint_view(site, endpoint_id)
    if view is None:
        return page_missing(request, site)
    ordered = view.tree.ordered
    position = next(i for i, item in enumerate(ordered) if item.id == endpoint_id)
    context = _page_context(site, "../../")
    shown = [view.url, *view.subprotocols, *(example.text for example in view.messages.examples)]
    shown += [
        text
        for row in (*view.params, *view.headers, *view.cookies)
        for text in (row.name, row.value)
    ]
    context.update(
        has_placeholders=any("{{" in text for text in shown),
        endpoint=view.endpoint,
        description_html=markup.shift_headings(view.endpoint.description_html, 2),
        status_label=rendering.status_label(view.endpoint.status),
        view=view,
        nav=rendering.nav_html(view.tree, "../../", endpoint_id),
        messages_html=message_docs.messages_html(view.messages),
        socketio_html=socketio_docs.socketio_html(view.socketio) if view.socketio else "",
        previous=ordered[position - 1] if position > 0 else None,
        next=ordered[position + 1] if position + 1 < len(ordered) else None,
    )
    body = render_to_string("docs_app/endpoint.html", context, request=request)
    modified = _latest(view.modified, _link_changed(site.source))
    count_view(site)
    return conditional(request, HttpResponse(body), site, modified)


def _markdown_response(body: str, content_type: str) -> HttpResponse:
    return HttpResponse(body.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")


def index_markdown(request: HttpRequest, site: Site) -> HttpResponse:
    source = site.source
    values = selectors.docs_values(source)
    tree = selectors.docs_tree(source, details=True, values=values)
    services.descriptions_store(stale=tree.stale_renderings)
    body = rendering.index_markdown(source.project.name, source.project.description, tree)
    modified = _latest(tree.last_modified, source.project.updated_at, _link_changed(source))
    count_view(site)
    return conditional(
        request, _markdown_response(body, "text/markdown"), site, modified, text=True
    )


def llms_txt(request: HttpRequest, site: Site) -> HttpResponse:
    source = site.source
    values = selectors.docs_values(source)
    tree = selectors.docs_tree(source, details=True, values=values)
    services.descriptions_store(stale=tree.stale_renderings)
    outlines = selectors.message_outlines(tree)
    full = selectors.messages_of(rendering.llms_full_endpoints(tree, outlines))
    schemas = selectors.project_schemas_for(
        source.project,
        (schema for items in full.values() for schema in message_docs.documented_schemas(items)),
    )
    body = rendering.llms_txt(
        source.project.name,
        source.project.description,
        tree,
        request.build_absolute_uri(site.base_path),
        markdown_summary(source.project.description, 300),
        {pk: message_docs.messages_view(items, values, schemas) for pk, items in full.items()},
        outlines,
    )
    modified = _latest(
        tree.last_modified,
        source.project.updated_at,
        _link_changed(source),
        *_schemas_changed(schemas),
    )
    count_view(site)
    return conditional(request, _markdown_response(body, "text/plain"), site, modified, text=True)


def endpoint_markdown(request: HttpRequest, site: Site, endpoint_id: int) -> HttpResponse:
    view = _endpoint_view(site, endpoint_id)
    if view is None:
        return page_missing(request, site, text=True)
    body = rendering.endpoint_markdown(
        view.endpoint,
        path=view.path,
        url=view.url,
        params=view.params,
        headers=view.headers,
        cookies=view.cookies,
        subprotocols=view.subprotocols,
        messages=view.messages,
        socketio=view.socketio,
    )
    modified = _latest(view.modified, _link_changed(site.source))
    count_view(site)
    return conditional(
        request, _markdown_response(body, "text/markdown"), site, modified, text=True
    )


# --- share links: token, password -----------------------------------------------------------


def _unlock_fingerprint(link: ShareLink) -> str:
    # A new password or a rotated token makes every earlier unlock void.
    return hashlib.sha256(f"{link.password_hash}\0{link.token_digest}".encode()).hexdigest()[:32]


def _is_unlocked(request: HttpRequest, link: ShareLink) -> bool:
    raw = request.COOKIES.get(UNLOCK_COOKIE)
    if not raw:
        return False
    try:
        data = signing.loads(raw, salt=UNLOCK_SALT, max_age=UNLOCK_MAX_AGE)
    except signing.BadSignature:
        return False
    return (
        isinstance(data, dict)
        and data.get("link") == link.pk
        and data.get("fp") == _unlock_fingerprint(link)
    )


def _share_base(token: str) -> str:
    return f"/share/{token}/"


def _password_form(
    request: HttpRequest,
    link: ShareLink,
    next_page: str,
    *,
    root: str,
    status: int = 200,
    error: str = "",
    retry_after: int | None = None,
) -> HttpResponse:
    body = render_to_string(
        "docs_app/password.html",
        {
            # Nothing of the project is shown before the password; links stay relative.
            "next": next_page,
            "error": error,
            "retry_after": retry_after,
            "public": link.public,
            "root": root,
        },
        request=request,
    )
    response = HttpResponse(body, status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return secured(response, public=link.public)


def _shared(request: HttpRequest, token: str, next_page: str) -> Site | HttpResponse:
    link = selectors.share_link_by_token(token)
    if link is None:
        return not_available(request)
    if link.password_hash and not _is_unlocked(request, link):
        if next_page.endswith((".md", ".txt", ".yaml", ".json")):
            response = HttpResponse(
                "These docs are password protected. Open the link in a browser and enter "
                "the password first.\n",
                status=403,
                content_type="text/plain; charset=utf-8",
            )
            return secured(response, public=link.public, text=True)
        root = "../../" if next_page.startswith("endpoints/") else "./"
        return _password_form(request, link, next_page, root=root)
    return Site(selectors.docs_source_for_link(link), _share_base(token), preview=False)


def shared_page(page: Callable[..., HttpResponse], next_page: str) -> Callable[..., HttpResponse]:
    """``page`` behind a share link: the token (and its password) first. ``next_page`` is where
    the password form returns to, with the URL's arguments filled in."""

    @safe_methods
    def view(request: HttpRequest, token: str, **kwargs: Any) -> HttpResponse:
        site = _shared(request, token, next_page.format(**kwargs))
        return site if isinstance(site, HttpResponse) else page(request, site, **kwargs)

    return view


# Every docs page, by its address under a site's root (a share link's or a member's preview).
PAGES: tuple[tuple[str, Callable[..., HttpResponse]], ...] = (
    ("", index_page),
    ("index.md", index_markdown),
    ("llms.txt", llms_txt),
    ("endpoints/<int:endpoint_id>/", endpoint_page),
    ("endpoints/<int:endpoint_id>.md", endpoint_markdown),
    ("asyncapi.yaml", asyncapi_page("yaml")),
    ("asyncapi.json", asyncapi_page("json")),
)


def _client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded-for header is whatever the client wants it to be. Behind
    # a proxy, the proxy must set REMOTE_ADDR (Daphne's --proxy-headers does).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


# Exempt from CSRF on purpose: with "Referrer-Policy: no-referrer" browsers send "Origin: null"
# on this POST, which Django's check rejects; and all a forged submission could do is unlock a
# link, in the victim's own browser, with a password the attacker already knows.
@csrf_exempt
@require_POST
def share_unlock(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.share_link_by_token(token)
    if link is None:
        return not_available(request)
    next_page = request.POST.get("next", "")
    if not _NEXT.match(next_page):
        next_page = ""
    if not link.password_hash:
        return secured(HttpResponseRedirect(_share_base(token) + next_page), public=link.public)
    password = request.POST.get("password", "")[:1024]
    try:
        unlocked = services.share_link_unlock(
            link=link,
            password=password,
            client=services.client_fingerprint(_client_address(request)),
        )
    except TooManyPasswordAttempts as exc:
        return _password_form(
            request,
            link,
            next_page,
            root="../",
            status=429,
            error="Too many wrong passwords. Wait a while, then try again.",
            retry_after=exc.retry_after,
        )
    if not unlocked:
        return _password_form(
            request, link, next_page, root="../", status=403, error="That password is not right."
        )
    response = HttpResponseRedirect(_share_base(token) + next_page)
    response.status_code = 303  # see other: the browser follows with a GET
    response.set_cookie(
        UNLOCK_COOKIE,
        signing.dumps({"link": link.pk, "fp": _unlock_fingerprint(link)}, salt=UNLOCK_SALT),
        path=_share_base(token),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )
    return secured(response, public=link.public)


# --- members' preview -----------------------------------------------------------------------


def _preview(request: HttpRequest, project_id: int, link_id: int | None) -> Site | HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
        if link_id is None:
            source = selectors.docs_source_for_project(membership.project)
            base = f"/projects/{project_id}/docs/"
        else:
            link = selectors.share_link_get(project=membership.project, link_id=link_id)
            link.project = membership.project
            source = selectors.docs_source_for_link(link)
            base = f"/projects/{project_id}/docs/links/{link_id}/"
    except DomainError:
        # Not a member, or no such link: the same page as any unknown address.
        return secured(HttpResponse(render_to_string("docs_app/not_available.html"), status=404))
    return Site(source, base, preview=True)


def preview_page(page: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """``page`` as a member previews it (the project, or what one of its links shows)."""

    @safe_methods
    def view(
        request: HttpRequest, project_id: int, link_id: int | None = None, **kwargs: Any
    ) -> HttpResponse:
        site = _preview(request, project_id, link_id)
        return site if isinstance(site, HttpResponse) else page(request, site, **kwargs)

    return view
