"""Bearer API keys, checked against the hashed keys in the config table."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.core.errors import AuthenticationFailed
from chalicelib.settings import DEFAULT_LOCAL_API_KEY
from chalicelib.wiring import Container


def authenticate(headers: Mapping[str, str], container: Container) -> str:
    """The name of the caller's key, or :class:`AuthenticationFailed`."""
    header = headers.get("authorization", "")
    scheme, _, api_key = header.partition(" ")
    api_key = api_key.strip()
    if scheme.lower() != "bearer" or not api_key:
        raise AuthenticationFailed("send 'Authorization: Bearer <api key>'")
    if api_key == DEFAULT_LOCAL_API_KEY and not container.settings.is_local:
        raise AuthenticationFailed("the local development key is not valid on this stage")
    name = container.api_keys.name_of(api_key)
    if name is None:
        raise AuthenticationFailed("the API key is not valid")
    return name
