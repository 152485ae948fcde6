"""Writes on owners and on the owners of a dwelling (DOMAIN.md §3.5, §3.6).

Rules: among a dwelling's current owners exactly one is the primary recipient (rank 1); when the
primary one leaves (former, incorrect, deceased, detached), the next current owner is promoted.
Every change records its events (§6: `{name, rank}` with the rank's French label for rights,
`owner:updated`/`owner:created` for the owner) in one transaction, and refreshes `is_multi_owner`
of the owners touched.
"""

import datetime
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone

from zlv.housing.enums import EventKind, OwnerKind, OwnerRank
from zlv.housing.models import Event, Housing, HousingOwner, Owner
from zlv.housing.primary_owner import primary_owner_refresh
from zlv.housing.services import UNSET

# What an agent may choose for a right (DOMAIN.md §1.7): "secondary" is stored as 2…6.
EDITABLE_RANKS = (
    OwnerRank.PRIMARY,
    OwnerRank.SECONDARY_2,
    OwnerRank.FORMER,
    OwnerRank.INCORRECT,
    OwnerRank.DECEASED,
)
RANK_CHOICE_LABELS = {
    OwnerRank.PRIMARY: "Destinataire principal",
    OwnerRank.SECONDARY_2: "Destinataire secondaire",
    OwnerRank.FORMER: "Ancien propriétaire",
    OwnerRank.INCORRECT: "Propriétaire incorrect",
    OwnerRank.DECEASED: "Propriétaire décédé",
}
PHONE_PATTERN = re.compile(r"^\+?[0-9 .()\-]{6,30}$")
POSTAL_CODE_PATTERN = re.compile(r"^[0-9]{5}$")
POSTAL_FIELDS = ("postal_address_line", "postal_code", "postal_city")
OWNER_MANUAL_SOURCE = "zlv"


