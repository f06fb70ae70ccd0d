"""`mgdsl serve` over HTTP: what it serves, what it refuses, and that it keeps serving.

The browser itself is tested in test_serve_browser.py.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serve_helpers import NET, request, run_clients, running_server

from mgdsl.cli.main import main


@pytest.fixture
def root(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "sub").mkdir(parents=True)
    (ws / "tiny.mg").write_text(NET)
    (ws / "sub" / "other.mg").write_text(NET.replace("Tiny", "Other"))
    (ws / "notes.txt").write_text("not a network")
    (tmp_path / "secret.mg").write_text(NET.replace("Tiny", "Secret"))
    (ws / "leak.mg").symlink_to(tmp_path / "secret.mg")
    (ws / "alias.mg").symlink_to(ws / "tiny.mg")
    return ws


def test_page_and_static_files(root: Path) -> None:
    with running_server(root) as server:
        status, page = request(server, "GET", "/")
        assert status == 200 and b'<script src="/static/editor.js">' in page
        for name in ("editor.js", "app.css"):
            assert request(server, "GET", f"/static/{name}", token=False)[0] == 200
        assert request(server, "GET", "/static/../server.py")[0] == 404
        assert request(server, "GET", "/static/nope.js")[0] == 404
        assert request(server, "GET", "/nope")[0] == 404


def test_lists_only_mg_files_inside_the_root(root: Path) -> None:
    with running_server(root, first="tiny.mg") as server:
        status, listing = request(server, "GET", "/api/files")
    assert status == 200
    assert listing["files"] == ["alias.mg", "sub/other.mg", "tiny.mg"]
    assert listing["first"] == "tiny.mg"


@pytest.mark.parametrize("path, status", [
    ("tiny.mg", 200), ("sub/other.mg", 200), ("alias.mg", 200),
    ("../secret.mg", 403), ("sub/../../secret.mg", 403), ("/etc/passwd.mg", 403),
    ("leak.mg", 403), ("notes.txt", 403), ("missing.mg", 404), ("a\\b.mg", 400),
    ("", 400), ("sub//other.mg", 403),
])
def test_reading_follows_the_path_rules(root: Path, path: str, status: int) -> None:
    from urllib.parse import quote

    with running_server(root) as server:
        got, body = request(server, "GET", f"/api/file?path={quote(path)}")
    assert got == status, body
    if status == 200:
        assert body["text"].startswith('use "std.mg"')
    else:
        assert "Secret" not in str(body)


def test_special_files_are_refused_at_once(root: Path) -> None:
    os.mkfifo(root / "fifo.mg")
    (root / "folder.mg").mkdir()
    with running_server(root) as server:
        started = time.monotonic()
        assert request(server, "GET", "/api/file?path=fifo.mg")[0] == 403
        assert request(server, "GET", "/api/file?path=folder.mg")[0] == 403
        assert time.monotonic() - started < 10


def test_check_reports_diagram_stats_and_marked_errors(root: Path) -> None:
    with running_server(root) as server:
        status, good = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": NET})
        assert status == 200 and good["diagnostics"] == []
        assert good["svg"].lstrip().startswith(("<?xml", "<svg"))
        assert good["stats"]["network"] == "Tiny" and good["stats"]["total_params"] > 0
        assert good["stats"]["outputs"][0]["shape"] == [1, 16, 16]

        bad = NET.replace("sigmoid(", "sigmoid_(")
        status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": bad})
        assert status == 200 and result["svg"] is None
        [diag] = result["diagnostics"]
        assert diag["code"] == "E201" and diag["here"] and diag["hint"]
        assert diag["span"]["line"] == 6 and diag["span"]["col"] == 16


def test_use_cannot_leave_the_root(root: Path) -> None:
    text = 'use "../secret.mg"\n' + NET
    with running_server(root) as server:
        status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": text})
        assert status == 200
        assert [d["code"] for d in result["diagnostics"]] == ["E930"]
        linked = 'use "leak.mg"\n' + NET
        status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": linked})
        assert [d["code"] for d in result["diagnostics"]] == ["E930"]
        # inside the root and the standard library are fine
        inside = 'use "sub/other.mg"\n' + NET
        status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": inside})
        assert result["diagnostics"] == []


def test_save_writes_atomically_inside_the_root_only(root: Path, tmp_path: Path) -> None:
    with running_server(root) as server:
        new = NET.replace("c = 8", "c = 4")
        assert request(server, "POST", "/api/save", {"path": "tiny.mg", "text": new})[0] == 200
        assert (root / "tiny.mg").read_text() == new
        assert request(server, "POST", "/api/save", {"path": "sub/new.mg", "text": new})[0] == 200
        assert (root / "sub" / "new.mg").read_text() == new
        for path, status in [("../secret.mg", 403), ("leak.mg", 403), ("alias.mg", 403),
                             ("notes.txt", 403), ("nofolder/x.mg", 404), ("/tmp/x.mg", 403)]:
            assert request(server, "POST", "/api/save", {"path": path, "text": "x"})[0] == status
        assert "Secret" in (tmp_path / "secret.mg").read_text()
        assert not list(root.rglob(".*.tmp"))


@pytest.mark.parametrize("method, path, body, headers, status", [
    ("PUT", "/api/save", b"{}", {"Content-Type": "application/json"}, 405),
    ("DELETE", "/api/file?path=tiny.mg", None, {}, 405),
    ("OPTIONS", "/", None, {}, 405),
    ("FOO", "/", None, {}, 405),
    ("POST", "/api/check", b"not json", {"Content-Type": "application/json"}, 400),
    ("POST", "/api/check", b"[1, 2]", {"Content-Type": "application/json"}, 400),
    ("POST", "/api/check", b'{"path": 3, "text": ""}', {"Content-Type": "application/json"}, 400),
    ("POST", "/api/check", b'{"path": "tiny.mg"}', {"Content-Type": "application/json"}, 400),
    ("POST", "/api/check", b'{"path": "tiny.mg", "text": ""}', {"Content-Type": "text/plain"}, 415),
    ("POST", "/api/check", b"\xff\xfe", {"Content-Type": "application/json"}, 400),
    ("POST", "/api/check", b"[" * 100_000, {"Content-Type": "application/json"}, 400),
    ("POST", "/api/nope", b"{}", {"Content-Type": "application/json"}, 404),
    ("GET", "/api/files", None, {"Host": "evil.example:80"}, 421),
    ("POST", "/api/save", b'{"path": "tiny.mg", "text": "x"}',
     {"Content-Type": "application/json", "Origin": "http://evil.example"}, 403),
])
def test_hostile_requests_get_4xx_and_the_server_keeps_serving(
        root: Path, method: str, path: str, body: bytes | None, headers: dict, status: int) -> None:
    with running_server(root) as server:
        assert request(server, method, path, body, headers)[0] == status
        assert request(server, "GET", "/api/files")[0] == 200
    assert (root / "tiny.mg").read_text() == NET


def _raw(server, data: bytes, token: bool = True) -> bytes:
    """Send `data` as it is (with the server's token header after the request line unless
    `token` is false) and read everything until the server closes."""
    if token and b"\r\n" in data:
        line, rest = data.split(b"\r\n", 1)
        data = line + f"\r\nAuthorization: token {server.access.token}\r\n".encode() + rest
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_malformed_and_oversized_requests(root: Path) -> None:
    with running_server(root) as server:
        assert b"400" in _raw(server, b"GARBAGE\r\n\r\n")  # an HTTP/0.9-style answer
        too_big = server.max_body + 1
        answer = _raw(server, (f"POST /api/save HTTP/1.1\r\nHost: 127.0.0.1:"
                               f"{server.server_address[1]}\r\nContent-Type: application/json\r\n"
                               f"Content-Length: {too_big}\r\n\r\n").encode())
        assert answer.startswith(b"HTTP/1.1 413")
        no_length = _raw(server, (f"POST /api/save HTTP/1.1\r\nHost: 127.0.0.1:"
                                  f"{server.server_address[1]}\r\n"
                                  "Content-Type: application/json\r\n\r\n").encode())
        assert no_length.startswith(b"HTTP/1.1 411")
        long_header = _raw(server, b"GET / HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n")
        assert long_header.split(b" ")[1].startswith(b"4")
        text = "x" * 200_001
        assert request(server, "POST", "/api/save", {"path": "tiny.mg", "text": text})[0] == 413
        assert request(server, "GET", "/api/files")[0] == 200
    assert (root / "tiny.mg").read_text() == NET


def test_load_many_edits_from_several_clients(root: Path) -> None:
    """4 clients x 20 rounds of check-then-save, each on its own file, at the same time:
    every answer is 200 and every file holds its client's last save."""
    clients, rounds = 4, 20
    for c in range(clients):
        (root / f"c{c}.mg").write_text(NET)
    failures: list[str] = []

    with running_server(root) as server:
        def client(c: int) -> None:
            for r in range(rounds):
                text = NET.replace("c = 8", f"c = {2 * (r % 4 + 1)}") + f"# client {c} round {r}\n"
                for endpoint in ("/api/check", "/api/save"):
                    status, body = request(server, "POST", endpoint,
                                           {"path": f"c{c}.mg", "text": text})
                    if status != 200:
                        failures.append(f"{c}/{r} {endpoint}: {status} {body}")

        run_clients(client, clients, 120)
    assert failures == []
    for c in range(clients):
        assert (root / f"c{c}.mg").read_text().endswith(f"# client {c} round {rounds - 1}\n")


