"""Test scenarios of a project: their own folders, the scenarios (steps as checked JSON, see
``scenarios.engine``), and each scenario's history."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from endpoints.models import Edited, Environment, Project, RevisionAction, Tag


class ScenarioFolder(Edited):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scenario_folders")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "parent", "position"])]

    def __str__(self) -> str:
        return self.name


class Scenario(Edited):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="scenarios")
    folder = models.ForeignKey(
        ScenarioFolder, null=True, blank=True, on_delete=models.CASCADE, related_name="scenarios"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    # The environment a run uses unless it names another; gone with it (runs then use none).
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # [{"name", "value"}]: the scenario's own variables, under the environment's.
    variables = models.JSONField(default=list, blank=True)
    # {"format": "csv"|"json", "text": ...} for a data-driven scenario, or null.
    data_table = models.JSONField(null=True, blank=True)
    # The steps, as scenarios.engine.steps checks them.
    steps = models.JSONField(default=list, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="scenarios")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["project", "folder", "position"])]

    def __str__(self) -> str:
        return self.name


class ScenarioRevision(models.Model):
    """One recorded change to a scenario: who, when, the field-level diff, the result.
    Like endpoint revisions, never rewritten: a revert is a new revision."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=RevisionAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # [{"field", "old", "new"}] in the order of SNAPSHOT_FIELDS.
    changes = models.JSONField(default=list, blank=True)
    # The scenario as it was right after this change.
    snapshot = models.JSONField(default=dict, blank=True)
    revert_of = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["scenario", "-id"], name="scenario_revision_newest")]

    def __str__(self) -> str:
        return f"{self.action} v{self.version} of scenario {self.scenario_id}"


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"


FINISHED = (RunStatus.PASSED, RunStatus.FAILED, RunStatus.ERROR)


class SuiteRun(models.Model):
    """Many scenarios run together, at most ``parallelism`` at a time."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What was asked for: {"scenarios": [...]} or {"tag": ...} or {"folder": ...}.
    selection = models.JSONField(default=dict, blank=True)
    parallelism = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True, default="")
    relay = models.ForeignKey(
        "debug_sessions.Relay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"suite run {self.pk}"


class Run(models.Model):
    """One run of a scenario (every row of its data table): what it ran, and per step what
    happened. Its connections are debug sessions owned by the member who started it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    scenario = models.ForeignKey(
        Scenario, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    scenario_name = models.CharField(max_length=200)
    suite = models.ForeignKey(
        SuiteRun, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    position = models.PositiveIntegerField(default=0)  # its place in the suite
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    environment = models.ForeignKey(
        Environment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Values given for this run ({"name": "value"}), over the scenario's variables.
    variables = models.JSONField(default=dict, blank=True)
    # What ran: the scenario's version, steps, variables and data table when it started.
    scenario_version = models.PositiveIntegerField(default=0)
    steps = models.JSONField(default=list, blank=True)
    scenario_variables = models.JSONField(default=list, blank=True)
    data_table = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    error = models.TextField(blank=True, default="")
    # [{"index", "row", "status", "duration_ms", "steps": [...]}] (scenarios.runner).
    iterations = models.JSONField(default=list, blank=True)
    relay = models.ForeignKey(
        "debug_sessions.Relay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["scenario", "-id"], name="run_scenario_newest"),
            models.Index(fields=["started_by", "status"], name="run_user_status"),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.scenario_name}"


class RunSession(models.Model):
    """A connection of a run: the debug session that held it, under its alias."""

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="sessions")
    session = models.ForeignKey(
        "debug_sessions.DebugSession", on_delete=models.CASCADE, related_name="+"
    )
    alias = models.CharField(max_length=40)
    iteration = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.alias} of run {self.run_id}"
