"""One error type per domain condition, and the one handler that turns any of them into HTTP.

Every error body has the same shape: ``{"code": ..., "detail": ..., "fields": {...}}``
(``fields`` only for validation errors), plus condition-specific extras such as
``current_version``.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf_exceptions
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.parsers import RequestTooLarge

logger = logging.getLogger("switchboard.errors")


class DomainError(Exception):
    """Base of every error a service can raise. A condition is a subclass that sets ``code`` and
    ``default_detail``, with its HTTP status in the class line where it differs from its base's:
    ``class Gone(DomainError, status=410)``. Keyword arguments of a raise are extra keys of the
    body (``VersionConflict(current_version=3)``)."""

    code: str = "error"
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_detail: str = "The request could not be completed."

    def __init_subclass__(cls, *, status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, **self.extra}


class ValidationFailed(DomainError):
    code = "validation_error"
    default_detail = "Some fields are invalid."

    def __init__(self, fields: dict[str, Any], detail: str | None = None) -> None:
        super().__init__(detail, fields=fields)


class NotFound(DomainError, status=status.HTTP_404_NOT_FOUND):
    code = "not_found"
    default_detail = "Not found."


class Forbidden(DomainError, status=status.HTTP_403_FORBIDDEN):
    code = "permission_denied"
    default_detail = "Your role in this project does not allow this."


class Conflict(DomainError, status=status.HTTP_409_CONFLICT):
    code = "conflict"


class PayloadTooLarge(DomainError, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE):
    """One value of a request (a schema, an example) is over its documented size limit."""

    code = "too_large"
    default_detail = "A value is larger than its limit."


class DatabaseUnavailable(DomainError, status=status.HTTP_503_SERVICE_UNAVAILABLE):
    """The database did not answer (down, restarting, out of connections): try again soon."""

    code = "database_unavailable"
    default_detail = "The database is not reachable right now; try again in a few seconds."
    retry_after = 5


def is_database_unavailable(exc: BaseException) -> bool:
    """A failure to reach the database, as opposed to a bad query (which stays a 500)."""
    from django.db import InterfaceError, OperationalError

    return isinstance(exc, OperationalError | InterfaceError)


class VersionConflict(DomainError, status=status.HTTP_412_PRECONDITION_FAILED):
    code = "version_conflict"
    default_detail = "This was changed by someone else since you read it; nothing was written."


def _join_path(prefix: str, key: object) -> str:
    name = str(key)
    if not prefix:
        return name
    if name.isdigit():
        return f"{prefix}[{name}]"
    if name.startswith("["):
        return prefix + name
    if name == "non_field_errors":
        # A nested list/object that is wrong as a whole: the path is the field itself.
        return prefix
    return f"{prefix}.{name}"


def flatten_field_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF nests errors in dicts and lists; clients get one flat map such as
    ``{"messages[2].body": ["Invalid JSON at line 1, column 5: ..."]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            for path, messages in flatten_field_errors(value, _join_path(prefix, key)).items():
                out.setdefault(path, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            if detail:
                out.setdefault(prefix or "non_field_errors", []).extend(str(i) for i in detail)
        else:
            for index, item in enumerate(detail):
                for path, messages in flatten_field_errors(item, _join_path(prefix, index)).items():
                    out.setdefault(path, []).extend(messages)
    else:
        out.setdefault(prefix or "non_field_errors", []).append(str(detail))
    return out


_DRF_CODES = {
    drf_exceptions.NotAuthenticated: "not_authenticated",
    drf_exceptions.AuthenticationFailed: "authentication_failed",
    drf_exceptions.PermissionDenied: "permission_denied",
    drf_exceptions.NotFound: "not_found",
    drf_exceptions.MethodNotAllowed: "method_not_allowed",
    drf_exceptions.NotAcceptable: "not_acceptable",
    drf_exceptions.UnsupportedMediaType: "unsupported_media_type",
    drf_exceptions.ParseError: "parse_error",
    drf_exceptions.Throttled: "throttled",
}


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _encodable(value: Any) -> Any:
    """Errors echo input (keys, choices); a lone surrogate in it cannot be encoded as UTF-8."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if is_database_unavailable(exc):
        logger.warning("Database unavailable: %s", exc)
        unavailable = DatabaseUnavailable()
        return Response(
            unavailable.body(),
            status=unavailable.status_code,
            headers={"Retry-After": str(unavailable.retry_after)},
        )
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(_encodable(exc.body()), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads JSON bodies through request.body, where Django enforces its own limit.
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None
    set_rollback()
    headers: dict[str, str] = {}
    # Set on the exception by APIView.handle_exception (401s) and by Throttled.
    auth_header: str | None = getattr(exc, "auth_header", None)
    wait: float | None = getattr(exc, "wait", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if wait:
        headers["Retry-After"] = str(int(wait))
    if isinstance(exc, drf_exceptions.ValidationError):
        fields = flatten_field_errors(exc.detail)
        body = error_body("validation_error", "Some fields are invalid.", fields=fields)
    else:
        code = next(
            (code for cls, code in _DRF_CODES.items() if isinstance(exc, cls)),
            str(exc.default_code),
        )
        body = error_body(code, str(exc.detail))
    status_code = exc.status_code
    if isinstance(exc, drf_exceptions.NotAuthenticated | drf_exceptions.AuthenticationFailed):
        status_code = status.HTTP_401_UNAUTHORIZED
    return Response(_encodable(body), status=status_code, headers=headers)


@csrf_exempt  # it changes nothing; a POST must get this 404, not CSRF's HTML 403 page
def json_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Unknown API paths answer in the error shape too, not with an HTML page.

    A known path missing its trailing slash is redirected with 308, which keeps the method and
    body (Django's APPEND_SLASH cannot: this catch-all matches first).
    """
    from django.http import HttpResponsePermanentRedirect
    from django.urls import Resolver404, resolve

    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not json_not_found:
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponsePermanentRedirect(
                request.path + "/" + (f"?{query}" if query else "")
            )
            response.status_code = 308
            return response
    return JsonResponse(error_body("not_found", "No such API path."), status=404)


# Django's own error views (config.urls handler400/404/500) for what never reaches DRF: a path
# no pattern matches (such as one with a line break), a rejected Host, a body over Django's
# limits, a crash. Under /api/ they answer in the error shape too; elsewhere Django's pages.


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        body = error_body("request_too_large", "The request body is too large.")
        return JsonResponse(body, status=413)
    return JsonResponse(error_body("bad_request", "The request is malformed."), status=400)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("not_found", "No such API path."), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    body = error_body("server_error", "Something went wrong on the server; it has been logged.")
    return JsonResponse(body, status=500)
