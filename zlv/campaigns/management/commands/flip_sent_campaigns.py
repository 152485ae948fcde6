"""The daily run (cron, 04:00): campaigns whose sending date has come move their "Non suivi"
dwellings to "En attente de retour"."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from zlv.campaigns.services import campaigns_flip_due


class Command(BaseCommand):
    help = (
        "Passe en « En attente de retour » les logements « Non suivi » des campagnes dont la date "
        "d’envoi est arrivée (une seule fois par campagne). À lancer chaque jour, par exemple à 4 h."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="Jour considéré comme aujourd’hui, AAAA-MM-JJ (par défaut : aujourd’hui)"
        )

    def handle(self, *, date, **options):
        today = None
        if date:
            try:
                today = datetime.date.fromisoformat(date)
            except ValueError:
                raise CommandError("La date doit être au format AAAA-MM-JJ.") from None
        campaigns, moved = campaigns_flip_due(today=today)
        self.stdout.write(
            f"{campaigns} campagne(s) dont la date d’envoi est arrivée : "
            f"{moved} logement(s) passé(s) en « En attente de retour »."
        )
