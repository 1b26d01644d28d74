"""Staff accounts are administered here (Django's user admin: activation, passwords); the
organisation tree and hand-overs are shown only, since their services keep paths and histories."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from huifang.accounts.models import HandOver, OrgUnit, Staff


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin[OrgUnit]):
    list_display = ["name", "code", "kind", "business", "path"]
    readonly_fields = ["path"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OrgUnit | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: OrgUnit | None = None) -> bool:
        return False


@admin.register(Staff)
class StaffAdmin(UserAdmin[Staff]):
    list_display = ["username", "display_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("Huifang", {"fields": ["display_name", "role", "unit", "successor"]}),
    )


@admin.register(HandOver)
class HandOverAdmin(admin.ModelAdmin[HandOver]):
    list_display = ["at", "from_staff", "to_staff", "by", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: HandOver | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: HandOver | None = None) -> bool:
        return False
