"""Who may do what in a project: one table, one lookup. Non-members get 404, weak roles 403."""

from __future__ import annotations

from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from core.errors import Forbidden, NotFound
from endpoints.models import Membership, Role


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
    try:
        project_pk = int(project_id)
    except (TypeError, ValueError):
        raise NotFound() from None
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
