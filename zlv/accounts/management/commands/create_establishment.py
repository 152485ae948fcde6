"""Onboard a collectivité (commune, EPCI or département) and its first user."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zlv.accounts.enums import Role
from zlv.accounts.services import (
    absolute_url,
    establishment_for_territory,
    member_add,
    password_setup_path,
    password_setup_send,
)
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
        parser.add_argument(
            "--send-email",
            action="store_true",
            help="Envoyer aussi par e-mail à l'utilisateur le lien pour choisir son mot de passe",
        )
        parser.add_argument(
            "--base-url", default="", help="Adresse du service dans les liens (par défaut : SITE_URL)"
        )

    def handle(self, *, territory, user, role, name, send_email, base_url, **options):
        try:
            establishment = establishment_for_territory(territory=territory, name=name)
        except UnknownTerritory as error:
            raise CommandError(str(error)) from error
        member = member_add(establishment=establishment, email=user, role=role)
        self.stdout.write(
            f"Structure « {establishment.name} » ({establishment.communes.count()} communes) : "
            f"{member.email} y est {Role(role).label.lower()}."
        )
        if settings.DEMO_MODE or member.has_usable_password():
            return
        if send_email:
            password_setup_send(user=member, establishment=establishment, site_url=base_url)
            self.stdout.write(
                f"Un e-mail avec le lien pour choisir son mot de passe a été envoyé à {member.email}."
            )
        else:
            link = absolute_url(password_setup_path(member), site_url=base_url)
            self.stdout.write(f"Lien pour choisir son mot de passe (à transmettre à l'utilisateur) : {link}")
