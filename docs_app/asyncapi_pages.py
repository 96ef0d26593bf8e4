"""The AsyncAPI 3.0 document of a set of docs pages (``asyncapi.yaml`` / ``asyncapi.json``
beside ``index.md``): exactly the endpoints the pages show, servers of the link's environment
only, responsible people only where the pages show them, no secret value."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from docs_app import selectors
from docs_app.responses import Site, conditional, count_view
from endpoints.asyncapi.export import build_document, document_text, file_name
from endpoints.asyncapi.selectors import People, export_facts


def asyncapi_page(syntax: str) -> Callable[[HttpRequest, Site], HttpResponse]:
    """The page of the document in ``syntax`` (yaml or json), for views.PAGES."""

    def page(request: HttpRequest, site: Site) -> HttpResponse:
        source = site.source
        tree = selectors.docs_tree(source, details=False)
        facts = export_facts(
            project=source.project,
            endpoint_ids=[item.id for item in tree.ordered],
            environment_id=source.environment_id,
            people=People.DISPLAY_NAME if source.show_assignee else People.NONE,
        )
        body, content_type = document_text(build_document(facts), syntax)
        response = HttpResponse(body.encode("utf-8"), content_type=f"{content_type}; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{file_name(source.project.name, syntax)}"'
        )
        modified = max(
            [
                moment
                for moment in (
                    tree.last_modified,
                    source.project.updated_at,
                    source.link.updated_at if source.link else None,
                )
                if moment is not None
            ],
            default=None,
        )
        count_view(site)
        return conditional(request, response, site, modified, text=True)

    return page
