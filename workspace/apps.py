"""The web workspace: the pages a team member uses in a browser every day."""

from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "workspace"
    verbose_name = "Web workspace"
