from django.apps import AppConfig


class DebugSessionsConfig(AppConfig):
    # The label "sessions" belongs to django.contrib.sessions.
    name = "sessions"
    label = "debug_sessions"
    verbose_name = "Debug sessions"
