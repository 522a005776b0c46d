"""E-mail addresses in narrow table columns."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.filter
def breakable_email(address: str) -> SafeString:
    """The address, allowed to wrap before its "@" (``<wbr>``, no character added when copied):
    the column of a wide table needs only the width of the longer half."""
    local, at, domain = str(address or "").rpartition("@")
    if not at:
        return conditional_escape(domain)
    return mark_safe(f"{conditional_escape(local)}<wbr>@{conditional_escape(domain)}")  # noqa: S308
