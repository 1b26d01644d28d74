"""Read-only admin for cases: every write goes through the services (status table, steps,
notifications). Customer data is left out, of the lists and of the pages: the admin would show
it without the scope and the masking of the case pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from huifang.cases.models import Case, CaseStep, CommonIssue, PublicLetter


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StepInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CaseStep
    extra = 0
    can_delete = False
    fields = ("at", "from_status", "to_status", "by")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = [
        "id",
        "kind",
        "status",
        "level",
        "category",
        "unit",
        "handler",
        "opened_at",
        "deadline_at",
        "closed_at",
        "loop_count",
    ]
    list_filter = ["kind", "status", "level", "channel"]
    date_hierarchy = "opened_at"
    # No customer, customer's words, reply or notes: see the module's docstring.
    fields = (
        "kind",
        "status",
        "level",
        "category",
        "channel",
        "unit",
        "handler",
        "owner",
        "task",
        "issue",
        "parent",
        "loop_count",
        "opened_at",
        "round_started_at",
        "deadline_at",
        "paused_at",
        "closed_at",
        "first_complaint_at",
        "satisfied_at",
    )
    readonly_fields = fields
    inlines = [StepInline]


@admin.register(CommonIssue)
class CommonIssueAdmin(ReadOnly):
    list_display = ["id", "title", "unit", "created_by", "created_at", "action_date"]
    search_fields = ["title"]


@admin.register(PublicLetter)
class PublicLetterAdmin(ReadOnly):
    list_display = ["id", "title", "issue", "status", "drafted_at", "published_at", "published_by"]
    list_filter = ["status"]
