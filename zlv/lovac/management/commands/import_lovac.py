"""`manage.py import_lovac FILE --millesime YYYY`: import a raw LOVAC file (LOVAC_FORMAT.md)."""

import json
import resource
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zlv.lovac.services import lovac_import

EXIT_REFUSED = 2

PHASES = {
    "ouverture": "Ouverture (empreinte du fichier)",
    "lecture": "Lecture du fichier",
    "dédoublonnage": "Dédoublonnage (doublons, propriétaires, bâtiments)",
    "préparation": "Préparation",
    "bâtiments": "Bâtiments",
    "propriétaires": "Propriétaires",
    "logements": "Logements",
    "sorties de vacance": "Sorties de vacance",
    "périmètres": "Périmètres",
    "droits de propriété": "Droits de propriété",
    "multi-propriétaires": "Multi-propriétaires",
    "propriétaires principaux": "Propriétaires principaux",
    "statistiques": "Statistiques (ANALYZE)",
    "validation": "Validation (COMMIT)",
    "entretien": "Entretien (VACUUM)",
    "rapport": "Rapport",
}


class TerminalProgress:
    """Phases and counts on stderr, rewritten in place (only when stderr is a terminal)."""

    def __init__(self, stream):
        self.stream = stream
        self.started = time.monotonic()
        self.phase = None

    def __call__(self, phase: str, count: int | None = None) -> None:
        label = PHASES.get(phase, phase)
        elapsed = time.monotonic() - self.started
        text = f"{label}…" if count is None else f"{label} : {count:,} lignes".replace(",", "\u202f")
        if self.phase is not None and phase != self.phase:
            self.stream.write("\n")
        self.phase = phase
        self.stream.write(f"\r[{elapsed:6.1f} s] {text}\033[K")
        self.stream.flush()

    def close(self) -> None:
        if self.phase is not None:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Importe un fichier LOVAC brut (millésime 2025 et suivants)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV LOVAC")
        parser.add_argument("--millesime", type=int, required=True, help="millésime du fichier (AAAA)")
        parser.add_argument("--dry-run", action="store_true", help="tout exécuter puis tout annuler")
        parser.add_argument("--report", metavar="PATH", help="écrire le rapport (CSV) dans ce fichier")
        parser.add_argument("--json", action="store_true", help="afficher le bilan en JSON")
        parser.add_argument(
            "--max-rejected",
            type=int,
            default=None,
            metavar="N",
            help="nombre de lignes rejetées au-delà duquel le fichier est refusé (défaut : 1 %% des lignes)",
        )
        parser.add_argument(
            "--timings",
            action="store_true",
            help="afficher la durée de chaque étape (sur la sortie d'erreur)",
        )

    def handle(self, *args, **options):
        millesime = options["millesime"]
        if not 2000 <= millesime <= 2100:
            raise CommandError("Millésime invalide : une année est attendue (AAAA).")
        progress = TerminalProgress(sys.stderr) if sys.stderr.isatty() else None
        try:
            result = lovac_import(
                path=options["file"],
                millesime=millesime,
                dry_run=options["dry_run"],
                max_rejected=options["max_rejected"],
                report_path=options["report"],
                progress=progress,
            )
        finally:
            if progress is not None:
                progress.close()
        if options["timings"]:
            for phase, seconds in result.timings.items():
                self.stderr.write(f"étape {PHASES.get(phase, phase):<28} {seconds:8.2f} s")
            # ru_maxrss is in kilobytes on Linux.
            self.stderr.write(f"pic RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} Mo")
        if options["json"]:
            self.write_interrupted_notices(result)
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self.write_interrupted_notices(result)
            self.stdout.write(self.summary(result))
        if result.status == "refused":
            sys.exit(EXIT_REFUSED)

    def write_interrupted_notices(self, result) -> None:
        """Before the summary (and before the JSON line, which stays the last one)."""
        for run in result.interrupted_runs:
            started = timezone.localtime(run.started_at).strftime("%d/%m/%Y à %H:%M")
            self.stdout.write(
                f"Attention : l'import n° {run.pk} ({run.file_name}, millésime {run.millesime}, "
                f"commencé le {started}) a été interrompu avant la fin ; il est marqué "
                f"« {run.get_status_display()} ». Il n'a rien enregistré : importez de nouveau ce "
                "fichier si besoin."
            )

    def summary(self, result) -> str:
        def number(value: int) -> str:
            return f"{value:,}".replace(",", "\u202f")

        if result.status == "refused":
            head = f"Fichier refusé : {result.refusal_reason} Aucune donnée n'a été importée."
        elif result.status == "dry-run":
            head = "Simulation terminée (aucune donnée enregistrée)."
        else:
            head = "Import terminé."
        lines = [
            head,
            f"  Lignes lues : {number(result.lines)}",
            f"  Logements retenus (vacants depuis plus de 2 ans, parc privé) : {number(result.in_scope)}",
            f"  Doublons écartés : {number(result.duplicates)}",
            f"  Lignes hors champ : {number(result.out_of_scope)}",
            f"  Lignes rejetées : {number(result.rejected)}",
            f"  Avertissements : {number(result.warnings)}",
            f"  Logements créés : {number(result.housing_created)}, mis à jour : "
            f"{number(result.housing_updated)}, sortis de la vacance : {number(result.housing_exited)}",
            f"  Propriétaires créés : {number(result.owners_created)}, mis à jour : "
            f"{number(result.owners_updated)}",
            f"  Droits de propriété ajoutés : {number(result.owner_links_attached)}, terminés : "
            f"{number(result.owner_links_detached)}, modifiés : {number(result.owner_links_updated)}",
            f"  Durée : {result.seconds:.1f} s".replace(".", ","),
        ]
        return "\n".join(lines)
