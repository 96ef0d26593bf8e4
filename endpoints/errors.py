"""Errors of the workspace (projects, members, the tree); core.errors turns them into HTTP."""

from __future__ import annotations

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


class LastAdmin(Conflict):
    code = "last_admin"
    default_detail = "A project must keep at least one admin."
