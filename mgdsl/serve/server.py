"""The HTTP side of `mgdsl serve`: JSON endpoints, the page and its static files.

Endpoints (all answers are JSON except the page and its static files); every ``/api/``
call needs the access token (`mgdsl.serve.access`):

- ``GET /?token=T`` — stores the token in a cookie and redirects to ``GET /``, the page;
  ``GET /static/NAME`` — its script and style sheets (no token needed: package files);
- ``GET /api/files`` — the `.mg` files of the workspace, and the one to open first;
- ``GET /api/file?path=P`` — the text of a file;
- ``GET /api/grammar`` — the token table of the syntax highlighting (`assist.token_table`);
- ``POST /api/check`` ``{"path": P, "text": T, "network": N?}`` — diagnostics, diagram,
  its boxes and stats of unsaved text (`mgdsl.serve.analysis`);
- ``POST /api/hover`` and ``/api/complete`` ``{"path", "text", "line", "character"}`` —
  the language server's hover and completion at a position (`mgdsl.serve.assist`);
- ``POST /api/save`` ``{"path": P, "text": T, "confirm_errors": bool?}`` — write the file
  atomically; a text with errors only with ``confirm_errors`` (else 409 and the count).

Request rules, each answered with a 4xx and the server serving on: only GET, HEAD and
POST (405); POST bodies must be JSON (415), with a Content-Length (411) of at most
`max_body` bytes (413), arrive within `body_timeout` seconds (408) and parse as an object
of the right fields (400); paths follow `mgdsl.serve.workspace` (400/403/404). Clients
that go away are dropped silently (``--verbose`` logs them in one line).
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mgdsl.limits import LIMITS
from mgdsl.serve.access import Access, Refused
from mgdsl.serve.analysis import DEFAULT_CHECK_LIMIT, Checker
from mgdsl.serve.assist import Assistant, token_table
from mgdsl.serve.render import DEFAULT_RENDER_LIMIT
from mgdsl.serve.workspace import Workspace, WorkspaceError

__all__ = ["EditorServer", "make_server", "STATIC_FILES"]

STATIC_FILES = {"editor.js": "text/javascript; charset=utf-8",
                "app.css": "text/css; charset=utf-8",
                "index.html": "text/html; charset=utf-8"}
ALLOWED_METHODS = ("GET", "HEAD", "POST")
POST_ROUTES = ("/api/check", "/api/save", "/api/hover", "/api/complete")
# What a client that went away looks like from here: not worth a traceback.
DISCONNECTS = (ConnectionError, TimeoutError, socket.timeout)
_TOKEN = re.compile(r"(token=)[^&\s]+")
NO_TOKEN_PAGE = b"""<!doctype html><meta charset="utf-8"><title>mgdsl serve</title>
<p>This editor needs its access token. Open the address that <code>mgdsl serve</code>
printed when it started: it ends in <code>?token=...</code>.</p>
"""


class BadRequest(Exception):
    """A request the server refuses; `status` is the 4xx answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class EditorServer(ThreadingHTTPServer):
    """A threading HTTP server with its workspace, access token, checker and limits."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # connections the kernel queues before we accept them

    def __init__(self, address: tuple[str, int], workspace: Workspace,
                 first: str | None = None, *, quiet: bool = True, token: str | None = None,
                 render_limit: float = DEFAULT_RENDER_LIMIT,
                 check_limit: float = DEFAULT_CHECK_LIMIT, body_timeout: float = 10.0,
                 dot: str | None = None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, EditorHandler)
        self.workspace = workspace
        self.first = first
        self.quiet = quiet
        self.max_body = LIMITS.max_file_chars * 4 + 4096
        self.body_timeout = body_timeout
        self.access = Access(str(self.server_address[0]), self.server_address[1], token)
        self.checker = Checker(workspace, render_limit=render_limit, check_limit=check_limit,
                               dot=dot)
        self.assistant = Assistant(workspace)

    @property
    def url(self) -> str:
        """The address to open in a browser (without the token)."""
        host, port = self.server_address[:2]
        if host in ("0.0.0.0", "::"):
            host = socket.gethostname()
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"

    @property
    def token_url(self) -> str:
        """The address with the access token, as printed at start."""
        return f"{self.url}?token={self.access.token}"

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001 - the base's
        """A client that went away is not an error; anything else is one line, no traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, DISCONNECTS):
            if not self.quiet:
                print(f"mgdsl serve: {client_address[0]} went away ({type(exc).__name__})",
                      file=sys.stderr)
            return
        print(f"mgdsl serve: error while serving {client_address[0]}: {exc!r}", file=sys.stderr)


