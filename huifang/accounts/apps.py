from django.apps import AppConfig
from django.core import checks


class AccountsConfig(AppConfig):
    name = "huifang.accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from huifang.accounts.checks import unpublished_holidays

        checks.register(unpublished_holidays)
