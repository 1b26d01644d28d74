from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "huifang.api"
    label = "api"
    verbose_name = "HTTP API"
