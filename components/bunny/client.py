"""A small client for the bunny.net Core API: JSON in and out, retries, plain errors.

Pulumi's dynamic providers build one client per call, so a client is cheap and holds
nothing beyond its own `requests.Session`. The access key travels only in the
`AccessKey` header: it is never logged, nor written into an error or a repr.
"""

import logging
import time
from collections.abc import Callable
from typing import Any

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)

from components.errors import SouverainError

CORE_API_URL = "https://api.bunny.net"
ACCESS_KEY_FIX = (
    "check souverain:bunnyAccessKey: bunny.net dashboard > Account settings > API "
    "key, then `pulumi config set --secret souverain:bunnyAccessKey <key>`"
)
TROUBLE_FIX = (
    "run `pulumi up` again, and if it fails the same way check https://status.bunny.net"
)
RATE_LIMIT_FIX = (
    "bunny.net is limiting this account's requests: wait a minute, then run "
    "`pulumi up` again"
)
# Waits between attempts when bunny.net gives no Retry-After: 1 s, 2 s, 4 s, 8 s...
# up to 30 s, each plus up to 1 s at random so that parallel clients drift apart.
BACKOFF = wait_exponential_jitter(initial=1, max=30, jitter=1)
# A longer Retry-After would look like a hung `pulumi up`; wait this long at most
# and let the next attempt ask again.
MAX_RETRY_AFTER_SECONDS = 60.0
# Reading the answer timed out: bunny.net may have acted already. Only these methods
# are safe to send again (bunny.net's PUT adds a DNS record, so it is not).
IDEMPOTENT_METHODS = frozenset({"GET", "DELETE"})

logger = logging.getLogger(__name__)


class BunnyApiError(SouverainError):
    """bunny.net refused or failed a request; the message says which and what to do.

    `status` is 0 when no answer came at all; `error_key`, `field` and `message` are
    what bunny.net's error body said, when it said anything.
    """

    status: int
    error_key: str | None
    field: str | None
    message: str

    def __init__(
        self,
        text: str,
        *,
        status: int,
        error_key: str | None = None,
        field: str | None = None,
        message: str = "",
    ):
        super().__init__(text)
        self.status = status
        self.error_key = error_key
        self.field = field
        self.message = message


class BunnyNotFoundError(BunnyApiError):
    """The object asked for does not exist (404): deleted, or never created."""


