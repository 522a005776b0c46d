"""Work that runs once the response has been handed to the server, not while the client waits.

Pages that must answer the same whether or not an account exists (password reset, "account
blocked?") send their e-mail only for existing accounts: sent inside the request, a slow mail
relay would make the existing accounts' answers slower, and the time would tell them apart.
``after_response`` defers that work until the WSGI server closes the response, which it does
once the last byte is written (gunicorn, Django's test client and runserver alike), so both
answers do the same work while the client waits.

Deferred work runs in the request's language, and its failures are logged, never raised: the
person already has their answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils import translation

logger = logging.getLogger(__name__)

_ATTRIBUTE = "_after_response"


def after_response(request: HttpRequest | None, work: Callable[[], None]) -> None:
    """Run ``work`` once the response to ``request`` is sent (at once without a request, or
    when it is sent already: an ``on_commit`` callback a test runs after the response)."""
    if request is None or not hasattr(request, _ATTRIBUTE):
        work()
        return
    getattr(request, _ATTRIBUTE).append((translation.get_language(), work))


class AfterResponseMiddleware:
    """Collects the request's deferred work and runs it when the response is closed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        deferred: list[tuple[str | None, Callable[[], None]]] = []
        setattr(request, _ATTRIBUTE, deferred)
        response = self.get_response(request)
        # Django calls a response's closers from close(), which the WSGI server calls after
        # sending it (the mechanism FileResponse uses to close its file).
        response._resource_closers.append(  # type: ignore[attr-defined]
            lambda: _run(request, deferred)
        )
        return response


def _run(request: HttpRequest, deferred: list[tuple[str | None, Callable[[], None]]]) -> None:
    # Work deferred from now on runs at once: the response is gone.
    request.__dict__.pop(_ATTRIBUTE, None)
    for language, work in deferred:
        try:
            with translation.override(language):
                work()
        except Exception:
            logger.exception("Work deferred after the response failed")
