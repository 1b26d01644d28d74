from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "huifang.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
