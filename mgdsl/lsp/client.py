"""A synchronous editor stand-in: starts `mgdsl lsp` as a child process and talks LSP to it
over stdio with pygls's client, as VS Code would. Used by the tests and the latency
benchmark; handy for scripting the server by hand too.

    with EditorSession() as ed:
        ed.open("net.mg", text)
        diagnostics = ed.wait_diagnostics("net.mg")
        print(ed.hover("net.mg", 4, 10))
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol.json_rpc import JsonRPCRequestMessage

__all__ = ["EditorSession"]


class EditorSession:
    """One running server and its client; every method blocks until the answer is in."""

    def __init__(self, command: list[str] | None = None, root: str | Path | None = None,
                 options: dict[str, Any] | None = None, timeout: float = 60.0,
                 cwd: str | Path | None = None) -> None:
        self.command = command or [sys.executable, "-m", "mgdsl", "lsp"]
        self.cwd = cwd
        self.root = Path(root or Path.cwd()).resolve()
        self.options = options
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("mgdsl-test-editor", "1")
        self.published: dict[str, list[tuple[int | None, list[lsp.Diagnostic], float]]] = {}
        self.logs: list[str] = []
        self.versions: dict[str, int] = {}
        self.capabilities: lsp.ServerCapabilities | None = None
        self._changed = asyncio.Event()

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _publish(params: lsp.PublishDiagnosticsParams) -> None:
            self.published.setdefault(params.uri, []).append(
                (params.version, list(params.diagnostics), time.perf_counter()))
            self._changed.set()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def _log(params: lsp.LogMessageParams) -> None:
            self.logs.append(params.message)

    # ------------------------------------------------------------------- life cycle

    def _run(self, coro):
        return self.loop.run_until_complete(asyncio.wait_for(coro, self.timeout))

    def start(self) -> lsp.InitializeResult:
        """Start the server and complete the `initialize` handshake."""
        self._run(self.client.start_io(*self.command, cwd=self.cwd))
        result = self._run(self.client.initialize_async(lsp.InitializeParams(
            process_id=None, root_uri=self.root.as_uri(),
            capabilities=lsp.ClientCapabilities(), initialization_options=self.options)))
        self.client.initialized(lsp.InitializedParams())
        self.capabilities = result.capabilities
        return result

    def stop(self) -> int | None:
        """`shutdown`, `exit`, and wait for the process; returns its exit code."""
        try:
            self._run(self.client.shutdown_async(None))
            self.client.exit(None)
        except Exception:  # noqa: BLE001 - a dead server is stopped already
            pass
        server = getattr(self.client, "_server", None)
        try:
            if server is not None:
                self._run(server.wait())
            self._run(self.client.stop())
        finally:
            self.loop.close()
        return server.returncode if server is not None else None

    def __enter__(self) -> EditorSession:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        """Whether the server process is still running."""
        server = getattr(self.client, "_server", None)
        return server is not None and server.returncode is None

    # ---------------------------------------------------------------------- documents

    def uri(self, path: str | Path) -> str:
        """The URI of `path` (relative paths are under the root); URIs pass through."""
        if isinstance(path, str) and ":" in path.split("/")[0]:
            return path
        p = Path(path)
        return (p if p.is_absolute() else self.root / p).as_uri()

    def open(self, path: str | Path, text: str) -> None:
        """`didOpen` a document with `text`."""
        uri = self.uri(path)
        self.versions[uri] = 1
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="mg", version=1, text=text)))

    def change(self, path: str | Path, text: str,
               range_: tuple[int, int, int, int] | None = None) -> int:
        """`didChange`: replace the whole text, or `range_` (line, char, line, char) with
        `text`. Returns the new version."""
        uri = self.uri(path)
        self.versions[uri] = version = self.versions.get(uri, 0) + 1
        if range_ is None:
            event: Any = lsp.TextDocumentContentChangeWholeDocument(text=text)
        else:
            a, b, c, d = range_
            event = lsp.TextDocumentContentChangePartial(
                range=lsp.Range(lsp.Position(a, b), lsp.Position(c, d)), text=text)
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), [event]))
        return version

    def close(self, path: str | Path) -> None:
        """`didClose` a document."""
        uri = self.uri(path)
        self.versions.pop(uri, None)  # the server clears its diagnostics, with no version
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            lsp.TextDocumentIdentifier(uri=uri)))

    def wait_diagnostics(self, path: str | Path, version: int | None = None
                         ) -> list[lsp.Diagnostic]:
        """The diagnostics published for `path` at `version` (default: the latest version
        sent; for a closed document, the unversioned publish that clears them)."""
        uri = self.uri(path)
        want = self.versions.get(uri) if version is None else version

        async def wait() -> list[lsp.Diagnostic]:
            while True:
                for v, diags, _ in reversed(self.published.get(uri, [])):
                    if v == want:
                        return diags
                self._changed.clear()
                await self._changed.wait()

        return self._run(wait())

    def published_at(self, path: str | Path, version: int) -> float | None:
        """When (perf_counter) the diagnostics of `version` arrived, or None."""
        for v, _, t in self.published.get(self.uri(path), []):
            if v == version:
                return t
        return None

    # ----------------------------------------------------------------------- requests

    def _doc(self, path: str | Path) -> lsp.TextDocumentIdentifier:
        return lsp.TextDocumentIdentifier(uri=self.uri(path))

    def hover(self, path: str | Path, line: int, character: int) -> lsp.Hover | None:
        """`textDocument/hover` at 0-based `line:character`."""
        return self._run(self.client.text_document_hover_async(lsp.HoverParams(
            self._doc(path), lsp.Position(line, character))))

    def definition(self, path: str | Path, line: int, character: int) -> Any:
        """`textDocument/definition` at 0-based `line:character`."""
        return self._run(self.client.text_document_definition_async(lsp.DefinitionParams(
            self._doc(path), lsp.Position(line, character))))

    def completion(self, path: str | Path, line: int, character: int) -> Any:
        """`textDocument/completion` at 0-based `line:character`."""
        return self._run(self.client.text_document_completion_async(lsp.CompletionParams(
            self._doc(path), lsp.Position(line, character))))

    def symbols(self, path: str | Path) -> Any:
        """`textDocument/documentSymbol`."""
        return self._run(self.client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(self._doc(path))))

    def formatting(self, path: str | Path) -> Any:
        """`textDocument/formatting` with four-space indentation."""
        return self._run(self.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(self._doc(path),
                                         lsp.FormattingOptions(tab_size=4, insert_spaces=True))))

    def references(self, path: str | Path, line: int, character: int,
                   declaration: bool = True) -> list[lsp.Location] | None:
        """`textDocument/references` at 0-based `line:character`."""
        return self._run(self.client.text_document_references_async(lsp.ReferenceParams(
            text_document=self._doc(path), position=lsp.Position(line, character),
            context=lsp.ReferenceContext(include_declaration=declaration))))

    def prepare_rename(self, path: str | Path, line: int, character: int) -> Any:
        """`textDocument/prepareRename` at 0-based `line:character`."""
        return self._run(self.client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(text_document=self._doc(path),
                                    position=lsp.Position(line, character))))

    def rename(self, path: str | Path, line: int, character: int,
               new_name: str) -> lsp.WorkspaceEdit | None:
        """`textDocument/rename` of the name at 0-based `line:character` to `new_name`."""
        return self._run(self.client.text_document_rename_async(lsp.RenameParams(
            text_document=self._doc(path), position=lsp.Position(line, character),
            new_name=new_name)))

    def code_actions(self, path: str | Path, diagnostics: list[lsp.Diagnostic]
                     ) -> list[lsp.CodeAction] | None:
        """`textDocument/codeAction` over the range of `diagnostics` (as an editor asks for
        the quick fixes of the problems under the cursor)."""
        first = diagnostics[0].range if diagnostics else lsp.Range(lsp.Position(0, 0),
                                                                   lsp.Position(0, 0))
        return self._run(self.client.text_document_code_action_async(lsp.CodeActionParams(
            text_document=self._doc(path), range=first,
            context=lsp.CodeActionContext(diagnostics=list(diagnostics)))))

    def request(self, method: str, params: Any) -> Any:
        """Any request by method name, for requests the server may refuse: `params` as
        lsprotocol objects, or as raw JSON (a dict sent as it is, however wrong)."""
        protocol = self.client.protocol

        async def send() -> Any:  # the future belongs to the session's loop
            if not isinstance(params, dict):
                return await protocol.send_request_async(method, params)
            msg_id = str(uuid.uuid4())
            future: concurrent.futures.Future = concurrent.futures.Future()
            protocol._request_futures[msg_id] = future  # noqa: SLF001 - pygls sends typed params only
            protocol._send_data(JsonRPCRequestMessage(  # noqa: SLF001
                id=msg_id, method=method, jsonrpc="2.0", params=params))
            return await asyncio.wrap_future(future)

        return self._run(send())

    def save(self, path: str | Path, text: str | None = None) -> None:
        """`didSave` (writing `text` to the file first when given)."""
        uri = self.uri(path)
        if text is not None:
            Path(self.root / path if not Path(path).is_absolute() else path).write_text(
                text, encoding="utf-8")
        self.client.text_document_did_save(lsp.DidSaveTextDocumentParams(
            lsp.TextDocumentIdentifier(uri=uri)))

    def files_changed(self, *paths: str | Path) -> None:
        """`workspace/didChangeWatchedFiles`: `paths` changed on disk."""
        self.client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
            [lsp.FileEvent(self.uri(p), lsp.FileChangeType.Changed) for p in paths]))

    def wait_publish(self, path: str | Path, count: int) -> list[lsp.Diagnostic]:
        """The diagnostics of the `count`-th publish for `path` (1-based), waiting for it:
        for files the server re-checks on its own (dependents, files it found problems in)."""
        uri = self.uri(path)

        async def wait() -> list[lsp.Diagnostic]:
            while len(self.published.get(uri, [])) < count:
                self._changed.clear()
                await self._changed.wait()
            return self.published[uri][count - 1][1]

        return self._run(wait())

    def publishes(self, path: str | Path) -> int:
        """How many times diagnostics were published for `path` so far."""
        return len(self.published.get(self.uri(path), []))
