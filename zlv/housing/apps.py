from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "zlv.housing"
    verbose_name = "Logements et propriétaires"
