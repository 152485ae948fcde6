from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "zlv.www"
    verbose_name = "Interface web"

    def ready(self):
        from zlv.www.object_access import register

        register()
