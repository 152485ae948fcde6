"""The one filter model of the dwellings list (DOMAIN.md §2).

Parsed from a query string, it drives the table, the counts, the map, the API, exports and
campaigns, so that they always agree. Parameter names, values and buckets are those of the
reference product so that bookmarked URLs read the same.
"""

import datetime
import re
from dataclasses import dataclass, field, fields

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from zlv.housing.enums import (
    CO_OWNERSHIP_CODES,
    READ_ONLY_OCCUPANCIES,
    SUB_STATUSES,
    HousingKind,
    HousingStatus,
    Occupancy,
    OwnerKind,
    Ownership,
)
from zlv.housing.models import Housing, HousingPrecision
from zlv.housing.search import address_word_variants, address_words, searchable_text
from zlv.utils.text import CONTROL_CHARACTERS_MESSAGE, has_control_characters

NULL = "null"

VACANCY_YEAR_BUCKETS = {
    "2023": (2023, 2023),
    "2022": (2022, 2022),
    "2021": (2021, 2021),
    "2020": (2020, 2020),
    "2019": (2019, 2019),
    "2018to2015": (2015, 2018),
    "2014to2010": (2010, 2014),
    "before2010": (None, 2009),
}
LIVING_AREA_BUCKETS = {"lt35": (0, 34), "35to74": (35, 74), "75to99": (75, 99), "gte100": (100, None)}
ROOM_COUNT_BUCKETS = {"1": (1, 1), "2": (2, 2), "3": (3, 3), "4": (4, 4), "gte5": (5, None)}
# Number of active owners (rank >= 1), read from the copy `Housing.owner_count`.
BENEFICIARY_COUNT_BUCKETS = {
    "0": (0, 0), "1": (1, 1), "2": (2, 2), "3": (3, 3), "4": (4, 4), "gte5": (5, None),
}  # fmt: skip
BUILDING_PERIOD_BUCKETS = {
    "lt1919": (None, 1918),
    "1919to1945": (1919, 1945),
    "1946to1990": (1946, 1990),
    "gte1991": (1991, None),
}
HOUSING_COUNT_BUCKETS = {"lt5": (0, 4), "5to19": (5, 19), "20to49": (20, 49), "gte50": (50, None)}
VACANCY_RATE_BUCKETS = {
    "lt20": (None, 19.999),
    "20to39": (20, 39.999),
    "40to59": (40, 59.999),
    "60to79": (60, 79.999),
    "gte80": (80, None),
}
OWNER_AGE_BUCKETS = {
    "lt40": (0, 39),
    "40to59": (40, 59),
    "60to74": (60, 74),
    "75to99": (75, 99),
    "gte100": (100, None),
}
LAST_MUTATION_YEAR_BUCKETS = {
    "2024": (2024, 2024),
    "2023": (2023, 2023),
    "2022": (2022, 2022),
    "2021": (2021, 2021),
    "2015to2020": (2015, 2020),
    "2010to2014": (2010, 2014),
    "lte2009": (None, 2009),
}
LAST_MUTATION_TYPES = {"sale", "donation"}
# Owner's location relative to the dwelling, from the Fichiers fonciers `locprop` code.
RELATIVE_LOCATIONS = {
    "same-commune": [1],
    "same-department": [2],
    "same-region": [3],
    "other-region": [4, 5],
    "foreign-country": [6],
    "other": [9],
}
SORTABLE = {"owner": "primary_owner_name", "occupancy": "occupancy", "status": "status"}
DATA_FILE_YEAR = re.compile(r"^(lovac-\d{4}|ff-\d{4}(-locatif)?)$")
ID_TOKENS = re.compile(r"[\s,;]+")


