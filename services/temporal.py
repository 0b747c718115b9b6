"""Connecting to a Temporal cluster as the settings describe it."""

from __future__ import annotations

from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from services.settings import Settings
from workflows.common import SEARCH_ATTRIBUTES


def tls_config(settings: Settings) -> TLSConfig | bool:
    """How the client secures its connection: files and a server name, plain TLS, or none."""
    if settings.temporal_tls_cert or settings.temporal_tls_ca or settings.temporal_tls_server_name:
        return TLSConfig(
            client_cert=_read(settings.temporal_tls_cert),
            client_private_key=_read(settings.temporal_tls_key),
            server_root_ca_cert=_read(settings.temporal_tls_ca),
            domain=settings.temporal_tls_server_name,
        )
    # An API key implies TLS, as Temporal Cloud requires it; the system's roots verify it.
    return settings.temporal_tls or bool(settings.temporal_api_key)


def _read(path: Path | None) -> bytes | None:
    return path.read_bytes() if path else None


async def connect(settings: Settings) -> Client:
    """A client for the configured cluster, using the pydantic data converter.

    It runs on the process's default Temporal runtime, which `komitmen worker`
    replaces by one that serves metrics before it connects.
    """
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        api_key=settings.temporal_api_key,
        tls=tls_config(settings),
        data_converter=pydantic_data_converter,
    )


def serve_metrics(address: str) -> None:
    """Serve the Temporal SDK's metrics in Prometheus format at http://<address>/metrics.

    It replaces the process's default Temporal runtime, so it must run before any
    client connects; a bad or busy address raises ValueError.
    """
    telemetry = TelemetryConfig(metrics=PrometheusConfig(bind_address=address))
    Runtime.set_default(Runtime(telemetry=telemetry))


async def register_search_attributes(client: Client, namespace: str) -> None:
    """Register Komitmen's search attributes on the cluster; already present is fine."""
    request = AddSearchAttributesRequest(
        namespace=namespace,
        search_attributes={
            key.name: IndexedValueType.ValueType(key.indexed_value_type.value)
            for key in SEARCH_ATTRIBUTES
        },
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as error:
        if error.status != RPCStatusCode.ALREADY_EXISTS:
            raise