class EditorHandler(BaseHTTPRequestHandler):
    """One request: checked against the rules above, answered, never fatal to the server."""

    server: EditorServer
    server_version = "mgdsl-serve"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a connection may stay silent (an idle keep-alive included)

    # ------------------------------------------------------------------ dispatch

    def parse_request(self) -> bool:  # noqa: D401 - BaseHTTPRequestHandler's hook
        if not super().parse_request():
            return False
        if self.command not in ALLOWED_METHODS:
            self._send_json(HTTPStatus.METHOD_NOT_ALLOWED,
                            {"error": f"method {self.command} is not allowed"},
                            extra={"Allow": ", ".join(ALLOWED_METHODS)})
            return False
        return True

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch(self._get)

    def do_HEAD(self) -> None:  # noqa: N802
        self._dispatch(self._get, head=True)

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch(self._post)

    def _dispatch(self, route, head: bool = False) -> None:
        extra: dict[str, str] = {}
        self._consumed = False
        try:
            self.server.access.check_host(self.headers.get("Host"), self.headers.get("Origin"))
            status, body, ctype, extra = route()
        except (BadRequest, WorkspaceError, Refused) as exc:
            status, body, ctype = exc.status, _json({"error": exc.message}), "application/json"
            if self.command == "POST" and not self._consumed:
                self.close_connection = True  # an unread body must not be taken as a request
            if exc.status == HTTPStatus.UNAUTHORIZED and not self.path.startswith("/api/"):
                body, ctype = NO_TOKEN_PAGE, "text/html; charset=utf-8"
        except DISCONNECTS:
            self.close_connection = True
            return
        except Exception as exc:  # noqa: BLE001 - a bad request must never stop the server
            print(f"mgdsl serve: internal error on {self.command} {_redact(self.path)}: "
                  f"{exc!r}", file=sys.stderr)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, _json({"error": "internal error"})
            ctype = "application/json"
        self._send(status, body, ctype, head=head, extra=extra)

    # ------------------------------------------------------------------ rules

    def _authorize(self, query: str = "") -> str:
        access = self.server.access
        given = access.given(self.headers.get("Cookie"), self.headers.get("Authorization"),
                             query)
        access.check_token(given)
        return given

    def _json_body(self) -> dict[str, Any]:
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise BadRequest(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send application/json")
        if self.headers.get("Transfer-Encoding"):
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "chunked bodies are not accepted")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise BadRequest(HTTPStatus.LENGTH_REQUIRED, "Content-Length is required")
        try:
            length = int(length_text)
        except ValueError:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "bad Content-Length") from None
        if length < 0:
            raise BadRequest(HTTPStatus.BAD_REQUEST, "bad Content-Length")
        if length > self.server.max_body:
            self.close_connection = True  # the unread body must not be taken as a request
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"the body is larger than {self.server.max_body:,} bytes")
        raw = self._read_body(length)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return data

    def _read_body(self, length: int) -> bytes:
        """`length` bytes within `body_timeout` seconds in all (a trickle of bytes does not
        extend it): else 408; a body that ends early is 400."""
        deadline = time.monotonic() + self.server.body_timeout
        chunks, got = [], 0
        try:
            while got < length:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                self.connection.settimeout(left)
                chunk = self.rfile.read1(min(length - got, 1 << 16))
                if not chunk:
                    self.close_connection = True
                    raise BadRequest(HTTPStatus.BAD_REQUEST, "the body ended early")
                chunks.append(chunk)
                got += len(chunk)
            self._consumed = True
        except TimeoutError:
            self.close_connection = True
            raise BadRequest(HTTPStatus.REQUEST_TIMEOUT,
                             f"the body did not arrive within {self.server.body_timeout:g} s "
                             f"({got:,} of {length:,} bytes)") from None
        finally:
            self.connection.settimeout(self.timeout)
        return b"".join(chunks)

    @staticmethod
    def _field(data: dict[str, Any], name: str, *, optional: bool = False) -> Any:
        value = data.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"`{name}` must be a string")
        return value

    @staticmethod
    def _count(data: dict[str, Any], name: str) -> int:
        value = data.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 10**7:
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"`{name}` must be a count")
        return value

    # ------------------------------------------------------------------ routes

    def _get(self) -> tuple[int, bytes, str, dict[str, str]]:
        url = urlsplit(self.path)
        if url.path.startswith("/static/"):
            name = url.path[len("/static/"):]
            if name not in STATIC_FILES or name == "index.html":
                raise BadRequest(HTTPStatus.NOT_FOUND, "no such static file")
            return HTTPStatus.OK, _static(name), STATIC_FILES[name], {}
        if url.path in ("/", "/index.html"):
            self._authorize(url.query)
            if "token=" in url.query:  # keep it in the cookie, out of the address bar
                return HTTPStatus.SEE_OTHER, b"", "text/plain", {
                    "Location": "/", "Set-Cookie": self.server.access.cookie()}
            return HTTPStatus.OK, _static("index.html"), STATIC_FILES["index.html"], {}
        if not url.path.startswith("/api/"):
            raise BadRequest(HTTPStatus.NOT_FOUND, "not found")
        self._authorize(url.query)
        ws = self.server.workspace
        if url.path == "/api/files":
            files = ws.files()
            first = self.server.first if self.server.first in files else (files[0] if files else None)
            return _ok({"root": ws.root.name, "files": files, "first": first})
        if url.path == "/api/file":
            query = parse_qs(url.query, max_num_fields=4)
            paths = query.get("path", [])
            if len(paths) != 1:
                raise BadRequest(HTTPStatus.BAD_REQUEST, "give one `path`")
            return _ok({"path": paths[0], "text": ws.read(paths[0])})
        if url.path == "/api/grammar":
            return _ok(_grammar())
        raise BadRequest(HTTPStatus.NOT_FOUND, "not found")

    def _post(self) -> tuple[int, bytes, str, dict[str, str]]:
        url = urlsplit(self.path)
        if url.path not in POST_ROUTES:
            raise BadRequest(HTTPStatus.NOT_FOUND, "not found")
        self._authorize()
        data = self._json_body()
        path, text = self._field(data, "path"), self._field(data, "text")
        ws = self.server.workspace
        if url.path == "/api/check":
            network = self._field(data, "network", optional=True)
            return _ok(self.server.checker.check(path, text, network))
        if url.path in ("/api/hover", "/api/complete"):
            line, character = self._count(data, "line"), self._count(data, "character")
            assistant = self.server.assistant
            ask = assistant.hover if url.path == "/api/hover" else assistant.complete
            return _ok(ask(path, text, line, character))
        if len(text) > LIMITS.max_file_chars:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"the text is longer than {LIMITS.max_file_chars:,} characters")
        ws.writable(path)
        checked = self.server.checker.check(path, text, draw=False, latest=False)
        errors = sum(1 for d in checked.get("diagnostics", []) if d["severity"] == "error")
        if errors and data.get("confirm_errors") is not True:
            return HTTPStatus.CONFLICT, _json({
                "error": f"the text has {errors} error{'s' * (errors != 1)}; "
                         "send confirm_errors to save it anyway", "errors": errors}), \
                "application/json", {}
        ws.save(path, text)
        return _ok({"path": path, "saved": len(text), "errors": errors})

    # ------------------------------------------------------------------ output

    def _send(self, status: int, body: bytes, ctype: str, *, head: bool = False,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
                         "style-src 'self' 'unsafe-inline'; "  # CodeMirror's injected styles
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _send_json(self, status: int, data: Any, extra: dict[str, str] | None = None) -> None:
        self.close_connection = True
        self._send(status, _json(data), "application/json", extra=extra)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        if not self.server.quiet:  # the request line may carry the token: never log it
            super().log_message(format, *(_redact(a) if isinstance(a, str) else a
                                          for a in args))


def _redact(text: str) -> str:
    """`text` with the value of any `token=` parameter replaced by `***`."""
    return _TOKEN.sub(r"\1***", text)


def _json(data: Any) -> bytes:
    return json.dumps(data).encode("utf-8")


def _ok(data: Any) -> tuple[int, bytes, str, dict[str, str]]:
    return HTTPStatus.OK, _json(data), "application/json", {}


_STATIC_CACHE: dict[str, bytes] = {}
_STATIC_LOCK = threading.Lock()


def _static(name: str) -> bytes:
    with _STATIC_LOCK:
        if name not in _STATIC_CACHE:
            _STATIC_CACHE[name] = resources.files("mgdsl.serve").joinpath("static", name).read_bytes()
        return _STATIC_CACHE[name]


_GRAMMAR: list[dict[str, Any]] = []


def _grammar() -> dict[str, Any]:
    with _STATIC_LOCK:
        if not _GRAMMAR:
            _GRAMMAR.append(token_table())
        return _GRAMMAR[0]


def make_server(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 8765,
                first: str | None = None, quiet: bool = True, **limits: Any) -> EditorServer:
    """An `EditorServer` bound to `host:port` (port 0 picks a free one); not yet serving.
    `limits` are `EditorServer`'s keyword options (token, render_limit, check_limit,
    body_timeout, dot)."""
    return EditorServer((host, port), workspace, first, quiet=quiet, **limits)
