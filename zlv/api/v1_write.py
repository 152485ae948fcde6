"""API v1, writes: the same services, rules, events and permissions as the pages.

Session-authenticated writes need the CSRF token (header X-CSRFToken), token-authenticated ones do
not; visitors get 403; a dwelling outside the perimeter is 404. Registered on `api` at the end of
zlv/api/v1.py.
"""

from typing import Any

from django.http import Http404, HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.urls import reverse
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import APIKeyCookie, HttpBearer

from zlv.accounts.decorators import WRITE_DENIED_MESSAGE
from zlv.accounts.selectors import can_write
from zlv.api.schemas import InputSchema
from zlv.housing import services
from zlv.housing.filters import parse_filters
from zlv.housing.models import BulkUpdateJob, Housing
from zlv.housing.services import UNSET, HousingConflictError, HousingUpdateError


class WriteTokenAuth(HttpBearer):
    """`Authorization: Bearer zlv_…` (see zlv.api.v1.TokenAuth); no CSRF check for tokens."""

    def authenticate(self, request: HttpRequest, token: str):
        # Imported here: zlv.api.v1 imports this module at its end.
        from zlv.api.v1 import TokenAuth

        return TokenAuth().authenticate(request, token)


class WriteSessionAuth(APIKeyCookie):
    """The browser session, with Django's CSRF check; anonymous requests get 401, not a CSRF 403."""

    param_name = "sessionid"

    def __init__(self):
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key):
        if not request.user.is_authenticated:
            return None
        request.csrf_processing_done = False
        middleware = CsrfViewMiddleware(lambda request: None)
        middleware.process_request(request)
        if middleware.process_view(request, lambda request: None, (), {}) is not None:
            raise HttpError(403, "Jeton CSRF absent ou invalide : envoyez l’en-tête X-CSRFToken.")
        return request.user


router = Router(auth=[WriteTokenAuth(), WriteSessionAuth()], tags=["Écriture"])


class HousingExpectedIn(InputSchema):
    """The values the client read (GET /housing/{id}), to detect another user's change since."""

    status: int | None = None
    sub_status: str | None = None
    occupancy: str | None = None
    occupancy_intended: str | None = None
    actual_dpe: str | None = None
    precisions: list[int] | None = None

    def as_version(self) -> dict:
        """The form of services.housing_snapshot, with only the values given."""
        version: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "precisions":
                version["precision_ids"] = sorted(value or [])
            elif name == "status":
                if value is not None:
                    version["status"] = value
            else:
                version[name] = value or ""
        return version


class HousingPatchIn(InputSchema):
    status: int | None = None
    sub_status: str | None = None
    occupancy: str | None = None
    occupancy_intended: str | None = None
    actual_dpe: str | None = None
    precisions: list[int] | None = None
    note: str | None = None
    expected: HousingExpectedIn | None = None


class HousingPatchOut(Schema):
    id: int
    status: int
    status_label: str
    sub_status: str
    occupancy: str
    occupancy_label: str
    occupancy_intended: str
    actual_dpe: str
    precisions: list[int]
    changed: list[str]


class BulkUpdateIn(InputSchema):
    filters: dict[str, Any] = {}
    ids: list[int] = []
    all: bool = False
    status: int | None = None
    sub_status: str | None = None
    occupancy: str | None = None
    occupancy_intended: str | None = None
    precisions: list[int] = []
    note: str | None = None


class BulkUpdateOut(Schema):
    count: int
    job_id: int | None = None
    status: str
    progress_url: str | None = None


class BulkJobOut(Schema):
    id: int
    status: str
    status_label: str
    total: int
    done: int
    error: str


class ErrorOut(Schema):
    detail: str
    errors: dict[str, str] = {}


def _check_write(request) -> None:
    if not can_write(request.user):
        raise HttpError(403, WRITE_DENIED_MESSAGE)


def _unprocessable(error: HousingUpdateError):
    return Status(422, {"detail": " ".join(error.errors.values()), "errors": error.errors})