def test_cli_binds_loopback_by_default_and_prints_the_token(root: Path) -> None:
    import http.client

    process = subprocess.Popen([sys.executable, "-m", "mgdsl", "serve", str(root), "--port", "0"],
                               stderr=subprocess.PIPE, text=True)
    try:
        line = process.stderr.readline()
        m = re.match(r"mgdsl serve: http://127\.0\.0\.1:(\d+)/\?token=([\w-]{32,}) ", line)
        assert m, line
        port, token = int(m.group(1)), m.group(2)
        for headers, status in [({}, 401), ({"Authorization": f"token {token}"}, 200)]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/api/files", headers=headers)
            assert conn.getresponse().status == status
            conn.close()
    finally:
        process.terminate()
        process.wait(10)


def test_cli_serves_other_machines_with_a_note(root: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "mgdsl", "serve", str(root), "--port", "0",
                                "--host", "0.0.0.0"], stderr=subprocess.PIPE, text=True)
    try:
        note, line = process.stderr.readline(), process.stderr.readline()
        assert note.startswith("note: serving on 0.0.0.0") and "token" in note
        assert "?token=" in line and "127.0.0.1" not in line
    finally:
        process.terminate()
        process.wait(10)


def test_cli_refuses_a_missing_target(tmp_path: Path, capsys) -> None:
    assert main(["serve", str(tmp_path / "nosuch.mg")]) == 1
    assert "E931" in capsys.readouterr().err


