"""French labels and sentences of the record pages, computed from already loaded rows (no query)."""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from zlv.housing.enums import (
    CO_OWNERSHIP_CODES,
    EventKind,
    HousingStatus,
    Occupancy,
    OwnerKind,
    OwnerRank,
    PrecisionCategory,
)
from zlv.housing.event_payloads import owning_establishment_id
from zlv.housing.models import Event, Housing, HousingOwner, Note, Owner
from zlv.housing.record_selectors import rank_order

NO_INFORMATION = "Pas d’information"
SYSTEM_AUTHOR = "Zéro Logement Vacant (import LOVAC)"
# The system account also moves a campaign's dwellings to "En attente de retour" on its sending date.
CAMPAIGN_FLIP_AUTHOR = "Zéro Logement Vacant (envoi de campagne)"
# Events naming an object of one establishment (zlv/housing/event_payloads.py): what the other
# establishments covering the dwelling read instead of the sentence with the object's title.
OTHER_ESTABLISHMENT_SENTENCES = {
    EventKind.HOUSING_GROUP_ATTACHED: "a ajouté ce logement dans un groupe d’une autre structure",
    EventKind.HOUSING_GROUP_DETACHED: "a retiré ce logement d’un groupe d’une autre structure",
    EventKind.HOUSING_GROUP_ARCHIVED: (
        "a archivé un groupe d’une autre structure dans lequel le logement se trouvait"
    ),
    EventKind.HOUSING_GROUP_REMOVED: (
        "a supprimé un groupe d’une autre structure dans lequel le logement se trouvait"
    ),
    EventKind.HOUSING_CAMPAIGN_ATTACHED: "a ajouté ce logement dans une campagne d’une autre structure",
    EventKind.HOUSING_CAMPAIGN_DETACHED: "a retiré ce logement d’une campagne d’une autre structure",
    EventKind.HOUSING_CAMPAIGN_REMOVED: (
        "a supprimé une campagne d’une autre structure dans laquelle le logement se trouvait"
    ),
    EventKind.HOUSING_DOCUMENT_ATTACHED: "a ajouté un document d’une autre structure",
    EventKind.HOUSING_DOCUMENT_DETACHED: "a retiré un document d’une autre structure",
    EventKind.HOUSING_DOCUMENT_REMOVED: "a supprimé un document d’une autre structure",
    EventKind.DOCUMENT_CREATED: "a ajouté un document d’une autre structure",
    EventKind.DOCUMENT_UPDATED: "a renommé un document d’une autre structure",
    EventKind.DOCUMENT_REMOVED: "a supprimé un document d’une autre structure",
}
# Events whose payload names nothing of one establishment: every reader sees them in full. Every
# event kind is in exactly one of the two (a test checks it, so a new kind has to choose).
SHARED_EVENT_KINDS = frozenset(
    {
        EventKind.HOUSING_CREATED,
        EventKind.HOUSING_UPDATED,
        EventKind.HOUSING_OCCUPANCY_UPDATED,
        EventKind.HOUSING_STATUS_UPDATED,
        EventKind.HOUSING_PRECISION_ATTACHED,
        EventKind.HOUSING_PRECISION_DETACHED,
        EventKind.HOUSING_OWNER_ATTACHED,
        EventKind.HOUSING_OWNER_UPDATED,
        EventKind.HOUSING_OWNER_DETACHED,
        EventKind.HOUSING_LOVAC_REFRESHED,
        # The referent is named on purpose: it tells the others whom to call (with the structure).
        EventKind.HOUSING_REFERENT_UPDATED,
        EventKind.OWNER_CREATED,
        EventKind.OWNER_UPDATED,
    }
)

# DSFR colour families of the follow-up statuses (DOMAIN §1.3).
STATUS_BADGE_COLOURS = {
    HousingStatus.NEVER_CONTACTED: "beige-gris-galet",
    HousingStatus.WAITING: "yellow-tournesol",
    HousingStatus.FIRST_CONTACT: "blue-cumulus",
    HousingStatus.IN_PROGRESS: "orange-terre-battue",
    HousingStatus.COMPLETED: "green-bourgeon",
    HousingStatus.BLOCKED: "purple-glycine",
}
# The status tabs and badges of the reference say "Bloqué" rather than "Suivi bloqué".
STATUS_BADGE_LABELS = {HousingStatus.BLOCKED: "Bloqué"}

