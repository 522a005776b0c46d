"""A person's second factors: authenticator apps (TOTP), passkeys and security keys
(WebAuthn), one-time recovery codes, and the count of wrong codes.

What is stored, for the establishments' security officers (docs/second-factor.md):

- TOTP: the shared secret (160 random bits, base32), needed in clear to compute the codes, and
  the last time step accepted, so that a code is accepted once.
- WebAuthn: the credential id and its public key (never a private key: it stays in the
  authenticator), the signature counter and the transports the browser reported.
- Recovery codes: a SHA-256 of each code with a salt of its own, never the code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Factor(models.Model):
    """One named second factor of a person."""

    class Kind(models.TextChoices):
        TOTP = "totp", _("Authenticator app")
        WEBAUTHN = "webauthn", _("Passkey or security key")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="second_factors",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60)
    created_at = models.DateTimeField(_("added at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    # TOTP: the base32 secret, and the last time step accepted (a code is accepted once).
    totp_secret = models.CharField(max_length=64, blank=True, default="")
    totp_last_step = models.BigIntegerField(null=True, blank=True)
    # WebAuthn: the credential id (base64url), its COSE public key and signature counter.
    credential_id = models.CharField(max_length=1400, blank=True, default="")
    public_key = models.BinaryField(null=True, blank=True)
    sign_count = models.PositiveBigIntegerField(default=0)
    # The transports the browser reported ("internal,hybrid"), given back as hints at sign-in.
    transports = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("second factor")
        verbose_name_plural = _("second factors")
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="factor_name_unique"),
            models.UniqueConstraint(
                fields=["credential_id"],
                condition=~Q(credential_id=""),
                name="factor_credential_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind="totp", credential_id="") & ~Q(totp_secret="")
                | Q(kind="webauthn", totp_secret="") & ~Q(credential_id=""),
                name="factor_fields_of_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class RecoveryCode(models.Model):
    """One one-time recovery code, stored as ``sha256$<salt>$<hex digest>``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="recovery_codes",
        verbose_name=_("person"),
    )
    code_hash = models.CharField(max_length=120)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


class SecondFactorState(models.Model):
    """Per person: the wrong second-factor codes in a row, and whether enrolment is asked.

    The wrong codes are counted here besides the account's own counter, which a right
    password resets: without this count, typing the password again between codes would let
    anyone who knows it guess codes forever. A right code, an unblocking and a reset start it
    again (``mfa.services``).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="second_factor_state",
        verbose_name=_("person"),
    )
    failed_codes = models.PositiveIntegerField(_("wrong codes in a row"), default=0)
    last_failure_at = models.DateTimeField(_("last wrong code at"), null=True, blank=True)
    # Set when a référent resets the person's factors: enrolment is asked at the next sign-in
    # whatever MFA_REQUIRED says.
    enrolment_required = models.BooleanField(_("enrolment required"), default=False)

    class Meta:
        verbose_name = _("second-factor state")
        verbose_name_plural = _("second-factor states")

    def __str__(self) -> str:
        return str(self.user_id)
