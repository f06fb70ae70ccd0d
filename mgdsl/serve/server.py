"""The HTTP side of `mgdsl serve`: a few JSON endpoints and the page's static files.

Endpoints (all answers are JSON except the page and its static files):

- ``GET /`` — the editor page; ``GET /static/NAME`` — its script and style sheet;
- ``GET /api/files`` — the `.mg` files of the workspace, and the one to open first;
- ``GET /api/file?path=P`` — the text of a file;
- ``POST /api/check`` ``{"path": P, "text": T, "network": N?}`` — diagnostics, diagram
  and stats of unsaved text (`mgdsl.serve.analysis`);
- ``POST /api/save`` ``{"path": P, "text": T}`` — write the file atomically.

Request rules, each answered with a 4xx and the server serving on: only GET, HEAD and
POST (405); POST bodies must be JSON (415), with a Content-Length (411) of at most
`max_body` bytes (413), parse as an object of the right fields (400); paths follow
`mgdsl.serve.workspace` (400/403/404); the Host header must name this server (421) and a
cross-site Origin is refused (403), so that a web page elsewhere cannot drive the editor.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mgdsl.limits import LIMITS
from mgdsl.serve.analysis import analyse
from mgdsl.serve.workspace import Workspace, WorkspaceError

__all__ = ["EditorServer", "make_server", "STATIC_FILES"]

STATIC_FILES = {"app.js": "text/javascript; charset=utf-8",
                "app.css": "text/css; charset=utf-8",
                "index.html": "text/html; charset=utf-8"}
ALLOWED_METHODS = ("GET", "HEAD", "POST")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]", "::1")


class BadRequest(Exception):
    """A request the server refuses; `status` is the 4xx answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class EditorServer(ThreadingHTTPServer):
    """A threading HTTP server that knows its workspace and the file to open first."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], workspace: Workspace,
                 first: str | None = None, *, quiet: bool = True) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, EditorHandler)
        self.workspace = workspace
        self.first = first
        self.quiet = quiet
        self.max_body = LIMITS.max_file_chars * 4 + 4096

    @property
    def url(self) -> str:
        """The address to open in a browser."""
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


class EditorHandler(BaseHTTPRequestHandler):
    """One request: checked against the rules above, answered, never fatal to the server."""

    server: EditorServer
    server_version = "mgdsl-serve"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request

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
        try:
            self._check_origin()
            status, body, ctype = route()
        except (BadRequest, WorkspaceError) as exc:
            status, body, ctype = exc.status, _json({"error": exc.message}), "application/json"
        except Exception as exc:  # noqa: BLE001 - a bad request must never stop the server
            print(f"mgdsl serve: internal error on {self.command} {self.path}: {exc!r}",
                  file=sys.stderr)
            status, body = HTTPStatus.INTERNAL_SERVER_ERROR, _json({"error": "internal error"})
            ctype = "application/json"
        self._send(status, body, ctype, head=head)

    # ------------------------------------------------------------------ rules

    def _check_origin(self) -> None:
        host = self.headers.get("Host", "")
        names = {n for n in LOOPBACK_NAMES}
        bound = str(self.server.server_address[0])
        names.add(bound if ":" not in bound else f"[{bound}]")
        port = self.server.server_address[1]
        allowed = {f"{n}:{port}" for n in names}
        if host not in allowed:
            raise BadRequest(HTTPStatus.MISDIRECTED_REQUEST,
                             "the Host header does not name this server")
        origin = self.headers.get("Origin")
        if origin is not None and origin != "null" and urlsplit(origin).netloc not in allowed:
            raise BadRequest(HTTPStatus.FORBIDDEN, "cross-site requests are refused")

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
        raw = self.rfile.read(length)
        if len(raw) != length:
            self.close_connection = True
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the body ended early")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadRequest(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return data

    @staticmethod
    def _field(data: dict[str, Any], name: str, *, optional: bool = False) -> Any:
        value = data.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise BadRequest(HTTPStatus.BAD_REQUEST, f"`{name}` must be a string")
        return value

    # ------------------------------------------------------------------ routes

    def _get(self) -> tuple[int, bytes, str]:
        url = urlsplit(self.path)
        if url.path in ("/", "/index.html"):
            return HTTPStatus.OK, _static("index.html"), STATIC_FILES["index.html"]
        if url.path.startswith("/static/"):
            name = url.path[len("/static/"):]
            if name not in STATIC_FILES:
                raise BadRequest(HTTPStatus.NOT_FOUND, "no such static file")
            return HTTPStatus.OK, _static(name), STATIC_FILES[name]
        ws = self.server.workspace
        if url.path == "/api/files":
            files = ws.files()
            first = self.server.first if self.server.first in files else (files[0] if files else None)
            return HTTPStatus.OK, _json({"root": ws.root.name, "files": files, "first": first}), \
                "application/json"
        if url.path == "/api/file":
            query = parse_qs(url.query, max_num_fields=4)
            paths = query.get("path", [])
            if len(paths) != 1:
                raise BadRequest(HTTPStatus.BAD_REQUEST, "give one `path`")
            return HTTPStatus.OK, _json({"path": paths[0], "text": ws.read(paths[0])}), \
                "application/json"
        raise BadRequest(HTTPStatus.NOT_FOUND, "not found")

    def _post(self) -> tuple[int, bytes, str]:
        url = urlsplit(self.path)
        if url.path not in ("/api/check", "/api/save"):
            raise BadRequest(HTTPStatus.NOT_FOUND, "not found")
        data = self._json_body()
        path, text = self._field(data, "path"), self._field(data, "text")
        ws = self.server.workspace
        if url.path == "/api/check":
            network = self._field(data, "network", optional=True)
            return HTTPStatus.OK, _json(analyse(ws, path, text, network)), "application/json"
        if len(text) > LIMITS.max_file_chars:
            raise BadRequest(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                             f"the text is longer than {LIMITS.max_file_chars:,} characters")
        ws.save(path, text)
        return HTTPStatus.OK, _json({"path": path, "saved": len(text)}), "application/json"

    # ------------------------------------------------------------------ output

    def _send(self, status: int, body: bytes, ctype: str, *, head: bool = False,
              extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
                         "frame-ancestors 'none'; base-uri 'none'")
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
        if not self.server.quiet:
            super().log_message(format, *args)


def _json(data: Any) -> bytes:
    return json.dumps(data).encode("utf-8")


_STATIC_CACHE: dict[str, bytes] = {}
_STATIC_LOCK = threading.Lock()


def _static(name: str) -> bytes:
    with _STATIC_LOCK:
        if name not in _STATIC_CACHE:
            _STATIC_CACHE[name] = resources.files("mgdsl.serve").joinpath("static", name).read_bytes()
        return _STATIC_CACHE[name]


def make_server(workspace: Workspace, *, host: str = "127.0.0.1", port: int = 8765,
                first: str | None = None, quiet: bool = True) -> EditorServer:
    """An `EditorServer` bound to `host:port` (port 0 picks a free one); not yet serving."""
    return EditorServer((host, port), workspace, first, quiet=quiet)
