"""API v1 (django-ninja): the same filters, scope and rules as the pages. OpenAPI at /api/v1/openapi.json."""

import datetime

from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.urls import path
from django.utils import timezone
from django.views.generic import RedirectView
from ninja import NinjaAPI, Schema
from ninja.security import APIKeyCookie, HttpBearer

from zlv.api.docs import SwaggerFromStatic
from zlv.api.models import ApiToken, hash_token
from zlv.api.routing import merge_routes
from zlv.campaigns.selectors import campaign_for_user, campaign_stats, campaigns_by_housing, campaigns_of
from zlv.housing.enums import HousingStatus
from zlv.housing.filters import FilterError, parse_filters
from zlv.housing.models import Housing, HousingOwner, Owner
from zlv.housing.selectors import filtered_housing, housing_counts, housing_page, map_features
from zlv.housing.services import housing_snapshot


class SessionAuth(APIKeyCookie):
    """The browser session of a signed-in agent (read routes only, so no CSRF token needed)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key):
        return request.user if request.user.is_authenticated else None


class TokenAuth(HttpBearer):
    """`Authorization: Bearer zlv_…`, a personal token created with `manage.py create_api_token`."""

    def authenticate(self, request: HttpRequest, token: str):
        api_token = (
            ApiToken.objects.select_related("user")
            .filter(token_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if api_token is None:
            return None
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=timezone.now())
        request.user = api_token.user
        return api_token.user


api = NinjaAPI(
    title="Zéro Logement Vacant",
    version="1",
    description="Logements vacants du périmètre de votre structure. Authentification : session ou jeton.",
    urls_namespace="api-v1",
    auth=[TokenAuth(), SessionAuth()],
    docs=SwaggerFromStatic(),
)


@api.exception_handler(FilterError)
def filter_error(request, error: FilterError):
    return api.create_response(request, {"detail": "Filtres invalides.", "errors": error.errors}, status=400)


class OwnerLinkOut(Schema):
    owner_id: int
    full_name: str
    rank: int
    rank_label: str
    property_right: str


class HousingRowOut(Schema):
    id: int
    local_id: str
    geo_code: str
    address: str
    status: int
    status_label: str
    sub_status: str
    occupancy: str
    occupancy_label: str
    primary_owner_id: int | None
    primary_owner_name: str | None
    campaign_ids: list[int]


class HousingPageOut(Schema):
    page: int
    per_page: int
    items: list[HousingRowOut]


class CountOut(Schema):
    housing: int
    owners: int
    by_status: dict[int, int]


class HousingOut(Schema):
    id: int
    local_id: str
    invariant: str
    geo_code: str
    address: str
    ban_address: str
    latitude: float | None
    longitude: float | None
    housing_kind: str
    living_area: int | None
    rooms_count: int | None
    building_year: int | None
    cadastral_classification: int | None
    vacancy_start_year: int | None
    status: int
    status_label: str
    sub_status: str
    occupancy: str
    occupancy_label: str
    occupancy_intended: str
    actual_dpe: str
    precisions: list[int]
    data_file_years: list[str]
    campaign_ids: list[int]
    owners: list[OwnerLinkOut]


class OwnerHousingOut(Schema):
    id: int
    local_id: str
    address: str
    rank: int
    status_label: str


class OwnerOut(Schema):
    id: int
    full_name: str
    birth_date: datetime.date | None
    kind: str
    address: str
    postal_address: str
    do_not_contact: bool
    housing: list[OwnerHousingOut]


class CampaignOut(Schema):
    id: int
    title: str
    description: str
    created_at: datetime.datetime
    created_by: str
    sent_at: datetime.date | None
    group_id: int | None
    housing_count: int
    owner_count: int
    return_count: int
    return_rate: float | None


def _campaign(campaign, stats) -> dict:
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "description": campaign.description,
        "created_at": campaign.created_at,
        "created_by": campaign.created_by.full_name,
        "sent_at": campaign.sent_at,
        "group_id": campaign.group_id,
        "housing_count": stats.housing,
        "owner_count": stats.owners,
        "return_count": stats.returns,
        "return_rate": stats.return_rate,
    }


def _filters_or_400(request):
    filters = parse_filters(request.GET)
    if filters.errors:
        raise FilterError(filters.errors)
    return filters


def _row(housing: Housing, campaigns: dict) -> dict:
    return {
        "id": housing.pk,
        "local_id": housing.local_id,
        "geo_code": housing.geo_code,
        "address": housing.address_dgfip,
        "status": housing.status,
        "status_label": housing.get_status_display(),
        "sub_status": housing.sub_status,
        "occupancy": housing.occupancy,
        "occupancy_label": housing.get_occupancy_display(),
        "primary_owner_id": housing.primary_owner_id,
        "primary_owner_name": housing.primary_owner_name,
        "campaign_ids": [campaign.pk for campaign in campaigns.get(housing.pk, [])],
    }


@api.get("/housing", response=HousingPageOut, summary="Logements filtrés (paginés)")
def housing_list(request):
    filters = _filters_or_400(request)
    rows = housing_page(filtered_housing(request.user, filters), filters)
    campaigns = campaigns_by_housing(request.user, [housing.pk for housing in rows])
    return {
        "page": filters.page,
        "per_page": filters.per_page,
        "items": [_row(housing, campaigns) for housing in rows],
    }


@api.get("/housing/count", response=CountOut, summary="Nombre de logements, de propriétaires et par statut")
def housing_count(request):
    return housing_counts(filtered_housing(request.user, _filters_or_400(request)))


@api.get(
    "/housing/map", summary="Carte : groupes (zoom faible) ou adresses dans la vue (zoom fort), en GeoJSON"
)
def housing_map(request, zoom: float = 10, bbox: str = ""):
    filters = _filters_or_400(request)
    bounds = None
    if bbox:
        try:
            west, south, east, north = (float(value) for value in bbox.split(","))
        except ValueError:
            raise FilterError({"bbox": "La zone doit être « ouest,sud,est,nord » en degrés."}) from None
        bounds = (west, south, east, north)
    if not 0 <= zoom <= 24:
        raise FilterError({"zoom": "Le niveau de zoom doit être compris entre 0 et 24."})
    return map_features(filtered_housing(request.user, filters), bbox=bounds, zoom=zoom)


@api.get("/housing/{housing_id}", response=HousingOut, summary="Un logement et ses propriétaires")
def housing_detail(request, housing_id: int):
    """status, sub_status, occupancy, occupancy_intended, actual_dpe and precisions are what
    PATCH /housing/{id} takes in `expected` to refuse overwriting another user's change."""
    links = HousingOwner.objects.select_related("owner").order_by("-rank")
    housing = (
        Housing.objects.visible_to(request.user)
        .prefetch_related(Prefetch("owner_links", queryset=links))
        .filter(pk=housing_id)
        .first()
    )
    if housing is None:
        raise Http404
    active_first = sorted(housing.owner_links.all(), key=lambda link: (link.rank < 1, abs(link.rank)))
    return {
        **{field: getattr(housing, field) for field in HousingOut.model_fields if hasattr(housing, field)},
        "precisions": housing_snapshot(housing)["precision_ids"],
        "campaign_ids": [c.pk for c in campaigns_by_housing(request.user, [housing.pk]).get(housing.pk, [])],
        "address": housing.address_dgfip,
        "status_label": housing.get_status_display(),
        "occupancy_label": housing.get_occupancy_display(),
        "owners": [
            {
                "owner_id": link.owner_id,
                "full_name": link.owner.full_name,
                "rank": link.rank,
                "rank_label": link.get_rank_display(),
                "property_right": link.property_right,
            }
            for link in active_first
        ],
    }


