"""Parc de logements — placeholder until the real list (filters, table, map) replaces this module."""

from django.shortcuts import render
from django.views.decorators.http import require_safe

from zlv.accounts.selectors import membership_of
from zlv.housing.models import Housing


@require_safe
def housing_list(request):
    membership = membership_of(request.user)
    context = {
        "establishment": membership.establishment if membership else None,
        "housing_count": Housing.objects.visible_to(request.user).count() if membership else 0,
    }
    return render(request, "housing_list/placeholder.html", context)