def test_saving_a_text_with_errors_needs_confirmation(root: Path) -> None:
    bad = NET.replace("sigmoid(", "sigmoid_(")
    with running_server(root) as server:
        status, body = request(server, "POST", "/api/save", {"path": "tiny.mg", "text": bad})
        assert status == 409 and body["errors"] == 1
        assert (root / "tiny.mg").read_text() == NET
        status, body = request(server, "POST", "/api/save",
                               {"path": "tiny.mg", "text": bad, "confirm_errors": True})
        assert status == 200 and body["errors"] == 1
        assert (root / "tiny.mg").read_text() == bad
        status, body = request(server, "POST", "/api/save", {"path": "tiny.mg", "text": NET})
        assert status == 200 and body["errors"] == 0


def test_check_names_the_source_line_of_every_box(root: Path) -> None:
    with running_server(root) as server:
        _, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": NET})
    boxes = result["boxes"]
    titles = set(re.findall(r"<title>(n\d+)</title>", result["svg"]))
    assert titles and titles <= set(boxes)  # every drawn box is described
    lines = {info["line"] for info in boxes.values()}
    assert lines == {3, 4, 5, 6}  # input, stems, mgcbr, output lines of NET
    conv = next(b for b in boxes.values() if b["op"] == "conv" and b["line"] == 5)
    assert conv["params"] > 0 and conv["args"]["k"] == "3" and len(conv["shape"]) == 3


def test_hover_shows_shapes_per_grid_and_completion_offers_names(root: Path) -> None:
    line = NET.split("\n").index("    p = mgcbr(p, [c, c])")
    with running_server(root) as server:
        status, hover = request(server, "POST", "/api/hover",
                                {"path": "tiny.mg", "text": NET, "line": line, "character": 4})
        assert status == 200
        assert "pyramid of 2 grids" in hover["markdown"] and "8 × 16 × 16" in hover["markdown"]
        assert hover["from"][0] == line
        status, found = request(server, "POST", "/api/complete",
                                {"path": "tiny.mg", "text": NET, "line": line, "character": 10})
        labels = {i["label"]: i for i in found["items"]}
        assert labels["mgcbr"]["type"] == "function" and labels["p"]["type"] == "variable"
        for bad in ({"path": "tiny.mg", "text": NET, "line": -1, "character": 0},
                    {"path": "tiny.mg", "text": NET, "line": 0},
                    {"path": "../x.mg", "text": NET, "line": 0, "character": 0}):
            assert request(server, "POST", "/api/hover", bad)[0] in (400, 403)
        # a far-away position is no error, just nothing to show
        status, hover = request(server, "POST", "/api/hover",
                                {"path": "tiny.mg", "text": NET, "line": 999, "character": 99})
        assert status == 200 and hover["markdown"] is None


def test_hover_and_completion_never_read_outside_the_root(root: Path) -> None:
    text = 'use "../secret.mg"\n' + NET
    with running_server(root) as server:
        for route in ("/api/hover", "/api/complete"):
            for line in range(len(text.split("\n"))):
                status, body = request(server, "POST", route,
                                       {"path": "tiny.mg", "text": text, "line": line, "character": 6})
                assert status == 200 and "Secret" not in str(body)


def test_grammar_is_the_pygments_lexers_token_table(root: Path) -> None:
    from mgdsl.syntax.highlight import MgLexer

    with running_server(root) as server:
        status, grammar = request(server, "GET", "/api/grammar")
    assert status == 200 and set(grammar["states"]) == set(MgLexer.tokens)
    regexes = {r["regex"] for rules in grammar["states"].values() for r in rules}
    for rules in MgLexer.tokens.values():
        for rule in rules:
            if isinstance(rule, tuple):
                assert rule[0] in regexes
    block = next(r for r in grammar["states"]["root"] if r["regex"].startswith("(block)"))
    assert block["tokens"] == ["Keyword.Declaration", "Text.Whitespace", "Name.Function"]
    shape = next(r for r in grammar["states"]["root"] if r["regex"].startswith("(input)"))
    assert shape["next"] == ["shape"]
