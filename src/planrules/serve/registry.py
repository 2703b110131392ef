"""The rulesets of the served folder: loaded at start, reloaded as their files change.

Each `*.plan` of the folder that is not a `*_test.plan` is a ruleset, named by its stem. A
version is checked in full before it is served; one that fails to check never replaces the
version in service: its diagnostics are kept beside it, for `/v1/rulesets` to show. A change
to a file a ruleset `use`s reloads that ruleset too. A reload builds the new table aside and
puts it in place in one step, and a request holds the version it started with, so none sees
half a reload.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from planrules.lang.check import Checked, check_file
from planrules.lang.diagnostics import InputError
from planrules.lang.workspace import PLAN_SUFFIX, Access, is_test_file
from planrules.serve.errors import diagnostics_json
from planrules.serve.jobs import Version

_log = logging.getLogger("planrules.serve")


@attrs.frozen
class Served:
    """A version in service, and what a caller must know to send it snapshots."""

    version: Version
    checked: Checked
    loaded_at: str
    files: frozenset[str]  # the real paths of every file it read

    @property
    def rule_count(self) -> int:
        return len(self.checked.rules)


@attrs.frozen
class Failed:
    """The file on disk as it last failed to load: its diagnostics, or why it is unreadable."""

    digest: str | None
    diagnostics: tuple[dict[str, Any], ...]
    failed_at: str
    files: frozenset[str]


@attrs.frozen
class Entry:
    name: str
    path: str
    served: Served | None = None
    failed: Failed | None = None

    @property
    def files(self) -> frozenset[str]:
        watched = {_real(self.path)}
        for state in (self.served, self.failed):
            if state is not None:
                watched |= state.files
        return frozenset(watched)


class Registry:
    """Every ruleset of `folder`, by name. `entries` is replaced whole on each reload."""

    def __init__(self, folder: str, on_failure: Callable[[], None] | None = None) -> None:
        self.folder = os.path.abspath(folder)
        self.entries: Mapping[str, Entry] = {}
        self._lock = asyncio.Lock()
        self._on_failure = on_failure

    @property
    def ready(self) -> bool:
        """Whether any ruleset is in service."""
        return any(entry.served is not None for entry in self.entries.values())

    async def reload(self, changed: Iterable[str] | None = None) -> None:
        """Check again the rulesets that read a changed file (every one, where `changed` is
        None), pick up new files and drop deleted ones; in a thread, as checking is work."""
        async with self._lock:
            real = None if changed is None else {_real(path) for path in changed}
            entries = await asyncio.to_thread(self._reloaded, dict(self.entries), real)
            self.entries = entries

    def _reloaded(self, entries: dict[str, Entry], changed: set[str] | None) -> dict[str, Entry]:
        found = ruleset_files(self.folder)
        fresh: dict[str, Entry] = {}
        for name, path in found.items():
            entry = entries.get(name)
            if entry is None or entry.path != path:
                entry = Entry(name, path)
            elif changed is not None and not (entry.files & changed):
                fresh[name] = entry
                continue
            fresh[name] = self._load(entry)
        for name in entries.keys() - fresh.keys():
            _log.info("ruleset %s: its file is gone, no longer served", name)
        return fresh

    def _load(self, entry: Entry) -> Entry:
        now = _now()
        try:
            checked = check_file(entry.path, access=Access.below(entry.path))
        except InputError as problem:
            return self._failed(entry, Failed(None, (_unreadable(problem),), now, frozenset()))
        files = frozenset(_real(path) for path in checked.sources)
        version = _version_of(entry, checked)
        diagnostics = diagnostics_json(checked.diagnostics, checked.sources, self.folder)
        if not checked.ok:
            return self._failed(entry, Failed(version.digest, diagnostics, now, files))
        if entry.served is not None and entry.served.version.digest == version.digest:
            return attrs.evolve(entry, failed=None)
        served = Served(version, checked, now, files)
        _log.info("ruleset %s: version %s loaded", entry.name, version.digest[:19])
        return attrs.evolve(entry, served=served, failed=None)

    def _failed(self, entry: Entry, failed: Failed) -> Entry:
        kept = "the version in service stays" if entry.served else "nothing is served"
        _log.warning("ruleset %s: the file fails to load; %s", entry.name, kept)
        if self._on_failure is not None:
            self._on_failure()
        return attrs.evolve(entry, failed=failed)

    def in_service(self) -> tuple[Version, ...]:
        return tuple(e.served.version for e in self.entries.values() if e.served is not None)


def ruleset_files(folder: str) -> dict[str, str]:
    """The rulesets of a folder (not its subfolders), name to path."""
    try:
        paths = sorted(Path(folder).iterdir())
    except OSError:
        return {}
    return {
        path.stem: str(path)
        for path in paths
        if path.suffix == PLAN_SUFFIX and not is_test_file(str(path)) and path.is_file()
    }


def _version_of(entry: Entry, checked: Checked) -> Version:
    """The version's files named relative to the served folder, as its reports name them
    (a report's `location` shows no more of the server's disk than that)."""
    folder = os.path.dirname(entry.path)
    sources = tuple(
        sorted(
            (os.path.relpath(path, folder), source.text) for path, source in checked.sources.items()
        )
    )
    digest = hashlib.sha256()
    for path, text in sources:
        digest.update(f"{len(path)}:{path}{len(text)}:".encode())
        digest.update(text.encode())
    relative = os.path.relpath(entry.path, folder)
    return Version(entry.name, "sha256:" + digest.hexdigest(), relative, sources)


def _unreadable(problem: InputError) -> dict[str, Any]:
    return {
        "code": "unreadable",
        "severity": "error",
        "message": str(problem.reason),
        "hint": None,
        "file": os.path.basename(problem.path),
        "line": None,
        "column": None,
        "end_line": None,
        "end_column": None,
        "text": f"{os.path.basename(problem.path)}: {problem.reason}",
    }


def _real(path: str) -> str:
    return os.path.realpath(path)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def description(entry: Entry) -> dict[str, Any]:
    """What `GET /v1/rulesets/{name}` answers: the metrics to send and the rules judged."""
    assert entry.served is not None
    checked = entry.served.checked
    assert checked.scope is not None  # a served version checked sound
    window = checked.window
    return {
        "name": entry.name,
        "ruleset": checked.ruleset,
        "hash": entry.served.version.digest,
        "loaded_at": entry.served.loaded_at,
        "currency": checked.currency,
        "period": None
        if window is None
        else {
            "start": window.start.isoformat(),
            "end": None if window.end is None else window.end.isoformat(),
            "cadence": window.cadence,
        },
        "metrics": [
            {
                "name": metric.name,
                "unit": metric.type,
                "dimension": metric.dimension,
                "stock": metric.stock,
                "description": metric.description,
            }
            for metric in checked.scope.metrics.values()
        ],
        "rules": [
            {
                "name": rule.name,
                "kind": type(rule).__name__.lower(),
                "per": getattr(rule, "per", None),
                "owner": rule.owner,
            }
            for rule in checked.rules
        ],
    }


def summary(entry: Entry) -> dict[str, Any]:
    """One ruleset in `GET /v1/rulesets`: the version in service, and the file's problems."""
    served = entry.served
    failed = entry.failed
    return {
        "name": entry.name,
        "served": served is not None,
        "hash": None if served is None else served.version.digest,
        "rules": None if served is None else served.rule_count,
        "loaded_at": None if served is None else served.loaded_at,
        "diagnostics": None if failed is None else list(failed.diagnostics),
        "failed_at": None if failed is None else failed.failed_at,
        "failed_hash": None if failed is None else failed.digest,
    }
