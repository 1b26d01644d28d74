"""Admin for supervision: the organisation's penalty amounts (written through the service), and
read-only lists of audit policies, draws and violations. Customer data stays out (the supervision
pages show it within scope)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from huifang.audits import services
from huifang.audits.models import AuditDraw, AuditPolicy, PenaltyRate, Violation


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(PenaltyRate)
class PenaltyRateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "amount")

    def save_model(self, request: HttpRequest, obj: PenaltyRate, form: Any, change: bool) -> None:
        services.set_penalty(kind=obj.kind, amount=obj.amount)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(AuditPolicy)
class AuditPolicyAdmin(ReadOnly):
    list_display = ("title", "preset", "level", "period", "percent", "count", "auditor_role", "enabled")


@admin.register(AuditDraw)
class AuditDrawAdmin(ReadOnly):
    list_display = ("policy", "period", "scope", "seed", "drawn_at")


@admin.register(Violation)
class ViolationAdmin(ReadOnly):
    list_display = ("staff", "kind", "amount", "source", "at")
