"""What the "Parc de logements" page shows of the filters: side-menu sections, labels, tags, links.

The filter model itself (names, values, semantics) lives in zlv.housing.filters; this module only
turns it into French labels and into URLs that round-trip through `parse_filters`.
"""

import dataclasses
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.utils.text import slugify

from zlv.housing.enums import (
    READ_ONLY_OCCUPANCIES,
    SUB_STATUSES,
    CadastralClassification,
    HousingKind,
    HousingStatus,
    Occupancy,
    OwnerKind,
    Ownership,
)
from zlv.housing.filters import LIST_PARAMETERS, NULL, PARAMETER_LABELS, HousingFilters
from zlv.housing.list_selectors import LOVAC_TAG, latest_lovac_tag
from zlv.utils.numbers import count_phrase, plural
from zlv.www.records.presenters import PRECISION_GROUPS

NO_INFORMATION = "Pas d’information"
RENTED_TAG = re.compile(r"^ff-\d{4}-locatif$")
MANUAL_TAG = re.compile(r"^ff-\d{4}$")
# Badges and map points: DSFR colour families of DOMAIN §1.3 (the blocked status reads "Bloqué").
STATUS_BADGES = {
    HousingStatus.NEVER_CONTACTED: ("Non suivi", "beige-gris-galet"),
    HousingStatus.WAITING: ("En attente de retour", "yellow-tournesol"),
    HousingStatus.FIRST_CONTACT: ("Premier contact", "blue-cumulus"),
    HousingStatus.IN_PROGRESS: ("Suivi en cours", "orange-terre-battue"),
    HousingStatus.COMPLETED: ("Suivi terminé", "green-bourgeon"),
    HousingStatus.BLOCKED: ("Bloqué", "purple-glycine"),
}

STATIC_OPTIONS: dict[str, list[tuple[str, str]]] = {
    "occupancies": [
        (choice.value, choice.label) for choice in Occupancy if choice.value not in READ_ONLY_OCCUPANCIES
    ],
    "vacancyYears": [
        *((str(year), str(year)) for year in range(2023, 2018, -1)),
        ("2018to2015", "Entre 2015 et 2018"),
        ("2014to2010", "Entre 2010 et 2014"),
        ("before2010", "Avant 2010"),
        ("missingData", NO_INFORMATION),
    ],
    "statusList": [(str(status.value), status.label) for status in HousingStatus],
    "buildingPeriods": [
        ("lt1919", "Avant 1919"),
        ("1919to1945", "Entre 1919 et 1945"),
        ("1946to1990", "Entre 1946 et 1990"),
        ("gte1991", "1991 ou après"),
    ],
    "ownershipKinds": [(choice.value, choice.label) for choice in Ownership],
    "housingCounts": [
        ("lt5", "Moins de 5"),
        ("5to19", "Entre 5 et 19"),
        ("20to49", "Entre 20 et 49"),
        ("gte50", "50 et plus"),
    ],
    "vacancyRates": [
        ("lt20", "Moins de 20 %"),
        ("20to39", "Entre 20 et 39 %"),
        ("40to59", "Entre 40 et 59 %"),
        ("60to79", "Entre 60 et 79 %"),
        ("gte80", "80 % et plus"),
    ],
    "housingKinds": [(choice.value, choice.label) for choice in HousingKind],
    "housingAreas": [
        ("lt35", "Moins de 35 m²"),
        ("35to74", "Entre 35 et 74 m²"),
        ("75to99", "Entre 75 et 99 m²"),
        ("gte100", "100 m² et plus"),
    ],
    "roomsCounts": [
        ("1", "1 pièce"),
        ("2", "2 pièces"),
        ("3", "3 pièces"),
        ("4", "4 pièces"),
        ("gte5", "5 pièces et plus"),
    ],
    "cadastralClassifications": [
        *((str(choice.value), choice.label) for choice in CadastralClassification),
        (NULL, NO_INFORMATION),
    ],
    "lastMutationTypes": [("sale", "Vente"), ("donation", "Donation"), (NULL, NO_INFORMATION)],
    "lastMutationYears": [
        *((str(year), str(year)) for year in range(2024, 2020, -1)),
        ("2015to2020", "Entre 2015 et 2020"),
        ("2010to2014", "Entre 2010 et 2014"),
        ("lte2009", "2009 et avant"),
        (NULL, NO_INFORMATION),
    ],
    "ownerKinds": [*((choice.value, choice.label) for choice in OwnerKind), (NULL, NO_INFORMATION)],
    "ownerAges": [
        ("lt40", "Moins de 40 ans"),
        ("40to59", "40 - 59 ans"),
        ("60to74", "60 - 74 ans"),
        ("75to99", "75 - 99 ans"),
        ("gte100", "100 ans et plus"),
        (NULL, NO_INFORMATION),
    ],
    "relativeLocations": [
        ("same-commune", "Dans la même commune"),
        ("same-department", "Dans le même département"),
        ("same-region", "Dans la même région"),
        ("other-region", "Dans une autre région"),
        ("foreign-country", "À l’étranger"),
        ("other", NO_INFORMATION),
    ],
    "multiOwners": [("true", "Oui"), ("false", "Non")],
    "referents": [("me", "Mes logements (je suis l’agent référent)")],
    "beneficiaryCounts": [
        ("0", "Aucun"),
        ("1", "1"),
        ("2", "2"),
        ("3", "3"),
        ("4", "4"),
        ("gte5", "5 et plus"),
    ],
}
# Labels of the read-only occupancies, only shown when a bookmarked URL selects one of them.
OCCUPANCY_LABELS = dict(Occupancy.choices)
NO_CAMPAIGN_LABEL = "Dans aucune campagne"
# Beyond this many options, the campaign picker folds into an accordion of its own.
CAMPAIGN_PICKER_FOLD = 8
# Tags read "Occupation : Vacant" (DOMAIN §2, "Other behaviors").
TAG_LABELS = {**PARAMETER_LABELS, "occupancies": "Occupation", "query": "Recherche"}

