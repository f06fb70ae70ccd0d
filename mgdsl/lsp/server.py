"""The language server: pygls over stdio, one `Analysis` per open document.

Every open, change and save re-checks the buffer at once and publishes its diagnostics;
the open documents that `use` it are re-checked (reading its unsaved text) once typing
pauses for `DEPENDENTS_DELAY` seconds. Problems a
check finds in another file (a block body elaborated for this caller) are published in
that file, at their place. Hover, definition, completion and the rest read the latest
analysis; a file that is not open is read from disk, and one that cannot be read gets a
clean `RequestFailed` answer. Every request is answered: with its result, or with a
JSON-RPC error. A broken byte stream closes the connection (`mgdsl.lsp.wire`).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import sys
import threading
import traceback
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException, JsonRpcInternalError
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from mgdsl.lsp import actions, features, references, wire
from mgdsl.lsp.analysis import Analysis, analyse
from mgdsl.lsp.project import Project, resolved

__all__ = ["MgLanguageServer", "build_server", "default_errors_url"]

log = logging.getLogger("mgdsl.lsp")

DEPENDENTS_DELAY = 0.25  # s of quiet before the files that use an edited file are re-checked
_UNOPENED_KEPT = 32  # analyses of files read from disk for a request, kept by mtime


def default_errors_url() -> str | None:
    """The catalogue page that diagnostic codes link to: docs/errors.md of this checkout
    as a `file://` URI when it exists (an installed copy has none)."""
    page = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
    return page.as_uri() if page.exists() else None


class MgLanguageServer(LanguageServer):
    """A pygls server that keeps the latest analysis of each open `.mg` document."""

    def __init__(self) -> None:
        from mgdsl import __version__

        super().__init__("mgdsl", __version__, protocol_cls=wire.MgProtocol)
        self.project = Project()
        self.parsed: dict[str, Analysis] = {}  # the latest analysis whose text parsed
        self.saved: dict[str, str] = {}  # the text on disk when each document was opened/saved
        self.unopened: dict[str, tuple[tuple[int, int], Analysis]] = {}
        self.errors_url = default_errors_url()
        self._pending: dict[str, None] = {}  # open documents to re-check once typing pauses
        self._timer: asyncio.TimerHandle | None = None

    # ------------------------------------------------------------------- documents

    @property
    def analyses(self) -> dict[str, Analysis]:
        """The latest analysis of each open document, by URI."""
        return {uri: c.analysis for uri, c in self.project.checked.items()}

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client (`utf-16` unless it asked)."""
        return str(self.workspace.position_encoding or "utf-16")

    def is_open(self, uri: str) -> bool:
        """Whether the client opened document `uri`."""
        return unquote(uri) in self.workspace.text_documents

    def text(self, uri: str) -> str:
        """The text of `uri`: the editor's buffer when open, else the file on disk."""
        if self.is_open(uri):
            return self.workspace.get_text_document(uri).source
        path = features.path_of(uri)
        if path.startswith("<"):
            raise wire.RequestFailed(f"{uri} is not open in the editor")
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise wire.RequestFailed(f"{uri} is not open and cannot be read: {reason}") from None

    def unsaved(self, skip: str | None = None) -> dict[str, str]:
        """Resolved path -> buffer text of each open file whose buffer differs from the
        text it was opened or saved with; the checks of other files read these."""
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            if uri == skip or not uri.startswith("file:"):
                continue
            source = doc.source
            if source != self.saved.get(uri):
                out[resolved(features.path_of(uri))] = source
        return out

    def analysis(self, uri: str) -> Analysis:
        """The latest analysis of `uri`: an open document's, or the file on disk's (kept
        while its modification time stays)."""
        checked = self.project.checked.get(uri)
        if checked is not None:
            return checked.analysis
        if self.is_open(uri):
            return self.check(uri)
        path = features.path_of(uri)
        text = self.text(uri)  # raises RequestFailed when it cannot be read
        try:
            st = Path(path).stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, len(text))
        kept = self.unopened.get(uri)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        result = analyse(text, path, self.unsaved())
        self.unopened[uri] = (stamp, result)
        while len(self.unopened) > _UNOPENED_KEPT:
            self.unopened.pop(next(iter(self.unopened)))
        return result

    # ------------------------------------------------------------------------ checks

    def check(self, uri: str, *, dependents: bool = True) -> Analysis:
        """Re-analyse open document `uri`, publish its diagnostics and those it found in
        other files, then (with `dependents`) re-check the open documents that use it."""
        doc = self.workspace.get_text_document(uri)
        analysis = analyse(doc.source, features.path_of(uri), self.unsaved(skip=uri))
        if analysis.module is not None:
            self.parsed[uri] = analysis
        elsewhere = self.project.record(uri, analysis)
        self.publish(uri)
        for path in elsewhere:
            self.publish(features.uri_of(path))
        if dependents and uri.startswith("file:"):
            self.recheck_later(self.project.dependents(features.path_of(uri)))
        return analysis

    def recheck_later(self, uris: list[str]) -> None:
        """Re-check open documents `uris` once typing pauses for `DEPENDENTS_DELAY` s (each
        keystroke in a library would otherwise re-check every file that uses it); at once
        when no event loop runs (a direct call)."""
        self._pending.update(dict.fromkeys(uris))
        if not self._pending:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._recheck_pending()
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_later(DEPENDENTS_DELAY, self._recheck_pending)

    def _recheck_pending(self) -> None:
        self._timer = None
        pending, self._pending = list(self._pending), {}
        for uri in pending:
            if self.is_open(uri):
                try:
                    self.check(uri, dependents=False)
                except Exception:  # noqa: BLE001 - one file's failure must not stop the rest
                    log.error("re-checking %s failed:\n%s", uri, traceback.format_exc())

    def publish(self, uri: str) -> None:
        """Publish the diagnostics of `uri`: its own check's (when open) and the problems
        that checks of other documents located in it."""
        own = self.project.checked.get(uri)
        text = own.analysis.text if own else None
        path = features.path_of(uri)
        found = self.project.found_in(path) if uri.startswith("file:") else []
        if text is None and found:
            source = found[0].span.source
            text = source.text if source is not None else self.text(uri)
        diags = features.diagnostics(own.analysis, self.errors_url, self.encoding) if own else []
        if found:
            diags += features.diagnostics(Analysis(path, text or "", errors=found),
                                          self.errors_url, self.encoding)
        unique = {(d.range.start.line, d.range.start.character, d.range.end.line,
                   d.range.end.character, d.code, d.message): d for d in diags}
        version = self.workspace.get_text_document(uri).version if self.is_open(uri) else None
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=version, diagnostics=list(unique.values())))

    def opened(self, uri: str) -> None:
        """Note the disk text of a document the client opened (or saved) and check it."""
        path = features.path_of(uri)
        try:
            self.saved[uri] = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.saved.pop(uri, None)
        self.unopened.pop(uri, None)
        self.check(uri)

    def forget(self, uri: str) -> None:
        """Drop a closed document, clear its diagnostics and re-check its dependents, which
        now read the file from disk again."""
        elsewhere = self.project.forget(uri)
        self.parsed.pop(uri, None)
        self.saved.pop(uri, None)
        self.publish(uri)  # what other documents found in it stays; its own go
        for path in elsewhere:
            self.publish(features.uri_of(path))
        if uri.startswith("file:"):
            self.recheck_later(self.project.dependents(features.path_of(uri)))

    def files_changed(self, uris: list[str]) -> None:
        """Files changed on disk (not through the editor): re-check who reads them."""
        for uri in uris:
            self.unopened.pop(uri, None)
            if not self.is_open(uri):
                self.recheck_later(self.project.dependents(features.path_of(uri)))

    # ----------------------------------------------------------------------- serving

    def start_io(self, stdin: Any = None, stdout: Any = None) -> int:
        """Serve LSP on stdin/stdout with strict framing; returns the exit status: 0 after
        `shutdown` and `exit` (or the end of input), 1 for a broken stream."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        try:
            asyncio.run(wire.serve(self.protocol, stdin or sys.stdin.buffer,
                                   self._stop_event))
            return 0
        except wire.FramingError as exc:
            wire.report_framing_error(self.protocol, exc)
            return 1
        except SystemExit as exc:  # pygls ends `exit` with sys.exit(0 after shutdown, else 1)
            return exc.code if isinstance(exc.code, int) else 0
        except BrokenPipeError:
            log.error("the client closed the connection")
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            self.shutdown()


def _request(fn):
    """A request handler: an unexpected exception is logged (with its traceback, on
    stderr) and answered as a JSON-RPC internal error; `RequestFailed` passes as it is."""

    @functools.wraps(fn)
    def run(ls: MgLanguageServer, params: Any):
        try:
            return fn(ls, params)
        except JsonRpcException:
            raise
        except Exception as exc:  # noqa: BLE001 - a bad request must not stop the server
            log.error("%s failed:\n%s", fn.__name__, traceback.format_exc())
            raise JsonRpcInternalError(f"mgdsl lsp: {fn.__name__} failed: "
                                       f"{type(exc).__name__}: {exc}") from None

    return run


def _notification(fn):
    """A notification handler: any failure is logged (stderr and the client's log) in one
    line plus a traceback on stderr; there is nobody to answer."""

    @functools.wraps(fn)
    def run(ls: MgLanguageServer, params: Any):
        try:
            fn(ls, params)
        except Exception as exc:  # noqa: BLE001 - a bad notification must not stop the server
            log.error("%s failed:\n%s", fn.__name__, traceback.format_exc())
            try:
                ls.window_log_message(lsp.LogMessageParams(
                    lsp.MessageType.Error, f"mgdsl lsp: {fn.__name__} failed: {exc}"))
            except Exception:  # noqa: BLE001 - the client may be gone
                pass

    return run


def build_server() -> MgLanguageServer:
    """A server with every feature registered."""
    server = MgLanguageServer()

    @server.feature(lsp.INITIALIZE)
    @_request
    def initialize(ls: MgLanguageServer, params: lsp.InitializeParams) -> None:
        _apply_options(ls, params.initialization_options)

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    @_notification
    def did_open(ls: MgLanguageServer, params: Any) -> None:
        ls.opened(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    @_notification
    def did_change(ls: MgLanguageServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.check(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @_notification
    def did_close(ls: MgLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @_notification
    def watched(ls: MgLanguageServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        ls.files_changed([change.uri for change in params.changes])

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @_request
    def hover(ls: MgLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return features.hover(ls.analysis(params.text_document.uri), params.position,
                              ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @_request
    def definition(ls: MgLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        return features.definition(ls.analysis(params.text_document.uri), params.position,
                                   ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["(", ",", ".", " "]))
    @_request
    def completion(ls: MgLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        parsed = ls.parsed.get(uri)
        blocks = parsed.program.blocks if parsed and parsed.program else None
        return features.completion(ls.analysis(uri), params.position, blocks, ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_request
    def symbols(ls: MgLanguageServer,
                params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        uri = params.text_document.uri
        analysis = ls.analysis(uri)
        if analysis.module is None and uri in ls.parsed:
            analysis = ls.parsed[uri]  # keep the outline while the text is being typed
        return features.document_symbols(analysis.module, analysis.text, ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @_request
    def formatting(ls: MgLanguageServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        uri = params.text_document.uri
        return features.formatting(ls.text(uri), features.path_of(uri), ls.encoding)

    references.register(server, _request)
    actions.register(server, _request)
    return server


def _apply_options(ls: MgLanguageServer, options: Any) -> None:
    """`initializationOptions`: `{"errorsUrl": "https://.../errors.md"}` links the codes."""
    if isinstance(options, dict) and isinstance(options.get("errorsUrl"), str):
        ls.errors_url = options["errorsUrl"] or None


def main() -> int:
    """Serve LSP over stdin/stdout until the client says `exit` (or the stream breaks)."""
    logging.basicConfig(level=logging.WARNING, format="mgdsl lsp: %(message)s")
    wire.quiet_expected_failures()
    server = build_server()
    # The ~77,000 objects of the loaded modules (pygls, lsprotocol, lark's tables, mgdsl)
    # live as long as the server. Frozen, the cyclic collector's full passes skip them:
    # those passes otherwise land inside an edit's re-check now and then and took its
    # latency from ~70 ms to 150-190 ms (`python -m benchmarks.run --section lsp`).
    gc.collect()
    gc.freeze()
    return server.start_io()
