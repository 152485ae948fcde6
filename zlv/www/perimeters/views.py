"""Perimeters page: the establishment's zones (upload, rename, delete), and their map layer.

Everyone of the establishment reads; only its administrators write (403 otherwise, checked here
and again by the services). Another establishment's perimeter is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from zlv.accounts.decorators import establishment_admin_required
from zlv.accounts.enums import Role
from zlv.accounts.selectors import membership_of
from zlv.geo.perimeter_selectors import get_perimeter_for_user, perimeters_for_list, perimeters_geojson
from zlv.geo.perimeter_services import (
    ADMIN_ONLY_MESSAGE,
    perimeter_create_from_upload,
    perimeter_delete,
    perimeter_rename,
)
from zlv.www.perimeters.forms import PerimeterEditForm, PerimeterUploadForm

perimeter_admin_required = establishment_admin_required(ADMIN_ONLY_MESSAGE)


@require_safe
def perimeter_list(request):
    membership = membership_of(request.user)
    if membership is None:
        return render(request, "perimeters/no_establishment.html")
    context = {
        "establishment": membership.establishment,
        "is_admin": membership.role == Role.ADMIN,
        "perimeters": perimeters_for_list(request.user),
    }
    return render(request, "perimeters/perimeter_list.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@perimeter_admin_required
def perimeter_upload(request):
    establishment = membership_of(request.user).establishment
    form = PerimeterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            perimeters = perimeter_create_from_upload(
                establishment=establishment,
                user=request.user,
                uploaded_file=form.cleaned_data["file"],
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            messages.success(request, _created_message(perimeters))
            return redirect("perimeter_list")
    return render(request, "perimeters/perimeter_upload.html", {"form": form, "establishment": establishment})


def _created_message(perimeters) -> str:
    if len(perimeters) == 1:
        return f"Périmètre « {perimeters[0].name} » ajouté."
    return f"{len(perimeters)} périmètres ajoutés."


@require_http_methods(["GET", "HEAD", "POST"])
@perimeter_admin_required
def perimeter_edit(request, perimeter_id: int):
    perimeter = get_perimeter_for_user(request.user, perimeter_id)
    initial = {"name": perimeter.name, "kind": perimeter.kind}
    form = PerimeterEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            perimeter = perimeter_rename(
                perimeter=perimeter,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Périmètre « {perimeter.name} » modifié.")
            return redirect("perimeter_list")
    return render(request, "perimeters/perimeter_edit.html", {"form": form, "perimeter": perimeter})


@require_http_methods(["GET", "HEAD", "POST"])
@perimeter_admin_required
def perimeter_delete_confirm(request, perimeter_id: int):
    """GET asks for confirmation; POST deletes the perimeter (its dwellings stay)."""
    perimeter = get_perimeter_for_user(request.user, perimeter_id)
    if request.method == "POST":
        perimeter_delete(perimeter=perimeter, by=request.user)
        messages.success(request, f"Périmètre « {perimeter.name} » supprimé.")
        return redirect("perimeter_list")
    return render(request, "perimeters/perimeter_delete.html", {"perimeter": perimeter})


@require_safe
def perimeters_map_layer(request):
    """The establishment's perimeters as GeoJSON for the map (empty without an establishment)."""
    membership = membership_of(request.user)
    if membership is None:
        return JsonResponse({"type": "FeatureCollection", "features": [], "bbox": None})
    return JsonResponse(perimeters_geojson(membership.establishment_id))
