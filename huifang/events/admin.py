"""Read-mostly admin for events and imports: imports are made through the import page or the
command, never edited here."""

from django.contrib import admin
from django.http import HttpRequest

from huifang.events.models import Event, ImportBatch


@admin.register(Event)
class EventAdmin(admin.ModelAdmin[Event]):
    list_display = ["type", "external_id", "category", "customer", "staff_name", "unit", "completed_at"]
    list_filter = ["type"]
    search_fields = ["external_id", "customer__ref", "staff_name"]
    raw_id_fields = ["customer", "staff", "unit", "batch"]
    date_hierarchy = "completed_at"


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[ImportBatch]):
    list_display = ["created_at", "kind", "filename", "status", "uploaded_by", "accept_good_rows"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in ImportBatch._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportBatch | None = None) -> bool:
        return False
