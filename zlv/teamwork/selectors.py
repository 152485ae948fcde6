"""Reads of groups, referents and export jobs, always through the user's active establishment.

A group, a referent or an export belongs to one establishment (DOMAIN §7): another establishment's
object is "not found", never "forbidden", so that its existence does not leak.
"""

import dataclasses

from django.db.models import Count, Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.http import Http404

from zlv.accounts.enums import Role
from zlv.accounts.models import Membership, User
from zlv.housing.filters import HousingFilters
from zlv.housing.models import Housing
from zlv.housing.selectors import filtered_housing
from zlv.teamwork.models import ExportJob, Group, GroupHousing, HousingReferent


class SelectionError(ValueError):
    """A selection that cannot be acted upon; `errors` maps a field (or "__all__") to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


def as_filters(filters_or_ids) -> HousingFilters:
    """A HousingFilters as is; an iterable of dwelling ids as the selection of exactly these ids."""
    if isinstance(filters_or_ids, HousingFilters):
        return filters_or_ids
    return HousingFilters(housing_ids=tuple(int(pk) for pk in filters_or_ids))


def check_selected_ids(user, filters: HousingFilters) -> None:
    """A dwelling picked by id outside the user's perimeter is a 404, as on the record page (and
    as in the bulk edit); excluded ids of an "all" selection need not be visible."""
    if filters.all_selected or not filters.housing_ids:
        return
    visible = Housing.objects.visible_to(user).filter(pk__in=filters.housing_ids).count()
    if visible != len(filters.housing_ids):
        raise Http404("Logement introuvable.")


def selected_housing(user, filters_or_ids) -> QuerySet:
    """The dwellings of a list selection (ids, or all matching the filters minus the excluded ids),
    within the user's perimeter; SelectionError when there is no valid selection, 404 when an id
    lies outside the perimeter."""
    filters = as_filters(filters_or_ids)
    if filters.errors:
        raise SelectionError({"__all__": "La sélection contient des filtres invalides."})
    if not filters.all_selected and not filters.housing_ids:
        raise SelectionError({"__all__": "Aucun logement sélectionné."})
    check_selected_ids(user, filters)
    return filtered_housing(user, filters)


def active_establishment_id(user) -> int | None:
    """The establishment the user works for, if they are still a member of it."""
    from zlv.accounts.selectors import membership_of

    membership = membership_of(user)
    return membership.establishment_id if membership else None


# ---- Groups ------------------------------------------------------------------------------------


def groups_of(user) -> QuerySet:
    """Active groups of the user's establishment, newest first (none without an establishment)."""
    establishment_id = active_establishment_id(user)
    if establishment_id is None:
        return Group.objects.none()
    return (
        Group.objects.active()
        .filter(establishment_id=establishment_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def group_for_user(user, group_id: int) -> Group:
    """An active group of the user's establishment, else 404 (archived and others' groups alike)."""
    group = groups_of(user).filter(pk=group_id).first()
    if group is None:
        raise Http404("Groupe introuvable.")
    return group


def group_housing(user, group: Group) -> QuerySet:
    """The dwellings of a group that lie in the user's perimeter (unordered)."""
    return Housing.objects.visible_to(user).filter(
        Exists(GroupHousing.objects.filter(group=group, housing=OuterRef("pk")))
    )


def group_counts(user, groups) -> dict[int, dict]:
    """{group id: {"housing": N, "owners": M}} for several groups in one query; owners are the
    distinct primary owners (rank 1) of the group's dwellings in the user's perimeter."""
    ids = [group.pk for group in groups]
    counts = {pk: {"housing": 0, "owners": 0} for pk in ids}
    if not ids:
        return counts
    rows = (
        GroupHousing.objects.filter(group_id__in=ids, housing__in=Housing.objects.visible_to(user))
        .annotate(
            primary_owner_link=FilteredRelation(
                "housing__owner_links", condition=Q(housing__owner_links__rank=1)
            )
        )
        .values("group_id")
        .annotate(housing=Count("housing_id"), owners=Count(F("primary_owner_link__owner_id"), distinct=True))
        .order_by()
    )
    for row in rows:
        counts[row["group_id"]] = {"housing": row["housing"], "owners": row["owners"]}
    return counts


# ---- Referents ---------------------------------------------------------------------------------


def referent_candidates(establishment_id: int) -> list[User]:
    """Members who may follow dwellings: the establishment's users and admins (not visitors)."""
    return list(
        User.objects.filter(
            memberships__establishment_id=establishment_id,
            memberships__role__in=[Role.USUAL, Role.ADMIN],
            is_active=True,
            is_system=False,
        ).order_by("last_name", "first_name", "email")
    )


def is_member(user_id: int, establishment_id: int) -> bool:
    return Membership.objects.filter(user_id=user_id, establishment_id=establishment_id).exists()


@dataclasses.dataclass
class HousingTeamwork:
    """What the record page shows of the teamwork on a dwelling."""

    referent: User | None
    groups: list[Group]


def housing_teamwork(user, housing: Housing) -> HousingTeamwork:
    """The referent and the active groups of a dwelling in the user's establishment (two queries)."""
    establishment_id = active_establishment_id(user)
    if establishment_id is None:
        return HousingTeamwork(referent=None, groups=[])
    link = (
        HousingReferent.objects.filter(establishment_id=establishment_id, housing=housing)
        .select_related("user")
        .first()
    )
    groups = list(
        Group.objects.active()
        .filter(establishment_id=establishment_id, housing_links__housing=housing)
        .order_by("title", "pk")
    )
    return HousingTeamwork(referent=link.user if link else None, groups=groups)


# ---- Exports -----------------------------------------------------------------------------------


def export_job_for_user(user, job_id: int) -> ExportJob:
    """An export of the user's active establishment that the user started, else 404."""
    job = ExportJob.objects.filter(
        pk=job_id, created_by=user, establishment_id=active_establishment_id(user)
    ).first()
    if job is None:
        raise Http404("Export introuvable.")
    return job
