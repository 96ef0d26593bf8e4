"""Errors of the workspace (projects, members, the tree, variables); core.errors turns them into
HTTP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rest_framework import status

from core.errors import Conflict, DomainError


class AlreadyMember(Conflict):
    code = "already_member"
    default_detail = "That user is already a member of this project."


class FolderNotEmpty(Conflict):
    code = "folder_not_empty"
    default_detail = "The folder is not empty; delete with recursive=true to remove its contents."


class FolderCycle(DomainError):
    code = "folder_cycle"
    default_detail = "A folder cannot be moved into itself or one of its descendants."


class TooLarge(DomainError, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE):
    """A documented message, example or schema over a limit of endpoints.contracts.limits;
    the body names the field and carries ``size`` and ``limit``."""

    code = "too_large"
    default_detail = "This is larger than allowed."


class LastAdmin(Conflict):
    code = "last_admin"
    default_detail = "A project must keep at least one admin."


class UnresolvedReference(Protocol):
    """What UnresolvedVariables needs of each reference (resolver.Unresolved)."""

    @property
    def name(self) -> str: ...

    @property
    def where(self) -> str: ...


class UnresolvedVariables(DomainError):
    """References that have no value; raised before anything is sent. Never carries values."""

    code = "unresolved_variables"
    default_detail = "Some variables have no value."

    def __init__(self, unresolved: Sequence[UnresolvedReference]) -> None:
        self.unresolved = list(unresolved)
        fields: dict[str, list[str]] = {}
        for item in self.unresolved:
            kind = "dynamic value" if item.name.startswith("$") else "variable"
            fields.setdefault(item.where, []).append(f"Unknown {kind} {item.name!r}.")
        listed = [f"{item.name} ({item.where})" for item in self.unresolved[:20]]
        more = len(self.unresolved) - len(listed)
        detail = "Unknown variables: " + ", ".join(listed) + (f" and {more} more." if more else ".")
        super().__init__(
            detail,
            unresolved=[{"name": item.name, "where": item.where} for item in self.unresolved],
            fields=fields,
        )
