"""Load (or refresh) the reference geography committed in zlv/geo/data/."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from zlv.geo.services import geography_load

# (key, French label, feminine?) in the order of the summary.
ENTITIES = (
    ("regions", "Régions", True),
    ("departments", "Départements", False),
    ("communes", "Communes", True),
    ("epcis", "EPCI", False),
    ("memberships", "Appartenances commune–EPCI", True),
)


class Command(BaseCommand):
    help = (
        "Charge la géographie de référence (régions, départements, communes, EPCI) ; relançable sans risque."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, help="Dossier des fichiers (par défaut : zlv/geo/data)")
        parser.add_argument("--dry-run", action="store_true", help="Compter sans rien enregistrer")

    def handle(self, *, path, dry_run, **options):
        started = time.monotonic()
        try:
            counts = geography_load(path=path, dry_run=dry_run)
        except FileNotFoundError as error:
            raise CommandError(f"Fichier introuvable : {error.filename}") from error
        except ValueError as error:
            raise CommandError(str(error)) from error
        for key, label, feminine in ENTITIES:
            self.stdout.write(f"{label} : {_summary(counts[key], feminine=feminine)}")
        obsolete = counts["communes"]["obsolete"]
        if obsolete:
            self.stdout.write(
                f"{_number(obsolete)} communes absentes du fichier sont conservées "
                "(elles peuvent appartenir au périmètre d'une structure)."
            )
        elapsed = f"{time.monotonic() - started:.1f}".replace(".", ",")
        if dry_run:
            self.stdout.write(f"Simulation terminée en {elapsed} s : rien n'a été enregistré.")
        else:
            self.stdout.write(f"Géographie chargée en {elapsed} s.")


def _summary(count: dict[str, int], *, feminine: bool) -> str:
    ending = "es" if feminine else "s"
    parts = [f"{_number(count['created'])} ajouté{ending}"]
    if "updated" in count:
        parts.append(f"{_number(count['updated'])} modifié{ending}")
    if "deleted" in count:
        parts.append(f"{_number(count['deleted'])} supprimé{ending}")
    return f"{_number(count['total'])} ({', '.join(parts)})"


def _number(value: int) -> str:
    """French thousands separator (narrow no-break space)."""
    return f"{value:,}".replace(",", "\u202f")
