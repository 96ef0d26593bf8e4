"""Members' preview of the docs pages (login session), mounted at ``/projects/<id>/docs/``:
the whole project, or exactly what one share link shows under ``links/<link_id>/``."""

from django.urls import path

from docs_app import views

NAMES = {"": "docs-preview-index", "links/<int:link_id>/": "docs-preview-link"}

urlpatterns = [
    path(
        prefix + address,
        views.preview_page(page),
        # name=None is path()'s own default; the stub accepts only a str.
        name=NAMES[prefix] if address == "" else None,  # type: ignore[arg-type]
    )
    for prefix in NAMES
    for address, page in views.PAGES
]
