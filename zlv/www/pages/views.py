"""Simple pages: landing redirect and legal pages."""

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe


@require_safe
@login_not_required
def home(request):
    if request.user.is_authenticated:
        return redirect("housing_list")
    return redirect("sign_in")


@require_safe
@login_not_required
def accessibility(request):
    return render(request, "pages/accessibility.html")


@require_safe
@login_not_required
def legal_notice(request):
    return render(request, "pages/legal_notice.html")


@require_safe
@login_not_required
def personal_data(request):
    return render(request, "pages/personal_data.html")
