"""Exports of a selection or a group of dwellings: CSV streamed, XLSX written with xlsxwriter.

Columns follow DOMAIN §5.1 (dwelling columns, then the primary owner's), with French headers and
labels rather than codes; "Adresse d’envoi du courrier" is the postal address typed by an agent when
there is one, else the fiscal address. A "mailing" export (?purpose=courrier) leaves out the
dwellings a letter cannot reach — no primary owner, or a primary owner who asked not to be
contacted — and says how many in its last line (CSV) or in a second sheet (XLSX).

Rows are read with a server-side cursor (`.iterator(chunk_size=…)`) so that memory stays flat
whatever the size of the selection.
"""

import csv
import dataclasses
import datetime
import io
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.db import transaction
from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.text import slugify

from zlv.accounts.models import User
from zlv.geo.models import Commune
from zlv.housing.enums import HousingKind, HousingStatus, Occupancy, OwnerKind, PrecisionCategory
from zlv.housing.filters import HousingFilters
from zlv.housing.models import HousingPrecision, Precision, mailing_address_label
from zlv.housing.selectors import filtered_housing
from zlv.teamwork.enums import ExportPurpose
from zlv.teamwork.models import Group, GroupHousing, HousingReferent
from zlv.utils.numbers import count_phrase, plural

# Above this many dwellings an XLSX export is written by the task worker, with a progress page.
XLSX_SYNC_LIMIT = 5000
CHUNK_SIZE = 2000
CSV_FLUSH_BYTES = 64 * 1024
UTF8_BOM = "\ufeff"

BLOCKING_CATEGORIES = (
    PrecisionCategory.INVOLUNTARY_BLOCK,
    PrecisionCategory.VOLUNTARY_BLOCK,
    PrecisionCategory.BUILDING_ENVIRONMENT,
    PrecisionCategory.THIRD_PARTY,
)
EVOLUTION_CATEGORIES = (PrecisionCategory.WORKS, PrecisionCategory.OCCUPATION, PrecisionCategory.MUTATION)
MECHANISM_CATEGORIES = (
    PrecisionCategory.INCENTIVE,
    PrecisionCategory.COERCIVE,
    PrecisionCategory.NO_PUBLIC_SCHEME,
)
# Fichiers fonciers `locprop` of the primary owner's right (DOMAIN §1.7).
RELATIVE_LOCATION_LABELS = {
    1: "Habite dans la même commune",
    2: "Habite dans le même département",
    3: "Habite dans la même région",
    4: "Habite dans une autre région",
    5: "Habite dans une autre région",
    6: "Habite à l’étranger",
    9: "Pas d’information",
}
NO_INFORMATION = "Pas d’information"

# Kinds of cells: how a value is written in each format.
TEXT = "text"  # labels and identifiers we produce
FREE_TEXT = "free"  # text typed by someone (DGFiP files, agents): guarded against spreadsheet formulas
LINES = "lines"  # several labels, one per line
NUMBER = "number"
DATE = "date"

# (header, width of the XLSX column in characters, kind), in the order of the cells of export_rows().
COLUMNS = (
    ("Identifiant fiscal national", 16, TEXT),
    ("Identifiant fiscal départemental", 16, TEXT),
    ("Référence cadastrale", 16, TEXT),
    ("Code INSEE commune du logement", 10, TEXT),
    ("Commune du logement", 22, TEXT),
    ("Adresse LOVAC du logement", 40, FREE_TEXT),
    ("Adresse BAN du logement", 40, FREE_TEXT),
    ("Adresse BAN du logement - Fiabilité (%)", 12, NUMBER),
    ("Latitude", 11, NUMBER),
    ("Longitude", 11, NUMBER),
    ("Type de logement", 14, TEXT),
    ("Étiquette DPE renseignée", 10, TEXT),
    ("Surface (m²)", 10, NUMBER),
    ("Nombre de pièces", 10, NUMBER),
    ("Année de construction", 12, NUMBER),
    ("Occupation", 22, TEXT),
    ("Année de début de vacance", 12, NUMBER),
    ("Statut de suivi", 20, TEXT),
    ("Sous-statut de suivi", 28, TEXT),
    ("Points de blocage", 40, LINES),
    ("Évolutions du logement", 30, LINES),
    ("Dispositifs", 40, LINES),
    ("Agent référent", 22, FREE_TEXT),
    ("Propriétaire destinataire principal", 32, FREE_TEXT),
    ("Date de naissance du propriétaire", 14, DATE),
    ("Type de propriétaire", 28, TEXT),
    ("Adresse LOVAC du propriétaire", 45, FREE_TEXT),
    ("Adresse d’envoi du courrier", 45, FREE_TEXT),
    ("Complément d’adresse du propriétaire", 30, FREE_TEXT),
    ("Localisation du propriétaire", 30, TEXT),
    ("Ne pas contacter", 10, TEXT),
)
HEADERS = [header for header, _, _ in COLUMNS]
KINDS = [kind for _, _, kind in COLUMNS]

