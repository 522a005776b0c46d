"""Security headers that Django 5.2 does not set by itself."""

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from core import views

# No inline script or style anywhere: every script and stylesheet is a file under /static/.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        return response


class RejectNullCharactersMiddleware:
    """Answer 400 to a request whose URL or form data holds a NUL character.

    No legitimate input contains one, and PostgreSQL refuses them in text: a lookup with such
    a value would otherwise end in a server error instead of a clear refusal.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            "\x00" in request.path
            or _has_null(request.GET)
            or (request.method == "POST" and _has_null(request.POST))
        ):
            return HttpResponseBadRequest(
                "Requête invalide : caractère nul refusé. / Bad request: NUL character.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _has_null(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())


class ClientAddressMiddleware:
    """Behind the proxy, the client is the address the proxy saw, not the proxy itself.

    Sign-in limits and the audit trail read ``REMOTE_ADDR``: with every request coming from
    nginx, one address would stand for everyone (50 failed sign-ins anywhere would refuse
    every sign-in). When the TCP peer is one of ``TRUSTED_PROXIES``, its ``X-Real-IP`` header
    replaces ``REMOTE_ADDR``; from anyone else the header is ignored (a client could forge it).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR") in settings.TRUSTED_PROXIES:
            forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
            # Absent or not an address: keep the peer's.
            with contextlib.suppress(ValueError):
                request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(forwarded))
        return self.get_response(request)


class MethodNotAllowedPageMiddleware:
    """A 405 (a GET on a button's address, say) gets the product's page, not an empty one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            page = views.refusal(request, 405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response
