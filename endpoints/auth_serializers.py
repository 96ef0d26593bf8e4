"""The Auth tab's shapes in the API (endpoints.auth has the rules): what responses show and
what writes take, for projects, folders, endpoints and debug sessions."""

from __future__ import annotations

from rest_framework import serializers

from endpoints.auth import API_KEY_PLACES, AUTH_TYPES

AUTH_HELP = (
    "The Auth tab (docs/connection-auth.md): inherit (from the folders, then the project), "
    "none, bearer (token), basic (username, password) or api_key (name, value, in: header or "
    "query). Values take {{variables}}."
)


class AuthOutSerializer(serializers.Serializer):
    """Credentials (token, password, value) are null unless they are only {{variable}}
    references; ``<key>_set`` says whether one is stored."""

    type = serializers.ChoiceField(choices=AUTH_TYPES)
    token = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    token_set = serializers.BooleanField(required=False)
    username = serializers.CharField(required=False, allow_blank=True)
    password = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    password_set = serializers.BooleanField(required=False)
    name = serializers.CharField(required=False, allow_blank=True)
    value = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    value_set = serializers.BooleanField(required=False)
    # ``in`` is a Python keyword: declared through the fields mapping below.


class AuthInSerializer(serializers.Serializer):
    """A field left out or null keeps the stored one (of the same type); no value may
    hold a line break."""

    type = serializers.ChoiceField(choices=AUTH_TYPES)
    token = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    username = serializers.CharField(required=False, allow_blank=True)
    password = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True)
    value = serializers.CharField(required=False, allow_null=True, allow_blank=True)


for _auth_serializer in (AuthOutSerializer, AuthInSerializer):
    _auth_serializer._declared_fields["in"] = serializers.ChoiceField(
        choices=API_KEY_PLACES, required=False, help_text="api_key: where the key goes."
    )
