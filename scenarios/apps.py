from django.apps import AppConfig


class ScenariosConfig(AppConfig):
    name = "scenarios"
    verbose_name = "Test scenarios"

    def ready(self) -> None:
        from scenarios import runner

        runner.register()