# Fichiers fonciers `locprop`: where the owner lives compared with the dwelling.
RELATIVE_LOCATIONS = {
    1: "Habite dans la même commune",
    2: "Habite dans le même département",
    3: "Habite dans la même région",
    4: "Habite dans une autre région",
    5: "Habite dans une autre région",
    6: "Habite à l’étranger",
}

PRECISION_GROUPS = (
    (
        "Dispositifs",
        "Aucun dispositif renseigné.",
        (PrecisionCategory.INCENTIVE, PrecisionCategory.COERCIVE, PrecisionCategory.NO_PUBLIC_SCHEME),
    ),
    (
        "Points de blocage",
        "Aucun point de blocage renseigné.",
        (
            PrecisionCategory.INVOLUNTARY_BLOCK,
            PrecisionCategory.VOLUNTARY_BLOCK,
            PrecisionCategory.BUILDING_ENVIRONMENT,
            PrecisionCategory.THIRD_PARTY,
        ),
    ),
    (
        "Évolutions du logement",
        "Aucune évolution renseignée.",
        (PrecisionCategory.WORKS, PrecisionCategory.OCCUPATION, PrecisionCategory.MUTATION),
    ),
)


def status_badge(status: int) -> dict:
    status = HousingStatus(status)
    return {"label": STATUS_BADGE_LABELS.get(status, status.label), "colour": STATUS_BADGE_COLOURS[status]}


def occupancy_label(code: str) -> str:
    if not code:
        return NO_INFORMATION
    return Occupancy(code).label if code in Occupancy.values else code


def ownership_label(condominium: str) -> str:
    """Fichiers fonciers `ctpdl` → Type de propriété."""
    if not condominium or condominium == "single":
        return "Monopropriété"
    if condominium in CO_OWNERSHIP_CODES:
        return "Copropriété"
    return "Autre"


def years_since(year: int | None, today: datetime.date | None = None) -> int | None:
    if year is None:
        return None
    return (today or timezone.localdate()).year - year


def age_of(birth_date: datetime.date | None, today: datetime.date | None = None) -> int | None:
    if birth_date is None:
        return None
    today = today or timezone.localdate()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def provenance_label(data_file_years: list[str]) -> str:
    """'LOVAC (2024, 2025)', plus the Fichiers fonciers imports when any."""
    lovac = Housing(data_file_years=data_file_years).provenance_label
    ff_years = sorted({tag.split("-")[1] for tag in data_file_years if tag.startswith("ff-")})
    parts = [lovac] if lovac else []
    if ff_years:
        parts.append(f"Fichiers fonciers ({', '.join(ff_years)})")
    return " ; ".join(parts) or "Source inconnue"


def display_name(full_name: str) -> str:
    """'DUPONT/JEAN MARIE' → 'DUPONT Jean Marie' (Owner.display_name, for names kept in events)."""
    return Owner(full_name=full_name or "").display_name


@dataclass(frozen=True)
class OwnerCard:
    """One owner as shown in the owners column of a dwelling."""

    link: HousingOwner
    owner: Owner
    rank_label: str
    property_right_label: str
    kind_label: str
    age: int | None
    relative_location: str
    primary_housing_count: int


def owner_card(link: HousingOwner, primary_housing_counts: dict[int, int]) -> OwnerCard:
    owner = link.owner
    return OwnerCard(
        link=link,
        owner=owner,
        rank_label=rank_label(link.rank),
        property_right_label=link.get_property_right_display() or NO_INFORMATION,
        kind_label=owner_kind_label(owner.kind),
        age=age_of(owner.birth_date),
        relative_location=RELATIVE_LOCATIONS.get(link.locprop_source, NO_INFORMATION),
        primary_housing_count=primary_housing_counts.get(owner.pk, 0),
    )


def owner_kind_label(kind: str) -> str:
    return OwnerKind(kind).label if kind in OwnerKind.values else NO_INFORMATION


def rank_label(rank: int) -> str:
    if rank >= OwnerRank.SECONDARY_2:
        return "Destinataire secondaire"
    return OwnerRank(rank).label if rank in OwnerRank.values else f"Rang {rank}"


