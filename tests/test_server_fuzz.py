"""The server's OpenAPI schema, fuzzed with schemathesis against a real server of its own (the
fuzzer writes records no other test should see): no 500, no answer outside the schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from server_helpers import TeamServer, started_server

EXAMPLES_PER_OPERATION = 20


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    server = started_server(tmp_path_factory.mktemp("fuzzed_server"), "alice")
    yield server
    server.stop()


def test_every_operation_answers_within_its_schema(fuzzed_server: TeamServer) -> None:
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import response_schema_conformance

    schema = schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed_server.tokens['alice']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30  # every method of the Store interface, and info and me
    for operation in operations:
        # Shrinking a failure takes minutes; the failing example is shown all the same.
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def answers_within_schema(case: schemathesis.Case) -> None:
            case.call_and_validate(
                headers=headers, checks=[not_a_server_error, response_schema_conformance]
            )

        answers_within_schema()
    assert "Traceback" not in Path(fuzzed_server.log).read_text()
