from django.apps import AppConfig
from django.core import checks


class FollowupsConfig(AppConfig):
    name = "huifang.followups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from huifang.followups.checks import tick_failures

        checks.register(tick_failures)
