from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "huifang.followups"
    default_auto_field = "django.db.models.BigAutoField"
