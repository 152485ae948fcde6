"""Reads behind the owners editing: finding an owner to attach to a dwelling.

Owners are personal data shared nationally; a user finds by name only the owners of dwellings of
their perimeter, and anyone else only by the exact DGFiP person id (which they must already know).
"""

import re

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from zlv.housing.models import Housing, HousingOwner, Owner
from zlv.housing.search import searchable_text

OWNER_SEARCH_MIN_LENGTH = 3
OWNER_SEARCH_LIMIT = 20


def _in_scope(user):
    return Exists(
        HousingOwner.objects.filter(owner=OuterRef("pk"), housing__in=Housing.objects.visible_to(user))
    )


def _search_terms(query: str) -> list[str]:
    return [term for term in re.split(r"[\s/,]+", searchable_text(query)) if term]


def owner_search(user, query: str, *, exclude_housing: Housing | None = None) -> list[Owner]:
    """Owners whose name holds every word of `query` (any order, accents and case ignored) among
    those of the user's perimeter, plus the owner whose idpersonne is exactly `query`. At most
    OWNER_SEARCH_LIMIT, by name; nothing under OWNER_SEARCH_MIN_LENGTH characters."""
    query = (query or "").strip()
    if len(query) < OWNER_SEARCH_MIN_LENGTH:
        return []
    by_name = Q()
    for term in _search_terms(query):
        by_name &= Q(full_name__searchable__contains=term)
    owners = Owner.objects.filter((by_name & Q(_in_scope(user))) | Q(idpersonne=query.upper()))
    if exclude_housing is not None:
        owners = owners.exclude(housing_links__housing=exclude_housing)
    return list(owners.order_by("full_name", "pk")[:OWNER_SEARCH_LIMIT])


def owner_for_user(user, owner_id: int, *, idpersonne: str = "") -> Owner:
    """An owner of a dwelling of the user's perimeter — or any owner named by its exact idpersonne;
    404 otherwise."""
    condition = Q(_in_scope(user))
    if idpersonne.strip():
        condition |= Q(idpersonne=idpersonne.strip().upper())
    owner = Owner.objects.filter(condition, pk=owner_id).first()
    if owner is None:
        raise Http404("Propriétaire introuvable.")
    return owner
