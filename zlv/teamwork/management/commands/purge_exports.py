"""Delete the expired export files and their jobs (also done each time an export job is created)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from zlv.teamwork.export_jobs import export_jobs_purge


class Command(BaseCommand):
    help = (
        "Supprime les exports (fichiers et suivis) créés il y a plus de EXPORT_RETENTION_DAYS jours, "
        "ainsi que les fichiers d’export orphelins de cet âge."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compter ce qui serait supprimé, sans rien supprimer"
        )

    def handle(self, *, dry_run, **options):
        summary = export_jobs_purge(dry_run=dry_run)
        verb = "seraient supprimés" if dry_run else "supprimés"
        self.stdout.write(
            f"Exports de plus de {settings.EXPORT_RETENTION_DAYS} jours {verb} : "
            f"{summary.jobs} suivi(s) d’export, {summary.files} fichier(s)."
        )
