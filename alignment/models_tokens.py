"""Named API tokens: the table ``alignment.authentication`` reads a caller's key from."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class ApiToken(models.Model):
    """One named API key of one user.

    Only the key's SHA-256 is kept (``key_hash``): the key itself is shown once, when the
    token is made (``alignment.services.tokens.create_token``), so a copy of the database
    lets nobody call the API. A key is 160 random bits, so a plain hash is as good as a
    slow one and lets the lookup be one indexed equality. ``prefix`` (the key's first 8
    characters) is not secret: it tells a person's tokens apart in lists.

    A token is never deleted by its owner, only revoked (``revoked_at``), so its history
    (when it was made, last used, revoked) stays readable.
    """

    #: Characters of the key shown in lists.
    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for.")
    key_hash = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, in hex.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="The key's first characters.")
    # Not auto_now_add: tokens carried over from the old single-token table keep their date.
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute."
    )
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never.")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="api_token_user_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=F("created_at")),
                name="api_token_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def status(self) -> str:
        """``active``, ``expired`` or ``revoked``, as of now."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "expired"
        return "active"
