from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "zlv.www"
    verbose_name = "Interface web"
