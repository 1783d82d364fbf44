"""What every fake API shares: reading its official spec, and serving on loopback.

Each fake (Hetzner Cloud, bunny.net) keeps its own routes and contract checks; this
module only starts and stops the HTTP server thread, and fails a test whose fake sent
an answer its spec forbids.
"""

import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# The specs sit in shared/ beside the checkout, on developers' machines and in CI.
SHARED_SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs"


def read_spec(spec_file: Path, name: str, source: str, variable: str) -> Any:
    """The parsed spec in `spec_file`; a missing file skips the test outside CI.

    CI always has the spec beside the checkout, so there a missing file fails; a
    fresh clone elsewhere skips the contract tests with the way to get it.
    """
    if not spec_file.is_file():
        message = (
            f"the {name} spec is not at {spec_file}: download {source} and point "
            f"{variable} at it"
        )
        if os.environ.get("CI"):
            raise FileNotFoundError(message)
        pytest.skip(message)
    return json.loads(spec_file.read_text(encoding="utf-8"))


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on a free port of 127.0.0.1 that knows the fake it serves."""

    daemon_threads = True

    def __init__(self, fake: Any, handler: type[BaseHTTPRequestHandler]):
        self.fake = fake
        super().__init__(("127.0.0.1", 0), handler)


class ServedFake:
    """Start, stop and context-manager protocol of a fake API.

    Subclasses set `vendor` (for messages), call `serve(handler)` in __init__, and
    append to `contract_violations` whenever they send a body their spec forbids.
    """

    vendor = "the"

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        """Prepare the server and its thread; `start` begins serving."""
        self.contract_violations: list[str] = []
        self._server = LoopbackServer(self, handler)
        # serve_forever notices a shutdown only between polls: poll often, so
        # stopping the fake after each test costs milliseconds, not half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"fake-{self.vendor}-api",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:<port>, where the fake answers."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        """Serve requests in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        """Stop; then fail if any body the fake sent broke the spec."""
        self.stop()
        if exc_type is None and self.contract_violations:
            raise AssertionError(
                f"the fake {self.vendor} API sent bodies the official spec forbids: "
                f"{self.contract_violations}"
            )
