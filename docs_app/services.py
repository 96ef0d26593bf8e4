"""How share links change: create, edit, revoke, rotate, delete; count views; check passwords;
store rendered descriptions.

Every function validates before it writes and runs in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from core.errors import ValidationFailed
from core.markdown import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    markdown_summary,
    render_markdown,
)
from docs_app.errors import LinkRevoked, TooManyPasswordAttempts
from docs_app.models import PasswordFailure, RenderedDescription, ShareLink
from docs_app.tokens import new_seed, token_digest, token_for
from endpoints.activity import events
from endpoints.activity.event_kinds import EventKind
from endpoints.models import Endpoint, Environment, Folder, Project
from endpoints.rows import apply_edit, lock_current

PASSWORD_MIN_LENGTH = 6
PASSWORD_MAX_LENGTH = 128
# All clients together may fail this many times the per-client limit on one link per window.
LINK_WIDE_FACTOR = 10


# --- validation -----------------------------------------------------------------------------


def _check_scope(
    project: Project, whole_project: bool, folder_ids: Sequence[int], endpoint_ids: Sequence[int]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if whole_project and (folder_ids or endpoint_ids):
        errors["whole_project"] = [
            "Share the whole project, or choose folders and endpoints; not both."
        ]
    if not whole_project and not folder_ids and not endpoint_ids:
        errors["folders"] = ["Choose at least one folder or endpoint, or share the whole project."]
    if folder_ids:
        found = set(
            Folder.objects.filter(project=project, pk__in=folder_ids).values_list("pk", flat=True)
        )
        missing = [pk for pk in folder_ids if pk not in found]
        if missing:
            errors["folders"] = [f"No folders {missing} in this project."]
    if endpoint_ids:
        found = set(
            Endpoint.objects.filter(project=project, pk__in=endpoint_ids).values_list(
                "pk", flat=True
            )
        )
        missing = [pk for pk in endpoint_ids if pk not in found]
        if missing:
            errors["endpoints"] = [f"No endpoints {missing} in this project."]
    return errors


def _check_password(password: str | None) -> dict[str, list[str]]:
    if password and not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return {
            "password": [
                f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters, "
                "or an empty string for no password."
            ]
        }
    return {}


def _check_expiry(expires_at: datetime | None) -> dict[str, list[str]]:
    if expires_at is not None and expires_at <= timezone.now():
        return {"expires_at": ["Choose a moment in the future, or null for no expiry."]}
    return {}


def _check_environment(project: Project, environment_id: int | None) -> dict[str, list[str]]:
    if (
        environment_id is not None
        and not Environment.objects.filter(project=project, pk=environment_id).exists()
    ):
        return {"environment": [f"No environment {environment_id} in this project."]}
    return {}


# --- links ----------------------------------------------------------------------------------


def _announce(link: ShareLink, actor: User | None, kind: EventKind) -> None:
    """Tell the project's members; which link only (never its token: viewers may not see it)."""
    events.publish(
        project_id=link.project_id,
        actor=actor,
        events=[
            {
                "kind": kind,
                "share_link": {"id": link.pk, "name": link.name, "version": link.version},
            }
        ],
    )


def _mint(link: ShareLink) -> str:
    link.token_seed = new_seed()
    token = token_for(link.token_seed)
    link.token_digest = token_digest(token)
    link.token_prefix = token[:6]
    return token


@transaction.atomic
def share_link_create(
    *,
    project: Project,
    actor: User,
    name: str,
    whole_project: bool = True,
    folder_ids: Sequence[int] = (),
    endpoint_ids: Sequence[int] = (),
    password: str | None = None,
    expires_at: datetime | None = None,
    environment_id: int | None = None,
    show_assignee: bool = False,
    public: bool = False,
) -> tuple[ShareLink, str]:
    """A new link and its token (which is also derivable later; see ``docs_app.tokens``)."""
    folder_ids, endpoint_ids = list(dict.fromkeys(folder_ids)), list(dict.fromkeys(endpoint_ids))
    errors = {
        **_check_scope(project, whole_project, folder_ids, endpoint_ids),
        **_check_password(password),
        **_check_expiry(expires_at),
        **_check_environment(project, environment_id),
    }
    if errors:
        raise ValidationFailed(errors)
    link = ShareLink(
        project=project,
        name=name,
        whole_project=whole_project,
        password_hash=make_password(password) if password else "",
        expires_at=expires_at,
        environment_id=environment_id,
        show_assignee=show_assignee,
        public=public,
        created_by=actor,
        updated_by=actor,
    )
    token = _mint(link)
    link.save()
    if folder_ids:
        link.folders.set(folder_ids)
    if endpoint_ids:
        link.endpoints.set(endpoint_ids)
    _announce(link, actor, EventKind.SHARE_LINK_CREATED)
    return link, token


