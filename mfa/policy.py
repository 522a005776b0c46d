"""Who must hold a second factor (``settings.MFA_REQUIRED``).

- ``everyone`` (the default with DEBUG off): every account.
- ``administrators``: whoever administers accounts or reviews habilitations (a right in force
  whose profile does either: référents, directors), platform administrators and whoever may
  open the administration site.
- ``none`` (the default with DEBUG on): the second factor is never asked, for development and
  the tests of other features; ``manage.py check --deploy`` warns about it.

Whatever the policy (``none`` aside), a person holding a factor is asked for it, and a person
whose factors a référent reset is asked to enrol again.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.access import scope_of
from accounts.models import User
from accounts.scope import Scope
from mfa.models import Factor, SecondFactorState

POLICIES = ("none", "administrators", "everyone")


def current() -> str:
    return settings.MFA_REQUIRED


def is_off() -> bool:
    return current() == "none"


def has_factor(user: User) -> bool:
    return Factor.objects.filter(user=user).exists()


def enrolment_required(user: User) -> bool:
    return SecondFactorState.objects.filter(user=user, enrolment_required=True).exists()


def must_have_factor(user: User, request: HttpRequest | None = None) -> bool:
    """Must ``user`` hold a second factor under the current policy?

    With a request, the scope comes from ``accounts.access.scope_of``, which the page asking it
    reuses: no query of its own on the administration pages.
    """
    policy = current()
    if policy == "none":
        return False
    if policy == "everyone" or user.is_staff or user.is_superuser:
        return True
    if request is not None and getattr(request, "user", None) == user:
        scope = scope_of(request)
    else:
        scope = Scope.for_user(user)
    return scope.administers_anything or scope.reviews_anything or enrolment_required(user)
