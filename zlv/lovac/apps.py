from django.apps import AppConfig


class LovacConfig(AppConfig):
    name = "zlv.lovac"
    verbose_name = "Import LOVAC"
