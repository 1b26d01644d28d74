from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "huifang.campaigns"
    verbose_name = _("Campaigns")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Through follow-ups' explicit hooks (followups/hooks.py): staff notices and digests in
        # the tick, and a completed survey call (phone distribution) becoming the answer.
        from huifang.campaigns import notices, services
        from huifang.followups import hooks

        hooks.register_tick_step("campaigns", notices.staff_notices_step)
        hooks.register_close_hook(
            hooks.CloseHook(
                name="campaigns", concerns=services.is_campaign_task, handle=services.after_phone_call
            )
        )
