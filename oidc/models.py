"""The identities of providers (Pro Santé Connect...) linked to accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LinkedIdentity(models.Model):
    """A provider's identity (its ``sub``) that signs in to one account.

    It proves who the person is and gives no right: the account's habilitations do. Linked by
    the person from Mon compte, or at their first sign-in when a référent recorded the RPPS or
    ADELI number the provider gives (``User.national_id``).
    """

    class How(models.TextChoices):
        BY_PERSON = "person", _("by the person, from My account")
        BY_NATIONAL_ID = "national_id", _("at the first sign-in, by the national identifier")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="linked_identities",
        verbose_name=_("account"),
    )
    # The key of the provider in OIDC_PROVIDERS ("psc"): the issuer's sub is unique within it.
    provider = models.CharField(_("provider"), max_length=40)
    subject = models.CharField(_("identifier at the provider"), max_length=255)
    linked_at = models.DateTimeField(_("linked at"), default=timezone.now)
    how = models.CharField(_("linked"), max_length=20, choices=How.choices)
    last_used_at = models.DateTimeField(_("last sign-in"), null=True, blank=True)

    class Meta:
        verbose_name = _("linked identity")
        verbose_name_plural = _("linked identities")
        ordering = ["provider", "linked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="linked_identity_provider_subject"
            ),
            # One identity of each provider per account.
            models.UniqueConstraint(fields=["user", "provider"], name="linked_identity_user"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject} → {self.user_id}"
