"""manage.py generate_lovac: a synthetic raw LOVAC file for a territory."""

from django.core.management.base import BaseCommand, CommandError

from zlv.geo.selectors import UnknownTerritory, communes_of_territory
from zlv.lovac.generator import DELIMITERS, ENCODINGS, GenerationError, generate_lovac


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def _count(value: int, singular: str, plural: str) -> str:
    return f"{_number(value)} {singular if value < 2 else plural}"


class Command(BaseCommand):
    help = (
        "Écrit un fichier LOVAC brut synthétique (format Cerema) pour un territoire : logements, "
        "propriétaires, lignes hors périmètre, doublons et valeurs douteuses, comme dans un vrai millésime."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--territory",
            required=True,
            help="Code INSEE d'une commune, SIREN d'un EPCI, code département ou FR.",
        )
        parser.add_argument("--millesime", type=int, required=True, help="Millésime du fichier (ex. : 2025).")
        parser.add_argument(
            "--rows",
            type=int,
            help="Nombre de lignes (par défaut : selon la population, ou autant que le fichier précédent).",
        )
        parser.add_argument(
            "--seed", type=int, default=0, help="Graine : mêmes arguments et même graine, même fichier."
        )
        parser.add_argument(
            "--previous", help="Fichier LOVAC du millésime précédent : le nouveau fichier en est la suite."
        )
        parser.add_argument(
            "--rejects",
            type=int,
            default=0,
            help="Nombre de lignes à rejeter à glisser dans le fichier (tests).",
        )
        parser.add_argument(
            "--encoding", choices=ENCODINGS, default="utf-8", help="Encodage (défaut : utf-8)."
        )
        parser.add_argument("--delimiter", choices=DELIMITERS, default=";", help="Séparateur (défaut : ;).")
        parser.add_argument("--out", required=True, help="Chemin du fichier CSV à écrire.")

    def handle(self, **options):
        try:
            communes = communes_of_territory(options["territory"])
        except UnknownTerritory as error:
            raise CommandError(f"Territoire inconnu : {error}") from error
        try:
            stats = generate_lovac(
                communes=communes.iterator(chunk_size=5000),
                millesime=options["millesime"],
                rows=options["rows"],
                seed=options["seed"],
                previous=options["previous"],
                rejects=options["rejects"],
                encoding=options["encoding"],
                delimiter=options["delimiter"],
                out=options["out"],
            )
        except GenerationError as error:
            raise CommandError(str(error)) from error

        write = self.stdout.write
        write(f"Fichier LOVAC {stats.millesime} écrit : {stats.path}")
        write(
            f"  {_count(stats.lines, 'ligne', 'lignes')} pour "
            f"{_count(stats.communes, 'commune', 'communes')} : {_number(stats.in_scope_lines)} dans le "
            "périmètre (logements privés vacants depuis plus de 2 ans), "
            f"{_number(stats.out_of_scope_lines)} hors périmètre, "
            f"dont {_count(stats.duplicate_lines, 'doublon', 'doublons')} ; "
            f"{_count(stats.rejected_lines, 'ligne', 'lignes')} à rejeter, "
            f"{_count(stats.messy_values, 'valeur douteuse', 'valeurs douteuses')}."
        )
        write(
            f"  {_count(stats.expected_dwellings, 'logement attendu', 'logements attendus')} à l'import, "
            f"{_count(stats.owners, 'propriétaire', 'propriétaires')} dont {_number(stats.multi_owners)} "
            "destinataires principaux de plusieurs logements."
        )
        if options["previous"]:
            write(
                f"  Depuis le millésime précédent : {_number(stats.kept_from_previous)} logements conservés "
                f"(dont {_number(stats.owner_changes)} changements de propriétaire), "
                f"{_number(stats.left_since_previous)} sortis, {_number(stats.arrived)} nouveaux."
            )
        seconds = f"{stats.seconds:.1f}".replace(".", ",")
        write(f"  Durée : {seconds} s ({_number(stats.lines_per_second)} lignes/s).")
