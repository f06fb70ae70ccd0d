"""`mgdsl lsp` on the wire: every request answered, a broken stream closed quickly, unopened
files read from disk. Raw bytes over a pipe, as an editor (or a buggy one) sends them."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from paths import ROOT

NET = 'network N() {\n    input x: 1 x 8 x 8\n    output y = relu(x)\n}\n'


def frame(message: dict, length: int | None = None) -> bytes:
    body = json.dumps(message).encode()
    return f"Content-Length: {len(body) if length is None else length}\r\n\r\n".encode() + body


class RawServer:
    """`mgdsl lsp` as a child process, fed bytes and read back as parsed messages."""

    def __init__(self, cwd: Path) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.proc = subprocess.Popen([sys.executable, "-m", "mgdsl", "lsp"], cwd=cwd, env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.buffer = b""
        self.messages: list[dict] = []
        self.send(frame({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": None, "rootUri": cwd.as_uri(), "capabilities": {}}}))
        self.send(frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        assert self.answer(0, 60)["result"]["capabilities"]

    def send(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return False
        self.buffer += chunk
        while b"\r\n\r\n" in self.buffer:
            head, rest = self.buffer.split(b"\r\n\r\n", 1)
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            if len(rest) < length:
                break
            self.messages.append(json.loads(rest[:length]))
            self.buffer = rest[length:]
        return True

    def answer(self, msg_id, timeout: float = 30) -> dict:
        """The response to request `msg_id`."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in self.messages:
                if m.get("id") == msg_id and "method" not in m:
                    return m
            if not self._read(0.1):
                break
        raise AssertionError(f"no answer to {msg_id}; got {self.messages}")

    def exit_status(self, timeout: float) -> int | None:
        """The exit status once the process ended within `timeout` s (None if it lives)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end and self._read(0.05):
            if self.proc.poll() is not None:
                break
        try:
            return self.proc.wait(max(end - time.monotonic(), 0.01))
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> str:
        """Stop the process; its stderr."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        return self.proc.stderr.read().decode(errors="replace")


@pytest.fixture
def server(tmp_path):
    s = RawServer(tmp_path)
    yield s
    s.close()


def _hover(msg_id, uri: str, line: int = 0, character: int = 0) -> dict:
    return {"jsonrpc": "2.0", "id": msg_id, "method": "textDocument/hover",
            "params": {"textDocument": {"uri": uri}, "position": {"line": line,
                                                                  "character": character}}}


def _open(uri: str, text: str) -> dict:
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {
        "uri": uri, "languageId": "mg", "version": 1, "text": text}}}


def _still_serves(server: RawServer, tmp_path: Path, msg_id: int) -> None:
    uri = (tmp_path / "n.mg").as_uri()
    server.send(frame(_open(uri, NET)))
    server.send(frame(_hover(msg_id, uri, 2, 18)))
    assert "1 × 8 × 8" in server.answer(msg_id)["result"]["contents"]["value"]


@pytest.mark.parametrize("params,field", [
    ({"textDocument": {"uri": "file:///x.mg"}, "position": {"line": -1, "character": 0}},
     "Position.line should be in range"),
    ({"textDocument": {"uri": "file:///x.mg"}}, "required field missing @ $.params.position"),
    ({"textDocument": {"uri": "file:///x.mg"}, "position": {"line": "one", "character": 0}},
     "$.params.position"),
], ids=["negative-line", "no-position", "line-not-a-number"])
def test_invalid_params_get_an_invalid_params_error(server, tmp_path, params, field):
    server.send(frame({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",
                       "params": params}))
    error = server.answer(7, 10)["error"]
    assert error["code"] == -32602 and "textDocument/hover" in error["message"]
    assert field in error["message"]
    _still_serves(server, tmp_path, 8)


