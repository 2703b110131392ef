"""planrules: a rules engine and language for evaluating business plans.

`planrules.load("saado.plan")` checks and compiles a ruleset once; its
`.evaluate(snapshots, at="2026-08")` returns a `Report` (`.status`, `.results`, `.to_dict()`).

The public names are imported when first used (see `__getattr__`), so that `import planrules`
and the commands that need only the front end do not pay for the evaluator and the reports.
"""

from __future__ import annotations

import importlib

# typing.TYPE_CHECKING, without importing typing (mypy takes any name TYPE_CHECKING so).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from planrules.eval.evaluate import Ruleset, load, loads
    from planrules.eval.history import History
    from planrules.eval.snapshot import SnapshotError
    from planrules.lang.check import Checked, check_file, check_source
    from planrules.lang.diagnostics import Diagnostic, InputError, PlanError, RulesetError
    from planrules.lang.source import Source, Span
    from planrules.report.model import (
        Adjustment,
        Allocation,
        Recommendation,
        Report,
        Result,
        Results,
    )

__version__ = "0.1.0"

# Each public name and the module that defines it.
_PUBLIC = {
    "Ruleset": "planrules.eval.evaluate",
    "load": "planrules.eval.evaluate",
    "loads": "planrules.eval.evaluate",
    "History": "planrules.eval.history",
    "SnapshotError": "planrules.eval.snapshot",
    "Checked": "planrules.lang.check",
    "check_file": "planrules.lang.check",
    "check_source": "planrules.lang.check",
    "Diagnostic": "planrules.lang.diagnostics",
    "InputError": "planrules.lang.diagnostics",
    "PlanError": "planrules.lang.diagnostics",
    "RulesetError": "planrules.lang.diagnostics",
    "Source": "planrules.lang.source",
    "Span": "planrules.lang.source",
    "Adjustment": "planrules.report.model",
    "Allocation": "planrules.report.model",
    "Recommendation": "planrules.report.model",
    "Report": "planrules.report.model",
    "Result": "planrules.report.model",
    "Results": "planrules.report.model",
}

__all__ = [
    "Adjustment",
    "Allocation",
    "Checked",
    "Diagnostic",
    "History",
    "InputError",
    "PlanError",
    "Recommendation",
    "Report",
    "Result",
    "Results",
    "Ruleset",
    "RulesetError",
    "SnapshotError",
    "Source",
    "Span",
    "__version__",
    "check_file",
    "check_source",
    "load",
    "loads",
]


if not TYPE_CHECKING:  # for mypy the names are the imports above, and no others

    def __getattr__(name: str) -> object:
        """A public name, imported from its module on first use and kept here after."""
        module = _PUBLIC.get(name)
        if module is None:
            raise AttributeError(f"module 'planrules' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
