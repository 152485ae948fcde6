"""Mail campaigns of an establishment (DOMAIN §1.11, §3.8): a snapshot of a group's dwellings."""

from django.conf import settings
from django.db import models
from django.utils import timezone

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 2000


class Campaign(models.Model):
    """A campaign: the dwellings of a group copied when it was created, and the date letters went out.

    The lifecycle follows `sent_at` (no stored status): "Envoi en attente" while it is empty or in
    the future, "Envoyée" from that day on.
    """

    establishment = models.ForeignKey(
        "accounts.Establishment",
        on_delete=models.CASCADE,
        related_name="campaigns",
        db_index=False,
        verbose_name="structure",
    )
    group = models.ForeignKey(
        "teamwork.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
        verbose_name="groupe d’origine",
    )
    title = models.CharField("titre", max_length=TITLE_MAX_LENGTH)
    description = models.TextField("description", max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    sent_at = models.DateField("date d’envoi", null=True, blank=True)
    # When its "Non suivi" dwellings were moved to "En attente de retour" (once, when the sending
    # date came); cleared when the date is postponed, so the daily run flips them again later.
    flipped_at = models.DateTimeField("passage en attente de retour", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="créée par"
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)

    class Meta:
        verbose_name = "campagne"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(title=""),
                name="campaign_title_not_empty",
                violation_error_message="Le titre de la campagne est obligatoire.",
            ),
        ]
        indexes = [
            # The campaigns page, the list's campaign picker and column: an establishment's campaigns.
            models.Index(fields=["establishment", "-created_at"], name="campaign_establishment_idx"),
            # The daily run: campaigns whose sending date has come and whose dwellings wait a flip.
            models.Index(
                fields=["sent_at"], name="campaign_flip_due_idx", condition=models.Q(flipped_at__isnull=True)
            ),
        ]

    def __str__(self):
        return self.title

    def is_sent(self, today=None) -> bool:
        """Letters have gone out: the sending date is set and has come."""
        return self.sent_at is not None and self.sent_at <= (today or timezone.localdate())


class CampaignHousing(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="housing_links", db_index=False
    )
    housing = models.ForeignKey(
        "housing.Housing", on_delete=models.CASCADE, related_name="campaign_links", db_index=False
    )
    added_at = models.DateTimeField("ajouté le", default=timezone.now)

    class Meta:
        verbose_name = "destinataire d’une campagne"
        verbose_name_plural = "destinataires des campagnes"
        constraints = [
            # Also the index of "the dwellings of a campaign" (campaign page, counts, flips).
            models.UniqueConstraint(
                fields=["campaign", "housing"],
                name="campaign_housing_unique",
                violation_error_message="Ce logement est déjà dans cette campagne.",
            ),
        ]
        indexes = [
            # campaignIds / campaignCount filters (EXISTS per dwelling), the list's Campagnes column,
            # the campaigns of a dwelling on its record, "in another campaign?" checks.
            models.Index(fields=["housing", "campaign"], name="campaign_housing_housing_idx"),
        ]