FIELDS = (
    "local_id",
    "invariant",
    "plot_id",
    "cadastral_reference",
    "geo_code",
    "address_dgfip",
    "ban_address",
    "ban_score",
    "latitude",
    "longitude",
    "housing_kind",
    "actual_dpe",
    "living_area",
    "rooms_count",
    "building_year",
    "occupancy",
    "vacancy_start_year",
    "status",
    "sub_status",
    "export_precisions",
    "export_referent_id",
    "export_owner_id",
    "export_owner_name",
    "export_owner_birth_date",
    "export_owner_kind",
    "export_owner_address",
    "export_owner_postal_line",
    "export_owner_postal_code",
    "export_owner_postal_city",
    "export_owner_additional_address",
    "export_owner_do_not_contact",
    "export_owner_locprop",
)

HOUSING_KIND_LABELS = dict(HousingKind.choices)
OCCUPANCY_LABELS = dict(Occupancy.choices)
STATUS_LABELS = dict(HousingStatus.choices)
OWNER_KIND_LABELS = dict(OwnerKind.choices)
CATEGORY_LABELS = dict(PrecisionCategory.choices)
CATEGORY_ORDER = {category: rank for rank, category in enumerate(PrecisionCategory.values)}


@dataclasses.dataclass
class Exclusions:
    """Dwellings left out of a mailing export, by reason."""

    without_owner: int = 0
    do_not_contact: int = 0

    @property
    def total(self) -> int:
        return self.without_owner + self.do_not_contact

    def sentence(self) -> str:
        if not self.total:
            return (
                "Aucun logement exclu : chaque logement exporté a un destinataire principal "
                "qui accepte d’être contacté."
            )
        parts = []
        if self.without_owner:
            parts.append(f"{_count(self.without_owner)} sans destinataire principal")
        if self.do_not_contact:
            parts.append(
                f"{_count(self.do_not_contact)} dont le destinataire principal "
                "a demandé à ne pas être contacté"
            )
        subject = f"{_count(self.total)} {plural(self.total, 'exclu', 'exclus')} de cet export pour courrier"
        return f"{subject} : {', '.join(parts)}."


def _count(number: int) -> str:
    return count_phrase(number, "logement", "logements")


@dataclasses.dataclass
class ExportSummary:
    """What the page before a download says: how many dwellings, how many a letter cannot reach."""

    total: int
    exclusions: Exclusions

    @property
    def mailing_total(self) -> int:
        return self.total - self.exclusions.total


# ---- Selection ---------------------------------------------------------------------------------


def export_housing(user, filters: HousingFilters, group: Group | None = None) -> QuerySet:
    """The dwellings an export covers: the user's perimeter narrowed by the filters (and selection),
    and by the group when exporting one."""
    queryset = filtered_housing(user, filters)
    if group is not None:
        queryset = queryset.filter(Exists(GroupHousing.objects.filter(group=group, housing=OuterRef("pk"))))
    return queryset


