"""LOVAC import runs and their reports."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", "En cours"
    IMPORTED = "imported", "Importé"
    REFUSED = "refused", "Refusé"
    DRY_RUN = "dry-run", "Simulation"
    FAILED = "failed", "Échec"


class ImportRun(models.Model):
    file_name = models.CharField("fichier", max_length=300)
    checksum = models.CharField("empreinte SHA-256", max_length=64)
    millesime = models.PositiveSmallIntegerField("millésime")
    status = models.CharField(
        "état", max_length=10, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING
    )
    counts = models.JSONField("compteurs", default=dict, blank=True)
    refusal_reason = models.TextField("motif du refus", blank=True)
    report = models.TextField("rapport (CSV)", blank=True)
    started_at = models.DateTimeField("début", default=timezone.now)
    duration_seconds = models.FloatField("durée (s)", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "import LOVAC"
        verbose_name_plural = "imports LOVAC"
        ordering = ["-started_at"]

    def __str__(self):
        return f"LOVAC {self.millesime} — {self.file_name} ({self.get_status_display()})"