class FilterError(ValueError):
    """A query-string value the filter model does not accept; `errors` maps parameter → message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{key} : {message}" for key, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class HousingFilters:
    query: str = ""
    status: int | None = None
    status_list: tuple[int, ...] = ()
    sub_statuses: tuple[str, ...] = ()
    occupancies: tuple[str, ...] = ()
    vacancy_years: tuple[str, ...] = ()
    data_file_years_included: tuple[str, ...] = ()
    data_file_years_excluded: tuple[str, ...] = ()
    precisions: tuple[int, ...] = ()
    localities: tuple[str, ...] | None = None
    intercommunalities: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    geo_perimeters_included: tuple[str, ...] = ()
    group_ids: tuple[int, ...] = ()
    campaign_ids: tuple[int | str, ...] = ()
    campaign_counts: tuple[int, ...] = ()
    referents: tuple[str, ...] = ()
    geo_perimeters_excluded: tuple[str, ...] = ()
    building_periods: tuple[str, ...] = ()
    ownership_kinds: tuple[str, ...] = ()
    housing_counts: tuple[str, ...] = ()
    vacancy_rates: tuple[str, ...] = ()
    housing_kinds: tuple[str, ...] = ()
    housing_areas: tuple[str, ...] = ()
    rooms_counts: tuple[str, ...] = ()
    cadastral_classifications: tuple[str, ...] = ()
    last_mutation_types: tuple[str, ...] = ()
    last_mutation_years: tuple[str, ...] = ()
    owner_kinds: tuple[str, ...] = ()
    owner_ages: tuple[str, ...] = ()
    relative_locations: tuple[str, ...] = ()
    multi_owners: tuple[bool, ...] = ()
    beneficiary_counts: tuple[str, ...] = ()
    owner_ids: tuple[int, ...] = ()
    housing_ids: tuple[int, ...] = ()
    all_selected: bool = False
    sort: tuple[str, ...] = ()
    page: int = 1
    per_page: int = 50
    errors: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def is_default(self) -> bool:
        """True when only pagination or sorting is set."""
        ignored = {"page", "per_page", "sort", "errors"}
        return all(getattr(self, f.name) == f.default for f in fields(self) if f.name not in ignored)


# Query-string parameter → (field, parser of one value or None for the scalar parameters).
def _int_in(allowed: set[int]):
    def parse(value: str) -> int:
        number = int(value)
        if number not in allowed:
            raise ValueError
        return number

    return parse


def _one_of(allowed):
    allowed = set(allowed)

    def parse(value: str) -> str:
        if value not in allowed:
            raise ValueError
        return value

    return parse


def _data_file_year(value: str) -> str:
    if value in (NULL, "datafoncier-manual") or DATA_FILE_YEAR.match(value):
        return value
    raise ValueError


def _boolean(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError
    return value == "true"


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError
    return number


def _positive_int_or_null(value: str) -> int | str:
    return NULL if value == NULL else _positive_int(value)


def _count(value: str) -> int:
    number = int(value)
    if not 0 <= number <= 1000:
        raise ValueError
    return number


def _commune_code(value: str) -> str:
    if not re.fullmatch(r"\d[\dAB]\d{3}", value):
        raise ValueError
    return value


def _department_code(value: str) -> str:
    if not re.fullmatch(r"\d[\dAB]|97\d", value):
        raise ValueError
    return value


def _perimeter_kind(value: str) -> str:
    if len(value) > 100:
        raise ValueError
    return value


def _siren(value: str) -> str:
    if not re.fullmatch(r"\d{9}", value):
        raise ValueError
    return value


STATUS_CODES = {status.value for status in HousingStatus}
ALL_SUB_STATUSES = {label for labels in SUB_STATUSES.values() for label in labels}

LIST_PARAMETERS = {
    "statusList": ("status_list", _int_in(STATUS_CODES)),
    "subStatus": ("sub_statuses", _one_of(ALL_SUB_STATUSES)),
    "occupancies": ("occupancies", _one_of(Occupancy.values)),
    "vacancyYears": ("vacancy_years", _one_of([*VACANCY_YEAR_BUCKETS, "missingData"])),
    "dataFileYearsIncluded": ("data_file_years_included", _data_file_year),
    "dataFileYearsExcluded": ("data_file_years_excluded", _data_file_year),
    "precisions": ("precisions", _positive_int),
    "localities": ("localities", _commune_code),
    "intercommunalities": ("intercommunalities", _siren),
    "departments": ("departments", _department_code),
    "geoPerimetersIncluded": ("geo_perimeters_included", _perimeter_kind),
    "groupIds": ("group_ids", _positive_int),
    "campaignIds": ("campaign_ids", _positive_int_or_null),
    "campaignCount": ("campaign_counts", _count),
    "referents": ("referents", _one_of({"me"})),
    "geoPerimetersExcluded": ("geo_perimeters_excluded", _perimeter_kind),
    "buildingPeriods": ("building_periods", _one_of(BUILDING_PERIOD_BUCKETS)),
    "ownershipKinds": ("ownership_kinds", _one_of(Ownership.values)),
    "housingCounts": ("housing_counts", _one_of(HOUSING_COUNT_BUCKETS)),
    "vacancyRates": ("vacancy_rates", _one_of(VACANCY_RATE_BUCKETS)),
    "housingKinds": ("housing_kinds", _one_of(HousingKind.values)),
    "housingAreas": ("housing_areas", _one_of(LIVING_AREA_BUCKETS)),
    "roomsCounts": ("rooms_counts", _one_of(ROOM_COUNT_BUCKETS)),
    "cadastralClassifications": ("cadastral_classifications", _one_of([*map(str, range(1, 9)), NULL])),
    "lastMutationTypes": ("last_mutation_types", _one_of([*LAST_MUTATION_TYPES, NULL])),
    "lastMutationYears": ("last_mutation_years", _one_of([*LAST_MUTATION_YEAR_BUCKETS, NULL])),
    "ownerKinds": ("owner_kinds", _one_of([*OwnerKind.values, NULL])),
    "ownerAges": ("owner_ages", _one_of([*OWNER_AGE_BUCKETS, NULL])),
    "relativeLocations": ("relative_locations", _one_of(RELATIVE_LOCATIONS)),
    "multiOwners": ("multi_owners", _boolean),
    "beneficiaryCounts": ("beneficiary_counts", _one_of(BENEFICIARY_COUNT_BUCKETS)),
    "ownerIds": ("owner_ids", _positive_int),
    "housingIds": ("housing_ids", _positive_int),
    "sort": ("sort", _one_of([*SORTABLE, *(f"-{key}" for key in SORTABLE)])),
}
PARAMETER_LABELS = {
    "status": "Statut de suivi",
    "statusList": "Statut de suivi",
    "subStatus": "Sous-statut de suivi",
    "occupancies": "Occupation actuelle",
    "vacancyYears": "Année de début de vacance",
    "dataFileYearsIncluded": "Sources et millésimes inclus",
    "dataFileYearsExcluded": "Sources et millésimes exclus",
    "precisions": "Précisions",
    "localities": "Commune",
    "intercommunalities": "Intercommunalités",
    "departments": "Départements",
    "geoPerimetersIncluded": "Périmètre inclus",
    "groupIds": "Groupe",
    "campaignIds": "Campagne",
    "campaignCount": "Nombre de campagnes",
    "referents": "Agent référent",
    "geoPerimetersExcluded": "Périmètre exclus",
    "buildingPeriods": "Date de construction",
    "ownershipKinds": "Type de propriété",
    "housingCounts": "Nombre de logements",
    "vacancyRates": "Taux de vacance",
    "housingKinds": "Type de logement",
    "housingAreas": "Surface",
    "roomsCounts": "Nombre de pièces",
    "cadastralClassifications": "Classement cadastral",
    "lastMutationTypes": "Dernière mutation (type)",
    "lastMutationYears": "Dernière mutation (date)",
    "ownerKinds": "Type de propriétaire",
    "ownerAges": "Âge",
    "relativeLocations": "Lieu de résidence",
    "multiOwners": "Multi-propriétaire",
    "beneficiaryCounts": "Nombre de propriétaires",
    "ownerIds": "Propriétaire",
    "housingIds": "Sélection",
    "sort": "Tri",
    "page": "Page",
    "perPage": "Nombre par page",
    "all": "Sélection",
    "query": "Recherche",
}
MAX_QUERY_LENGTH = 5000


def parse_filters(params) -> HousingFilters:
    """Parse a QueryDict (or dict of str) into filters; invalid values are collected in `errors`.

    A parameter with an invalid value is ignored (the others still apply) so that the page can show
    the message next to the filter instead of failing.
    """
    values: dict = {}
    errors: dict[str, str] = {}
    params = _text_parameters(params, errors)
    for parameter, (name, parse) in LIST_PARAMETERS.items():
        raw = _raw(params, parameter)
        if raw is None:
            continue
        tokens = [token.strip() for token in raw.split(",") if token.strip()]
        try:
            parsed = tuple(dict.fromkeys(parse(token) for token in tokens))
        except (ValueError, TypeError):
            errors[parameter] = f"Valeur non reconnue pour « {PARAMETER_LABELS[parameter]} »."
            continue
        if parameter == "localities":
            values[name] = parsed  # an explicit empty list matches nothing
        elif parsed:
            values[name] = parsed

    status = _raw(params, "status")
    if status not in (None, ""):
        try:
            values["status"] = _int_in(STATUS_CODES)(status)
        except ValueError:
            errors["status"] = "Statut de suivi inconnu."
    query = (_raw(params, "query") or "").strip()
    if len(query) > MAX_QUERY_LENGTH:
        errors["query"] = f"La recherche est limitée à {MAX_QUERY_LENGTH} caractères."
    elif query:
        values["query"] = query
    for parameter, name, maximum in (("page", "page", 100_000), ("perPage", "per_page", 500)):
        raw = _raw(params, parameter)
        if raw in (None, ""):
            continue
        try:
            number = int(raw)
            if not 1 <= number <= maximum:
                raise ValueError
            values[name] = number
        except ValueError:
            errors[parameter] = f"« {PARAMETER_LABELS[parameter]} » doit être un nombre entre 1 et {maximum}."
    all_selected = _raw(params, "all")
    if all_selected not in (None, ""):
        try:
            values["all_selected"] = _boolean(all_selected)
        except ValueError:
            errors["all"] = "Valeur non reconnue pour « Sélection »."
    return HousingFilters(**values, errors=errors)


def _text_parameters(params, errors: dict[str, str]) -> dict[str, str]:
    """The parameters as text; one holding a control character is left out, with its error (stored
    filters and API bodies reach here without passing the pages' middleware)."""
    text = {}
    for key in params:
        value = _raw(params, key)
        if value is not None and has_control_characters(value):
            errors[key] = CONTROL_CHARACTERS_MESSAGE
        else:
            text[key] = value
    return text


def _raw(params, key: str) -> str | None:
    value = params.get(key)
    if value is None:
        return None
    return str(value)


def apply_filters(
    queryset: QuerySet,
    filters: HousingFilters,
    *,
    today: datetime.date | None = None,
    establishment_id: int | None = None,
) -> QuerySet:
    """Narrow an already scoped dwellings queryset (see Housing.objects.visible_to) by the filters.

    Perimeter filters name perimeters of one establishment; without it they match nothing.
    """
    today = today or timezone.localdate()
    conditions = Q()
    if filters.status is not None:
        conditions &= Q(status=filters.status)
    if filters.status_list:
        conditions &= Q(status__in=filters.status_list)
    if filters.sub_statuses:
        conditions &= Q(sub_status__in=filters.sub_statuses)
    if filters.occupancies:
        occupancies = set(filters.occupancies)
        if Occupancy.OTHERS in occupancies:
            occupancies |= READ_ONLY_OCCUPANCIES
        conditions &= Q(occupancy__in=occupancies)
    if filters.vacancy_years:
        conditions &= _buckets(
            "vacancy_start_year", VACANCY_YEAR_BUCKETS, filters.vacancy_years, "missingData"
        )
    if filters.data_file_years_included:
        conditions &= _data_file_years(filters.data_file_years_included)
    if filters.data_file_years_excluded:
        conditions &= ~_data_file_years(filters.data_file_years_excluded)
    if filters.localities is not None:
        conditions &= Q(geo_code__in=filters.localities)
    if filters.intercommunalities:
        conditions &= Q(geo_code__in=_epci_communes(filters.intercommunalities))
    if filters.departments:
        department_condition = Q()
        for code in filters.departments:
            department_condition |= Q(geo_code__startswith=code)
        conditions &= department_condition
    if filters.building_periods:
        conditions &= _buckets("building_year", BUILDING_PERIOD_BUCKETS, filters.building_periods)
    if filters.ownership_kinds:
        conditions &= _ownership(filters.ownership_kinds)
    if filters.housing_counts:
        conditions &= _buckets("building__housing_count", HOUSING_COUNT_BUCKETS, filters.housing_counts)
    if filters.vacancy_rates:
        conditions &= _vacancy_rates(filters.vacancy_rates)
    if filters.housing_kinds:
        conditions &= Q(housing_kind__in=filters.housing_kinds)
    if filters.housing_areas:
        conditions &= _buckets("living_area", LIVING_AREA_BUCKETS, filters.housing_areas)
    if filters.rooms_counts:
        conditions &= _buckets("rooms_count", ROOM_COUNT_BUCKETS, filters.rooms_counts)
    if filters.cadastral_classifications:
        conditions &= _cadastral(filters.cadastral_classifications)
    if filters.last_mutation_types:
        conditions &= _mutation_types(filters.last_mutation_types)
    if filters.last_mutation_years:
        conditions &= _buckets(
            "last_mutation_year", LAST_MUTATION_YEAR_BUCKETS, filters.last_mutation_years, NULL
        )
    if filters.housing_ids:
        if filters.all_selected:
            conditions &= ~Q(pk__in=filters.housing_ids)
        else:
            conditions &= Q(pk__in=filters.housing_ids)
    if filters.precisions:
        conditions &= Q(
            Exists(
                HousingPrecision.objects.filter(housing=OuterRef("pk"), precision_id__in=filters.precisions)
            )
        )
    if filters.geo_perimeters_included or filters.geo_perimeters_excluded:
        conditions &= _perimeters(filters, establishment_id)
    queryset = queryset.filter(conditions)

    primary_owner = _primary_owner_conditions(filters, today)
    if primary_owner is not None:
        queryset = queryset.filter(primary_owner)
    if filters.beneficiary_counts:
        conditions = _buckets("owner_count", BENEFICIARY_COUNT_BUCKETS, filters.beneficiary_counts)
        queryset = queryset.filter(conditions)
    if filters.query:
        queryset = _search(queryset, filters.query)
    return queryset


def _buckets(column: str, buckets: dict, selected, null_value: str | None = None) -> Q:
    condition = Q()
    for value in selected:
        if value == null_value:
            condition |= Q(**{f"{column}__isnull": True})
            continue
        low, high = buckets[value]
        bounds = {}
        if low is not None:
            bounds[f"{column}__gte"] = low
        if high is not None:
            bounds[f"{column}__lte"] = high
        condition |= Q(**bounds)
    return condition


def _data_file_years(selected) -> Q:
    condition = Q()
    tags = [tag for tag in selected if tag not in (NULL, "datafoncier-manual")]
    if tags:
        condition |= Q(data_file_years__overlap=tags)
    if NULL in selected:
        condition |= Q(data_file_years=[])
    if "datafoncier-manual" in selected:
        condition |= Q(data_source="datafoncier-manual")
    return condition


def _perimeters(filters: HousingFilters, establishment_id: int | None) -> Q:
    from zlv.geo.perimeter_selectors import housing_in_perimeter_kinds_condition

    if establishment_id is None:
        return Q(pk__in=[])
    condition = Q()
    if filters.geo_perimeters_included:
        condition &= Q(
            housing_in_perimeter_kinds_condition(filters.geo_perimeters_included, establishment_id)
        )
    if filters.geo_perimeters_excluded:
        condition &= ~Q(
            housing_in_perimeter_kinds_condition(filters.geo_perimeters_excluded, establishment_id)
        )
    return condition


def _epci_communes(sirens) -> QuerySet:
    from zlv.geo.models import Epci

    return Epci.communes.through.objects.filter(epci_id__in=sirens).values("commune_id")


def _ownership(selected) -> Q:
    condition = Q()
    if Ownership.SINGLE in selected:
        condition |= Q(condominium="") | Q(condominium="single")
    if Ownership.CO in selected:
        condition |= Q(condominium__in=CO_OWNERSHIP_CODES)
    if Ownership.OTHER in selected:
        condition |= ~Q(condominium__in=[*CO_OWNERSHIP_CODES, "", "single"])
    return condition


def _vacancy_rates(selected) -> Q:
    # rate = 100 · vacant / housing_count, compared without division: low·count ≤ 100·vacant ≤ high·count
    from django.db.models import F

    condition = Q()
    for value in selected:
        low, high = VACANCY_RATE_BUCKETS[value]
        bounds = Q(building__housing_count__gt=0)
        if low is not None:
            bounds &= Q(building__vacant_housing_count__gte=F("building__housing_count") * low / 100.0)
        if high is not None:
            bounds &= Q(building__vacant_housing_count__lte=F("building__housing_count") * high / 100.0)
        condition |= bounds
    return condition


def _cadastral(selected) -> Q:
    condition = Q(cadastral_classification__in=[int(value) for value in selected if value != NULL])
    if NULL in selected:
        condition |= Q(cadastral_classification__isnull=True)
    return condition


def _mutation_types(selected) -> Q:
    """Sale, donation or unknown: `Housing.last_mutation_type` (computed by the database)."""
    condition = Q(last_mutation_type__in=[value for value in selected if value != NULL])
    if NULL in selected:
        condition |= Q(last_mutation_type__isnull=True)
    return condition


def _primary_owner_conditions(filters: HousingFilters, today: datetime.date) -> Q | None:
    """Owner filters apply to the primary owner (rank 1).

    They read the copies of the primary owner's fields on the dwelling row (see
    zlv/housing/primary_owner.py): no join with 200 000 owners.
    """
    owner = Q()
    used = False
    if filters.owner_kinds:
        used = True
        kinds = [kind for kind in filters.owner_kinds if kind != NULL]
        kind_condition = Q(primary_owner_kind__in=kinds)
        if NULL in filters.owner_kinds:
            kind_condition |= Q(primary_owner_kind="")
        owner &= kind_condition
    if filters.owner_ages:
        used = True
        owner &= _owner_ages(filters.owner_ages, today)
    if filters.multi_owners:
        used = True
        owner &= Q(primary_owner_multi__in=filters.multi_owners)
    if filters.owner_ids:
        used = True
        owner &= Q(primary_owner_id__in=filters.owner_ids)
    if filters.relative_locations:
        used = True
        codes = [code for value in filters.relative_locations for code in RELATIVE_LOCATIONS[value]]
        location = Q(primary_owner_location__in=codes)
        if "other" in filters.relative_locations:
            location |= Q(primary_owner_location__isnull=True)
        owner &= location
    if not used:
        return None
    return Q(primary_owner__isnull=False) & owner


def _owner_ages(selected, today: datetime.date) -> Q:
    condition = Q()
    for value in selected:
        if value == NULL:
            condition |= Q(primary_owner_birth_date__isnull=True)
            continue
        youngest, oldest = OWNER_AGE_BUCKETS[value]
        bounds = {"primary_owner_birth_date__lte": _years_before(today, youngest)}
        if oldest is not None:
            bounds["primary_owner_birth_date__gt"] = _years_before(today, oldest + 1)
        condition |= Q(**bounds)
    return condition


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _search(queryset: QuerySet, query: str) -> QuerySet:
    """Owner name (accent-insensitive, any word order), address, or a pasted list of identifiers.

    Every arm reads columns of `housing_search_idx` (one index-only pass over the perimeter); the
    arms' ids are united, so that a page of results never walks the whole table in id order.
    """
    tokens = [token for token in ID_TOKENS.split(query) if token]
    identifiers = Q(local_id__in=tokens) | Q(invariant__in=tokens) | Q(cadastral_reference__in=tokens)
    identifiers |= Q(plot_id__in=tokens)
    if len(tokens) > 20:
        return queryset.filter(identifiers)
    # Words are letters and digits (apostrophes and hyphens kept, as in D'ARC or JEAN-PAUL).
    words = [searchable_text(word) for word in re.split(r"[^\w'’-]+", query) if word]
    if not words:
        return queryset.filter(identifiers)
    # The primary owner's name, copied on the dwelling as the search compares it. Words under three
    # letters match nearly every name: they do not narrow names when a longer word does.
    name_words = [word for word in words if len(word) >= 3] or words
    owner = Q()
    for word in name_words:
        owner &= Q(primary_owner_search_name__contains=word)
    # The address as the search compares it, kept by PostgreSQL (Housing.address_search): street
    # abbreviations spelt out, so "av" finds AVENUE and "avenue" finds "AV"; an abbreviation typed
    # still matches as written too ("st" finds SAINT and STADE).
    address = Q()
    for word in address_words(words):
        variants = Q()
        for variant in address_word_variants(word):
            variants |= Q(address_search__contains=variant)
        address &= variants
    matching = queryset.filter(identifiers | address).values("id").union(queryset.filter(owner).values("id"))
    return Housing.objects.filter(pk__in=matching)


def order_by_sort(queryset: QuerySet, filters: HousingFilters) -> QuerySet:
    """Sort by owner, occupancy or status; by id otherwise.

    The default is the id alone (import order, grouped by commune in LOVAC files): the primary key
    index yields the first page without sorting the whole perimeter.
    """
    if not filters.sort:
        return queryset.order_by("id")
    sorts_by_owner = any(key.lstrip("-") == "owner" for key in filters.sort)
    if sorts_by_owner and "primary_owner_name" not in queryset.query.annotations:
        queryset = queryset.annotate(primary_owner_name=F("primary_owner__full_name"))
    keys = [("-" if key.startswith("-") else "") + SORTABLE[key.lstrip("-")] for key in filters.sort]
    return queryset.order_by(*keys, "id")
