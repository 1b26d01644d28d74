"""The configurable list of lost-deal reasons is kept here; plans and visits are shown for support."""

from django.contrib import admin

from huifang.visits.models import LostReason, MonthlyPlan, Visit


@admin.register(LostReason)
class LostReasonAdmin(admin.ModelAdmin[LostReason]):
    list_display = ["label", "code", "active", "position"]
    list_editable = ["active", "position"]


@admin.register(MonthlyPlan)
class MonthlyPlanAdmin(admin.ModelAdmin[MonthlyPlan]):
    list_display = ["month", "agent", "status", "decided_by"]
    list_filter = ["status"]
    readonly_fields = [
        "agent",
        "unit",
        "month",
        "status",
        "submitted_at",
        "decided_by",
        "decided_at",
        "created_at",
    ]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin[Visit]):
    list_display = ["external_id", "agent", "visited_at", "channel", "report_due_at", "report_at"]
    list_filter = ["channel"]
    # Customers are deliberately not editable here (no audited reveal in the admin).
    readonly_fields = ["agent", "customer", "unit", "plan_item", "task_id", "created_at"]
