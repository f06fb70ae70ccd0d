"""The wire under the language server: strict message framing and an answer to every request.

pygls reads `Content-Length` framed JSON-RPC and dispatches it; two gaps are filled here.

* Framing. pygls's reader skips header lines it does not understand and waits for a body
  of the announced length, so a missing or wrong `Content-Length` leaves the server alive
  but deaf. `serve` reads the same base protocol strictly: headers are `Name: value`
  lines ending in a blank line, `Content-Length` is required, and once a message has
  started, its header must end and its body keep coming without a pause longer than
  `PART_TIMEOUT` seconds. Any breach is a `FramingError`: it is logged, the stream is
  closed and `mgdsl lsp` exits with status 1, so the editor restarts a server that
  understands it again (VS Code's client does).
* Invalid requests. A request whose params do not fit the method's type (`line: -1`)
  failed inside pygls's JSON decoding hook and got no response. `MgProtocol` answers it
  with JSON-RPC `InvalidParams` (-32602) naming the bad field; a body that is not JSON gets
  `ParseError` (-32700) and a message that is not JSON-RPC `InvalidRequest` (-32600).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

import cattrs
from lsprotocol import types as lsp
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
)
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage

__all__ = ["FramingError", "MgProtocol", "RequestFailed", "serve", "read_message",
           "report_framing_error", "quiet_expected_failures", "PART_TIMEOUT", "MAX_HEADER",
           "MAX_BODY"]

log = logging.getLogger("mgdsl.lsp")

PART_TIMEOUT = 1.0  # longest pause inside a message (editors write a message at once)
MAX_HEADER = 64 * 1024
MAX_BODY = 256 * 1024 * 1024
_HEADER = re.compile(rb"([A-Za-z0-9!#$%&'*+.^_`|~-]+):[ \t]*([^\r\n]*)")


class FramingError(Exception):
    """The byte stream does not follow LSP's base protocol: the connection cannot go on."""


@dataclass
class _Invalid:
    """A message that decoded as JSON but not as the method's type."""

    id: Any
    method: str
    error: JsonRpcException


