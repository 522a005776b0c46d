"""Mon compte's "Second factor" section, rendered from the accounts template without the
accounts app knowing this one: ``{% load mfa_tags %}{% second_factor_section %}``."""

from __future__ import annotations

from django import template
from django.db.models import Count, Max, Q

from mfa import policy
from mfa.models import Factor, RecoveryCode

register = template.Library()


@register.inclusion_tag("mfa/_my_account.html", takes_context=True)
def second_factor_section(context) -> dict:
    request = context["request"]
    user = request.user
    codes = RecoveryCode.objects.filter(user=user).aggregate(
        unused=Count("pk", filter=Q(used_at=None)), created=Max("created_at")
    )
    return {
        "request": request,
        "factors": list(Factor.objects.filter(user=user)),
        "unused_codes": codes["unused"],
        "codes_created_at": codes["created"],
        "required": policy.must_have_factor(user, request),
        "off": policy.is_off(),
    }