class OwnerEditError(Exception):
    """Refused change; `errors` maps a field name (or "__all__") to a French message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(" ".join(errors.values()))
        self.errors = errors


@dataclass
class OwnersUpdateResult:
    events: list[Event] = field(default_factory=list)
    promoted: HousingOwner | None = None


def rank_event_label(rank: int) -> str:
    """The label stored in events: any secondary rank is "Destinataire secondaire"."""
    if rank >= OwnerRank.SECONDARY_2:
        return RANK_CHOICE_LABELS[OwnerRank.SECONDARY_2]
    return OwnerRank(rank).label


def _link_payload(link: HousingOwner, rank: int) -> dict:
    return {"name": link.owner.full_name, "rank": rank_event_label(rank)}


def _check_rank(value) -> int:
    try:
        rank = int(value)
    except (TypeError, ValueError):
        raise OwnerEditError({"rank": "Rang inconnu."}) from None
    if rank not in OwnerRank.values:
        raise OwnerEditError({"rank": "Rang inconnu."})
    return rank


# ---- Contact of an owner ------------------------------------------------------------------------


def _clean_contact(email, phone, additional_address, postal_parts=UNSET) -> dict:
    """Checked contact details, the arguments left UNSET omitted; `postal_parts` is the
    (line, postal code, city) triple. OwnerEditError listing every refused field otherwise."""
    cleaned, errors = {}, {}
    if postal_parts is not UNSET:
        try:
            cleaned.update(_clean_postal_address(*postal_parts))
        except OwnerEditError as error:
            errors.update(error.errors)
    if email is not UNSET:
        email = (email or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors["email"] = "Saisissez une adresse e-mail valide, par exemple nom@exemple.fr."
        cleaned["email"] = email
    if phone is not UNSET:
        phone = (phone or "").strip()
        if phone and not PHONE_PATTERN.match(phone):
            errors["phone"] = "Saisissez un numéro de téléphone valide, par exemple 06 12 34 56 78."
        cleaned["phone"] = phone
    if additional_address is not UNSET:
        additional_address = (additional_address or "").strip()
        if len(additional_address) > 300:
            errors["additional_address"] = "Le complément d’adresse est limité à 300 caractères."
        cleaned["additional_address"] = additional_address
    if errors:
        raise OwnerEditError(errors)
    return cleaned


def _clean_postal_address(line, postal_code, city) -> dict:
    """The three parts of a French postal address, all filled in or all empty (to remove it)."""
    line = " ".join((line or "").split())
    postal_code = "".join((postal_code or "").split())
    city = " ".join((city or "").split())
    errors = {}
    if line or postal_code or city:
        if not line:
            errors["postal_address_line"] = (
                "Veuillez saisir le numéro et la voie, par exemple 12 rue de la Paix."
            )
        elif len(line) > 300:
            errors["postal_address_line"] = "Le numéro et la voie sont limités à 300 caractères."
        if not postal_code:
            errors["postal_code"] = "Veuillez saisir le code postal."
        elif not POSTAL_CODE_PATTERN.match(postal_code):
            errors["postal_code"] = "Le code postal doit comporter 5 chiffres, par exemple 59500."
        if not city:
            errors["postal_city"] = "Veuillez saisir la commune."
        elif len(city) > 100:
            errors["postal_city"] = "La commune est limitée à 100 caractères."
    if errors:
        raise OwnerEditError(errors)
    return {"postal_address_line": line, "postal_code": postal_code, "postal_city": city}


CONTACT_EVENT_KEYS = {
    "email": "email",
    "phone": "phone",
    "additional_address": "additionalAddress",
    "do_not_contact": "doNotContact",
    # The three parts of the postal address are recorded as one label.
    "postal_address_line": "postalAddress",
    "postal_code": "postalAddress",
    "postal_city": "postalAddress",
}


def _contact_event_values(owner: Owner, names: list[str]) -> dict:
    return {
        CONTACT_EVENT_KEYS[name]: owner.postal_address or None
        if name in POSTAL_FIELDS
        else getattr(owner, name)
        for name in names
    }


def owner_update_contact(
    *,
    owner: Owner,
    by,
    email=UNSET,
    phone=UNSET,
    additional_address=UNSET,
    postal_address_line=UNSET,
    postal_code=UNSET,
    postal_city=UNSET,
    do_not_contact=UNSET,
) -> list[str]:
    """Change an owner's contact details; arguments left UNSET are kept (the three parts of the postal
    address go together). Returns the fields changed; one `owner:updated` event records them."""
    postal_parts = (postal_address_line, postal_code, postal_city)
    if all(part is UNSET for part in postal_parts):
        postal_parts = UNSET
    elif any(part is UNSET for part in postal_parts):
        raise TypeError("postal_address_line, postal_code and postal_city are given together.")
    cleaned = _clean_contact(email, phone, additional_address, postal_parts)
    if do_not_contact is not UNSET:
        cleaned["do_not_contact"] = bool(do_not_contact)
    with transaction.atomic():
        current = Owner.objects.select_for_update().get(pk=owner.pk)
        changed = [name for name, value in cleaned.items() if getattr(current, name) != value]
        if not changed:
            return []
        old = {"name": current.full_name, **_contact_event_values(current, changed)}
        for name in changed:
            setattr(current, name, cleaned[name])
        new = {"name": current.full_name, **_contact_event_values(current, changed)}
        current.updated_at = timezone.now()
        current.save(update_fields=[*changed, "updated_at"])
        Event.objects.create(
            kind=EventKind.OWNER_UPDATED,
            owner=current,
            old=old,
            new=new,
            created_by=by,
            created_at=current.updated_at,
        )
    owner.__dict__.update({name: getattr(current, name) for name in [*changed, "updated_at"]})
    return changed


# ---- Ranks of a dwelling's owners --------------------------------------------------------------


def _next_secondary(ranks: dict[int, int], exclude: int | None = None) -> int:
    taken = [rank for link_id, rank in ranks.items() if link_id != exclude and rank >= OwnerRank.SECONDARY_2]
    return min(max(taken, default=OwnerRank.PRIMARY) + 1, OwnerRank.SECONDARY_6)


def _promote_if_needed(links: dict[int, HousingOwner], ranks: dict[int, int]) -> int | None:
    """When no current owner is primary, the next one (lowest secondary rank, then name) becomes it."""
    if any(rank == OwnerRank.PRIMARY for rank in ranks.values()):
        return None
    candidates = [link_id for link_id, rank in ranks.items() if rank >= OwnerRank.SECONDARY_2]
    if not candidates:
        return None
    chosen = min(candidates, key=lambda link_id: (ranks[link_id], links[link_id].owner.full_name, link_id))
    ranks[chosen] = OwnerRank.PRIMARY
    return chosen


def _apply_ranks(housing, links: dict[int, HousingOwner], ranks: dict[int, int], by, now) -> list[Event]:
    """Write the ranks that changed (leaving rank 1 before anyone takes it: one primary at a time)."""
    events = []
    changed = [link for link_id, link in links.items() if ranks[link_id] != link.rank]
    changed.sort(key=lambda link: ranks[link.pk] == OwnerRank.PRIMARY)
    for link in changed:
        new_rank = ranks[link.pk]
        if rank_event_label(link.rank) != rank_event_label(new_rank):
            events.append(
                Event(
                    kind=EventKind.HOUSING_OWNER_UPDATED,
                    housing=housing,
                    owner=link.owner,
                    old=_link_payload(link, link.rank),
                    new=_link_payload(link, new_rank),
                    created_by=by,
                    created_at=now,
                )
            )
        was_current = link.rank >= OwnerRank.PRIMARY
        link.rank = new_rank
        if new_rank >= OwnerRank.PRIMARY:
            link.end_date = None
        elif was_current:
            link.end_date = now
        link.save(update_fields=["rank", "end_date"])
    return events


def _locked_links(housing: Housing) -> dict[int, HousingOwner]:
    return {
        link.pk: link
        for link in HousingOwner.objects.select_for_update(of=("self",))
        .filter(housing=housing)
        .select_related("owner")
        .order_by("pk")
    }


def refresh_multi_owner(owner_ids) -> None:
    """is_multi_owner = primary recipient of more than one dwelling (as the LOVAC import computes it)."""
    owner_ids = sorted(set(owner_ids))
    if not owner_ids:
        return
    owner_table, link_table = Owner._meta.db_table, HousingOwner._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {owner_table} o
               SET is_multi_owner = (SELECT count(*) FROM {link_table} ho
                                      WHERE ho.owner_id = o.id AND ho.rank = 1) > 1
             WHERE o.id = ANY(%s)
            """,  # noqa: S608 — table names from models, values are parameters
            [owner_ids],
        )
    primary_owner_refresh(owner_ids=owner_ids)


