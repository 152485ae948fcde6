"""Refinements of the dwellings filter model brought by the teamwork app (DOMAIN §2):

- `groupIds=<id>,<id>`: dwellings in any of these active groups of the user's establishment;
- `referents=me` ("Mes logements"): dwellings whose referent in the active establishment is the user.

They depend on the user, so they are applied by `filtered_housing(user, filters)`; this module only
imports models so that `zlv.housing.selectors` can import it without a cycle.
"""

from django.db.models import Exists, OuterRef, Q

from zlv.teamwork.models import GroupHousing, HousingReferent

REFERENTS_ME = "me"


def _establishment_id(user) -> int | None:
    from zlv.accounts.selectors import membership_of

    membership = membership_of(user)
    return membership.establishment_id if membership else None


def group_filter(user, group_ids) -> Q:
    """Dwellings in any of these active groups of the user's establishment (others' ids match nothing)."""
    return Q(
        Exists(
            GroupHousing.objects.filter(
                housing=OuterRef("pk"),
                group_id__in=list(group_ids),
                group__establishment_id=_establishment_id(user),
                group__archived_at__isnull=True,
            )
        )
    )


def referents_me_filter(user) -> Q:
    """ "Mes logements": dwellings whose referent in the user's active establishment is the user."""
    return Q(
        Exists(
            HousingReferent.objects.filter(
                housing=OuterRef("pk"), establishment_id=_establishment_id(user), user_id=user.pk
            )
        )
    )


def teamwork_filter(user, filters) -> Q:
    """The Q of `groupIds` and `referents` for these filters (an empty Q when neither is set).

    Reads `filters.group_ids` and `filters.referents` when the filter model has them.
    """
    condition = Q()
    group_ids = getattr(filters, "group_ids", ())
    if group_ids:
        condition &= group_filter(user, group_ids)
    if REFERENTS_ME in getattr(filters, "referents", ()):
        condition &= referents_me_filter(user)
    return condition
