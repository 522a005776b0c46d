"""People, profiles, habilitations, the usage charter and the audit trail."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from structures.finess import fold
from structures.models import Establishment, Unit


def normalize_email(email: str) -> str:
    """E-mail addresses are the login and are compared without case."""
    return (email or "").strip().lower()


def normalize_national_id(value: str) -> str:
    """RPPS and ADELI numbers are stored without spaces, Corsican ADELI in capitals (2A, 2B)."""
    return "".join((value or "").split()).upper()


def validate_national_id(value: str) -> None:
    """An RPPS number (11 digits) or an ADELI number (9 characters: digits, or the Corsican
    départements 2A/2B first)."""
    # ASCII digits only: str.isdigit() also accepts "١" or "²".
    if re.fullmatch(r"[0-9]{11}|[0-9]{9}|2[AB][0-9]{7}", value or "", flags=re.IGNORECASE):
        return
    raise ValidationError(
        _("Enter an RPPS number (11 digits) or an ADELI number (9 characters)."),
        code="national_id",
    )


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=normalize_email(email), **fields)
        if password:
            user.set_password(password)
        else:
            # Accounts are created without a password: the person chooses one from a link.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)

    def end_sessions_of(self, pks: Iterable[int]) -> int:
        """``User.end_sessions`` for many people at once, in one UPDATE (a bulk end)."""
        return self.filter(pk__in=list(pks)).update(session_version=F("session_version") + 1)


class User(AbstractBaseUser, PermissionsMixin):
    """One account per person, even when they work in several establishments."""

    email = models.EmailField(_("e-mail address"), unique=True)
    last_name = models.CharField(_("last name"), max_length=150)
    first_name = models.CharField(_("first name"), max_length=150)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("administration site access"),
        default=False,
        help_text=_("May sign in to the administration site (platform administrators)."),
    )
    date_joined = models.DateTimeField(_("created at"), default=timezone.now)
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    blocked_reason = models.CharField(_("reason for blocking"), max_length=255, blank=True)
    failed_login_count = models.PositiveIntegerField(_("consecutive failed sign-ins"), default=0)
    # The référents' weekly digest (``accounts.reminders``): sent unless the person opts out.
    receives_digest = models.BooleanField(
        _("receives the referent digest"),
        default=True,
        help_text=_("The weekly e-mail of what needs the referent in their structures."),
    )
    # RPPS (11 digits) or ADELI (9 characters): recorded by a référent, it links the person's
    # Pro Santé Connect identity to this account at their first PSC sign-in.
    national_id = models.CharField(
        _("national identifier (RPPS or ADELI)"),
        max_length=11,
        blank=True,
        default="",
        db_index=True,
        validators=[validate_national_id],
    )
    # The language the person last signed in with: their e-mails are written in it.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
    )
    # Part of the session hash: raising it signs the person out everywhere (see end_sessions).
    session_version = models.PositiveIntegerField(default=0, editable=False)
    # Accent- and case-folded "last_name first_name email", kept for the accounts list's search.
    search_name = models.TextField(_("search text"), blank=True, default="", editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["last_name", "first_name"]

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [
            # Lists of people sorted by name read the first page from this index.
            models.Index(fields=["last_name", "first_name", "id"], name="user_name_order"),
        ]
        constraints = [
            # Addresses are stored lower-cased, so the unique index is case-insensitive.
            models.CheckConstraint(condition=Q(email=Lower("email")), name="user_email_lowercase"),
            models.CheckConstraint(
                condition=Q(blocked_at__isnull=True) | ~Q(blocked_reason=""),
                name="user_blocked_has_reason",
            ),
            # One account per RPPS or ADELI number: the strong sign-in finds the account by it.
            models.UniqueConstraint(
                fields=["national_id"],
                condition=~Q(national_id=""),
                name="user_national_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>"

    def clean(self) -> None:
        super().clean()
        self.email = normalize_email(self.email)

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        self.national_id = normalize_national_id(self.national_id)
        self.search_name = self.build_search_name()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    def build_search_name(self) -> str:
        return fold(f"{self.last_name} {self.first_name} {self.email} {self.national_id}").strip()

    @property
    def full_name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    @property
    def greeting_name(self) -> str:
        """How an e-mail greets the person: "Léa MARTIN" (first name first)."""
        return f"{self.first_name} {self.last_name.upper()}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    def _session_hash(self, secret: str | bytes | None = None) -> str:
        return salted_hmac(
            "accounts.User.session_hash",
            f"{self.password}:{self.session_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_hash(self) -> str:
        """Django checks this on every request: a changed password or version ends sessions."""
        return self._session_hash()

    def get_session_auth_fallback_hash(self):
        from django.conf import settings

        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=fallback_secret)

    def end_sessions(self) -> None:
        """Sign this person out of every open session, whatever the session backend."""
        User.objects.end_sessions_of([self.pk])
        self.refresh_from_db(fields=["session_version"])

    @property
    def is_blocked(self) -> bool:
        return self.blocked_at is not None

    @property
    def is_platform_admin(self) -> bool:
        """The regional support team: every right, everywhere."""
        return self.is_active and self.is_superuser


class Profile(models.Model):
    """A kind of right (Référent structure, Directeur, Médecin...).

    Capability flags say what a profile allows beyond using the platform.
    """

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    administers_accounts = models.BooleanField(
        _("administers accounts"),
        default=False,
        help_text=_("Referent: creates accounts and manages rights in their structures."),
    )
    reviews_habilitations = models.BooleanField(
        _("reviews habilitations"),
        default=False,
        help_text=_("Director: reviews every habilitation of their establishment."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    REFERENT = "referent"
    DIRECTOR = "directeur"

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return self.name


def start_of_day_after(day: datetime.date) -> datetime.datetime:
    """The first instant of the next day, in the current time zone."""
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    )


def open_condition(day: datetime.date) -> Q:
    """The open-right rule as a condition (for aggregates): never ended, not yet expired."""
    return Q(ended_at__isnull=True, end_date__gte=day)


def ending_condition(day: datetime.date, days: int) -> Q:
    """Open, and ending within ``days`` days of ``day``."""
    return open_condition(day) & Q(end_date__lte=day + datetime.timedelta(days=days))


class HabilitationQuerySet(models.QuerySet["Habilitation"]):
    def active_on(self, day: datetime.date | None = None) -> HabilitationQuerySet:
        """Habilitations in force on ``day`` (today by default), on open structures.

        In force: ``start_date <= day <= end_date`` (both inclusive) and not ended early on or
        before that day. A habilitation on a closed establishment or a deactivated unit gives no
        right.
        """
        return (
            self.in_force_on(day)
            .filter(establishment__is_active=True)
            .exclude(unit__is_active=False)
        )

    def in_force_on(self, day: datetime.date | None = None) -> HabilitationQuerySet:
        """``active_on`` without the structure checks, for callers that know the structures
        are open (and spare PostgreSQL two joins)."""
        day = day or timezone.localdate()
        return self.filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=start_of_day_after(day)),
            start_date__lte=day,
            end_date__gte=day,
        )

    def open_on(self, day: datetime.date | None = None) -> HabilitationQuerySet:
        """Open rights (``Habilitation.is_open``): active on ``day`` (today by default) or yet
        to start, never ended. What the accounts list shows as current, what a unit must not
        keep when it closes."""
        return self.filter(open_condition(day or timezone.localdate()))

    def ending_within(self, days: int, day: datetime.date | None = None) -> HabilitationQuerySet:
        """Open rights whose end date comes within ``days`` days of ``day`` (today)."""
        return self.filter(ending_condition(day or timezone.localdate(), days))

    def referents(self) -> HabilitationQuerySet:
        return self.filter(profile__administers_accounts=True)

    def directors(self) -> HabilitationQuerySet:
        return self.filter(profile__reviews_habilitations=True)


# ``in_force_on`` for the hot pages' written SQL (the habilitation table aliased ``h``), with
# its parameters from ``in_force_sql_params``: one written form of the rule, next to the ORM's.
IN_FORCE_SQL = (
    "h.start_date <= %s AND h.end_date >= %s AND (h.ended_at IS NULL OR h.ended_at >= %s)"
)


def in_force_sql_params(day: datetime.date | None = None) -> list:
    day = day or timezone.localdate()
    ops = connection.ops
    return [
        ops.adapt_datefield_value(day),
        ops.adapt_datefield_value(day),
        ops.adapt_datetimefield_value(start_of_day_after(day)),
    ]


class Habilitation(models.Model):
    """One profile granted to one person on one structure, from a start to an end date.

    The structure is an establishment, or a unit of it when ``unit`` is set. Ending a
    habilitation early keeps the row (who, when, why): rights are never deleted.
    """

    class Status(models.TextChoices):
        """What people read of a right, by its dates and early end (``status``); the review
        table computes the same in SQL (``reviews.selectors``)."""

        ACTIVE = "active", _("Active")
        FUTURE = "future", _("Future")
        EXPIRED = "expired", _("Expired")
        ENDED = "ended", _("Ended")

    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="habilitations", verbose_name=_("person")
    )
    profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, related_name="habilitations", verbose_name=_("profile")
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        related_name="habilitations",
        verbose_name=_("establishment"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="habilitations",
        verbose_name=_("unit"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    granted_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    ended_at = models.DateTimeField(_("ended early at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    end_reason = models.CharField(_("reason for ending"), max_length=255, blank=True)
    email_reminders = models.BooleanField(
        _("e-mail reminders"),
        default=True,
        help_text=_("Send me an e-mail before this habilitation ends."),
    )

    objects = HabilitationQuerySet.as_manager()

    class Meta:
        ordering = ["-end_date"]
        verbose_name = _("habilitation")
        verbose_name_plural = _("habilitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="habilitation_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True, ended_by__isnull=True, end_reason="")
                | Q(ended_at__isnull=False),
                name="habilitation_end_fields_need_ended_at",
            ),
        ]
        indexes = [
            models.Index(fields=["establishment", "profile"], name="habilitation_est_profile"),
            models.Index(fields=["unit", "profile"], name="habilitation_unit_profile"),
            # Who holds a right in an establishment (accounts list: filter, count, exists).
            models.Index(fields=["establishment", "user"], name="habilitation_est_user"),
            # The référents and directors of a whole establishment, without its units' rights.
            models.Index(
                fields=["establishment", "profile"],
                condition=Q(unit__isnull=True),
                name="habilitation_est_root_profile",
            ),
            models.Index(fields=["end_date"], name="habilitation_end_date"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.profile} – {self.structure_name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date must be on or after the start date.")
        if (
            self.unit is not None
            and self.establishment_id
            and self.unit.establishment_id != (self.establishment_id)
        ):
            errors["unit"] = _("This unit does not belong to the chosen establishment.")
        if errors:
            raise ValidationError(errors)

    @property
    def structure_name(self) -> str:
        return self.unit.name if self.unit is not None else self.establishment.name

    @property
    def structure_label(self) -> str:
        """The structure as e-mails name it: the unit with its establishment."""
        if self.unit is not None:
            return f"{self.unit.name} – {self.establishment.name}"
        return self.establishment.name

    def is_active_on(self, day: datetime.date | None = None) -> bool:
        """True when the habilitation is in force on ``day`` (see ``active_on``)."""
        day = day or timezone.localdate()
        if self.ended_at is not None and self.ended_at < start_of_day_after(day):
            return False
        if not (self.start_date <= day <= self.end_date):
            return False
        if not self.establishment.is_active:
            return False
        return self.unit is None or self.unit.is_active

    @property
    def status(self) -> Habilitation.Status:
        """Active, future, expired or ended, as shown to people."""
        today = timezone.localdate()
        if self.ended_at is not None:
            return self.Status.ENDED
        if self.start_date > today:
            return self.Status.FUTURE
        if self.end_date < today:
            return self.Status.EXPIRED
        return self.Status.ACTIVE

    @property
    def is_open(self) -> bool:
        """Active or yet to start: a right that can still be extended, modified or ended."""
        return self.status in (self.Status.ACTIVE, self.Status.FUTURE)


class CharterQuerySet(models.QuerySet["Charter"]):
    def published(self) -> CharterQuerySet:
        """The versions published by now, the latest first: the first is the current one."""
        return self.filter(published_at__lte=timezone.now()).order_by("-version")

    def current(self) -> Charter | None:
        """The version in force (the last published), None before any is published."""
        return self.published().first()


class Charter(models.Model):
    """A version of the usage charter ("charte d'utilisation")."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), default=timezone.now)

    objects = CharterQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = _("charter version")
        verbose_name_plural = _("charter versions")

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class CharterAcceptance(models.Model):
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="charter_acceptances", verbose_name=_("person")
    )
    charter = models.ForeignKey(
        Charter, on_delete=models.PROTECT, related_name="acceptances", verbose_name=_("charter")
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        ordering = ["-accepted_at"]
        verbose_name = _("charter acceptance")
        verbose_name_plural = _("charter acceptances")
        constraints = [
            models.UniqueConstraint(fields=["user", "charter"], name="charter_accepted_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – v{self.charter.version}"


class RateLimitHit(models.Model):
    """One counted event for a rate limit: a failed sign-in from an address, a help e-mail...

    The counters live in the database so that every application server behind the load
    balancer sees the same ones. ``key`` is an HMAC of what is counted (a client address, an
    e-mail address), so the table never holds what people typed. Rows older than a day are
    purged as new ones arrive (see ``accounts.lockout``).
    """

    scope = models.CharField(_("limit"), max_length=30)
    key = models.CharField(_("key"), max_length=64)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("rate-limit hit")
        verbose_name_plural = _("rate-limit hits")
        indexes = [
            models.Index(fields=["scope", "key", "created_at"], name="ratelimit_scope_key_time"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.created_at:%Y-%m-%d %H:%M}"


class CharterReminder(models.Model):
    """A reminder e-mail to accept a charter version: at most one per person per day."""

    user = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="charter_reminders",
        verbose_name=_("person"),
    )
    charter = models.ForeignKey(
        Charter, on_delete=models.PROTECT, related_name="reminders", verbose_name=_("charter")
    )
    sent_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("charter reminder")
        verbose_name_plural = _("charter reminders")
        indexes = [
            models.Index(fields=["user", "charter", "sent_at"], name="charter_reminder_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – v{self.charter.version} – {self.sent_at:%Y-%m-%d}"


class ReminderSent(models.Model):
    """An e-mail sent by ``manage.py send_reminders``, so that each is sent once.

    ``expiry``: told ``user`` that ``habilitation`` ends on ``end_date``, ``step`` days ahead (30
    or 7). The end date is part of the key: once a right is extended, the reminders for its new
    end date are due again. ``digest``: the référent's weekly digest; ``period_start`` is the
    day it was sent, and the next one is due 7 days later at the earliest.
    """

    class Kind(models.TextChoices):
        EXPIRY = "expiry", _("end of a right")
        DIGEST = "digest", _("referent digest")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="reminders_sent", verbose_name=_("recipient")
    )
    habilitation = models.ForeignKey(
        Habilitation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders_sent",
        verbose_name=_("habilitation"),
    )
    step = models.PositiveSmallIntegerField(_("days before the end"), null=True, blank=True)
    end_date = models.DateField(_("end date announced"), null=True, blank=True)
    period_start = models.DateField(_("digest period start"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["habilitation", "step", "end_date"],
                condition=Q(kind="expiry"),
                name="reminder_once_per_step",
            ),
            models.UniqueConstraint(
                fields=["user", "period_start"],
                condition=Q(kind="digest"),
                name="digest_once_per_period",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="expiry",
                        habilitation__isnull=False,
                        step__isnull=False,
                        end_date__isnull=False,
                    )
                    | Q(kind="digest", period_start__isnull=False)
                ),
                name="reminder_sent_fields_of_kind",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "kind", "sent_at"], name="reminder_user_kind_time"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.sent_at:%Y-%m-%d}"
