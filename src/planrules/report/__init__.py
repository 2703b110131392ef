"""Reporting: the report model, its renderers, and explanations rendered from a trace.

Only the model is imported here: the evaluator builds its results from it, so importing the
package must not pull in the renderers, which sit above the evaluator."""

from planrules.report.model import (
    Adjustment,
    Allocation,
    AllocationLine,
    Change,
    Location,
    Pacing,
    Recommendation,
    Replay,
    Report,
    Result,
    Results,
)

__all__ = [
    "Adjustment",
    "Allocation",
    "AllocationLine",
    "Change",
    "Location",
    "Pacing",
    "Recommendation",
    "Replay",
    "Report",
    "Result",
    "Results",
]
