"""Operators manage projects and memberships in the Django admin (accounts use Django's own)."""

from django.contrib import admin

from endpoints.models import Endpoint, Folder, Membership, Project


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at", "updated_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(Folder)
class FolderAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "parent", "position"]
    list_filter = ["project"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "folder", "status", "assignee", "updated_at"]
    list_filter = ["status", "project"]
    search_fields = ["name", "url"]
