"""Schemathesis over the OpenAPI schema: odd input never makes a 5xx, every answer is documented.

Cases are generated from the app's own schema (offline, derandomized, a bounded number per
operation, valid and invalid data) and sent through httpx to the real app, worker, database
and Temporal, as a coordinator, as a regency officer and with no token. Half of the cases
aim at a real cycle and regency, so they get past the 404s into the routes' own checks.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from db import models as m
from db.session import session_factory, transaction
from domain.calendar import WITA
from tests.api.client import Api, running_api
from workflows.common import commitment_workflow_id, cycle_workflow_id

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation and generation mode: enough to hit every field with odd values
# (huge numbers, NUL bytes, wrong types, missing and unknown fields) while staying quick.
EXAMPLES = 12


def generate(api: Api, real: dict[str, str]) -> list[Case[Any]]:
    """Cases for every operation of the schema, valid and invalid, some aimed at `real` paths."""
    schema = schemathesis.openapi.from_dict(api.app.openapi())
    cases: list[Case[Any]] = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result.err()
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        fixed = {k: v for k, v in real.items() if k in names}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(mode)
            if fixed:
                strategy = st.one_of(strategy, operation.as_strategy(mode, path_parameters=fixed))

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def collect(case: Case[Any]) -> None:
                cases.append(case)

            # An operation without parameters or a body has no invalid form to generate.
            with contextlib.suppress(Unsatisfiable):
                collect()
    # Cancelling the cycle or withdrawing its regency ends what the other cases aim at.
    return sorted(cases, key=lambda c: c.operation.path.endswith(("/cancel", "/withdraw")))


async def send(api: Api, case: Case[Any], auth: str | None) -> httpx.Response:
    """Send a case through the app as httpx would, with the user's token if any."""
    headers = api.token(auth) if auth else None
    kwargs: dict[str, Any] = case.as_transport_kwargs(base_url="http://komitmen", headers=headers)
    content = kwargs.pop("data", None)
    if isinstance(content, dict):
        kwargs["data"] = content
    elif content is not None:
        kwargs["content"] = content
    kwargs.pop("auth", None)
    if not kwargs.get("cookies"):  # the API reads no cookies; httpx warns on an empty jar
        kwargs.pop("cookies", None)
    if kwargs.get("files"):
        # A multipart part must be text or bytes; a generated number or boolean is sent as the
        # JSON text a client would have written.
        kwargs["files"] = [
            (name, (filename, value if isinstance(value, str | bytes) else json.dumps(value)))
            for name, (filename, value) in kwargs["files"]
        ]
    response = await api.http.request(**kwargs)
    # A multipart body (a scan upload) is streamed; schemathesis reads it back when checking.
    await response.request.aread()
    if auth and case.method == "DELETE" and response.status_code == 204:
        del api.tokens[auth]  # the case revoked the token: the next case gets a new one
    return response


async def stop_cycles(api: Api) -> None:
    """Terminate the cycles the fuzzing started, as the harness does for its own."""
    with transaction(session_factory(api.url)) as session:
        ids = [cycle_workflow_id(c) for c in session.scalars(select(m.Cycle.id))]
        ids += [commitment_workflow_id(c) for c in session.scalars(select(m.Commitment.id))]
    for workflow_id in ids:
        with contextlib.suppress(RPCError):
            await api.k.client.get_workflow_handle(workflow_id).terminate("fuzzing finished")


async def test_no_input_makes_a_server_error_or_an_undocumented_answer(
    dev_server_env: WorkflowEnvironment, db_url: str, tmp_path: Path
) -> None:
    year = (await dev_server_env.get_current_time()).astimezone(WITA).year + 1
    async with running_api(dev_server_env.client, db_url, tmp_path) as api:
        cycle = await api.start_cycle(["53.01"], year)
        cases = generate(api, {"cycle_id": cycle, "regency_code": "53.01"})
        failures: list[str] = []
        sent = 0
        try:
            for auth in ("koordinator", "operator-5301", None):
                for case in cases:
                    response = await send(api, case, auth)
                    sent += 1
                    try:
                        case.validate_response(response, checks=CHECKS)
                    except FailureGroup as failed:
                        failures.append(f"[{auth or 'anonymous'}] {failed}")
        finally:
            await stop_cycles(api)
        print(f"fuzz cases sent: {sent}")
        assert not failures, f"{len(failures)} of {sent} cases failed:\n" + "\n".join(failures[:20])