def split_owners(links, primary_housing_counts: dict[int, int]) -> dict[str, list[OwnerCard]]:
    """Primary owner, secondary owners (rank 2…6), and the others (former, incorrect, awaiting,
    deceased)."""
    cards = [owner_card(link, primary_housing_counts) for link in sorted(links, key=rank_order)]
    return {
        "primary": [card for card in cards if card.link.rank == OwnerRank.PRIMARY],
        "secondary": [card for card in cards if card.link.rank > OwnerRank.PRIMARY],
        "inactive": [card for card in cards if card.link.rank < OwnerRank.PRIMARY],
    }


def precision_groups(precision_links) -> list[dict]:
    """Précisions grouped as in the reference: Dispositifs, Points de blocage, Évolutions du logement."""
    by_category: dict[str, list[str]] = {}
    for link in precision_links:
        by_category.setdefault(link.precision.category, []).append(link.precision.label)
    return [
        {
            "title": title,
            "empty_text": empty_text,
            "categories": [
                {"label": category.label, "precisions": by_category[category]}
                for category in categories
                if category in by_category
            ],
        }
        for title, empty_text, categories in PRECISION_GROUPS
    ]


# ---- History ---------------------------------------------------------------------------------

TIMELINE_FILTERS = {"note": "Notes", "update": "Mises à jour"}

# Fiscal details of a right that the LOVAC import refreshes (zlv/lovac/merge.py).
RIGHT_FIELD_LABELS = {
    "ownerAccount": "compte propriétaire",
    "rightId": "identifiant du droit",
    "propertyRight": "nature du droit",
    "ownerLocation": "localisation du propriétaire",
}
OWNER_FIELD_LABELS = {
    "name": "nom",
    "birthdate": "date de naissance",
    "address": "adresse fiscale",
    "postalAddress": "adresse postale",
    "additionalAddress": "complément d’adresse",
    "email": "adresse e-mail",
    "phone": "téléphone",
    "siren": "SIREN",
    "kind": "type de propriétaire",
    "doNotContact": "ne pas contacter",
}
HOUSING_FIELD_LABELS = {
    "invariant": "identifiant fiscal départemental",
    "geoCode": "commune (fusion de communes)",
    "housingKind": "type de logement",
    "rawAddress": "adresse",
    "banAddress": "adresse BAN",
    "banId": "adresse BAN",
    "banScore": "adresse BAN",
    "latitude": "localisation",
    "longitude": "localisation",
    "livingArea": "surface",
    "roomsCount": "nombre de pièces",
    "cadastralClassification": "classement cadastral",
    "uncomfortable": "confort",
    "buildingYear": "date de construction",
    "ownershipKind": "type de propriété",
    "beneficiaryCount": "nombre de titulaires de droits",
    "rentalValue": "valeur locative",
    "taxed": "taxation",
    "occupancySource": "occupation d’origine",
    "buildingId": "bâtiment",
    "plotId": "parcelle",
    "plotArea": "surface de la parcelle",
    "cadastralReference": "référence cadastrale",
    "lastMutationYear": "dernière mutation",
    "lastTransactionDate": "dernière vente",
    "lastTransactionValue": "dernière vente",
    "vacancyStartYear": "année de début de vacance",
    "actualEnergyConsumption": "étiquette DPE renseignée",
}


@dataclass(frozen=True)
class TimelineEntry:
    key: str
    is_note: bool
    created_at: datetime.datetime
    author: str
    sentence: str
    details: list[str] = field(default_factory=list)
    content: str = ""
    note_id: int | None = None


def author_name(user) -> str:
    return SYSTEM_AUTHOR if user.is_system else user.full_name


def timeline(
    entries: list[Note | Event], *, establishment_id: int | None, colleague_ids=frozenset()
) -> list[TimelineEntry]:
    """Notes and events as timeline entries, read by a member of `establishment_id`. The title of an
    object of one establishment shows only to that establishment (to the author's colleagues,
    `colleague_ids`, for events recorded before the establishment was stored with them)."""
    return [
        _note_entry(entry)
        if isinstance(entry, Note)
        else _event_entry(entry, establishment_id=establishment_id, colleague_ids=colleague_ids)
        for entry in entries
    ]


def _note_entry(note: Note) -> TimelineEntry:
    return TimelineEntry(
        key=f"note-{note.pk}",
        is_note=True,
        created_at=note.created_at,
        author=author_name(note.created_by),
        sentence="a rédigé une note",
        content=note.content,
        note_id=note.pk,
    )


