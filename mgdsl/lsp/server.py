"""The language server: pygls over stdio, one `Analysis` per open document.

Every open, change and save re-checks the buffer at once and publishes its diagnostics;
hover, definition, completion and symbols read the latest analysis. A handler that
fails logs the problem to the client and answers "nothing": the server never exits
because of a request or a text.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import logging
import traceback
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer

from mgdsl.lsp import features
from mgdsl.lsp.analysis import Analysis, analyse

__all__ = ["MgLanguageServer", "build_server", "default_errors_url"]

log = logging.getLogger("mgdsl.lsp")


def default_errors_url() -> str | None:
    """The catalogue page that diagnostic codes link to: docs/errors.md of this checkout
    as a `file://` URI when it exists (an installed copy has none)."""
    page = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
    return page.as_uri() if page.exists() else None


class MgLanguageServer(LanguageServer):
    """A pygls server that keeps the latest analysis of each open `.mg` document."""

    def __init__(self) -> None:
        from mgdsl import __version__

        super().__init__("mgdsl", __version__)
        self.analyses: dict[str, Analysis] = {}
        self.parsed: dict[str, Analysis] = {}  # the latest analysis whose text parsed
        self.errors_url = default_errors_url()

    def refresh(self, uri: str) -> Analysis:
        """Re-analyse document `uri` from its current text and publish its diagnostics."""
        doc = self.workspace.get_text_document(uri)
        analysis = analyse(doc.source, features.path_of(uri))
        self.analyses[uri] = analysis
        if analysis.module is not None:
            self.parsed[uri] = analysis
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
            uri=uri, version=doc.version,
            diagnostics=features.diagnostics(analysis, self.errors_url, self.encoding)))
        return analysis

    @property
    def encoding(self) -> str:
        """The position encoding agreed with the client (`utf-16` unless it asked)."""
        return str(self.workspace.position_encoding or "utf-16")

    def analysis(self, uri: str) -> Analysis:
        """The latest analysis of `uri` (made now if the document was never analysed)."""
        return self.analyses.get(uri) or self.refresh(uri)

    def forget(self, uri: str) -> None:
        """Drop a closed document and clear its diagnostics."""
        self.analyses.pop(uri, None)
        self.parsed.pop(uri, None)
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _guarded(fn):
    """Run a handler; on any exception log it to the client and answer None."""

    @functools.wraps(fn)
    def run(ls: MgLanguageServer, params: Any):
        try:
            return fn(ls, params)
        except Exception:  # noqa: BLE001 - a bad request must not stop the server
            message = f"mgdsl lsp: {fn.__name__} failed:\n{traceback.format_exc()}"
            log.error(message)
            with contextlib.suppress(Exception):  # the client may be gone
                ls.window_log_message(lsp.LogMessageParams(lsp.MessageType.Error, message))
            return None

    return run


def build_server() -> MgLanguageServer:
    """A server with every feature registered."""
    server = MgLanguageServer()

    @server.feature(lsp.INITIALIZE)
    @_guarded
    def initialize(ls: MgLanguageServer, params: lsp.InitializeParams) -> None:
        _apply_options(ls, params.initialization_options)

    @_guarded
    def refresh(ls: MgLanguageServer, params: Any) -> None:
        ls.refresh(params.text_document.uri)

    # opening, editing and saving a document all re-check it
    for method in (lsp.TEXT_DOCUMENT_DID_OPEN, lsp.TEXT_DOCUMENT_DID_CHANGE,
                   lsp.TEXT_DOCUMENT_DID_SAVE):
        server.feature(method)(refresh)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    @_guarded
    def did_close(ls: MgLanguageServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    @_guarded
    def hover(ls: MgLanguageServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return features.hover(ls.analysis(params.text_document.uri), params.position,
                              ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
    @_guarded
    def definition(ls: MgLanguageServer, params: lsp.DefinitionParams) -> list[lsp.Location]:
        return features.definition(ls.analysis(params.text_document.uri), params.position,
                                   ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                    lsp.CompletionOptions(trigger_characters=["(", ",", ".", " "]))
    @_guarded
    def completion(ls: MgLanguageServer, params: lsp.CompletionParams) -> lsp.CompletionList:
        uri = params.text_document.uri
        parsed = ls.parsed.get(uri)
        blocks = parsed.program.blocks if parsed and parsed.program else None
        return features.completion(ls.analysis(uri), params.position, blocks, ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @_guarded
    def symbols(ls: MgLanguageServer,
                params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
        uri = params.text_document.uri
        analysis = ls.analysis(uri)
        if analysis.module is None and uri in ls.parsed:
            analysis = ls.parsed[uri]  # keep the outline while the text is being typed
        return features.document_symbols(analysis.module, analysis.text, ls.encoding)

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    @_guarded
    def formatting(ls: MgLanguageServer,
                   params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        return features.formatting(doc.source, features.path_of(params.text_document.uri),
                                   ls.encoding)

    return server


def _apply_options(ls: MgLanguageServer, options: Any) -> None:
    """`initializationOptions`: `{"errorsUrl": "https://.../errors.md"}` links the codes."""
    if isinstance(options, dict) and isinstance(options.get("errorsUrl"), str):
        ls.errors_url = options["errorsUrl"] or None


def main() -> int:
    """Serve LSP over stdin/stdout until the client says `exit`."""
    logging.basicConfig(level=logging.WARNING, format="mgdsl lsp: %(message)s")
    server = build_server()
    # The ~77,000 objects of the loaded modules (pygls, lsprotocol, lark's tables, mgdsl)
    # live as long as the server. Frozen, the cyclic collector's full passes skip them:
    # those passes otherwise land inside an edit's re-check now and then and took its
    # latency from ~70 ms to 150-190 ms (`python -m benchmarks.run --section lsp`).
    gc.collect()
    gc.freeze()
    server.start_io()
    return 0
