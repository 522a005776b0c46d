"""WebAuthn ceremonies (passkeys and security keys), through py_webauthn (duo-labs).

The relying party is this site: its id is ``MFA_WEBAUTHN_RP_ID`` when set, else the host the
request came to (Django checked it against ALLOWED_HOSTS); the expected origin is
``MFA_WEBAUTHN_ORIGIN`` when set, else the request's scheme and host. Each challenge is kept in
the session and used once. The signature counter must grow when the authenticator keeps one
(the library refuses a counter that went back: a cloned key).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.models import User
from mfa import session
from mfa.models import Factor

REGISTRATION = "webauthn-registration"
AUTHENTICATION = "webauthn-authentication"


class CeremonyError(Exception):
    """The browser's answer does not verify (or no ceremony was started)."""


def rp_id(request: HttpRequest) -> str:
    return settings.MFA_WEBAUTHN_RP_ID or request.get_host().rsplit(":", 1)[0].strip("[]")


def origin(request: HttpRequest) -> str:
    return settings.MFA_WEBAUTHN_ORIGIN or f"{request.scheme}://{request.get_host()}"


def _user_handle(user: User) -> bytes:
    # Not the database id, nor the e-mail address: the authenticator stores this handle.
    return salted_hmac("mfa.passkeys.user_handle", str(user.pk)).digest()[:16]


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    descriptors = []
    for factor in Factor.objects.filter(user=user, kind=Factor.Kind.WEBAUTHN):
        transports = []
        for transport in factor.transports.split(","):
            try:
                transports.append(AuthenticatorTransport(transport))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(factor.credential_id), transports=transports or None
            )
        )
    return descriptors


def registration_options(request: HttpRequest, user: User) -> str:
    """The options for ``navigator.credentials.create`` (JSON); the challenge is kept."""
    options = generate_registration_options(
        rp_id=rp_id(request),
        rp_name=settings.MFA_WEBAUTHN_RP_NAME,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.greeting_name or user.email,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(user),
    )
    session.remember(request, REGISTRATION, bytes_to_base64url(options.challenge))
    return options_to_json(options)


def authentication_options(request: HttpRequest, user: User) -> str:
    """The options for ``navigator.credentials.get`` (JSON); the challenge is kept."""
    options = generate_authentication_options(
        rp_id=rp_id(request),
        allow_credentials=_descriptors(user),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    session.remember(request, AUTHENTICATION, bytes_to_base64url(options.challenge))
    return options_to_json(options)


def _challenge(request: HttpRequest, name: str) -> bytes:
    challenge = session.recall(request, name, forget=True)
    if not isinstance(challenge, str):
        raise CeremonyError
    return base64url_to_bytes(challenge)


def verify_registration(request: HttpRequest, credential: str) -> dict[str, Any]:
    """The new credential's fields for a ``Factor``, or ``CeremonyError``."""
    challenge = _challenge(request, REGISTRATION)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
        )
        transports = json.loads(credential).get("response", {}).get("transports") or []
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise CeremonyError from error
    return {
        "credential_id": bytes_to_base64url(verified.credential_id),
        "public_key": verified.credential_public_key,
        "sign_count": verified.sign_count,
        "transports": ",".join(t for t in transports if isinstance(t, str) and t.isalnum())[:200],
    }


def credential_id_of(credential: str) -> str:
    """The credential id an assertion names (base64url), or ``CeremonyError``."""
    try:
        return bytes_to_base64url(parse_authentication_credential_json(credential).raw_id)
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise CeremonyError from error


def verify_authentication(request: HttpRequest, credential: str, factor: Factor) -> int:
    """Check an assertion against ``factor``: its new signature counter, or
    ``CeremonyError``."""
    challenge = _challenge(request, AUTHENTICATION)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp_id(request),
            expected_origin=origin(request),
            credential_public_key=bytes(factor.public_key or b""),
            credential_current_sign_count=factor.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as error:
        raise CeremonyError from error
    return verified.new_sign_count
