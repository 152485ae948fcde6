from django.core.management.base import BaseCommand, CommandError

from zlv.accounts.models import User
from zlv.api.models import ApiToken


class Command(BaseCommand):
    help = "Crée un jeton d'API personnel pour un utilisateur (affiché une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="Adresse e-mail de l'utilisateur")
        parser.add_argument("--name", default="API", help="Nom du jeton")

    def handle(self, *, user, name, **options):
        owner = User.objects.filter(email__iexact=user, is_active=True, is_system=False).first()
        if owner is None:
            raise CommandError(f"Aucun utilisateur actif avec l'adresse {user}.")
        _, clear = ApiToken.issue(user=owner, name=name)
        self.stdout.write(f"Jeton créé pour {owner.email} (conservez-le, il ne sera plus affiché) :\n{clear}")
