"""Members' preview of the docs pages (login session), mounted at ``/projects/<id>/docs/``:
the whole project, or exactly what one share link shows under ``links/<link_id>/``."""

from django.urls import path

from docs_app import views

urlpatterns = [
    path("", views.preview_index, name="docs-preview-index"),
    path("index.md", views.preview_index_markdown),
    path("llms.txt", views.preview_llms_txt),
    path("endpoints/<int:endpoint_id>/", views.preview_endpoint),
    path("endpoints/<int:endpoint_id>.md", views.preview_endpoint_markdown),
    path("links/<int:link_id>/", views.preview_index, name="docs-preview-link"),
    path("links/<int:link_id>/index.md", views.preview_index_markdown),
    path("links/<int:link_id>/llms.txt", views.preview_llms_txt),
    path("links/<int:link_id>/endpoints/<int:endpoint_id>/", views.preview_endpoint),
    path("links/<int:link_id>/endpoints/<int:endpoint_id>.md", views.preview_endpoint_markdown),
]
