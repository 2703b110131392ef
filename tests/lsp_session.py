"""A language client for the tests of `planrules lsp`: the server started as the editor starts
it (`python -m planrules lsp`) and spoken to over standard input and output with pytest-lsp,
on copies of the example rulesets."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.conftest import RULESETS

# `--stdio`, as some clients name the transport; the benchmark runs it without.
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "planrules", "lsp", "--stdio"])
# Long enough for a slow, shared machine; what the server takes is measured in benchmarks/.
WAIT = 30.0


def copy_examples(folder: Path) -> Path:
    for plan in RULESETS.iterdir():
        shutil.copy(plan, folder / plan.name)
    return folder


def uri(path: Path) -> str:
    found = from_fs_path(str(path))
    assert found is not None
    return found


async def start(client: LanguageClient, root: Path) -> None:
    params = lsp.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=uri(root),
        workspace_folders=[lsp.WorkspaceFolder(uri=uri(root), name=root.name)],
    )
    await client.initialize_session(params)


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies of the example rulesets, for one module's tests to open and change."""
    return copy_examples(tmp_path_factory.mktemp("rulesets"))


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, examples: Path) -> AsyncIterator[None]:
    """A module's client, its server started once for the module's tests."""
    registered = lsp_client.registered = []  # type: ignore[attr-defined]

    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        """As an editor does: keeps what the server asks to be told of."""
        registered.extend(params.registrations)

    await start(lsp_client, examples)
    yield
    await lsp_client.shutdown_session()


@pytest.fixture
def editor(client: LanguageClient) -> Editor:
    return Editor(client)


class Editor:
    """Open documents and what the server says of them."""

    def __init__(self, client: LanguageClient) -> None:
        self.client = client
        self.versions: dict[str, int] = {}

    async def open(self, path: Path, text: str | None = None) -> list[lsp.Diagnostic]:
        text = path.read_text("utf-8") if text is None else text
        address = uri(path)
        self.versions[address] = 1
        self.client.diagnostics.pop(address, None)
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=address, language_id="planrules", version=1, text=text
                )
            )
        )
        return await self.diagnostics(address)

    async def change(self, path: Path, text: str) -> list[lsp.Diagnostic]:
        address = uri(path)
        self.versions[address] += 1
        self.client.diagnostics.pop(address, None)
        self.client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(
                    uri=address, version=self.versions[address]
                ),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return await self.diagnostics(address)

    def close(self, path: Path) -> None:
        address = uri(path)
        self.versions.pop(address, None)
        self.client.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=address))
        )

    async def diagnostics(self, address: str) -> list[lsp.Diagnostic]:
        async def published() -> list[lsp.Diagnostic]:
            while address not in self.client.diagnostics:
                await self.client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            return list(self.client.diagnostics[address])

        return await asyncio.wait_for(published(), WAIT)


def position(text: str, needle: str, offset: int = 0, nth: int = 0) -> lsp.Position:
    """The position `offset` code points into the `nth` occurrence of `needle` in `text`, in
    UTF-16 code units as the protocol counts them."""
    at = -1
    for _ in range(nth + 1):
        at = text.index(needle, at + 1)
    at += offset
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return lsp.Position(line=line, character=len(text[start:at].encode("utf-16-le")) // 2)


def at_end(text: str) -> lsp.Position:
    return position(text + "\0", "\0")


def apply(text: str, edits: Sequence[lsp.TextEdit]) -> str:
    """`text` with the edits made, from the last one back."""
    lines = text.split("\n")

    def offset(place: lsp.Position) -> int:
        before = sum(len(line) + 1 for line in lines[: place.line])
        line = lines[place.line] if place.line < len(lines) else ""
        units = 0
        for index, char in enumerate(line):
            if units >= place.character:
                return before + index
            units += 2 if ord(char) > 0xFFFF else 1
        return before + len(line)

    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))
    for edit in reversed(ordered):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text
