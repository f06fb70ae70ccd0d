"""`mgdsl serve`'s access rules: the token (URL, cookie, header), Hosts through tunnels,
Origins, and serving other machines with `--host 0.0.0.0`."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from serve_helpers import request, running_server

from mgdsl.serve.access import is_loopback

NET = """\
use "std.mg"
network Tiny(c = 8) {
    input image: 1 x 16 x 16
    p = stems(image, [c, c / 2], levels = 2)
    output y = sigmoid(cb(p[0], 1))
}
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "tiny.mg").write_text(NET)
    return tmp_path


def test_every_api_call_needs_the_token(root: Path) -> None:
    with running_server(root) as server:
        token = server.access.token
        assert len(token) >= 32
        save = {"path": "tiny.mg", "text": "network X() {}"}
        for method, path, body in [("GET", "/api/files", None), ("GET", "/api/file?path=tiny.mg", None),
                                   ("GET", "/api/grammar", None), ("POST", "/api/save", save),
                                   ("POST", "/api/check", save), ("POST", "/api/hover", save),
                                   ("POST", "/api/complete", save)]:
            assert request(server, method, path, body, token=False)[0] == 401, path
            wrong = {"Authorization": "token " + "x" * len(token)}
            assert request(server, method, path, body, wrong, token=False)[0] == 403, path
            bad_cookie = {"Cookie": f"{server.access.cookie_name}=nope"}
            assert request(server, method, path, body, bad_cookie, token=False)[0] == 403, path
        # the page itself is refused without it, with a page that says what to open
        status, page = request(server, "GET", "/", token=False)
        assert status == 401 and b"?token=" in page
        # static files are the package's own and need none
        assert request(server, "GET", "/static/editor.js", token=False)[0] == 200
    assert (root / "tiny.mg").read_text() == NET


def test_the_printed_address_stores_the_token_in_a_cookie(root: Path) -> None:
    import http.client

    with running_server(root) as server:
        host, port = server.server_address[:2]
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", f"/?token={server.access.token}")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 303 and answer.getheader("Location") == "/"
        cookie = answer.getheader("Set-Cookie")
        assert cookie.startswith(f"{server.access.cookie_name}={server.access.token};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = {"Cookie": cookie.split(";")[0]}
        assert request(server, "GET", "/", headers=jar, token=False)[0] == 200
        assert request(server, "GET", "/api/files", headers=jar, token=False)[0] == 200
        assert request(server, "POST", "/api/check", {"path": "tiny.mg", "text": NET},
                       headers=jar, token=False)[0] == 200
        # a wrong token in the address is refused, not stored
        status, _ = request(server, "GET", "/?token=wrong", token=False)
        assert status == 403


@pytest.mark.parametrize("host, status", [
    ("localhost:9000", 200),         # ssh -L 9000:localhost:8765
    ("127.0.0.1:1", 200), ("[::1]:8888", 200), ("LOCALHOST:80", 200), ("localhost", 200),
    ("app.localhost:9000", 200), ("127.0.0.2:9000", 200),
    ("evil.example:9000", 421), ("10.0.0.5:8765", 421), ("", 421), ("localhost:x", 421),
    ("localhost:9000@evil.example", 421),
])
def test_any_port_of_a_loopback_name_is_accepted(root: Path, host: str, status: int) -> None:
    with running_server(root) as server:
        assert request(server, "GET", "/api/files", headers={"Host": host})[0] == status


def test_origins_must_be_the_page_itself(root: Path) -> None:
    body = {"path": "tiny.mg", "text": NET.replace("c = 8", "c = 4")}
    with running_server(root) as server:
        same = {"Host": "localhost:9000", "Origin": "http://localhost:9000"}
        assert request(server, "POST", "/api/save", body, same)[0] == 200
        for origin in ("http://evil.example", "http://localhost:9001", "http://127.0.0.1:9000"):
            cross = {"Host": "localhost:9000", "Origin": origin}
            assert request(server, "POST", "/api/save", {**body, "text": "x"}, cross)[0] == 403
    assert (root / "tiny.mg").read_text() == body["text"]


def test_serving_other_machines_still_needs_the_token(root: Path) -> None:
    with running_server(root, host="0.0.0.0") as server:
        assert not server.access.loopback_only
        other = {"Host": "gpu-box.example:8765"}
        assert request(server, "GET", "/api/files", headers=other)[0] == 200
        assert request(server, "GET", "/api/files", headers=other, token=False)[0] == 401
        assert request(server, "POST", "/api/save", {"path": "tiny.mg", "text": "x"},
                       headers=other, token=False)[0] == 401
        # and it is reachable on this machine's other addresses, not only on loopback
        try:
            address = socket.gethostbyname(socket.gethostname())
        except OSError:
            address = None
        if address and not is_loopback(address):
            import http.client

            conn = http.client.HTTPConnection(address, server.server_address[1], timeout=10)
            conn.request("GET", "/api/files",
                         headers={"Authorization": f"token {server.access.token}"})
            assert conn.getresponse().status == 200
    assert (root / "tiny.mg").read_text() == NET


def test_loopback_names() -> None:
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "::1", "[::1]", "127.9.9.9",
                                        "a.localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.1.2.3", "evil.example",
                                            "localhost.evil.example", ""))


def test_the_token_is_never_logged(root: Path, capfd) -> None:
    with running_server(root, quiet=False) as server:
        token = server.access.token
        assert request(server, "GET", f"/?token={token}", token=False)[0] == 303
        assert request(server, "GET", f"/api/files?token={token}", token=False)[0] == 200
    err = capfd.readouterr().err
    assert "GET /?token=*** " in err and token not in err


def _forward(target: tuple[str, int]):
    """A local TCP forwarder to `target` on a free port, as `ssh -L` makes one: returns the
    listening socket (close it to stop)."""
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def accept() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(target)
            threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


def test_the_editor_works_through_a_tunnel(root: Path) -> None:
    """Through a forwarded port the browser sends `Host: localhost:<tunnel port>`: the
    page, its cookie and the API all work."""
    import http.client

    with running_server(root) as server:
        tunnel = _forward(server.server_address[:2])
        port = tunnel.getsockname()[1]
        try:
            conn = http.client.HTTPConnection("localhost", port, timeout=10)
            conn.request("GET", f"/?token={server.access.token}")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 303
            cookie = answer.getheader("Set-Cookie").split(";")[0]
            conn.request("GET", "/", headers={"Cookie": cookie})
            page = conn.getresponse()
            assert page.status == 200 and b"editor.js" in page.read()
            conn.request("POST", "/api/check", body='{"path": "tiny.mg", "text": "network N() {}"}',
                         headers={"Cookie": cookie, "Content-Type": "application/json",
                                  "Origin": f"http://localhost:{port}"})
            check = conn.getresponse()
            assert check.status == 200 and b"diagnostics" in check.read()
            conn.close()
        finally:
            tunnel.close()
