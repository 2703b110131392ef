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
from planrules.lang.messages import Message
from planrules.lang.source import Source, Span
from planrules.lang.workspace import PLAN_SUFFIX, Access, is_test_file

Reader = Callable[[str], Source]

# The most files a chain of `use`s may go through below the file checked: a deeper chain is
# the error `use-too-deep` (and so can never exhaust Python's stack).
MAX_USE_DEPTH = 32


@attrs.define
class LoadedFiles(Reporting):
    """The file checked and the files it uses; in a test file, the first use is the ruleset
    under test."""

    read: Reader
    access: Access = attrs.field(factory=Access)
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
            target = resolve_use(module.path, use.path)
            if target in chain:
                cycle = " -> ".join([*chain[chain.index(target) :], target])
                self.problem(
                    "use-cycle", use.span, Message("`use` makes a cycle: {cycle}", cycle=cycle)
                )
                continue
            if target in self.parsed:
                continue
            if len(chain) > MAX_USE_DEPTH:
                self.problem(
                    "use-too-deep",
                    use.span,
                    Message(
                        'cannot use "{path}": a chain of `use`s may be at most {most} files deep',
                        path=use.path,
                        most=MAX_USE_DEPTH,
                    ),
                )
                continue
            if not self.access.allows(target):
                self.outside_root(use)
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
            self.problem(
                "use-missing",
                use.span,
                Message('cannot use "{path}": {reason}', path=use.path, reason=problem.reason),
            )
            return None
        except OSError as problem:  # from a reader other than read_source
            reason = problem.strerror or str(problem)
            self.problem(
                "use-missing",
                use.span,
                Message('cannot use "{path}": {reason}', path=use.path, reason=reason),
            )
            return None
        if not target.endswith(PLAN_SUFFIX):
            return self.parse_other(use, source)
        parsed = self.parse(source)
        return parsed.module

    def outside_root(self, use: s.Use) -> None:
        self.problem(
            "path-outside-root",
            use.span,
            Message(
                'cannot use "{path}": it is outside the folder of the file checked', path=use.path
            ),
            Message("allow another folder with `--allow-path DIR` (`allowed_paths` in the API)"),
        )

    def parse_other(self, use: s.Use, source: Source) -> s.Module | None:
        """A used file not named `.plan` is kept only if it reads as a ruleset; otherwise
        nothing of its text is shown, as it may be anything (`/etc/passwd`, a `.env`)."""
        parsed = parse_source(source)
        if parsed.module is None or any(d.is_error for d in parsed.diagnostics):
            self.problem(
                "use-not-ruleset",
                use.span,
                Message(
                    'cannot use "{path}": it is not a .plan file, and not a ruleset (its text is '
                    "not shown)",
                    path=use.path,
                ),
            )
            return None
        self.parsed[source.path] = parsed
        for diagnostic in parsed.diagnostics:
            self.report(diagnostic)
        return parsed.module

    def loaded(self, use: s.Use, from_path: str) -> s.Module | None:
        parsed = self.parsed.get(resolve_use(from_path, use.path))
        return parsed.module if parsed is not None else None


def resolve_use(from_path: str, target: str) -> str:
    """The path of the file `use "TARGET"` names in the file at `from_path`."""
    return os.path.normpath(Path(from_path).parent / target)
