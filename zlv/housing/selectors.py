"""Reads of dwellings and owners shared by the list, the map, the API and exports."""

from django.db.models import Count, F, FilteredRelation, Q, QuerySet

from zlv.housing.enums import HousingStatus
from zlv.housing.filters import HousingFilters, apply_filters, order_by_sort
from zlv.housing.models import Housing


def with_primary_owner(queryset: QuerySet) -> QuerySet:
    """Join the primary owner (rank 1, at most one per dwelling, so rows are not multiplied)."""
    return queryset.annotate(
        primary_link=FilteredRelation("owner_links", condition=Q(owner_links__rank=1))
    ).annotate(primary_owner_id=F("primary_link__owner_id"), primary_owner_name=F("primary_link__owner__full_name"))


def filtered_housing(user, filters: HousingFilters) -> QuerySet:
    """The user's dwellings narrowed by the filters (unordered)."""
    return apply_filters(Housing.objects.visible_to(user), filters)


def housing_counts(queryset: QuerySet) -> dict:
    """Dwellings, distinct primary owners and dwellings per status, in one query."""
    aggregates = {
        "housing": Count("id"),
        "owners": Count("primary_link__owner_id", distinct=True),
        **{f"status_{status.value}": Count("id", filter=Q(status=status.value)) for status in HousingStatus},
    }
    row = (
        queryset.order_by()
        .annotate(primary_link=FilteredRelation("owner_links", condition=Q(owner_links__rank=1)))
        .aggregate(**aggregates)
    )
    return {
        "housing": row["housing"],
        "owners": row["owners"],
        "by_status": {status.value: row[f"status_{status.value}"] for status in HousingStatus},
    }


def housing_page(queryset: QuerySet, filters: HousingFilters) -> list[Housing]:
    """One page of the list, sorted, with the primary owner's id and name on each row."""
    ordered = order_by_sort(with_primary_owner(queryset), filters)
    start = (filters.page - 1) * filters.per_page
    return list(ordered[start : start + filters.per_page])
