"""The share-link pages, mounted at ``/share/``. Links inside the pages are relative, so the
token never appears in a page's HTML."""

from django.urls import path

from docs_app import views

urlpatterns = [
    path("<str:token>/", views.share_index, name="docs-share-index"),
    path("<str:token>/index.md", views.share_index_markdown),
    path("<str:token>/llms.txt", views.share_llms_txt),
    path("<str:token>/unlock/", views.share_unlock),
    path("<str:token>/endpoints/<int:endpoint_id>/", views.share_endpoint),
    path("<str:token>/endpoints/<int:endpoint_id>.md", views.share_endpoint_markdown),
]
