"""Building blocks of every REST view: body parsing, the error responses every operation
declares, and pagination."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    detail = serializers.CharField()
    # Named like Serializer.fields: DRF's metaclass takes the declared field out of the class
    # attributes, and the name is the wire name (the schema property).
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


ERRORS = {
    400: ErrorSerializer,
    401: ErrorSerializer,
    403: ErrorSerializer,
    404: ErrorSerializer,
    409: ErrorSerializer,
    412: ErrorSerializer,
    413: ErrorSerializer,  # request_too_large: a body over API_MAX_BODY_BYTES
}


def parse(
    serializer_class: type[serializers.Serializer[Any]], request: Request, **kwargs: Any
) -> dict[str, Any]:
    try:
        payload = request.data
    except RecursionError:
        # The JSON parser gives up on very deep nesting with RecursionError, not ParseError.
        raise ParseError("The JSON body is nested too deeply.") from None
    serializer = serializer_class(data=payload, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Pageable(Protocol[T_co]):
    """What a page can be cut from: a queryset, or rows that count and slice like one."""

    def count(self) -> int: ...

    def __getitem__(self, index: slice) -> Iterable[T_co]: ...


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = settings.API_MAX_PAGE_SIZE

    def page_of(self, items: Pageable[T], request: Request, view: APIView) -> list[T]:
        """The requested page of ``items`` (``paginate_queryset``, which returns None only when
        no page size is set; this class sets one)."""
        # Django's Paginator needs only count() and slicing; the stub asks for a QuerySet.
        rows: list[T] | None = self.paginate_queryset(
            items,  # type: ignore[arg-type]
            request,
            view=view,
        )
        assert rows is not None
        return rows


def paginated_schema(
    item: type[serializers.Serializer[Any]], name: str
) -> serializers.Serializer[Any]:
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
