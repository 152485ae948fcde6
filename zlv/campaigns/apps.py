from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "zlv.campaigns"
    verbose_name = "Campagnes"
