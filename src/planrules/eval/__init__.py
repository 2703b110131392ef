"""Evaluation: expressions and rules compiled once, judged against snapshots, budgets adjusted,
what it would take to pass, and the trace an explanation is read from."""