_UNSET: Any = object()


def _lock(link: ShareLink, expected_version: int | None = None) -> ShareLink:
    return lock_current(ShareLink.objects.select_related("updated_by"), link.pk, expected_version)


@transaction.atomic
def share_link_update(
    *,
    link: ShareLink,
    actor: User,
    expected_version: int | None = None,
    name: str | None = None,
    whole_project: bool | None = None,
    folder_ids: Sequence[int] | None = None,
    endpoint_ids: Sequence[int] | None = None,
    password: str | None = _UNSET,
    expires_at: datetime | None = _UNSET,
    environment_id: int | None = _UNSET,
    show_assignee: bool | None = None,
    public: bool | None = None,
) -> ShareLink:
    """Change what is given; ``password=""`` or ``None`` removes the password."""
    link = _lock(link, expected_version)
    project = link.project
    scope_changes = whole_project is not None or folder_ids is not None or endpoint_ids is not None
    new_whole = link.whole_project if whole_project is None else whole_project
    if folder_ids is None:
        folder_ids = [] if whole_project else list(link.folders.values_list("pk", flat=True))
    if endpoint_ids is None:
        endpoint_ids = [] if whole_project else list(link.endpoints.values_list("pk", flat=True))
    folder_ids, endpoint_ids = list(dict.fromkeys(folder_ids)), list(dict.fromkeys(endpoint_ids))
    errors: dict[str, list[str]] = {}
    if scope_changes:
        errors.update(_check_scope(project, new_whole, folder_ids, endpoint_ids))
    if password is not _UNSET:
        errors.update(_check_password(password))
    if expires_at is not _UNSET:
        errors.update(_check_expiry(expires_at))
    if environment_id is not _UNSET:
        errors.update(_check_environment(project, environment_id))
    if errors:
        raise ValidationFailed(errors)

    if password is not _UNSET:
        link.password_hash = make_password(password) if password else ""
    if expires_at is not _UNSET:
        link.expires_at = expires_at
    if environment_id is not _UNSET:
        link.environment_id = environment_id
    link.whole_project = new_whole
    apply_edit(link, actor, name=name, show_assignee=show_assignee, public=public)
    link.save()
    if scope_changes:
        link.folders.set(folder_ids)
        link.endpoints.set(endpoint_ids)
    _announce(link, actor, EventKind.SHARE_LINK_UPDATED)
    return link


@transaction.atomic
def share_link_revoke(*, link: ShareLink, actor: User) -> ShareLink:
    """Stop the link for good: it shows the "not available" page from now on."""
    link = _lock(link)
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        apply_edit(link, actor)
        link.save()
        _announce(link, actor, EventKind.SHARE_LINK_REVOKED)
    return link


@transaction.atomic
def share_link_rotate(
    *, link: ShareLink, actor: User, expected_version: int | None = None
) -> tuple[ShareLink, str]:
    """A new token for the same link; the old URL stops working at once."""
    link = _lock(link, expected_version)
    if link.revoked_at is not None:
        raise LinkRevoked()
    token = _mint(link)
    apply_edit(link, actor)
    link.save()
    _announce(link, actor, EventKind.SHARE_LINK_ROTATED)
    return link, token


@transaction.atomic
def share_link_delete(
    *,
    link: ShareLink,
    expected_version: int | None = None,
    actor: User | None = None,
) -> None:
    link = _lock(link, expected_version)
    _announce(link, actor, EventKind.SHARE_LINK_DELETED)
    link.delete()


def share_link_record_view(*, link: ShareLink) -> None:
    """One more view; a single UPDATE, so concurrent views are all counted."""
    ShareLink.objects.filter(pk=link.pk).update(
        view_count=F("view_count") + 1, last_viewed_at=timezone.now()
    )


# --- passwords ------------------------------------------------------------------------------


