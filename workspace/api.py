"""The one JSON call the workspace adds: a Markdown preview rendered (and sanitized) by the same
renderer as the docs pages and comments, so the preview is exactly what readers will see."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import ERRORS, parse
from core.markdown import render_markdown


class MarkdownInSerializer(serializers.Serializer):
    # DRF's CharField already refuses unpaired surrogates, which the renderer could not take.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=100_000)


class MarkdownPreview(APIView):
    @extend_schema(
        request=MarkdownInSerializer,
        responses={
            200: inline_serializer("MarkdownPreview", {"html": serializers.CharField()}),
            **ERRORS,
        },
        description="Markdown rendered and sanitized as the docs pages show it.",
    )
    def post(self, request: Request) -> Response:
        data = parse(MarkdownInSerializer, request)
        return Response({"html": render_markdown(data["text"])})
