"""A real S3 server process on loopback (moto's standalone server), keys enforced.

moto only checks credentials once its first few requests are spent; those set up one
IAM user with full access, so every later request must carry that user's keys and a
request with any other keys is refused as Object Storage would refuse it.

`FaultyProxy` sits between a client and the server and answers chosen requests with
an error itself, to prove retries: the server never sees those.
"""

import http.client
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3

REGION = "fsn1"
# create_user, create_access_key, put_user_policy: then every request is checked.
SETUP_REQUESTS = 3
START_TIMEOUT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class S3Server:
    """A running server: where it listens and the keys it accepts."""

    endpoint: str
    access_key: str
    secret_key: str
    process: subprocess.Popen

    def client(self, endpoint: str | None = None):
        """A plain boto3 client with the valid keys, for arranging and checking."""
        return boto3.client(
            "s3",
            endpoint_url=endpoint or self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )


def _wait_until_listening(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"moto server did not listen on {port} in {START_TIMEOUT_S}s")


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """Start the server, create its one user, yield it, stop it."""
    port = free_port()
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_REQUESTS)}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_until_listening(port, process)
        endpoint = f"http://127.0.0.1:{port}"
        iam = boto3.client(
            "iam",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="setup",
            aws_secret_access_key="setup",
        )
        iam.create_user(UserName="souverain")
        key = iam.create_access_key(UserName="souverain")["AccessKey"]
        iam.put_user_policy(
            UserName="souverain",
            PolicyName="everything",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
                }
            ),
        )
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"], process)
    finally:
        process.terminate()
        process.wait(timeout=10)


SLOW_DOWN = (
    503,
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>",
)
INTERNAL_ERROR = (
    500,
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
    b"<Message>We encountered an internal error.</Message></Error>",
)


@dataclass
class FaultyProxy:
    """Forwards to `upstream`, but answers the next faults itself, one per request."""

    upstream_port: int
    faults: list[tuple[int, bytes]] = field(default_factory=list)
    seen: list[tuple[str, str, int]] = field(default_factory=list)
    port: int = 0

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _proxy_handler(proxy: FaultyProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep test output clean
            pass

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if proxy.faults:
                status, payload = proxy.faults.pop(0)
                proxy.seen.append((self.command, self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            # The Host header is forwarded as signed, so the server's check passes.
            upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port)
            upstream.putrequest(
                self.command, self.path, skip_host=True, skip_accept_encoding=True
            )
            for name, value in self.headers.items():
                upstream.putheader(name, value)
            upstream.endheaders(body)
            answer = upstream.getresponse()
            payload = answer.read()
            proxy.seen.append((self.command, self.path, answer.status))
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            upstream.close()

        # http.server dispatches on these names.
        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _relay  # noqa: N815

    return Handler


@contextmanager
def running_proxy(proxy: FaultyProxy) -> Iterator[FaultyProxy]:
    """Serve `proxy` on a free loopback port in a thread until the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _proxy_handler(proxy))
    proxy.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
