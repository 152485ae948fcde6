"""Codes and French labels of the dwelling follow-up (DOMAIN.md §1)."""

from django.db import models


class HousingStatus(models.IntegerChoices):
    NEVER_CONTACTED = 0, "Non suivi"
    WAITING = 1, "En attente de retour"
    FIRST_CONTACT = 2, "Premier contact"
    IN_PROGRESS = 3, "Suivi en cours"
    COMPLETED = 4, "Suivi terminé"
    BLOCKED = 5, "Suivi bloqué"


SUB_STATUSES: dict[int, list[str]] = {
    HousingStatus.NEVER_CONTACTED: [],
    HousingStatus.WAITING: [],
    HousingStatus.FIRST_CONTACT: [
        "Intérêt potentiel / En réflexion",
        "En pré-accompagnement",
        "N’habite pas à l’adresse indiquée",
    ],
    HousingStatus.IN_PROGRESS: [
        "En accompagnement",
        "Intervention publique",
        "En sortie sans accompagnement",
        "Mutation en cours ou effectuée",
    ],
    HousingStatus.COMPLETED: [
        "Sortie de la vacance",
        "N'était pas vacant",
        "Sortie de la passoire énergétique",
        "N'était pas une passoire énergétique",
        "Autre objectif rempli",
    ],
    HousingStatus.BLOCKED: [
        "Blocage involontaire du propriétaire",
        "Blocage volontaire du propriétaire",
        "Immeuble / Environnement",
        "Tiers en cause",
    ],
}
EXIT_SUB_STATUS = "Sortie de la vacance"


class Occupancy(models.TextChoices):
    VACANT = "V", "Vacant"
    RENT = "L", "En location"
    SHORT_RENT = "B", "Meublé de tourisme"
    PRIMARY_RESIDENCE = "P", "Occupé par le propriétaire"
    SECONDARY_RESIDENCE = "RS", "Résidence secondaire non louée"
    DEPENDENCY = "N", "Dépendance"
    COMMERCIAL_OR_OFFICE = "T", "Local commercial ou bureau"
    DEMOLISHED_OR_DIVIDED = "D", "Local démoli ou divisé"
    UNKNOWN = "inconnu", "Pas d’information"
    OTHERS = "A", "Autres"
    FREE = "G", "Occupé à titre gratuit"
    CIVIL_SERVANT = "F", "Fonctionnaire logé"
    ARTISAN = "R", "Occupé par un artisan exonéré"
    COMMON = "U", "Utilisation commune"
    RURAL = "X", "Bail rural"


READ_ONLY_OCCUPANCIES = {"G", "F", "R", "U", "X"}


class HousingKind(models.TextChoices):
    APARTMENT = "APPART", "Appartement"
    HOUSE = "MAISON", "Maison"


class DataSource(models.TextChoices):
    LOVAC = "lovac", "LOVAC"
    DATAFONCIER_MANUAL = "datafoncier-manual", "Ajout manuel (Fichiers fonciers)"
    DATAFONCIER_IMPORT = "datafoncier-import", "Import Fichiers fonciers"


class OwnerKind(models.TextChoices):
    INDIVIDUAL = "particulier", "Particulier"
    SCI_COPRO = "sci-copro", "SCI, Copropriété, Autres personnes morales"
    DEVELOPER = "promoteur", "Promoteur, Investisseur privé"
    STATE = "etat-collectivite", "Etat et collectivité territoriale"
    SOCIAL_LANDLORD = "bailleur-social", "Bailleur social, Aménageur, Investisseur public"
    OTHERS = "autres", "Autres"


class PropertyRight(models.TextChoices):
    FULL_OWNER = "proprietaire-entier", "Plein propriétaire"
    USUFRUCTUARY = "usufruitier", "Usufruitier"
    BARE_OWNER = "nu-proprietaire", "Nu-propriétaire"
    ADMINISTRATOR = "administrateur", "Administrateur"
    SYNDIC = "syndic", "Syndic"
    SCI_PARTNER = "associe-sci-ir", "Associé SCI IR"
    OTHER = "autre", "Autre"


class OwnerRank(models.IntegerChoices):
    DECEASED = -3, "Propriétaire décédé"
    AWAITING = -2, "Propriétaire en attente"
    INCORRECT = -1, "Propriétaire incorrect"
    FORMER = 0, "Ancien propriétaire"
    PRIMARY = 1, "Destinataire principal"
    SECONDARY_2 = 2, "Destinataire secondaire"
    SECONDARY_3 = 3, "Destinataire secondaire (3)"
    SECONDARY_4 = 4, "Destinataire secondaire (4)"
    SECONDARY_5 = 5, "Destinataire secondaire (5)"
    SECONDARY_6 = 6, "Destinataire secondaire (6)"


