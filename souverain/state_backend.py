"""Which state backend the Pulumi CLI would use, found offline, and whether it is EU.

The CLI takes the first of: the PULUMI_BACKEND_URL variable, `backend.url` in the
project's Pulumi.yaml, and the URL of the last `pulumi login` (the `current` entry of
credentials.json in PULUMI_CREDENTIALS_PATH or PULUMI_HOME, default ~/.pulumi). With
none, `pulumi login` and the first `pulumi up` go to Pulumi Cloud, a US service. This
module reads the same sources in the same order (only the `current` entry of the
credentials file, never a token) and holds the URL to the state-backend rule.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from souverain.places import s3_endpoint
from souverain.sovereignty_rules import Violation

RULE = "state-backend-not-us-saas"
RULE_DESCRIPTION = "Pulumi's state is kept in the EU, not in a US SaaS."
FIX = (
    "create an EU bucket with `souverain state bootstrap` and `pulumi login` to the "
    "s3:// URL it prints (docs/state.md)"
)
# Backends run by US companies: (URL scheme or host suffix, who runs it).
US_SCHEMES = {
    "gs": "Google Cloud Storage, run by Google LLC under US law",
    "azblob": "Azure Blob Storage, run by Microsoft Corporation under US law",
}
PULUMI_CLOUD = "Pulumi Cloud, run by Pulumi Corporation under US law"
AMAZON_S3 = "Amazon S3, run by Amazon Web Services under US law whatever its region"
NO_SOURCE = "no PULUMI_BACKEND_URL, backend.url in Pulumi.yaml or `pulumi login`"


@dataclass(frozen=True)
class BackendSetting:
    """The state backend URL and where the Pulumi CLI would take it from."""

    url: str | None
    """The backend URL; None when no source sets one."""
    source: str
    """Where it comes from, e.g. PULUMI_BACKEND_URL."""
    unreadable: str | None = None
    """Why a source could not be read, when that hid the URL."""


def find_backend(
    project_root: Path | None, environ: Mapping[str, str] | None = None
) -> BackendSetting:
    """The backend the Pulumi CLI would use for the project at `project_root`."""
    environ = os.environ if environ is None else environ
    if environ.get("PULUMI_BACKEND_URL"):
        return BackendSetting(environ["PULUMI_BACKEND_URL"], "PULUMI_BACKEND_URL")

    manifest = project_root / "Pulumi.yaml" if project_root else None
    if manifest is not None and manifest.is_file():
        project = yaml.safe_load(manifest.read_text()) or {}
        url = (project.get("backend") or {}).get("url")
        if url:
            return BackendSetting(str(url), f"backend.url in {manifest}")

    folder = environ.get("PULUMI_CREDENTIALS_PATH") or environ.get("PULUMI_HOME")
    credentials = Path(folder or Path.home() / ".pulumi") / "credentials.json"
    try:
        stored = json.loads(credentials.read_text())
    except FileNotFoundError:
        return BackendSetting(None, NO_SOURCE)
    except (OSError, ValueError) as err:
        return BackendSetting(None, str(credentials), f"cannot be read ({err})")
    if isinstance(stored, dict) and stored.get("current"):
        return BackendSetting(
            str(stored["current"]), f"the current login, {credentials}"
        )
    if isinstance(stored, dict) and "$pulumiSecureStore" in stored:
        return BackendSetting(None, str(credentials), "is encrypted")
    return BackendSetting(None, NO_SOURCE)


def backend_place(url: str) -> tuple[str, str | None]:
    """Where a backend URL keeps the state, and why that is refused (None if not)."""
    parts = urlsplit(url)
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    where: str | None = None
    if scheme == "file":
        return "this machine's disk", None
    if scheme in ("http", "https") and (
        host == "pulumi.com" or host.endswith(".pulumi.com")
    ):
        where = PULUMI_CLOUD
    elif scheme in US_SCHEMES:
        where = US_SCHEMES[scheme]
    elif scheme == "s3":
        endpoint = (parse_qs(parts.query).get("endpoint") or [None])[0]
        if endpoint is None:
            where = AMAZON_S3
        else:
            place = s3_endpoint(endpoint)
            if place.problem is None:
                return place.text, None
            return place.text, (
                f"'{url}' keeps the state at '{endpoint}', not an Object Storage "
                f"known to be in the EU; {FIX}"
            )
    if where is None:
        return url, f"'{url}' is not a backend known to be in the EU; {FIX}"
    return where, f"'{url}' is {where}; {FIX}"


def check_state_backend(setting: BackendSetting) -> list[Violation]:
    """The state-backend rule: the violation, if the backend is not in the EU.

    No backend at all is not a violation: nothing has been stored anywhere yet, and
    a fresh checkout must plan. `backend_reminder` says what to do before `pulumi up`.
    """
    if setting.unreadable is not None:
        message = (
            f"the current `pulumi login` in {setting.source} {setting.unreadable}, "
            "so souverain cannot tell where the state goes; set PULUMI_BACKEND_URL "
            "or backend.url in Pulumi.yaml to the backend's URL"
        )
    elif setting.url is None:
        return []
    else:
        message = backend_place(setting.url)[1]
    return [Violation(RULE, "state backend", message)] if message else []


def backend_reminder(setting: BackendSetting) -> str | None:
    """What to do before `pulumi up` when no backend is set yet; None when one is."""
    if setting.url is not None or setting.unreadable is not None:
        return None
    return (
        "no state backend is set yet, and a bare `pulumi login` would keep the state "
        f"in {PULUMI_CLOUD}: before `pulumi up`, {FIX}, or set PULUMI_BACKEND_URL"
    )


def describe_backend(setting: BackendSetting) -> str:
    """The backend as a report shows it: URL, where that is, and its source."""
    if setting.url is None:
        return f"none ({setting.source})"
    return f"{setting.url}: {backend_place(setting.url)[0]} (from {setting.source})"
