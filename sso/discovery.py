"""
The provider's endpoints and keys, read from its discovery document
(`<issuer>/.well-known/openid-configuration`) on first use and kept for the process.
"""

from __future__ import annotations

import threading

import requests
from django.conf import settings

_lock = threading.Lock()
_documents: dict[str, dict] = {}

REQUIRED = ("authorization_endpoint", "token_endpoint", "jwks_uri")


class DiscoveryError(Exception):
    """The provider's discovery document could not be read or is not usable."""


def enabled() -> bool:
    """Single sign-on is on when an issuer is configured."""
    return bool(settings.OIDC_ISSUER)


def configuration() -> dict:
    """The discovery document of OIDC_ISSUER, fetched once per process and issuer.

    Raises DiscoveryError when it cannot be fetched, lacks an endpoint the sign-in needs, or
    names another issuer than the one configured (tokens are checked against the configured one).
    """
    issuer = settings.OIDC_ISSUER.rstrip("/")
    document = _documents.get(issuer)
    if document is not None:
        return document
    with _lock:
        if issuer in _documents:
            return _documents[issuer]
        url = issuer + "/.well-known/openid-configuration"
        try:
            response = requests.get(url, timeout=settings.OIDC_TIMEOUT_SECONDS)
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise DiscoveryError(f"{url}: {error}") from error
        missing = [key for key in REQUIRED if not document.get(key)]
        if missing:
            raise DiscoveryError(f"{url} has no {', '.join(missing)}")
        if str(document.get("issuer", "")).rstrip("/") != issuer:
            raise DiscoveryError(f"{url} names the issuer {document.get('issuer')!r}, not {issuer!r}")
        _documents[issuer] = document
        return document


def forget() -> None:
    """Drop what was read (a provider that changed its endpoints; the tests' providers)."""
    with _lock:
        _documents.clear()
