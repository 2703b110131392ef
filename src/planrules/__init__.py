"""planrules: a rules engine and language for evaluating business plans."""

from planrules.check import Checked, check_file, check_source
from planrules.diagnostics import Diagnostic, InputError, PlanError, RulesetError
from planrules.source import Source, Span

__version__ = "0.1.0"

__all__ = [
    "Checked",
    "Diagnostic",
    "InputError",
    "PlanError",
    "RulesetError",
    "Source",
    "Span",
    "__version__",
    "check_file",
    "check_source",
]