class BunnyClient:
    """Calls to the bunny.net Core API with one access key.

    Each method returns the parsed JSON answer, or None when the answer has no body.
    429 and 5xx answers and lost connections are retried, `max_attempts` attempts in
    all; then, or on any other 4xx, the method raises `BunnyApiError`.
    """

    # How the client waits between attempts; a test may swap it on an instance.
    sleep: Callable[[float], None] = staticmethod(time.sleep)

    def __init__(
        self,
        access_key: str,
        base_url: str = CORE_API_URL,
        timeout: float = 30.0,
        max_attempts: int = 5,
    ):
        if not access_key:
            raise SouverainError(f"the bunny.net access key is empty: {ACCESS_KEY_FIX}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be 1 or more, not {max_attempts}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._session = requests.Session()
        self._session.headers.update(
            {"AccessKey": access_key, "Accept": "application/json"}
        )

    def __repr__(self) -> str:
        return f"BunnyClient(base_url={self.base_url!r})"

    def __enter__(self) -> "BunnyClient":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections the client keeps open."""
        self._session.close()

    def get(self, path: str, params: dict | None = None) -> Any:
        """GET `path` (such as /dnszone/42) with query `params`."""
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Any = None, params: dict | None = None) -> Any:
        """POST `body` as JSON to `path`."""
        return self._request("POST", path, params=params, body=body)

    def put(self, path: str, body: Any = None) -> Any:
        """PUT `body` as JSON to `path`."""
        return self._request("PUT", path, body=body)

    def delete(self, path: str, params: dict | None = None, body: Any = None) -> None:
        """DELETE `path`; a few operations (removeHostname) take a JSON body."""
        self._request("DELETE", path, params=params, body=body)

    def _request(
        self, method: str, path: str, *, params: dict | None = None, body: Any = None
    ) -> Any:
        if not path.startswith("/"):
            raise ValueError(f"an API path starts with '/', as in /dnszone: {path!r}")
        url = self.base_url + path
        query = {
            key: str(value).lower() if isinstance(value, bool) else value
            for key, value in (params or {}).items()
        }
        attempts = 0

        def send() -> requests.Response:
            nonlocal attempts
            attempts += 1
            return self._session.request(
                method, url, params=query, json=body, timeout=self.timeout
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            retry=retry_if_result(lambda response: _worth_retrying(method, response))
            | retry_if_exception(lambda err: _lost(method, err)),
            wait=_wait,
            sleep=self.sleep,
            before_sleep=lambda state: _log_retry(
                method, path, self.max_attempts, state
            ),
            # Out of attempts: hand back the last answer (or raise the last error)
            # so that it is explained below, rather than tenacity's RetryError.
            retry_error_callback=lambda state: state.outcome.result(),
        )
        try:
            response = retrying(send)
        except requests.RequestException as err:
            tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
            raise BunnyApiError(
                f"got no answer from bunny.net at {self.base_url} for {method} {path} "
                f"({type(err).__name__}) after {tries}: check the network "
                "connection, then run `pulumi up` again",
                status=0,
            ) from err

        if response.status_code >= 400:
            raise _api_error(method, path, response, attempts)
        return _parsed(method, path, response)


def _worth_retrying(method: str, response: requests.Response) -> bool:
    """A 429 was not acted on, so any method may be sent again; a 5xx may come from a
    gateway after bunny.net acted (a PUT that added a record), so only GET and DELETE
    are repeated then."""
    if response.status_code == 429:
        return True
    return response.status_code >= 500 and method in IDEMPOTENT_METHODS


def _lost(method: str, err: BaseException) -> bool:
    """Whether to send again after `err`: the request never reached bunny.net, or
    sending it twice does no harm."""
    # Only a connection that was never made proves the request was not sent; a reset
    # after sending may come after bunny.net acted.
    if isinstance(err, requests.ConnectTimeout):
        return True
    if isinstance(err, requests.ConnectionError) and "NewConnectionError" in repr(err):
        return True
    return (
        isinstance(err, requests.ConnectionError | requests.Timeout)
        and method in IDEMPOTENT_METHODS
    )


def _retry_after(response: requests.Response) -> float | None:
    """The seconds bunny.net asked to wait, when it asked in seconds."""
    try:
        seconds = float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def _wait(state: RetryCallState) -> float:
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        seconds = _retry_after(outcome.result())
        if seconds is not None:
            return seconds
    return BACKOFF(state)


def _log_retry(
    method: str, path: str, max_attempts: int, state: RetryCallState
) -> None:
    outcome = state.outcome
    if outcome.failed:
        answer = f"no answer ({type(outcome.exception()).__name__})"
    else:
        answer = outcome.result().status_code
    logger.warning(
        "%s %s: bunny.net answered %s; attempt %d of %d in %.1f s",
        method,
        path,
        answer,
        state.attempt_number + 1,
        max_attempts,
        state.upcoming_sleep,
    )


def _api_error(
    method: str, path: str, response: requests.Response, attempts: int
) -> BunnyApiError:
    """A refused or failed request as one line: what bunny.net said, what to do."""
    status = response.status_code
    try:
        said = response.json()
    except ValueError:
        said = None
    if not isinstance(said, dict):
        said = {"Message": response.text.strip()[:200] or response.reason}
    error_key, field = said.get("ErrorKey") or None, said.get("Field") or None
    message = said.get("Message") or response.reason or ""

    code = " ".join(str(part) for part in (status, error_key) if part)
    if field:
        code += f", field {field}"
    verb = "failed" if status >= 500 else "refused"
    # Saying how often it was tried matters only when the client gave up trying.
    gave_up = attempts > 1 and _worth_retrying(method, response)
    after = f" after {attempts} attempts" if gave_up else ""
    text = f"bunny.net {verb} {method} {path} ({code}){after}: {message}"
    fix = {401: ACCESS_KEY_FIX, 429: RATE_LIMIT_FIX}.get(status)
    if status >= 500:
        fix = TROUBLE_FIX
    if fix:
        text += f"; {fix}"

    error_class = BunnyNotFoundError if status == 404 else BunnyApiError
    return error_class(
        text, status=status, error_key=error_key, field=field, message=message
    )


def _parsed(method: str, path: str, response: requests.Response) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise BunnyApiError(
            f"bunny.net answered {method} {path} ({response.status_code}) with a body "
            f"that is not JSON: {response.text.strip()[:200]!r}; {TROUBLE_FIX}",
            status=response.status_code,
        ) from None


# The properties every bunny.net dynamic resource carries to reach the API.
CONNECTION = ("access_key", "api_url")


def client_for(props: dict[str, Any]) -> BunnyClient:
    """A client from a dynamic resource's properties (built anew for each call)."""
    return BunnyClient(props["access_key"], base_url=props["api_url"])
