"""The one way the application builds and sends an e-mail.

An e-mail is three templates side by side: ``<template>_subject.txt`` (one line once its
whitespace is folded), ``<template>.txt`` and ``<template>.html`` (the alternative part), all
rendered with the same context, in ``language`` when given (else the active language).
Senders that must not slow a page down send after the response (``core.after_response``).
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def message(
    template: str,
    context: dict[str, Any],
    to: str,
    *,
    language: str | None = None,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """The e-mail ``template`` to ``to``, ready to send (on ``connection`` when given)."""
    with translation.override(language or translation.get_language()):
        subject = render_to_string(f"{template}_subject.txt", context)
        email = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string(f"{template}.txt", context),
            to=[to],
            connection=connection,
        )
        email.attach_alternative(render_to_string(f"{template}.html", context), "text/html")
    return email


def send(template: str, context: dict[str, Any], to: str, *, language: str | None = None) -> None:
    message(template, context, to, language=language).send()
