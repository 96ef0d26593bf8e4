"""Pages of the web workspace, mounted at the site root. Every project page is the same shell;
its scripts pick the view from the path (so links, reloads and the back button all work)."""

from django.urls import path

from workspace import api, views

urlpatterns = [
    path("", views.projects_page, name="workspace-projects"),
    path("projects/<int:project_id>/", views.project_page, name="workspace-project"),
    path("projects/<int:project_id>/new/", views.project_page, name="workspace-new-request"),
    path(
        "projects/<int:project_id>/endpoints/<int:endpoint_id>/",
        views.project_page,
        name="workspace-endpoint",
    ),
    path(
        "projects/<int:project_id>/environments/",
        views.project_page,
        name="workspace-environments",
    ),
    path("projects/<int:project_id>/share/", views.project_page, name="workspace-share"),
    path("projects/<int:project_id>/members/", views.project_page, name="workspace-members"),
    path("projects/<int:project_id>/schemas/", views.project_page, name="workspace-schemas"),
    path(
        "projects/<int:project_id>/certificates/",
        views.project_page,
        name="workspace-certificates",
    ),
    path("projects/<int:project_id>/scenarios/", views.project_page, name="workspace-scenarios"),
    path(
        "projects/<int:project_id>/scenarios/<int:scenario_id>/",
        views.project_page,
        name="workspace-scenario",
    ),
    path("workspace/markdown/", api.MarkdownPreview.as_view(), name="workspace-markdown"),
]
