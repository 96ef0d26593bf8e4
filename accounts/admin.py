"""Operators see and revoke access tokens in the Django admin."""

from typing import TYPE_CHECKING

from django.contrib import admin

from accounts.models import AccessToken

if TYPE_CHECKING:
    TokenModelAdmin = admin.ModelAdmin[AccessToken]
else:
    TokenModelAdmin = admin.ModelAdmin  # generic only in the stubs, not at run time


@admin.register(AccessToken)
class AccessTokenAdmin(TokenModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
