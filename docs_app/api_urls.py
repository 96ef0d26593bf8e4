"""Share-link API, mounted at ``/api/v1/projects/<project_id>/share-links/``."""

from django.urls import path

from docs_app import api

urlpatterns = [
    path("", api.ShareLinkListCreate.as_view()),
    path("<int:link_id>/", api.ShareLinkDetail.as_view()),
    path("<int:link_id>/revoke/", api.ShareLinkRevoke.as_view()),
    path("<int:link_id>/rotate/", api.ShareLinkRotate.as_view()),
]
