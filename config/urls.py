from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from core.errors import json_not_found
from core.metrics import metrics_view
from scenarios.views import cli_script

urlpatterns = [
    path("", include("workspace.urls")),
    path("healthz", healthz),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("endpoints.urls")),
    path("api/v1/", include("sessions.urls")),
    path("api/v1/", include("scenarios.urls")),
    path("api/v1/", include("mocks.urls")),
    path("api/<path:rest>", json_not_found),
    path("cli/switchboard.py", cli_script, name="scenarios-cli"),
    path("share/", include("docs_app.urls")),
    path("projects/<int:project_id>/docs/", include("docs_app.preview_urls")),
]

# Under /api/ even Django's own error pages answer in the one error shape.
handler400 = "core.errors.bad_request"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
