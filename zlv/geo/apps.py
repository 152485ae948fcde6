from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "zlv.geo"
    verbose_name = "Géographie"