def housing_owners_update(*, housing: Housing, ranks: dict[int, int], by, detach=()) -> OwnersUpdateResult:
    """Set the ranks of a dwelling's owners (`ranks`: owner id → rank; 2 means "secondary") and detach
    the owners of `detach`; promotes the next current owner when no primary one is left."""
    result = OwnersUpdateResult()
    with transaction.atomic():
        Housing.objects.select_for_update().filter(pk=housing.pk).first()
        links = _locked_links(housing)
        by_owner = {link.owner_id: link for link in links.values()}
        unknown = (set(ranks) | set(detach)) - set(by_owner)
        if unknown:
            raise OwnerEditError({"__all__": "Ce propriétaire n’est pas rattaché à ce logement."})
        new_ranks = {link_id: link.rank for link_id, link in links.items()}
        for owner_id, value in ranks.items():
            link = by_owner[owner_id]
            rank = _check_rank(value)
            if rank >= OwnerRank.SECONDARY_2:
                rank = (
                    link.rank if link.rank >= OwnerRank.SECONDARY_2 else _next_secondary(new_ranks, link.pk)
                )
            new_ranks[link.pk] = rank
        detached = [by_owner[owner_id] for owner_id in detach]
        for link in detached:
            del new_ranks[link.pk]
            del links[link.pk]
        if sum(1 for rank in new_ranks.values() if rank == OwnerRank.PRIMARY) > 1:
            raise OwnerEditError({"__all__": "Un seul propriétaire peut être destinataire principal."})
        promoted_id = _promote_if_needed(links, new_ranks)
        now = timezone.now()
        events = [
            Event(
                kind=EventKind.HOUSING_OWNER_DETACHED,
                housing=housing,
                owner=link.owner,
                old=_link_payload(link, link.rank),
                created_by=by,
                created_at=now,
            )
            for link in detached
        ]
        if detached:
            HousingOwner.objects.filter(pk__in=[link.pk for link in detached]).delete()
        events += _apply_ranks(housing, links, new_ranks, by, now)
        Event.objects.bulk_create(events)
        refresh_multi_owner([link.owner_id for link in detached] + [e.owner_id for e in events])
        primary_owner_refresh(housing_ids=[housing.pk])
    result.events = events
    result.promoted = links.get(promoted_id) if promoted_id else None
    return result


