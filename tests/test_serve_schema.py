"""Schemathesis against the live server's own OpenAPI document: for every endpoint, bodies,
paths and query strings generated from the document (and against it), the server answers no
5xx, and every answer matches the document: its status, media type and schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks
from schemathesis.openapi import from_url

from tests.serve_helpers import TOKEN, rulesets_copy, running_server

AUTHORIZATION = {"Authorization": f"Bearer {TOKEN}"}
# Served, served with errors, and (for "") the name generated.
NAMES = ["saado", "promotion_budget", "broken", ""]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    folder: Path = rulesets_copy(tmp_path_factory.mktemp("schema"))
    (folder / "broken.plan").write_text('ruleset "B"\nmetric x: coun\n', encoding="utf-8")
    with running_server(folder) as server:
        yield from_url(f"{server.url}/openapi.json", headers=AUTHORIZATION)


def _cases() -> list[tuple[str, str, GenerationMode]]:
    """Each operation with data the document allows (positive), and, where it takes any
    input, with data it does not (negative)."""
    from planrules.serve.openapi import document

    cases = []
    for path, operations in document()["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            cases.append((method, path, GenerationMode.POSITIVE))
            if "{" in path or "requestBody" in operation or operation.get("parameters"):
                cases.append((method, path, GenerationMode.NEGATIVE))
    return cases


@pytest.mark.parametrize(("method", "path", "mode"), _cases(), ids=str)
def test_no_5xx_and_every_answer_as_documented(
    api_schema: schemathesis.BaseSchema, method: str, path: str, mode: GenerationMode
) -> None:
    """Data the document allows (positive) and data it does not (negative)."""
    operation = api_schema[path][method]

    # schemathesis's own pytest fixture loader reads a private attribute pytest 9 has not;
    # its strategies are driven here by hypothesis directly.
    @given(case=operation.as_strategy(mode), name=st.sampled_from(NAMES))
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def answers_as_documented(case: schemathesis.Case, name: str) -> None:
        if "name" in (case.path_parameters or {}):
            # Names that are served as well as the generated ones, which are not.
            case.path_parameters = {"name": name or case.path_parameters["name"]}
        case.call_and_validate(headers=AUTHORIZATION, checks=CHECKS)

    answers_as_documented()
