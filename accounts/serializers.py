"""Shapes of the accounts API: the JSON a token is shown as, and what sign-in and sign-up read.

The ``*_data`` functions produce the JSON; ``*OutSerializer`` classes only describe it for the
schema, and tests/test_shapes.py keeps the two equal. ``*InSerializer`` classes parse input.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from accounts.models import AccessToken
from core.timestamps import iso


def token_data(token: AccessToken) -> dict[str, Any]:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": iso(token.created_at),
        "expires_at": iso(token.expires_at),
        "last_used_at": iso(token.last_used_at),
    }


class TokenOutSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the token, to recognise it.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedSerializer(TokenOutSerializer):
    token = serializers.CharField(help_text="The secret. Shown once; store it now.")


class TokenCreateSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class SignupSerializer(serializers.Serializer[Any]):
    # ASCII, as the schema's pattern reads in JSON Schema (and most clients' regex engines).
    username = serializers.RegexField(re.compile(r"^[\w.@+-]+\Z", re.ASCII), max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, min_length=8, max_length=256)
    email = serializers.EmailField(required=False, allow_blank=True)
