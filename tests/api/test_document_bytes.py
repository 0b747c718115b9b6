"""The signed document's bytes: served exactly, and one hash for one plan however it is typed.

An auditor recomputes `document_hash` from `GET .../versions/{n}/document` alone
(README, "Checking a signed plan"). The same plan typed three ways through the JSON
API, each in a fresh database and Temporal namespace so that cycle, regency and
version are the same, must give the same bytes and so the same hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from domain.catalog import load_catalog
from komitmen.demo import sample_plan
from services.temporal import register_search_attributes
from tests.api.client import running_api
from tests.conftest import SPARE_NAMESPACES
from tests.databases import database
from tests.schedules import reporting_cycle

PLAN: dict[str, Any] = sample_plan(load_catalog().get("53.01")).model_dump(mode="json")


def typed(way: str) -> dict[str, Any]:
    """The sample plan with its numbers and lists written one of three ways."""
    items = []
    for item in PLAN["items"]:
        target, budget = item["target_value"], item["budget_rp"]
        if way == "integers":
            # JSON numbers where the amount is whole, as most clients send them.
            item = {**item, "target_value": int(float(target)), "budget_rp": int(float(budget))}
        elif way == "strings":
            item = {
                **item,
                "target_value": f"{float(target):.2f}",
                "budget_rp": f"{float(budget):.2f}",
            }
        else:
            # Floats, and quarters and partners listed in another order.
            item = {
                **item,
                "target_value": float(target),
                "budget_rp": float(budget),
                "due_quarters": list(reversed(item["due_quarters"])),
                "partners": list(reversed(item["partners"])),
            }
        items.append(item)
    return {"plan": {"items": items}, "based_on_version": 0}


async def saved_document(
    env: WorkflowEnvironment, namespace: str, kind: str, tmp_path: Path, way: str
) -> tuple[bytes, dict[str, str], dict[str, Any]]:
    """Save the plan typed `way` as version 1 of cycle "kanon", 53.01; its document."""
    await register_search_attributes(env.client, namespace)
    config = env.client.service_client.config
    client = await Client.connect(
        config.target_host, namespace=namespace, data_converter=pydantic_data_converter
    )
    year, schedule = reporting_cycle(await env.get_current_time())
    folder = tmp_path / way
    folder.mkdir()
    with database(kind, folder) as url:
        async with running_api(client, url, folder) as api:
            cycle = await api.start_cycle(
                ["53.01"], year, schedule.model_dump(mode="json"), cycle_id=f"kanon-{kind}"
            )
            base = f"/cycles/{cycle}/commitments/53.01"
            saved = await api.post(f"{base}/save-draft", "operator-5301", typed(way))
            assert saved.status_code == 200, saved.text
            assert (await api.post(f"{base}/submit", "operator-5301", {"version": 1})).is_success
            assert (await api.post(f"{base}/approve", "reviewer", {"version": 1})).is_success
            # The README's auditor: the approved version and its hash, then the bytes.
            commitment = (await api.get(base, "reviewer")).json()
            number = commitment["approved_version"]
            document = await api.get(f"{base}/versions/{number}/document", "reviewer")
            assert document.status_code == 200, document.text
            assert hashlib.sha256(document.content).hexdigest() == commitment["document_hash"]
            versions = (await api.get(f"{base}/versions", "operator-5301")).json()
            return document.content, dict(document.headers), versions[0]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_one_plan_typed_three_ways_has_one_document_and_one_hash(
    dev_server_env: WorkflowEnvironment, kind: str, tmp_path: Path
) -> None:
    ways = ("integers", "strings", "floats-reordered")
    results = [
        await saved_document(dev_server_env, namespace, kind, tmp_path, way)
        for namespace, way in zip(SPARE_NAMESPACES, ways, strict=True)
    ]
    documents = {content for content, _, _ in results}
    assert len(documents) == 1, "the three typings gave different documents"
    content, headers, version = results[0]
    digest = hashlib.sha256(content).hexdigest()
    assert {h["x-document-hash"] for _, h, _ in results} == {digest}
    assert version["document_hash"] == digest
    assert version["document_format"] == 2 and headers["x-document-format"] == "2"
    assert version["verify_code"] and len(version["verify_code"]) == 14

    # The bytes are the canonical form the README specifies: sorted keys, no spaces,
    # amounts as two-decimal strings, UTF-8.
    parsed = json.loads(content)
    assert (
        content
        == json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert (parsed["format"], parsed["cycle"], parsed["regency"], parsed["version"]) == (
        2,
        f"kanon-{kind}",
        "53.01",
        1,
    )
    first = parsed["items"][0]
    assert first["budget_rp"].endswith(".00") and first["target_value"].count(".") == 1
    assert first["due_quarters"] == sorted(first["due_quarters"])
