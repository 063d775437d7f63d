"""The whole OpenAPI schema, fuzzed by schemathesis against the Django WSGI app (no live server).

For every operation, valid and invalid requests are generated from the schema and sent with the
token of a role drawn at random (a role the operation refuses must get its documented 403). No
answer may be a server error, and every answer must conform to the schema: a documented status,
its content type, and a body that validates against the declared response model.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 25  # per operation and generation mode: the test stays well under a minute


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI app inside the test's transaction.

    A real request closes "old" database connections when it starts and ends, which would end the
    test's transaction; Django's own test client disconnects the same handlers for the same reason.
    """
    from celltrial.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(users, other_site):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    return {role.value: issue_token(Actor.system("test"), user, "fuzz") for role, user in users.items()}


def test_every_operation_survives_fuzzing(wsgi_app, tokens, protocol):
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        positive_data_acceptance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              positive_data_acceptance, negative_data_rejection]
    every_check = list(checks)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6

    for operation in operations:
        # A schema-valid write can still break a rule of the trial (a date in the future, a site that does not
        # exist, a child without consent): that is a 422 naming the field, not a failure to accept valid data.
        checks[:] = every_check if operation.method.upper() == "GET" else [
            c for c in every_check if c is not positive_data_acceptance]
        modes = [schemathesis.GenerationMode.POSITIVE]
        if len(operation.path_parameters) or len(operation.query) or len(operation.body):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:

            @given(case=operation.as_strategy(generation_mode=mode), role=st.sampled_from(sorted(tokens)))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            def fuzz(case, role):
                response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
                statuses[response.status_code] += 1
                case.validate_response(response, checks=checks)

            try:
                fuzz()
            except (Exception, BaseExceptionGroup) as exc:  # fuzz every operation; list the failures together
                failures.append(f"{operation.label} ({mode.value}): {exc}")

    print(f"schemathesis: {len(operations)} operations, {sum(statuses.values())} requests, statuses {dict(statuses)}")
    assert failures == [], "\n\n".join(failures)
    assert not [s for s in statuses if s >= 500], statuses
    # The fuzzing reached the data (200), the refusals by role (403) and the refusals of bad input (422).
    assert {200, 403, 422} <= set(statuses), statuses
