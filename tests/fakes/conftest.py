"""Fixtures for the tests of the fake Hetzner Cloud API."""

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import hcloud
import pytest

from tests.fakes.hetzner_api import TOKEN, FakeHetznerApi

Send = Callable[..., tuple[int, Any]]


@pytest.fixture
def hetzner() -> Iterator[FakeHetznerApi]:
    """An empty fake project over the default catalogue."""
    with FakeHetznerApi() as fake:
        yield fake


@pytest.fixture
def client(hetzner: FakeHetznerApi) -> hcloud.Client:
    """Hetzner's own Python client, pointed at the fake."""
    return hcloud.Client(token=TOKEN, api_endpoint=hetzner.endpoint)


@pytest.fixture
def send(hetzner: FakeHetznerApi) -> Send:
    """Send one raw request to the fake; return the status and the parsed body.

    `body` goes out as JSON, or as it is when bytes; an empty answer reads as None.
    """

    def sending(
        method: str,
        path: str,
        body: Any = None,
        *,
        query: str = "",
        token: str | None = TOKEN,
    ) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{hetzner.endpoint}{path}{'?' + query if query else ''}"
        request = urllib.request.Request(
            url,
            data=data.encode() if isinstance(data, str) else data,
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(request) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, payload = err.code, err.read()
        return status, json.loads(payload) if payload else None

    return sending
