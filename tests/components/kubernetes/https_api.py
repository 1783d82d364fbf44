"""A tiny HTTPS server on loopback standing in for a cluster's API, or Rancher's URL.

It serves with a certificate from its own CA, may require a client certificate from
that CA (as k3s does), records each request with the client certificate's common
name, and answers from a list the test sets.
"""

import base64
import datetime as dt
import ipaddress
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.serving import ServedFake

ADMIN_CN = "system:admin"


@dataclass(frozen=True)
class Issued:
    """A PEM certificate and its PEM private key."""

    cert_pem: bytes
    key_pem: bytes


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


class TestCa:
    """A throwaway certificate authority."""

    __test__ = False  # not a test class, despite its name

    def __init__(self, common_name: str = "k3s-server-ca"):
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = _name(common_name)
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(self._name)
            .issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(self._key, hashes.SHA256())
        )
        self.cert_pem = self.cert.public_bytes(serialization.Encoding.PEM)

    def issue(self, common_name: str, server: bool) -> Issued:
        """A leaf certificate: for 127.0.0.1 when `server`, else a client's."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common_name))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
        )
        if server:
            san = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            builder = builder.add_extension(x509.SubjectAlternativeName([san]), False)
        cert = builder.sign(self._key, hashes.SHA256())
        return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def kubeconfig_for(ca: TestCa, client: Issued, server_url: str) -> str:
    """An admin kubeconfig, credentials inline, as k3s writes it."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"""apiVersion: v1
kind: Config
clusters:
- name: default
  cluster:
    certificate-authority-data: {b64(ca.cert_pem)}
    server: {server_url}
contexts:
- name: default
  context:
    cluster: default
    user: default
current-context: default
users:
- name: default
  user:
    client-certificate-data: {b64(client.cert_pem)}
    client-key-data: {b64(client.key_pem)}
"""


@dataclass
class SeenRequest:
    """What the server received."""

    method: str
    path: str
    client_cn: str | None


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's method name)
        fake = self.server.fake
        peer = self.connection.getpeercert()
        client_cn = None
        if peer:
            client_cn = dict(pair[0] for pair in peer["subject"])["commonName"]
        fake.requests.append(SeenRequest("GET", self.path, client_cn))
        status, body = (
            fake.answers[0] if len(fake.answers) == 1 else fake.answers.pop(0)
        )
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args) -> None:
        pass  # keep test output quiet


@dataclass
class HttpsApi(ServedFake):
    """The server; `answers` are (status, body), the last one repeated forever."""

    ca: TestCa = field(default_factory=TestCa)
    require_client_cert: bool = True
    answers: list[tuple[int, str]] = field(default_factory=lambda: [(200, "ok")])
    requests: list[SeenRequest] = field(default_factory=list)
    vendor = "HTTPS"

    def __post_init__(self) -> None:
        self.serve(_Handler)
        self._folder = tempfile.TemporaryDirectory(prefix="https-api-")
        folder = Path(self._folder.name)
        issued = self.ca.issue("k3s", server=True)
        (folder / "server.pem").write_bytes(issued.cert_pem)
        (folder / "server-key.pem").write_bytes(issued.key_pem)
        (folder / "ca.pem").write_bytes(self.ca.cert_pem)
        self.ca_file = str(folder / "ca.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "server.pem", folder / "server-key.pem")
        context.load_verify_locations(self.ca_file)
        if self.require_client_cert:
            context.verify_mode = ssl.CERT_REQUIRED
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    @property
    def url(self) -> str:
        """https://127.0.0.1:<port>."""
        return self.base_url.replace("http://", "https://")

    def stop(self) -> None:
        super().stop()
        self._folder.cleanup()


def running(api: HttpsApi) -> Iterator[HttpsApi]:
    """Serve `api` for a fixture's length."""
    with api:
        yield api