def client_fingerprint(address: str) -> str:
    return hashlib.sha256(f"switchboard.share-client:{address}".encode()).hexdigest()


@transaction.atomic
def share_link_unlock(*, link: ShareLink, password: str, client: str) -> bool:
    """Whether ``password`` opens ``link``; wrong answers are counted per client and per link.

    Raises TooManyPasswordAttempts (with seconds to wait) once a client, or all clients
    together, used up the attempts of the window; then not even a right password is checked,
    so guessing cannot go on at full speed.
    """
    # Serialize attempts on one link so that parallel guesses cannot overrun the limit.
    ShareLink.objects.select_for_update().filter(pk=link.pk).values_list("pk").first()
    window = timedelta(seconds=settings.DOCS_PASSWORD_WINDOW)
    limit = settings.DOCS_PASSWORD_ATTEMPTS
    now = timezone.now()
    since = now - window
    recent = PasswordFailure.objects.filter(link=link, failed_at__gt=since)
    mine = recent.filter(client=client)
    for queryset, cap in ((mine, limit), (recent, limit * LINK_WIDE_FACTOR)):
        stats = queryset.aggregate(count=Count("pk"), oldest=Min("failed_at"))
        if stats["count"] >= cap:
            wait = (stats["oldest"] + window - now).total_seconds()
            raise TooManyPasswordAttempts(retry_after=max(1, int(wait) + 1))
    if link.password_hash and check_password(password, link.password_hash):
        return True
    PasswordFailure.objects.filter(link=link, failed_at__lte=since).delete()
    PasswordFailure.objects.create(link=link, client=client, failed_at=now)
    return False


# --- rendered descriptions ------------------------------------------------------------------

# Stored HTML is only as good as the renderer that made it: a change to the allow-list (or to
# the libraries) must re-render, so their fingerprint is part of every digest.
_RENDERER_FINGERPRINT = repr(
    (
        "v1",
        sorted(ALLOWED_TAGS),
        sorted((tag, sorted(attrs)) for tag, attrs in ALLOWED_ATTRIBUTES.items()),
        sorted(ALLOWED_URL_SCHEMES),
    )
)


def description_digest(text: str) -> str:
    return hashlib.sha256(f"{_RENDERER_FINGERPRINT}\0{text}".encode()).hexdigest()


@dataclass(frozen=True)
class Rendered:
    html: str
    summary: str


@dataclass(frozen=True)
class RenderedDescriptions:
    """Renderings by endpoint id, and those that were stale or missing (not stored yet)."""

    by_endpoint: dict[int, Rendered]
    stale: list[RenderedDescription]


def descriptions_render(
    *, items: Iterable[tuple[int, str, str | None, str | None, str | None]]
) -> RenderedDescriptions:
    """Rendered HTML and summary of each ``(endpoint_id, markdown, digest, html, summary)``.

    ``digest``/``html``/``summary`` are what is stored (``digest`` None when nothing is; a
    caller that needs only summaries passes ``html`` None and gets "" back for it). Stale or
    missing renderings are rendered now and returned in ``stale``; writes nothing (the view
    stores them with ``descriptions_store`` so the next request serves them as they are).
    """
    result: dict[int, Rendered] = {}
    stale: list[RenderedDescription] = []
    for endpoint_id, markdown, digest, html, summary in items:
        wanted = description_digest(markdown)
        if digest == wanted:
            result[endpoint_id] = Rendered(html or "", summary or "")
            continue
        rendered = Rendered(render_markdown(markdown), markdown_summary(markdown))
        result[endpoint_id] = rendered
        stale.append(
            RenderedDescription(
                endpoint_id=endpoint_id,
                source_digest=wanted,
                html=rendered.html,
                summary=rendered.summary,
            )
        )
    return RenderedDescriptions(result, stale)


def descriptions_store(*, stale: Sequence[RenderedDescription]) -> None:
    """Store renderings ``descriptions_render`` found stale, in one statement."""
    if not stale:
        return
    try:
        # A savepoint: an endpoint deleted meanwhile must not fail the page being served.
        with transaction.atomic():
            RenderedDescription.objects.bulk_create(
                stale,
                update_conflicts=True,
                unique_fields=["endpoint"],
                update_fields=["source_digest", "html", "summary"],
                batch_size=500,
            )
    except IntegrityError:
        pass
