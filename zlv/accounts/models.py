"""Establishments (collectivités, services) and their users."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from zlv.accounts.enums import EstablishmentKind, Role
from zlv.geo.models import Commune


class Establishment(models.Model):
    name = models.CharField("nom", max_length=200)
    short_name = models.CharField("nom court", max_length=100, blank=True)
    siren = models.CharField("SIREN", max_length=9, unique=True, null=True, blank=True)
    kind = models.CharField("type", max_length=8, choices=EstablishmentKind.choices)
    # The perimeter: every dwelling of these communes is visible to the establishment.
    communes = models.ManyToManyField(
        Commune, related_name="establishments", blank=True, verbose_name="périmètre"
    )
    available = models.BooleanField("ouverte", default=True)
    is_demo = models.BooleanField("démonstration", default=False)
    created_at = models.DateTimeField("créée le", default=timezone.now)

    class Meta:
        verbose_name = "structure"
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("adresse e-mail", unique=True)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    last_name = models.CharField("nom", max_length=150, blank=True)
    is_staff = models.BooleanField("accès à l'administration", default=False)
    is_active = models.BooleanField("actif", default=True)
    is_system = models.BooleanField(
        "compte système", default=False, help_text="Auteur des changements automatiques."
    )
    date_joined = models.DateTimeField("inscrit le", default=timezone.now)
    establishments = models.ManyToManyField(
        Establishment, through="Membership", related_name="users", blank=True
    )
    # The establishment the user currently works for (switcher); scopes every read.
    active_establishment = models.ForeignKey(
        Establishment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        verbose_name = "utilisateur"

    def __str__(self):
        return self.email

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    establishment = models.ForeignKey(Establishment, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.USUAL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "membre"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "establishment"],
                name="membership_unique",
                violation_error_message="Cet utilisateur est déjà membre de cette structure.",
            )
        ]

    def __str__(self):
        return f"{self.user} — {self.establishment} ({self.get_role_display()})"


class SignInFailure(models.Model):
    """One failed sign-in, kept a short while to lock an e-mail address under brute force."""

    # As typed (lowercased): it need not match an account, so locking reveals nothing.
    email = models.CharField("adresse e-mail saisie", max_length=254)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    attempted_at = models.DateTimeField("tentée le", default=timezone.now)

    class Meta:
        verbose_name = "échec de connexion"
        verbose_name_plural = "échecs de connexion"
        indexes = [
            # sign_in_is_locked(): failures of one e-mail within the lockout window.
            models.Index(fields=["email", "attempted_at"], name="sign_in_failure_email_idx"),
        ]

    def __str__(self):
        return f"{self.email} — {self.attempted_at:%Y-%m-%d %H:%M}"


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Neither accepted nor revoked (expired ones included: the admin may resend them)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An establishment admin invites someone by e-mail; the signed link in the e-mail accepts it."""

    establishment = models.ForeignKey(
        Establishment, on_delete=models.CASCADE, related_name="invitations", verbose_name="structure"
    )
    # Lowercased, like User.email.
    email = models.EmailField("adresse e-mail")
    role = models.CharField("rôle", max_length=10, choices=Role.choices, default=Role.USUAL)
    invited_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name="invitée par"
    )
    created_at = models.DateTimeField("créée le", default=timezone.now)
    expires_at = models.DateTimeField("expire le")
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    revoked_at = models.DateTimeField("annulée le", null=True, blank=True)
    # The link carries a random secret; only its hash is kept, so neither the signing key nor the
    # database is enough to make a link. NULL (not "", which would collide) for invitations made
    # before: their links are refused.
    token_hash = models.CharField(max_length=64, unique=True, null=True, editable=False)  # noqa: DJ001

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = "invitation"
        ordering = ["-created_at"]
        constraints = [
            # Also serves the team page's list of pending invitations of one establishment.
            models.UniqueConstraint(
                fields=["establishment", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_pending_unique",
                violation_error_message="Une invitation est déjà en attente pour cette adresse e-mail.",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
                violation_error_message="Une invitation ne peut pas être à la fois acceptée et annulée.",
            ),
        ]

    def __str__(self):
        return f"{self.email} → {self.establishment} ({self.get_role_display()})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired
