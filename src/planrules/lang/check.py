"""The checker: ordered passes over a parsed ruleset that collect every diagnostic.

Each pass names what must run before it, and is handed what the passes before it found. The
result, `Checked`, is what the compiler builds on: the module, every name in scope with its type,
the rules in ruleset order and the window.
"""

from __future__ import annotations

import attrs

from planrules.lang import syntax as s
from planrules.lang.check_header import check_currencies, check_header
from planrules.lang.check_names import check_lets, check_rule_names, declare_names
from planrules.lang.check_rules import check_rules
from planrules.lang.check_tables import check_period_tables
from planrules.lang.check_tests import check_tests, declared_tests
from planrules.lang.check_unused import check_unused
from planrules.lang.check_uses import LoadedFiles, Reader
from planrules.lang.diagnostics import Diagnostic, has_errors, sorted_diagnostics
from planrules.lang.exprcheck import Scope
from planrules.lang.periods import Window
from planrules.lang.ratio_forms import name_forms
from planrules.lang.source import Source
from planrules.lang.workspace import Access


@attrs.frozen
class Checked:
    """A checked file: the tree, the scope it sees, and every diagnostic found."""

    module: s.Module | None
    sources: dict[str, Source]
    diagnostics: tuple[Diagnostic, ...]
    scope: Scope | None
    rules: tuple[s.Rule, ...]
    tests: tuple[s.Test, ...]
    ruleset: str | None
    currency: str | None
    window: Window | None
    cadence: str | None
    access: Access = attrs.field(factory=Access)
    # The header's `locale` (None where it gives none) and `roll up`, for the evaluator and the
    # command line; a test file has those of the ruleset it tests where it gives none.
    locale: str | None = None
    roll_up: bool = False

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def check_file(path: str, read: Reader | None = None, access: Access | None = None) -> Checked:
    """Check one file from disk; raises InputError only where the file itself cannot be read.

    The files it uses and the snapshots its tests read must be in `access` (by default the
    tree of the file's folder)."""
    access = access or Access.below(path)
    read = read or access.read_ruleset
    return check_source(read(path), read, access)


def check_source(
    source: Source, read: Reader | None = None, access: Access | None = None
) -> Checked:
    access = access or Access.below(source.path)
    diagnostics: list[Diagnostic] = []
    files = LoadedFiles(diagnostics.append, read or access.read_ruleset, access)
    module = files.parse(source).module
    if module is None:
        return _unparsed(files, diagnostics)
    return _check_module(module, source, files, diagnostics)


def _check_module(
    module: s.Module, source: Source, files: LoadedFiles, diagnostics: list[Diagnostic]
) -> Checked:
    report = diagnostics.append
    files.resolve_uses(module)
    header = check_header(module, files, report)
    declared = declare_names(module, files, report)
    scope, rules = declared.scope, declared.rules
    scope.rules = {rule.name: rule for rule in reversed(rules)}  # the first of a name
    scope.cadence = header.cadence
    check_period_tables(list(scope.tables.values()), header.window, report)
    check_lets(scope, report)
    unknown_dimensions = check_rule_names(module, scope, rules, files.parsed[source.path], report)
    check_rules(rules, scope, unknown_dimensions, header.window, report)
    check_tests(module, scope, rules, header.cadence, report, files.access)
    check_currencies(module, files, header.currency, report)
    if not has_errors(diagnostics):
        # Only in a file without errors: where a read was refused (a misspelt name, a goal the
        # builder could not make), what it meant to read would be called unused.
        check_unused(module, scope, rules, report)
        # How each ratio name is shown: read from the comparisons of a sound ruleset.
        scope.forms = name_forms(scope, rules)
    return Checked(
        module=module,
        sources=files.sources(),
        diagnostics=tuple(sorted_diagnostics(diagnostics)),
        scope=scope,
        rules=tuple(rules),
        tests=tuple(declared_tests(module)),
        ruleset=_ruleset_name(module, files.tested),
        currency=header.currency,
        window=header.window,
        cadence=header.cadence,
        access=files.access,
        locale=header.locale,
        roll_up=header.roll_up,
    )


def _ruleset_name(module: s.Module, tested: s.Module | None) -> str | None:
    """A test file without a `ruleset` line goes by the name of the ruleset it tests."""
    if module.ruleset is not None:
        return module.ruleset
    return tested.ruleset if tested is not None else None


def _unparsed(files: LoadedFiles, diagnostics: list[Diagnostic]) -> Checked:
    return Checked(
        module=None,
        sources=files.sources(),
        diagnostics=tuple(sorted_diagnostics(diagnostics)),
        scope=None,
        rules=(),
        tests=(),
        ruleset=None,
        currency=None,
        window=None,
        cadence=None,
        access=files.access,
    )
