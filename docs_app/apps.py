from django.apps import AppConfig


class DocsAppConfig(AppConfig):
    name = "docs_app"
    verbose_name = "Shared docs"
