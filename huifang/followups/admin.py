"""Read-only admin for follow-up data: every write goes through the services (status machine,
versions), so the admin shows and searches but never edits."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from huifang.followups.models import (
    Attempt,
    Evaluation,
    Policy,
    PolicyVersion,
    Questionnaire,
    SamplingRecord,
    Task,
    TaskStatusChange,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class StatusChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TaskStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "by", "at", "reason"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Attempt
    extra = 0
    can_delete = False
    fields = ("at", "agent", "result", "outcome", "duration")  # not the respondent's name
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Policy)
class PolicyAdmin(ReadOnly):
    list_display = ["key", "preset", "title", "origin", "channel", "assignment", "enabled", "current_version"]
    list_filter = ["preset", "origin", "enabled"]
    search_fields = ["key", "title"]


@admin.register(PolicyVersion)
class PolicyVersionAdmin(ReadOnly):
    list_display = ["policy", "number", "created_at", "created_by", "note"]
    list_filter = ["policy"]


@admin.register(Questionnaire)
class QuestionnaireAdmin(ReadOnly):
    list_display = ["key", "version", "title", "created_at"]


@admin.register(SamplingRecord)
class SamplingRecordAdmin(ReadOnly):
    list_display = ["policy", "period", "scope", "population", "tier", "target", "seed", "drawn_at"]
    list_filter = ["policy", "period"]


@admin.register(Task)
class TaskAdmin(ReadOnly):
    # No customer (a name): the admin has neither the scope nor the masking of the task pages.
    list_display = ["pk", "policy", "status", "earliest_at", "latest_at", "assignee", "outcome"]
    list_filter = ["status", "origin", "policy", "outcome"]
    search_fields = ["customer__ref", "event__external_id"]
    exclude = ["customer"]
    raw_id_fields = ["event", "assignee", "claimed_by", "callback_by", "unit"]
    inlines = [StatusChangeInline, AttemptInline]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnly):
    list_display = ["event", "at", "tasks_made"]
    raw_id_fields = ["event"]
