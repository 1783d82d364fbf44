"""The comment APIs of GitHub, Forgejo and GitLab on loopback, keeping their comments.

One fake speaks one forge's dialect, as its REST documentation gives it: the paths,
the authentication header, the methods, the JSON bodies and the pagination (GitHub
and GitLab page their lists and say where the next page is in a Link header, GitLab
also in X-Next-Page; Forgejo answers a pull request's whole list at once). A request
of another shape gets the forge's error status and is recorded as a violation, which
fails the test when the fake stops.
"""

import json
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.serving import ServedFake

OWNER_REPO = "acme/infra"
PULL_NUMBER = 5
GITLAB_PROJECT = "42"
GITLAB_MR = 7


@dataclass(frozen=True)
class Dialect:
    """What tells one forge's comment API apart."""

    prefix: str
    list_path: str
    item_prefix: str
    update_method: str
    auth_header: str
    auth_scheme: str
    paged: bool
    max_body: int


DIALECTS = {
    "github": Dialect(
        prefix="",
        list_path=f"/repos/{OWNER_REPO}/issues/{PULL_NUMBER}/comments",
        item_prefix=f"/repos/{OWNER_REPO}/issues/comments/",
        update_method="PATCH",
        auth_header="Authorization",
        auth_scheme="Bearer ",
        paged=True,
        max_body=65536,
    ),
    "forgejo": Dialect(
        prefix="/api/v1",
        list_path=f"/repos/{OWNER_REPO}/issues/{PULL_NUMBER}/comments",
        item_prefix=f"/repos/{OWNER_REPO}/issues/comments/",
        update_method="PATCH",
        auth_header="Authorization",
        auth_scheme="token ",
        paged=False,
        max_body=1_000_000,
    ),
    "gitlab": Dialect(
        prefix="/api/v4",
        list_path=f"/projects/{GITLAB_PROJECT}/merge_requests/{GITLAB_MR}/notes",
        item_prefix=f"/projects/{GITLAB_PROJECT}/merge_requests/{GITLAB_MR}/notes/",
        update_method="PUT",
        auth_header="PRIVATE-TOKEN",
        auth_scheme="",
        paged=True,
        max_body=1_000_000,
    ),
}


class FakeForge(ServedFake):
    """One forge's comments of one pull request, served and kept in memory."""

    def __init__(self, forge: str, token: str, page_size: int = 100):
        self.vendor = forge
        self.forge = forge
        self.dialect = DIALECTS[forge]
        self.token = token
        self.page_size = page_size
        self.comments: dict[int, dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        """(method, path and query) of every request, in order."""
        self.faults: list[int] = []
        """Statuses to answer, one per request, before serving again."""
        self.link_base: str | None = None
        """Where Link headers point; the fake's own address unless a test says."""
        self.redirect_to: str | None = None
        self._next_id = 1000
        self.serve(_Handler)

    @property
    def api_url(self) -> str:
        """The API root a client is given, as the forge's CI variables give it."""
        return self.base_url + self.dialect.prefix

    def add(self, body: str, system: bool = False) -> int:
        """Store a comment as if someone had posted it; returns its id."""
        self._next_id += 1
        self.comments[self._next_id] = {"id": self._next_id, "body": body}
        if self.forge == "gitlab":
            self.comments[self._next_id]["system"] = system
        return self._next_id

    def bodies(self) -> list[str]:
        """Every comment's body, oldest first."""
        return [self.comments[key]["body"] for key in sorted(self.comments)]

    def view(self, comment: dict[str, Any]) -> dict[str, Any]:
        """A comment as the forge answers it."""
        shown = dict(comment)
        if self.forge == "github":
            shown["html_url"] = (
                f"https://github.com/{OWNER_REPO}/pull/{PULL_NUMBER}"
                f"#issuecomment-{comment['id']}"
            )
        elif self.forge == "forgejo":
            shown["html_url"] = (
                f"https://codeberg.org/{OWNER_REPO}/pulls/{PULL_NUMBER}"
                f"#issuecomment-{comment['id']}"
            )
        return shown

    def answer(
        self, method: str, target: str, headers: Any, raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        """Status, headers and JSON body for one request."""
        self.requests.append((method, target))
        if self.faults:
            status = self.faults.pop(0)
            return status, {}, {"message": f"fault {status}"}
        if self.redirect_to is not None:
            return 301, {"Location": self.redirect_to + target}, {}
        if headers.get(self.dialect.auth_header) != self.dialect.auth_scheme + (
            self.token
        ):
            return 401, {}, {"message": "401 Unauthorized"}

        parts = urlsplit(target)
        path = parts.path.removeprefix(self.dialect.prefix)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if path == self.dialect.list_path and method == "GET":
            return self._list(path, query)
        if path == self.dialect.list_path and method == "POST":
            body = self._body(raw)
            if body is None:
                return 400, {}, {"message": "body must be {'body': text}"}
            if len(body) > self.dialect.max_body:
                return 422, {}, {"message": "Validation Failed: body is too long"}
            comment_id = self.add(body)
            return 201, {}, self.view(self.comments[comment_id])

        item = path.removeprefix(self.dialect.item_prefix)
        if path.startswith(self.dialect.item_prefix) and item.isdigit():
            if method != self.dialect.update_method:
                self.contract_violations.append(f"{method} {path}")
                return 405, {}, {"message": "Method Not Allowed"}
            if int(item) not in self.comments:
                return 404, {}, {"message": "Not Found"}
            body = self._body(raw)
            if body is None:
                return 400, {}, {"message": "body must be {'body': text}"}
            if len(body) > self.dialect.max_body:
                return 422, {}, {"message": "Validation Failed: body is too long"}
            self.comments[int(item)]["body"] = body
            return 200, {}, self.view(self.comments[int(item)])

        self.contract_violations.append(f"{method} {target}")
        return 404, {}, {"message": "Not Found"}

    def _body(self, raw: bytes) -> str | None:
        """The comment text of a request body shaped {"body": text}, else None."""
        try:
            document = json.loads(raw or b"null")
        except ValueError:
            document = None
        if not isinstance(document, dict) or set(document) != {"body"}:
            self.contract_violations.append(f"body {raw[:80]!r}")
            return None
        if not isinstance(document["body"], str):
            self.contract_violations.append(f"body {raw[:80]!r}")
            return None
        return document["body"]

    def _list(self, path: str, query: dict[str, str]) -> tuple[int, dict, Any]:
        everything = [self.view(self.comments[key]) for key in sorted(self.comments)]
        if not self.dialect.paged:
            return 200, {}, everything
        if self.forge == "gitlab" and (
            query.get("sort") != "asc" or query.get("order_by") != "created_at"
        ):
            # GitLab lists newest first unless asked otherwise.
            everything.reverse()

        size = min(int(query.get("per_page", "20")), self.page_size)
        page = int(query.get("page", "1"))
        shown = everything[(page - 1) * size : page * size]
        headers: dict[str, str] = {}
        if page * size < len(everything):
            following = {**query, "page": str(page + 1)}
            link_query = "&".join(f"{key}={value}" for key, value in following.items())
            base = (self.link_base or self.base_url) + self.dialect.prefix
            headers["Link"] = f'<{base}{path}?{link_query}>; rel="next"'
            if self.forge == "gitlab":
                headers["X-Next-Page"] = str(page + 1)
        return 200, headers, shown


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, *args: Any) -> None:
        """Keep the test output free of access logs."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        fake: FakeForge = self.server.fake
        status, headers, document = fake.answer(
            self.command, self.path, self.headers, raw
        )
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    # http.server dispatches on the method's name.
    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815