# Side-menu sections (DOMAIN §2): (accordion id, title, parameters).
SECTIONS = (
    ("sources", "Fichiers sources", ("dataFileYearsIncluded", "dataFileYearsExcluded")),
    (
        "suivi",
        "Suivi et campagnes",
        ("occupancies", "vacancyYears", "campaignIds", "statusList", "subStatus", "precisions", "referents"),
    ),
    (
        "localisation",
        "Localisation",
        ("intercommunalities", "localities", "geoPerimetersIncluded", "geoPerimetersExcluded"),
    ),
    ("batiment", "Bâtiment", ("buildingPeriods", "ownershipKinds", "housingCounts", "vacancyRates")),
    (
        "logement",
        "Logement",
        (
            "housingKinds",
            "housingAreas",
            "roomsCounts",
            "cadastralClassifications",
            "lastMutationTypes",
            "lastMutationYears",
        ),
    ),
    (
        "proprietaires",
        "Propriétaires",
        ("ownerKinds", "ownerAges", "relativeLocations", "multiOwners", "beneficiaryCounts"),
    ),
)
MENU_PARAMETERS = frozenset(parameter for _, _, parameters in SECTIONS for parameter in parameters)
# Parameters whose presence in the URL means "the user chose filters" (else the default applies);
# the status tab, the sort, the page and the view are not filters.
FILTER_PARAMETERS = frozenset({*LIST_PARAMETERS} - {"sort"} | {"query"})
DATA_FILE_YEAR_PARAMETERS = ("dataFileYearsIncluded", "dataFileYearsExcluded")
# Groups of the sources menu (DOMAIN §1.6).
RECENT_SOURCES, OTHER_SOURCES, OLDER_SOURCES = (
    "Sources les plus récentes",
    "Autres sources",
    "Sources antérieures",
)


def data_file_year_label(tag: str) -> str:
    if tag == NULL:
        return "Source inconnue"
    if tag == "datafoncier-manual":
        return "Logements ajoutés manuellement"
    if match := LOVAC_TAG.match(tag):
        return f"LOVAC {match.group(1)} (vacant > 2 ans)"
    if tag.startswith("ff-") and tag.endswith("-locatif"):
        return f"Fichiers fonciers {tag[3:7]} (en location)"
    if tag.startswith("ff-"):
        return f"Fichiers fonciers {tag[3:7]} (ajout manuel)"
    return tag


