"""planrules: a rules engine and language for evaluating business plans.

`planrules.load("saado.plan")` checks and compiles a ruleset once; its
`.evaluate(snapshots, at="2026-08")` returns a `Report` (`.status`, `.results`, `.to_dict()`).
"""

from planrules.eval.evaluate import Ruleset, load, loads
from planrules.eval.history import History
from planrules.eval.snapshot import SnapshotError
from planrules.lang.check import Checked, check_file, check_source
from planrules.lang.diagnostics import Diagnostic, InputError, PlanError, RulesetError
from planrules.lang.source import Source, Span
from planrules.report.model import Adjustment, Allocation, Recommendation, Report, Result, Results

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
