"""Signing in with a provider (Pro Santé Connect...), and linking one's identity from Mon compte.

The authorization code flow: the start views send the person to the provider with a fresh
``state``, ``nonce`` and PKCE challenge kept in the session (``oidc.flows``); the provider sends
them back to ``callback``, which uses the ``state`` once, checks everything the provider says
(``oidc.client``) and signs in the account linked to the identity (``oidc.services``) through
Django's ``login()``, so the charter gate and the session limits apply as after a password.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import lockout
from accounts.access import SignedInRequest
from accounts.forms import BLOCKED, SignInForm
from accounts.selectors import SupportDesk, referents_for_many
from mfa import policy as mfa_policy
from mfa import session as mfa_session
from oidc import claims, client, flows, providers, services
from oidc.client import Identity, ProviderUnavailable, SignInRejected
from oidc.models import LinkedIdentity
from oidc.providers import Provider
from oidc.selectors import establishments_of

logger = logging.getLogger("viareferents.oidc")
BACKEND = "accounts.backends.AccountBackend"


def _next_url(request: HttpRequest) -> str:
    """The page first asked, if it is a path of ours."""
    wanted = request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _redirect_uri(request: HttpRequest, provider: Provider) -> str:
    return request.build_absolute_uri(reverse("oidc:callback", args=[provider.key]))


def _page(
    request: HttpRequest, provider: Provider, *, title: str, message: str, status: int
) -> HttpResponse:
    return render(
        request,
        "oidc/problem.html",
        {
            "provider": provider,
            "title": title,
            "message": message,
            "support_email": settings.SUPPORT_EMAIL,
            "request_id": getattr(request, "request_id", ""),
        },
        status=status,
    )


def _unavailable(request: HttpRequest, provider: Provider) -> HttpResponse:
    response = _page(
        request,
        provider,
        title=_("%(provider)s is not answering") % {"provider": provider.label},
        message=_(
            "Signing in with %(provider)s is not possible at the moment: the service did not "
            "answer. Try again in a few minutes, or sign in with your e-mail address and "
            "password."
        )
        % {"provider": provider.label},
        status=503,
    )
    response["Retry-After"] = "60"
    return response


def _failed(request: HttpRequest, provider: Provider, message: str) -> HttpResponse:
    return _page(
        request,
        provider,
        title=_("Sign-in with %(provider)s failed") % {"provider": provider.label},
        message=message,
        status=400,
    )


def _start(
    request: HttpRequest, provider: Provider, *, purpose: str, next_url: str = ""
) -> HttpResponse:
    state, nonce, pkce = client.new_secret(), client.new_secret(), client.new_pkce()
    try:
        url = client.authorization_url(
            provider,
            redirect_uri=_redirect_uri(request, provider),
            state=state,
            nonce=nonce,
            pkce=pkce,
        )
    except ProviderUnavailable:
        return _unavailable(request, provider)
    flows.remember(
        request,
        state,
        flows.Flow(
            provider=provider.key,
            nonce=nonce,
            verifier=pkce.verifier,
            purpose=purpose,
            started=int(time.time()),
            user_id=request.user.pk if purpose == flows.LINK else None,
            next_url=next_url,
        ),
    )
    return HttpResponseRedirect(url)


@login_not_required
@require_GET
@never_cache
def sign_in_start(request: HttpRequest, provider: str) -> HttpResponse:
    """ "Sign in with Pro Santé Connect": off to the provider."""
    chosen = providers.get_or_404(provider)
    if request.user.is_authenticated:
        return redirect(_next_url(request) or settings.LOGIN_REDIRECT_URL)
    return _start(request, chosen, purpose=flows.SIGN_IN, next_url=_next_url(request))


def session_may_link(request: SignedInRequest) -> bool:
    """Whether this session is strong enough to link an identity to the account: it gave its
    second factor, or the person holds none (the password is all the account has), or the
    second factor is off."""
    return (
        mfa_policy.is_off()
        or mfa_session.is_verified(request)
        or not mfa_policy.has_factor(request.user)
    )


@require_GET
@never_cache
def link_start(request: SignedInRequest, provider: str) -> HttpResponse:
    """Mon compte: "Link my Pro Santé Connect identity": off to the provider."""
    chosen = providers.get_or_404(provider)
    if LinkedIdentity.objects.filter(user=request.user, provider=chosen.key).exists():
        messages.info(
            request,
            _("An identity of %(provider)s is already linked to your account.")
            % {"provider": chosen.label},
        )
        return redirect("accounts:my_account")
    if not session_may_link(request):
        messages.error(
            request,
            _(
                "To link an identity of %(provider)s, sign in again with your password and "
                "your second factor first."
            )
            % {"provider": chosen.label},
        )
        return redirect("accounts:my_account")
    return _start(request, chosen, purpose=flows.LINK)


@login_not_required
@require_GET
@never_cache
def callback(request: HttpRequest, provider: str) -> HttpResponse:
    """The provider sends the person back here with a code (or an error) and the ``state``."""
    chosen = providers.get_or_404(provider)
    flow = flows.pop(request, request.GET.get("state", ""))
    if flow is None or flow.provider != chosen.key:
        return _failed(
            request,
            chosen,
            _("This sign-in has expired or was already used. Start again from the sign-in page."),
        )
    if request.GET.get("error") or not request.GET.get("code"):
        logger.info("oidc %s: back without a code (%s)", chosen.key, request.GET.get("error"))
        return _failed(
            request,
            chosen,
            _("You did not finish signing in with %(provider)s. Start again when you wish.")
            % {"provider": chosen.label},
        )
    try:
        identity = client.authenticate(
            chosen,
            code=request.GET["code"],
            redirect_uri=_redirect_uri(request, chosen),
            verifier=flow.verifier,
            nonce=flow.nonce,
        )
    except ProviderUnavailable:
        return _unavailable(request, chosen)
    except SignInRejected as rejection:
        logger.warning("oidc %s: answer refused: %s", chosen.key, rejection.reason)
        return _failed(
            request,
            chosen,
            _(
                "The answer of %(provider)s could not be accepted. Start again from the "
                "sign-in page; if it happens again, sign in with your e-mail address."
            )
            % {"provider": chosen.label},
        )
    if flow.purpose == flows.LINK:
        return _link(request, chosen, flow, identity)
    return _sign_in(request, chosen, flow, identity)


_LINK_REFUSALS = {
    services.LinkRefused.LINKED_ELSEWHERE: gettext_lazy(
        "This identity of %(provider)s is linked to another account already. Ask your referent."
    ),
    services.LinkRefused.ALREADY_LINKED: gettext_lazy(
        "An identity of %(provider)s is already linked to your account."
    ),
    services.LinkRefused.OTHER_PERSON: gettext_lazy(
        "This identity of %(provider)s is not yours: its RPPS or ADELI number is not the one "
        "recorded for your account. Sign out of %(provider)s and start again."
    ),
}


def _link(
    request: HttpRequest, provider: Provider, flow: flows.Flow, identity: Identity
) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or user.pk != flow.user_id:
        # Signed out, or somebody else, since the link was asked: nothing is linked.
        return _failed(
            request,
            provider,
            _("This sign-in has expired or was already used. Start again from the sign-in page."),
        )
    try:
        services.identity_link(
            user=user,
            provider=provider,
            identity=identity,
            how=LinkedIdentity.How.BY_PERSON,
            request=request,
        )
    except services.LinkRefused as refusal:
        messages.error(request, str(_LINK_REFUSALS[refusal.reason]) % {"provider": provider.label})
        return redirect("accounts:my_account")
    messages.success(
        request,
        _("Your identity of %(provider)s is linked to your account: you can now sign in with it.")
        % {"provider": provider.label},
    )
    return redirect("accounts:my_account")


def _sign_in(
    request: HttpRequest, provider: Provider, flow: flows.Flow, identity: Identity
) -> HttpResponse:
    found = services.account_for(provider=provider, identity=identity, request=request)
    user = found.user
    if user is None:
        services.sign_in_refused(provider=provider, user=None, request=request, why="no_account")
        return _unlinked(request, provider, identity)
    if not user.is_active:
        services.sign_in_refused(provider=provider, user=user, request=request, why="inactive")
        return _page(
            request,
            provider,
            title=_("Account closed"),
            message=_(
                "The account linked to this identity is closed. If you work again in an "
                "establishment, ask one of its referents to reopen it."
            ),
            status=403,
        )
    if user.is_blocked:
        # Blocked whatever the provider: the same page as after the right password.
        lockout.signin_refused_blocked(user=user, request=request)
        lookups = lockout.referent_lookups(user)
        messages.error(request, BLOCKED)
        return render(
            request,
            "accounts/sign_in.html",
            {
                "form": SignInForm(request),
                "next": "",
                "blocked": {
                    "lookups": lookups,
                    "fallback_support": None if lookups else SupportDesk.for_region(None),
                },
            },
        )
    login(request, user, backend=BACKEND)
    lockout.signin_succeed(user=user, request=request)
    if provider.strong:
        # A CPS card or the e-CPS app is the second factor itself (after login(), which
        # starts an unverified state).
        mfa_session.mark_verified(request, method=f"oidc:{provider.key}")
    if found.linked_now:
        messages.success(
            request,
            _(
                "Your identity of %(provider)s is now linked to your account, with the RPPS or "
                "ADELI number your referent recorded."
            )
            % {"provider": provider.label},
        )
    return redirect(flow.next_url or settings.LOGIN_REDIRECT_URL)


def _unlinked(request: HttpRequest, provider: Provider, identity: Identity) -> HttpResponse:
    """No account yet: whom to ask, from the establishments of the person's activities."""
    lookups = referents_for_many(list(establishments_of(claims.workplaces(identity.claims))))
    return render(
        request,
        "oidc/unlinked.html",
        {
            "provider": provider,
            "national_id": claims.national_id(provider, identity.claims),
            "lookups": lookups,
            "support": None if lookups else SupportDesk.for_region(None),
        },
        status=403,
    )


@require_POST
def unlink(request: SignedInRequest, pk: int) -> HttpResponse:
    """Mon compte: this identity no longer signs in to my account."""
    identity = get_object_or_404(
        LinkedIdentity.objects.select_related("user"), pk=pk, user=request.user
    )
    services.identity_unlink(identity=identity, actor=request.user, request=request)
    chosen = providers.get(identity.provider)
    messages.success(
        request,
        _("Your identity of %(provider)s is no longer linked to your account.")
        % {"provider": chosen.label if chosen else identity.provider},
    )
    return redirect("accounts:my_account")