def _with_primary_owner(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(
        export_primary=FilteredRelation("owner_links", condition=Q(owner_links__rank=1)),
    )


def export_summary(queryset: QuerySet) -> ExportSummary:
    """Counts for the page before a download, in one query."""
    row = (
        _with_primary_owner(queryset.order_by())
        .annotate(export_owner_id=F("export_primary__owner_id"))
        .aggregate(
            total=Count("pk"),
            without_owner=Count("pk", filter=Q(export_owner_id__isnull=True)),
            do_not_contact=Count("pk", filter=Q(export_primary__owner__do_not_contact=True)),
        )
    )
    return ExportSummary(
        total=row["total"],
        exclusions=Exclusions(without_owner=row["without_owner"], do_not_contact=row["do_not_contact"]),
    )


def _rows_queryset(queryset: QuerySet, establishment_id: int) -> QuerySet:
    precision = HousingPrecision._meta.db_table
    precision_catalogue = Precision._meta.db_table
    housing_table = queryset.model._meta.db_table
    referent = HousingReferent.objects.filter(establishment_id=establishment_id, housing=OuterRef("pk"))
    return (
        _with_primary_owner(queryset)
        .annotate(
            # One sub-query for the three précision columns: "category\torder\tlabel" items.
            export_precisions=RawSQL(  # noqa: S611 — no user input in this SQL
                f"""SELECT array_agg(p.category || E'\\t' || p."order" || E'\\t' || p.label)
                FROM {precision} hp JOIN {precision_catalogue} p ON p.id = hp.precision_id
                WHERE hp.housing_id = {housing_table}.id""",  # noqa: S608 — table names only
                [],
            ),
            export_referent_id=Subquery(referent.values("user_id")[:1]),
            export_owner_id=F("export_primary__owner_id"),
            export_owner_name=F("export_primary__owner__full_name"),
            export_owner_birth_date=F("export_primary__owner__birth_date"),
            export_owner_kind=F("export_primary__owner__kind"),
            export_owner_address=F("export_primary__owner__address_dgfip"),
            export_owner_postal_line=F("export_primary__owner__postal_address_line"),
            export_owner_postal_code=F("export_primary__owner__postal_code"),
            export_owner_postal_city=F("export_primary__owner__postal_city"),
            export_owner_additional_address=F("export_primary__owner__additional_address"),
            export_owner_do_not_contact=F("export_primary__owner__do_not_contact"),
            export_owner_locprop=F("export_primary__locprop_source"),
        )
        .order_by("geo_code", "pk")
        .values_list(*FIELDS, named=True)
    )


# ---- Rows --------------------------------------------------------------------------------------


def _display_name(full_name: str | None) -> str:
    """'DUPONT/JEAN MARIE' → 'DUPONT Jean Marie' (as Owner.display_name)."""
    if not full_name:
        return ""
    surname, _, first_names = full_name.partition("/")
    if not first_names:
        return full_name
    return f"{surname} {first_names.title()}".strip()


def _precision_columns(tags: list[str] | None) -> tuple[str, str, str]:
    """Points de blocage, Évolutions du logement, Dispositifs: labels one per line, in the order of
    the catalogue (category, then the précision's rank)."""
    blocking, evolutions, mechanisms = [], [], []
    items = sorted(
        (CATEGORY_ORDER.get(category, 99), int(order), category, label)
        for category, order, label in (tag.split("\t", 2) for tag in tags or [])
    )
    for _, _, category, label in items:
        if category in BLOCKING_CATEGORIES:
            blocking.append(label)
        elif category in EVOLUTION_CATEGORIES:
            evolutions.append(f"{CATEGORY_LABELS.get(category, category)} : {label}")
        elif category in MECHANISM_CATEGORIES:
            mechanisms.append(label)
    return "\n".join(blocking), "\n".join(evolutions), "\n".join(mechanisms)


def export_rows(
    queryset: QuerySet, *, establishment_id: int, purpose: str, exclusions: Exclusions
) -> Iterator[list]:
    """One list of typed cells per dwelling (str, int, float, date or None), in HEADERS order.

    For a mailing export, dwellings a letter cannot reach are skipped and counted in `exclusions`.
    """
    communes = dict(Commune.objects.filter(establishments=establishment_id).values_list("code", "name"))
    referents = {
        user.pk: user.full_name
        for user in User.objects.filter(memberships__establishment_id=establishment_id).only(
            "first_name", "last_name", "email"
        )
    }
    mailing = purpose == ExportPurpose.MAILING
    for row in _rows_queryset(queryset, establishment_id).iterator(chunk_size=CHUNK_SIZE):
        has_owner = row.export_owner_id is not None
        if mailing:
            if not has_owner:
                exclusions.without_owner += 1
                continue
            if row.export_owner_do_not_contact:
                exclusions.do_not_contact += 1
                continue
        blocking, evolutions, mechanisms = _precision_columns(row.export_precisions)
        owner_kind = row.export_owner_kind
        yield [
            row.local_id,
            row.invariant,
            row.plot_id or row.cadastral_reference,
            row.geo_code,
            communes.get(row.geo_code, ""),
            row.address_dgfip,
            row.ban_address,
            round(row.ban_score * 100) if row.ban_score is not None else None,
            row.latitude,
            row.longitude,
            HOUSING_KIND_LABELS.get(row.housing_kind, row.housing_kind),
            row.actual_dpe,
            row.living_area,
            row.rooms_count,
            row.building_year,
            OCCUPANCY_LABELS.get(row.occupancy, row.occupancy),
            row.vacancy_start_year,
            STATUS_LABELS.get(row.status, row.status),
            row.sub_status,
            blocking,
            evolutions,
            mechanisms,
            referents.get(row.export_referent_id, ""),
            _display_name(row.export_owner_name),
            row.export_owner_birth_date,
            OWNER_KIND_LABELS.get(owner_kind, NO_INFORMATION) if has_owner else "",
            row.export_owner_address or "",
            mailing_address_label(
                line=row.export_owner_postal_line,
                postal_code=row.export_owner_postal_code,
                city=row.export_owner_postal_city,
                fiscal=row.export_owner_address,
            ),
            row.export_owner_additional_address or "",
            RELATIVE_LOCATION_LABELS.get(row.export_owner_locprop, NO_INFORMATION) if has_owner else "",
            ("Oui" if row.export_owner_do_not_contact else "Non") if has_owner else "",
        ]


# ---- CSV ---------------------------------------------------------------------------------------


FLOAT_COLUMNS = [index for index, (_, _, kind) in enumerate(COLUMNS) if kind == NUMBER]
DATE_COLUMNS = [index for index, (_, _, kind) in enumerate(COLUMNS) if kind == DATE]
FREE_TEXT_COLUMNS = [index for index, (_, _, kind) in enumerate(COLUMNS) if kind == FREE_TEXT]
# A cell starting with one of these would be run as a formula by a spreadsheet (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _csv_row(row: list) -> list:
    """Cells as a French spreadsheet reads them: decimal comma, dd/mm/yyyy dates, no formulas.

    Only the columns that need it are touched (csv writes None as "" and integers as they are).
    """
    for index in FLOAT_COLUMNS:
        value = row[index]
        if value.__class__ is float:
            row[index] = f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    for index in DATE_COLUMNS:
        value = row[index]
        if value is not None:
            row[index] = value.strftime("%d/%m/%Y")
    for index in FREE_TEXT_COLUMNS:
        value = row[index]
        if value and value.startswith(FORMULA_PREFIXES):
            row[index] = "'" + value
    return row


def csv_stream(queryset: QuerySet, *, establishment_id: int, purpose: str) -> Iterator[bytes]:
    """The CSV file, `;`-separated, UTF-8 with a BOM (Excel), in chunks of about 64 KiB."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(UTF8_BOM)
    writer.writerow(HEADERS)
    exclusions = Exclusions()
    # The server-side cursor lives in this transaction (the request's has ended when streaming).
    with transaction.atomic():
        for row in export_rows(
            queryset, establishment_id=establishment_id, purpose=purpose, exclusions=exclusions
        ):
            writer.writerow(_csv_row(row))
            if buffer.tell() >= CSV_FLUSH_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    if purpose == ExportPurpose.MAILING:
        writer.writerow([exclusions.sentence()])
    yield buffer.getvalue().encode()


# ---- XLSX --------------------------------------------------------------------------------------


def write_xlsx(
    path: Path | str,
    queryset: QuerySet,
    *,
    establishment_id: int,
    purpose: str,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, Exclusions]:
    """Write the XLSX file at `path` row by row (xlsxwriter constant_memory); returns the number of
    dwellings written and the mailing exclusions. `progress(done)` is called every CHUNK_SIZE rows."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": tempfile.gettempdir(),
            # Cells are written with explicit types; nothing is turned into a formula or a link.
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": "Logements", "author": "Zéro Logement Vacant"})
    bold = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    wrapped = workbook.add_format({"text_wrap": True, "valign": "top"})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy", "valign": "top"})
    sheet = workbook.add_worksheet("Logements")
    for column, (header, width, _) in enumerate(COLUMNS):
        sheet.set_column(column, column, width)
        sheet.write_string(0, column, header, bold)
    sheet.freeze_panes(1, 0)
    exclusions = Exclusions()
    written = 0
    with transaction.atomic():
        for written, row in enumerate(  # noqa: B007 — `written` is the count after the loop
            export_rows(queryset, establishment_id=establishment_id, purpose=purpose, exclusions=exclusions),
            start=1,
        ):
            for column, (kind, value) in enumerate(zip(KINDS, row, strict=True)):
                if value is None or value == "":
                    continue
                if kind == NUMBER:
                    sheet.write_number(written, column, value)
                elif kind == DATE:
                    sheet.write_datetime(written, column, value, date_format)
                elif kind == LINES:
                    sheet.write_string(written, column, value, wrapped)
                else:
                    sheet.write_string(written, column, value)
            if progress is not None and written % CHUNK_SIZE == 0:
                progress(written)
    sheet.autofilter(0, 0, max(written, 1), len(HEADERS) - 1)
    if purpose == ExportPurpose.MAILING:
        note = workbook.add_worksheet("Exclusions")
        note.set_column(0, 0, 110)
        note.write_string(0, 0, "Logements exclus de cet export pour courrier", bold)
        note.write_string(1, 0, exclusions.sentence())
        note.write_string(
            3,
            0,
            "Un courrier ne peut être adressé qu’au destinataire principal d’un logement, "
            "s’il n’a pas demandé à ne pas être contacté.",
        )
    workbook.close()
    return written, exclusions


# ---- File names --------------------------------------------------------------------------------


def export_file_name(
    title: str, purpose: str, file_format: str, *, today: datetime.date | None = None
) -> str:
    """'20260315-logements-vacants-centre-ville-courrier.csv' (at most 100 characters)."""
    today = today or timezone.localdate()
    slug = slugify(title)[:60].strip("-") or "logements"
    suffix = "-courrier" if purpose == ExportPurpose.MAILING else ""
    return f"{today:%Y%m%d}-{slug}{suffix}.{file_format}"