def data_file_year_groups(tags: list[str]) -> list[tuple[str, list[str]]]:
    """The sources menu (DOMAIN §1.6): the latest LOVAC and rented-FF millésimes, then the manual and
    unknown sources, then the older millésimes. `tags` come newest first."""
    rented = [tag for tag in tags if RENTED_TAG.match(tag)]
    recent = [tag for tag in (latest_lovac_tag(tags), rented[0] if rented else None) if tag]
    others = ["datafoncier-manual", NULL, *(tag for tag in tags if MANUAL_TAG.match(tag))]
    older = [tag for tag in tags if tag not in recent and tag not in others]
    groups = [(RECENT_SOURCES, recent), (OTHER_SOURCES, others), (OLDER_SOURCES, older)]
    return [(label, group) for label, group in groups if group]


def query_parameters(query_dict) -> dict[str, str]:
    """A form sends `occupancies=V&occupancies=L`, a shared URL `occupancies=V,L`: read both."""
    return {key: ",".join(values) for key, values in query_dict.lists()}


def has_filter_parameters(params: dict[str, str]) -> bool:
    return any(key in FILTER_PARAMETERS for key in params)


def _raw_values(filters: HousingFilters, parameter: str) -> list[str]:
    name = LIST_PARAMETERS[parameter][0]
    values = getattr(filters, name)
    if values is None:
        return []
    return ["true" if value is True else "false" if value is False else str(value) for value in values]


def filter_query(filters: HousingFilters, *, with_page: bool = True) -> list[tuple[str, str]]:
    """The canonical query parameters of the filters (comma-separated lists, DOMAIN §2).

    `parse_filters` reads them back to the same filters. When no filter is set, an empty
    `dataFileYearsIncluded` says so explicitly, otherwise the default millésime would come back.
    """
    pairs: list[tuple[str, str]] = []
    for parameter, (name, _) in LIST_PARAMETERS.items():
        if parameter == "sort":
            continue
        if parameter == "localities" and filters.localities == ():
            pairs.append((parameter, ""))  # an explicit empty list matches nothing
        elif getattr(filters, name):
            pairs.append((parameter, ",".join(_raw_values(filters, parameter))))
    if filters.status is not None:
        pairs.append(("status", str(filters.status)))
    if filters.query:
        pairs.append(("query", filters.query))
    if filters.all_selected:
        pairs.append(("all", "true"))
    if not pairs:
        pairs.append(("dataFileYearsIncluded", ""))
    if filters.sort:
        pairs.append(("sort", ",".join(filters.sort)))
    if with_page and filters.per_page != HousingFilters.per_page:
        pairs.append(("perPage", str(filters.per_page)))
    if with_page and filters.page != 1:
        pairs.append(("page", str(filters.page)))
    return pairs


def page_url(base: str, filters: HousingFilters, view: str, **changes) -> str:
    """The list's URL for these filters with some fields changed (page back to 1 unless given)."""
    changes.setdefault("page", 1)
    pairs = filter_query(dataclasses.replace(filters, **changes))
    if view == "map":
        pairs.append(("view", "map"))
    return f"{base}?{urlencode(pairs)}"


def reset_url(base: str, view: str) -> str:
    return f"{base}?view=map" if view == "map" else base


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    checked: bool
    # Sub-statuses carry their status, so that the page script can hide those of unselected statuses.
    status: str = ""
    hidden: bool = False
    # The removable tag's text when the label alone is ambiguous ("À venir" → "À venir (Travaux)").
    tag_label: str = ""


@dataclass(frozen=True)
class OptionGroup:
    label: str  # "" when the options of the field are not grouped
    options: list[Option]


