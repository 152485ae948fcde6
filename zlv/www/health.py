"""Liveness probe for load balancers and `make run`."""

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection, transaction
from django.http import JsonResponse
from django.views.decorators.http import require_GET


def check_database() -> None:
    """Raise DatabaseError when the database does not answer a trivial query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@require_GET
@login_not_required
@transaction.non_atomic_requests
def healthz(request):
    try:
        check_database()
    except DatabaseError:
        return JsonResponse({"status": "error", "database": "error"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
