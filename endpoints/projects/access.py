"""Who may do what in a project: one table, one lookup, and the base view that runs it once.

Non-members get 404, weak roles 403."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from rest_framework.request import Request
from rest_framework.views import APIView

from core.errors import Forbidden, NotFound
from core.requests import AuthenticatedRequest
from endpoints.models import Membership, Project, Role
from endpoints.rows import as_int


class Action(StrEnum):
    READ = "read"  # see the project, tree, endpoints, members
    WRITE = "write"  # change folders, endpoints, tags
    MANAGE = "manage"  # change members and the project itself
    # Comment on endpoints: every member, viewers included (a reviewer's feedback does not
    # change the endpoint). Editing, deleting and resolving have per-comment rules in services.
    COMMENT = "comment"


ALLOWED: dict[Action, frozenset[str]] = {
    Action.READ: frozenset({Role.VIEWER, Role.EDITOR, Role.ADMIN}),
    Action.WRITE: frozenset({Role.EDITOR, Role.ADMIN}),
    Action.MANAGE: frozenset({Role.ADMIN}),
    Action.COMMENT: frozenset({Role.VIEWER, Role.EDITOR, Role.ADMIN}),
}


def project_membership(
    *, user: AbstractBaseUser | AnonymousUser, project_id: int | str, action: Action
) -> Membership:
    """The caller's membership (with its project) if ``action`` is allowed; else NotFound/Forbidden."""
    project_pk = as_int(project_id)
    if not user.is_authenticated:
        raise NotFound()
    membership = (
        Membership.objects.select_related("project")
        .filter(project_id=project_pk, user_id=user.pk)
        .first()
    )
    if membership is None:
        raise NotFound()
    if membership.role not in ALLOWED[action]:
        raise Forbidden(
            f"Your role ({membership.role}) may not {action.value} in this project.",
            role=membership.role,
        )
    return membership


# What each HTTP method does in a project, unless a view says otherwise.
DEFAULT_ACTIONS: dict[str, Action] = {
    "get": Action.READ,
    "head": Action.READ,
    "post": Action.WRITE,
    "put": Action.WRITE,
    "patch": Action.WRITE,
    "delete": Action.WRITE,
}


def project_actions(**overrides: Action) -> dict[str, Action]:
    """The default action per method, with some methods changed (``patch=Action.MANAGE``)."""
    return {**DEFAULT_ACTIONS, **overrides}


# Base of every API view under ``projects/<project_id>/``. Before any handler runs, the URL's
# project id becomes ``self.project`` and the caller's membership ``self.membership`` (Sentry's
# ``ProjectEndpoint.convert_args``): 404 for someone who is not a member, 403 for a role that may
# not do the method's action (``actions``). A method the view does not handle (405) and OPTIONS
# resolve nothing, as before. (No docstring: drf-spectacular would show it on every operation.)
class ProjectView(APIView):
    actions: ClassVar[dict[str, Action]] = DEFAULT_ACTIONS
    # IsAuthenticated (the default permission) runs first: handlers take the same type.
    request: AuthenticatedRequest
    project: Project
    membership: Membership

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        method = (request.method or "").lower()
        action = self.actions.get(method)
        if action is None or not hasattr(self, method):
            return
        self.membership = project_membership(
            user=request.user, project_id=kwargs["project_id"], action=action
        )
        self.project = self.membership.project
