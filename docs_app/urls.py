"""The share-link pages, mounted at ``/share/``. Links inside the pages are relative, so the
token never appears in a page's HTML."""

from django.urls import path

from docs_app import views

urlpatterns = [
    path("<str:token>/unlock/", views.share_unlock),
    *(
        path(
            f"<str:token>/{address}",
            # The password form returns to the page, with the endpoint id filled in.
            views.shared_page(page, address.replace("<int:endpoint_id>", "{endpoint_id}")),
            # name=None is path()'s own default; the stub accepts only a str.
            name="docs-share-index" if address == "" else None,  # type: ignore[arg-type]
        )
        for address, page in views.PAGES
    ),
]