@dataclass(frozen=True)
class FilterField:
    key: str  # unique in the page: the three précisions fields share one parameter
    parameter: str
    label: str
    groups: list[OptionGroup]
    disabled: bool = False
    hint: str = ""
    # The commune picker: only the chosen communes are in the page, the others come by type-ahead.
    picker: bool = False
    # Long lists (précisions) fold into an accordion of their own.
    collapsible: bool = False

    @property
    def options(self) -> list[Option]:
        return [option for group in self.groups for option in group.options]

    @property
    def selected_count(self) -> int:
        return sum(option.checked for option in self.options)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    fields: list[FilterField] = field(default_factory=list)

    @property
    def selected_count(self) -> int:
        return sum(filter_field.selected_count for filter_field in self.fields)


def option_groups(
    parameter: str,
    *,
    tags: list[str],
    communes: list,
    intercommunalities: list,
    perimeter_kinds=(),
    campaigns=(),
) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(value, label)]) of the options of a parameter, in display order.

    `communes` are the chosen ones only: the commune picker finds the others on demand.
    `campaigns` are (id, title) of the establishment's campaigns, newest first.
    """
    if parameter in DATA_FILE_YEAR_PARAMETERS:
        return [
            (group, [(tag, data_file_year_label(tag)) for tag in group_tags])
            for group, group_tags in data_file_year_groups(tags)
        ]
    if parameter == "localities":
        options = [(commune.code, commune.name) for commune in communes]
    elif parameter == "intercommunalities":
        options = [(epci.siren, epci.name) for epci in intercommunalities]
    elif parameter in ("geoPerimetersIncluded", "geoPerimetersExcluded"):
        options = [(kind, kind) for kind in perimeter_kinds]
    elif parameter == "subStatus":
        options = [(label, label) for labels in SUB_STATUSES.values() for label in labels]
    elif parameter == "campaignIds":
        options = [*((str(pk), title) for pk, title in campaigns), (NULL, NO_CAMPAIGN_LABEL)]
    else:
        options = STATIC_OPTIONS.get(parameter, [])
    return [("", options)]


def value_label(parameter: str, value: str, labels: dict[str, str]) -> str:
    if parameter == "occupancies":
        return OCCUPANCY_LABELS.get(value, value)
    if parameter == "statusList":
        return STATUS_BADGES[int(value)][0] if value.isdigit() and int(value) in STATUS_BADGES else value
    if parameter in DATA_FILE_YEAR_PARAMETERS:
        return data_file_year_label(value)
    if parameter == "campaignIds" and value not in labels:
        # Another establishment's campaign, or a deleted one: its title is not the reader's to see.
        return NO_CAMPAIGN_LABEL if value == NULL else f"campagne n° {value} (introuvable)"
    return labels.get(value, value)


def precision_fields(filters: HousingFilters, precisions: list) -> list[FilterField]:
    """Three pickers of the one `precisions` parameter (DOMAIN §2 #9), options grouped by category
    (DOMAIN §1.4)."""
    selected = set(_raw_values(filters, "precisions"))
    by_category: dict[str, list] = {}
    for precision in precisions:
        by_category.setdefault(precision.category, []).append(precision)
    fields = []
    for title, _empty_text, categories in PRECISION_GROUPS:
        groups = [
            OptionGroup(
                category.label,
                [
                    Option(
                        str(precision.pk),
                        precision.label,
                        str(precision.pk) in selected,
                        tag_label=f"{precision.label} ({category.label})",
                    )
                    for precision in by_category[category]
                ],
            )
            for category in categories
            if by_category.get(category)
        ]
        if groups:
            key = f"precisions-{slugify(title)}"
            fields.append(FilterField(key, "precisions", title, groups, collapsible=True))
    return fields


def build_menu(
    filters: HousingFilters,
    *,
    tags: list[str],
    communes: list,
    intercommunalities: list,
    perimeter_kinds=(),
    precisions=(),
    campaigns=(),
) -> list[Section]:
    """The side menu; `campaigns` are (id, title) of the establishment's campaigns, newest first."""
    sections = []
    sub_status_of = {label: str(status) for status, labels in SUB_STATUSES.items() for label in labels}
    statuses = {str(status) for status in filters.status_list}
    for key, title, parameters in SECTIONS:
        fields = []
        for parameter in parameters:
            if parameter == "precisions":
                fields += precision_fields(filters, precisions)
                continue
            if parameter == "intercommunalities" and not intercommunalities:
                continue
            is_perimeter = parameter in ("geoPerimetersIncluded", "geoPerimetersExcluded")
            if is_perimeter and not perimeter_kinds and not _raw_values(filters, parameter):
                continue
            groups = option_groups(
                parameter,
                tags=tags,
                communes=communes,
                intercommunalities=intercommunalities,
                perimeter_kinds=perimeter_kinds,
                campaigns=campaigns,
            )
            selected = _raw_values(filters, parameter)
            known = {value for _, options in groups for value, _ in options}
            # A bookmarked value that is not offered any more stays visible, so it can be removed.
            unknown = [(value, value_label(parameter, value, {})) for value in selected if value not in known]
            groups[-1] = (groups[-1][0], [*groups[-1][1], *unknown])
            # Only the sub-statuses of the selected statuses are offered; the others stay in the page,
            # hidden, so that ticking a status shows them without reloading the menu.
            field_groups = [
                OptionGroup(
                    group_label,
                    [
                        Option(
                            value,
                            label,
                            value in selected,
                            status=sub_status_of.get(value, ""),
                            hidden=bool(statuses)
                            and parameter == "subStatus"
                            and sub_status_of[value] not in statuses,
                        )
                        for value, label in options
                    ],
                )
                for group_label, options in groups
            ]
            disabled, hint = False, ""
            if parameter == "vacancyYears":
                disabled = Occupancy.VACANT not in filters.occupancies
                hint = "Disponible quand l’occupation « Vacant » est cochée."
            if parameter == "subStatus":
                hint = "Ceux des statuts de suivi cochés, ou tous si aucun statut n’est coché."
            fields.append(
                FilterField(
                    parameter,
                    parameter,
                    PARAMETER_LABELS[parameter],
                    field_groups,
                    disabled=disabled,
                    hint=hint,
                    picker=parameter == "localities",
                    collapsible=parameter == "campaignIds" and len(campaigns) > CAMPAIGN_PICKER_FOLD,
                )
            )
        sections.append(Section(key, title, fields))
    return sections


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


def active_filters(
    base: str, filters: HousingFilters, view: str, *, menu: list[Section]
) -> list[ActiveFilter]:
    """One removable tag per selected value, "Occupation : Vacant"."""
    menu_labels: dict[str, dict[str, str]] = {}
    for section in menu:
        for filter_field in section.fields:
            labels = menu_labels.setdefault(filter_field.parameter, {})
            labels.update({option.value: option.tag_label or option.label for option in filter_field.options})
    tags = []
    for parameter, (name, _) in LIST_PARAMETERS.items():
        if parameter == "sort":
            continue
        values = getattr(filters, name)
        if not values:
            continue
        raw_values = _raw_values(filters, parameter)
        for raw, value in zip(raw_values, values, strict=True):
            label = value_label(parameter, raw, menu_labels.get(parameter, {}))
            remaining = tuple(other for other in values if other != value)
            if parameter == "localities" and not remaining:
                remaining = None  # removing the last commune means "every commune", not "none"
            tags.append(
                ActiveFilter(
                    f"{TAG_LABELS[parameter]} : {label}",
                    page_url(base, filters, view, **{name: remaining}),
                )
            )
    if filters.query:
        tags.append(ActiveFilter(f"Recherche : {filters.query}", page_url(base, filters, view, query="")))
    return tags


def hidden_parameters(filters: HousingFilters) -> list[tuple[str, str]]:
    """Filters the side menu has no field for (owner, groups…): kept when the form is sent."""
    ignored = MENU_PARAMETERS | {"query", "page", "status", "sort"}
    return [(key, value) for key, value in filter_query(filters) if key not in ignored]


def count_sentence(*, housing: int, owners: int, total: int | None) -> str:
    """ "N logements (M propriétaires) filtrés sur un total de T logements"; without T on status tabs."""
    sentence = (
        f"{count_phrase(housing, 'logement', 'logements')} "
        f"({count_phrase(owners, 'propriétaire', 'propriétaires')})"
    )
    if total is None:
        return sentence
    return (
        f"{sentence} {plural(housing, 'filtré', 'filtrés')} sur un total de "
        f"{count_phrase(total, 'logement', 'logements')}"
    )
