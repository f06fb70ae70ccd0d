"""`mgdsl serve` under load: many clients at once, time limits on checks and drawings,
the newest text of a file winning, slow or short bodies, clients that go away."""

from __future__ import annotations

import json
import socket
import stat
import threading
import time
from pathlib import Path

from paths import ROOT
from serve_helpers import NET, request, run_clients, running_server

from mgdsl.serve.analysis import ONE_AT_A_TIME


def _post_raw(server, body: bytes, length: int, *, wait: float = 15) -> tuple[bytes, float]:
    """Send a check whose Content-Length is `length` but whose body is `body`, keep the
    connection open, and return the answer and how long it took."""
    host, port = server.server_address[:2]
    head = (f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Authorization: token {server.access.token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=wait) as sock:
        sock.sendall(head + body)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def test_a_short_body_gets_408_at_the_body_time_limit(tmp_path: Path) -> None:
    (tmp_path / "tiny.mg").write_text(NET)
    with running_server(tmp_path, body_timeout=1.0) as server:
        answer, took = _post_raw(server, b'{"path": "tiny.mg"', 200)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"did not arrive within 1 s" in answer
        assert took < 5
        assert request(server, "GET", "/api/files")[0] == 200


def test_a_trickled_body_does_not_extend_the_limit(tmp_path: Path) -> None:
    (tmp_path / "tiny.mg").write_text(NET)
    with running_server(tmp_path, body_timeout=1.0) as server:
        host, port = server.server_address[:2]
        started = time.monotonic()
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall((f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          f"Authorization: token {server.access.token}\r\n"
                          "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode())
            answer = b""
            for _ in range(40):  # a byte every 0.1 s: each read is quick, the body is not
                try:
                    sock.sendall(b" ")
                except OSError:
                    break
                time.sleep(0.1)
                sock.settimeout(0.01)
                try:
                    answer += sock.recv(65536)
                except (TimeoutError, BlockingIOError):
                    pass
                if answer:
                    break
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert time.monotonic() - started < 3


def _fake_dot(folder: Path) -> tuple[Path, Path]:
    """A `dot` that never finishes, and the file where its child writes its pid."""
    pid_file = folder / "sleeper.pid"
    script = folder / "slow-dot"
    script.write_text(f"#!/bin/sh\nsleep 60 &\necho $! > {pid_file}\nwait\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script, pid_file


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith(("Z", "X"))
    except FileNotFoundError:
        return True


def test_a_slow_graphviz_is_killed_at_its_limit_with_a_located_message(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "tiny.mg").write_text(NET)
    dot, pid_file = _fake_dot(tmp_path)
    with running_server(ws, render_limit=1.0, dot=str(dot)) as server:
        started = time.monotonic()
        status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": NET})
        took = time.monotonic() - started
        assert status == 200 and 1.0 <= took < 4, took
        assert result["svg"] is None and result["stats"]["network"] == "Tiny"
        [diag] = result["diagnostics"]
        assert diag["code"] == "E980" and diag["here"]
        assert diag["span"]["line"] == 2  # the network's header
        assert "took longer than 1 s" in diag["message"] and "Tiny" in diag["message"]
        assert "--render-limit" in diag["hint"]
        pid = int(pid_file.read_text())
        deadline = time.monotonic() + 5
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _gone(pid), "Graphviz's process group was not killed"
        # meanwhile others were served
        assert request(server, "GET", "/api/files")[0] == 200


def test_the_newest_text_of_a_file_wins(tmp_path: Path) -> None:
    (tmp_path / "tiny.mg").write_text(NET)
    answers: dict[str, dict] = {}
    with running_server(tmp_path) as server:
        def check(name: str, text: str) -> None:
            answers[name] = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": text})[1]

        ONE_AT_A_TIME.acquire()
        try:
            older = threading.Thread(target=check, args=("older", NET))
            older.start()
            while server.checker._latest.get("tiny.mg") != 1:
                time.sleep(0.01)
            newer = threading.Thread(target=check, args=("newer", NET.replace("c = 8", "c = 4")))
            newer.start()
            while server.checker._latest.get("tiny.mg") != 2:
                time.sleep(0.01)
        finally:
            ONE_AT_A_TIME.release()
        older.join(30)
        newer.join(30)
    assert answers["older"] == {"path": "tiny.mg", "stale": True}
    assert answers["newer"]["stale"] is False and answers["newer"]["svg"]


def test_a_newer_text_stops_the_drawing_of_an_older_one(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "tiny.mg").write_text(NET)
    dot, pid_file = _fake_dot(tmp_path)
    answers: dict[str, tuple[float, dict]] = {}
    with running_server(ws, render_limit=3.0, dot=str(dot)) as server:
        def check(name: str, text: str) -> None:
            started = time.monotonic()
            body = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": text})[1]
            answers[name] = (time.monotonic() - started, body)

        older = threading.Thread(target=check, args=("older", NET))
        older.start()
        deadline = time.monotonic() + 10
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.02)  # the older text is being drawn
        time.sleep(0.1)
        first_dot = int(pid_file.read_text())
        pid_file.unlink()
        newer = threading.Thread(target=check, args=("newer", NET.replace("c = 8", "c = 4")))
        newer.start()
        older.join(10)
        newer.join(10)
    took, body = answers["older"]
    assert body == {"path": "tiny.mg", "stale": True}
    assert took < 2.5, took  # stopped when the newer text came, not at the 3 s limit
    assert _gone(first_dot)
    assert [d["code"] for d in answers["newer"][1]["diagnostics"]] == ["E980"]


def test_a_check_that_waits_too_long_is_answered(tmp_path: Path) -> None:
    (tmp_path / "tiny.mg").write_text(NET)
    with running_server(tmp_path, check_limit=0.5) as server:
        ONE_AT_A_TIME.acquire()
        try:
            status, result = request(server, "POST", "/api/check", {"path": "tiny.mg", "text": NET})
        finally:
            ONE_AT_A_TIME.release()
    assert status == 200
    assert [d["code"] for d in result["diagnostics"]] == ["E981"]


def test_fifty_concurrent_clients_are_all_answered(tmp_path: Path) -> None:
    """50 clients, each editing its own file, all at once (more than any listen backlog
    of old): every check is answered 200 with its own text's result."""
    clients, rounds = 50, 3
    for c in range(clients):
        (tmp_path / f"c{c}.mg").write_text(NET)
    failures: list[str] = []
    barrier = threading.Barrier(clients)
    with running_server(tmp_path) as server:
        def client(c: int) -> None:
            barrier.wait(30)
            for r in range(rounds):
                width = 2 * ((c + r) % 5 + 1)
                text = NET.replace("c = 8", f"c = {width}")
                status, body = request(server, "POST", "/api/check",
                                       {"path": f"c{c}.mg", "text": text}, timeout=120)
                if status != 200 or body.get("stale") or not body.get("svg") \
                        or body["stats"]["total_params"] <= 0 or body["diagnostics"]:
                    failures.append(f"{c}/{r}: {status} {str(body)[:200]}")

        run_clients(client, clients, 300)
    assert failures == []


def test_clients_that_go_away_leave_no_traceback(tmp_path: Path, capfd) -> None:
    (tmp_path / "tiny.mg").write_text(NET)
    body = json.dumps({"path": "tiny.mg", "text": NET}).encode()
    with running_server(tmp_path) as server:
        host, port = server.server_address[:2]
        for _ in range(5):
            sock = socket.create_connection((host, port), timeout=10)
            sock.sendall((f"POST /api/check HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                          f"Authorization: token {server.access.token}\r\n"
                          f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                          ).encode() + body)
            # close at once with a reset, before the answer is written
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
            half = socket.create_connection((host, port), timeout=10)
            half.sendall(b"GET /api/files HTTP/1.1\r\n")  # and one that stops mid-header
            half.close()
        time.sleep(0.5)
        assert request(server, "GET", "/api/files")[0] == 200
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err


def test_the_listen_backlog_is_real(tmp_path: Path) -> None:
    """200 connections opened before the server accepts any are all queued, then served."""
    from socketserver import TCPServer

    with running_server(tmp_path) as server:
        assert server.request_queue_size >= 128 > TCPServer.request_queue_size


def test_the_load_benchmark_runs(capsys) -> None:
    """benchmarks/serve.py, tiny: its numbers add up and every check is answered."""
    import sys

    root = ROOT
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from benchmarks import serve

    assert serve.main(["--clients", "3", "--rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "| 6 | 6 | 3 | 3 |" in out, out


def test_a_large_diagram_reaches_a_slow_starting_graphviz_whole(tmp_path: Path) -> None:
    """A `dot` that starts reading late still gets all of a text larger than a pipe's
    buffer (a retried `communicate` stops writing its input; the text goes in by file)."""
    from mgdsl.serve.render import render_svg

    echo = tmp_path / "late-cat"
    echo.write_text("#!/bin/sh\nsleep 0.5\nexec cat\n")
    echo.chmod(echo.stat().st_mode | stat.S_IXUSR)
    text = "".join(f"n{i} [label={i}]\n" for i in range(40_000))  # ~600 kB
    started = time.monotonic()
    assert render_svg(text, limit=10, dot=str(echo)) == text
    assert time.monotonic() - started < 5
