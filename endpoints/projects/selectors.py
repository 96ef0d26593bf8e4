"""Reads of projects and members."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth.models import User
from django.db.models import Count, QuerySet

from endpoints.models import Membership, Project

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class MemberCount(TypedDict):
    member_count: int


def projects_of_user(*, user: User) -> QuerySet[WithAnnotations[Membership, MemberCount]]:
    return (
        Membership.objects.filter(user=user)
        .select_related("project")
        .annotate(member_count=Count("project__memberships"))
        .order_by("project__name", "project_id")
    )


def project_members(*, project: Project) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(project=project).select_related("user").order_by("user__username")
    )