@api.get("/owners/{owner_id}", response=OwnerOut, summary="Un propriétaire et ses logements du périmètre")
def owner_detail(request, owner_id: int):
    visible = Housing.objects.visible_to(request.user)
    links = list(
        HousingOwner.objects.filter(owner_id=owner_id, housing__in=visible)
        .select_related("housing")
        .order_by("-rank", "housing_id")
    )
    if not links:  # an owner is visible only through a dwelling of the perimeter
        raise Http404
    owner = Owner.objects.get(pk=owner_id)
    return {
        "id": owner.pk,
        "full_name": owner.full_name,
        "birth_date": owner.birth_date,
        "kind": owner.kind,
        "address": owner.address_dgfip,
        "postal_address": owner.postal_address,
        "do_not_contact": owner.do_not_contact,
        "housing": [
            {
                "id": link.housing_id,
                "local_id": link.housing.local_id,
                "address": link.housing.address_dgfip,
                "rank": link.rank,
                "status_label": HousingStatus(link.housing.status).label,
            }
            for link in links
        ],
    }


@api.get("/campaigns", response=list[CampaignOut], summary="Campagnes de la structure (récentes d’abord)")
def campaign_list(request):
    campaigns = list(campaigns_of(request.user))
    stats = campaign_stats(request.user, campaigns)
    return [_campaign(campaign, stats[campaign.pk]) for campaign in campaigns]


@api.get("/campaigns/{campaign_id}", response=CampaignOut, summary="Une campagne et ses chiffres")
def campaign_detail(request, campaign_id: int):
    campaign = campaign_for_user(request.user, campaign_id)
    return _campaign(campaign, campaign_stats(request.user, [campaign])[campaign.pk])


def api_urls():
    """The API's URL patterns; ninja authenticates them itself (401 as JSON, not a sign-in redirect)."""
    patterns, app_name, namespace = api.urls
    # Ninja's root is a 404 kept for reverse(); the address of the API leads to its documentation.
    patterns = [
        path("", RedirectView.as_view(pattern_name=f"{namespace}:openapi-view"), name=p.name)
        if p.name == "api-root"
        else p
        for p in patterns
    ]
    patterns = merge_routes(patterns)
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace


from zlv.api.v1_write import router as write_router  # noqa: E402 — the write routes use this module's auth

api.add_router("", write_router)