def test_bad_json_and_bad_messages_are_answered(server, tmp_path):
    body = b'{"jsonrpc": "2.0", "id": 3, "method": '  # cut short, but framed right
    server.send(f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    assert server.answer(None, 10)["error"]["code"] == -32700
    server.send(frame({"id": 4, "method": "textDocument/hover"}))  # no "jsonrpc"
    assert server.answer(4, 10)["error"]["code"] == -32600
    server.send(frame({"jsonrpc": "2.0", "id": 5, "method": "mgdsl/nonsense", "params": {}}))
    assert server.answer(5, 10)["error"]["code"] == -32601
    _still_serves(server, tmp_path, 6)


SHUTDOWN = {"jsonrpc": "2.0", "id": 9, "method": "shutdown"}
BROKEN = {
    "length-too-long": frame(SHUTDOWN, 1000),
    "length-too-short": frame(SHUTDOWN, 10),
    "no-content-length": b"Content-Type: application/vscode-jsonrpc\r\n\r\n" +
                         json.dumps(SHUTDOWN).encode(),
    "no-header-at-all": json.dumps(SHUTDOWN).encode(),
    "length-not-a-number": b"Content-Length: ten\r\n\r\n" + json.dumps(SHUTDOWN).encode(),
}


@pytest.mark.parametrize("data", BROKEN.values(), ids=BROKEN.keys())
def test_a_framing_error_closes_the_stream_within_two_seconds(server, data):
    sent = time.monotonic()
    server.send(data)
    status = server.exit_status(2.0)
    took = time.monotonic() - sent
    stderr = server.close()
    assert status == 1, f"the server still runs {took:.1f} s after a framing error"
    assert took < 2.0
    assert "bad message framing" in stderr and "Traceback" not in stderr
    logs = [m["params"]["message"] for m in server.messages
            if m.get("method") == "window/logMessage"]
    assert any("bad message framing" in m for m in logs)


def test_shutdown_and_exit_end_with_status_zero(server):
    server.send(frame(SHUTDOWN))
    assert server.answer(9)["result"] is None
    server.send(frame({"jsonrpc": "2.0", "method": "exit"}))
    assert server.exit_status(10) == 0


def test_unopened_files_are_read_from_disk(server, tmp_path):
    (tmp_path / "disk.mg").write_text(NET, encoding="utf-8")
    server.send(frame(_hover(1, (tmp_path / "disk.mg").as_uri(), 2, 18)))
    assert "1 × 8 × 8" in server.answer(1)["result"]["contents"]["value"]
    server.send(frame({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol",
                       "params": {"textDocument": {"uri": (tmp_path / "disk.mg").as_uri()}}}))
    assert [s["name"] for s in server.answer(2)["result"]] == ["N"]
    # not published: diagnostics are for what the editor shows
    assert not [m for m in server.messages if m.get("method") ==
                "textDocument/publishDiagnostics"]


METHODS = ["textDocument/hover", "textDocument/definition", "textDocument/completion",
           "textDocument/references", "textDocument/formatting", "textDocument/documentSymbol",
           "textDocument/prepareRename", "textDocument/codeAction"]


def _params(method: str, uri: str) -> dict:
    doc = {"textDocument": {"uri": uri}}
    position = {"line": 0, "character": 0}
    zero = {"start": position, "end": position}
    return {"textDocument/references": {**doc, "position": position,
                                        "context": {"includeDeclaration": True}},
            "textDocument/formatting": {**doc, "options": {"tabSize": 4, "insertSpaces": True}},
            "textDocument/documentSymbol": doc,
            "textDocument/codeAction": {**doc, "range": zero, "context": {"diagnostics": []}},
            }.get(method, {**doc, "position": position})


def test_a_missing_unopened_file_gets_a_clean_error(server, tmp_path):
    for n, method in enumerate(METHODS, start=10):
        server.send(frame({"jsonrpc": "2.0", "id": n, "method": method,
                           "params": _params(method, "file:///nowhere/x.mg")}))
        error = server.answer(n)["error"]
        assert error["code"] == -32803, method
        assert error["message"] == ("file:///nowhere/x.mg is not open and cannot be read: "
                                    "No such file or directory"), method
    _still_serves(server, tmp_path, 100)
    stderr = server.close()
    assert "Traceback" not in stderr and "FileNotFoundError" not in stderr
    logs = [m for m in server.messages if m.get("method") in ("window/logMessage",
                                                              "window/showMessage")]
    assert logs == []


def test_a_message_that_arrives_slowly_but_steadily_is_read(server, tmp_path):
    data = frame(_open((tmp_path / "slow.mg").as_uri(), NET + "#" * 3000 + "\n"))
    third = len(data) // 3
    for part in (data[:third], data[third:2 * third], data[2 * third:]):
        server.send(part)
        time.sleep(0.6)  # 1.2 s in all: more than a pause may last, but no pause does
    server.send(frame(_hover(5, (tmp_path / "slow.mg").as_uri(), 2, 18)))
    assert "1 × 8 × 8" in server.answer(5)["result"]["contents"]["value"]
    assert server.proc.poll() is None
