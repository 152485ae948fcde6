"""Onboard a collectivité (commune, EPCI or département) and its first user."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zlv.accounts.enums import Role
from zlv.accounts.services import establishment_for_territory, member_add, password_setup_path
from zlv.geo.selectors import UnknownTerritory


class Command(BaseCommand):
    help = "Crée la structure d'un territoire (commune, EPCI ou département) et son premier utilisateur."

    def add_arguments(self, parser):
        parser.add_argument("--territory", required=True, help="Code INSEE, SIREN d'EPCI ou code département")
        parser.add_argument("--user", required=True, help="Adresse e-mail du premier utilisateur")
        parser.add_argument("--role", choices=Role.values, required=True)
        parser.add_argument(
            "--name", default="", help="Nom de la structure (par défaut : celui du territoire)"
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Adresse du service")

    def handle(self, *, territory, user, role, name, base_url, **options):
        try:
            establishment = establishment_for_territory(territory=territory, name=name)
        except UnknownTerritory as error:
            raise CommandError(str(error)) from error
        member = member_add(establishment=establishment, email=user, role=role)
        self.stdout.write(
            f"Structure « {establishment.name} » ({establishment.communes.count()} communes) : "
            f"{member.email} y est {Role(role).label.lower()}."
        )
        if not settings.DEMO_MODE and not member.has_usable_password():
            link = base_url.rstrip("/") + password_setup_path(member)
            self.stdout.write(f"Lien pour choisir son mot de passe (à transmettre à l'utilisateur) : {link}")
