"""Connecting to any Temporal cluster: a client certificate, a CA, a server name, an API key.

The settings become the client's TLS configuration, which is then used for real: a
TLS proxy of the test's own (stdlib `ssl`, certificates made with the `openssl`
command) stands in front of Temporal's dev server, asks each client for a
certificate and records the one presented. A client configured with a client
certificate connects through it and is seen presenting that certificate; one with
an API key and the CA connects without one and carries the key; one that trusts
another CA is refused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import ssl
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client
from temporalio.service import TLSConfig
from temporalio.testing import WorkflowEnvironment

from komitmen.devserver import split_address
from services.settings import Settings
from services.temporal import connect, tls_config

SERVER_NAME = "temporal.test"
CLIENT_NAME = "komitmen-worker"


def temporal_settings(**given: Any) -> Settings:
    """Settings with every Temporal security field given, whatever the environment holds."""
    blank: dict[str, Any] = {
        "temporal_tls": False,
        "temporal_tls_cert": None,
        "temporal_tls_key": None,
        "temporal_tls_ca": None,
        "temporal_tls_server_name": None,
        "temporal_api_key": None,
    }
    return Settings(**(blank | given))


# --- settings to TLS configuration ----------------------------------------------------------


def test_certificate_files_and_server_name_become_the_tls_config(tmp_path: Path) -> None:
    for name in ("cert", "key", "ca"):
        (tmp_path / name).write_bytes(f"-- {name} --".encode())
    settings = temporal_settings(
        temporal_tls_cert=tmp_path / "cert",
        temporal_tls_key=tmp_path / "key",
        temporal_tls_ca=tmp_path / "ca",
        temporal_tls_server_name=SERVER_NAME,
    )
    assert tls_config(settings) == TLSConfig(
        client_cert=b"-- cert --",
        client_private_key=b"-- key --",
        server_root_ca_cert=b"-- ca --",
        domain=SERVER_NAME,
    )
    only_ca = temporal_settings(temporal_tls_ca=tmp_path / "ca")
    assert tls_config(only_ca) == TLSConfig(server_root_ca_cert=b"-- ca --")


def test_an_api_key_implies_tls_and_nothing_means_plain_text() -> None:
    assert tls_config(temporal_settings(temporal_api_key="kunci")) is True
    assert tls_config(temporal_settings(temporal_tls=True)) is True
    assert tls_config(temporal_settings()) is False


def test_a_client_certificate_needs_its_key(tmp_path: Path) -> None:
    for given in ({"temporal_tls_cert": tmp_path / "c"}, {"temporal_tls_key": tmp_path / "k"}):
        with pytest.raises(ValidationError, match="go together"):
            temporal_settings(**given)


# --- through a TLS proxy, for real ----------------------------------------------------------


def openssl(folder: Path, *args: str) -> None:
    """Run one openssl command in `folder`."""
    subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)


def make_pki(folder: Path) -> Path:
    """ca.pem, server.pem/.key (for SERVER_NAME), client.pem/.key and stranger-ca.pem."""
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca, cn in (("ca", "Komitmen test CA"), ("stranger-ca", "Another CA")):
        openssl(folder, "req", "-x509", *key, "-days", "2", "-subj", f"/CN={cn}",
                "-keyout", f"{ca}.key", "-out", f"{ca}.pem")  # fmt: skip
    for name, cn, usage in (
        ("server", SERVER_NAME, f"serverAuth\nsubjectAltName=DNS:{SERVER_NAME}"),
        ("client", CLIENT_NAME, "clientAuth"),
    ):
        (folder / f"{name}.ext").write_text(
            f"basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n"
        )
        openssl(folder, "req", *key, "-subj", f"/CN={cn}",
                "-keyout", f"{name}.key", "-out", f"{name}.csr")  # fmt: skip
        openssl(folder, "x509", "-req", "-in", f"{name}.csr", "-days", "2",
                "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-extfile", f"{name}.ext", "-out", f"{name}.pem")  # fmt: skip
    return folder


def common_name(certificate: dict[str, Any]) -> str:
    """The CN of a certificate as `SSLSocket.getpeercert()` describes it."""
    names = [value for rdn in certificate["subject"] for key, value in rdn if key == "commonName"]
    return str(names[0])


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy bytes until either side closes."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        writer.close()


@dataclass
class TlsProxy:
    """TLS in front of a plain-text server; records the CN each client presented (or None)."""

    target: tuple[str, int]
    clients: list[str | None] = field(default_factory=list)
    _pipes: set[asyncio.Future[Any]] = field(default_factory=set)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Record the client's certificate, then relay both ways."""
        certificate = writer.get_extra_info("peercert")
        self.clients.append(common_name(certificate) if certificate else None)
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        relay = asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))
        self._pipes.add(relay)
        await relay


