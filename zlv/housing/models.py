"""Dwellings, owners, their rights, buildings, précisions, notes, documents and the history of changes."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import ExtractYear
from django.utils import timezone

from zlv.housing.enums import (
    CadastralClassification,
    DataSource,
    EnergyClass,
    EventKind,
    HousingKind,
    HousingStatus,
    Occupancy,
    OwnerKind,
    OwnerRank,
    PrecisionCategory,
    PropertyRight,
)
from zlv.housing.search import address_search_expression
from zlv.utils.jobs import job_is_stuck


def perimeter_codes(user) -> list[str]:
    """INSEE codes of the communes of the user's active establishment, if the user is a member.

    Read once per request (memoized on the user object) and given to queries as a list: with a
    list, PostgreSQL reads the perimeter's index ranges only, where a sub-select let it merge-join
    the index of the whole country.
    """
    from zlv.accounts.models import Establishment

    establishment_id = getattr(user, "active_establishment_id", None)
    if not user.is_authenticated or establishment_id is None:
        return []
    cached = getattr(user, "_perimeter_codes_cache", None)
    if cached is not None and cached[0] == establishment_id:
        return cached[1]
    codes = list(
        Establishment.communes.through.objects.filter(
            establishment_id=establishment_id, establishment__memberships__user=user
        )
        .order_by("commune_id")
        .values_list("commune_id", flat=True)
    )
    user._perimeter_codes_cache = (establishment_id, codes)
    return codes


class HousingQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The single access path to dwellings: those of the user's active establishment perimeter."""
        return self.filter(geo_code__in=perimeter_codes(user))


class Building(models.Model):
    id = models.CharField("identifiant du bâtiment (FF idbat)", max_length=20, primary_key=True)
    housing_count = models.PositiveIntegerField("nombre de logements", default=0)
    vacant_housing_count = models.PositiveIntegerField("nombre de logements vacants", default=0)

    class Meta:
        verbose_name = "bâtiment"

    def __str__(self):
        return self.id

    @property
    def vacancy_rate(self) -> int | None:
        if not self.housing_count:
            return None
        return round(100 * self.vacant_housing_count / self.housing_count)


