"""The token call over mutual TLS (RFC 8705), as Pro Santé Connect's "Espace de Confiance" asks:
the local provider's token endpoint listens on TLS and requires a client certificate signed by
the test's authority; its discovery document names it in ``mtls_endpoint_aliases``."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.contrib.auth import SESSION_KEY

from oidc.models import LinkedIdentity
from tests.oidc.conftest import psc_sign_in


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, key, cert: x509.Certificate) -> tuple[str, str]:
    key_path, cert_path = path.with_suffix(".key"), path.with_suffix(".pem")
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(cert_path), str(key_path)


def _issue(ca_key, ca_name: x509.Name, common_name: str, *, server: bool):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return key, builder.sign(ca_key, hashes.SHA256())


@pytest.fixture
def pki(tmp_path) -> dict[str, str]:
    """An authority, the provider's server certificate and the application's client one."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Autorité de test")
    now = datetime.datetime.now(datetime.UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem, _ = _write(tmp_path / "ca", ca_key, ca_cert)
    server_cert, server_key = _write(
        tmp_path / "server", *_issue(ca_key, ca_name, "127.0.0.1", server=True)
    )
    client_cert, client_key = _write(
        tmp_path / "client", *_issue(ca_key, ca_name, "viareferents", server=False)
    )
    return {
        "ca": ca_pem,
        "server_cert": server_cert,
        "server_key": server_key,
        "client_cert": client_cert,
        "client_key": client_key,
    }


@pytest.fixture
def psc_mtls(psc, pki, settings, agent):
    psc.serve_mtls(certfile=pki["server_cert"], keyfile=pki["server_key"], client_ca=pki["ca"])
    LinkedIdentity.objects.create(
        user=agent, provider="psc", subject=psc.person["sub"], how=LinkedIdentity.How.BY_PERSON
    )
    return psc


def test_the_token_call_presents_the_client_certificate(client, psc_mtls, pki, settings, agent):
    settings.OIDC_PROVIDERS = {
        "psc": psc_mtls.settings(
            token_auth="tls_client_auth",
            client_secret="",
            client_cert=pki["client_cert"],
            client_key=pki["client_key"],
            ca_bundle=pki["ca"],
        )
    }
    response = psc_sign_in(client)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == agent.pk
    token_call = psc_mtls.token_requests[0]
    assert not token_call["basic"]
    assert "client_secret" not in token_call["form"]


def test_without_the_certificate_the_provider_refuses_and_the_page_says_so(
    client, psc_mtls, pki, settings
):
    settings.OIDC_PROVIDERS = {
        "psc": psc_mtls.settings(
            # The same provider, its TLS endpoint trusted, but no certificate of ours.
            client_cert=pki["client_cert"],
            client_key=pki["client_key"],
            ca_bundle=pki["ca"],
        )
    }
    # A certificate of another authority: the handshake fails.
    other = ec.generate_private_key(ec.SECP256R1())
    stranger_key, stranger_cert = _issue(other, _name("Autre"), "intrus", server=False)
    cert, key = _write(Path(pki["ca"]).parent / "stranger", stranger_key, stranger_cert)
    settings.OIDC_PROVIDERS["psc"] |= {"client_cert": cert, "client_key": key}
    response = psc_sign_in(client)
    assert response.status_code == 503
    assert SESSION_KEY not in client.session