def names_hidden_from(event: Event, *, establishment_id: int | None, colleague_ids=frozenset()) -> bool:
    """Whether the event names an object of an establishment other than the reader's."""
    if event.kind not in OTHER_ESTABLISHMENT_SENTENCES:
        return False
    owner = owning_establishment_id(event.old, event.new)
    if owner is None:
        return event.created_by_id not in colleague_ids
    return owner != establishment_id


def _event_entry(event: Event, *, establishment_id: int | None, colleague_ids=frozenset()) -> TimelineEntry:
    old, new = event.old or {}, event.new or {}
    author = author_name(event.created_by)
    if names_hidden_from(event, establishment_id=establishment_id, colleague_ids=colleague_ids):
        sentence, details = OTHER_ESTABLISHMENT_SENTENCES[event.kind], []
    else:
        sentence, details = describe_event(event.kind, old, new)
    if event.created_by.is_system and is_campaign_flip(event.kind, new):
        author = CAMPAIGN_FLIP_AUTHOR
        sentence = "a mis à jour le statut de suivi : la date d’envoi d’une campagne est arrivée"
    return TimelineEntry(
        key=f"event-{event.pk}",
        is_note=False,
        created_at=event.created_at,
        author=author,
        sentence=sentence,
        details=details,
    )


def is_campaign_flip(kind: str, new: dict) -> bool:
    """The automatic move to "En attente de retour" (the LOVAC import never sets that status)."""
    return kind == EventKind.HOUSING_STATUS_UPDATED and new.get("status") == HousingStatus.WAITING.label


def describe_event(kind: str, old: dict, new: dict) -> tuple[str, list[str]]:
    """The French sentence of an event ('a mis à jour le statut de suivi') and its details."""
    match kind:
        case EventKind.HOUSING_CREATED:
            source = new.get("source") or ""
            details = [f"Source : {source_label(source)}"] if source else []
            if new.get("occupancy"):
                details.append(f"Occupation : {new['occupancy']}")
            return "a ajouté ce logement", details
        case EventKind.HOUSING_OCCUPANCY_UPDATED:
            return "a mis à jour le statut d’occupation", _changes(
                old,
                new,
                {"occupancy": "Occupation actuelle", "occupancyIntended": "Occupation prévisionnelle"},
            )
        case EventKind.HOUSING_STATUS_UPDATED:
            return "a mis à jour le statut de suivi", _changes(
                old, new, {"status": "Statut de suivi", "subStatus": "Sous-statut"}
            )
        case EventKind.HOUSING_PRECISION_ATTACHED | EventKind.HOUSING_PRECISION_DETACHED:
            precision = new or old
            category = precision.get("category") or ""
            category = PrecisionCategory(category).label if category in PrecisionCategory.values else category
            verb = "a ajouté" if kind == EventKind.HOUSING_PRECISION_ATTACHED else "a retiré"
            label = precision.get("label") or ""
            return f"{verb} la précision « {label} »", [f"Catégorie : {category}"] if category else []
        case EventKind.HOUSING_OWNER_ATTACHED:
            return "a ajouté un propriétaire", [_owner_rank(new)]
        case EventKind.HOUSING_OWNER_UPDATED:
            name = display_name(new.get("name") or old.get("name") or "")
            rights = _field_labels(old, new, RIGHT_FIELD_LABELS, skip={"name", "rank"})
            if old.get("rank") == new.get("rank") and rights:
                # The LOVAC import refreshed the right itself, not its rank.
                return "a actualisé le droit d’un propriétaire (fichier LOVAC)", [
                    f"{name} : " + ", ".join(rights)
                ]
            return "a mis à jour le rang d’un propriétaire", [
                f"{name} : {_rank(old.get('rank'))} → {_rank(new.get('rank'))}"
            ]
        case EventKind.HOUSING_OWNER_DETACHED:
            return "a supprimé un propriétaire", [_owner_rank(old)]
        case EventKind.HOUSING_LOVAC_REFRESHED:
            details = []
            added = sorted(set(new.get("dataFileYears") or []) - set(old.get("dataFileYears") or []))
            if added:
                details.append("Nouveau millésime : " + ", ".join(source_label(tag) for tag in added))
            fields = _field_labels(old, new, HOUSING_FIELD_LABELS, skip={"dataFileYears"})
            if fields:
                details.append("Informations actualisées : " + ", ".join(fields))
            return "a actualisé les informations du logement (fichier LOVAC)", details
        case EventKind.HOUSING_GROUP_ATTACHED:
            return "a ajouté ce logement dans un groupe", [f"Groupe : {new.get('name', '')}"]
        case EventKind.HOUSING_GROUP_DETACHED:
            return "a retiré ce logement d’un groupe", [f"Groupe : {old.get('name', '')}"]
        case EventKind.HOUSING_GROUP_ARCHIVED:
            return f"a archivé le groupe « {old.get('name', '')} » dans lequel le logement se trouvait", []
        case EventKind.HOUSING_GROUP_REMOVED:
            return f"a supprimé le groupe « {old.get('name', '')} » dans lequel le logement se trouvait", []
        case EventKind.HOUSING_CAMPAIGN_ATTACHED:
            return f"a ajouté ce logement dans la campagne « {_name(new, old)} »", []
        case EventKind.HOUSING_CAMPAIGN_DETACHED:
            return f"a retiré ce logement de la campagne « {_name(old, new)} »", []
        case EventKind.HOUSING_CAMPAIGN_REMOVED:
            return f"a supprimé la campagne « {_name(old, new)} » dans laquelle le logement se trouvait", []
        case EventKind.HOUSING_REFERENT_UPDATED:
            if not new:
                sentence = "a retiré l’agent référent de ce logement"
            elif not old:
                sentence = "a désigné un agent référent pour ce logement"
            else:
                sentence = "a changé l’agent référent de ce logement"
            details = [
                f"Agent référent : {old.get('referent') or 'aucun'} → {new.get('referent') or 'aucun'}"
            ]
            establishment = new.get("establishment") or old.get("establishment")
            if establishment:
                details.append(f"Structure : {establishment}")
            return sentence, details
        case EventKind.HOUSING_UPDATED:
            return "a mis à jour les informations du logement", _changes(
                old, new, {"actualEnergyConsumption": "Étiquette DPE renseignée"}
            )
        case EventKind.OWNER_UPDATED:
            name = display_name(new.get("name") or old.get("name") or "")
            details = [f"Propriétaire : {name}"] if name else []
            fields = _field_labels(old, new, OWNER_FIELD_LABELS)
            if fields:
                details.append("Informations modifiées : " + ", ".join(fields))
            return "a mis à jour les informations d’un propriétaire", details
    return "a mis à jour le logement", []


