"""LOVAC import runs and their reports."""

from django.conf import settings
from django.db import models
from django.utils import timezone

# Each run holds the advisory lock (RUN_LOCK_CLASS, its id) from the moment its row exists: the
# server releases it when the run's session ends, however it ends. A run still "running" whose
# lock nobody holds died without a word (killed, machine stopped).
RUN_LOCK_CLASS = 0x10FAD


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    IMPORTED = "imported", "Importé"
    REFUSED = "refused", "Refusé"
    DRY_RUN = "dry-run", "Simulation"
    FAILED = "failed", "Échec"
    INTERRUPTED = "interrupted", "Interrompu"


# The run's lock is held by some session of this database.
RUN_LOCK_HELD = f"""
    EXISTS (SELECT 1 FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = {RUN_LOCK_CLASS}::oid AND l.objid = lovac_importrun.id::oid)
"""  # noqa: S608 — constants only


class ImportRunQuerySet(models.QuerySet):
    def _with_lock_held(self):
        lock_held = models.expressions.RawSQL(RUN_LOCK_HELD, [], output_field=models.BooleanField())  # noqa: S611
        return self.alias(lock_held=lock_held)

    def dead(self):
        """Runs still marked running whose session is gone."""
        return self._with_lock_held().filter(status=ImportRunStatus.RUNNING, lock_held=False)

    def with_current_status(self):
        """`current_status`: the status, "interrupted" for a dead run not marked so yet."""
        return self._with_lock_held().annotate(
            current_status=models.Case(
                models.When(
                    status=ImportRunStatus.RUNNING,
                    lock_held=False,
                    then=models.Value(ImportRunStatus.INTERRUPTED),
                ),
                default=models.F("status"),
            )
        )


class ImportRun(models.Model):
    file_name = models.CharField("fichier", max_length=300)
    checksum = models.CharField("empreinte SHA-256", max_length=64)
    millesime = models.PositiveSmallIntegerField("millésime")
    status = models.CharField(
        "état", max_length=20, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING
    )
    counts = models.JSONField("compteurs", default=dict, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)
    report = models.TextField("rapport (CSV)", blank=True)
    started_at = models.DateTimeField("début", default=timezone.now)
    duration_seconds = models.FloatField("durée (s)", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        verbose_name = "import LOVAC"
        verbose_name_plural = "imports LOVAC"
        ordering = ["-started_at"]

    def __str__(self):
        return f"LOVAC {self.millesime} — {self.file_name} ({self.get_status_display()})"

    @property
    def current_status_label(self) -> str:
        """Label of `current_status` when annotated (`with_current_status`), else of the status."""
        return ImportRunStatus(getattr(self, "current_status", self.status)).label
