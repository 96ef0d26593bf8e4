"""Requests that cannot reach the database fail with 503, not 500, outside DRF views too.

DRF views get the same answer from ``core.errors.api_exception_handler``; this covers every
other view (docs pages, admin, login). Connections recover by themselves: a broken one is
closed at the end of the request (``CONN_HEALTH_CHECKS`` checks a reused one first).
"""

from __future__ import annotations

from typing import Any

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
