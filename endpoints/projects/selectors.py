"""Reads of projects and members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from endpoints.models import Membership, Project


def projects_of_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
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