class Housing(models.Model):
    local_id = models.CharField("identifiant fiscal national", max_length=12)
    invariant = models.CharField("identifiant fiscal départemental", max_length=20, blank=True)
    geo_code = models.CharField("code INSEE de la commune", max_length=5)
    address_dgfip = models.CharField("adresse DGFiP", max_length=300, blank=True)
    # The address as the search compares it (upper case, no accents, abbreviations spelt out),
    # kept by PostgreSQL.
    address_search = models.GeneratedField(
        expression=address_search_expression("address_dgfip"),
        output_field=models.TextField(),
        db_persist=True,
    )
    ban_address = models.CharField("adresse BAN", max_length=300, blank=True)
    ban_id = models.CharField("identifiant BAN", max_length=50, blank=True)
    ban_score = models.FloatField("fiabilité de l'adresse BAN", null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    cadastral_classification = models.SmallIntegerField(
        "classement cadastral", choices=CadastralClassification.choices, null=True, blank=True
    )
    cadastral_reference = models.CharField("section cadastrale", max_length=20, blank=True)
    plot_id = models.CharField("parcelle", max_length=20, blank=True)
    plot_area = models.IntegerField("surface de la parcelle (m²)", null=True, blank=True)
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        db_constraint=False,
        # Indexed in Meta: the automatic FK index would come with a useless LIKE twin.
        db_index=False,
        related_name="housings",
    )
    building_year = models.SmallIntegerField("année de construction", null=True, blank=True)
    uncomfortable = models.BooleanField("inconfortable", null=True, blank=True)
    vacancy_start_year = models.SmallIntegerField("année de début de vacance", null=True, blank=True)
    housing_kind = models.CharField("type de logement", max_length=6, choices=HousingKind.choices)
    rooms_count = models.SmallIntegerField("nombre de pièces", null=True, blank=True)
    living_area = models.IntegerField("surface habitable (m²)", null=True, blank=True)
    taxed = models.BooleanField("soumis à la taxe sur les logements vacants", null=True, blank=True)
    rental_value = models.IntegerField("valeur locative cadastrale (€)", null=True, blank=True)
    beneficiary_count = models.SmallIntegerField("nombre de titulaires de droits", null=True, blank=True)
    condominium = models.CharField("type de propriété (FF ctpdl)", max_length=5, blank=True)
    last_mutation_year = models.SmallIntegerField("année de dernière mutation", null=True, blank=True)
    last_transaction_date = models.DateField("date de dernière vente", null=True, blank=True)
    last_transaction_value = models.BigIntegerField("prix de dernière vente (€)", null=True, blank=True)
    # A sale is a transfer with a DVF price in its year; any other known transfer is a donation.
    # Computed by PostgreSQL on every write, so the filter reads a plain column.
    last_mutation_type = models.GeneratedField(
        expression=models.Case(
            models.When(
                models.Q(
                    last_transaction_date__isnull=False,
                    last_mutation_year=ExtractYear("last_transaction_date"),
                ),
                then=models.Value("sale"),
            ),
            models.When(last_mutation_year__isnull=False, then=models.Value("donation")),
            default=None,
        ),
        output_field=models.CharField("type de dernière mutation", max_length=8, null=True),
        db_persist=True,
    )
    occupancy_source = models.CharField("occupation d'origine (FF ccthp)", max_length=7, blank=True)

    # Provenance: "lovac-2025", "lovac-2026"… — the files this dwelling was imported from.
    data_file_years = ArrayField(models.CharField(max_length=30), default=list, blank=True)
    data_source = models.CharField(
        "source", max_length=20, choices=DataSource.choices, default=DataSource.LOVAC
    )

    # Follow-up, entered by agents (never overwritten by an import).
    status = models.SmallIntegerField("statut de suivi", choices=HousingStatus.choices, default=0)
    sub_status = models.CharField("sous-statut", max_length=100, blank=True)
    occupancy = models.CharField(
        "occupation", max_length=7, choices=Occupancy.choices, default=Occupancy.VACANT
    )
    occupancy_intended = models.CharField(
        "occupation prévisionnelle", max_length=7, choices=Occupancy.choices, blank=True
    )
    actual_dpe = models.CharField(
        "étiquette DPE renseignée", max_length=1, choices=EnergyClass.choices, blank=True
    )
    precisions = models.ManyToManyField(
        "Precision", through="HousingPrecision", related_name="housings", blank=True
    )
    # Copies of the dwelling's rights (see zlv/housing/primary_owner.py), so that the list's counts
    # and owner filters read the dwelling row alone: the rank-1 owner with the owner fields the
    # filters use, the location of that right, and the number of active owners (rank >= 1).
    primary_owner = models.ForeignKey(
        "Owner", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    primary_owner_kind = models.CharField(
        "type du destinataire principal", max_length=20, choices=OwnerKind.choices, blank=True
    )
    primary_owner_birth_date = models.DateField("naissance du destinataire principal", null=True, blank=True)
    primary_owner_multi = models.BooleanField("destinataire principal multi-propriétaire", default=False)
    primary_owner_location = models.SmallIntegerField(
        "localisation du destinataire principal (FF)", null=True, blank=True
    )
    owner_count = models.SmallIntegerField("nombre de propriétaires actuels", default=0)
    # The primary owner's name as the search compares it (upper case, no accents).
    primary_owner_search_name = models.CharField(
        "nom du destinataire principal (recherche)", max_length=300, blank=True
    )

    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("mis à jour le", default=timezone.now)

    objects = HousingQuerySet.as_manager()

    class Meta:
        verbose_name = "logement"
        constraints = [
            models.UniqueConstraint(
                fields=["geo_code", "local_id"],
                name="housing_unique_local_id",
                violation_error_message="Ce logement existe déjà dans cette commune.",
            ),
            models.CheckConstraint(
                condition=models.Q(status__gte=0, status__lte=5),
                name="housing_status_valid",
                violation_error_message="Statut de suivi inconnu.",
            ),
        ]
        indexes = [
            # visible_to() + counts: dwellings by status and distinct primary owners of a perimeter,
            # read from this index alone (index-only scan), also under the default source filter
            # (the latest millésime) and the occupancy filter. `id` lets the filters that join on
            # the dwelling (campaigns, groups, précisions, périmètres) stay index-only too.
            models.Index(
                fields=["geo_code", "status", "primary_owner"],
                include=["data_file_years", "occupancy", "id"],
                name="housing_scope_counts_idx",
            ),
            # search by pasted national fiscal ids.
            models.Index(fields=["local_id"], name="housing_local_id_idx"),
            # free-text search: one index-only pass over the perimeter matches identifiers,
            # addresses and primary owners' names at once.
            models.Index(
                fields=["geo_code"],
                include=[
                    "id",
                    "primary_owner",
                    "local_id",
                    "invariant",
                    "cadastral_reference",
                    "plot_id",
                    "address_search",
                    "primary_owner_search_name",
                ],
                name="housing_search_idx",
            ),
            # owner-name search (owners found by name → their dwellings), an owner's dwellings.
            models.Index(
                fields=["primary_owner"],
                name="housing_primary_owner_idx",
                condition=models.Q(primary_owner__isnull=False),
            ),
            # building card and building filters (housings of a building).
            models.Index(
                fields=["building"], name="housing_building_idx", condition=models.Q(building__isnull=False)
            ),
        ]

    def __str__(self):
        return self.address_dgfip or self.local_id

    @property
    def display_address(self) -> str:
        """The address shown in tables: the tax address, else the BAN one, else the national id."""
        return self.address_dgfip or self.ban_address or self.local_id

    @property
    def department_code(self) -> str:
        return self.local_id[:2]

    @property
    def vacancy_years(self) -> int | None:
        if self.vacancy_start_year is None:
            return None
        return timezone.now().year - self.vacancy_start_year

    @property
    def provenance_label(self) -> str:
        years = sorted(tag.removeprefix("lovac-") for tag in self.data_file_years if tag.startswith("lovac-"))
        return f"LOVAC ({', '.join(years)})" if years else ""


def postal_address_label(line: str | None, postal_code: str | None, city: str | None) -> str:
    """One line for a postal address (also used by exports, which read the columns, not owners)."""
    if not line:
        return ""
    return f"{line}, {postal_code} {city}".strip()


def mailing_address_label(
    *, line: str | None, postal_code: str | None, city: str | None, fiscal: str | None
) -> str:
    """Where a letter goes: the postal address an agent typed, else the fiscal (DGFiP) one."""
    return postal_address_label(line, postal_code, city) or fiscal or ""


class Owner(models.Model):
    # Unique through Meta.constraints (no LIKE twin index): the import matches owners on it.
    # NULL, not "", for owners without a DGFiP id, so that uniqueness ignores them.
    idpersonne = models.CharField("identifiant personne (FF)", max_length=8, null=True, blank=True)  # noqa: DJ001
    full_name = models.CharField("nom complet", max_length=300)
    birth_date = models.DateField("date de naissance", null=True, blank=True)
    address_dgfip = models.CharField("adresse DGFiP", max_length=500, blank=True)
    # Postal address typed by an agent (where letters reach the owner), kept apart from the fiscal
    # one: the LOVAC import never writes it. Database defaults: the import's INSERT does not list it.
    postal_address_line = models.CharField(
        "numéro et voie (adresse postale)", max_length=300, blank=True, default="", db_default=""
    )
    postal_code = models.CharField("code postal", max_length=5, blank=True, default="", db_default="")
    postal_city = models.CharField(
        "commune (adresse postale)", max_length=100, blank=True, default="", db_default=""
    )
    additional_address = models.CharField("complément d'adresse", max_length=300, blank=True)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    siren = models.CharField("SIREN", max_length=9, blank=True)
    kind = models.CharField("type de propriétaire", max_length=20, choices=OwnerKind.choices, blank=True)
    data_source = models.CharField("source", max_length=30, blank=True)
    is_multi_owner = models.BooleanField("multi-propriétaire", default=False)
    do_not_contact = models.BooleanField("ne pas contacter", default=False)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    updated_at = models.DateTimeField("mis à jour le", default=timezone.now)

    class Meta:
        verbose_name = "propriétaire"
        constraints = [
            models.UniqueConstraint(
                fields=["idpersonne"],
                name="owner_unique_idpersonne",
                violation_error_message="Un propriétaire porte déjà cet identifiant personne.",
            ),
            models.CheckConstraint(
                condition=models.Q(postal_code="") | models.Q(postal_code__regex=r"^[0-9]{5}$"),
                name="owner_postal_code_valid",
                violation_error_message="Le code postal doit comporter 5 chiffres.",
            ),
            # All three parts of the postal address, or none.
            models.CheckConstraint(
                condition=models.Q(postal_address_line="", postal_code="", postal_city="")
                | (~models.Q(postal_address_line="") & ~models.Q(postal_code="") & ~models.Q(postal_city="")),
                name="owner_postal_address_complete",
                violation_error_message=(
                    "L'adresse postale doit comporter la voie, le code postal et la commune."
                ),
            ),
        ]

    def __str__(self):
        return self.full_name

    @property
    def postal_address(self) -> str:
        """'12 rue de la Paix, 59500 Douai', or "" when none was typed."""
        return postal_address_label(self.postal_address_line, self.postal_code, self.postal_city)

    @property
    def mailing_address(self) -> str:
        return mailing_address_label(
            line=self.postal_address_line,
            postal_code=self.postal_code,
            city=self.postal_city,
            fiscal=self.address_dgfip,
        )

    @property
    def display_name(self) -> str:
        """'DUPONT/JEAN MARIE' as written in the Fichiers fonciers → 'DUPONT Jean Marie'."""
        surname, _, first_names = self.full_name.partition("/")
        if not first_names:
            return self.full_name
        return f"{surname} {first_names.title()}".strip()


class HousingOwner(models.Model):
    # No single-column FK indexes: (housing, owner) and (owner, rank) below serve those lookups.
    housing = models.ForeignKey(Housing, on_delete=models.CASCADE, related_name="owner_links", db_index=False)
    owner = models.ForeignKey(Owner, on_delete=models.CASCADE, related_name="housing_links", db_index=False)
    rank = models.SmallIntegerField("rang", choices=OwnerRank.choices)
    idprocpte = models.CharField("compte propriétaire", max_length=11, blank=True)
    idprodroit = models.CharField("identifiant du droit", max_length=13, blank=True)
    property_right = models.CharField(
        "nature du droit", max_length=20, choices=PropertyRight.choices, blank=True
    )
    locprop_source = models.SmallIntegerField("localisation du propriétaire (FF)", null=True, blank=True)
    start_date = models.DateTimeField("depuis le", default=timezone.now)
    end_date = models.DateTimeField("jusqu'au", null=True, blank=True)
    # What the last LOVAC file covering the dwelling said of this right: its rank there (1–6),
    # 0 once a file stopped listing it, NULL for a right entered by hand and not yet in a file.
    # The import compares the next file with it, not with `rank`, which agents edit: it changes
    # a right only where the file itself changed (docs/import-lovac.md).
    source_rank = models.SmallIntegerField("rang dans le dernier fichier LOVAC", null=True, blank=True)

    class Meta:
        verbose_name = "droit de propriété"
        constraints = [
            models.UniqueConstraint(
                fields=["housing", "owner"],
                name="housing_owner_unique",
                violation_error_message="Ce propriétaire est déjà rattaché à ce logement.",
            ),
            # Exactly one primary owner per dwelling.
            models.UniqueConstraint(
                fields=["housing"],
                condition=models.Q(rank=1),
                name="housing_single_primary_owner",
                violation_error_message="Un logement n'a qu'un destinataire principal.",
            ),
        ]
        indexes = [
            # owner record: all dwellings of an owner; multi-owner computation.
            models.Index(fields=["owner", "rank"], name="housing_owner_owner_rank_idx"),
        ]


class Precision(models.Model):
    category = models.CharField("catégorie", max_length=30, choices=PrecisionCategory.choices)
    label = models.CharField("libellé", max_length=150)
    order = models.PositiveSmallIntegerField("ordre", default=0)

    class Meta:
        verbose_name = "précision"
        ordering = ["category", "order"]
        constraints = [models.UniqueConstraint(fields=["category", "label"], name="precision_unique")]

    def __str__(self):
        return f"{self.get_category_display()} : {self.label}"


class HousingPrecision(models.Model):
    housing = models.ForeignKey(Housing, on_delete=models.CASCADE)
    precision = models.ForeignKey(Precision, on_delete=models.CASCADE)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["housing", "precision"], name="housing_precision_unique")
        ]


