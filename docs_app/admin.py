"""Operators see share links in the Django admin; tokens and password hashes stay read-only."""

from django.contrib import admin

from docs_app.models import ShareLink


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "project",
        "token_prefix",
        "whole_project",
        "expires_at",
        "revoked_at",
        "view_count",
        "last_viewed_at",
    ]
    list_filter = ["project", "public"]
    search_fields = ["name", "token_prefix"]
    readonly_fields = [
        "token_seed",
        "token_digest",
        "token_prefix",
        "password_hash",
        "view_count",
        "last_viewed_at",
        "created_by",
        "updated_by",
    ]
    filter_horizontal = ["folders", "endpoints"]
