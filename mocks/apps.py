from django.apps import AppConfig


class MocksConfig(AppConfig):
    name = "mocks"
    verbose_name = "WebSocket mocks"
