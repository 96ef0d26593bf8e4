"""Django middleware of the whole site.

``DatabaseUnavailableMiddleware``: requests that cannot reach the database fail with 503, not
500, outside DRF views too. DRF views get the same answer from
``core.errors.api_exception_handler``; this covers every other view (docs pages, admin, login).
Connections recover by themselves: a broken one is closed at the end of the request
(``CONN_HEALTH_CHECKS`` checks a reused one first).

``PublicURLMiddleware``: absolute URLs start with ``SWITCHBOARD_PUBLIC_URL`` when it is set.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin

from core.errors import DatabaseUnavailable, is_database_unavailable, logger


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    def process_exception(self, request: HttpRequest, exception: Exception) -> Any:
        if not is_database_unavailable(exception):
            return None
        logger.warning("Database unavailable: %s", exception)
        error = DatabaseUnavailable()
        response: HttpResponse
        if request.path.startswith("/api/"):
            response = JsonResponse(error.body(), status=error.status_code)
        else:
            response = HttpResponse(
                error.detail, status=error.status_code, content_type="text/plain; charset=utf-8"
            )
        response["Retry-After"] = str(error.retry_after)
        return response


class PublicURLMiddleware:
    """With ``PUBLIC_URL`` set, ``request.build_absolute_uri`` (share links, llms.txt, the
    ``next`` link of every list, DRF's pagination) starts with it, whatever ``Host`` and scheme
    the request came with: one place, so no view can forget it.

    ``build_absolute_uri`` joins a path to the cached property ``_current_scheme_host``;
    setting it here is what Django's own property would compute for a request to that URL.
    tests/test_https.py fails should a Django upgrade stop reading it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.PUBLIC_URL:
            request.__dict__["_current_scheme_host"] = settings.PUBLIC_URL
        return self.get_response(request)
