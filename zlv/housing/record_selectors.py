"""Reads behind the record pages: one dwelling with its owners, one owner with their dwellings.

Every read starts from `Housing.objects.visible_to(user)`; an owner is reachable only through a
dwelling of the user's perimeter. Each function runs a fixed number of queries, whatever the number
of owners, précisions or events.
"""

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from zlv.housing.enums import EventKind, OwnerRank
from zlv.housing.models import Event, Housing, HousingOwner, HousingPrecision, Note

# Events that never show in a dwelling's history (an owner's creation says nothing about the dwelling).
HIDDEN_EVENT_KINDS = (EventKind.OWNER_CREATED,)


def housing_for_user(user, housing_id: int) -> Housing:
    """The dwelling if it lies in the user's perimeter, else 404 (one query)."""
    housing = Housing.objects.visible_to(user).filter(pk=housing_id).first()
    if housing is None:
        raise Http404("Logement introuvable.")
    return housing


def housing_record(user, housing_id: int) -> Housing:
    """The dwelling with its building, owner links (owners joined, by rank) and précisions; 404 when
    out of the user's perimeter. Three queries."""
    links = HousingOwner.objects.select_related("owner").order_by("owner__full_name", "pk")
    precisions = HousingPrecision.objects.select_related("precision").order_by(
        "precision__category", "precision__order", "pk"
    )
    housing = (
        Housing.objects.visible_to(user)
        .select_related("building")
        .prefetch_related(
            Prefetch("owner_links", queryset=links),
            Prefetch("housingprecision_set", queryset=precisions, to_attr="precision_links"),
        )
        .filter(pk=housing_id)
        .first()
    )
    if housing is None:
        raise Http404("Logement introuvable.")
    return housing


def primary_housing_counts(user, owner_ids) -> dict[int, int]:
    """For each owner, the dwellings of the user's perimeter where they are the primary owner: what
    the list shows for `?ownerIds=<id>`. One query."""
    if not owner_ids:
        return {}
    rows = (
        HousingOwner.objects.filter(
            owner_id__in=owner_ids, rank=OwnerRank.PRIMARY, housing__in=Housing.objects.visible_to(user)
        )
        .values("owner_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["owner_id"]: row["count"] for row in rows}


def housing_history(housing: Housing, *, notes: bool = True, events: bool = True) -> list[Note | Event]:
    """Notes and events of the dwelling, newest first, with their authors; the updates of its current
    owners (`owner:updated`) are part of its history. At most two queries."""
    entries: list[Note | Event] = []
    if notes:
        entries += Note.objects.filter(housing=housing, deleted_at__isnull=True).select_related("created_by")
    if events:
        current_owners = HousingOwner.objects.filter(housing=housing, rank__gte=OwnerRank.PRIMARY).values(
            "owner_id"
        )
        entries += (
            Event.objects.filter(
                Q(housing=housing)
                | Q(housing__isnull=True, owner__in=current_owners, kind=EventKind.OWNER_UPDATED)
            )
            .exclude(kind__in=HIDDEN_EVENT_KINDS)
            .select_related("created_by")
        )
    # Notes before events at the same instant: a note often explains the change recorded with it.
    return sorted(
        entries,
        key=lambda entry: (entry.created_at, isinstance(entry, Note), entry.pk),
        reverse=True,
    )


def owner_record(user, owner_id: int) -> list[HousingOwner]:
    """The owner's rights on the dwellings of the user's perimeter (owner and dwelling joined),
    active ranks first; 404 when there is none — an owner is visible only through such a dwelling.
    One query."""
    links = list(
        HousingOwner.objects.filter(owner_id=owner_id, housing__in=Housing.objects.visible_to(user))
        .select_related("owner", "housing")
        .order_by("housing__address_dgfip", "housing_id")
    )
    if not links:
        raise Http404("Propriétaire introuvable.")
    return sorted(links, key=rank_order)


def rank_order(link: HousingOwner) -> tuple[bool, int]:
    """Sort key of rights: primary, secondary (2…6), then former (0), incorrect, awaiting, deceased."""
    return (link.rank < OwnerRank.PRIMARY, abs(link.rank))


def note_for_user(user, note_id: int) -> Note:
    """A note (not deleted) of a dwelling of the user's perimeter, with its dwelling; else 404."""
    note = (
        Note.objects.filter(pk=note_id, deleted_at__isnull=True, housing__in=Housing.objects.visible_to(user))
        .select_related("housing", "created_by")
        .first()
    )
    if note is None:
        raise Http404("Note introuvable.")
    return note
