"""Shared tracking tables of an establishment: groups of dwellings, referent agents, export jobs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from zlv.teamwork.enums import ExportFormat, ExportPurpose, ExportStatus
from zlv.utils.jobs import job_is_stuck

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class GroupQuerySet(models.QuerySet):
    def active(self):
        """Groups not archived (archived groups are kept for their campaigns but never shown)."""
        return self.filter(archived_at__isnull=True)


class Group(models.Model):
    """A saved selection of dwellings of one establishment (groupe de logements, DOMAIN §3.7)."""

    establishment = models.ForeignKey(
        "accounts.Establishment", on_delete=models.CASCADE, related_name="groups", verbose_name="structure"
    )
    title = models.CharField("titre", max_length=TITLE_MAX_LENGTH)
    description = models.TextField("description", max_length=DESCRIPTION_MAX_LENGTH)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="créé par"
    )
    created_at = models.DateTimeField("créé le", default=timezone.now)
    archived_at = models.DateTimeField("archivé le", null=True, blank=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        verbose_name = "groupe de logements"
        verbose_name_plural = "groupes de logements"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(title=""),
                name="group_title_not_empty",
                violation_error_message="Le titre du groupe est obligatoire.",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class GroupHousing(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="housing_links", db_index=False)
    housing = models.ForeignKey(
        "housing.Housing", on_delete=models.CASCADE, related_name="group_links", db_index=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="ajouté par"
    )
    added_at = models.DateTimeField("ajouté le", default=timezone.now)

    class Meta:
        verbose_name = "logement d’un groupe"
        verbose_name_plural = "logements des groupes"
        constraints = [
            # Also the index of "the dwellings of a group" (group page, exports, counts).
            models.UniqueConstraint(
                fields=["group", "housing"],
                name="group_housing_unique",
                violation_error_message="Ce logement est déjà dans ce groupe.",
            ),
        ]
        indexes = [
            # groupIds filter (EXISTS per dwelling) and the groups of a dwelling on its record page.
            models.Index(fields=["housing", "group"], name="group_housing_housing_idx"),
        ]


class HousingReferent(models.Model):
    """The agent of an establishment who follows a dwelling (one per dwelling and establishment)."""

    establishment = models.ForeignKey(
        "accounts.Establishment",
        on_delete=models.CASCADE,
        related_name="housing_referents",
        db_index=False,
        verbose_name="structure",
    )
    housing = models.ForeignKey(
        "housing.Housing", on_delete=models.CASCADE, related_name="referents", verbose_name="logement"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="désigné par"
    )
    assigned_at = models.DateTimeField("désigné le", default=timezone.now)

    class Meta:
        verbose_name = "agent référent"
        verbose_name_plural = "agents référents"
        constraints = [
            # Also the index of the upsert and of "the referent of this dwelling here".
            models.UniqueConstraint(
                fields=["establishment", "housing"],
                name="housing_referent_unique",
                violation_error_message="Ce logement a déjà un agent référent dans cette structure.",
            ),
        ]
        indexes = [
            # "Mes logements" (referents=me): the dwellings an agent follows in an establishment.
            models.Index(fields=["user", "establishment"], name="housing_referent_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} → logement {self.housing_id}"


class ExportJob(models.Model):
    """An XLSX export too large for a request, written by the task worker under MEDIA_ROOT/exports/.

    `filters` is the selection's query string (as a dict), re-evaluated in the creator's perimeter when
    the job runs; `group` narrows it to a group's dwellings.
    """

    establishment = models.ForeignKey(
        "accounts.Establishment", on_delete=models.CASCADE, related_name="export_jobs"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filters = models.JSONField("filtres et sélection", default=dict, blank=True)
    file_format = models.CharField(
        "format", max_length=4, choices=ExportFormat.choices, default=ExportFormat.XLSX
    )
    purpose = models.CharField(
        "usage", max_length=10, choices=ExportPurpose.choices, default=ExportPurpose.DATA
    )
    status = models.CharField(
        "état", max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField("nombre de logements", default=0)
    done = models.PositiveIntegerField("logements écrits", default=0)
    excluded_without_owner = models.PositiveIntegerField("exclus sans destinataire principal", default=0)
    excluded_do_not_contact = models.PositiveIntegerField("exclus « ne pas contacter »", default=0)
    file = models.FileField("fichier", upload_to="exports/", blank=True)
    file_name = models.CharField("nom du fichier téléchargé", max_length=120)
    error = models.TextField("erreur", blank=True)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    # Set when the worker starts and at each chunk: a running job whose value is old is stuck.
    progress_at = models.DateTimeField("dernière progression", null=True, blank=True)
    finished_at = models.DateTimeField("terminé le", null=True, blank=True)

    class Meta:
        verbose_name = "export"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.SUCCEEDED, ExportStatus.FAILED)

    @property
    def is_stuck(self) -> bool:
        """Waiting or running without progress for too long: no worker took it, or its worker died."""
        return job_is_stuck(
            pending=self.status == ExportStatus.PENDING,
            running=self.status == ExportStatus.RUNNING,
            created_at=self.created_at,
            progress_at=self.progress_at,
        )

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.done / self.total))
