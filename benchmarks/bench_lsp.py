"""Time from a change to its diagnostics in `planrules lsp`, on rulesets of about 100, 1,000 and
5,000 lines made from the SAADO example (its declarations copied with their names numbered).

Run: .venv/bin/python benchmarks/bench_lsp.py [--lines 100,1000,5000] [--changes N]
The server runs as an editor runs it (`python -m planrules lsp`), spoken to over standard input
and output; each change puts a misspelt name in or takes it out again, and the time is from
sending the change to receiving the diagnostics of that version (the server's pause for typing,
50 ms, included). Prints the median and the slowest of N changes for each size.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.uris import from_fs_path

EXAMPLE = Path(__file__).resolve().parents[1] / "rulesets" / "saado.plan"
_DECLARED = re.compile(r"^(?:metric|table|let)\s+(\w+)", re.MULTILINE)
_RULE = re.compile(r'^(?:goal|threshold|budget|trigger)\s+"([^"]+)"', re.MULTILINE)
_LINE = re.compile(r"^    (?!shift|scale)(\w+)\s+\d", re.MULTILINE)  # a budget's lines


def ruleset(lines: int) -> str:
    """The SAADO ruleset's header, then copies of its declarations until `lines` lines."""
    text = EXAMPLE.read_text("utf-8")
    header, _, body = text.partition("# Marketing\n")
    names = sorted(set(_DECLARED.findall(body)) | set(_LINE.findall(body)), key=len, reverse=True)
    rules = sorted(set(_RULE.findall(body)), key=len, reverse=True)
    copies = [header]
    copy = 0
    while sum(part.count("\n") for part in copies) < lines:
        numbered = body
        for name in names:
            numbered = re.sub(rf"\b{name}\b", f"{name}_{copy}", numbered)
        for rule in rules:
            numbered = numbered.replace(f'"{rule}"', f'"{rule} {copy}"')
        copies.append(numbered)
        copy += 1
    return "".join(copies)


async def measure(text: str, changes: int) -> list[float]:
    client = LanguageClient("bench-lsp", "1")
    published: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
        published.put_nowait(params)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.plan"
        path.write_text(text, "utf-8")
        uri = from_fs_path(str(path)) or str(path)
        await client.start_io(sys.executable, "-m", "planrules", "lsp")
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(), root_uri=from_fs_path(folder)
            )
        )
        client.initialized(lsp.InitializedParams())
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(
                    uri=uri, language_id="planrules", version=1, text=text
                )
            )
        )
        await _diagnostics_of(published, 1)
        misspelt = text.replace("sum(don_theo_rep_0)", "sum(don_theo_rep_00)")
        times = []
        for version in range(2, changes + 2):
            changed = misspelt if version % 2 == 0 else text
            started = time.perf_counter()
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=changed)],
                )
            )
            found = await _diagnostics_of(published, version)
            times.append(time.perf_counter() - started)
            assert len(found.diagnostics) == (1 if version % 2 == 0 else 0), found.diagnostics
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    return times


async def _diagnostics_of(
    published: asyncio.Queue[lsp.PublishDiagnosticsParams], version: int
) -> lsp.PublishDiagnosticsParams:
    while True:
        params = await asyncio.wait_for(published.get(), 60)
        if params.version == version:
            return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", default="100,1000,5000")
    parser.add_argument("--changes", type=int, default=20)
    options = parser.parse_args()
    print(f"{'lines':>6}  {'median ms':>9}  {'slowest ms':>10}")
    for size in (int(n) for n in options.lines.split(",")):
        text = ruleset(size)
        times = asyncio.run(measure(text, options.changes))
        median, slowest = statistics.median(times) * 1000, max(times) * 1000
        print(f"{text.count(chr(10)):>6}  {median:>9.0f}  {slowest:>10.0f}")


if __name__ == "__main__":
    main()
