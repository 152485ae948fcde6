"""Authentication backend: e-mail + password, never for system or inactive accounts."""

from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is not None:
            username = username.strip().lower()
        return super().authenticate(request, username=username, password=password, **kwargs)

    def user_can_authenticate(self, user):
        # Also checked on every request (get_user), so deactivation takes effect at once.
        return super().user_can_authenticate(user) and not getattr(user, "is_system", False)
