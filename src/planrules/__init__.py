"""planrules: a rules engine and language for evaluating business plans.

`planrules.load("saado.plan")` checks and compiles a ruleset once; its
`.evaluate(snapshots, at="2026-08")` returns a `Report` (`.status`, `.results`, `.to_dict()`).
"""

from planrules.check import Checked, check_file, check_source
from planrules.diagnostics import Diagnostic, InputError, PlanError, RulesetError
from planrules.evaluate import Ruleset, load, loads
from planrules.history import History, SnapshotError
from planrules.report import Adjustment, Allocation, Recommendation, Report, Result, Results
from planrules.source import Source, Span

__version__ = "0.1.0"

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
