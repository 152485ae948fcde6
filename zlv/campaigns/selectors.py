"""Reads of campaigns, always through the user's active establishment (DOMAIN §3.8, §7).

Another establishment's campaign is "not found", never "forbidden". Counts only cover the
dwellings of the campaign that lie in the reader's perimeter.
"""

import dataclasses
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from zlv.campaigns.models import Campaign, CampaignHousing
from zlv.housing.enums import EventKind, HousingStatus
from zlv.housing.models import Event, Housing, perimeter_codes
from zlv.teamwork.selectors import active_establishment_id

# A dwelling "answered" when it reached one of these statuses after the letters went out.
RETURN_STATUSES = [
    HousingStatus.FIRST_CONTACT,
    HousingStatus.IN_PROGRESS,
    HousingStatus.COMPLETED,
    HousingStatus.BLOCKED,
]
RETURN_EVENT_KINDS = [EventKind.HOUSING_STATUS_UPDATED, EventKind.HOUSING_OCCUPANCY_UPDATED]


def campaigns_of(user) -> QuerySet:
    """Campaigns of the user's active establishment, newest first (none without an establishment)."""
    establishment_id = active_establishment_id(user)
    if establishment_id is None:
        return Campaign.objects.none()
    return (
        Campaign.objects.filter(establishment_id=establishment_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def campaign_for_user(user, campaign_id: int) -> Campaign:
    """A campaign of the user's active establishment, else 404."""
    campaign = campaigns_of(user).filter(pk=campaign_id).first()
    if campaign is None:
        raise Http404("Campagne introuvable.")
    return campaign


def campaign_housing(user, campaign: Campaign) -> QuerySet:
    """The dwellings of a campaign that lie in the user's perimeter (unordered).

    A join, not EXISTS (a dwelling is at most once in a campaign): ordered by id, a page of
    recipients then walks the campaign's (campaign, housing) index instead of the perimeter.
    """
    return Housing.objects.visible_to(user).filter(campaign_links__campaign=campaign)


@dataclasses.dataclass(frozen=True)
class CampaignStats:
    housing: int = 0
    owners: int = 0  # distinct primary owners
    returns: int = 0  # dwellings followed up (status 2–5, changed since the sending date)
    sent: bool = False

    @property
    def return_rate(self) -> float | None:
        """Share of dwellings that answered, in percent; None before the letters went out."""
        if not self.sent or not self.housing:
            return None
        return 100 * self.returns / self.housing


def campaign_stats(user, campaigns) -> dict[int, CampaignStats]:
    """{campaign id: CampaignStats} for several campaigns, in one query."""
    campaigns = list(campaigns)
    stats = {campaign.pk: CampaignStats(sent=campaign.is_sent()) for campaign in campaigns}
    if not campaigns:
        return stats
    answered = Exists(
        Event.objects.filter(
            housing_id=OuterRef("housing_id"),
            kind__in=RETURN_EVENT_KINDS,
            created_at__date__gte=OuterRef("campaign__sent_at"),
        )
    )
    rows = (
        # The perimeter as a condition on the joined dwelling (not `housing__in=visible_to`): PostgreSQL
        # then reads the campaigns' dwellings by id instead of scanning the whole perimeter.
        CampaignHousing.objects.filter(
            campaign_id__in=list(stats), housing__geo_code__in=perimeter_codes(user)
        )
        .values("campaign_id")
        .annotate(
            housing_count=Count("housing_id"),
            owner_count=Count("housing__primary_owner", distinct=True),
            return_count=Count(
                "housing_id",
                filter=Q(housing__status__in=RETURN_STATUSES, campaign__sent_at__isnull=False) & Q(answered),
            ),
        )
        .order_by()
    )
    for row in rows:
        pk = row["campaign_id"]
        stats[pk] = dataclasses.replace(
            stats[pk], housing=row["housing_count"], owners=row["owner_count"], returns=row["return_count"]
        )
    return stats


def campaigns_by_housing(user, housing_ids) -> dict[int, list[Campaign]]:
    """{dwelling id: its campaigns in the user's establishment, oldest first}, in one query."""
    establishment_id = active_establishment_id(user)
    by_housing: dict[int, list[Campaign]] = defaultdict(list)
    ids = list(housing_ids)
    if establishment_id is None or not ids:
        return by_housing
    links = (
        CampaignHousing.objects.filter(housing_id__in=ids, campaign__establishment_id=establishment_id)
        .select_related("campaign")
        .only("housing_id", "campaign__id", "campaign__title", "campaign__sent_at", "campaign__created_at")
        .order_by("campaign__created_at", "campaign_id")
    )
    for link in links:
        by_housing[link.housing_id].append(link.campaign)
    return by_housing
