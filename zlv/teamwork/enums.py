"""Codes and French labels of groups, referents and exports."""

from django.db import models


class ExportStatus(models.TextChoices):
    PENDING = "pending", "En attente"
    RUNNING = "running", "En cours"
    SUCCEEDED = "succeeded", "Prêt"
    FAILED = "failed", "Échoué"


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"


class ExportPurpose(models.TextChoices):
    """`data`: every selected dwelling; `mailing` (?purpose=courrier): only those a letter can reach."""

    DATA = "donnees", "Export des données"
    MAILING = "courrier", "Export pour un courrier"