class Event(models.Model):
    """One change in the life of a dwelling or an owner: immutable, always attributed."""

    kind = models.CharField("type", max_length=40, choices=EventKind.choices)
    # No single-column FK indexes: the two indexes in Meta start with these columns.
    housing = models.ForeignKey(
        Housing, null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    owner = models.ForeignKey(
        Owner, null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    old = models.JSONField("ancienne valeur", null=True, blank=True)
    new = models.JSONField("nouvelle valeur", null=True, blank=True)
    created_at = models.DateTimeField("le", default=timezone.now)
    # Not indexed: an import writes a million events, and nothing lists events by author or run
    # (deleting a user or a run, which would scan, does not happen in normal use).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    import_run = models.ForeignKey(
        "lovac.ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        db_index=False,
    )
    document = models.ForeignKey(
        "Document", null=True, blank=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )

    class Meta:
        verbose_name = "événement"
        indexes = [
            # history timeline of a dwelling; "last change was automatic?" check at import.
            models.Index(fields=["housing", "kind", "-created_at"], name="event_housing_kind_idx"),
            # history of an owner (most events are a dwelling's).
            models.Index(
                fields=["owner", "-created_at"],
                name="event_owner_idx",
                condition=models.Q(owner__isnull=False),
            ),
            # history of a document (most events have none).
            models.Index(
                fields=["document", "-created_at"],
                name="event_document_idx",
                condition=models.Q(document__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%d/%m/%Y})"


class Note(models.Model):
    housing = models.ForeignKey(
        Housing, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    owner = models.ForeignKey(Owner, null=True, blank=True, on_delete=models.CASCADE, related_name="notes")
    content = models.TextField("contenu")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("créée le", default=timezone.now)
    updated_at = models.DateTimeField("modifiée le", default=timezone.now)
    deleted_at = models.DateTimeField("supprimée le", null=True, blank=True)

    class Meta:
        verbose_name = "note"
        ordering = ["-created_at"]


class BulkUpdateJobStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Terminée"
    FAILED = "failed", "Échouée"


class BulkUpdateJob(models.Model):
    """A bulk edit of more dwellings than a request should handle, run by the task worker.

    `filters` is the list's query string (as a dict) the selection was made with, re-evaluated in the
    user's perimeter when the job runs; `changes` holds the service's keyword arguments.
    """

    establishment = models.ForeignKey(
        "accounts.Establishment", on_delete=models.CASCADE, related_name="bulk_update_jobs"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField("filtres et sélection", default=dict)
    changes = models.JSONField("modifications", default=dict)
    total = models.PositiveIntegerField("nombre de logements", default=0)
    done = models.PositiveIntegerField("logements traités", default=0)
    status = models.CharField(
        "état", max_length=10, choices=BulkUpdateJobStatus.choices, default=BulkUpdateJobStatus.PENDING
    )
    error = models.TextField("erreur", blank=True)
    created_at = models.DateTimeField("créée le", default=timezone.now)
    # Set when the worker starts and at each chunk: a running job whose value is old is stuck.
    progress_at = models.DateTimeField("dernière progression", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)

    class Meta:
        verbose_name = "édition groupée"
        verbose_name_plural = "éditions groupées"

    def __str__(self):
        return f"Édition groupée de {self.total} logements ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (BulkUpdateJobStatus.SUCCEEDED, BulkUpdateJobStatus.FAILED)

    @property
    def is_stuck(self) -> bool:
        """Waiting or running without progress for too long: no worker took it, or its worker died."""
        return job_is_stuck(
            pending=self.status == BulkUpdateJobStatus.PENDING,
            running=self.status == BulkUpdateJobStatus.RUNNING,
            created_at=self.created_at,
            progress_at=self.progress_at,
        )

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.done / self.total))


def document_storage_name(document, filename: str) -> str:
    """documents/<establishment>/<uuid>: the stored name never carries the user's file name."""
    return f"documents/{document.establishment_id}/{uuid.uuid4().hex}"


class Document(models.Model):
    """A file of an establishment (photo, letter, deed…), attached to some of its dwellings.

    Served only through the download view, which checks the establishment and the dwelling;
    `content_type` is the one detected from the bytes at upload, never the browser's claim.
    """

    establishment = models.ForeignKey(
        "accounts.Establishment", on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField("fichier", upload_to=document_storage_name, max_length=200)
    filename = models.CharField("nom du fichier", max_length=255)
    content_type = models.CharField("type de contenu", max_length=100)
    size_bytes = models.PositiveBigIntegerField("taille (octets)")
    housings = models.ManyToManyField(Housing, through="HousingDocument", related_name="documents")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("ajouté le", default=timezone.now)
    deleted_at = models.DateTimeField("supprimé le", null=True, blank=True)

    class Meta:
        verbose_name = "document"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(filename=""),
                name="document_filename_not_empty",
                violation_error_message="Le nom du document est obligatoire.",
            ),
        ]

    def __str__(self):
        return self.filename

    @property
    def is_image_previewable(self) -> bool:
        """Images shown in the page: those browsers draw, and HEIC through a JPEG copy."""
        return self.content_type in ("image/jpeg", "image/png", "image/webp", "image/heic")

    @property
    def has_converted_preview(self) -> bool:
        """Previewed through a JPEG copy (browsers do not draw HEIC); downloaded as sent."""
        return self.content_type == "image/heic"

    @property
    def is_pdf(self) -> bool:
        return self.content_type == "application/pdf"

    @property
    def extension(self) -> str:
        _, dot, extension = self.filename.rpartition(".")
        return extension.lower() if dot else ""


class HousingDocument(models.Model):
    # No single-column index on document: the unique (document, housing) pair starts with it.
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="housing_links", db_index=False
    )
    housing = models.ForeignKey(
        Housing, on_delete=models.CASCADE, related_name="document_links", db_index=False
    )
    created_at = models.DateTimeField("rattaché le", default=timezone.now)

    class Meta:
        verbose_name = "document d'un logement"
        constraints = [
            models.UniqueConstraint(
                fields=["document", "housing"],
                name="housing_document_unique",
                violation_error_message="Ce document est déjà rattaché à ce logement.",
            ),
        ]
        indexes = [
            # "Documents" tab of the record page: the documents of one dwelling.
            models.Index(fields=["housing"], name="housing_document_housing_idx"),
        ]
