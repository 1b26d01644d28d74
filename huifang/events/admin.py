"""Read-only admin for events and imports: they are made through the import page, the command or
the API, never edited here (an edit here would bypass the import's scope and audit). The customer
and the free attributes (which may hold a 业主电话) are left out: the admin has no masking."""

from django.contrib import admin
from django.http import HttpRequest

from huifang.events.models import Event, ImportBatch


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["type", "external_id", "category", "staff_name", "unit", "completed_at"]
    list_filter = ["type"]
    search_fields = ["external_id", "customer__ref", "staff_name"]
    readonly_fields = (
        "type",
        "external_id",
        "category",
        "staff_name",
        "staff",
        "unit",
        "completed_at",
        "batch",
    )
    fields = readonly_fields
    date_hierarchy = "completed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    list_display = ["created_at", "kind", "filename", "status", "uploaded_by", "accept_good_rows"]
    list_filter = ["kind", "status"]
    # Not the report: its row errors quote the file's cells, numbers included.
    readonly_fields = (
        "kind",
        "filename",
        "status",
        "uploaded_by",
        "created_at",
        "finished_at",
        "accept_good_rows",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False