@router.patch(
    "/housing/{int:housing_id}",
    response={200: HousingPatchOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Modifier le suivi, l’occupation, le DPE ou les précisions d’un logement",
)
def housing_patch(request, housing_id: int, payload: HousingPatchIn):
    """Only the fields sent are changed; `precisions` replaces the dwelling's list; `note` is added.

    `expected` (optional) holds the values read with GET /housing/{id} (status, sub_status,
    occupancy, occupancy_intended, actual_dpe, precisions): if another user changed one of the
    fields sent since, the answer is 409 naming them and nothing is saved, not even the note.
    """
    _check_write(request)
    housing = Housing.objects.visible_to(request.user).filter(pk=housing_id).first()
    if housing is None:
        raise Http404
    sent = payload.model_fields_set
    arguments = {
        name: getattr(payload, name) if getattr(payload, name) is not None else ""
        for name in ("status", "sub_status", "occupancy", "occupancy_intended", "actual_dpe")
        if name in sent
    }
    if "status" in arguments and arguments["status"] == "":
        arguments["status"] = None
    if "precisions" in sent:
        arguments["precision_ids"] = payload.precisions or []
    if payload.expected is not None:
        arguments["expected_version"] = payload.expected.as_version()
        arguments["refuse_conflicts"] = True
    try:
        result = services.housing_update(housing=housing, by=request.user, **arguments)
        if payload.note and payload.note.strip():
            services.note_create(housing=result.housing, by=request.user, content=payload.note)
    except HousingConflictError as error:
        return Status(409, {"detail": error.summary(), "errors": error.errors})
    except HousingUpdateError as error:
        return _unprocessable(error)
    updated = result.housing
    return Status(
        200,
        {
            "id": updated.pk,
            "status": updated.status,
            "status_label": updated.get_status_display(),
            "sub_status": updated.sub_status,
            "occupancy": updated.occupancy,
            "occupancy_label": updated.get_occupancy_display(),
            "occupancy_intended": updated.occupancy_intended,
            "actual_dpe": updated.actual_dpe,
            "precisions": sorted(updated.precisions.values_list("pk", flat=True)),
            "changed": result.changed,
        },
    )


@router.post(
    "/housing/bulk-update",
    response={200: BulkUpdateOut, 202: BulkUpdateOut, 403: ErrorOut, 422: ErrorOut},
    summary="Édition groupée (sélection d’identifiants ou tous les logements filtrés, moins les exclusions)",
)
def housing_bulk_update(request, payload: BulkUpdateIn):
    """`filters` takes the list's query-string parameters; `ids` are the selection, or the exclusions
    with `all: true`. Précisions are added. Above 1 000 dwellings: 202 and a job to follow."""
    _check_write(request)
    params = {
        key: ",".join(map(str, value)) if isinstance(value, list) else str(value)
        for key, value in payload.filters.items()
        if key not in ("housingIds", "all")
    }
    params["housingIds"] = ",".join(map(str, payload.ids))
    params["all"] = "true" if payload.all else "false"
    filters = parse_filters(params)
    if filters.errors:
        return Status(422, {"detail": "Filtres invalides.", "errors": filters.errors})
    sent = payload.model_fields_set
    arguments: dict[str, Any] = {
        "precision_ids": payload.precisions,
        "note": payload.note,
        "occupancy": payload.occupancy or UNSET,
        "occupancy_intended": payload.occupancy_intended or UNSET,
    }
    if "status" in sent and payload.status is not None:
        arguments["status"] = payload.status
    if "sub_status" in sent and payload.sub_status is not None:
        arguments["sub_status"] = payload.sub_status
    try:
        outcome = services.housing_bulk_update(user=request.user, filters=filters, **arguments)
    except HousingUpdateError as error:
        return _unprocessable(error)
    if outcome.job is None:
        return Status(200, {"count": outcome.count, "status": "succeeded"})
    return Status(
        202,
        {
            "count": outcome.count,
            "job_id": outcome.job.pk,
            "status": outcome.job.status,
            "progress_url": reverse("api-v1:bulk_update_job", args=[outcome.job.pk]),
        },
    )


@router.get(
    "/housing/bulk-update/{int:job_id}",
    response=BulkJobOut,
    url_name="bulk_update_job",
    summary="Avancement d’une édition groupée en arrière-plan",
)
def bulk_update_job(request, job_id: int):
    job = BulkUpdateJob.objects.filter(pk=job_id, user=request.user).first()
    if job is None:
        raise Http404
    return {
        "id": job.pk,
        "status": job.status,
        "status_label": job.get_status_display(),
        "total": job.total,
        "done": job.done,
        "error": job.error,
    }