@asynccontextmanager
async def tls_proxy(pki: Path, target: str) -> AsyncIterator[tuple[TlsProxy, str]]:
    """A proxy for `target` that asks for a client certificate from the CA; its address."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=pki / "ca.pem")
    context.load_cert_chain(pki / "server.pem", pki / "server.key")
    context.verify_mode = ssl.CERT_OPTIONAL  # recorded, so the test can tell who sent one
    context.set_alpn_protocols(["h2"])
    proxy = TlsProxy(split_address(target))
    server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0, ssl=context)
    port = server.sockets[0].getsockname()[1]
    try:
        yield proxy, f"127.0.0.1:{port}"
    finally:
        server.close()
        for relay in proxy._pipes:
            relay.cancel()
        await asyncio.gather(*proxy._pipes, return_exceptions=True)


async def namespace_of(client: Client) -> str:
    """The namespace the server describes to this client."""
    request = DescribeNamespaceRequest(namespace=client.namespace)
    described = await client.workflow_service.describe_namespace(request)
    return described.namespace_info.name


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    """A fresh certificate authority with a server and a client certificate."""
    return make_pki(tmp_path)


@pytest.mark.temporal
async def test_a_client_certificate_is_presented(
    dev_server_env: WorkflowEnvironment, pki: Path
) -> None:
    async with tls_proxy(pki, dev_server_env.client.service_client.config.target_host) as (
        proxy,
        address,
    ):
        settings = temporal_settings(
            temporal_address=address,
            temporal_tls_cert=pki / "client.pem",
            temporal_tls_key=pki / "client.key",
            temporal_tls_ca=pki / "ca.pem",
            temporal_tls_server_name=SERVER_NAME,
        )
        client = await connect(settings)
        assert await namespace_of(client) == "default"
    assert proxy.clients and set(proxy.clients) == {CLIENT_NAME}


@pytest.mark.temporal
async def test_an_api_key_goes_over_tls_without_a_certificate(
    dev_server_env: WorkflowEnvironment, pki: Path
) -> None:
    async with tls_proxy(pki, dev_server_env.client.service_client.config.target_host) as (
        proxy,
        address,
    ):
        settings = temporal_settings(
            temporal_address=address,
            temporal_tls_ca=pki / "ca.pem",
            temporal_tls_server_name=SERVER_NAME,
            temporal_api_key="kunci-rahasia",
        )
        client = await connect(settings)
        assert client.api_key == "kunci-rahasia"
        assert client.service_client.config.api_key == "kunci-rahasia"
        assert await namespace_of(client) == "default"
    assert proxy.clients and set(proxy.clients) == {None}


@pytest.mark.temporal
async def test_a_server_signed_by_another_ca_is_refused(
    dev_server_env: WorkflowEnvironment, pki: Path
) -> None:
    async with tls_proxy(pki, dev_server_env.client.service_client.config.target_host) as (
        proxy,
        address,
    ):
        settings = temporal_settings(
            temporal_address=address,
            temporal_tls_ca=pki / "stranger-ca.pem",
            temporal_tls_server_name=SERVER_NAME,
        )
        with pytest.raises(RuntimeError, match="(?i)certificate|tls|handshake"):
            await connect(settings)
    assert proxy.clients == []


# --- the reference deployment -------------------------------------------------------------

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def test_the_deployment_files_name_only_real_settings() -> None:
    known = {f"KOMITMEN_{name.upper()}" for name in Settings.model_fields}
    # The compose file's own variable: the password it builds the database URL from.
    known.add("KOMITMEN_DB_PASSWORD")
    named: dict[str, set[str]] = {}
    for path in sorted(p for p in DEPLOY.rglob("*") if p.is_file()):
        for variable in re.findall(r"\bKOMITMEN_[A-Z0-9_]+", path.read_text()):
            named.setdefault(variable, set()).add(path.name)
    assert "KOMITMEN_WORKER_METRICS_ADDRESS" in named
    assert {v: sorted(files) for v, files in named.items() if v not in known} == {}


def test_the_apis_believe_forwarded_addresses_from_nginx_alone() -> None:
    compose = (DEPLOY / "docker-compose.yml").read_text()
    # Uvicorn's own variable is not read any more; nothing trusts every sender.
    assert not re.search(r"^\s*FORWARDED_ALLOW_IPS\s*[:=]", compose, re.MULTILINE)
    assert not re.search(r"FORWARDED_ALLOW_IPS\s*[:=]\s*[\"']?\*", compose)
    trusted = re.findall(r"KOMITMEN_FORWARDED_ALLOW_IPS:\s*[\"']?([^\"'\s#]+)", compose)
    nginx = compose[compose.index("\n  nginx:") :]
    nginx = nginx[: nginx.index("\nnetworks:")]
    (address,) = re.findall(r"ipv4_address:\s*([0-9.]+)", nginx)
    assert trusted == [address]
    (subnet,) = re.findall(r"subnet:\s*([0-9./]+)", compose)
    (pool,) = re.findall(r"ip_range:\s*([0-9./]+)", compose)
    nginx_ip = ipaddress.ip_address(address)
    assert nginx_ip in ipaddress.ip_network(subnet)
    assert nginx_ip not in ipaddress.ip_network(pool)  # no other container can take it
    # nginx replaces whatever X-Forwarded-For a client sent with the address it saw.
    nginx_conf = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx_conf
    assert "$proxy_add_x_forwarded_for" not in nginx_conf
    for path in DEPLOY.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert not re.search(r"(?<!KOMITMEN_)FORWARDED_ALLOW_IPS", text), path.name
            assert not re.search(r"FORWARDED_ALLOW_IPS\s*[:=]\s*[\"']?\*", text), path.name
