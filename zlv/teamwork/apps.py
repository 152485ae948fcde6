from django.apps import AppConfig


class TeamworkConfig(AppConfig):
    name = "zlv.teamwork"
    verbose_name = "Travail en équipe (groupes, agents référents, exports)"
