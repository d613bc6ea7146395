"""Property-based checks of the whole API from its own /openapi.json (schemathesis): for
generated requests, as the city admin, no 5xx and every answer matches the document;
for requests generated to break the document, the same (a documented 4xx problem).

501 is allowed only as the documented "not offered yet" problem of a service method that
does not exist yet. Bounded: a few examples per operation, derandomised, no deadline.
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES_PER_OPERATION = 3
INVALID_EXAMPLES_PER_OPERATION = 2


def no_server_error(ctx, response, case) -> None:
    status = response.status_code
    if status == 501 and response.json().get("code") == "not_implemented":
        return None
    if status >= 500:
        raise AssertionError(f"{case.method} {case.formatted_path}: {status} {response.text}")
    return None


CHECKS = [no_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(platform):
    return schemathesis.openapi.from_url(platform.base + "/openapi.json")


@pytest.fixture(scope="module")
def city_token(platform, city):
    return city.session.headers["Authorization"]


def run_every_operation(api_schema, token: str, mode: GenerationMode, examples: int,
                        checks: list) -> list[str]:
    # every operation in turn, each a bounded hypothesis run (schemathesis's own pytest
    # wrapper relies on pytest internals that pytest 9 no longer has)
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        def keeps_the_document(case):
            case.call_and_validate(headers={"Authorization": token}, checks=checks, timeout=30)

        try:
            keeps_the_document()
        except Unsatisfiable:  # nothing to break: an operation without inputs
            assert mode == GenerationMode.NEGATIVE
        except Exception as failure:  # noqa: BLE001 - every operation's failure is reported
            failures.append(f"{operation.label}: {failure}")
    assert operations >= 60
    return failures


def test_the_api_keeps_its_own_document(api_schema, city_token):
    failures = run_every_operation(api_schema, city_token, GenerationMode.POSITIVE,
                                   EXAMPLES_PER_OPERATION, CHECKS)
    assert not failures, "\n\n".join(failures)


def test_invalid_requests_are_documented_4xx_problems(api_schema, city_token):
    failures = run_every_operation(api_schema, city_token, GenerationMode.NEGATIVE,
                                   INVALID_EXAMPLES_PER_OPERATION, CHECKS)
    assert not failures, "\n\n".join(failures)
