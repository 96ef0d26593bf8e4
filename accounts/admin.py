"""Operators see and revoke access tokens in the Django admin."""

from django.contrib import admin

from accounts.models import AccessToken


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