def housing_owner_attach(
    *, housing: Housing, owner: Owner, rank, by, property_right: str = ""
) -> HousingOwner:
    """Attach an owner to a dwelling with a rank; a new primary one makes the former primary secondary."""
    rank = _check_rank(rank)
    with transaction.atomic():
        Housing.objects.select_for_update().filter(pk=housing.pk).first()
        links = _locked_links(housing)
        if any(link.owner_id == owner.pk for link in links.values()):
            raise OwnerEditError({"__all__": "Ce propriétaire est déjà rattaché à ce logement."})
        ranks = {link_id: link.rank for link_id, link in links.items()}
        if rank >= OwnerRank.SECONDARY_2:
            rank = _next_secondary(ranks)
        now = timezone.now()
        if rank == OwnerRank.PRIMARY:
            for link_id, current in ranks.items():
                if current == OwnerRank.PRIMARY:
                    ranks[link_id] = _next_secondary(ranks, link_id)
        events = _apply_ranks(housing, links, ranks, by, now)
        link = HousingOwner.objects.create(
            housing=housing,
            owner=owner,
            rank=rank,
            property_right=property_right,
            start_date=now,
            end_date=None if rank >= OwnerRank.PRIMARY else now,
        )
        link.owner = owner
        links[link.pk] = link
        ranks[link.pk] = rank
        promoted_id = _promote_if_needed(links, ranks)
        events.append(
            Event(
                kind=EventKind.HOUSING_OWNER_ATTACHED,
                housing=housing,
                owner=owner,
                new=_link_payload(link, ranks[link.pk]),
                created_by=by,
                created_at=now,
            )
        )
        if promoted_id == link.pk:
            link.rank = OwnerRank.PRIMARY
            link.save(update_fields=["rank"])
        elif promoted_id is not None:
            events += _apply_ranks(housing, {promoted_id: links[promoted_id]}, ranks, by, now)
        Event.objects.bulk_create(events)
        refresh_multi_owner([owner.pk] + [event.owner_id for event in events])
        primary_owner_refresh(housing_ids=[housing.pk])
    return link


# ---- New owner ---------------------------------------------------------------------------------


def owner_create(
    *,
    by,
    full_name: str,
    birth_date: datetime.date | None = None,
    postal_address_line: str = "",
    postal_code: str = "",
    postal_city: str = "",
    additional_address: str = "",
    email: str = "",
    phone: str = "",
    kind: str = "",
) -> Owner:
    """An owner entered by hand: no DGFiP id nor fiscal address, only the postal address typed."""
    errors = {}
    full_name = " ".join((full_name or "").split())
    if not full_name:
        errors["full_name"] = "Veuillez saisir le nom et le prénom du propriétaire."
    elif len(full_name) > 300:
        errors["full_name"] = "Le nom est limité à 300 caractères."
    if birth_date and birth_date > timezone.localdate():
        errors["birth_date"] = "La date de naissance ne peut pas être dans le futur."
    if kind and kind not in OwnerKind.values:
        errors["kind"] = "Type de propriétaire inconnu."
    try:
        contact = _clean_contact(
            email, phone, additional_address, (postal_address_line, postal_code, postal_city)
        )
    except OwnerEditError as error:
        errors.update(error.errors)
    if errors:
        raise OwnerEditError(errors)
    with transaction.atomic():
        owner = Owner.objects.create(
            full_name=full_name,
            birth_date=birth_date,
            kind=kind,
            data_source=OWNER_MANUAL_SOURCE,
            **contact,
        )
        Event.objects.create(
            kind=EventKind.OWNER_CREATED,
            owner=owner,
            old=None,
            new={
                "name": owner.full_name,
                "birthdate": birth_date.isoformat() if birth_date else None,
                "email": owner.email or None,
                "phone": owner.phone or None,
                "postalAddress": owner.postal_address or None,
                "additionalAddress": owner.additional_address or None,
            },
            created_by=by,
        )
    return owner


def housing_owner_create(*, housing: Housing, rank, by, **fields) -> Owner:
    """owner_create and housing_owner_attach in one transaction: no owner is left without its dwelling."""
    rank = _check_rank(rank)
    with transaction.atomic():
        owner = owner_create(by=by, **fields)
        housing_owner_attach(housing=housing, owner=owner, rank=rank, by=by)
    return owner
