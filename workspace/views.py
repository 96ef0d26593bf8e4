"""Server-rendered shells of the web workspace.

The pages carry no data the REST API does not already serve: the projects page lists the
member's projects, and the project shell embeds who you are and your role there. Everything
else is loaded by the workspace's scripts from the same REST API and live sockets that scripts
use, with the login session and the CSRF token. Every page sends a strict
Content-Security-Policy: scripts and styles only from this server's static files, no inline
script or style, sockets only to this server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from core.markdown import render_markdown
from core.people import user_brief
from core.requests import AuthenticatedHttpRequest
from endpoints.models import EndpointStatus, MessageFormat, Project
from endpoints.projects.access import ALLOWED, Action, project_membership
from endpoints.projects.selectors import projects_of_user
from endpoints.projects.serializers import project_data


def content_security_policy(request: HttpRequest) -> str:
    """The workspace policy; sockets may only go back to the origin the page came from."""
    socket_origin = ("wss://" if request.is_secure() else "ws://") + request.get_host()
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
        f"connect-src 'self' {socket_origin}; font-src 'self'; object-src 'none'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def workspace_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required, GET only, the CSRF cookie set, and the workspace's security headers."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = content_security_policy(request)
        response["Referrer-Policy"] = "same-origin"
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-cache"
        return response

    return login_required(require_http_methods(["GET", "HEAD"])(ensure_csrf_cookie(wrapper)))


@dataclass(frozen=True)
class ProjectCard:
    """One of the caller's projects on the projects page."""

    project: Project
    role: str
    member_count: int
    description_html: SafeString


@workspace_page
def projects_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    cards = [
        ProjectCard(
            project=membership.project,
            role=membership.role,
            member_count=membership.member_count,
            # Sanitized by the one Markdown renderer, as on the docs pages.
            description_html=mark_safe(render_markdown(membership.project.description)),
        )
        for membership in projects_of_user(user=request.user)
    ]
    return render(
        request,
        "workspace/projects.html",
        {"memberships": cards, "me": user_brief(request.user)},
    )


@workspace_page
def project_page(request: AuthenticatedHttpRequest, project_id: int, **route: Any) -> HttpResponse:
    try:
        membership = project_membership(
            user=request.user, project_id=project_id, action=Action.READ
        )
    except DomainError:
        # Not a member and no such project look the same, as everywhere else.
        return render(request, "workspace/missing.html", status=404)
    project = membership.project
    boot = {
        "project": project_data(project),
        "me": user_brief(request.user),
        "role": membership.role,
        "can_write": membership.role in ALLOWED[Action.WRITE],
        "can_manage": membership.role in ALLOWED[Action.MANAGE],
        "statuses": list(EndpointStatus.values),
        "formats": list(MessageFormat.values),
    }
    return render(
        request,
        "workspace/project.html",
        {"project": project, "role": membership.role, "boot": boot},
    )
