"""Who may use a running `mgdsl serve`: the access token and the Host and Origin rules.

As Jupyter does, the server makes a random token at start and prints the page's address
with it (`http://127.0.0.1:8765/?token=...`). Opening that address stores the token in a
cookie (HttpOnly, SameSite=Strict, named after the port so two servers on one machine
keep theirs apart); every API call must carry it, in the cookie or in an
`Authorization: token ...` header, else it is refused (401 without a token, 403 with a
wrong one). So another user of a shared machine cannot read or overwrite files.

Host: on a loopback address any port of a loopback name is accepted (`localhost:9000`
through `ssh -L 9000:localhost:8765`); a server bound to another address (`--host
0.0.0.0`) accepts any Host, since the token is what guards it. A request with an Origin
must come from the page itself (its Origin names the same host as its Host header), so
a web page elsewhere cannot drive the editor even in a browser that holds the cookie.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qs, urlsplit

__all__ = ["Access", "Refused", "LOOPBACK_NAMES", "is_loopback"]

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


class Refused(Exception):
    """A request the access rules refuse; `status` is the 4xx answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address, IPv6 with or without brackets) is this
    machine only."""
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _hostname(netloc: str) -> str | None:
    """The host part of a Host header or URL netloc (None when malformed)."""
    try:
        parsed = urlsplit(f"//{netloc}")
        parsed.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return parsed.hostname


class Access:
    """The token of one server and its rules for Host, Origin and credentials."""

    def __init__(self, bound: str, port: int, token: str | None = None) -> None:
        self.token = token or secrets.token_urlsafe(24)
        self.loopback_only = is_loopback(bound)
        self.cookie_name = f"mgdsl-token-{port}"

    def check_host(self, host_header: str | None, origin: str | None) -> None:
        """Refuse (421) a Host that cannot name this server, and (403) a cross-site
        Origin."""
        host = host_header or ""
        name = _hostname(host) if host else None
        if name is None or (self.loopback_only and not is_loopback(name)):
            raise Refused(HTTPStatus.MISDIRECTED_REQUEST,
                          "the Host header does not name this server")
        if origin is not None and origin != "null" and urlsplit(origin).netloc.lower() != host.lower():
            raise Refused(HTTPStatus.FORBIDDEN, "cross-site requests are refused")

    def given(self, cookie_header: str | None, authorization: str | None,
              query: str = "") -> str | None:
        """The token a request carries: `?token=` (the printed address), an
        `Authorization: token T` header, or the cookie."""
        tokens = parse_qs(query, max_num_fields=8).get("token")
        if tokens:
            return tokens[0]
        if authorization and authorization.lower().startswith("token "):
            return authorization[6:].strip()
        if cookie_header:
            try:
                jar = SimpleCookie(cookie_header)
            except CookieError:
                return None
            if self.cookie_name in jar:
                return jar[self.cookie_name].value
        return None

    def check_token(self, given: str | None) -> None:
        """Refuse a request without the token (401) or with a wrong one (403)."""
        if not given:
            raise Refused(HTTPStatus.UNAUTHORIZED, "this server needs its access token: open "
                          "the address `mgdsl serve` printed (it ends in ?token=...)")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            raise Refused(HTTPStatus.FORBIDDEN, "wrong access token")

    def cookie(self) -> str:
        """The Set-Cookie value that keeps the token for the page's later calls."""
        return (f"{self.cookie_name}={self.token}; Path=/; HttpOnly; SameSite=Strict; "
                "Max-Age=2592000")