def source_label(tag: str) -> str:
    """Provenance tag → French: 'lovac-2025' → 'LOVAC 2025'."""
    if tag.startswith("lovac-"):
        return f"LOVAC {tag.removeprefix('lovac-')}"
    if tag.startswith("ff-"):
        year = tag.split("-")[1]
        suffix = "en location" if tag.endswith("-locatif") else "ajout manuel"
        return f"Fichiers fonciers {year} ({suffix})"
    if tag == "datafoncier-manual":
        return "Ajout manuel (Fichiers fonciers)"
    return tag


def _name(payload: dict, other: dict) -> str:
    return payload.get("name") or other.get("name") or ""


def _rank(rank) -> str:
    """Events store the rank as a label (ZLV edits) or as a number (LOVAC import)."""
    if isinstance(rank, str) and rank:
        return rank
    return rank_label(rank) if isinstance(rank, int) else NO_INFORMATION


def _owner_rank(payload: dict) -> str:
    return f"{display_name(payload.get('name') or '')} ({_rank(payload.get('rank'))})"


def _changes(old: dict, new: dict, labels: dict[str, str]) -> list[str]:
    """'Statut de suivi : Non suivi → Premier contact' for each labelled key that changed."""
    lines = []
    for key, label in labels.items():
        before, after = old.get(key), new.get(key)
        if before == after or (before is None and after is None):
            continue
        lines.append(f"{label} : {before or NO_INFORMATION} → {after or NO_INFORMATION}")
    return lines


def _field_labels(old: dict, new: dict, labels: dict[str, str], skip=frozenset()) -> list[str]:
    names = []
    for key in [*old, *(key for key in new if key not in old)]:
        if key in skip or old.get(key) == new.get(key):
            continue
        label = labels.get(key, key)
        if label not in names:
            names.append(label)
    return names
