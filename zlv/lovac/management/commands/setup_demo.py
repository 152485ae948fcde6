"""Demo territory and accounts: the set-up half of `make run` (idempotent)."""

import datetime
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zlv.accounts.enums import Role
from zlv.accounts.models import User
from zlv.accounts.services import establishment_for_territory, member_add
from zlv.campaigns.models import Campaign
from zlv.campaigns.services import campaign_create
from zlv.housing.filters import parse_filters
from zlv.housing.models import Housing
from zlv.teamwork.services import group_create

# Communauté d'agglomération du Douaisis (Nord, 35 communes) and, for the "other establishment"
# account, Valenciennes, a commune outside it.
DEMO_EPCI = "200044618"
DEMO_EPCI_ROWS = 20_000
OTHER_COMMUNE = "59606"
OTHER_COMMUNE_ROWS = 2_000
DEMO_MILLESIMES = (2024, 2025)
DEMO_SEED = 2026
# The demo's example campaign: long-vacant dwellings of Douai, letters sent a month ago.
DEMO_CAMPAIGN_FILTERS = {"all": "true", "localities": "59178", "vacancyYears": "2014to2010,before2010"}


class Command(BaseCommand):
    help = "Prépare le mode démonstration : territoire synthétique importé et comptes de démonstration."

    def handle(self, **options):
        if not settings.DEMO_MODE:
            raise CommandError(
                "Les données de démonstration ne sont créées qu'en mode démonstration (ZLV_DEMO=1)."
            )
        if Housing.objects.exists():
            self.stdout.write("Données déjà présentes : aucun import de démonstration.")
        else:
            for territory, rows in ((DEMO_EPCI, DEMO_EPCI_ROWS), (OTHER_COMMUNE, OTHER_COMMUNE_ROWS)):
                self._import_synthetic_millesimes(territory, rows)
        self._create_accounts()
        self._create_example_campaign()

    def _import_synthetic_millesimes(self, territory: str, rows: int) -> None:
        folder = Path(settings.VAR_DIR) / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        previous = None
        for millesime in DEMO_MILLESIMES:
            path = folder / f"lovac-{millesime}-{territory}.csv"
            arguments = ["--territory", territory, "--millesime", str(millesime), "--rows", str(rows)]
            arguments += ["--seed", str(DEMO_SEED), "--out", str(path)]
            if previous:
                arguments += ["--previous", str(previous)]
            call_command("generate_lovac", *arguments, stdout=self.stdout)
            call_command("import_lovac", str(path), "--millesime", str(millesime), stdout=self.stdout)
            previous = path

    def _create_accounts(self) -> None:
        password = settings.DEMO_PASSWORD
        epci = establishment_for_territory(territory=DEMO_EPCI, is_demo=True)
        other = establishment_for_territory(territory=OTHER_COMMUNE, is_demo=True)
        accounts = [
            ("admin@demo.test", epci, Role.ADMIN),
            ("agent@demo.test", epci, Role.USUAL),
            ("lecteur@demo.test", epci, Role.VISITOR),
            ("autre@demo.test", other, Role.USUAL),
        ]
        for email, establishment, role in accounts:
            member_add(establishment=establishment, email=email, role=role, password=password)
        self.stdout.write(f"Comptes de démonstration prêts : {', '.join(a[0] for a in accounts)}.")

    def _create_example_campaign(self) -> None:
        agent = User.objects.get(email="agent@demo.test")
        if Campaign.objects.filter(establishment_id=agent.active_establishment_id).exists():
            return
        group = group_create(
            establishment=agent.active_establishment_id,
            by=agent,
            title="Douai — vacance de plus de 10 ans",
            description="Logements de Douai vacants depuis 2014 ou avant, à relancer en priorité.",
            filters_or_ids=parse_filters(DEMO_CAMPAIGN_FILTERS),
        )
        campaign = campaign_create(
            group=group,
            by=agent,
            title="Premier courrier — Douai",
            description="Courrier d’information sur les aides à la remise sur le marché.",
            sent_at=timezone.localdate() - datetime.timedelta(days=30),
        )
        self.stdout.write(f"Campagne de démonstration créée : « {campaign.title} ».")
