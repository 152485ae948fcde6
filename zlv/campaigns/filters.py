"""Refinements of the dwellings filter model brought by campaigns (DOMAIN §2 #6):

- `campaignIds=<id>,<id>,null`: dwellings in any of these campaigns of the user's establishment,
  or (`null`) in none of its campaigns;
- `campaignCount=<n>`: dwellings in exactly n campaigns of the user's establishment.

They depend on the user, so `filtered_housing(user, filters)` applies them; this module only
imports models so that `zlv.housing.selectors` can import it without a cycle.
"""

from django.db.models import Count, Exists, OuterRef, Q

from zlv.campaigns.models import CampaignHousing

NO_CAMPAIGN = "null"


def _links(establishment_id):
    return CampaignHousing.objects.filter(campaign__establishment_id=establishment_id)


def _in_no_campaign(establishment_id) -> Q:
    return ~Q(Exists(_links(establishment_id).filter(housing=OuterRef("pk"))))


def campaign_filter(establishment_id, campaign_ids) -> Q:
    """Dwellings in any of these campaigns (others' ids match nothing) or, for "null", in none."""
    ids = [pk for pk in campaign_ids if pk != NO_CAMPAIGN]
    condition = Q(pk__in=[])
    if ids:
        condition |= Q(Exists(_links(establishment_id).filter(housing=OuterRef("pk"), campaign_id__in=ids)))
    if NO_CAMPAIGN in campaign_ids:
        condition |= _in_no_campaign(establishment_id)
    return condition


def campaign_count_filter(establishment_id, counts) -> Q:
    """Dwellings in exactly one of these numbers of the establishment's campaigns.

    The counts are grouped once over the establishment's links (a semi-join), not counted again
    for each dwelling of the perimeter.
    """
    condition = Q(pk__in=[])
    positive = [count for count in counts if count > 0]
    if positive:
        per_housing = (
            _links(establishment_id)
            .values("housing_id")
            .annotate(count=Count("*"))
            .filter(count__in=positive)
            .values("housing_id")
        )
        condition |= Q(pk__in=per_housing)
    if 0 in counts:
        condition |= _in_no_campaign(establishment_id)
    return condition


def campaigns_filter(user, filters) -> Q:
    """The Q of `campaignIds` and `campaignCount` (an empty Q when neither is set)."""
    from zlv.teamwork.selectors import active_establishment_id

    condition = Q()
    if not (filters.campaign_ids or filters.campaign_counts):
        return condition
    establishment_id = active_establishment_id(user)
    if filters.campaign_ids:
        condition &= campaign_filter(establishment_id, filters.campaign_ids)
    if filters.campaign_counts:
        condition &= campaign_count_filter(establishment_id, filters.campaign_counts)
    return condition
