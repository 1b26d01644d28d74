from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditsConfig(AppConfig):
    name = "huifang.audits"
    verbose_name = _("Supervision")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The explicit hooks through which follow-ups reach this app without importing it
        # (followups/hooks.py): the audit draw in the tick, the comparison when an audit closes,
        # and the audit policies of a preset when it is applied.
        from huifang.audits import services, steps
        from huifang.followups import hooks

        hooks.register_tick_step("audits", steps.audit_step)
        hooks.register_close_hook(
            hooks.CloseHook(name="audits", concerns=services.is_audit, handle=services.compare_audit)
        )
        hooks.register_preset_hook("audits", services.apply_audit_preset)