class Ownership(models.TextChoices):
    """Filter values grouping the Fichiers fonciers condominium codes (`ff_ctpdl`)."""

    SINGLE = "single", "Monopropriété"
    CO = "co", "Copropriété"
    OTHER = "other", "Autre"


CO_OWNERSHIP_CODES = {"co", "CL", "CLV", "CV"}


class CadastralClassification(models.IntegerChoices):
    GRAND_LUXE = 1, "1 - Grand luxe"
    LUXE = 2, "2 - Luxe"
    TRES_CONFORTABLE = 3, "3 - Très confortable"
    CONFORTABLE = 4, "4 - Confortable"
    ASSEZ_CONFORTABLE = 5, "5 - Assez confortable"
    ORDINAIRE = 6, "6 - Ordinaire"
    MEDIOCRE = 7, "7 - Médiocre"
    TRES_MEDIOCRE = 8, "8 - Très médiocre"


class EnergyClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    E = "E", "E"
    F = "F", "F"
    G = "G", "G"


class EventKind(models.TextChoices):
    HOUSING_CREATED = "housing:created", "Logement créé"
    HOUSING_UPDATED = "housing:updated", "Logement mis à jour"
    HOUSING_OCCUPANCY_UPDATED = "housing:occupancy-updated", "Occupation mise à jour"
    HOUSING_STATUS_UPDATED = "housing:status-updated", "Statut de suivi mis à jour"
    HOUSING_PRECISION_ATTACHED = "housing:precision-attached", "Précision ajoutée"
    HOUSING_PRECISION_DETACHED = "housing:precision-detached", "Précision retirée"
    HOUSING_OWNER_ATTACHED = "housing:owner-attached", "Propriétaire ajouté"
    HOUSING_OWNER_UPDATED = "housing:owner-updated", "Rang d’un propriétaire mis à jour"
    HOUSING_OWNER_DETACHED = "housing:owner-detached", "Propriétaire retiré"
    HOUSING_LOVAC_REFRESHED = "housing:lovac-refreshed", "Données LOVAC actualisées"
    HOUSING_GROUP_ATTACHED = "housing:group-attached", "Ajouté à un groupe"
    HOUSING_GROUP_DETACHED = "housing:group-detached", "Retiré d’un groupe"
    HOUSING_GROUP_ARCHIVED = "housing:group-archived", "Groupe archivé"
    HOUSING_GROUP_REMOVED = "housing:group-removed", "Groupe supprimé"
    HOUSING_REFERENT_UPDATED = "housing:referent-updated", "Agent référent mis à jour"
    HOUSING_CAMPAIGN_ATTACHED = "housing:campaign-attached", "Ajouté à une campagne"
    HOUSING_CAMPAIGN_DETACHED = "housing:campaign-detached", "Retiré d’une campagne"
    HOUSING_CAMPAIGN_REMOVED = "housing:campaign-removed", "Campagne supprimée"
    HOUSING_DOCUMENT_ATTACHED = "housing:document-attached", "Document ajouté"
    HOUSING_DOCUMENT_DETACHED = "housing:document-detached", "Document retiré"
    HOUSING_DOCUMENT_REMOVED = "housing:document-removed", "Document supprimé"
    OWNER_CREATED = "owner:created", "Propriétaire créé"
    OWNER_UPDATED = "owner:updated", "Propriétaire mis à jour"
    DOCUMENT_CREATED = "document:created", "Document créé"
    DOCUMENT_UPDATED = "document:updated", "Document renommé"
    DOCUMENT_REMOVED = "document:removed", "Document supprimé"


class PrecisionCategory(models.TextChoices):
    INCENTIVE = "dispositifs-incitatifs", "Dispositifs incitatifs"
    COERCIVE = "dispositifs-coercitifs", "Dispositifs coercitifs"
    NO_PUBLIC_SCHEME = "hors-dispositif-public", "Hors dispositif public"
    INVOLUNTARY_BLOCK = "blocage-involontaire", "Blocage involontaire"
    VOLUNTARY_BLOCK = "blocage-volontaire", "Blocage volontaire"
    BUILDING_ENVIRONMENT = "immeuble-environnement", "Immeuble / Environnement"
    THIRD_PARTY = "tiers-en-cause", "Tiers en cause"
    WORKS = "travaux", "Travaux"
    OCCUPATION = "occupation", "Occupation"
    MUTATION = "mutation", "Mutation"


SINGLE_CHOICE_PRECISION_CATEGORIES = {
    PrecisionCategory.WORKS,
    PrecisionCategory.OCCUPATION,
    PrecisionCategory.MUTATION,
}
