"""Shared by the `mgdsl serve` tests: a server on a free loopback port in a thread."""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from mgdsl.serve.server import EditorServer, make_server
from mgdsl.serve.workspace import Workspace

# a small two-grid network that the server tests edit, check and save
NET = """\
use "std.mg"
network Tiny(c = 8) {
    input image: 1 x 16 x 16
    p = stems(image, [c, c / 2], levels = 2)
    p = mgcbr(p, [c, c])
    output y = sigmoid(cb(p[0], 1))
}
"""


@contextlib.contextmanager
def running_server(root: Path, first: str | None = None, **options) -> Iterator[EditorServer]:
    """Serve `root` on 127.0.0.1 (a free port) for the duration of the block; `options`
    go to `make_server` (limits, host, token)."""
    server = make_server(Workspace(root), port=0, first=first, **options)
    # a short poll: `shutdown` waits for the loop to notice, 0.5 s by default per server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def request(server: EditorServer, method: str, path: str, body: bytes | str | dict | None = None,
            headers: dict[str, str] | None = None, *, token: bool = True,
            timeout: float = 30) -> tuple[int, dict | bytes]:
    """One request on a fresh connection, with the server's access token unless `token`
    is false; JSON answers are decoded."""
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = dict(headers or {})
    if token:
        headers.setdefault("Authorization", f"token {server.access.token}")
    if isinstance(body, dict):
        body = json.dumps(body)
        headers.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, json.loads(data)
    return response.status, data


def run_clients(client: Callable[[int], None], clients: int, timeout: float) -> None:
    """Run `client(c)` for c in 0..clients-1, each in its own thread, and wait for all of
    them (at most `timeout` seconds each); every thread must have finished."""
    threads = [threading.Thread(target=client, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads)
