"""The first pass: every file a check reads, each parsed once. Every other pass sees what the
`use`s bring, so this one runs first."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import attrs

from planrules.lang import syntax as s
from planrules.lang.build import Parsed, parse_source
from planrules.lang.check_reporting import Reporting
from planrules.lang.diagnostics import InputError
from planrules.lang.source import Source, Span
from planrules.lang.workspace import is_test_file

Reader = Callable[[str], Source]


@attrs.define
class LoadedFiles(Reporting):
    """The file checked and the files it uses; in a test file, the first use is the ruleset
    under test."""

    read: Reader
    parsed: dict[str, Parsed] = attrs.field(factory=dict)
    imported: list[s.Module] = attrs.field(factory=list)
    tested: s.Module | None = None
    use_sites: dict[str, Span] = attrs.field(factory=dict)

    def parse(self, source: Source) -> Parsed:
        parsed = parse_source(source)
        self.parsed[source.path] = parsed
        for diagnostic in parsed.diagnostics:
            self.report(diagnostic)
        return parsed

    def sources(self) -> dict[str, Source]:
        return {path: parsed.source for path, parsed in self.parsed.items()}

    def resolve_uses(self, module: s.Module) -> None:
        """Load every `use`d file, depth first, reporting missing files and cycles."""
        self.follow_uses(module, [module.path])
        if is_test_file(module.path) and module.uses:
            self.tested = self.loaded(module.uses[0], module.path)

    def follow_uses(self, module: s.Module, chain: list[str]) -> None:
        for use in module.uses:
            target = _resolve(module.path, use.path)
            if target in chain:
                cycle = " -> ".join([*chain[chain.index(target) :], target])
                self.problem("use-cycle", use.span, f"`use` makes a cycle: {cycle}")
                continue
            if target in self.parsed:
                continue
            self.use_sites[target] = use.span
            used = self.load(use, target)
            if used is not None:
                self.imported.append(used)
                self.follow_uses(used, [*chain, target])

    def load(self, use: s.Use, target: str) -> s.Module | None:
        try:
            source = self.read(target)
        except InputError as problem:
            self.problem("use-missing", use.span, f'cannot use "{use.path}": {problem.reason}')
            return None
        except OSError as problem:  # from a reader other than read_source
            reason = problem.strerror or str(problem)
            self.problem("use-missing", use.span, f'cannot use "{use.path}": {reason}')
            return None
        parsed = self.parse(source)
        return parsed.module

    def loaded(self, use: s.Use, from_path: str) -> s.Module | None:
        parsed = self.parsed.get(_resolve(from_path, use.path))
        return parsed.module if parsed is not None else None


def _resolve(from_path: str, target: str) -> str:
    return os.path.normpath(Path(from_path).parent / target)
