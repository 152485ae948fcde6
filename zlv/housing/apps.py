from django.apps import AppConfig


class HousingConfig(AppConfig):
    name = "zlv.housing"
    verbose_name = "Logements et propriétaires"

    def ready(self):
        from zlv.housing import search

        search.register()
