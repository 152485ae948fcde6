from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "zlv.api"
    verbose_name = "API"
