"""REST API of accounts: tokens for a username and password, the caller, and sign-up."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import serializers as s
from accounts.errors import AuthenticationRequired
from accounts.selectors import user_tokens
from accounts.tokens import token_create
from core.api import ERRORS, parse
from core.errors import NotFound, ValidationFailed
from core.people import UserBriefSerializer, user_brief
from core.requests import AuthenticatedRequest

User = get_user_model()


class TokenListCreate(APIView):
    throttle_scope = "auth"

    def get_permissions(self) -> Sequence[Any]:
        return [AllowAny()] if self.request.method == "POST" else super().get_permissions()

    def get_throttles(self) -> list[Any]:
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    @extend_schema(responses={200: s.TokenOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response([s.token_data(t) for t in user_tokens(user=request.user)])

    @extend_schema(
        request=s.TokenCreateSerializer,
        responses={201: s.TokenCreatedSerializer, **ERRORS},
        auth=[],
        description="Exchange a username and password for a named personal access token.",
    )
    def post(self, request: Request) -> Response:
        data = parse(s.TokenCreateSerializer, request)
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if not isinstance(user, User) or not user.is_active:
            raise AuthenticationRequired()
        token, secret = token_create(
            user=user, name=data["name"], expires_at=data.get("expires_at")
        )
        return Response({**s.token_data(token), "token": secret}, status=status.HTTP_201_CREATED)


class TokenDetail(APIView):
    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request: AuthenticatedRequest, token_id: int) -> Response:
        deleted, _ = user_tokens(user=request.user).filter(pk=token_id).delete()
        if not deleted:
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)


class Me(APIView):
    @extend_schema(responses={200: UserBriefSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest) -> Response:
        return Response(user_brief(request.user))


class Signup(APIView):
    permission_classes = [AllowAny]
    throttle_scope = "auth"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        request=s.SignupSerializer, responses={201: UserBriefSerializer, **ERRORS}, auth=[]
    )
    def post(self, request: Request) -> Response:
        if not settings.SIGNUP_ENABLED:
            raise NotFound("Self-service sign-up is turned off on this server.")
        data = parse(s.SignupSerializer, request)
        if User.objects.filter(username__iexact=data["username"]).exists():
            raise ValidationFailed({"username": ["That username is taken."]})
        user = User.objects.create_user(data["username"], data.get("email", ""), data["password"])
        return Response(user_brief(user), status=status.HTTP_201_CREATED)
