"""The language server: pygls over standard input and output, each request answered from the
analysis of the file it is about (`planrules.lsp.analysis`).

Diagnostics follow a change after a short pause, so that a burst of keystrokes is checked once;
a file that others `use` has those open re-checked too. A request that fails is answered with
an error and logged; the server goes on. Logs go to standard error only: standard output is
the protocol's.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import attrs
from lsprotocol import types as lsp
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcMethodNotFound,
)
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path, uri_scheme

from planrules import __version__
from planrules.lang.diagnostics import InputError
from planrules.lang.workspace import PLAN_SUFFIX
from planrules.lsp import completion, editing, hover, navigation, symbols
from planrules.lsp.analysis import Analysis, Documents, used_closure
from planrules.lsp.diagnostics import protocol_diagnostics

log = logging.getLogger("planrules.lsp")

# How long typing must pause before a file is checked again, in seconds.
DEBOUNCE = 0.05


@attrs.frozen
class _Answered:
    """A request that could not be read, already answered with an error: nothing more to do."""

    jsonrpc: str = "answered"


class PlanProtocol(LanguageServerProtocol):
    """pygls's protocol, answering a request it cannot read (parameters missing or out of
    range, such as a position at character -1) with an error rather than not at all."""

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if "id" not in data or "method" not in data:
                raise
            method = str(data["method"])
            known = self.get_message_type(method) is not None or method in self.fm.features
            known = known or method in self.fm.builtin_features
            error = JsonRpcInvalidParams() if known else JsonRpcMethodNotFound.of(method)
            self._send_response(data["id"], error=error.to_response_error())
            return _Answered()

    def handle_message(self, message: Any) -> None:
        if not isinstance(message, _Answered):
            super().handle_message(message)


class PlanServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("planrules", __version__, protocol_cls=PlanProtocol)
        self.documents = Documents(self.open_text)
        self.pending: dict[str, asyncio.Task[None]] = {}

    def open_text(self, path: str) -> str | None:
        for uri, document in list(self.workspace.text_documents.items()):
            if self.path(uri) == path:
                text: str = document.source
                return text
        return None

    def open_paths(self) -> list[str]:
        return [p for uri in self.workspace.text_documents if (p := self.path(uri)) is not None]

    def path(self, uri: str) -> str | None:
        """The file a document is: its path, or for one not saved yet (`untitled:`), a name in
        the workspace's folder, from which its `use`s and snapshots are found."""
        if uri_scheme(uri) in (None, "file"):
            return _path(uri)
        folder = self.workspace.root_path or os.getcwd()
        return os.path.normpath(os.path.join(folder, quote(uri, safe="")))

    def users_of(self, uri: str) -> list[str]:
        """The open documents that use the file `uri` is, directly or through others."""
        changed = self.path(uri)
        return [
            other
            for other in list(self.workspace.text_documents)
            if other != uri
            and changed is not None
            and (other_path := self.path(other)) is not None
            and changed in used_closure(other_path, self.documents.index)
        ]

    def analysis(self, uri: str) -> Analysis | None:
        path = self.path(uri)
        if path is None:
            return None
        try:
            return self.documents.analyse(path)
        except InputError as problem:
            log.info("cannot read %s: %s", path, problem)
            return None

    def publish(self, uri: str) -> None:
        analysis = self.analysis(uri)
        if analysis is None:
            return
        version = None
        if uri in self.workspace.text_documents:
            version = self.workspace.get_text_document(uri).version
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(
                uri=uri,
                diagnostics=protocol_diagnostics(self.documents, analysis, uri),
                version=version,
            )
        )

    def schedule(self, uri: str, delay: float) -> None:
        """Check `uri` where it is open, and the open files that use it, once typing pauses
        for `delay`."""
        itself = [uri] if uri in self.workspace.text_documents else []
        for other in itself + self.users_of(uri):
            waiting = self.pending.pop(other, None)
            if waiting is not None:
                waiting.cancel()
            self.pending[other] = asyncio.ensure_future(self._publish_later(other, delay))

    async def _publish_later(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        self.pending.pop(uri, None)
        guarded(self.publish, uri)


def _path(uri: str) -> str | None:
    path = to_fs_path(uri)
    return os.path.normpath(path) if path else None


def guarded(work: Callable[[str], None], uri: str) -> None:
    try:
        work(uri)
    except Exception:  # a bug must not take the server down; it is logged to standard error
        log.exception("checking %s failed", uri)


server = PlanServer()


def _analysis_of(uri: str) -> Analysis:
    analysis = server.analysis(uri)
    if analysis is None:
        raise JsonRpcInvalidRequest(f"{uri} cannot be read")
    return analysis


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(params: lsp.DidOpenTextDocumentParams) -> None:
    server.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(params: lsp.DidChangeTextDocumentParams) -> None:
    server.schedule(params.text_document.uri, DEBOUNCE)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(params: lsp.DidSaveTextDocumentParams) -> None:
    server.schedule(params.text_document.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(params: lsp.DidCloseTextDocumentParams) -> None:
    waiting = server.pending.pop(params.text_document.uri, None)
    if waiting is not None:
        waiting.cancel()
    server.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )
    # Its users now read it from the disk, not from the buffer closed unsaved.
    server.schedule(params.text_document.uri, 0)


@server.feature(lsp.INITIALIZED)
async def initialized(params: lsp.InitializedParams) -> None:
    """Ask to be told of changes on disk to the files a buffer may use, where the client can."""
    workspace = server.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    watcher = lsp.FileSystemWatcher(glob_pattern=f"**/*{PLAN_SUFFIX}")
    registration = lsp.Registration(
        id="planrules-watched-files",
        method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=lsp.DidChangeWatchedFilesRegistrationOptions(watchers=[watcher]),
    )
    try:
        await server.client_register_capability_async(
            lsp.RegistrationParams(registrations=[registration])
        )
    except JsonRpcException:  # a client may refuse; the files are then checked as opened
        log.info("the client does not watch files for the server")


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(params: lsp.DidChangeWatchedFilesParams) -> None:
    for change in params.changes:
        server.schedule(change.uri, 0)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def on_hover(params: lsp.HoverParams) -> lsp.Hover | None:
    return hover.hover(server.documents, _analysis_of(params.text_document.uri), params.position)


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION,
    lsp.CompletionOptions(trigger_characters=[".", '"', " "]),
)
def on_completion(params: lsp.CompletionParams) -> lsp.CompletionList:
    analysis = _analysis_of(params.text_document.uri)
    return completion.complete(server.documents, analysis, params.position)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def on_definition(params: lsp.DefinitionParams) -> list[lsp.Location]:
    analysis = _analysis_of(params.text_document.uri)
    return navigation.definition(server.documents, analysis, params.position)


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def on_references(params: lsp.ReferenceParams) -> list[lsp.Location]:
    analysis = _analysis_of(params.text_document.uri)
    return navigation.references(
        server.documents,
        analysis,
        params.position,
        server.open_paths(),
        params.context.include_declaration,
    )


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(params: lsp.PrepareRenameParams) -> lsp.Range | None:
    return navigation.prepare_rename(_analysis_of(params.text_document.uri), params.position)


@server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
def on_rename(params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    analysis = _analysis_of(params.text_document.uri)
    try:
        return navigation.rename(
            server.documents, analysis, params.position, params.new_name, server.open_paths()
        )
    except navigation.RenameRefused as refused:
        raise JsonRpcInvalidRequest(str(refused)) from None


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def on_formatting(params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    return editing.formatting(_analysis_of(params.text_document.uri))


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    index = _analysis_of(params.text_document.uri).index
    return symbols.document_symbols(index) if index is not None else []


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
def on_code_action(params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    return editing.code_actions(_analysis_of(uri), uri, params.range)


def serve() -> None:
    """Speak the protocol on standard input and output until the client says to stop."""
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="planrules lsp: %(levelname)s %(message)s"
    )
    server.start_io()
