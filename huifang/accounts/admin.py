from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from huifang.accounts.models import HandOver, OrgUnit, Staff


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin[OrgUnit]):
    list_display = ["name", "code", "kind", "business", "path"]
    readonly_fields = ["path"]


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