class MgProtocol(LanguageServerProtocol):
    """pygls's protocol, answering requests it cannot decode instead of dropping them."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        """Decode one JSON object; a request or notification whose params do not fit its
        method becomes an `_Invalid` (answered by `handle_message`) instead of raising
        from inside `json.loads`."""
        if "jsonrpc" not in data or "method" not in data:
            return super().structure_message(data)  # nested objects and responses
        method = data["method"]
        fallback = JsonRPCRequestMessage if "id" in data else JsonRPCNotification
        try:
            return self._converter.structure(data, self.get_message_type(method) or fallback)
        except Exception as exc:  # noqa: BLE001 - any decoding failure is the sender's
            detail = _describe(exc)
            log.warning("invalid params for %s: %s", method, detail)
            return _Invalid(data.get("id"), method,
                            JsonRpcInvalidParams(f"invalid params for {method}: {detail}"))

    def handle_message(self, message: Any) -> None:
        """Dispatch like pygls; answer an undecodable request with its JSON-RPC error."""
        if isinstance(message, _Invalid):
            if message.id is not None:
                self._send_response(message.id, error=message.error.to_response_error())
            return
        if not hasattr(message, "jsonrpc"):  # JSON, but not a JSON-RPC message
            msg_id = message.get("id") if isinstance(message, dict) else None
            log.warning("not a JSON-RPC message: %.200s", json.dumps(message))
            if msg_id is not None:
                self._send_response(msg_id, error=JsonRpcInvalidRequest(
                    "not a JSON-RPC 2.0 message").to_response_error())
            return
        super().handle_message(message)


def _describe(exc: Exception) -> str:
    """A one-line account of why params did not decode (cattrs names the field)."""
    if isinstance(exc, cattrs.ClassValidationError | cattrs.IterableValidationError):
        try:
            return "; ".join(cattrs.transform_error(exc, path="$",
                                                    format_exception=_why))[:500]
        except Exception:  # noqa: BLE001 - fall back to the exception's own text
            pass
    return str(exc)[:500] or type(exc).__name__


def _why(exc: BaseException, _type: object) -> str:
    """cattrs's account of one field, with the validator's own words when it has them."""
    if isinstance(exc, KeyError):
        return "required field missing"
    return str(exc) or type(exc).__name__


# --------------------------------------------------------------------------- framing


def _content_length(head: bytes) -> int:
    """The body length announced by a header block (its lines, blank line excluded)."""
    length = None
    for line in head.split(b"\r\n"):
        m = _HEADER.fullmatch(line)
        if m is None:
            raise FramingError(f"not a header line: {line[:80]!r}")
        if m.group(1).lower() == b"content-length":
            if length is not None:
                raise FramingError("Content-Length given twice")
            if not m.group(2).strip().isdigit():
                raise FramingError(f"Content-Length is not a number: {m.group(2)[:40]!r}")
            length = int(m.group(2))
    if length is None:
        raise FramingError("a message without Content-Length")
    if length > MAX_BODY:
        raise FramingError(f"Content-Length {length} is over the {MAX_BODY}-byte limit")
    return length


async def read_message(reader: asyncio.StreamReader, timeout: float = PART_TIMEOUT
                       ) -> bytes | None:
    """The body of the next message, or None at a clean end of the stream (between
    messages). Raises `FramingError` for anything else."""
    try:
        first = await reader.readexactly(1)  # an idle editor may send nothing for hours
    except asyncio.IncompleteReadError:
        return None
    try:
        head = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.TimeoutError:
        raise FramingError(f"a header that did not end with a blank line within {timeout:g} s "
                           f"(it starts {first!r})") from None
    except asyncio.LimitOverrunError:
        raise FramingError(f"a header longer than {MAX_HEADER} bytes") from None
    except asyncio.IncompleteReadError as exc:
        raise FramingError(f"the stream ended inside a header: {exc.partial[:80]!r}") from None
    length = _content_length(head[:-4])
    return await _read_body(reader, length, timeout)


async def _read_body(reader: asyncio.StreamReader, length: int, timeout: float) -> bytes:
    """Exactly `length` bytes, with no pause longer than `timeout` seconds (a big body may
    take longer in all, as long as it keeps coming)."""
    parts: list[bytes] = []
    got = 0
    while got < length:
        try:
            chunk = await asyncio.wait_for(reader.read(length - got), timeout)
        except asyncio.TimeoutError:
            raise FramingError(f"Content-Length {length} but only {got} bytes followed, then "
                               f"nothing for {timeout:g} s") from None
        if not chunk:
            raise FramingError(f"Content-Length {length} but the stream ended after {got} "
                               "bytes")
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _pump(stream: BinaryIO, reader: asyncio.StreamReader,
          loop: asyncio.AbstractEventLoop) -> None:
    """Copy `stream` into `reader` from a thread (works for pipes, files and terminals)."""
    fd = stream.fileno()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            loop.call_soon_threadsafe(reader.feed_eof)
            return
        loop.call_soon_threadsafe(reader.feed_data, chunk)


async def serve(protocol: MgProtocol, stdin: BinaryIO, stop: threading.Event,
                timeout: float = PART_TIMEOUT) -> None:
    """Read messages from `stdin` and hand them to `protocol` until the stream ends or
    `stop` is set. Raises `FramingError` when the stream breaks the base protocol."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=MAX_HEADER)
    threading.Thread(target=_pump, args=(stdin, reader, loop), daemon=True,
                     name="mgdsl-lsp-stdin").start()
    while not stop.is_set():
        body = await read_message(reader, timeout)
        if body is None:
            return
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except ValueError as exc:  # not JSON (or not UTF-8): answer, then read on
            log.warning("a message body that is not JSON: %s", exc)
            protocol._send_response(None, error=JsonRpcParseError(  # noqa: SLF001
                f"not JSON: {exc}").to_response_error())
            continue
        try:
            protocol.handle_message(message)
        except Exception:  # noqa: BLE001 - pygls answers what it can; never stop reading
            log.exception("handling a message failed")


def report_framing_error(protocol: MgProtocol, error: FramingError) -> None:
    """Log why the connection is being closed, on stderr and (best effort) to the client."""
    message = (f"bad message framing ({error}); closing the connection. "
               "The editor restarts the server.")
    log.error("%s", message)
    message = f"mgdsl lsp: {message}"
    try:
        protocol.notify(lsp.WINDOW_LOG_MESSAGE,
                        lsp.LogMessageParams(type=lsp.MessageType.Error, message=message))
    except Exception:  # noqa: BLE001 - the client may be gone already
        pass


class RequestFailed(JsonRpcException):
    """A well-formed request that cannot be served (LSP's RequestFailed, -32803), such as
    a hover in a file that is neither open nor readable. Logged in one line, no trace."""

    CODE = -32803
    MESSAGE = "Request failed"


class _OneLine(logging.Filter):
    """pygls logs every error response with its traceback; for the `RequestFailed` the
    server raises on purpose, one line is the whole story."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RequestFailed):
            record.msg, record.args, record.exc_info = f"request failed: {exc}", (), None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def quiet_expected_failures() -> None:
    """Install the one-line logging of `RequestFailed` on pygls's protocol logger."""
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_OneLine())
