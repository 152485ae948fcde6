"""Personal API tokens (the API also accepts the browser session)."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from zlv.utils.tokens import hash_token, new_token

TOKEN_PREFIX = "zlv_"  # noqa: S105 — a public prefix, not a secret
__all__ = ["TOKEN_PREFIX", "ApiToken", "hash_token"]


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("nom", max_length=100)
    # Only the hash is stored: a leaked database does not leak usable tokens.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le", default=timezone.now)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"

    def __str__(self):
        return f"{self.name} ({self.user})"

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiToken", str]:
        """Create a token; the clear value is returned once and never stored."""
        clear = TOKEN_PREFIX + new_token()
        return cls.objects.create(user=user, name=name, token_hash=hash_token(clear)), clear
