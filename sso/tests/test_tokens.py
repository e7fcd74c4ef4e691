"""
The ID token check, called directly with tokens signed by the provider's own key and checked
against the JWKS the provider publishes: only a token for this client, from this issuer, still
valid, passes.
"""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

import jwt

from sso.backends import ProviderBackend

from .conftest import CLIENT_ID, CLIENT_SECRET


def claims(provider, **changes) -> dict:
    now = int(time.time())
    values = {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "42",
        "iat": now,
        "exp": now + 300,
        "nonce": "the-nonce",
        "email": "someone@example.com",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def test_a_token_for_this_client_passes(oidc):
    payload = ProviderBackend().verify_token(oidc.sign(claims(oidc)), nonce="the-nonce")
    assert payload["sub"] == "42" and payload["aud"] == CLIENT_ID


def test_a_token_for_another_audience_is_refused(oidc):
    token = oidc.sign(claims(oidc, aud="another-application"))
    with pytest.raises(SuspiciousOperation, match="(?i)audience"):
        ProviderBackend().verify_token(token, nonce="the-nonce")


def test_an_expired_token_is_refused(oidc):
    an_hour_ago = int(time.time()) - 3600
    token = oidc.sign(claims(oidc, iat=an_hour_ago - 300, exp=an_hour_ago))
    with pytest.raises(SuspiciousOperation, match="expired"):
        ProviderBackend().verify_token(token, nonce="the-nonce")


def test_a_token_from_another_issuer_is_refused(oidc):
    token = oidc.sign(claims(oidc, iss="https://elsewhere.example.com"))
    with pytest.raises(SuspiciousOperation, match="issuer"):
        ProviderBackend().verify_token(token, nonce="the-nonce")


def test_a_token_without_expiry_is_refused(oidc):
    token = oidc.sign(claims(oidc, exp=None))
    with pytest.raises(SuspiciousOperation, match="exp"):
        ProviderBackend().verify_token(token, nonce="the-nonce")


def test_a_token_with_another_nonce_is_refused(oidc):
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        ProviderBackend().verify_token(oidc.sign(claims(oidc)), nonce="another-nonce")


def test_a_token_signed_with_a_key_not_in_the_jwks_is_refused(oidc):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # The provider's key id, another key: the signature does not verify.
    token = jwt.encode(claims(oidc), stranger, algorithm="RS256", headers={"kid": oidc.kid})
    with pytest.raises(SuspiciousOperation, match="Signature verification failed"):
        ProviderBackend().verify_token(token, nonce="the-nonce")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_token_signed_with_the_client_secret_is_refused(oidc):
    # An HS256 token keyed with the client secret (what a client that trusts "alg" would take).
    token = jwt.encode(claims(oidc), CLIENT_SECRET, algorithm="HS256", headers={"kid": oidc.kid})
    with pytest.raises(SuspiciousOperation):
        ProviderBackend().verify_token(token, nonce="the-nonce")
