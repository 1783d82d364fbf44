"""Reading the credentials out of a kubeconfig, for callers that are not kubectl."""

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, repr=False)
class KubeconfigCredentials:
    """The current context's CA, and its client certificate and key or its token.

    The repr is withheld: the key and token must never reach a log or a traceback.
    """

    ca_pem: bytes | None
    client_cert_pem: bytes | None
    client_key_pem: bytes | None
    token: str | None

    def __repr__(self) -> str:
        return "KubeconfigCredentials(<withheld>)"


class KubeconfigError(ValueError):
    """The kubeconfig cannot be used; the message says what is missing."""


def kubeconfig_credentials(kubeconfig: str) -> KubeconfigCredentials:
    """The credentials of the kubeconfig's current context (or its only one)."""
    try:
        document = yaml.safe_load(kubeconfig)
    except yaml.YAMLError:
        raise KubeconfigError("is not YAML") from None
    if not isinstance(document, dict):
        raise KubeconfigError("is not a kubeconfig (no clusters, users, contexts)")

    context = _current_context(document)
    cluster = _named(document, "clusters", context.get("cluster"))["cluster"]
    user = _named(document, "users", context.get("user"))["user"] or {}
    credentials = KubeconfigCredentials(
        ca_pem=_decoded(cluster, "certificate-authority-data"),
        client_cert_pem=_decoded(user, "client-certificate-data"),
        client_key_pem=_decoded(user, "client-key-data"),
        token=user.get("token"),
    )
    has_cert = credentials.client_cert_pem and credentials.client_key_pem
    if not (has_cert or credentials.token):
        raise KubeconfigError(
            "has no client-certificate-data with client-key-data, nor a token: pass "
            "the cluster's admin kubeconfig, with its credentials inline"
        )
    return credentials


def kubeconfig_problem(kubeconfig: Any) -> str | None:
    """Why the kubeconfig cannot be used, or None."""
    if not isinstance(kubeconfig, str):
        return "is not text"
    try:
        kubeconfig_credentials(kubeconfig)
    except KubeconfigError as err:
        return str(err)
    return None


def _current_context(document: dict[str, Any]) -> dict[str, Any]:
    contexts = document.get("contexts") or []
    wanted = document.get("current-context")
    if not wanted:
        if len(contexts) != 1:
            raise KubeconfigError("has no current-context, nor a single context")
        wanted = contexts[0].get("name")
    return _named(document, "contexts", wanted)["context"] or {}


def _named(document: dict[str, Any], section: str, name: Any) -> dict[str, Any]:
    for entry in document.get(section) or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return entry
    raise KubeconfigError(f"has no entry named {name!r} in {section}")


def _decoded(section: dict[str, Any], key: str) -> bytes | None:
    value = section.get(key)
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KubeconfigError(f"has a {key} that is not base64") from None
