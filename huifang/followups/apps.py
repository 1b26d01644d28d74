from django.apps import AppConfig
from django.core import checks


class FollowupsConfig(AppConfig):
    name = "huifang.followups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from huifang.customers.selectors import register_story_source
        from huifang.followups.checks import tick_failures
        from huifang.followups.story import followups_story

        checks.register(tick_failures)
        register_story_source("followups", followups_story)
