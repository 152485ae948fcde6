"""Server-side role checks for write routes: visitors (read-only) get 403."""

from functools import wraps

from django.core.exceptions import PermissionDenied

from zlv.accounts.enums import Role
from zlv.accounts.selectors import can_write, membership_of

WRITE_DENIED_MESSAGE = "Votre rôle dans cette structure ne permet que la consultation."


def write_access_required(view_func):
    """Decorate a function view that changes data: 403 unless the user may write."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not can_write(request.user):
            raise PermissionDenied(WRITE_DENIED_MESSAGE)
        return view_func(request, *args, **kwargs)

    return wrapper


class WriteAccessRequiredMixin:
    """Class-based counterpart of write_access_required; put it first in the bases."""

    def dispatch(self, request, *args, **kwargs):
        if not can_write(request.user):
            raise PermissionDenied(WRITE_DENIED_MESSAGE)
        return super().dispatch(request, *args, **kwargs)


def establishment_admin_required(message: str):
    """Decorator factory for admin-only routes: 403 with `message` unless the user is an admin of the
    establishment they work for."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            membership = membership_of(request.user)
            if membership is None or membership.role != Role.ADMIN:
                raise PermissionDenied(message)
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
