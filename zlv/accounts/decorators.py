"""Server-side role checks for write routes: visitors (read-only) get 403.

A 403 would tell that the object exists: before refusing a role, the objects the URL names are
looked up with their access helpers, so that another establishment's object is a 404 whatever the
role (the same answer as for an object that does not exist).
"""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied

from zlv.accounts.enums import Role
from zlv.accounts.selectors import can_write, membership_of

WRITE_DENIED_MESSAGE = "Votre rôle dans cette structure ne permet que la consultation."

# URL parameter → access helper `(user, id)` raising Http404 for an object out of the user's reach.
# The helpers live in upper apps: the web layer registers them when it starts.
OBJECT_ACCESS: dict[str, Callable] = {}


def register_object_access(parameter: str, access: Callable) -> None:
    OBJECT_ACCESS[parameter] = access


def deny(request, url_kwargs: dict, message: str):
    """Raise Http404 for an object of the URL out of the user's reach, else PermissionDenied."""
    for parameter, value in url_kwargs.items():
        access = OBJECT_ACCESS.get(parameter)
        if access is not None:
            access(request.user, value)
    raise PermissionDenied(message)


def write_access_required(view_func):
    """Decorate a function view that changes data: 403 unless the user may write."""

    @wraps(view_func)
    def wrapper(request, *args, **kwargs):
        if not can_write(request.user):
            deny(request, kwargs, WRITE_DENIED_MESSAGE)
        return view_func(request, *args, **kwargs)

    return wrapper


class WriteAccessRequiredMixin:
    """Class-based counterpart of write_access_required; put it first in the bases."""

    def dispatch(self, request, *args, **kwargs):
        if not can_write(request.user):
            deny(request, kwargs, WRITE_DENIED_MESSAGE)
        return super().dispatch(request, *args, **kwargs)


def establishment_admin_required(message: str):
    """Decorator factory for admin-only routes: 403 with `message` unless the user is an admin of the
    establishment they work for."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            membership = membership_of(request.user)
            if membership is None or membership.role != Role.ADMIN:
                deny(request, kwargs, message)
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator
